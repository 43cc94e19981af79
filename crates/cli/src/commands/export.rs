//! `export UNIT --out DIR --i-understand`: one unit's certificate, secret and
//! key for invoicing software. The key is encrypted PKCS#8, with the
//! certificate and key also in a PKCS#12 file under the same passphrase,
//! unless the user insists on plain (`--insist-plain`, which writes the SDK
//! layout instead: a PKCS#12 file always needs a passphrase).

use std::path::PathBuf;

use clap::Args;
use fatoora_base::Environment;
use fatoora_custody::KeyProtection;

use super::backup::{failed, open, passphrase};
use super::csr::emit;
use crate::{Cli, exit};

/// The passphrase for the exported key, for scripts.
pub const EXPORT_PASSPHRASE_VAR: &str = "FATOORA_ONBOARD_EXPORT_PASSPHRASE";

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Unit id (u-…) or common name
    pub unit: String,
    /// Environment of the production CSID
    #[arg(long, default_value = "local")]
    pub env: Environment,
    /// New folder to write into (must not exist)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Confirms you read the warning: these files let anyone sign invoices in the taxpayer's name
    #[arg(long)]
    pub i_understand: bool,
    /// Passphrase for the encrypted key and the PKCS#12 file, first line of this file [default: FATOORA_ONBOARD_EXPORT_PASSPHRASE]
    #[arg(long, value_name = "FILE", conflicts_with = "insist_plain")]
    pub passphrase_file: Option<PathBuf>,
    /// Write the private key unencrypted and the SDK's headerless files (no PKCS#12)
    #[arg(long)]
    pub insist_plain: bool,
}

pub fn run(cli: &Cli, args: &ExportArgs) -> anyhow::Result<u8> {
    let warning = fatoora_custody::export_warning();
    if !args.i_understand {
        eprintln!("{}\n{}\nRun again with --i-understand to export. / أعد التشغيل مع ‎--i-understand‎ للتصدير.", warning.en, warning.ar);
        return Ok(exit::BAD_INPUT);
    }
    let key_passphrase = if args.insist_plain { None } else { Some(passphrase(args.passphrase_file.as_deref(), EXPORT_PASSPHRASE_VAR)?) };
    let protection = match &key_passphrase {
        Some(passphrase) => KeyProtection::Encrypted(passphrase),
        None => KeyProtection::Plain,
    };
    let (_, store, secrets) = open(cli)?;
    match fatoora_custody::export_unit(&store, secrets.as_ref(), &args.unit, args.env, &args.out, protection) {
        Ok(manifest) => {
            if cli.json {
                emit(&format!("{}\n", serde_json::to_string(&manifest)?));
            } else {
                let mut out = format!("exported unit {} ({}) to {}:\n", manifest.unit_id, manifest.environment, args.out.display());
                for file in &manifest.files {
                    out.push_str(&format!("  {:<28} {}{}\n", file.file, file.content, if file.secret { "  [SECRET]" } else { "" }));
                }
                out.push_str(&format!("{}\n{}\n", warning.en, warning.ar));
                emit(&out);
            }
            Ok(exit::OK)
        }
        Err(error) => failed(cli, error),
    }
}
