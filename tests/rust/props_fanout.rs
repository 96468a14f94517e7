//! Placeholder: filled in with its module.
