//! Hostile backup files, the invariants of the `backup_restore` fuzz target
//! in CI: no panic, a refusal explained in English and Arabic, nothing
//! written to the target, and a file over the cap refused before it is read.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use fatoora_base::DataDir;
use fatoora_base::input::{InputError, human_size};
use fatoora_base::secrets::{MemorySecretStore, Passphrase};
use fatoora_custody::{CustodyError, KdfWindow, restore};
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
    header(8, 1, 1, &BASE64.encode([0u8; 16]), nonce, ciphertext)
}

fn header(memory_kib: u32, iterations: u32, parallelism: u32, salt: &str, nonce: &[u8], ciphertext: &[u8]) -> Vec<u8> {
    serde_json::to_vec_pretty(&serde_json::json!({
        "format": "fatoora-onboard-backup", "version": 1, "cipher": "xchacha20poly1305",
        "kdf": { "algorithm": "argon2id", "memory_kib": memory_kib, "iterations": iterations, "parallelism": parallelism, "salt": salt },
        "nonce": BASE64.encode(nonce), "ciphertext": BASE64.encode(ciphertext),
    }))
    .unwrap()
}

/// A salt the envelope refuses inside the key derivation, before Argon2
/// runs: a header refused for its salt got past the cost window, one
/// refused as too costly never reached the derivation.
const SALT_REFUSED_BY_THE_DERIVATION: &str = "not base64!";

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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Any cost up to 1 GiB, 16 passes, 16 lanes (the envelope's old
    /// ceiling): over the window it is refused as too costly before the
    /// derivation starts; inside it, the derivation is reached (and stops
    /// at the salt, so no Argon2 runs here).
    #[test]
    fn a_costly_header_is_refused_before_the_key_derivation(
        memory_kib in 8u32..=1024 * 1024,
        iterations in 1u32..=16,
        parallelism in 1u32..=16,
    ) {
        let (_dir, error) = restore_bytes(&header(memory_kib, iterations, parallelism, SALT_REFUSED_BY_THE_DERIVATION, &[0; 24], &[0; 32]));
        if KdfWindow::ACCEPTED.admits(memory_kib, iterations, parallelism) {
            prop_assert!(matches!(&error, CustodyError::NotABackup { detail } if detail.contains("salt")), "{error:?}");
        } else {
            prop_assert!(
                matches!(error, CustodyError::KdfTooCostly { memory_kib: m, iterations: t, parallelism: p } if (m, t, p) == (memory_kib, iterations, parallelism)),
                "{error:?}"
            );
            prop_assert!(error.is_bad_input());
        }
    }
}

#[test]
fn the_envelopes_old_worst_header_is_refused_and_explained_in_both_languages() {
    // 1 GiB and 16 passes: about 85 times the work of a normal restore.
    let (_dir, error) = restore_bytes(&header(1024 * 1024, 16, 16, &BASE64.encode([0u8; 16]), &[0; 24], &[0; 32]));
    assert!(matches!(error, CustodyError::KdfTooCostly { memory_kib: 1_048_576, iterations: 16, parallelism: 16 }), "{error:?}");
    assert!(error.is_bad_input());
    let message = error.explain();
    for (text, nothing_changed) in [(&message.en, "Nothing was changed"), (&message.ar, "لم يتغيّر شيء")] {
        assert!(text.contains("1024 MiB") && text.contains("16") && text.contains(nothing_changed), "{text}");
        assert!(text.contains("256 MiB") && text.contains("64 MiB"), "names ours and the most accepted: {text}");
    }
    assert!(message.en.contains("before the passphrase was tried"), "{}", message.en);
    assert!(message.ar.contains("قبل تجربة عبارة المرور"), "{}", message.ar);
}

#[test]
fn the_edges_of_the_window() {
    let refused_as_costly = |m, t, p| {
        let (_dir, error) = restore_bytes(&header(m, t, p, SALT_REFUSED_BY_THE_DERIVATION, &[0; 24], &[0; 32]));
        matches!(error, CustodyError::KdfTooCostly { .. })
    };
    assert!(!refused_as_costly(256 * 1024, 3, 1), "four times our memory at our passes");
    assert!(!refused_as_costly(64 * 1024, 12, 4), "four times our passes");
    assert!(refused_as_costly(256 * 1024 + 1, 3, 1));
    assert!(refused_as_costly(64 * 1024, 13, 1));
    assert!(refused_as_costly(64 * 1024, 3, 5));
    assert!(refused_as_costly(128 * 1024, 7, 1), "more than four times the work");
}

#[test]
fn a_repeated_cost_field_is_refused_not_read_two_ways() {
    let text = String::from_utf8(cheap_header(&[0; 24], &[0; 32])).unwrap().replacen("\"memory_kib\": 8,", "\"memory_kib\": 8, \"memory_kib\": 1048576,", 1);
    assert!(text.contains("1048576"));
    let (_dir, error) = restore_bytes(text.as_bytes());
    assert!(matches!(error, CustodyError::NotABackup { .. } | CustodyError::KdfTooCostly { .. }), "{error:?}");
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
