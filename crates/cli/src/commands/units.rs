//! `units list|show`: the EGS units kept on this machine. Keys are shown by
//! their public fingerprint and secret store name only.
//! `units --expiring 30d`: the units whose production CSID expires soon
//! (the same report as `batch expiring`).

use std::fmt::Write;

use clap::{Args, Subcommand};
use fatoora_base::{DataDir, Store};
use fatoora_units::{Unit, find_unit, list_units};

use super::csr::emit;
use crate::{Cli, exit};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct UnitsArgs {
    #[command(subcommand)]
    pub command: Option<UnitsCommand>,
    /// Only the units whose production CSID expires within this span (e.g. 30d, 7d, 36h, 2w), soonest first
    #[arg(long, value_name = "SPAN")]
    pub expiring: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum UnitsCommand {
    /// List the units, with their keys per environment
    List,
    /// Show one unit (by id, or by common name) and its CSRs
    Show {
        /// Unit id (u-…) or common name
        unit: String,
    },
}

pub fn run(cli: &Cli, args: &UnitsArgs) -> anyhow::Result<u8> {
    if let Some(within) = &args.expiring {
        return super::batch::print_expiring(cli, within);
    }
    let data_dir = DataDir::resolve(cli.data_dir.as_deref()).map_err(|e| anyhow::anyhow!(e.explain().en))?;
    let store = Store::open(&data_dir).map_err(|e| anyhow::anyhow!("{}\n{}", e.explain().en, e.explain().ar))?;
    match args.command.as_ref().unwrap_or(&UnitsCommand::List) {
        UnitsCommand::List => {
            let units = list_units(&store).map_err(|e| anyhow::anyhow!("{}\n{}", e.explain().en, e.explain().ar))?;
            if cli.json {
                emit(&format!("{}\n", serde_json::to_string(&units)?));
            } else if units.is_empty() {
                emit("no units yet: fatoora-onboard csr new --env local ...\n");
            } else {
                let mut out = String::new();
                for unit in &units {
                    let _ = writeln!(out, "{}  {}  VAT {}  {}  [{}]", unit.id, unit.profile.common_name, unit.profile.vat_number, unit.profile.organization_name, environments(unit));
                }
                emit(&out);
            }
            Ok(exit::OK)
        }
        UnitsCommand::Show { unit } => {
            let unit = match find_unit(&store, unit) {
                Ok(unit) => unit,
                Err(error) if error.is_bad_input() => {
                    let explanation = error.explain();
                    if cli.json {
                        emit(&format!("{}\n", serde_json::json!({ "error": explanation })));
                    } else {
                        eprintln!("{}\n{}", explanation.en, explanation.ar);
                    }
                    return Ok(exit::BAD_INPUT);
                }
                Err(error) => anyhow::bail!("{}\n{}", error.explain().en, error.explain().ar),
            };
            if cli.json {
                emit(&format!("{}\n", serde_json::to_string(&unit)?));
            } else {
                emit(&show(&unit));
            }
            Ok(exit::OK)
        }
    }
}

fn environments(unit: &Unit) -> String {
    unit.keys
        .iter()
        .map(|k| format!("{}{}", k.environment, if k.csid_issued_at.is_some() { " issued" } else { "" }))
        .collect::<Vec<_>>()
        .join(", ")
}

fn show(unit: &Unit) -> String {
    let mut out = String::new();
    let p = &unit.profile;
    let _ = writeln!(out, "unit {} (created {}, updated {})", unit.id, unit.created_at, unit.updated_at);
    for (label, value) in [
        ("organization (O)", &p.organization_name),
        ("VAT (UID)", &p.vat_number),
        ("branch (OU)", &p.organization_unit),
        ("common name (CN)", &p.common_name),
        ("serial (SN)", &p.serial),
        ("invoice types (title)", &p.invoice_types),
        ("address", &p.address),
        ("industry", &p.business_category),
        ("country (C)", &p.country),
    ] {
        let _ = writeln!(out, "  {label:<22} {value}");
    }
    for key in &unit.keys {
        let _ = writeln!(out, 
            "\n{}: key {} ({}, public {}){}",
            key.environment,
            key.key_name,
            serde_json::to_value(key.key_origin).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
            &key.public_key_sha256[..16],
            key.csid_issued_at.as_deref().map(|at| format!(", CSID issued {at}")).unwrap_or_default(),
        );
        if let Some(csr) = &key.csr_pem {
            let _ = writeln!(out, "CSR of {}:\n{csr}", key.csr_created_at.as_deref().unwrap_or("?"));
        }
    }
    out
}
