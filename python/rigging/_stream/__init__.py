"""Streaming internals; the public names are in `rigging.stream`."""
