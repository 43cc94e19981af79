//! `fatoora-onboard import-units FILE.csv --check`: any bytes as the CSV,
//! checked against a real (empty) store. Nothing is imported; every finding
//! and every refusal must say what is wrong, in both languages.
#![no_main]

use fatoora_base::{Environment, Store};
use fatoora_fuzz::{assert_explained, split_environment};
use libfuzzer_sys::fuzz_target;

thread_local! {
    // One store for the whole run: opening SQLite per input would measure
    // SQLite, not the CSV reader.
    static STORE: Store = Store::open_file(
        &std::env::temp_dir().join(format!("fatoora-fuzz-csv-{}.sqlite3", std::process::id())),
    )
    .expect("a store in the temporary folder");
}

fuzz_target!(|data: &[u8]| {
    let (environment, bytes) = split_environment(data);
    STORE.with(|store| match fatoora_batch::import::check_csv(bytes, environment.unwrap_or(Environment::Local), store) {
        Ok(check) => {
            for finding in &check.findings {
                assert!(!finding.rule.is_empty(), "a finding names no rule");
                assert_explained(&finding.message, finding.rule);
            }
        }
        Err(error) => assert_explained(&error.explain(), "check_csv"),
    });
});
