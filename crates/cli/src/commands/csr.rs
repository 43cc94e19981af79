//! `csr new` and `csr lint`: the CLI face of `fatoora_csr`. Every finding is
//! printed, in English and Arabic; exit 2 when the input is at fault.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use fatoora_base::input::{self, Cap, InputError};
use fatoora_base::values::{FieldError, Severity};
use fatoora_base::{Environment, Localized, Session};
use fatoora_units::{KeyChoice, UnitError, prepare_csr};
use fatoora_csr::{CSR_FILE, CsrFormat, SDK_PROPERTIES_FILE, UnitKey, UnitProfile, lint_csr};

use crate::{Cli, exit};

#[derive(Debug, Args)]
pub struct CsrArgs {
    #[command(subcommand)]
    pub command: CsrCommand,
}

#[derive(Debug, Subcommand)]
// Parsed once per process: boxing `New` would save nothing worth its noise.
#[allow(clippy::large_enum_variant)]
pub enum CsrCommand {
    /// Save an EGS unit, keep its secp256k1 key in the keychain and write its CSR
    New(NewArgs),
    /// Check any CSR (PEM, base64 of PEM, DER) against ZATCA's rules
    Lint(LintArgs),
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The FATOORA environment the CSR is for (sets the certificate template)
    #[arg(long, value_name = "ENV")]
    pub env: Environment,
    /// Read the unit from the ZATCA SDK's csr-config .properties file
    #[arg(long, value_name = "FILE", conflicts_with_all = ["vat", "common_name", "org", "unit", "serial", "invoice_types", "address", "category"])]
    pub from_sdk_config: Option<PathBuf>,
    /// VAT registration number, 15 digits (SAN UID)
    #[arg(long)]
    pub vat: Option<String>,
    /// Unique name of the unit (CN)
    #[arg(long)]
    pub common_name: Option<String>,
    /// Taxpayer name as in the commercial registration (O)
    #[arg(long)]
    pub org: Option<String>,
    /// Branch name, or a VAT group member's 10-digit TIN (OU)
    #[arg(long)]
    pub unit: Option<String>,
    /// EGS serial 1-<maker>|2-<model>|3-<serial> (SAN SN)
    #[arg(long)]
    pub serial: Option<String>,
    /// 1000 (standard), 0100 (simplified) or 1100 (both) (SAN title)
    #[arg(long)]
    pub invoice_types: Option<String>,
    /// Branch address, preferably the short national address (SAN registeredAddress)
    #[arg(long)]
    pub address: Option<String>,
    /// Industry or sector, without symbols (SAN businessCategory)
    #[arg(long)]
    pub category: Option<String>,
    /// Use this private key (PEM SEC1/PKCS#8 or the SDK's base64 key file) instead of generating one
    #[arg(long, value_name = "FILE", conflicts_with = "reuse_key")]
    pub import_key: Option<PathBuf>,
    /// Make the CSR with the key already kept for this unit and environment
    #[arg(long)]
    pub reuse_key: bool,
    /// Replace the key already kept for this unit and environment (never one with an issued CSID)
    #[arg(long, conflicts_with = "reuse_key")]
    pub replace_key: bool,
    /// Write the CSR to this file instead of standard output
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// pem, or base64 (base64 of the PEM, as POST /compliance takes it)
    #[arg(long, value_enum, default_value = "pem")]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Pem,
    Base64,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// The CSR file, or - for standard input
    pub file: PathBuf,
    /// Also check the certificate template against this environment
    #[arg(long, value_name = "ENV")]
    pub env: Option<Environment>,
}

pub fn run(cli: &Cli, args: &CsrArgs) -> anyhow::Result<u8> {
    match &args.command {
        CsrCommand::New(new) => run_new(cli, new),
        CsrCommand::Lint(lint) => run_lint(cli, lint),
    }
}

fn run_new(cli: &Cli, args: &NewArgs) -> anyhow::Result<u8> {
    let profile = match &args.from_sdk_config {
        Some(path) => {
            let text = match read_input(path, SDK_PROPERTIES_FILE) {
                Ok(text) => text,
                Err(error) => return Ok(refuse(cli, &error.explain(), &[])),
            };
            match UnitProfile::from_sdk_properties(&text, args.env) {
                Ok(profile) => profile,
                Err(error) => return Ok(refuse(cli, &error.explain(), &[])),
            }
        }
        None => UnitProfile {
            organization_name: args.org.clone().unwrap_or_default(),
            vat_number: args.vat.clone().unwrap_or_default(),
            organization_unit: args.unit.clone().unwrap_or_default(),
            common_name: args.common_name.clone().unwrap_or_default(),
            serial: args.serial.clone().unwrap_or_default(),
            invoice_types: args.invoice_types.clone().unwrap_or_default(),
            address: args.address.clone().unwrap_or_default(),
            business_category: args.category.clone().unwrap_or_default(),
            country: "SA".into(),
            environment: args.env,
        },
    };
    let key = match &args.import_key {
        Some(path) => match UnitKey::import_file(path) {
            Ok(key) => KeyChoice::Import(key),
            Err(error) => return Ok(refuse(cli, &error.explain(), &[])),
        },
        None if args.reuse_key => KeyChoice::Reuse,
        None => KeyChoice::Generate,
    };
    // Lint before touching the data folder or the keychain: a typo costs nothing.
    let findings = fatoora_csr::lint_profile(&profile);
    if findings.iter().any(|f| f.severity == Severity::Error) {
        return Ok(refuse(cli, &UnitError::Invalid(findings.clone()).explain(), &findings));
    }

    // The keychain's session opens while the database is opened and checked.
    fatoora_base::secrets::open_ahead();
    let (_, Session { mut store, secrets, .. }) = super::onboard::session(cli, None)?;

    let prepared = match prepare_csr(&mut store, secrets.as_ref(), &profile, key, args.replace_key) {
        Ok(prepared) => prepared,
        Err(error) if error.is_bad_input() => return Ok(refuse(cli, &error.explain(), error.findings())),
        Err(error) => anyhow::bail!(both(&error.explain())),
    };
    let format = match args.format {
        Format::Pem => CsrFormat::Pem,
        Format::Base64 => CsrFormat::Base64,
    };
    let rendered = prepared.csr.render(format);
    if let Some(out) = &args.out {
        std::fs::write(out, &rendered).with_context(|| format!("cannot write the CSR to {}", out.display()))?;
    }
    if cli.json {
        let mut json = serde_json::to_value(&prepared)?;
        json["format"] = serde_json::to_value(format)?;
        json["csr"] = rendered.clone().into();
        json["out"] = serde_json::to_value(&args.out)?;
        emit(&format!("{json}\n"));
    } else {
        let summary = format!(
            "unit {}{} · {} · key {} {} ({}) · template {}",
            prepared.unit_id,
            if prepared.new_unit { " (new)" } else { "" },
            prepared.environment,
            if prepared.replaced_key { "replaced" } else { "kept in" },
            prepared.key_name,
            &prepared.public_key_sha256[..16],
            prepared.environment.certificate_template(),
        );
        print_findings(&prepared.warnings);
        match &args.out {
            Some(out) => emit(&format!("{summary}\nCSR written to {}\n", out.display())),
            None => {
                eprintln!("{summary}");
                let newline = if format == CsrFormat::Base64 { "\n" } else { "" };
                emit(&format!("{rendered}{newline}"));
            }
        }
    }
    Ok(exit::OK)
}

fn run_lint(cli: &Cli, args: &LintArgs) -> anyhow::Result<u8> {
    let bytes = match read_input(&args.file, CSR_FILE) {
        Ok(bytes) => bytes,
        Err(error) => return Ok(refuse(cli, &error.explain(), &[])),
    };
    let lint = lint_csr(&bytes, args.env);
    if cli.json {
        emit(&format!("{}\n", serde_json::to_string(&lint)?));
    } else {
        let mut out = String::new();
        if let Some(csr) = &lint.csr {
            let line = |a: &fatoora_csr::ParsedAttribute| {
                format!("{}={}", a.short_name.map(str::to_owned).unwrap_or_else(|| a.oid.clone()), a.value.as_deref().unwrap_or("?"))
            };
            let _ = writeln!(out, "subject:  {}", csr.subject.iter().map(line).collect::<Vec<_>>().join(", "));
            if let Some(san) = &csr.subject_alt_name {
                let _ = writeln!(out, "SAN:      {}", san.attributes.iter().map(line).collect::<Vec<_>>().join(", "));
            }
            let _ = writeln!(out, "template: {}", csr.certificate_template().unwrap_or("(none)"));
            let _ = writeln!(out, "key:      {} {}", csr.public_key.algorithm, csr.public_key.curve.as_deref().unwrap_or(""));
            let _ = writeln!(out, "signed:   {}", csr.signature_algorithm);
        }
        if lint.findings.is_empty() {
            let _ = writeln!(out, "OK: no findings / لا ملاحظات");
        }
        emit(&out);
        print_findings(&lint.findings);
    }
    Ok(if lint.has_errors() { exit::BAD_INPUT } else { exit::OK })
}

/// The file named on the command line, or standard input for `-`, read no
/// further than `cap`.
pub(crate) fn read_input(path: &Path, cap: Cap) -> Result<Vec<u8>, InputError> {
    if path == Path::new("-") {
        return input::read_capped_from(std::io::stdin().lock(), cap);
    }
    input::read_capped(path, cap)
}

fn both(message: &Localized) -> String {
    format!("{}\n{}", message.en, message.ar)
}

/// Bad input: every finding and the explanation, exit 2.
fn refuse(cli: &Cli, explanation: &Localized, findings: &[FieldError]) -> u8 {
    if cli.json {
        emit(&format!("{}\n", serde_json::json!({ "error": explanation, "findings": findings })));
    } else {
        print_findings(findings);
        eprintln!("{}", both(explanation));
    }
    exit::BAD_INPUT
}

fn print_findings(findings: &[FieldError]) {
    for finding in findings {
        let severity = match finding.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let label = finding.field.label();
        eprintln!("{severity}: {} [{}]: {}", label.en, finding.rule, finding.message.en);
        eprintln!("    {}: {}", label.ar, finding.message.ar);
    }
}

/// Standard output that tolerates a closed pipe (`| head`): the reader has
/// seen what it wanted, which is not a failure.
pub(crate) fn emit(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
}
