//! `fatoora-onboard probe-kit`: diagnose from the server. `php` writes the
//! probe page for hosts without a shell; `compare` reads the server's JSON
//! (from that page or from `diagnose --json` run there) and sets it beside
//! a run from this machine. Exit 0 both fine, 3 a problem found, 2 bad input.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use fatoora_base::Localized;
use fatoora_diagnostics::{ALL_ZATCA_ENVIRONMENTS, DEFAULT_CONTROL_URL, DiagnoseOptions, Target, diagnose};
use fatoora_probe_kit::{ComparisonClass, ImportedRun, PhpProbeOptions, compare, comparison_html};

use super::diagnose;
use crate::{Cli, exit};

#[derive(Debug, Args)]
pub struct ProbeKitArgs {
    #[command(subcommand)]
    pub command: ProbeKitCommand,
}

#[derive(Debug, Subcommand)]
pub enum ProbeKitCommand {
    /// Write a one-file PHP probe page to upload to a host without shell access
    Php(PhpArgs),
    /// Compare the server's probe JSON with a run from this machine: which side is blocked
    Compare(CompareArgs),
}

#[derive(Debug, Args)]
pub struct PhpArgs {
    /// Where to write the page (e.g. probe.php)
    #[arg(long, value_name = "FILE.php")]
    pub out: PathBuf,

    /// Probe this origin instead of https://gw-fatoora.zatca.gov.sa
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// A second HTTPS site that tells "ZATCA unreachable" from "no internet"
    #[arg(long, value_name = "URL", default_value = DEFAULT_CONTROL_URL)]
    pub control_url: String,

    /// Skip the control site
    #[arg(long, conflicts_with = "control_url")]
    pub no_control: bool,

    /// Ask this HTTPS service for the server's outbound IP (off unless given)
    #[arg(long, value_name = "URL")]
    pub echo_url: Option<String>,

    /// Each probe's deadline in seconds (at most 60: hosts cut pages off)
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub timeout: f64,
}

/// `probe-kit compare --help` ends with this; tests/probe_kit.rs holds the binary to it.
const COMPARE_EXIT_STATUS: &str = "Exit status:
  0  both sides reach ZATCA
  1  the command failed (e.g. the report file could not be written)
  2  bad input: a file that is not a probe result
  3  either side does not reach ZATCA: the comparison says which";

#[derive(Debug, Args)]
#[command(after_help = COMPARE_EXIT_STATUS)]
pub struct CompareArgs {
    /// The server's JSON: saved from probe.php, or `fatoora-onboard --json diagnose` run on the server
    #[arg(long, value_name = "FILE.json")]
    pub server: PathBuf,

    /// This machine's JSON from `fatoora-onboard --json diagnose`; without it a diagnosis runs now
    #[arg(long, value_name = "FILE.json")]
    pub local: Option<PathBuf>,

    /// Write one self-contained HTML report holding both runs
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
}

fn bad_input(message: Localized) -> anyhow::Result<u8> {
    eprintln!("error: {}\n\u{200F}{}", message.en, message.ar);
    Ok(exit::BAD_INPUT)
}

pub fn run(cli: &Cli, args: &ProbeKitArgs) -> anyhow::Result<u8> {
    match &args.command {
        ProbeKitCommand::Php(args) => php(args),
        ProbeKitCommand::Compare(args) => compare_runs(cli, args),
    }
}

fn checked_url(flag: &str, url: &str) -> Result<Target, Localized> {
    diagnose::checked_url(flag, url, ALL_ZATCA_ENVIRONMENTS.to_vec())
}

fn php(args: &PhpArgs) -> anyhow::Result<u8> {
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 60.0) {
        return bad_input(Localized::new(
            format!("--timeout {} must be a number of seconds above 0 and at most 60", args.timeout),
            format!("يجب أن تكون قيمة ‎--timeout‏ ({}) عددًا من الثواني أكبر من 0 ولا يتجاوز 60", args.timeout),
        ));
    }
    let mut options = PhpProbeOptions::gateway();
    if let Some(url) = &args.url {
        match checked_url("--url", url) {
            Ok(target) => (options.host, options.port) = (target.host, target.port),
            Err(message) => return bad_input(message),
        }
    }
    for (flag, url) in [("--control-url", Some(&args.control_url)), ("--echo-url", args.echo_url.as_ref())] {
        if let Some(Err(message)) = url.map(|u| checked_url(flag, u)) {
            return bad_input(message);
        }
    }
    options.control_url = (!args.no_control).then(|| args.control_url.clone());
    options.echo_url = args.echo_url.clone();
    options.timeout_secs = args.timeout;
    let probe = fatoora_probe_kit::generate(&options);
    std::fs::write(&args.out, &probe.source).with_context(|| format!("writing {}", args.out.display()))?;
    let name = args.out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    println!("Wrote {}.", args.out.display());
    println!("Upload it to your website, then open:  https://YOUR-SITE/{name}?token={}", probe.token);
    println!("Save the JSON it shows as server.json, then: fatoora-onboard probe-kit compare --server server.json --report both.html");
    println!("Delete {name} from the server afterwards.");
    println!("\u{200F}ارفع الملف إلى موقعك وافتحه بالرابط أعلاه، واحفظ نتيجة JSON باسم server.json، ثم احذف الملف من الخادم بعد ذلك.");
    Ok(exit::OK)
}

fn read_run(path: &Path) -> Result<ImportedRun, Localized> {
    ImportedRun::from_file(path).map_err(|e| e.explain())
}

fn compare_runs(cli: &Cli, args: &CompareArgs) -> anyhow::Result<u8> {
    let server = match read_run(&args.server) {
        Ok(run) => run,
        Err(message) => return bad_input(message),
    };
    let local = match &args.local {
        Some(path) => match read_run(path) {
            Ok(run) => run,
            Err(message) => return bad_input(message),
        },
        None => {
            // Probe the same host and port the server probed.
            let origin = if server.target.port == 443 {
                format!("https://{}", server.target.host)
            } else {
                format!("https://{}:{}", server.target.host, server.target.port)
            };
            let target = match checked_url("--server target", &origin) {
                Ok(target) => target,
                Err(message) => return bad_input(message),
            };
            let mut options = DiagnoseOptions::new(target);
            options.timeout = Duration::from_secs(10);
            let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().context("starting the async runtime")?;
            if !cli.json {
                eprintln!("Diagnosing from this machine…");
            }
            let report = runtime.block_on(diagnose(&options, None));
            ImportedRun::from_json(&report.to_json(), "this machine's diagnosis").context("reading back this machine's report")?
        }
    };
    let comparison = compare(&local, &server);
    if let Some(path) = &args.report {
        std::fs::write(path, comparison_html(&comparison, &local, &server)).with_context(|| format!("writing {}", path.display()))?;
    }
    if cli.json {
        println!("{}", serde_json::to_string_pretty(&comparison)?);
    } else {
        println!("{}\nNext step: {}", comparison.headline.en, comparison.next_step.en);
        println!("\u{200F}{}\n\u{200F}الخطوة التالية: {}", comparison.headline.ar, comparison.next_step.ar);
        for degraded in &server.degraded {
            println!("Server probe limited: {} {} ({})", degraded.function, degraded.reason, degraded.effect);
        }
        if let Some(path) = &args.report {
            println!("HTML report: {}", path.display());
        }
    }
    Ok(if comparison.class == ComparisonClass::BothFine { exit::OK } else { exit::PROBLEM_FOUND })
}
