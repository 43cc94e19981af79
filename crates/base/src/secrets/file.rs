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

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

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
        match read_envelope(&path)? {
            Some(envelope) => {
                let key = SealingKey::for_envelope(&envelope, passphrase).map_err(|error| envelope_error(&path, error))?;
                let store = Self { path, key, lock_path: lock_path.clone() };
                store.decrypt(&envelope)?;
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
        let store = Self { path, key, lock_path };
        store.write(&Entries::default())?;
        tracing::info!(path = %store.path.display(), "encrypted secrets file created");
        Ok(store)
    }

    fn read(&self) -> Result<Entries, SecretError> {
        let Some(envelope) = read_envelope(&self.path)? else {
            return Err(SecretError::Io { path: self.path.clone(), source: std::io::ErrorKind::NotFound.into() });
        };
        if !self.key.same_header(&envelope) {
            // Another process re-created the file under another passphrase.
            return Err(SecretError::WrongPassphrase { path: self.path.clone() });
        }
        self.decrypt(&envelope)
    }

    fn decrypt(&self, envelope: &Envelope) -> Result<Entries, SecretError> {
        let plaintext = self.key.open(envelope).map_err(|error| envelope_error(&self.path, error))?;
        // Authenticated, so a parse failure here is our own bug or a newer
        // writer, not an attacker.
        serde_json::from_slice(&plaintext).map_err(|_| corrupt(&self.path, "unreadable content".into()))
    }

    fn write(&self, entries: &Entries) -> Result<(), SecretError> {
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
        Ok(())
    }

    fn update<T>(&self, change: impl FnOnce(&mut Entries) -> T) -> Result<T, SecretError> {
        let mut lock = open_lock(&self.lock_path)?;
        let _held = lock.write().map_err(|source| SecretError::Io { path: self.lock_path.clone(), source })?;
        let mut entries = self.read()?;
        let outcome = change(&mut entries);
        self.write(&entries)?;
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
        let entries = self.read()?;
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

/// The file's envelope, or `None` when there is no file yet.
fn read_envelope(path: &Path) -> Result<Option<Envelope>, SecretError> {
    match input::read_capped(path, SECRETS_FILE) {
        Ok(bytes) => Envelope::parse(&bytes, FORMAT).map(Some).map_err(|error| envelope_error(path, error)),
        Err(InputError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(InputError::Io { source, .. }) => Err(SecretError::Io { path: path.to_owned(), source }),
        Err(refused @ (InputError::TooLarge { .. } | InputError::NotText { .. })) => Err(corrupt(path, refused.to_string())),
    }
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
