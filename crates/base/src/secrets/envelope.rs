//! The passphrase envelope shared by the encrypted secrets file and the
//! backup file: one JSON object holding a plain header (format name and
//! version, cipher, Argon2id parameters and salt), a nonce and the
//! XChaCha20-Poly1305 ciphertext. The header is the ciphertext's associated
//! data, so altering the parameters is detected like altering the
//! ciphertext, and a wrong passphrase and a tampered file look the same
//! ([`EnvelopeError::WrongPassphrase`]).
//!
//! The KDF runs before anything is authenticated, so the header's cost
//! parameters must sit in [`KdfWindow::ACCEPTED`] first: a crafted file
//! costs at most a few times a normal one.

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::rand_core::RngCore;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{Passphrase, Sensitive};

const CIPHER: &str = "xchacha20poly1305";
const KDF: &str = "argon2id";
const NONCE_LEN: usize = 24;

/// The Argon2id cost a header may ask for. Opening a crafted file (a backup
/// someone hands over, a tampered secrets file) then costs at most
/// [`KdfWindow::FACTOR`] times a normal one, in memory and in work. There
/// is no floor beyond Argon2's own minimums: a cheaper header costs less,
/// and cannot weaken a real file, since the header is the AEAD's associated
/// data (a lowered cost opens nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfWindow {
    pub max_memory_kib: u32,
    pub max_iterations: u32,
    pub max_parallelism: u32,
    /// Memory × passes, in KiB-passes: the KDF's work.
    pub max_work: u64,
}

impl KdfWindow {
    /// What [`SealingKey::create`] writes: RFC 9106's second recommended
    /// setting (64 MiB, 3 passes), one lane.
    pub const WRITTEN_MEMORY_KIB: u32 = 64 * 1024;
    pub const WRITTEN_ITERATIONS: u32 = 3;
    pub const WRITTEN_PARALLELISM: u32 = 1;
    /// Room for a later version to raise the cost without this one refusing
    /// its files, small enough that a hostile file stays affordable.
    pub const FACTOR: u32 = 4;

    pub const ACCEPTED: KdfWindow = KdfWindow {
        max_memory_kib: Self::FACTOR * Self::WRITTEN_MEMORY_KIB,
        max_iterations: Self::FACTOR * Self::WRITTEN_ITERATIONS,
        // Argon2 splits the memory among the lanes: they add no work.
        max_parallelism: Self::FACTOR,
        max_work: Self::FACTOR as u64 * Self::WRITTEN_MEMORY_KIB as u64 * Self::WRITTEN_ITERATIONS as u64,
    };

    pub fn admits(&self, memory_kib: u32, iterations: u32, parallelism: u32) -> bool {
        memory_kib <= self.max_memory_kib
            && iterations <= self.max_iterations
            && parallelism <= self.max_parallelism
            && u64::from(memory_kib) * u64::from(iterations) <= self.max_work
    }
}

/// Which kind of file an envelope is, and the newest version this build reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format {
    pub name: &'static str,
    pub version: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Kdf {
    algorithm: String,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    salt: String,
}

/// Field order matters: its JSON is the associated data of files already
/// written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    cipher: String,
    kdf: Kdf,
}

/// A parsed envelope whose header passed the checks; not yet decrypted.
#[derive(Serialize, Deserialize)]
pub struct Envelope {
    #[serde(flatten)]
    header: Header,
    nonce: String,
    ciphertext: String,
}

impl Envelope {
    /// Parses `bytes` as an envelope of `format` and checks its header.
    pub fn parse(bytes: &[u8], format: Format) -> Result<Self, EnvelopeError> {
        let envelope: Envelope = serde_json::from_slice(bytes).map_err(|error| EnvelopeError::Malformed {
            detail: format!("not a {} file: {error}", format.name),
        })?;
        let header = &envelope.header;
        if header.format != format.name {
            return Err(EnvelopeError::Malformed { detail: format!("format is {:?}", header.format) });
        }
        if header.version > format.version {
            return Err(EnvelopeError::TooNew { found: header.version });
        }
        let kdf = &header.kdf;
        if header.cipher != CIPHER || kdf.algorithm != KDF {
            return Err(EnvelopeError::Malformed {
                detail: format!("unsupported cipher {:?} or key derivation {:?}", header.cipher, kdf.algorithm),
            });
        }
        if !KdfWindow::ACCEPTED.admits(kdf.memory_kib, kdf.iterations, kdf.parallelism) {
            return Err(EnvelopeError::KdfTooCostly {
                memory_kib: kdf.memory_kib,
                iterations: kdf.iterations,
                parallelism: kdf.parallelism,
            });
        }
        Ok(envelope)
    }

    /// The file's bytes (pretty JSON, as every version wrote them).
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("an envelope of strings and integers always serializes")
    }
}

/// A key derived from a passphrase with one header's parameters: derived
/// once, it seals any number of payloads under fresh nonces.
pub struct SealingKey {
    header: Header,
    key: Sensitive<[u8; 32]>,
}

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealingKey").field("format", &self.header.format).finish_non_exhaustive()
    }
}

impl SealingKey {
    /// A new key for a new file: a fresh salt, today's parameters, and a
    /// passphrase of at least [`Passphrase::MIN_CHARS`] characters.
    pub fn create(format: Format, passphrase: &Passphrase) -> Result<Self, EnvelopeError> {
        Self::create_with_cost(format, passphrase, KdfWindow::WRITTEN_MEMORY_KIB, KdfWindow::WRITTEN_ITERATIONS)
    }

    /// Tests and fuzzing only: a key whose KDF costs next to nothing, so a
    /// run reaches what comes after it thousands of times a second. Files
    /// sealed with it read like any other.
    #[cfg(any(test, feature = "test-support"))]
    pub fn create_cheap(format: Format, passphrase: &Passphrase) -> Result<Self, EnvelopeError> {
        Self::create_with_cost(format, passphrase, 8, 1)
    }

    fn create_with_cost(format: Format, passphrase: &Passphrase, memory_kib: u32, iterations: u32) -> Result<Self, EnvelopeError> {
        if passphrase.expose().chars().count() < Passphrase::MIN_CHARS {
            return Err(EnvelopeError::WeakPassphrase { min: Passphrase::MIN_CHARS });
        }
        let mut salt = [0u8; 16];
        OsRng.fill_bytes(&mut salt);
        let header = Header {
            format: format.name.into(),
            version: format.version,
            cipher: CIPHER.into(),
            kdf: Kdf {
                algorithm: KDF.into(),
                memory_kib,
                iterations,
                parallelism: KdfWindow::WRITTEN_PARALLELISM,
                salt: BASE64.encode(salt),
            },
        };
        Self::derive(header, passphrase)
    }

    /// The key that opens `envelope`, if `passphrase` is right (known only
    /// when [`SealingKey::open`] authenticates).
    pub fn for_envelope(envelope: &Envelope, passphrase: &Passphrase) -> Result<Self, EnvelopeError> {
        Self::derive(envelope.header.clone(), passphrase)
    }

    fn derive(header: Header, passphrase: &Passphrase) -> Result<Self, EnvelopeError> {
        let kdf = &header.kdf;
        let salt = BASE64
            .decode(&kdf.salt)
            .map_err(|_| EnvelopeError::Malformed { detail: "salt is not base64".into() })?;
        let params = Params::new(kdf.memory_kib, kdf.iterations, kdf.parallelism, Some(32))
            .map_err(|error| EnvelopeError::Malformed { detail: format!("key-derivation parameters: {error}") })?;
        let mut key = Sensitive::new([0u8; 32]);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(passphrase.expose().as_bytes(), &salt, key.expose_mut())
            .map_err(|error| EnvelopeError::Malformed { detail: format!("key derivation: {error}") })?;
        Ok(Self { header, key })
    }

    /// Whether `envelope` was written with this key's parameters and salt
    /// (another writer re-creating the file under another passphrase
    /// changes the salt).
    pub fn same_header(&self, envelope: &Envelope) -> bool {
        self.header == envelope.header
    }

    pub fn seal(&self, plaintext: &[u8]) -> Envelope {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ciphertext = self
            .cipher()
            .encrypt(&nonce, Payload { msg: plaintext, aad: &associated_data(&self.header) })
            .expect("XChaCha20-Poly1305 encrypts any payload that fits in memory");
        Envelope { header: self.header.clone(), nonce: BASE64.encode(nonce), ciphertext: BASE64.encode(ciphertext) }
    }

    pub fn open(&self, envelope: &Envelope) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
        let nonce = BASE64
            .decode(&envelope.nonce)
            .ok()
            .filter(|nonce| nonce.len() == NONCE_LEN)
            .ok_or_else(|| EnvelopeError::Malformed { detail: "the nonce is not 24 bytes of base64".into() })?;
        let ciphertext = BASE64
            .decode(&envelope.ciphertext)
            .map_err(|_| EnvelopeError::Malformed { detail: "the ciphertext is not base64".into() })?;
        self.cipher()
            .decrypt(
                XNonce::from_slice(&nonce),
                Payload { msg: &ciphertext, aad: &associated_data(&envelope.header) },
            )
            .map(Zeroizing::new)
            .map_err(|_| EnvelopeError::WrongPassphrase)
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.key.expose().into())
    }
}

fn associated_data(header: &Header) -> Vec<u8> {
    serde_json::to_vec(header).expect("a header of strings and integers always serializes")
}

/// What went wrong with an envelope. The file store and the backup turn it
/// into their own errors, which name the file and say what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("wrong passphrase, or the file was altered")]
    WrongPassphrase,
    #[error("{detail}")]
    Malformed { detail: String },
    #[error("written by a newer version (format {found})")]
    TooNew { found: u32 },
    /// Outside [`KdfWindow::ACCEPTED`]; refused before the KDF runs.
    #[error("the key derivation asks for {memory_kib} KiB, {iterations} passes and {parallelism} lanes, more than this version accepts")]
    KdfTooCostly { memory_kib: u32, iterations: u32, parallelism: u32 },
    #[error("the passphrase is too short: at least {min} characters")]
    WeakPassphrase { min: usize },
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEST: Format = Format { name: "fatoora-onboard-test", version: 1 };

    fn passphrase() -> Passphrase {
        Passphrase::new("a long enough passphrase".into())
    }

    #[test]
    fn seals_and_opens_and_refuses_another_passphrase() {
        let key = SealingKey::create(TEST, &passphrase()).unwrap();
        let bytes = key.seal(b"payload").to_bytes();
        let envelope = Envelope::parse(&bytes, TEST).unwrap();
        let again = SealingKey::for_envelope(&envelope, &passphrase()).unwrap();
        assert_eq!(&again.open(&envelope).unwrap()[..], b"payload");
        let other = SealingKey::for_envelope(&envelope, &Passphrase::new("another passphrase!".into())).unwrap();
        assert_eq!(other.open(&envelope).unwrap_err(), EnvelopeError::WrongPassphrase);
    }

    #[test]
    fn a_crafted_header_cannot_ask_for_unbounded_work() {
        let bytes = SealingKey::create(TEST, &passphrase()).unwrap().seal(b"x").to_bytes();
        let text = String::from_utf8(bytes).unwrap();
        for (from, to) in [
            ("\"memory_kib\": 65536", "\"memory_kib\": 4294967295"),
            ("\"iterations\": 3", "\"iterations\": 1000000"),
            ("\"parallelism\": 1", "\"parallelism\": 4096"),
        ] {
            let crafted = text.replace(from, to);
            assert_ne!(crafted, text, "{from} not found");
            let error = Envelope::parse(crafted.as_bytes(), TEST).err().expect("accepted");
            assert!(matches!(error, EnvelopeError::KdfTooCostly { .. }), "{error:?}");
        }
        // No lanes at all passes the window; Argon2 itself refuses it, still before any work.
        let crafted = text.replace("\"parallelism\": 1", "\"parallelism\": 0");
        let envelope = Envelope::parse(crafted.as_bytes(), TEST).unwrap();
        let error = SealingKey::for_envelope(&envelope, &passphrase()).unwrap_err();
        assert!(matches!(error, EnvelopeError::Malformed { ref detail } if detail.contains("key-derivation parameters")), "{error:?}");
        let newer = text.replace("\"version\": 1", "\"version\": 2");
        assert_eq!(Envelope::parse(newer.as_bytes(), TEST).err(), Some(EnvelopeError::TooNew { found: 2 }));
        let foreign = Envelope::parse(text.as_bytes(), Format { name: "fatoora-onboard-other", version: 1 }).err();
        assert!(matches!(foreign, Some(EnvelopeError::Malformed { .. })));
    }

    #[test]
    fn what_we_write_opens_and_the_window_bounds_memory_passes_lanes_and_their_product() {
        let key = SealingKey::create(TEST, &passphrase()).unwrap();
        let kdf = &key.header.kdf;
        assert!(KdfWindow::ACCEPTED.admits(kdf.memory_kib, kdf.iterations, kdf.parallelism));
        let admits = |memory_kib, iterations, parallelism| KdfWindow::ACCEPTED.admits(memory_kib, iterations, parallelism);
        assert!(admits(256 * 1024, 3, 1), "four times the memory, the usual passes");
        assert!(admits(64 * 1024, 12, 4), "four times the passes");
        assert!(admits(8, 1, 1), "cheaper than ours");
        assert!(!admits(256 * 1024 + 1, 1, 1));
        assert!(!admits(8, 13, 1));
        assert!(!admits(64 * 1024, 3, 5));
        assert!(!admits(128 * 1024, 7, 1), "each within bounds, together over four times the work");
    }

    #[test]
    fn a_short_passphrase_cannot_create_a_file() {
        let error = SealingKey::create(TEST, &Passphrase::new("short".into())).unwrap_err();
        assert_eq!(error, EnvelopeError::WeakPassphrase { min: Passphrase::MIN_CHARS });
    }
}
