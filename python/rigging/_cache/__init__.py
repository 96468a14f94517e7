"""Response cache internals (public names live in `rigging.cache`)."""
