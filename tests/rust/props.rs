//! Property tests: every hot path against a deliberately naive reference.
