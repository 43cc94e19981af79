//! The backup's passphrase envelope: fatoora-base's (Argon2id, then
//! XChaCha20-Poly1305 with the header as associated data), under the
//! backup's own format name.
//!
//! The KDF runs before the passphrase can be checked, on parameters the
//! file's header names: fatoora-base refuses those outside its
//! `KdfWindow::ACCEPTED` first, which matters most here, since a backup is
//! a file someone may hand over.

use fatoora_base::input::{Cap, MIB};
use fatoora_base::secrets::Passphrase;
use fatoora_base::secrets::envelope::{Envelope, EnvelopeError, Format, SealingKey};
use zeroize::Zeroizing;

use crate::error::CustodyError;

pub const FORMAT: Format = Format { name: "fatoora-onboard-backup", version: 1 };
/// A backup holds the database (units, certificates, the journal) and the
/// secrets; hundreds of units make a few MiB. The cap is checked when
/// writing too, so we never write a backup we would refuse to restore.
pub const BACKUP_FILE: Cap = Cap::new("backup file", "ملف النسخة الاحتياطية", 256 * MIB);

/// Encrypts `plaintext` under a key derived from `passphrase` with a fresh
/// salt and nonce.
pub fn seal(plaintext: &[u8], passphrase: &Passphrase) -> Result<Vec<u8>, CustodyError> {
    let key = SealingKey::create(FORMAT, passphrase).map_err(custody_error)?;
    Ok(key.seal(plaintext).to_bytes())
}

/// Decrypts a file made by [`seal`]. Wrong passphrase and altered bytes both
/// give [`CustodyError::WrongPassphrase`]; a header asking the KDF for more
/// than `KdfWindow::ACCEPTED` gives [`CustodyError::KdfTooCostly`] before
/// the KDF runs.
pub fn open(file: &[u8], passphrase: &Passphrase) -> Result<Zeroizing<Vec<u8>>, CustodyError> {
    let envelope = Envelope::parse(file, FORMAT).map_err(custody_error)?;
    let key = SealingKey::for_envelope(&envelope, passphrase).map_err(custody_error)?;
    key.open(&envelope).map_err(custody_error)
}

fn custody_error(error: EnvelopeError) -> CustodyError {
    match error {
        EnvelopeError::WrongPassphrase => CustodyError::WrongPassphrase,
        EnvelopeError::Malformed { detail } => CustodyError::NotABackup { detail },
        EnvelopeError::TooNew { found } => CustodyError::TooNew { found },
        EnvelopeError::KdfTooCostly { memory_kib, iterations, parallelism } => {
            CustodyError::KdfTooCostly { memory_kib, iterations, parallelism }
        }
        EnvelopeError::WeakPassphrase { min } => CustodyError::WeakPassphrase { min },
    }
}
