//! `import-units FILE`: EGS units from a CSV file, each with its key (in the
//! keychain) and CSR; `--template` prints the CSV template.

use std::path::PathBuf;

use clap::Args;
use fatoora_batch::import::{ImportError, check_csv, import_units, read_units_csv, template};
use fatoora_base::Environment;
use fatoora_base::values::Severity;

use super::csr::emit;
use super::onboard::session;
use crate::{Cli, exit};

#[derive(Debug, Args)]
pub struct ImportUnitsArgs {
    /// The CSV file (UTF-8; the header names the columns, see --template)
    #[arg(required_unless_present = "template")]
    pub file: Option<PathBuf>,
    /// Print the CSV template (header and one example row) and exit
    #[arg(long)]
    pub template: bool,
    /// Environment the CSRs are for [default: the saved environment]
    #[arg(long)]
    pub env: Option<Environment>,
    /// Import the rows without errors even when others have some
    #[arg(long)]
    pub valid_rows_only: bool,
    /// Check the file and report, import nothing
    #[arg(long)]
    pub check: bool,
}

pub fn run(cli: &Cli, args: &ImportUnitsArgs) -> anyhow::Result<u8> {
    if args.template {
        emit(&template());
        return Ok(exit::OK);
    }
    let path = args.file.as_ref().expect("clap requires FILE without --template");
    let bad_input = |error: ImportError| {
        let explanation = error.explain();
        if cli.json {
            emit(&format!("{}\n", serde_json::json!({ "error": explanation })));
        } else {
            eprintln!("{}\n{}", explanation.en, explanation.ar);
        }
        Ok(if error.is_bad_input() { exit::BAD_INPUT } else { exit::FAILURE })
    };
    // Before the data folder is opened: a wrong file changes nothing.
    let bytes = match read_units_csv(path) {
        Ok(bytes) => bytes,
        Err(error) => return bad_input(error),
    };
    // The keychain's session opens while the database is opened and checked.
    fatoora_base::secrets::open_ahead();
    let (_, mut session) = session(cli, args.env)?;
    let check = match check_csv(&bytes, session.environment, &session.store) {
        Ok(check) => check,
        Err(error) => return bad_input(error),
    };
    if !cli.json {
        for finding in &check.findings {
            let tag = if finding.severity == Severity::Error { "error" } else { "warning" };
            eprintln!("{tag}: {}\n       {}", finding.message.en, finding.message.ar);
        }
    }
    if args.check {
        if cli.json {
            emit(&format!("{}\n", serde_json::to_string(&check)?));
        } else {
            emit(&format!("{} row(s), {} error(s); nothing imported (--check)\n", check.rows.len(), check.errors()));
        }
        return Ok(if check.errors() > 0 { exit::BAD_INPUT } else { exit::OK });
    }
    match import_units(&mut session.store, session.secrets.as_ref(), &check, args.valid_rows_only) {
        Ok(report) => {
            if cli.json {
                emit(&format!("{}\n", serde_json::json!({ "check": check, "import": report })));
            } else {
                let mut out = String::new();
                for unit in &report.imported {
                    out.push_str(&format!("line {}: {}  {}  key {}  CSR ready\n", unit.line, unit.unit_id, unit.common_name, &unit.public_key_sha256[..16]));
                }
                out.push_str(&format!("{} unit(s) imported with keys and CSRs ({}); {} line(s) skipped\n", report.imported.len(), session.environment, report.skipped_lines.len()));
                emit(&out);
            }
            Ok(exit::OK)
        }
        Err(error) => bad_input(error),
    }
}
