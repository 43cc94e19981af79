//! The data directory: the one folder holding the database, the logs and (if
//! the user opts in) the encrypted secrets file. The GUI and the CLI resolve it
//! the same way so they always see the same units and journal.
//!
//! Order: an explicit folder (`--data-dir`), then `FATOORA_ONBOARD_HOME`, then
//! the platform's local app-data folder (`~/.local/share/fatoora-onboard`,
//! `%LOCALAPPDATA%\fatoora-onboard\data`,
//! `~/Library/Application Support/sa.fatoora-onboard`). The local (not
//! roaming) folder on Windows because SQLite files do not belong in roaming
//! profiles.

use std::io;
use std::path::{Path, PathBuf};

use crate::i18n::{Localized, isolate, ltr};

pub const HOME_VAR: &str = "FATOORA_ONBOARD_HOME";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    root: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error("no home folder found to place the data directory in; pass --data-dir or set {HOME_VAR}")]
    NoHome,
    #[error("cannot create the data directory {path}: {source}")]
    Create { path: PathBuf, source: io::Error },
}

impl DataDirError {
    pub fn explain(&self) -> Localized {
        match self {
            DataDirError::NoHome => Localized::new(
                format!(
                    "This account has no home folder to keep Fatoora Onboard's data in. Choose a folder with --data-dir or set {HOME_VAR}."
                ),
                format!(
                    "لا يوجد مجلد رئيسي لهذا الحساب لحفظ بيانات Fatoora Onboard. اختر مجلدًا عبر ‎--data-dir‎ أو عيّن المتغير {HOME_VAR}."
                ),
            ),
            DataDirError::Create { path, source } => Localized::new(
                format!(
                    "Cannot create the data folder {} ({source}). Check that you may write there, or choose another folder with --data-dir.",
                    path.display()
                ),
                format!(
                    "تعذّر إنشاء مجلد البيانات {} ({source}). تحقّق من صلاحية الكتابة فيه أو اختر مجلدًا آخر عبر ‎--data-dir‎.",
                    ltr(path.display()),
                    source = isolate(source)
                ),
            ),
        }
    }
}

impl DataDir {
    /// `explicit` is what the user passed (clap already folds
    /// `FATOORA_ONBOARD_HOME` into `--data-dir`; the variable is read here too
    /// so the GUI honours it).
    pub fn resolve(explicit: Option<&Path>) -> Result<Self, DataDirError> {
        if let Some(dir) = explicit {
            return Ok(Self::at(dir));
        }
        if let Some(dir) = std::env::var_os(HOME_VAR).filter(|value| !value.is_empty()) {
            return Ok(Self::at(PathBuf::from(dir)));
        }
        directories::ProjectDirs::from("sa", "", "fatoora-onboard")
            .map(|dirs| Self::at(dirs.data_local_dir()))
            .ok_or(DataDirError::NoHome)
    }

    pub fn at(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn database(&self) -> PathBuf {
        self.root.join("fatoora-onboard.sqlite3")
    }

    pub fn logs(&self) -> PathBuf {
        self.root.join("logs")
    }

    pub fn secrets_file(&self) -> PathBuf {
        self.root.join("secrets.enc")
    }

    /// Creates the folder (private to the user on Unix) if it is missing.
    pub fn ensure(&self) -> Result<(), DataDirError> {
        create_private_dir(&self.root).map_err(|source| DataDirError::Create {
            path: self.root.clone(),
            source,
        })
    }
}

#[cfg(unix)]
pub(crate) fn create_private_dir(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(path)
}

#[cfg(not(unix))]
pub(crate) fn create_private_dir(path: &Path) -> io::Result<()> {
    std::fs::create_dir_all(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_folder_wins() {
        let dir = DataDir::resolve(Some(Path::new("/tmp/x"))).unwrap();
        assert_eq!(dir.root(), Path::new("/tmp/x"));
        assert_eq!(dir.database(), Path::new("/tmp/x/fatoora-onboard.sqlite3"));
    }

    #[test]
    fn ensure_creates_a_private_folder() {
        let parent = tempfile::tempdir().unwrap();
        let dir = DataDir::at(parent.path().join("a/b"));
        dir.ensure().unwrap();
        assert!(dir.root().is_dir());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.root()).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "data dir readable by others: {mode:o}");
        }
    }
}
