//! The real `fatoora-onboard` binary as the CLI tests run it: on a data
//! folder of the test's own, keeping secrets in the encrypted file store
//! (so a test never depends on a desktop keychain unless it is about one),
//! with no standard input.

#![allow(dead_code)] // each test binary uses a different subset

use std::path::Path;
use std::process::{Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_fatoora-onboard");
pub const PASSPHRASE: &str = "secrets file passphrase";

/// The binary on `home`, with the file secret store unlocked by
/// [`PASSPHRASE`]; arguments still to add.
pub fn fatoora_onboard(home: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .env("FATOORA_ONBOARD_HOME", home)
        .env("FATOORA_ONBOARD_SECRET_STORE", "file")
        .env("FATOORA_ONBOARD_PASSPHRASE", PASSPHRASE)
        .stdin(Stdio::null());
    command
}

/// Both output streams, for assertions and their messages.
pub fn said(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}
