//! `onboard` and `renew`: run (or resume) the OTP flow for one unit, with
//! the pre-flight checks, live progress on stderr, and every refusal
//! explained in English and Arabic.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::anyhow;
use clap::Args;
use fatoora_base::secrets::{SecretBackend, SecretStore, open_secret_store};
use fatoora_base::{DataDir, Environment, Localized, Store};
use fatoora_onboarding::client::{ClientOptions, FatooraClient};
use fatoora_onboarding::catalogue::Explanation;
use fatoora_onboarding::local::LocalGateway;
use fatoora_onboarding::otp_diagnosis;
use fatoora_onboarding::flow::{FlowError, Onboarding, Progress, Request, Unit};
use fatoora_onboarding::preflight::{OtpAnswers, Overrides, Reachability};

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

pub struct Session {
    pub store: Store,
    pub secrets: Box<dyn SecretStore>,
    pub environment: Environment,
}

pub fn session(cli: &Cli, env: Option<Environment>) -> anyhow::Result<(DataDir, Session)> {
    let data_dir = DataDir::resolve(cli.data_dir.as_deref()).map_err(|e| anyhow!("{}\n{}", e.explain().en, e.explain().ar))?;
    let store = Store::open(&data_dir).map_err(|e| anyhow!("{}\n{}", e.explain().en, e.explain().ar))?;
    // The redacting log file, as `csr` and the app keep it; best effort.
    let _ = fatoora_base::logging::init(&data_dir);
    let backend = SecretBackend::from_env().map_err(|e| anyhow!("{}\n{}", e.explain().en, e.explain().ar))?;
    let secrets = open_secret_store(&data_dir, backend).map_err(|e| anyhow!("{}\n{}", e.explain().en, e.explain().ar))?;
    let environment = match env {
        Some(env) => env,
        None => store.environment().map_err(|e| anyhow!("{}", e.explain().en))?,
    };
    Ok((data_dir, Session { store, secrets, environment }))
}

/// The client for `environment` (for `local`, the simulator started with
/// `fatoora-onboard simulator` on this data folder), speaking the user's
/// language to the gateway (`Accept-Language`).
pub fn client(data_dir: &DataDir, environment: Environment) -> anyhow::Result<(FatooraClient, Option<LocalGateway>)> {
    let language = Store::open(data_dir).and_then(|store| store.language()).unwrap_or_default();
    let options = ClientOptions { language, ..ClientOptions::default() };
    fatoora_onboarding::local::client_for(data_dir, environment, options).map_err(|error| {
        let message = error.explain();
        anyhow!("{}\n{}", message.en, message.ar)
    })
}

/// The quick probe of the diagnostics crate; its verdict is kept for the
/// support message.
pub(crate) async fn reachability(store: &Store, environment: Environment, local: Option<&LocalGateway>) -> Reachability {
    let reachability = fatoora_onboarding::probe::reachability(environment, local).await;
    fatoora_onboarding::probe::remember(store, &reachability);
    reachability
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
    let unit = match Unit::find(&session.store, &args.unit, session.environment) {
        Ok(unit) => unit,
        Err(message) => return report_bad_input(cli, &message),
    };
    let (client, local) = client(&data_dir, session.environment)?;
    let json = cli.json;
    let print_progress = move |progress: Progress| {
        if json {
            return;
        }
        match progress {
            Progress::Step { label, .. } => eprintln!("» {} / {}", label.en, label.ar),
            Progress::Document { document, done, total, skipped } => {
                eprintln!("  {done}/{total} {document}{}", if skipped { " (passed earlier)" } else { "" })
            }
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let outcome = runtime.block_on(async {
        let flow = Onboarding::new(&session.store, session.secrets.as_ref(), &client)
            .map_err(|e| anyhow!("{}", e.explain().what_happened.en))?
            .with_progress(&print_progress);
        // The new key is made and recorded before the probe, so a run
        // stopped from here on reuses it, and the user sees it happen.
        if renew {
            if let Err(error) = flow.prepare_renewal(&unit) {
                return Ok(Err(error));
            }
            if !json {
                eprintln!("» New key ready; the current one stays in use until the new CSID arrives / المفتاح الجديد جاهز؛ يبقى الحالي مستخدمًا حتى يصل المعرّف الجديد");
            }
        }
        let reachability = reachability(&session.store, session.environment, local.as_ref()).await;
        let request = Request {
            otp_text: &args.otp,
            answers: answers(args),
            overrides: Overrides { otp_age: args.override_otp_age, otp_portal: args.override_otp_portal },
            reachability: Some(reachability),
        };
        Ok::<_, anyhow::Error>(if renew { flow.renew(&unit, &request).await } else { flow.onboard(&unit, &request).await })
    })?;
    match outcome {
        Ok(issued) => {
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
        Err(error) => {
            // Invalid-OTP is diagnosed from the journal's evidence.
            let explanation = otp_diagnosis::explain_failure(session.store.connection(), &unit.id, session.environment, &error);
            report_failure(cli, &error, &explanation)
        }
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

fn report_failure(cli: &Cli, error: &FlowError, explanation: &Explanation) -> anyhow::Result<u8> {
    let checks = match error {
        FlowError::Preflight(report) => Some(report),
        _ => None,
    };
    if cli.json {
        println!(
            "{}",
            serde_json::json!({ "ok": false, "code": error.zatca_code(), "explanation": explanation, "preflight": checks })
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
        if let Some(code) = error.zatca_code() {
            eprintln!("ZATCA: {code}");
        }
        eprintln!("{}\n{}\n→ {}\n→ {}", explanation.what_happened.en, explanation.what_happened.ar, explanation.next_step.en, explanation.next_step.ar);
    }
    Ok(match error {
        FlowError::Preflight(_) | FlowError::BadUnitId(_) | FlowError::EnvironmentMismatch { .. } => exit::BAD_INPUT,
        _ => exit::FAILURE,
    })
}
