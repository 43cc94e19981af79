//! Commands the web UI may call. Each is a thin call into the core returning
//! plain types that derive `specta::Type`, so the TypeScript side is
//! generated, never hand-written. A new command also needs its name in
//! build.rs and a permission in capabilities/main-window.json.

use fatoora_base::Environment;
use fatoora_base::i18n::Language;
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::State;

use crate::shell::{CommandError, LocalizedText, Shell};

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

/// The UI languages, mirroring `fatoora_base::i18n::Language`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "lowercase")]
pub enum UiLanguage {
    En,
    Ar,
}

impl From<Language> for UiLanguage {
    fn from(language: Language) -> Self {
        match language {
            Language::En => UiLanguage::En,
            Language::Ar => UiLanguage::Ar,
        }
    }
}

impl From<UiLanguage> for Language {
    fn from(language: UiLanguage) -> Self {
        match language {
            UiLanguage::En => Language::En,
            UiLanguage::Ar => Language::Ar,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct AppInfo {
    pub version: String,
    pub environment: EnvironmentInfo,
    /// The language the user chose last, kept in the store.
    pub language: UiLanguage,
}

/// What the home screen shows: the app's version, the active environment
/// and the user's language.
#[tauri::command]
#[specta::specta]
pub fn app_info(shell: State<'_, Shell>) -> Result<AppInfo, CommandError> {
    read_app_info(&shell)
}

/// Remembers the user's language in the store.
#[tauri::command]
#[specta::specta]
pub fn set_language(shell: State<'_, Shell>, language: UiLanguage) -> Result<(), CommandError> {
    shell.with_store(|store| store.set_language(language.into()))
}

fn read_app_info(shell: &Shell) -> Result<AppInfo, CommandError> {
    shell.with_store(|store| {
        Ok(AppInfo {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            environment: store.environment()?.into(),
            language: store.language()?.into(),
        })
    })
}

#[cfg(test)]
mod tests {
    use fatoora_base::DataDir;

    use super::*;

    fn shell_in(dir: &tempfile::TempDir) -> Shell {
        Shell::open(&DataDir::at(dir.path()))
    }

    #[test]
    fn a_fresh_install_reports_local_in_english() {
        let dir = tempfile::tempdir().unwrap();
        let info = read_app_info(&shell_in(&dir)).unwrap();
        assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
        assert_eq!(info.environment.id, "local");
        assert!(!info.environment.reaches_zatca);
        assert!(info.environment.label.en.contains("nothing is sent to ZATCA"));
        assert!(info.environment.label.ar.contains("الهيئة"));
        assert_eq!(info.language, UiLanguage::En);
    }

    #[test]
    fn the_language_choice_is_kept_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        shell_in(&dir).with_store(|store| store.set_language(Language::Ar)).unwrap();
        assert_eq!(read_app_info(&shell_in(&dir)).unwrap().language, UiLanguage::Ar);
    }

    #[test]
    fn the_environment_comes_from_the_store() {
        let dir = tempfile::tempdir().unwrap();
        shell_in(&dir).with_store(|store| store.set_environment(Environment::Simulation)).unwrap();
        let info = read_app_info(&shell_in(&dir)).unwrap();
        assert_eq!(info.environment.id, "simulation");
        assert!(info.environment.reaches_zatca);
    }

    #[test]
    fn a_damaged_database_is_reported_in_both_languages_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let database = DataDir::at(dir.path()).database();
        let garbage = b"this is not a database, and it must stay exactly like this".repeat(200);
        std::fs::write(&database, &garbage).unwrap();

        let error = read_app_info(&shell_in(&dir)).unwrap_err();
        assert!(error.message.en.contains("damaged"), "{}", error.message.en);
        assert!(error.message.ar.contains("تالف"), "{}", error.message.ar);
        assert_eq!(std::fs::read(&database).unwrap(), garbage);
    }

    #[test]
    fn languages_round_trip_through_the_core_type() {
        for language in [UiLanguage::En, UiLanguage::Ar] {
            assert_eq!(UiLanguage::from(Language::from(language)), language);
        }
    }
}
