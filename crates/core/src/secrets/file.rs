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

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::rand_core::RngCore;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{Passphrase, SecretBackend, SecretBytes, SecretError, SecretName, SecretStore, Sensitive};
use crate::logging;

const FORMAT: &str = "fatoora-onboard-secrets";
const FORMAT_VERSION: u32 = 1;
const CIPHER: &str = "xchacha20poly1305";

/// RFC 9106's second recommended setting (64 MiB, 3 passes), one lane.
const MEMORY_KIB: u32 = 64 * 1024;
const ITERATIONS: u32 = 3;
const PARALLELISM: u32 = 1;
/// The KDF runs before the file is authenticated, so a crafted header must
/// not make it allocate or spin without bound.
const MAX_MEMORY_KIB: u32 = 1024 * 1024;
const MAX_ITERATIONS: u32 = 16;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Kdf {
    algorithm: String,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    salt: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    cipher: String,
    kdf: Kdf,
}

#[derive(Serialize, Deserialize)]
struct SealedFile {
    #[serde(flatten)]
    header: Header,
    nonce: String,
    ciphertext: String,
}

/// The decrypted content: name → base64 of the secret bytes.
#[derive(Default, Serialize, Deserialize)]
struct Entries {
    entries: BTreeMap<String, Zeroizing<String>>,
}

pub struct EncryptedFileStore {
    path: PathBuf,
    header: Header,
    key: Sensitive<[u8; 32]>,
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
        match std::fs::read(&path) {
            Ok(bytes) => {
                let sealed: SealedFile = serde_json::from_slice(&bytes)
                    .map_err(|error| corrupt(&path, format!("not a secrets file: {error}")))?;
                check_header(&path, &sealed.header)?;
                let key = derive_key(&path, passphrase, &sealed.header.kdf)?;
                let store = Self {
                    path,
                    header: sealed.header.clone(),
                    key,
                    lock_path: lock_path.clone(),
                };
                store.decrypt(&sealed)?;
                Ok(store)
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Self::create(path, lock_path.clone(), passphrase),
            Err(source) => Err(SecretError::Io { path, source }),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn create(path: PathBuf, lock_path: PathBuf, passphrase: &Passphrase) -> Result<Self, SecretError> {
        if passphrase.expose().chars().count() < Passphrase::MIN_CHARS {
            return Err(SecretError::WeakPassphrase {
                min: Passphrase::MIN_CHARS,
            });
        }
        let mut salt = [0u8; 16];
        OsRng.fill_bytes(&mut salt);
        let header = Header {
            format: FORMAT.into(),
            version: FORMAT_VERSION,
            cipher: CIPHER.into(),
            kdf: Kdf {
                algorithm: "argon2id".into(),
                memory_kib: MEMORY_KIB,
                iterations: ITERATIONS,
                parallelism: PARALLELISM,
                salt: BASE64.encode(salt),
            },
        };
        let key = derive_key(&path, passphrase, &header.kdf)?;
        let store = Self {
            path,
            header,
            key,
            lock_path,
        };
        store.write(&Entries::default())?;
        tracing::info!(path = %store.path.display(), "encrypted secrets file created");
        Ok(store)
    }

    fn read(&self) -> Result<Entries, SecretError> {
        let bytes = std::fs::read(&self.path).map_err(|source| SecretError::Io {
            path: self.path.clone(),
            source,
        })?;
        let sealed: SealedFile = serde_json::from_slice(&bytes)
            .map_err(|error| corrupt(&self.path, format!("not a secrets file: {error}")))?;
        check_header(&self.path, &sealed.header)?;
        if sealed.header.kdf != self.header.kdf {
            // Another process re-created the file under another passphrase.
            return Err(SecretError::WrongPassphrase {
                path: self.path.clone(),
            });
        }
        self.decrypt(&sealed)
    }

    fn decrypt(&self, sealed: &SealedFile) -> Result<Entries, SecretError> {
        let nonce = BASE64
            .decode(&sealed.nonce)
            .map_err(|_| corrupt(&self.path, "nonce is not base64".into()))?;
        if nonce.len() != 24 {
            return Err(corrupt(&self.path, "nonce has the wrong length".into()));
        }
        let ciphertext = BASE64
            .decode(&sealed.ciphertext)
            .map_err(|_| corrupt(&self.path, "ciphertext is not base64".into()))?;
        let aad = associated_data(&sealed.header);
        let plaintext = Zeroizing::new(
            self.cipher()
                .decrypt(
                    XNonce::from_slice(&nonce),
                    Payload {
                        msg: &ciphertext,
                        aad: &aad,
                    },
                )
                .map_err(|_| SecretError::WrongPassphrase {
                    path: self.path.clone(),
                })?,
        );
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
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = associated_data(&self.header);
        let ciphertext = self
            .cipher()
            .encrypt(
                &nonce,
                Payload {
                    msg: &plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| corrupt(&self.path, "encryption failed".into()))?;
        let sealed = SealedFile {
            header: self.header.clone(),
            nonce: BASE64.encode(nonce),
            ciphertext: BASE64.encode(ciphertext),
        };
        let folder = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        // open_lock created the folder. tempfile creates the file readable by the owner only.
        let mut temporary = tempfile::NamedTempFile::new_in(folder).map_err(io_error)?;
        let json = serde_json::to_vec_pretty(&sealed).map_err(|error| corrupt(&self.path, error.to_string()))?;
        temporary.write_all(&json).map_err(io_error)?;
        temporary.as_file().sync_all().map_err(io_error)?;
        temporary.persist(&self.path).map_err(|error| io_error(error.error))?;
        Ok(())
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.key.expose().into())
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

fn check_header(path: &Path, header: &Header) -> Result<(), SecretError> {
    if header.format != FORMAT {
        return Err(corrupt(path, format!("format is {:?}", header.format)));
    }
    if header.version > FORMAT_VERSION {
        return Err(SecretError::FileTooNew {
            path: path.to_owned(),
            found: header.version,
        });
    }
    if header.cipher != CIPHER || header.kdf.algorithm != "argon2id" {
        return Err(corrupt(
            path,
            format!(
                "unsupported cipher {:?} or KDF {:?}",
                header.cipher, header.kdf.algorithm
            ),
        ));
    }
    if header.kdf.memory_kib > MAX_MEMORY_KIB || header.kdf.iterations > MAX_ITERATIONS {
        return Err(corrupt(path, "key-derivation cost out of range".into()));
    }
    Ok(())
}

fn associated_data(header: &Header) -> Vec<u8> {
    serde_json::to_vec(header).expect("a header of strings and integers always serializes")
}

fn derive_key(path: &Path, passphrase: &Passphrase, kdf: &Kdf) -> Result<Sensitive<[u8; 32]>, SecretError> {
    let salt = BASE64
        .decode(&kdf.salt)
        .map_err(|_| corrupt(path, "salt is not base64".into()))?;
    let params = Params::new(kdf.memory_kib, kdf.iterations, kdf.parallelism, Some(32))
        .map_err(|error| corrupt(path, format!("key-derivation parameters: {error}")))?;
    let mut key = Sensitive::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.expose().as_bytes(), &salt, key.expose_mut())
        .map_err(|error| corrupt(path, format!("key derivation: {error}")))?;
    Ok(key)
}
