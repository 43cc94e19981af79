//! The OS keychain. Each secret is one keychain item: service = the
//! store's namespace, account = the [`SecretName`]. On Linux the Secret
//! Service over one D-Bus session per process ([`secret_service`]); on
//! Windows and macOS `keyring` 3 ([`native`]).

use super::{SecretBackend, SecretBytes, SecretError, SecretName, SecretStore};
use crate::logging;

#[cfg(not(target_os = "linux"))]
mod native;
#[cfg(target_os = "linux")]
mod secret_service;
#[cfg(not(target_os = "linux"))]
use native as platform;
#[cfg(target_os = "linux")]
use secret_service as platform;

pub(super) use platform::open_ahead;

/// The keychain namespace of the installed app.
pub const DEFAULT_NAMESPACE: &str = "sa.fatoora-onboard";

/// Windows Credential Manager's CRED_MAX_CREDENTIAL_BLOB_SIZE (5 × 512
/// bytes). Enforced on every platform, so a secret that fits the Linux
/// Secret Service in tests also fits a Windows user's Credential Manager,
/// and a backup made on Linux restores there. What the app keeps today is
/// far below it: a secp256k1 PKCS#8 PEM key is about 230 bytes, a CSID
/// secret about 45, the OTP salt 32. Certificates and binarySecurityTokens
/// (often larger) are not secret and live in the database.
pub const MAX_SECRET_BYTES: usize = 2560;

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
}

impl SecretStore for KeyringStore {
    fn put(&self, name: &SecretName, secret: &SecretBytes) -> Result<(), SecretError> {
        logging::redact(secret.expose());
        // Refused rather than split over several items: a split secret could
        // be left half-written (or half-deleted) by a crash, and nothing the
        // app keeps needs more than one item.
        if secret.expose().len() > MAX_SECRET_BYTES {
            return Err(SecretError::TooLargeForKeychain {
                name: name.to_string(),
                size: secret.expose().len(),
                limit: MAX_SECRET_BYTES,
            });
        }
        platform::put(&self.namespace, name, secret.expose())?;
        tracing::info!(name = %name, store = "keychain", "secret stored");
        Ok(())
    }

    fn get(&self, name: &SecretName) -> Result<Option<SecretBytes>, SecretError> {
        let secret = platform::get(&self.namespace, name)?;
        if let Some(secret) = &secret {
            logging::redact(secret.expose());
        }
        Ok(secret)
    }

    fn delete(&self, name: &SecretName) -> Result<bool, SecretError> {
        let deleted = platform::delete(&self.namespace, name)?;
        if deleted {
            tracing::info!(name = %name, store = "keychain", "secret deleted");
        }
        Ok(deleted)
    }

    fn backend(&self) -> SecretBackend {
        SecretBackend::Keychain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> KeyringStore {
        KeyringStore::new(format!("sa.fatoora-onboard.test-limit-{}", std::process::id()))
    }

    /// Checked before the keychain is reached, so this runs (and must pass)
    /// on a machine without any keychain too.
    #[test]
    fn a_secret_over_credential_managers_limit_is_refused_in_both_languages() {
        let name = SecretName::new("unit/big/local/private-key").unwrap();
        let secret = SecretBytes::new(vec![b'k'; MAX_SECRET_BYTES + 1]);
        let error = store().put(&name, &secret).unwrap_err();
        assert!(
            matches!(error, SecretError::TooLargeForKeychain { size: 2561, limit: 2560, .. }),
            "{error:?}"
        );
        let explained = error.explain();
        for text in [&explained.en, &explained.ar] {
            assert!(text.contains("unit/big/local/private-key"), "{text}");
            assert!(text.contains("2561") && text.contains("2560"), "{text}");
            assert!(text.contains("FATOORA_ONBOARD_SECRET_STORE=file"), "{text}");
            assert!(!text.contains("kkkk"), "the secret itself never reaches the message");
        }
        assert!(explained.en.contains("Credential Manager"));
        assert!(explained.ar.contains("مدير بيانات الاعتماد"));
    }

    /// The largest allowed secret goes through the real keychain (the Secret
    /// Service under scripts/with-secret-service.sh, Credential Manager on
    /// Windows) and comes back whole.
    #[test]
    fn a_secret_of_exactly_the_limit_is_stored_whole() {
        let store = store();
        if let Some(reason) = crate::skip::keychain_missing(&store) {
            crate::skip::skip(reason);
            return;
        }
        let name = SecretName::new("unit/limit/local/csid-secret").unwrap();
        let secret: Vec<u8> = (0..MAX_SECRET_BYTES).map(|i| (i % 251) as u8).collect();
        store.put(&name, &SecretBytes::new(secret.clone())).unwrap();
        assert_eq!(store.get(&name).unwrap().unwrap().expose(), &secret);
        assert!(store.delete(&name).unwrap());
    }
}
