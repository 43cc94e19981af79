//! `backup --to FILE`: everything (units, certificates, secrets, keys) in one
//! passphrase-encrypted file.

use std::path::{Path, PathBuf};

use anyhow::anyhow;
use clap::Args;
use fatoora_base::input::{Cap, KIB, read_capped};
use fatoora_base::secrets::{Passphrase, SecretStore};
use fatoora_base::{DataDir, Localized, Store};
use fatoora_custody::CustodyError;

use super::csr::emit;
use crate::{Cli, exit};

/// The backup's passphrase for scripts; otherwise `--passphrase-file`.
pub const BACKUP_PASSPHRASE_VAR: &str = "FATOORA_ONBOARD_BACKUP_PASSPHRASE";

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The backup file to write (replaced atomically if it exists)
    #[arg(long, value_name = "FILE")]
    pub to: PathBuf,
    /// Read the passphrase from this file's first line [default: FATOORA_ONBOARD_BACKUP_PASSPHRASE]
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
}

/// A passphrase is one line; the rest of the file is ignored, and a file
/// this large is not a passphrase file.
const PASSPHRASE_FILE: Cap = Cap::new("passphrase file", "ملف عبارة المرور", 64 * KIB);

/// The passphrase from `file` (first line) or [`BACKUP_PASSPHRASE_VAR`].
/// Errors never quote the file.
pub(crate) fn passphrase(file: Option<&Path>, variable: &str) -> anyhow::Result<Passphrase> {
    let text = match file {
        Some(path) => {
            let text = read_capped(path, PASSPHRASE_FILE).and_then(|bytes| PASSPHRASE_FILE.text(bytes, path)).map_err(|e| {
                let message = e.explain();
                anyhow!("{}\n{}", message.en, message.ar)
            })?;
            text.lines().next().unwrap_or_default().to_owned()
        }
        None => std::env::var(variable).map_err(|_| {
            anyhow!("no passphrase: set {variable} or pass --passphrase-file\nلا توجد عبارة مرور: عيّن {variable} أو مرّر ‎--passphrase-file")
        })?,
    };
    Ok(Passphrase::new(text))
}

pub(crate) fn open(cli: &Cli) -> anyhow::Result<(DataDir, Store, Box<dyn SecretStore>)> {
    let session = super::onboard::open_session(cli)?;
    Ok((session.data_dir, session.store, session.secrets))
}

/// Prints a custody failure (en+ar) and picks the exit code.
pub(crate) fn failed(cli: &Cli, error: CustodyError) -> anyhow::Result<u8> {
    let explanation: Localized = error.explain();
    if cli.json {
        emit(&format!("{}\n", serde_json::json!({ "error": explanation })));
    } else {
        eprintln!("{}\n{}", explanation.en, explanation.ar);
    }
    Ok(if error.is_bad_input() { exit::BAD_INPUT } else { exit::FAILURE })
}

pub fn run(cli: &Cli, args: &BackupArgs) -> anyhow::Result<u8> {
    let passphrase = passphrase(args.passphrase_file.as_deref(), BACKUP_PASSPHRASE_VAR)?;
    let (_, store, secrets) = open(cli)?;
    match fatoora_custody::backup(&store, secrets.as_ref(), &passphrase, &args.to) {
        Ok(summary) => {
            if cli.json {
                emit(&format!("{}\n", serde_json::to_string(&summary)?));
            } else {
                emit(&format!(
                    "backup written to {}: {} unit(s), {} secret(s), {} bytes\nKeep the passphrase apart from the file: without it nothing can be restored.\nاحفظ عبارة المرور بعيدًا عن الملف: بدونها لا يمكن استعادة شيء.\n",
                    args.to.display(),
                    summary.units,
                    summary.secrets,
                    summary.bytes
                ));
                for name in &summary.missing_secrets {
                    eprintln!("warning: {name} is named in the database but not in the secret store; it is not in the backup");
                }
            }
            Ok(exit::OK)
        }
        Err(error) => failed(cli, error),
    }
}
