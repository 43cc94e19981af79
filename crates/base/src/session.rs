//! What a command works with: the data folder, its store, the secret store
//! the user chose and the environment. The CLI, the app, batch and custody
//! open it here one way, so they always agree on where things are.

use std::path::Path;

use crate::environment::Environment;
use crate::i18n::Localized;
use crate::paths::{DataDir, DataDirError};
use crate::secrets::{SecretBackend, SecretError, SecretStore, open_secret_store};
use crate::store::{Store, StoreError};

/// An open data folder: store, secrets and the environment to work in.
pub struct Session {
    /// Where the database, the logs and the secrets file live.
    pub data_dir: DataDir,
    /// The SQLite store in `data_dir`.
    pub store: Store,
    /// The keychain or the encrypted file, as the user chose.
    pub secrets: Box<dyn SecretStore>,
    /// The saved environment, unless the caller chose another.
    pub environment: Environment,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("data_dir", &self.data_dir).field("environment", &self.environment).finish_non_exhaustive()
    }
}

/// Why a session could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// No data folder could be found or made.
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    /// The database could not be opened (it is left untouched).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The secret store could not be opened.
    #[error(transparent)]
    Secrets(#[from] SecretError),
}

impl SessionError {
    /// What happened and what to do next, in both languages.
    pub fn explain(&self) -> Localized {
        match self {
            SessionError::DataDir(error) => error.explain(),
            SessionError::Store(error) => error.explain(),
            SessionError::Secrets(error) => error.explain(),
        }
    }
}

impl Session {
    /// Resolves the data folder as [`DataDir::resolve`] does, then [`Session::open`].
    pub fn resolve(explicit: Option<&Path>) -> Result<Self, SessionError> {
        Self::open(&DataDir::resolve(explicit)?)
    }

    /// Opens the store in `data_dir` and the secret store chosen with
    /// [`crate::secrets::BACKEND_VAR`] (the file store asks for its passphrase).
    pub fn open(data_dir: &DataDir) -> Result<Self, SessionError> {
        let store = Store::open(data_dir)?;
        Self::with_secrets(data_dir, store, open_secrets(data_dir)?)
    }

    /// A session over a store and secret store already open (tests give an
    /// in-memory secret store).
    pub fn with_secrets(data_dir: &DataDir, store: Store, secrets: Box<dyn SecretStore>) -> Result<Self, SessionError> {
        let environment = store.environment()?;
        Ok(Self { data_dir: data_dir.clone(), store, secrets, environment })
    }

    /// The same session working in `environment` instead of the saved one.
    pub fn in_environment(self, environment: Option<Environment>) -> Self {
        Self { environment: environment.unwrap_or(self.environment), ..self }
    }
}

/// The secret store the user chose, alone: for a restore, which replaces
/// the database file and so must not hold it open.
pub fn open_secrets(data_dir: &DataDir) -> Result<Box<dyn SecretStore>, SessionError> {
    Ok(open_secret_store(data_dir, SecretBackend::from_env()?)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::{MemorySecretStore, SecretName, Sensitive};

    #[test]
    fn a_session_works_in_the_saved_environment_unless_told_otherwise() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = DataDir::at(dir.path());
        let store = Store::open(&data_dir).unwrap();
        store.set_environment(Environment::Simulation).unwrap();
        let session = Session::with_secrets(&data_dir, store, Box::new(MemorySecretStore::default())).unwrap();
        assert_eq!(session.environment, Environment::Simulation);
        let name = SecretName::new("unit/u/local/private-key").unwrap();
        session.secrets.put(&name, &Sensitive::new(b"key".to_vec())).unwrap();
        assert!(session.secrets.get(&name).unwrap().is_some());
        assert_eq!(session.in_environment(Some(Environment::Local)).environment, Environment::Local);
    }

    #[test]
    fn an_unknown_secret_store_is_refused_in_both_languages() {
        let error = SessionError::from(SecretError::UnknownBackend { given: "vault".into() });
        let message = error.explain();
        assert!(message.en.contains("vault") && message.ar.contains("vault"), "{message:?}");
    }
}
