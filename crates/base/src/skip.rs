//! Skips for tests that need what a machine may lack (root, PHP, ZATCA's
//! reference files, a keychain). `cargo test` drops the output of passing
//! tests, so a skip that only printed would look like a pass: each skip also
//! goes to the file named by `FATOORA_SKIP_LOG` (which `scripts/test.sh`
//! reads back into its summary), and under `FATOORA_REQUIRE_ALL=1` (CI) the
//! test fails instead of skipping.

use std::io::Write;

pub const REQUIRE_ALL_VAR: &str = "FATOORA_REQUIRE_ALL";
pub const SKIP_LOG_VAR: &str = "FATOORA_SKIP_LOG";

/// True when every test must run (CI): a missing prerequisite is a failure.
pub fn every_test_must_run() -> bool {
    std::env::var_os(REQUIRE_ALL_VAR).is_some_and(|value| value == "1")
}

/// Records that the calling test does not run, and why; the caller returns
/// right after. Panics instead under `FATOORA_REQUIRE_ALL=1`.
#[track_caller]
pub fn skip(reason: impl std::fmt::Display) {
    // libtest names each test's thread after the test.
    let thread = std::thread::current();
    let test = thread.name().filter(|name| *name != "main").unwrap_or("a test");
    let log = std::env::var_os(SKIP_LOG_VAR).map(std::path::PathBuf::from);
    record(test, &reason.to_string(), every_test_must_run(), log.as_deref());
}

/// Why the OS keychain cannot be used here, if it cannot. Linux's Secret
/// Service needs a D-Bus session with an unlocked keyring
/// (scripts/with-secret-service.sh); Windows' Credential Manager (and macOS's
/// Keychain) come with every session, so there the keychain tests always
/// run, and a keychain that fails fails them.
pub fn keychain_missing(store: &crate::secrets::KeyringStore) -> Option<&'static str> {
    let reachable = !cfg!(target_os = "linux")
        || (std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() && store.probe().is_ok());
    (!reachable).then_some("no unlocked Secret Service (run under scripts/with-secret-service.sh)")
}

#[track_caller]
fn record(test: &str, reason: &str, require_all: bool, log: Option<&std::path::Path>) {
    let line = format!("SKIPPED {test}: {reason}");
    if require_all {
        panic!("{line}\n{REQUIRE_ALL_VAR}=1: every test must run here; install what it needs");
    }
    eprintln!("{line}");
    if let Some(path) = log {
        // Best effort: the skip is already on stderr. One write per line
        // keeps the lines of parallel tests whole.
        if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = file.write_all(format!("{line}\n").as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skip_is_logged_with_its_test_and_reason() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("skips.log");
        record("suite::needs_php", "no php here", false, Some(&log));
        record("suite::needs_root", "not root", false, Some(&log));
        assert_eq!(
            std::fs::read_to_string(&log).unwrap(),
            "SKIPPED suite::needs_php: no php here\nSKIPPED suite::needs_root: not root\n"
        );
    }

    #[test]
    #[should_panic(expected = "SKIPPED suite::needs_php: no php here")]
    fn a_skip_fails_the_test_when_every_test_must_run() {
        record("suite::needs_php", "no php here", true, None);
    }
}
