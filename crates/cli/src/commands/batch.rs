//! `batch onboard --otps FILE`: many units with one OTP each, a few at a
//! time; running it again retries only the units not yet onboarded.
//! `batch expiring --within 30d`: production CSIDs that expire soon.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::anyhow;
use clap::{Args, Subcommand};
use fatoora_batch::expiry::{expiring, parse_span};
use fatoora_batch::run::{BatchEvent, BatchOptions, Outcome, UnitResult, assign, otp_hour, pending_units, run_batch_reporting};
use fatoora_base::input::{Cap, MIB};
use fatoora_base::{Environment, Localized};
use fatoora_diagnostics::history::Before;
use fatoora_onboarding::probe::reachability_remembered;

use super::csr::{emit, read_input};
use super::onboard::{client, session};
use crate::{Cli, exit};

#[derive(Debug, Args)]
pub struct BatchArgs {
    #[command(subcommand)]
    pub command: BatchCommand,
}

#[derive(Debug, Subcommand)]
pub enum BatchCommand {
    /// Onboard many units: a file of OTPs, one per line (`OTP` or `UNIT,OTP`); bare OTPs go to the units not yet onboarded, oldest first
    Onboard {
        /// The OTP list ("-" for standard input)
        #[arg(long, value_name = "FILE")]
        otps: PathBuf,
        /// local, sandbox, simulation or production [default: the saved environment]
        #[arg(long)]
        env: Option<Environment>,
        /// How many units at the same time
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        /// Minutes since the portal generated the OTPs (they live one hour)
        #[arg(long, value_name = "MINUTES")]
        otp_age: u32,
    },
    /// Units whose production CSID expires within a span (e.g. 30d), soonest first, with the 30/7/1-day reminder each has reached
    Expiring {
        /// e.g. 30d, 7d, 36h, 2w
        #[arg(long, default_value = "30d")]
        within: String,
    },
}

/// A line is a unit id and six digits: thousands of units fit many times over.
const OTP_LIST: Cap = Cap::new("OTP list", "قائمة رموز التحقق (OTP)", MIB);

/// Never quotes the list: it holds OTPs.
fn read_otp_list(path: &Path) -> Result<String, Localized> {
    read_input(path, OTP_LIST).and_then(|bytes| OTP_LIST.text(bytes, path)).map_err(|error| error.explain())
}

/// `batch expiring --within SPAN` and `units --expiring SPAN`: the units
/// whose production CSID expires within the span, soonest first.
pub fn print_expiring(cli: &Cli, within: &str) -> anyhow::Result<u8> {
    let span = match parse_span(within) {
        Ok(span) => span,
        Err(message) => {
            eprintln!("{}\n{}", message.en, message.ar);
            return Ok(exit::BAD_INPUT);
        }
    };
    let (_, session) = session(cli, None)?;
    let units = expiring(&session.store, span, chrono::Utc::now())?;
    if cli.json {
        emit(&format!("{}\n", serde_json::to_string(&units)?));
    } else if units.is_empty() {
        emit(&format!("no production CSID expires within {within}\n"));
    } else {
        emit(&units.iter().map(|u| format!("{}\n{}\n", u.message.en, u.message.ar)).collect::<String>());
    }
    Ok(exit::OK)
}

pub fn run(cli: &Cli, args: &BatchArgs) -> anyhow::Result<u8> {
    match &args.command {
        BatchCommand::Expiring { within } => print_expiring(cli, within),
        BatchCommand::Onboard { otps, env, concurrency, otp_age } => {
            let list = match read_otp_list(otps) {
                Ok(list) => list,
                Err(message) => {
                    eprintln!("{}\n{}", message.en, message.ar);
                    return Ok(exit::BAD_INPUT);
                }
            };
            let (data_dir, session) = session(cli, *env)?;
            let environment = session.environment;
            let pending = pending_units(&session.store, environment).map_err(|e| anyhow!("{}", e.explain().what_happened.en))?;
            let assignments = match assign(&list, &pending) {
                Ok(assignments) => assignments,
                Err(errors) => {
                    for error in &errors {
                        eprintln!("{}\n{}", error.message.en, error.message.ar);
                    }
                    return Ok(exit::BAD_INPUT);
                }
            };
            let generated_at = chrono::Utc::now() - chrono::Duration::minutes(i64::from(*otp_age));
            let (expires, minutes_left) = otp_hour(generated_at, chrono::Utc::now());
            if !cli.json {
                eprintln!(
                    "{} unit(s), {} at a time; the OTPs stop working at {} ({minutes_left} min left) / تنتهي صلاحية رموز التحقق عند {} (بعد {})",
                    assignments.len(),
                    concurrency,
                    expires.format("%H:%M UTC"),
                    expires.format("%H:%M UTC"),
                    fatoora_base::i18n::count_ar(minutes_left.unsigned_abs(), &fatoora_base::i18n::MINUTES)
                );
            }
            let (client, local) = client(&data_dir, environment)?;
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            // One probe for the whole batch: the units share the gateway. Its
            // report goes into the diagnosis history once, as the batch's.
            let reachability = runtime.block_on(reachability_remembered(&session.store, environment, local.as_ref(), Before::Batch));
            let options = BatchOptions { concurrency: *concurrency, otps_generated_at: generated_at, portal: environment, reachability: Some(reachability) };
            let secrets = std::sync::Arc::from(session.secrets);
            drop(session.store);
            let total = assignments.len();
            let finished = AtomicUsize::new(0);
            // A line per unit as it ends, on stderr, so a long batch shows
            // where it is; the full report follows on stdout.
            let on_event = |event: BatchEvent| {
                if let BatchEvent::Finished { result } = event {
                    let done = finished.fetch_add(1, Ordering::Relaxed) + 1;
                    if !cli.json {
                        eprintln!("[{done}/{total}] {}", progress_line(&result));
                    }
                }
            };
            let report = runtime.block_on(run_batch_reporting(&data_dir, secrets, &client, assignments, &options, &on_event));
            if cli.json {
                emit(&format!("{}\n", serde_json::to_string(&report)?));
            } else {
                let mut out = String::new();
                for result in &report.results {
                    match &result.outcome {
                        Outcome::Issued { pcsid_request_id, expires_at } => out.push_str(&format!("{}  issued  PCSID {pcsid_request_id}  expires {}\n", result.unit_id, expires_at.map(|t| fatoora_onboarding::riyadh::last_valid_day(t).to_string()).unwrap_or_default())),
                        Outcome::AlreadyIssued => out.push_str(&format!("{}  already onboarded, nothing sent\n", result.unit_id)),
                        Outcome::Failed { explanation, otp_may_be_spent, .. } => out.push_str(&format!(
                            "{}  FAILED  {} {}\n    {} {}\n{}",
                            result.unit_id,
                            explanation.what_happened.en,
                            explanation.next_step.en,
                            explanation.what_happened.ar,
                            explanation.next_step.ar,
                            if *otp_may_be_spent { "    use a new OTP for this unit / استخدم رمز تحقق جديدًا لهذه الوحدة\n" } else { "" }
                        )),
                    }
                }
                out.push_str(&format!("{} issued, {} already onboarded, {} failed; {} min left of the OTPs' hour\n", report.issued, report.already_issued, report.failed, report.minutes_left));
                if report.failed > 0 {
                    out.push_str("Run the same command again with OTPs for the failed units only: onboarded units are skipped.\nأعد تشغيل الأمر نفسه برموز تحقق للوحدات التي فشلت فقط: الوحدات المرتبطة تُتخطّى.\n");
                }
                emit(&out);
            }
            Ok(if report.failed > 0 { exit::FAILURE } else { exit::OK })
        }
    }
}

/// One unit's end in both languages, without the explanation the report gives.
fn progress_line(result: &UnitResult) -> String {
    let unit = &result.unit_id;
    match &result.outcome {
        Outcome::Issued { .. } => format!("{unit}: production CSID issued / صدرت شهادة الإنتاج"),
        Outcome::AlreadyIssued => format!("{unit}: already onboarded, nothing sent / الوحدة مرتبطة من قبل، لم يُرسل شيء"),
        Outcome::Failed { .. } => format!("{unit}: FAILED, see the report below / فشل الربط، انظر التقرير أدناه"),
    }
}
