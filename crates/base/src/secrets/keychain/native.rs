//! Windows' Credential Manager and macOS's Keychain through `keyring` 3:
//! no session to open there, each call goes straight to the OS.

use crate::secrets::{SecretBytes, SecretError, SecretName};

/// No session to open ahead here.
pub(in crate::secrets) fn open_ahead() {}

fn entry(namespace: &str, name: &SecretName) -> Result<keyring::Entry, SecretError> {
    keyring::Entry::new(namespace, name.as_str()).map_err(classify)
}

pub(super) fn put(namespace: &str, name: &SecretName, secret: &[u8]) -> Result<(), SecretError> {
    entry(namespace, name)?.set_secret(secret).map_err(classify)
}

pub(super) fn get(namespace: &str, name: &SecretName) -> Result<Option<SecretBytes>, SecretError> {
    match entry(namespace, name)?.get_secret() {
        Ok(bytes) => Ok(Some(SecretBytes::new(bytes))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(error) => Err(classify(error)),
    }
}

pub(super) fn delete(namespace: &str, name: &SecretName) -> Result<bool, SecretError> {
    match entry(namespace, name)?.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring::Error::NoEntry) => Ok(false),
        Err(error) => Err(classify(error)),
    }
}

/// Maps keyring's errors without ever carrying a secret along:
/// `BadEncoding` holds the stored bytes, so only its name is kept.
fn classify(error: keyring::Error) -> SecretError {
    match error {
        keyring::Error::PlatformFailure(source) => SecretError::KeychainUnavailable {
            detail: source.to_string(),
        },
        keyring::Error::NoStorageAccess(source) => SecretError::KeychainLocked {
            detail: source.to_string(),
        },
        keyring::Error::BadEncoding(_) => SecretError::Keychain {
            detail: "stored item is not in the expected encoding".into(),
        },
        keyring::Error::Ambiguous(items) => SecretError::Keychain {
            detail: format!("{} keychain items match one name", items.len()),
        },
        other => SecretError::Keychain {
            detail: other.to_string(),
        },
    }
}
