"""Implementation of `rigging.model` (the public facade)."""
