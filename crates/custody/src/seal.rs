//! The backup's passphrase envelope: fatoora-core's (Argon2id, then
//! XChaCha20-Poly1305 with the header as associated data), under the
//! backup's own format name.
//!
//! The KDF runs before the passphrase can be checked, on parameters the
//! file's header names. fatoora-core only keeps them finite (1 GiB, 16
//! passes); a backup is a file someone may hand over, so here they must
//! also sit in a window around what we write ourselves before the KDF runs.

use fatoora_core::input::{Cap, MIB};
use fatoora_core::secrets::Passphrase;
use fatoora_core::secrets::envelope::{Envelope, EnvelopeError, Format, SealingKey};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::error::CustodyError;

pub const FORMAT: Format = Format { name: "fatoora-onboard-backup", version: 1 };
/// A backup holds the database (units, certificates, the journal) and the
/// secrets; hundreds of units make a few MiB. The cap is checked when
/// writing too, so we never write a backup we would refuse to restore.
pub const BACKUP_FILE: Cap = Cap::new("backup file", "ملف النسخة الاحتياطية", 256 * MIB);

/// The Argon2id cost a backup's header may ask for. A restore of a crafted
/// file then costs at most [`KdfWindow::FACTOR`] times a normal one, in
/// memory and in work. There is no floor beyond Argon2's own minimums: a
/// cheaper header costs less, and cannot weaken a real backup, since the
/// header is the AEAD's associated data (a lowered cost opens nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfWindow {
    pub max_memory_kib: u32,
    pub max_iterations: u32,
    pub max_parallelism: u32,
    /// Memory × passes, in KiB-passes: the KDF's work.
    pub max_work: u64,
}

impl KdfWindow {
    /// What `SealingKey::create` writes (RFC 9106's second recommended
    /// setting: 64 MiB, 3 passes, one lane); a test seals a backup and
    /// checks its header says the same.
    pub const WRITTEN_MEMORY_KIB: u32 = 64 * 1024;
    pub const WRITTEN_ITERATIONS: u32 = 3;
    pub const WRITTEN_PARALLELISM: u32 = 1;
    /// Room for a later version to raise the cost without this one refusing
    /// its backups, small enough that a hostile file stays affordable.
    pub const FACTOR: u32 = 4;

    pub const BACKUP: KdfWindow = KdfWindow {
        max_memory_kib: Self::FACTOR * Self::WRITTEN_MEMORY_KIB,
        max_iterations: Self::FACTOR * Self::WRITTEN_ITERATIONS,
        // Argon2 splits the memory among the lanes: they add no work.
        max_parallelism: Self::FACTOR,
        max_work: Self::FACTOR as u64 * Self::WRITTEN_MEMORY_KIB as u64 * Self::WRITTEN_ITERATIONS as u64,
    };

    fn admits(&self, cost: &KdfCost) -> bool {
        cost.memory_kib <= self.max_memory_kib
            && cost.iterations <= self.max_iterations
            && cost.parallelism <= self.max_parallelism
            && u64::from(cost.memory_kib) * u64::from(cost.iterations) <= self.max_work
    }
}

/// The cost fields of an envelope's header, read apart from the envelope
/// (whose header is private to fatoora-core). A repeated key is an error
/// here, so this cannot read other values than the envelope does.
#[derive(Deserialize)]
struct CostHeader {
    kdf: KdfCost,
}

#[derive(Deserialize)]
struct KdfCost {
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
}

/// Encrypts `plaintext` under a key derived from `passphrase` with a fresh
/// salt and nonce.
pub fn seal(plaintext: &[u8], passphrase: &Passphrase) -> Result<Vec<u8>, CustodyError> {
    let key = SealingKey::create(FORMAT, passphrase).map_err(custody_error)?;
    Ok(key.seal(plaintext).to_bytes())
}

/// Decrypts a file made by [`seal`]. Wrong passphrase and altered bytes both
/// give [`CustodyError::WrongPassphrase`]; a header asking the KDF for more
/// than [`KdfWindow::BACKUP`] gives [`CustodyError::KdfTooCostly`] before
/// the KDF runs.
pub fn open(file: &[u8], passphrase: &Passphrase) -> Result<Zeroizing<Vec<u8>>, CustodyError> {
    let envelope = Envelope::parse(file, FORMAT).map_err(custody_error)?;
    let cost = serde_json::from_slice::<CostHeader>(file)
        .map_err(|error| CustodyError::NotABackup { detail: format!("key-derivation parameters: {error}") })?
        .kdf;
    if !KdfWindow::BACKUP.admits(&cost) {
        return Err(CustodyError::KdfTooCostly { memory_kib: cost.memory_kib, iterations: cost.iterations, parallelism: cost.parallelism });
    }
    let key = SealingKey::for_envelope(&envelope, passphrase).map_err(custody_error)?;
    key.open(&envelope).map_err(custody_error)
}

fn custody_error(error: EnvelopeError) -> CustodyError {
    match error {
        EnvelopeError::WrongPassphrase => CustodyError::WrongPassphrase,
        EnvelopeError::Malformed { detail } => CustodyError::NotABackup { detail },
        EnvelopeError::TooNew { found } => CustodyError::TooNew { found },
        EnvelopeError::WeakPassphrase { min } => CustodyError::WeakPassphrase { min },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The window is built on what the envelope writes: if fatoora-core
    /// raises its cost, this fails and the window is revisited.
    #[test]
    fn what_we_write_is_what_the_window_is_built_on_and_it_opens() {
        let passphrase = Passphrase::new("a long enough passphrase".into());
        let file = seal(b"payload", &passphrase).unwrap();
        let cost = serde_json::from_slice::<CostHeader>(&file).unwrap().kdf;
        assert_eq!(
            (cost.memory_kib, cost.iterations, cost.parallelism),
            (KdfWindow::WRITTEN_MEMORY_KIB, KdfWindow::WRITTEN_ITERATIONS, KdfWindow::WRITTEN_PARALLELISM)
        );
        assert!(KdfWindow::BACKUP.admits(&cost));
        assert_eq!(&**open(&file, &passphrase).unwrap(), b"payload");
    }

    #[test]
    fn the_window_bounds_memory_passes_lanes_and_their_product() {
        let window = KdfWindow::BACKUP;
        let admits = |memory_kib, iterations, parallelism| window.admits(&KdfCost { memory_kib, iterations, parallelism });
        assert!(admits(256 * 1024, 3, 1), "four times the memory, the usual passes");
        assert!(admits(64 * 1024, 12, 4), "four times the passes");
        assert!(admits(8, 1, 1), "cheaper than ours");
        assert!(!admits(256 * 1024 + 1, 1, 1));
        assert!(!admits(8, 13, 1));
        assert!(!admits(64 * 1024, 3, 5));
        assert!(!admits(128 * 1024, 7, 1), "each within bounds, together over four times the work");
        assert!(!admits(1024 * 1024, 16, 16), "fatoora-core's own ceiling");
    }
}
