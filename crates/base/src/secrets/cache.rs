//! A [`SecretStore`] in front of another for one unit's run: each secret
//! crosses to the store (the keychain's D-Bus, the secrets file) once to be
//! read or once to be written, then comes from memory, held as
//! [`SecretBytes`] and zeroized when the run drops the cache.
//!
//! Writes go to the store at once, before the cache remembers them, so a
//! killed run loses nothing the store had; only the copies in memory go.
//! A change another process makes to the same names while the run lasts is
//! not seen: a unit's secrets are written only by the run onboarding it,
//! and one run lasts seconds. For longer-lived holders (the app's window)
//! the store itself is used, which always asks the keychain.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::{SecretBackend, SecretBytes, SecretError, SecretName, SecretStore};

pub struct SecretCache<'a> {
    store: &'a dyn SecretStore,
    /// `None`: the store has nothing under that name.
    known: Mutex<HashMap<SecretName, Option<SecretBytes>>>,
}

impl<'a> SecretCache<'a> {
    pub fn new(store: &'a dyn SecretStore) -> Self {
        Self { store, known: Mutex::new(HashMap::new()) }
    }

    fn known(&self) -> MutexGuard<'_, HashMap<SecretName, Option<SecretBytes>>> {
        self.known.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for SecretCache<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretCache").field("backend", &self.store.backend()).finish_non_exhaustive()
    }
}

impl SecretStore for SecretCache<'_> {
    fn put(&self, name: &SecretName, secret: &SecretBytes) -> Result<(), SecretError> {
        self.store.put(name, secret)?;
        self.known().insert(name.clone(), Some(secret.clone()));
        Ok(())
    }

    fn get(&self, name: &SecretName) -> Result<Option<SecretBytes>, SecretError> {
        if let Some(known) = self.known().get(name) {
            return Ok(known.clone());
        }
        let found = self.store.get(name)?;
        self.known().insert(name.clone(), found.clone());
        Ok(found)
    }

    fn delete(&self, name: &SecretName) -> Result<bool, SecretError> {
        let deleted = self.store.delete(name)?;
        self.known().insert(name.clone(), None);
        Ok(deleted)
    }

    fn backend(&self) -> SecretBackend {
        self.store.backend()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::secrets::MemorySecretStore;

    /// Counts what reaches the store behind the cache.
    #[derive(Default)]
    struct Counting {
        store: MemorySecretStore,
        gets: AtomicUsize,
        puts: AtomicUsize,
    }

    impl SecretStore for Counting {
        fn put(&self, name: &SecretName, secret: &SecretBytes) -> Result<(), SecretError> {
            self.puts.fetch_add(1, Ordering::Relaxed);
            self.store.put(name, secret)
        }
        fn get(&self, name: &SecretName) -> Result<Option<SecretBytes>, SecretError> {
            self.gets.fetch_add(1, Ordering::Relaxed);
            self.store.get(name)
        }
        fn delete(&self, name: &SecretName) -> Result<bool, SecretError> {
            self.store.delete(name)
        }
        fn backend(&self) -> SecretBackend {
            self.store.backend()
        }
    }

    fn name(text: &str) -> SecretName {
        SecretName::new(text).unwrap()
    }

    #[test]
    fn each_secret_crosses_to_the_store_once() {
        let store = Counting::default();
        let key = name("unit/u1/local/private-key");
        let csid = name("unit/u1/local/ccsid-7-secret");
        store.put(&key, &SecretBytes::new(b"the key".to_vec())).unwrap();
        let puts_before = store.puts.load(Ordering::Relaxed);

        let cache = SecretCache::new(&store);
        for _ in 0..3 {
            assert_eq!(cache.get(&key).unwrap().unwrap().expose(), b"the key");
        }
        assert_eq!(store.gets.load(Ordering::Relaxed), 1, "the key read once");

        cache.put(&csid, &SecretBytes::new(b"csid secret".to_vec())).unwrap();
        assert_eq!(store.puts.load(Ordering::Relaxed), puts_before + 1, "written once, at once");
        assert_eq!(store.store.get(&csid).unwrap().unwrap().expose(), b"csid secret", "in the store, not only in memory");
        assert_eq!(cache.get(&csid).unwrap().unwrap().expose(), b"csid secret");
        assert_eq!(store.gets.load(Ordering::Relaxed), 1, "what was written is not read back");

        let missing = name("unit/u1/local/pcsid-9-secret");
        assert!(cache.get(&missing).unwrap().is_none());
        assert!(cache.get(&missing).unwrap().is_none());
        assert_eq!(store.gets.load(Ordering::Relaxed), 2, "absence is remembered too");

        assert!(cache.delete(&key).unwrap());
        assert!(cache.get(&key).unwrap().is_none());
        assert!(store.store.get(&key).unwrap().is_none());
    }

    #[test]
    fn a_failed_write_is_not_remembered() {
        /// A store whose writes all fail, as a locked keychain's do.
        struct Refusing;
        impl SecretStore for Refusing {
            fn put(&self, _: &SecretName, _: &SecretBytes) -> Result<(), SecretError> {
                Err(SecretError::KeychainLocked { detail: "locked".into() })
            }
            fn get(&self, _: &SecretName) -> Result<Option<SecretBytes>, SecretError> {
                Ok(None)
            }
            fn delete(&self, _: &SecretName) -> Result<bool, SecretError> {
                Ok(false)
            }
            fn backend(&self) -> SecretBackend {
                SecretBackend::Memory
            }
        }
        let cache = SecretCache::new(&Refusing);
        let key = name("unit/u1/local/private-key");
        assert!(cache.put(&key, &SecretBytes::new(b"never stored".to_vec())).is_err());
        assert!(cache.get(&key).unwrap().is_none(), "what the store refused is not served from memory");
    }
}
