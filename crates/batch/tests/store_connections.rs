//! The app keeps one store connection open for its whole life while batch
//! onboarding and CSV import open (and close) a store per unit in the same
//! process, and scripts (the CLI, sqlite3) may read the same file from
//! other processes. Every connection must keep seeing the others' writes.

// Linux-only: the other process is Debian's sqlite3 command, which the
// Windows run under Wine cannot start.
#![cfg(target_os = "linux")]

use std::process::Command;

use fatoora_base::{DataDir, Environment, Store};
use fatoora_units::state::{self, OnboardingState};

fn units(store: &Store) -> Vec<String> {
    state::all(store.connection()).unwrap().into_iter().map(|s| s.unit_id).collect()
}

#[test]
fn a_long_lived_store_keeps_seeing_writes_while_others_open_and_close_the_file() {
    let Ok(sqlite3) = which_sqlite3() else {
        fatoora_base::skip::skip("no sqlite3 command to read the file from another process (apt-get install sqlite3)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data_dir = DataDir::at(dir.path());
    let long_lived = Store::open(&data_dir).unwrap();
    for unit in ["u-1", "u-2", "u-3"] {
        let short = Store::open(&data_dir).unwrap();
        state::save(short.connection(), &OnboardingState::new(unit, Environment::Local)).unwrap();
        drop(short);
        // Another process reads the file and closes it.
        let output = Command::new(&sqlite3).arg(data_dir.database()).arg("SELECT count(*) FROM onboarding_state").output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        assert!(units(&long_lived).iter().any(|u| u == unit), "{unit} is not seen by the long-lived store");
    }
    state::save(long_lived.connection(), &OnboardingState::new("u-4", Environment::Local)).unwrap();
    assert_eq!(units(&Store::open(&data_dir).unwrap()).len(), 4, "the long-lived store's write is lost");
}

fn which_sqlite3() -> Result<std::path::PathBuf, ()> {
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|p| p.join("sqlite3")).find(|p| p.is_file()))
        .ok_or(())
}
