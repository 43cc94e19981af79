//! One module per subcommand; `run` only dispatches.

pub mod backup;
pub mod batch;
pub mod compliance_docs;
pub mod csr;
pub mod diagnose;
pub mod export;
pub mod import_units;
mod info;
pub mod journal;
pub mod onboard;
pub mod probe_kit;
pub mod renew;
pub mod restore;
pub mod simulator;
pub mod support_message;
pub mod units;

use crate::{Cli, Command};

pub fn run(cli: &Cli) -> anyhow::Result<u8> {
    match &cli.command {
        Command::Info => info::run(cli),
        Command::ComplianceDocs(args) => compliance_docs::run(cli, args),
        Command::Diagnose(args) => diagnose::run(cli, args),
        Command::Simulator(args) => simulator::run(cli, args),
        Command::Csr(args) => csr::run(cli, args),
        Command::Units(args) => units::run(cli, args),
        Command::Onboard(args) => onboard::run(cli, args, false),
        Command::Renew(args) => renew::run(cli, args),
        Command::Journal(args) => journal::run(cli, args),
        Command::SupportMessage(args) => support_message::run(cli, args),
        Command::Backup(args) => backup::run(cli, args),
        Command::Restore(args) => restore::run(cli, args),
        Command::Export(args) => export::run(cli, args),
        Command::ImportUnits(args) => import_units::run(cli, args),
        Command::Batch(args) => batch::run(cli, args),
        Command::ProbeKit(args) => probe_kit::run(cli, args),
    }
}
