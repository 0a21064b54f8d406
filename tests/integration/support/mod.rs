//! What the integration tests share: running the binary, writing scenarios, the validation theory.

pub mod validation;
