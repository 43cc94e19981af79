//! `fatoora-onboard restore --from FILE`: a backup file from anywhere,
//! restored into an empty data folder and an in-memory secret store. The
//! first byte picks what the rest is:
//! - even: the file itself (the envelope's JSON header, nonce, ciphertext);
//! - odd: the decrypted payload (database, secrets), sealed here under the
//!   passphrase the target restores with, so the fuzzer reaches what an
//!   attacker who knows the passphrase of a file they hand over controls.
//! Every refusal must be explained in both languages; nothing may panic.
#![no_main]

use fatoora_base::DataDir;
use fatoora_base::secrets::envelope::{Format, SealingKey};
use fatoora_base::secrets::{MemorySecretStore, Passphrase};
use libfuzzer_sys::fuzz_target;

const PASSPHRASE: &str = "fuzzing passphrase, long enough";
const BACKUP: Format = Format { name: "fatoora-onboard-backup", version: 1 };
/// A cheap KDF, so runs reach decryption and the payload rather than spend
/// their time in Argon2. The window on a crafted header's cost
/// (`KdfWindow::ACCEPTED`) is a unit test in fatoora-base; a costlier header here would only
/// slow the run, so it is skipped before the KDF runs.
const MAX_FUZZ_MEMORY_KIB: u64 = 1024;
const MAX_FUZZ_ITERATIONS: u64 = 2;

thread_local! {
    static KEY: SealingKey = SealingKey::create_cheap(BACKUP, &Passphrase::new(PASSPHRASE.into())).expect("a key");
}

fn affordable(file: &[u8]) -> bool {
    let Ok(serde_json::Value::Object(header)) = serde_json::from_slice::<serde_json::Value>(file) else { return true };
    let cost = |name: &str| header.get("kdf").and_then(|kdf| kdf.get(name)).and_then(serde_json::Value::as_u64).unwrap_or(0);
    cost("memory_kib") <= MAX_FUZZ_MEMORY_KIB && cost("iterations") <= MAX_FUZZ_ITERATIONS
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let file = if pick % 2 == 0 { rest.to_vec() } else { KEY.with(|key| key.seal(rest).to_bytes()) };
    if !affordable(&file) {
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("input.fobak");
    std::fs::write(&path, &file).expect("written");
    let target = DataDir::at(dir.path().join("data"));
    let secrets = MemorySecretStore::default();
    match fatoora_custody::restore(&path, &Passphrase::new(PASSPHRASE.into()), &target, &secrets, true) {
        // What was restored is a store this version opens.
        Ok(_) => drop(fatoora_base::Store::open(&target).expect("a restored database opens")),
        Err(error) => fatoora_fuzz::assert_explained(&error.explain(), "restore"),
    }
});
