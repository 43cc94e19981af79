//! The Custody screen's commands: an encrypted backup of everything, a
//! restore into this computer, and one unit's export for invoicing software.
//!
//! Passphrases travel only from the webview into these commands. Nothing
//! returned here holds a key, a CSID secret or a passphrase: the backup and
//! the export write files and answer with their paths, counts and the
//! public key's fingerprint. Files go where the user typed, suggested in the
//! user's Documents folder (else home): outside the data folder, so a backup
//! outlives the data folder it saves. An export's folder is named after the
//! unit's common name.

use std::path::{Path, PathBuf};

use fatoora_base::secrets::Passphrase;
use fatoora_base::session::open_secrets;
use fatoora_base::store::StoreError;
use fatoora_base::{DataDir, Environment, Localized, Session, Store};
use fatoora_custody::{CustodyError, ExportManifest, KeyProtection};
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::{AppHandle, Manager, State};

use crate::commands::EnvironmentInfo;
use crate::shell::{CommandError, LocalizedText, Shell};

fn custody_error(error: CustodyError) -> CommandError {
    CommandError { message: error.explain().into() }
}

fn message(en: impl Into<String>, ar: impl Into<String>) -> CommandError {
    CommandError { message: Localized::new(en, ar).into() }
}

/// A path the user typed: absolute, so a file never lands in whatever
/// folder the app happened to start in.
fn chosen_path(text: &str) -> Result<PathBuf, CommandError> {
    let path = PathBuf::from(text.trim());
    if path.is_absolute() {
        Ok(path)
    } else {
        Err(message(
            format!("\"{}\" is not a full path. Type the whole path, starting with / (or a drive letter on Windows).", text.trim()),
            format!("\"{}\" ليس مسارًا كاملا. اكتب المسار كاملا بدءًا من / (أو حرف القرص في Windows).", text.trim()),
        ))
    }
}

fn timestamp() -> String {
    chrono::Utc::now().format("%Y%m%d-%H%M%S").to_string()
}

/// Runs the blocking custody work (Argon2id takes seconds) off the async
/// runtime's threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T, CommandError> + Send + 'static) -> Result<T, CommandError> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|error| message(format!("The operation stopped unexpectedly ({error}). Nothing was changed."), format!("توقفت العملية على نحو غير متوقع ({error}). لم يتغيّر شيء.")))?
}

/// A unit with a production CSID in the active environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct ExportableUnit {
    pub id: String,
    pub common_name: String,
    /// RFC 3339, when known.
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct CustodySetup {
    pub environment: EnvironmentInfo,
    /// A new backup file's suggested path.
    pub backup_path: String,
    /// Where exports go unless the user types another folder.
    pub exports_folder: String,
    /// Units on this computer now: a restore replaces them, so the UI asks
    /// first, and only then.
    pub units_here: u32,
    pub min_passphrase_chars: u32,
    pub exportable: Vec<ExportableUnit>,
    /// Shown before any export: what these files allow.
    pub export_warning: LocalizedText,
}

/// What the screen needs before the user does anything.
#[tauri::command]
#[specta::specta]
pub fn custody_setup(shell: State<'_, Shell>) -> Result<CustodySetup, CommandError> {
    let data_dir = DataDir::resolve(None)?;
    let (environment, exportable, units_here) = shell.with_store(|store| {
        let environment = store.environment()?;
        let units_here = store.connection().query_row("SELECT count(*) FROM units", [], |row| row.get(0)).map_err(StoreError::from)?;
        Ok((environment, exportable(store, environment), units_here))
    })?;
    let folder = user_folder(&data_dir);
    Ok(CustodySetup {
        environment: environment.into(),
        backup_path: folder.join(format!("fatoora-onboard-{}.fobak", timestamp())).display().to_string(),
        exports_folder: folder.join("fatoora-onboard-exports").display().to_string(),
        units_here,
        min_passphrase_chars: Passphrase::MIN_CHARS as u32,
        exportable: exportable.map_err(custody_error)?,
        export_warning: fatoora_custody::export_warning().into(),
    })
}

/// The user's Documents folder, else home; the data folder only when the
/// system names neither.
fn user_folder(data_dir: &DataDir) -> PathBuf {
    directories::UserDirs::new()
        .map(|dirs| dirs.document_dir().unwrap_or(dirs.home_dir()).to_path_buf())
        .unwrap_or_else(|| data_dir.root().to_path_buf())
}

fn exportable(store: &Store, environment: Environment) -> Result<Vec<ExportableUnit>, CustodyError> {
    let names: std::collections::HashMap<String, String> = fatoora_units::list_units(store)
        .map(|units| units.into_iter().map(|unit| (unit.id, unit.profile.common_name)).collect())
        .unwrap_or_default();
    Ok(fatoora_units::state::all(store.connection())?
        .into_iter()
        .filter(|state| state.environment == environment && state.pcsid.is_some())
        .map(|state| ExportableUnit {
            common_name: names.get(&state.unit_id).cloned().unwrap_or_else(|| state.unit_id.clone()),
            expires_at: state.pcsid_expires_at.map(|at| at.to_rfc3339()),
            id: state.unit_id,
        })
        .collect())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct BackupDone {
    pub path: String,
    pub units: u32,
    pub secrets: u32,
    /// Names (never values) recorded in the database but absent from the secret store.
    pub missing_secrets: Vec<String>,
    pub bytes: u32,
}

fn mismatch() -> CommandError {
    message(
        "The two passphrases differ. Type the same passphrase in both boxes.",
        "عبارتا المرور مختلفتان. اكتب العبارة نفسها في الحقلين.",
    )
}

/// Writes an encrypted backup of every unit, certificate, secret and key to
/// `destination` (replaced atomically if it exists).
#[tauri::command]
#[specta::specta]
pub async fn backup_everything(destination: String, passphrase: String, repeated: String) -> Result<BackupDone, CommandError> {
    let passphrase = Passphrase::new(passphrase);
    if passphrase.expose() != repeated {
        return Err(mismatch());
    }
    drop(repeated);
    let destination = chosen_path(&destination)?;
    blocking(move || {
        let Session { store, secrets, .. } = Session::resolve(None)?;
        if let Some(parent) = destination.parent() {
            std::fs::create_dir_all(parent).map_err(|source| custody_error(CustodyError::Io { path: parent.to_owned(), source }))?;
        }
        let summary = fatoora_custody::backup(&store, secrets.as_ref(), &passphrase, &destination).map_err(custody_error)?;
        Ok(BackupDone {
            path: destination.display().to_string(),
            units: summary.units as u32,
            secrets: summary.secrets as u32,
            missing_secrets: summary.missing_secrets,
            bytes: summary.bytes as u32,
        })
    })
    .await
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct RestoreDone {
    pub created_at: String,
    pub units: u32,
    pub secrets: u32,
}

/// Restores `source` into this computer's data folder and secret store.
/// The file is decrypted and checked before anything is written: a wrong
/// passphrase or an altered file changes nothing.
#[tauri::command]
#[specta::specta]
pub async fn restore_backup(app: AppHandle, source: String, passphrase: String, replace: bool) -> Result<RestoreDone, CommandError> {
    let passphrase = Passphrase::new(passphrase);
    let source = chosen_path(&source)?;
    blocking(move || {
        let data_dir = DataDir::resolve(None)?;
        let secrets = open_secrets(&data_dir)?;
        let shell = app.state::<Shell>();
        let summary = shell
            .with_store_closed(|| fatoora_custody::restore(&source, &passphrase, &data_dir, secrets.as_ref(), replace))?
            .map_err(custody_error)?;
        Ok(RestoreDone { created_at: summary.created_at, units: summary.units as u32, secrets: summary.secrets as u32 })
    })
    .await
}

/// How the user asked for one unit's export.
#[derive(Debug, Clone, Default, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ExportRequest {
    pub unit_id: String,
    /// The folder in which a new folder for this export is made.
    pub folder: String,
    /// For the encrypted key and the PKCS#12 file; ignored for a plain export.
    pub passphrase: String,
    pub repeated: String,
    /// The user read the warning that these files let anyone sign invoices.
    pub understood: bool,
    /// A plain private key: only with `plain_confirmed`, the second confirmation.
    pub insist_plain: bool,
    pub plain_confirmed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct ExportedFileInfo {
    pub file: String,
    pub path: String,
    /// Whether the file lets its holder sign or authenticate as the unit.
    pub sensitive: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct ExportDone {
    pub folder: String,
    pub unit_id: String,
    pub files: Vec<ExportedFileInfo>,
    pub public_key_sha256: String,
    pub key_encrypted: bool,
    pub warning: LocalizedText,
}

impl ExportDone {
    fn of(manifest: ExportManifest, folder: &Path) -> Self {
        let mut files: Vec<ExportedFileInfo> = manifest
            .files
            .iter()
            .map(|file| ExportedFileInfo { path: folder.join(&file.file).display().to_string(), file: file.file.clone(), sensitive: file.secret })
            .collect();
        files.push(ExportedFileInfo { path: folder.join("manifest.json").display().to_string(), file: "manifest.json".into(), sensitive: false });
        Self {
            folder: folder.display().to_string(),
            unit_id: manifest.unit_id,
            files,
            public_key_sha256: manifest.public_key_sha256,
            key_encrypted: manifest.key_encrypted,
            warning: manifest.warning.into(),
        }
    }
}

/// Writes one unit's credentials (active environment) into a new folder
/// under `request.folder`, only after the warning was acknowledged; a plain
/// key only after a second confirmation.
#[tauri::command]
#[specta::specta]
pub async fn export_credentials(shell: State<'_, Shell>, request: ExportRequest) -> Result<ExportDone, CommandError> {
    let environment = shell.with_store(|store| store.environment())?;
    let ExportRequest { unit_id, folder, passphrase, repeated, understood, insist_plain, plain_confirmed } = request;
    let passphrase = Passphrase::new(passphrase);
    if !understood {
        return Err(CommandError { message: fatoora_custody::export_warning().into() });
    }
    if insist_plain && !plain_confirmed {
        return Err(message(
            "A plain private key needs your second confirmation: anyone who copies that file can sign invoices without any passphrase.",
            "المفتاح الخاص غير المشفَّر يحتاج إلى تأكيدك الثاني: أي شخص ينسخ ذلك الملف يستطيع توقيع الفواتير دون أي عبارة مرور.",
        ));
    }
    if !insist_plain && passphrase.expose() != repeated {
        return Err(mismatch());
    }
    drop(repeated);
    let parent = chosen_path(&folder)?;
    blocking(move || {
        let Session { store, secrets, .. } = Session::resolve(None)?;
        std::fs::create_dir_all(&parent).map_err(|source| custody_error(CustodyError::Io { path: parent.clone(), source }))?;
        // export_unit never writes into an existing folder: a second export
        // within the same second gets its own.
        let common_name = fatoora_units::find_unit(&store, &unit_id).map_or_else(|_| unit_id.clone(), |unit| unit.profile.common_name);
        let stem = format!("{}-{}-{}", fatoora_custody::export_folder_name(&common_name), environment.id(), timestamp());
        let out = (1..)
            .map(|n| if n == 1 { parent.join(&stem) } else { parent.join(format!("{stem}-{n}")) })
            .find(|candidate| !candidate.exists())
            .expect("an unused folder name");
        let protection = if insist_plain { KeyProtection::Plain } else { KeyProtection::Encrypted(&passphrase) };
        let manifest = fatoora_custody::export_unit(&store, secrets.as_ref(), &unit_id, environment, &out, protection).map_err(custody_error)?;
        Ok(ExportDone::of(manifest, &out))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relative_path_is_refused_in_both_languages() {
        let error = chosen_path("backups/x.fobak").unwrap_err();
        assert!(error.message.en.contains("full path") && error.message.ar.contains("مسارًا كاملا"));
        // Absolute as the platform has it: on Windows a path starts with a drive.
        let absolute = if cfg!(windows) { r"C:\Users\x.fobak" } else { "/tmp/x.fobak" };
        assert_eq!(chosen_path(&format!(" {absolute} ")).unwrap(), PathBuf::from(absolute));
    }
}
