//! What the integration tests share: running the binary ([`command`]), writing scenarios
//! ([`scenario`]), the theory side of the validation cases ([`validation`]), and small file helpers.

pub mod command;
pub mod scenario;
pub mod validation;

use std::path::Path;

pub use command::Test;

/// The tiny fixture (12 synthetic states, 2 domains, 3 years), relative to the repository root
/// where every [`Test`] runs.
pub const TINY: &str = "tests/fixtures/tiny.toml";

/// The bytes of a file, or a panic naming it.
pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A path as an argument (the temporary directories of the tests are UTF-8).
pub fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}
