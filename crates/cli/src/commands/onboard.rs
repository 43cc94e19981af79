//! `onboard` and `renew`: run (or resume) the OTP flow for one unit, with
//! the pre-flight checks, live progress on stderr, and every refusal
//! explained in English and Arabic.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::anyhow;
use clap::Args;
use fatoora_base::{DataDir, Environment, Localized, Session, Store};
use fatoora_onboarding::client::{ClientOptions, FatooraClient};
use fatoora_onboarding::flow::{FlowError, Progress};
use fatoora_onboarding::local::LocalGateway;
use fatoora_onboarding::preflight::{OtpAnswers, Overrides};
use fatoora_onboarding::run::{Failure, Probe, Purpose, RunOutcome, RunRequest};

use crate::{Cli, exit};

#[derive(Debug, Args)]
pub struct OnboardArgs {
    /// Unit id (u-…) or its common name
    #[arg(long)]
    pub unit: String,
    /// The 6-digit OTP from the FATOORA portal (Arabic-Indic digits and spaces are fine)
    #[arg(long, default_value = "")]
    pub otp: String,
    /// local, sandbox, simulation or production [default: the saved environment]
    #[arg(long)]
    pub env: Option<Environment>,
    /// How many minutes ago the portal generated the OTP (asked when omitted on a terminal)
    #[arg(long, value_name = "MINUTES")]
    pub otp_age: Option<i64>,
    /// Which portal generated the OTP: production, simulation, sandbox or local (asked when omitted on a terminal)
    #[arg(long, value_name = "ENV")]
    pub otp_portal: Option<Environment>,
    /// Go ahead although the OTP may be over an hour old
    #[arg(long)]
    pub override_otp_age: bool,
    /// Go ahead although the OTP's portal does not match the environment
    #[arg(long)]
    pub override_otp_portal: bool,
}

fn both(message: Localized) -> anyhow::Error {
    anyhow!("{}\n{}", message.en, message.ar)
}

/// The data folder's session: its store and the secret store the user chose.
pub fn open_session(cli: &Cli) -> anyhow::Result<Session> {
    Session::resolve(cli.data_dir.as_deref()).map_err(|e| both(e.explain()))
}

/// [`open_session`] in `env` or the saved environment, with the redacting
/// log file started.
pub fn session(cli: &Cli, env: Option<Environment>) -> anyhow::Result<(DataDir, Session)> {
    let session = open_session(cli)?;
    // The redacting log file, as `csr` and the app keep it; best effort.
    let _ = fatoora_base::logging::init(&session.data_dir);
    Ok((session.data_dir.clone(), session.in_environment(env)))
}

/// The client for `environment` (for `local`, the simulator started with
/// `fatoora-onboard simulator` on this data folder), speaking the user's
/// language to the gateway (`Accept-Language`).
pub fn client(data_dir: &DataDir, environment: Environment) -> anyhow::Result<(FatooraClient, Option<LocalGateway>)> {
    let language = Store::open(data_dir).and_then(|store| store.language()).unwrap_or_default();
    let options = ClientOptions { language, ..ClientOptions::default() };
    fatoora_onboarding::local::client_for(data_dir, environment, options).map_err(|error| both(error.explain()))
}

fn ask(question: &Localized) -> Option<String> {
    if !std::io::stdin().is_terminal() {
        return None;
    }
    eprint!("{}\n{}\n> ", question.en, question.ar);
    std::io::stderr().flush().ok();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).ok()?;
    Some(line.trim().to_owned()).filter(|l| !l.is_empty())
}

fn answers(args: &OnboardArgs) -> OtpAnswers {
    let age = args.otp_age.or_else(|| {
        ask(&Localized::new("How many minutes ago was the OTP generated?", "منذ كم دقيقة أُنشئ رمز التحقق؟"))
            .and_then(|a| fatoora_base::values::ascii_digits(&a).parse().ok())
    });
    let portal = args.otp_portal.or_else(|| {
        ask(&Localized::new(
            "Which portal generated the OTP? (production, simulation, sandbox, local)",
            "من أي بوابة أُنشئ رمز التحقق؟ (production، simulation، sandbox، local)",
        ))
        .and_then(|a| a.parse().ok())
    });
    OtpAnswers {
        generated_at: age.map(|minutes| chrono::Utc::now() - chrono::Duration::minutes(minutes)),
        portal,
    }
}

pub fn run(cli: &Cli, args: &OnboardArgs, renew: bool) -> anyhow::Result<u8> {
    let (data_dir, session) = session(cli, args.env)?;
    let (client, local) = client(&data_dir, session.environment)?;
    let json = cli.json;
    let print_progress = move |progress: Progress| {
        if json {
            return;
        }
        match progress {
            // The checks are printed with the failure they cause, if any.
            Progress::Preflight(_) => {}
            Progress::RenewalKeyReady { label } | Progress::Step { label, .. } => eprintln!("» {} / {}", label.en, label.ar),
            Progress::Document { document, done, total, skipped } => {
                eprintln!("  {done}/{total} {document}{}", if skipped { " (passed earlier)" } else { "" })
            }
        }
    };
    let request = RunRequest {
        unit: &args.unit,
        purpose: if renew { Purpose::Renew } else { Purpose::Onboard },
        otp_text: &args.otp,
        answers: answers(args),
        overrides: Overrides { otp_age: args.override_otp_age, otp_portal: args.override_otp_portal },
        probe: Probe::Now(local.as_ref()),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match runtime.block_on(fatoora_onboarding::run::run(&session.store, session.secrets.as_ref(), &client, request, &print_progress)) {
        RunOutcome::Issued(issued) => {
            if cli.json {
                println!("{}", serde_json::json!({ "ok": true, "issued": issued }));
            } else {
                println!(
                    "Onboarded {} in {}: production CSID {} valid until {}.\nتم ربط الوحدة: صدر معرّف الختم التشفيري للإنتاج.",
                    issued.unit_id,
                    issued.environment,
                    issued.pcsid_request_id,
                    issued.pcsid_expires_at.map(|t| t.to_rfc3339()).unwrap_or_else(|| "?".into())
                );
            }
            Ok(exit::OK)
        }
        RunOutcome::UnknownUnit(message) => report_bad_input(cli, &message),
        RunOutcome::Failed(failure) => report_failure(cli, &failure),
    }
}

fn report_bad_input(cli: &Cli, message: &Localized) -> anyhow::Result<u8> {
    if cli.json {
        println!("{}", serde_json::json!({ "ok": false, "error": message }));
    } else {
        eprintln!("{}\n{}", message.en, message.ar);
    }
    Ok(exit::BAD_INPUT)
}

fn report_failure(cli: &Cli, failure: &Failure) -> anyhow::Result<u8> {
    let explanation = &failure.explanation;
    let checks = failure.preflight();
    if cli.json {
        println!(
            "{}",
            serde_json::json!({ "ok": false, "code": failure.zatca_code(), "explanation": explanation, "preflight": checks })
        );
    } else {
        if let Some(report) = checks {
            for check in &report.checks {
                let mark = match check.outcome {
                    fatoora_onboarding::preflight::Outcome::Passed => "ok ",
                    fatoora_onboarding::preflight::Outcome::Failed => "NO ",
                    fatoora_onboarding::preflight::Outcome::Unanswered => "?  ",
                };
                eprintln!("{mark} {}: {}", check.id.label().en, check.message.en);
                eprintln!("    {}: {}", check.id.label().ar, check.message.ar);
            }
        }
        if let Some(code) = failure.zatca_code() {
            eprintln!("ZATCA: {code}");
        }
        eprintln!("{}\n{}\n→ {}\n→ {}", explanation.what_happened.en, explanation.what_happened.ar, explanation.next_step.en, explanation.next_step.ar);
    }
    Ok(match failure.error {
        FlowError::Preflight(_) | FlowError::BadUnitId(_) | FlowError::EnvironmentMismatch { .. } => exit::BAD_INPUT,
        _ => exit::FAILURE,
    })
}
