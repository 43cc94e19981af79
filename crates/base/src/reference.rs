//! Where ZATCA's published reference files live (SDK samples, schemas, rules).
//! They are third-party material kept outside the repository: tests that need
//! them call [`zatca_reference_dir`] and skip, saying why, when it is `None`.

use std::path::PathBuf;

pub const REFERENCE_DIR_VAR: &str = "ZATCA_REFERENCE_DIR";

pub fn zatca_reference_dir() -> Option<PathBuf> {
    let candidate = match std::env::var_os(REFERENCE_DIR_VAR) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/zatca")),
    };
    candidate.join("SPEC.md").is_file().then_some(candidate)
}

/// For tests: the reference directory, or `None` after [`crate::skip::skip`]
/// said why (a failure under `FATOORA_REQUIRE_ALL=1`).
pub fn zatca_reference_dir_or_skip(test: &str) -> Option<PathBuf> {
    let dir = zatca_reference_dir();
    if dir.is_none() {
        crate::skip::skip(format_args!(
            "{test} needs ZATCA's reference files, not found (set {REFERENCE_DIR_VAR} to the shared/zatca folder)"
        ));
    }
    dir
}
