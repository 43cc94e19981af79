//! The OS keychain through `keyring` 3. Each secret is one keychain item:
//! service = the store's namespace, account = the [`SecretName`].

use super::{SecretBackend, SecretBytes, SecretError, SecretName, SecretStore};
use crate::logging;

/// The keychain namespace of the installed app.
pub const DEFAULT_NAMESPACE: &str = "sa.fatoora-onboard";

#[derive(Debug, Clone)]
pub struct KeyringStore {
    namespace: String,
}

impl Default for KeyringStore {
    fn default() -> Self {
        Self::new(DEFAULT_NAMESPACE)
    }
}

impl KeyringStore {
    /// A separate namespace keeps tests (and other builds) from ever reading
    /// or deleting the user's real keys.
    pub fn new(namespace: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
        }
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// Reaches the keychain without storing anything, so a missing keychain
    /// is reported before the user has typed anything worth losing.
    pub fn probe(&self) -> Result<(), SecretError> {
        self.get(&SecretName::new("probe/keychain-reachable")?).map(drop)
    }

    fn entry(&self, name: &SecretName) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(&self.namespace, name.as_str()).map_err(classify)
    }
}

impl SecretStore for KeyringStore {
    fn put(&self, name: &SecretName, secret: &SecretBytes) -> Result<(), SecretError> {
        logging::redact(secret.expose());
        self.entry(name)?.set_secret(secret.expose()).map_err(classify)?;
        tracing::info!(name = %name, store = "keychain", "secret stored");
        Ok(())
    }

    fn get(&self, name: &SecretName) -> Result<Option<SecretBytes>, SecretError> {
        match self.entry(name)?.get_secret() {
            Ok(bytes) => {
                let secret = SecretBytes::new(bytes);
                logging::redact(secret.expose());
                Ok(Some(secret))
            }
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(error) => Err(classify(error)),
        }
    }

    fn delete(&self, name: &SecretName) -> Result<bool, SecretError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) => {
                tracing::info!(name = %name, store = "keychain", "secret deleted");
                Ok(true)
            }
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(error) => Err(classify(error)),
        }
    }

    fn backend(&self) -> SecretBackend {
        SecretBackend::Keychain
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
