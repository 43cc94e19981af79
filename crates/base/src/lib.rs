//! The domain of Fatoora Onboard, free of any UI: the FATOORA environments,
//! validated values, storage and secret custody. The Tauri app and the CLI are
//! thin shells over this crate and its siblings.
#![cfg_attr(all(not(test), target_os = "linux"), deny(unused_crate_dependencies))]

pub mod environment;
pub mod i18n;
pub mod input;
pub mod logging;
pub mod paths;
pub mod reference;
pub mod secrets;
pub mod session;
pub mod skip;
pub mod store;
pub mod values;

pub use environment::Environment;
pub use i18n::Localized;
pub use paths::DataDir;
pub use secrets::{SecretName, SecretStore, Sensitive};
pub use session::Session;
pub use store::Store;
