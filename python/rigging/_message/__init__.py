"""Implementation of `rigging.message` (the public facade)."""
