//! Passphrase sealing: Argon2id (RFC 9106's second recommended setting)
//! then XChaCha20-Poly1305, the header authenticated as associated data.

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::rand_core::RngCore;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use fatoora_core::secrets::Passphrase;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::CustodyError;

pub const FORMAT: &str = "fatoora-onboard-backup";
pub const FORMAT_VERSION: u32 = 1;
const CIPHER: &str = "xchacha20poly1305";
const MEMORY_KIB: u32 = 64 * 1024;
const ITERATIONS: u32 = 3;
const PARALLELISM: u32 = 1;
/// The KDF runs before the file is authenticated: a crafted header must not
/// make it allocate or spin without bound.
const MAX_MEMORY_KIB: u32 = 1024 * 1024;
const MAX_ITERATIONS: u32 = 16;
const MAX_PARALLELISM: u32 = 16;

#[derive(Debug, Clone, Serialize, Deserialize)]
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
struct Sealed {
    #[serde(flatten)]
    header: Header,
    nonce: String,
    ciphertext: String,
}

fn derive_key(passphrase: &Passphrase, kdf: &Kdf) -> Result<Zeroizing<[u8; 32]>, CustodyError> {
    let not_a_backup = |detail: String| CustodyError::NotABackup { detail };
    if kdf.algorithm != "argon2id"
        || kdf.memory_kib > MAX_MEMORY_KIB
        || kdf.iterations > MAX_ITERATIONS
        || kdf.parallelism == 0
        || kdf.parallelism > MAX_PARALLELISM
    {
        return Err(not_a_backup(format!("unsupported key derivation {} m={} t={} p={}", kdf.algorithm, kdf.memory_kib, kdf.iterations, kdf.parallelism)));
    }
    let salt = BASE64.decode(&kdf.salt).map_err(|e| not_a_backup(format!("salt: {e}")))?;
    let params = Params::new(kdf.memory_kib, kdf.iterations, kdf.parallelism, Some(32)).map_err(|e| not_a_backup(format!("key derivation: {e}")))?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.expose().as_bytes(), &salt, key.as_mut())
        .map_err(|e| not_a_backup(format!("key derivation: {e}")))?;
    Ok(key)
}

/// Encrypts `plaintext` under a key derived from `passphrase` with a fresh
/// salt and nonce.
pub fn seal(plaintext: &[u8], passphrase: &Passphrase) -> Result<Vec<u8>, CustodyError> {
    if passphrase.expose().chars().count() < Passphrase::MIN_CHARS {
        return Err(CustodyError::WeakPassphrase { min: Passphrase::MIN_CHARS });
    }
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    let header = Header {
        format: FORMAT.into(),
        version: FORMAT_VERSION,
        cipher: CIPHER.into(),
        kdf: Kdf { algorithm: "argon2id".into(), memory_kib: MEMORY_KIB, iterations: ITERATIONS, parallelism: PARALLELISM, salt: BASE64.encode(salt) },
    };
    let key = derive_key(passphrase, &header.kdf)?;
    let aad = serde_json::to_vec(&header).expect("a header always serializes");
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let ciphertext = XChaCha20Poly1305::new(key.as_ref().into())
        .encrypt(&nonce, Payload { msg: plaintext, aad: &aad })
        .map_err(|_| CustodyError::NotABackup { detail: "encryption failed".into() })?;
    let sealed = Sealed { header, nonce: BASE64.encode(nonce), ciphertext: BASE64.encode(ciphertext) };
    Ok(serde_json::to_vec_pretty(&sealed).expect("a sealed file always serializes"))
}

/// Decrypts a file made by [`seal`]. Wrong passphrase and altered bytes both
/// give [`CustodyError::WrongPassphrase`].
pub fn open(file: &[u8], passphrase: &Passphrase) -> Result<Zeroizing<Vec<u8>>, CustodyError> {
    let sealed: Sealed = serde_json::from_slice(file).map_err(|e| CustodyError::NotABackup { detail: e.to_string() })?;
    let header = &sealed.header;
    if header.format != FORMAT || header.cipher != CIPHER {
        return Err(CustodyError::NotABackup { detail: format!("format {:?}, cipher {:?}", header.format, header.cipher) });
    }
    if header.version > FORMAT_VERSION {
        return Err(CustodyError::TooNew { found: header.version });
    }
    let nonce = BASE64.decode(&sealed.nonce).ok().filter(|n| n.len() == 24).ok_or(CustodyError::WrongPassphrase)?;
    let ciphertext = BASE64.decode(&sealed.ciphertext).map_err(|_| CustodyError::WrongPassphrase)?;
    let key = derive_key(passphrase, &header.kdf)?;
    let aad = serde_json::to_vec(header).expect("a header always serializes");
    XChaCha20Poly1305::new(key.as_ref().into())
        .decrypt(XNonce::from_slice(&nonce), Payload { msg: &ciphertext, aad: &aad })
        .map(Zeroizing::new)
        .map_err(|_| CustodyError::WrongPassphrase)
}
