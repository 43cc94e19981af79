//! `restore --from FILE`: a backup into this data directory and this
//! machine's secret store (keys back into the keychain).

use std::path::PathBuf;

use clap::Args;

use super::backup::{BACKUP_PASSPHRASE_VAR, failed, open, passphrase};
use super::csr::emit;
use crate::{Cli, exit};

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
    /// Read the passphrase from this file's first line [default: FATOORA_ONBOARD_BACKUP_PASSPHRASE]
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Overwrite a data directory that already holds units
    #[arg(long)]
    pub replace: bool,
}

pub fn run(cli: &Cli, args: &RestoreArgs) -> anyhow::Result<u8> {
    let passphrase = passphrase(args.passphrase_file.as_deref(), BACKUP_PASSPHRASE_VAR)?;
    let (data_dir, store, secrets) = open(cli)?;
    drop(store);
    match fatoora_custody::restore(&args.from, &passphrase, &data_dir, secrets.as_ref(), args.replace) {
        Ok(summary) => {
            if cli.json {
                emit(&format!("{}\n", serde_json::to_string(&summary)?));
            } else {
                emit(&format!(
                    "restored the backup of {} into {}: {} unit(s), {} secret(s) put into the {} secret store\n",
                    summary.created_at,
                    data_dir.root().display(),
                    summary.units,
                    summary.secrets,
                    secrets.backend().id()
                ));
            }
            Ok(exit::OK)
        }
        Err(error) => failed(cli, error),
    }
}
