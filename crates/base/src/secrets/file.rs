//! The opt-in encrypted-file store for servers without a keychain.
//!
//! One JSON file: a plain header (format version, Argon2id parameters and
//! salt, nonce) and the XChaCha20-Poly1305 ciphertext of all entries. The
//! header is the ciphertext's associated data, so altering the parameters is
//! detected like altering the ciphertext. Each write re-encrypts everything
//! under a fresh random nonce and replaces the file atomically (temporary
//! file + rename), so a crash leaves the old file or the new one, never half.
//!
//! The key is derived once when the store opens and kept zeroized-on-drop.
//! A wrong passphrase and a tampered file look the same to the AEAD: both
//! get [`SecretError::WrongPassphrase`], and the file is never rewritten.
//!
//! The decrypted entries of the file as this process last read or wrote it
//! are kept too (zeroized on drop). Every access still reads the file, so
//! another process's write is seen at once, as before; only when its bytes
//! are exactly the ones kept is the decryption skipped. A batch reads its
//! secrets hundreds of times, and decrypting and parsing the whole file
//! each time made the store a large share of the batch's CPU (issue 16).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::envelope::{Envelope, EnvelopeError, Format, SealingKey};
use super::{Passphrase, SecretBackend, SecretBytes, SecretError, SecretName, SecretStore};
use crate::input::{self, Cap, InputError, MIB};
use crate::logging;

const FORMAT: Format = Format { name: "fatoora-onboard-secrets", version: 1 };
/// Far above any real file (a few hundred keys and secrets), far below
/// what would hurt to hold in memory.
const SECRETS_FILE: Cap = Cap::new("secrets file", "ملف الأسرار", 16 * MIB);

/// The decrypted content: name → base64 of the secret bytes.
#[derive(Default, Serialize, Deserialize)]
struct Entries {
    entries: BTreeMap<String, Zeroizing<String>>,
}

pub struct EncryptedFileStore {
    path: PathBuf,
    key: SealingKey,
    /// Held for every read-modify-write, across processes: two CLI runs that
    /// each add a key must not drop the other's.
    lock_path: PathBuf,
    /// The file as last read or written here; `None` until then, and after
    /// a failed write (the entries in memory may then differ from the file).
    last: Mutex<Option<Snapshot>>,
}

/// The file's bytes and what they decrypt to.
struct Snapshot {
    sealed: Vec<u8>,
    entries: Entries,
}

impl std::fmt::Debug for EncryptedFileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncryptedFileStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl EncryptedFileStore {
    /// Opens the file, or creates an empty one when there is none. An
    /// existing file must open with `passphrase`; a new one needs a
    /// passphrase of at least [`Passphrase::MIN_CHARS`] characters.
    pub fn open(path: impl Into<PathBuf>, passphrase: &Passphrase) -> Result<Self, SecretError> {
        let path = path.into();
        let lock_path = lock_path(&path);
        let mut lock = open_lock(&lock_path)?;
        let _held = lock.write().map_err(|source| SecretError::Io { path: lock_path.clone(), source })?;
        match read_sealed(&path)? {
            Some(sealed) => {
                let envelope = parse(&path, &sealed)?;
                let key = SealingKey::for_envelope(&envelope, passphrase).map_err(|error| envelope_error(&path, error))?;
                let store = Self { path, key, lock_path: lock_path.clone(), last: Mutex::new(None) };
                let entries = store.decrypt(&envelope)?;
                *store.last() = Some(Snapshot { sealed, entries });
                Ok(store)
            }
            None => Self::create(path, lock_path.clone(), passphrase),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn create(path: PathBuf, lock_path: PathBuf, passphrase: &Passphrase) -> Result<Self, SecretError> {
        let key = SealingKey::create(FORMAT, passphrase).map_err(|error| envelope_error(&path, error))?;
        let store = Self { path, key, lock_path, last: Mutex::new(None) };
        let entries = Entries::default();
        let sealed = store.write(&entries)?;
        *store.last() = Some(Snapshot { sealed, entries });
        tracing::info!(path = %store.path.display(), "encrypted secrets file created");
        Ok(store)
    }

    fn last(&self) -> MutexGuard<'_, Option<Snapshot>> {
        self.last.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The file's current entries: read from the file every time, decrypted
    /// only when its bytes differ from the ones kept.
    fn read(&self) -> Result<MutexGuard<'_, Option<Snapshot>>, SecretError> {
        let Some(sealed) = read_sealed(&self.path)? else {
            return Err(SecretError::Io { path: self.path.clone(), source: std::io::ErrorKind::NotFound.into() });
        };
        let mut last = self.last();
        if last.as_ref().is_none_or(|snapshot| snapshot.sealed != sealed) {
            *last = None;
            let envelope = parse(&self.path, &sealed)?;
            if !self.key.same_header(&envelope) {
                // Another process re-created the file under another passphrase.
                return Err(SecretError::WrongPassphrase { path: self.path.clone() });
            }
            let entries = self.decrypt(&envelope)?;
            *last = Some(Snapshot { sealed, entries });
        }
        Ok(last)
    }

    fn decrypt(&self, envelope: &Envelope) -> Result<Entries, SecretError> {
        let plaintext = self.key.open(envelope).map_err(|error| envelope_error(&self.path, error))?;
        // Authenticated, so a parse failure here is our own bug or a newer
        // writer, not an attacker.
        serde_json::from_slice(&plaintext).map_err(|_| corrupt(&self.path, "unreadable content".into()))
    }

    /// Replaces the file with `entries`, sealed; returns the bytes written.
    fn write(&self, entries: &Entries) -> Result<Vec<u8>, SecretError> {
        let io_error = |source| SecretError::Io {
            path: self.path.clone(),
            source,
        };
        let plaintext =
            Zeroizing::new(serde_json::to_vec(entries).map_err(|error| corrupt(&self.path, error.to_string()))?);
        let sealed = self.key.seal(&plaintext).to_bytes();
        let folder = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        // open_lock created the folder. tempfile creates the file readable by the owner only.
        let mut temporary = tempfile::NamedTempFile::new_in(folder).map_err(io_error)?;
        temporary.write_all(&sealed).map_err(io_error)?;
        temporary.as_file().sync_all().map_err(io_error)?;
        temporary.persist(&self.path).map_err(|error| io_error(error.error))?;
        Ok(sealed)
    }

    fn update<T>(&self, change: impl FnOnce(&mut Entries) -> T) -> Result<T, SecretError> {
        let mut lock = open_lock(&self.lock_path)?;
        let _held = lock.write().map_err(|source| SecretError::Io { path: self.lock_path.clone(), source })?;
        let mut last = self.read()?;
        let snapshot = last.as_mut().expect("read keeps what it decrypted");
        let outcome = change(&mut snapshot.entries);
        match self.write(&snapshot.entries) {
            Ok(sealed) => snapshot.sealed = sealed,
            Err(error) => {
                *last = None;
                return Err(error);
            }
        }
        Ok(outcome)
    }
}

impl SecretStore for EncryptedFileStore {
    fn put(&self, name: &SecretName, secret: &SecretBytes) -> Result<(), SecretError> {
        logging::redact(secret.expose());
        let encoded = Zeroizing::new(BASE64.encode(secret.expose()));
        self.update(|entries| entries.entries.insert(name.as_str().to_owned(), encoded))?;
        tracing::info!(name = %name, store = "file", "secret stored");
        Ok(())
    }

    fn get(&self, name: &SecretName) -> Result<Option<SecretBytes>, SecretError> {
        let last = self.read()?;
        let entries = &last.as_ref().expect("read keeps what it decrypted").entries;
        let Some(encoded) = entries.entries.get(name.as_str()) else {
            return Ok(None);
        };
        let secret = SecretBytes::new(
            BASE64
                .decode(encoded.as_bytes())
                .map_err(|_| corrupt(&self.path, format!("entry {name} is not base64")))?,
        );
        logging::redact(secret.expose());
        Ok(Some(secret))
    }

    fn delete(&self, name: &SecretName) -> Result<bool, SecretError> {
        let removed = self.update(|entries| entries.entries.remove(name.as_str()).is_some())?;
        if removed {
            tracing::info!(name = %name, store = "file", "secret deleted");
        }
        Ok(removed)
    }

    fn backend(&self) -> SecretBackend {
        SecretBackend::EncryptedFile
    }
}

fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    path.with_file_name(name)
}

/// Opens (creating, with its folder) the lock file beside the secrets file.
fn open_lock(lock_path: &Path) -> Result<fd_lock::RwLock<std::fs::File>, SecretError> {
    let io_error = |source| SecretError::Io { path: lock_path.to_owned(), source };
    if let Some(folder) = lock_path.parent().filter(|folder| !folder.as_os_str().is_empty()) {
        crate::paths::create_private_dir(folder).map_err(io_error)?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_path)
        .map_err(io_error)?;
    Ok(fd_lock::RwLock::new(file))
}

fn corrupt(path: &Path, detail: String) -> SecretError {
    SecretError::FileCorrupt {
        path: path.to_owned(),
        detail,
    }
}

/// The file's bytes, or `None` when there is no file yet.
fn read_sealed(path: &Path) -> Result<Option<Vec<u8>>, SecretError> {
    match input::read_capped(path, SECRETS_FILE) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(InputError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(InputError::Io { source, .. }) => Err(SecretError::Io { path: path.to_owned(), source }),
        Err(refused @ (InputError::TooLarge { .. } | InputError::NotText { .. })) => Err(corrupt(path, refused.to_string())),
    }
}

fn parse(path: &Path, sealed: &[u8]) -> Result<Envelope, SecretError> {
    Envelope::parse(sealed, FORMAT).map_err(|error| envelope_error(path, error))
}

fn envelope_error(path: &Path, error: EnvelopeError) -> SecretError {
    match error {
        EnvelopeError::WrongPassphrase => SecretError::WrongPassphrase { path: path.to_owned() },
        EnvelopeError::Malformed { detail } => corrupt(path, detail),
        // We never write such a file: altered, like any other damage.
        costly @ EnvelopeError::KdfTooCostly { .. } => corrupt(path, costly.to_string()),
        EnvelopeError::TooNew { found } => SecretError::FileTooNew { path: path.to_owned(), found },
        EnvelopeError::WeakPassphrase { min } => SecretError::WeakPassphrase { min },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> SecretName {
        SecretName::new(text).unwrap()
    }

    fn read(store: &EncryptedFileStore, text: &str) -> Option<Vec<u8>> {
        store.get(&name(text)).unwrap().map(|secret| secret.expose().clone())
    }

    /// Two handles on one file, as two processes have: each keeps its own
    /// decrypted copy, and each still sees what the other wrote since.
    #[test]
    fn a_write_by_another_handle_is_seen_despite_the_kept_copy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.enc");
        let passphrase = Passphrase::new("a passphrase for two handles".into());
        let first = EncryptedFileStore::open(&path, &passphrase).unwrap();
        let second = EncryptedFileStore::open(&path, &passphrase).unwrap();

        first.put(&name("unit/a/local/private-key"), &SecretBytes::new(b"first key".to_vec())).unwrap();
        assert_eq!(read(&second, "unit/a/local/private-key").as_deref(), Some(&b"first key"[..]));
        second.put(&name("unit/b/local/private-key"), &SecretBytes::new(b"second key".to_vec())).unwrap();
        assert_eq!(read(&first, "unit/b/local/private-key").as_deref(), Some(&b"second key"[..]));

        // A write starts from the file, not from the copy: nothing of the
        // other handle's is lost.
        first.put(&name("unit/a/local/private-key"), &SecretBytes::new(b"replaced".to_vec())).unwrap();
        assert_eq!(read(&second, "unit/b/local/private-key").as_deref(), Some(&b"second key"[..]));
        assert_eq!(read(&second, "unit/a/local/private-key").as_deref(), Some(&b"replaced"[..]));
        assert!(second.delete(&name("unit/a/local/private-key")).unwrap());
        assert_eq!(read(&first, "unit/a/local/private-key"), None);
    }

    /// The kept copy never hides a change to the file: altered bytes are
    /// decrypted again, and the AEAD refuses them.
    #[test]
    fn a_file_altered_after_it_was_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.enc");
        let store = EncryptedFileStore::open(&path, &Passphrase::new("a passphrase for tampering".into())).unwrap();
        store.put(&name("unit/a/local/csid-secret"), &SecretBytes::new(b"kept secret".to_vec())).unwrap();
        assert!(read(&store, "unit/a/local/csid-secret").is_some());

        let mut envelope: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let ciphertext = envelope["ciphertext"].as_str().unwrap().to_owned();
        let flipped = if ciphertext.starts_with('A') { "B" } else { "A" };
        envelope["ciphertext"] = format!("{flipped}{}", &ciphertext[1..]).into();
        std::fs::write(&path, serde_json::to_vec_pretty(&envelope).unwrap()).unwrap();

        let error = store.get(&name("unit/a/local/csid-secret")).unwrap_err();
        assert!(matches!(error, SecretError::WrongPassphrase { .. }), "{error:?}");
    }
}
