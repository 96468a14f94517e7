//! Linear-time checks on adversarial inputs.
