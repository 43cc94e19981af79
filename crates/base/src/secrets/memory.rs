//! An in-memory [`SecretStore`] for tests of code above the trait; it stands
//! in for the Windows and macOS keychains, which cannot run on Linux CI.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::{SecretBackend, SecretBytes, SecretError, SecretName, SecretStore};
use crate::logging;

#[derive(Debug, Default)]
pub struct MemorySecretStore {
    entries: Mutex<BTreeMap<SecretName, SecretBytes>>,
}

impl MemorySecretStore {
    fn entries(&self) -> std::sync::MutexGuard<'_, BTreeMap<SecretName, SecretBytes>> {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl SecretStore for MemorySecretStore {
    fn put(&self, name: &SecretName, secret: &SecretBytes) -> Result<(), SecretError> {
        logging::redact(secret.expose());
        self.entries().insert(name.clone(), secret.clone());
        Ok(())
    }

    fn get(&self, name: &SecretName) -> Result<Option<SecretBytes>, SecretError> {
        Ok(self.entries().get(name).cloned())
    }

    fn delete(&self, name: &SecretName) -> Result<bool, SecretError> {
        Ok(self.entries().remove(name).is_some())
    }

    fn backend(&self) -> SecretBackend {
        SecretBackend::Memory
    }
}
