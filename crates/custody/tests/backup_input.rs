//! Hostile backup files, the invariants of the `backup_restore` fuzz target
//! in CI: no panic, a refusal explained in English and Arabic, nothing
//! written to the target, and a file over the cap refused before it is read.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use fatoora_core::DataDir;
use fatoora_core::input::{InputError, human_size};
use fatoora_core::secrets::{MemorySecretStore, Passphrase};
use fatoora_custody::{CustodyError, restore};
use proptest::prelude::*;

const PASSPHRASE: &str = "a long enough passphrase";

fn restore_bytes(bytes: &[u8]) -> (tempfile::TempDir, CustodyError) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("input.fobak");
    std::fs::write(&file, bytes).unwrap();
    let target = DataDir::at(dir.path().join("data"));
    let error = restore(&file, &Passphrase::new(PASSPHRASE.into()), &target, &MemorySecretStore::default(), true).expect_err("restored");
    assert!(!target.database().exists(), "a refused backup wrote the database");
    (dir, error)
}

/// A header in the backup's format with a cheap KDF, so decryption is reached fast.
fn cheap_header(nonce: &[u8], ciphertext: &[u8]) -> Vec<u8> {
    serde_json::to_vec_pretty(&serde_json::json!({
        "format": "fatoora-onboard-backup", "version": 1, "cipher": "xchacha20poly1305",
        "kdf": { "algorithm": "argon2id", "memory_kib": 8, "iterations": 1, "parallelism": 1, "salt": BASE64.encode([0u8; 16]) },
        "nonce": BASE64.encode(nonce), "ciphertext": BASE64.encode(ciphertext),
    }))
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_bytes_are_refused_and_explained(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let (_dir, error) = restore_bytes(&bytes);
        prop_assert!(error.is_bad_input(), "{error:?}");
        let message = error.explain();
        prop_assert!(!message.en.trim().is_empty() && !message.ar.trim().is_empty());
    }

    /// A well-formed header around a ciphertext that was not made with the
    /// passphrase: the AEAD refuses it, as it would a wrong passphrase.
    #[test]
    fn a_forged_ciphertext_reads_as_a_wrong_passphrase(nonce in proptest::array::uniform24(any::<u8>()), ciphertext in proptest::collection::vec(any::<u8>(), 0..256)) {
        let (_dir, error) = restore_bytes(&cheap_header(&nonce, &ciphertext));
        prop_assert!(matches!(error, CustodyError::WrongPassphrase), "{error:?}");
    }
}

#[test]
fn a_nonce_of_the_wrong_length_names_the_nonce() {
    let (_dir, error) = restore_bytes(&cheap_header(&[0; 12], &[0; 32]));
    assert!(matches!(&error, CustodyError::NotABackup { detail } if detail.contains("nonce")), "{error:?}");
}

#[test]
fn a_file_over_the_cap_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("huge.fobak");
    // Sparse: the length says 256 MiB + 1 without writing it.
    std::fs::File::create(&file).unwrap().set_len(256 * 1024 * 1024 + 1).unwrap();
    let target = DataDir::at(dir.path().join("data"));
    let error = restore(&file, &Passphrase::new(PASSPHRASE.into()), &target, &MemorySecretStore::default(), true).unwrap_err();
    assert!(matches!(&error, CustodyError::Input(InputError::TooLarge { .. })), "{error:?}");
    assert!(error.is_bad_input());
    let message = error.explain();
    let limit = human_size(256 * 1024 * 1024);
    assert!(message.en.contains("backup file") && message.en.contains(&limit), "{}", message.en);
    assert!(message.ar.contains("ملف النسخة الاحتياطية") && message.ar.contains(&limit), "{}", message.ar);
    assert!(!target.database().exists());
}
