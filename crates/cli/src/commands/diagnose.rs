//! `fatoora-onboard diagnose`: the network diagnosis, headless. Needs no
//! display and no keychain, so it runs on the bare server whose calls to
//! ZATCA time out. Exit 0 healthy, 3 problem found, 2 bad arguments.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use fatoora_base::input::{Cap, MIB, read_capped};
use fatoora_base::{DataDir, Environment, Localized, Store};
use fatoora_diagnostics::{
    ALL_ZATCA_ENVIRONMENTS, DEFAULT_CONTROL_URL, DiagnoseOptions, ProbeState, ProgressEvent, Target, diagnose,
    history, parse_ca_pem, parse_resolver,
};

use crate::{Cli, exit};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EnvChoice {
    /// sandbox, simulation and production
    All,
    Sandbox,
    Simulation,
    Production,
    /// the local simulator (needs --url)
    Local,
}

/// `diagnose --help` ends with this; tests/diagnose_cli.rs holds the binary to it.
const EXIT_STATUS: &str = "Exit status:
  0  healthy: nothing to fix
  1  the command failed (e.g. the report file could not be written)
  2  bad input: the message names the option
  3  a problem found: the verdict says what, and the next step";

#[derive(Debug, Args)]
#[command(after_help = EXIT_STATUS)]
pub struct DiagnoseArgs {
    /// Which environment paths to probe over HTTP
    #[arg(long = "env", value_enum, default_value = "all")]
    pub environment: EnvChoice,

    /// Probe this origin instead of https://gw-fatoora.zatca.gov.sa (e.g. the local simulator)
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// Also query this DNS server, e.g. 1.1.1.1 or 127.0.0.1:5353
    #[arg(long, value_name = "IP[:PORT]")]
    pub resolver: Option<String>,

    /// Query only --resolver, not the system's resolvers
    #[arg(long, requires = "resolver")]
    pub no_system_resolver: bool,

    /// Each probe's deadline in seconds
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub timeout: f64,

    /// A second HTTPS site that tells "ZATCA unreachable" from "no internet"
    #[arg(long, value_name = "URL", default_value = DEFAULT_CONTROL_URL)]
    pub control_url: String,

    /// Skip the control site
    #[arg(long, conflicts_with = "control_url")]
    pub no_control: bool,

    /// Also trust the CA certificates in this PEM file (a company CA, the local simulator's CA)
    #[arg(long, value_name = "FILE.pem")]
    pub ca_file: Option<PathBuf>,

    /// Write the self-contained HTML report here
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
}

fn environments(choice: EnvChoice) -> Vec<Environment> {
    match choice {
        EnvChoice::All => ALL_ZATCA_ENVIRONMENTS.to_vec(),
        EnvChoice::Sandbox => vec![Environment::Sandbox],
        EnvChoice::Simulation => vec![Environment::Simulation],
        EnvChoice::Production => vec![Environment::Production],
        EnvChoice::Local => vec![Environment::Local],
    }
}

/// Keeps the run for the onboarding support message. Never fails the
/// command: the report on screen (or in the file) is the result.
fn save_to_history(cli: &Cli, report: &fatoora_diagnostics::Report) -> Result<i64, Localized> {
    let data_dir = DataDir::resolve(cli.data_dir.as_deref()).map_err(|e| e.explain())?;
    let store = Store::open(&data_dir).map_err(|e| e.explain())?;
    history::save(store.connection(), report, &history::Occasion::ByHand).map_err(|e| e.explain())
}

fn options(args: &DiagnoseArgs) -> Result<DiagnoseOptions, Localized> {
    let environments = environments(args.environment);
    let target = match &args.url {
        Some(url) => checked_url("--url", url, environments)?,
        None => Target::gateway(environments).map_err(|e| e.message())?,
    };
    let mut options = DiagnoseOptions::new(target);
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 600.0) {
        return Err(Localized::new(
            format!("--timeout {} must be a number of seconds above 0 and at most 600", args.timeout),
            format!("يجب أن تكون قيمة ‎--timeout‏ ({}) عددًا من الثواني أكبر من 0 ولا يتجاوز 600", args.timeout),
        ));
    }
    options.timeout = Duration::from_secs_f64(args.timeout);
    options.user_resolver = args.resolver.as_deref().map(parse_resolver).transpose().map_err(|e| e.message())?;
    options.use_system_resolver = !args.no_system_resolver;
    options.control_url = (!args.no_control).then(|| args.control_url.clone());
    if let Some(url) = &options.control_url {
        checked_url("--control-url", url, vec![])?;
    }
    if let Some(path) = &args.ca_file {
        let text = read_capped(path, CA_FILE).and_then(|bytes| CA_FILE.text(bytes, path)).map_err(|e| e.explain())?;
        options.extra_roots = parse_ca_pem(&text, &path.display().to_string()).map_err(|e| e.message())?;
    }
    Ok(options)
}

/// `url` as an HTTPS origin; a message naming `flag`, the option it came from.
pub(crate) fn checked_url(flag: &str, url: &str, environments: Vec<Environment>) -> Result<Target, Localized> {
    Target::from_url(url, environments).map_err(|e| {
        let message = e.message();
        Localized::new(message.en.replace("--url", flag), message.ar.replace("--url", flag))
    })
}

/// A system bundle of every public CA is about 200 KiB; a company CA is one
/// certificate.
const CA_FILE: Cap = Cap::new("CA certificate file", "ملف شهادة جهة التصديق", 4 * MIB);

pub fn run(cli: &Cli, args: &DiagnoseArgs) -> anyhow::Result<u8> {
    let options = match options(args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("error: {}\n\u{200F}{}", message.en, message.ar);
            return Ok(exit::BAD_INPUT);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let show_progress = !cli.json;
    let report = runtime.block_on(async {
        let (sender, mut events) = tokio::sync::mpsc::unbounded_channel::<ProgressEvent>();
        let printer = tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                if let (true, ProbeState::Finished { ok, summary }) = (show_progress, &event.state) {
                    eprintln!("  {} {:<40} {summary}", if *ok { "ok  " } else { "FAIL" }, event.probe);
                }
            }
        });
        let report = diagnose(&options, Some(sender)).await;
        let _ = printer.await;
        report
    });
    let saved = save_to_history(cli, &report);
    if let Some(path) = &args.report {
        std::fs::write(path, report.to_html()).with_context(|| format!("writing the report to {}", path.display()))?;
    }
    if cli.json {
        println!("{}", report.to_json());
    } else {
        println!("{}", report.to_text());
        if let Some(path) = &args.report {
            println!("HTML report: {}", path.display());
        }
        match saved {
            Ok(id) => println!("Saved to the diagnosis history (#{id})."),
            Err(message) => eprintln!("note: {}\n\u{200F}{}", message.en, message.ar),
        }
    }
    Ok(if report.verdict.problem { exit::PROBLEM_FOUND } else { exit::OK })
}
