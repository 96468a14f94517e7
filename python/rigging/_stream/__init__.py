"""Streaming: generator chunks, the incremental model parser and pipeline events (see `rigging.stream`)."""
