//! Commands the web UI may call. Each returns plain data types that derive
//! `specta::Type`, so the TypeScript side is generated, never hand-written.

use fatoora_core::{Environment, Localized};
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct EnvironmentInfo {
    /// `local`, `sandbox`, `simulation` or `production`.
    pub id: String,
    pub label: LocalizedText,
    /// False for `local`: the UI then says nothing is sent to ZATCA.
    pub reaches_zatca: bool,
}

impl From<Environment> for EnvironmentInfo {
    fn from(environment: Environment) -> Self {
        Self {
            id: environment.id().to_owned(),
            label: environment.label().into(),
            reaches_zatca: environment.reaches_zatca(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct AppInfo {
    pub version: String,
    pub environment: EnvironmentInfo,
}

/// What the home screen shows: the app's version and the active environment.
#[tauri::command]
#[specta::specta]
pub fn app_info() -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        // [INF] Until the store keeps a chosen environment, a fresh install's
        // default (`local`) is the active one.
        environment: Environment::default().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_install_reports_local_with_both_labels() {
        let info = app_info();
        assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
        assert_eq!(info.environment.id, "local");
        assert!(!info.environment.reaches_zatca);
        assert!(info.environment.label.en.contains("nothing is sent to ZATCA"));
        assert!(info.environment.label.ar.contains("الهيئة"));
    }

    #[test]
    fn real_environments_say_they_reach_zatca() {
        for environment in [Environment::Sandbox, Environment::Simulation, Environment::Production] {
            let info = EnvironmentInfo::from(environment);
            assert!(info.reaches_zatca, "{environment} must be marked as reaching ZATCA");
            assert_eq!(info.id, environment.id());
        }
    }
}
