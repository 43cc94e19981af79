//! `fatoora-onboard`: the command-line shell over the same core functions the
//! desktop app calls. Argument handling only; the work happens in the crates.
#![cfg_attr(all(not(test), target_os = "linux"), deny(unused_crate_dependencies))]

mod commands;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "fatoora-onboard", version, about = "Onboard ZATCA e-invoicing units (EGS) and diagnose FATOORA connectivity")]
pub struct Cli {
    /// Where units, the journal and settings are kept [default: the platform's app-data folder]
    #[arg(long, global = true, env = "FATOORA_ONBOARD_HOME", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Print machine-readable JSON instead of text
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build and sign the compliance-check sample documents (invoice, credit and debit notes)
    ComplianceDocs(commands::compliance_docs::ComplianceDocsArgs),
    /// Show the version, the data directory and the active environment
    Info,
    /// Diagnose the connection to ZATCA's gateway: DNS, TCP, TLS, HTTP, proxy, clock
    Diagnose(commands::diagnose::DiagnoseArgs),
    /// Diagnose from the server: write a PHP probe page, compare the server's results with this machine's
    ProbeKit(commands::probe_kit::ProbeKitArgs),
    /// Run the local FATOORA simulator, or mint OTPs and switch faults in a running one
    Simulator(commands::simulator::SimulatorArgs),
    /// Prepare EGS units offline: key in the keychain, CSR in ZATCA's SDK layout; lint any CSR
    Csr(commands::csr::CsrArgs),
    /// List and show the EGS units kept on this machine
    Units(commands::units::UnitsArgs),
    /// Onboard a unit with an OTP: pre-flight checks, compliance CSID, compliance checks, production CSID (resumes)
    Onboard(commands::onboard::OnboardArgs),
    /// Renew a unit's production CSID with a renewal OTP (new key; redoes the checks on 428)
    Renew(commands::renew::RenewArgs),
    /// Show every request sent to FATOORA (no OTPs, no secrets)
    Journal(commands::journal::JournalArgs),
    /// Prepare a copy-ready message for ZATCA support (English and Arabic) with the recorded facts
    SupportMessage(commands::support_message::SupportMessageArgs),
    /// Write an encrypted backup of everything: units, certificates, CSID secrets, keys
    Backup(commands::backup::BackupArgs),
    /// Restore a backup into this data directory and this machine's keychain
    Restore(commands::restore::RestoreArgs),
    /// Export one unit's certificate, secret and key for invoicing software (asks for confirmation)
    Export(commands::export::ExportArgs),
    /// Import EGS units from a CSV file (every row checked first) and prepare a key and CSR for each; --template prints the CSV template
    ImportUnits(commands::import_units::ImportUnitsArgs),
    /// Onboard many units with one OTP each (bounded concurrency, resumable); list CSIDs that expire soon
    Batch(commands::batch::BatchArgs),
}

/// Exit codes shared by every command.
pub mod exit {
    pub const OK: u8 = 0;
    pub const FAILURE: u8 = 1;
    pub const BAD_INPUT: u8 = 2;
    /// The command worked and found a problem (e.g. `diagnose`).
    pub const PROBLEM_FOUND: u8 = 3;
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(exit::FAILURE)
        }
    }
}
