//! What the window's commands share: the store, opened once at start-up in
//! the same data directory the CLI uses.

use std::sync::{Mutex, PoisonError};

use fatoora_core::paths::DataDirError;
use fatoora_core::store::StoreError;
use fatoora_core::{DataDir, Localized, Store};
use serde::Serialize;
use specta::Type;

/// A message in both UI languages, mirroring `fatoora_core::Localized`
/// (the core stays free of Tauri and specta).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct LocalizedText {
    pub en: String,
    pub ar: String,
}

impl From<Localized> for LocalizedText {
    fn from(text: Localized) -> Self {
        Self { en: text.en, ar: text.ar }
    }
}

/// Why a command failed, with what to do next, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct CommandError {
    pub message: LocalizedText,
}

impl From<&StoreError> for CommandError {
    fn from(error: &StoreError) -> Self {
        Self { message: error.explain().into() }
    }
}

impl From<StoreError> for CommandError {
    fn from(error: StoreError) -> Self {
        (&error).into()
    }
}

impl From<DataDirError> for CommandError {
    fn from(error: DataDirError) -> Self {
        Self { message: error.explain().into() }
    }
}

pub struct Shell {
    /// A store that could not be opened stays an error: the window still
    /// opens and shows it, instead of the app vanishing at start-up.
    store: Result<Mutex<Store>, CommandError>,
}

impl Shell {
    /// Resolves the data directory as the CLI does (`FATOORA_ONBOARD_HOME`,
    /// else the platform's app-data folder), starts the log file there and
    /// opens the store.
    pub fn start() -> Self {
        let data_dir = match DataDir::resolve(None) {
            Ok(data_dir) => data_dir,
            Err(error) => return Self { store: Err(error.into()) },
        };
        if let Err(error) = fatoora_core::logging::init(&data_dir) {
            // The app works without a log file; say why there is none.
            eprintln!("fatoora-onboard-app: no log file: {error}");
        }
        tracing::info!(version = env!("CARGO_PKG_VERSION"), data_dir = %data_dir.root().display(), "app starting");
        Self::open(&data_dir)
    }

    pub fn open(data_dir: &DataDir) -> Self {
        let store = Store::open(data_dir).map(Mutex::new).map_err(|error| {
            tracing::error!(%error, "the store could not be opened");
            CommandError::from(error)
        });
        Self { store }
    }

    pub fn with_store<T>(
        &self,
        work: impl FnOnce(&Store) -> Result<T, StoreError>,
    ) -> Result<T, CommandError> {
        let store = self.store.as_ref().map_err(Clone::clone)?;
        // A command that panicked mid-way leaves nothing half-written in
        // SQLite (each write is its own transaction), so the store stays usable.
        let store = store.lock().unwrap_or_else(PoisonError::into_inner);
        work(&store).map_err(|error| {
            tracing::error!(%error, "store operation failed");
            CommandError::from(error)
        })
    }
}
