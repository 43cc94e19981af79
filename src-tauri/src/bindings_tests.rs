//! The UI's `bindings.ts` is generated from the Rust commands and committed.
//! This test fails when it no longer matches what the commands export;
//! `UPDATE_BINDINGS=1 cargo test -p fatoora-app bindings` rewrites it.

use std::path::PathBuf;

use specta_typescript::Typescript;

fn committed_bindings() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings.ts")
}

#[test]
fn bindings_ts_matches_the_commands() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let fresh = dir.path().join("bindings.ts");
    crate::specta_builder()
        .export(Typescript::default(), &fresh)
        .expect("export TypeScript bindings");
    let generated = std::fs::read_to_string(&fresh).expect("read generated bindings");

    let committed_path = committed_bindings();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&committed_path, &generated).expect("write ui/src/bindings.ts");
        return;
    }
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    assert!(
        committed == generated,
        "ui/src/bindings.ts is stale: run `UPDATE_BINDINGS=1 cargo test -p fatoora-app bindings` and commit it"
    );
}
