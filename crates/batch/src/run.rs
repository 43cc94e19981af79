//! Batch onboarding: one OTP per unit, a bounded number of units at a time
//! (a tokio semaphore), a result per unit. Each unit's progress is the
//! onboarding crate's own state, written before every network step, so
//! running the batch again skips the issued units and resumes the others
//! where they stopped: only the failed ones are retried.
//!
//! An OTP belongs to a taxpayer (VAT number), not to a unit, and lives one
//! hour from when the portal generated it; the report says how much of that
//! hour is left.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use fatoora_base::secrets::{SecretCache, SecretStore, Sensitive};
use fatoora_base::values::Otp;
use fatoora_base::{DataDir, Environment, Localized, Store};
use fatoora_onboarding::catalogue::Explanation;
use fatoora_onboarding::client::FatooraClient;
use fatoora_onboarding::flow::{FlowError, Progress, ProgressSink};
use fatoora_onboarding::preflight::{OtpAnswers, Overrides, Reachability};
use fatoora_onboarding::run::{Probe, Purpose, RunOutcome, RunRequest, run};
use fatoora_units::state::Step;
use serde::Serialize;
use tokio::sync::Semaphore;

/// How long an OTP lives after the portal generates it (SPEC.md).
pub const OTP_LIFETIME_MINUTES: i64 = 60;

/// One unit and the OTP assigned to it.
pub struct Assignment {
    pub unit_id: String,
    pub otp: Sensitive<String>,
}

impl std::fmt::Debug for Assignment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assignment").field("unit_id", &self.unit_id).finish_non_exhaustive()
    }
}

/// A problem with the OTP list, by line.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OtpLineError {
    pub line: usize,
    pub message: Localized,
}

/// Assigns the pasted OTP list to units. Each line is `UNIT,OTP` or a bare
/// `OTP`; bare OTPs go, in order, to the units of `pending` that no line
/// names. Blank lines and `#` comments are skipped. Units without an OTP
/// are left out of the batch.
pub fn assign(otp_list: &str, pending: &[String]) -> Result<Vec<Assignment>, Vec<OtpLineError>> {
    let mut errors = Vec::new();
    let mut lines = Vec::new();
    for (index, raw) in otp_list.lines().enumerate() {
        let line = index + 1;
        let text = raw.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let (unit, otp_text) = match text.split_once([',', ';', '\t']) {
            Some((unit, otp)) => (Some(unit.trim().to_owned()), otp.trim()),
            None => (None, text),
        };
        match Otp::parse(otp_text) {
            Ok(otp) => lines.push((line, unit, Sensitive::new(otp.expose().to_owned()))),
            // The message never repeats the OTP: it is a secret.
            Err(error) => errors.push(OtpLineError { line, message: Localized::new(format!("line {line}: {}", error.message.en), format!("السطر {line}: {}", error.message.ar)) }),
        }
    }
    let named: Vec<String> = lines.iter().filter_map(|(_, unit, _)| unit.clone()).collect();
    let mut next = pending.iter().filter(|id| !named.contains(id));
    let mut assignments: Vec<Assignment> = Vec::new();
    for (line, unit, otp) in lines {
        match unit.or_else(|| next.next().cloned()) {
            Some(unit_id) if assignments.iter().any(|a| a.unit_id == unit_id) => errors.push(OtpLineError {
                line,
                message: Localized::new(format!("line {line}: unit {unit_id} already has an OTP in this list"), format!("السطر {line}: للوحدة {unit_id} رمز تحقق آخر في هذه القائمة")),
            }),
            Some(unit_id) => assignments.push(Assignment { unit_id, otp }),
            None => errors.push(OtpLineError {
                line,
                message: Localized::new(format!("line {line}: more OTPs than units waiting for one"), format!("السطر {line}: عدد رموز التحقق أكبر من عدد الوحدات التي تنتظرها")),
            }),
        }
    }
    errors.sort_by_key(|e| e.line);
    if errors.is_empty() { Ok(assignments) } else { Err(errors) }
}

/// Units kept on this machine with no production CSID yet in `environment`,
/// oldest first: the ones a pasted OTP list is for.
pub fn pending_units(store: &Store, environment: Environment) -> Result<Vec<String>, FlowError> {
    let mut units = fatoora_units::list_units(store).map_err(|e| FlowError::Store(fatoora_base::store::rusqlite::Error::ToSqlConversionFailure(e.to_string().into())))?;
    units.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    let mut pending = Vec::new();
    for unit in units {
        let state = fatoora_units::state::load(store.connection(), &unit.id, environment)?;
        if state.is_none_or(|s| s.step != Step::Issued) {
            pending.push(unit.id);
        }
    }
    Ok(pending)
}

#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Units onboarded at the same time.
    pub concurrency: usize,
    /// When the portal generated the OTPs (the hour runs from then).
    pub otps_generated_at: DateTime<Utc>,
    /// The portal the OTPs come from.
    pub portal: Environment,
    pub reachability: Option<Reachability>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    Issued { pcsid_request_id: String, expires_at: Option<DateTime<Utc>> },
    /// Already onboarded: nothing sent.
    AlreadyIssued,
    Failed {
        step: Option<Step>,
        zatca_code: Option<String>,
        explanation: Explanation,
        /// Whether the OTP may have been spent (use a new one to retry).
        otp_may_be_spent: bool,
    },
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnitResult {
    pub unit_id: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchReport {
    pub environment: Environment,
    pub results: Vec<UnitResult>,
    pub issued: usize,
    pub already_issued: usize,
    pub failed: usize,
    pub otps_expire_at: DateTime<Utc>,
    /// Minutes left of the OTPs' hour when the batch ended (0 once past).
    pub minutes_left: i64,
}

impl BatchReport {
    pub fn failed_units(&self) -> Vec<&str> {
        self.results.iter().filter(|r| matches!(r.outcome, Outcome::Failed { .. })).map(|r| r.unit_id.as_str()).collect()
    }
}

/// When the OTPs stop working and how many minutes are left at `now`.
pub fn otp_hour(generated_at: DateTime<Utc>, now: DateTime<Utc>) -> (DateTime<Utc>, i64) {
    let expires = generated_at + Duration::minutes(OTP_LIFETIME_MINUTES);
    (expires, (expires - now).num_minutes().max(0))
}

/// What happens to each unit while the batch runs, for a live view.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum BatchEvent {
    /// The unit got its turn (a concurrency slot).
    Started { unit_id: String },
    /// One of the unit's onboarding steps or compliance documents.
    Progress { unit_id: String, progress: Progress },
    Finished { result: UnitResult },
}

/// Onboards every assigned unit, `options.concurrency` at a time. Each unit
/// runs on a blocking thread of its own with its own database connection:
/// the keychain and SQLite calls block, and on one task they held up every
/// other unit while the keyring daemon wrote its file (issue 16). One unit's
/// failure never stops the others. Results keep the assignments' order.
pub async fn run_batch(data_dir: &DataDir, secrets: Arc<dyn SecretStore>, client: &FatooraClient, assignments: Vec<Assignment>, options: &BatchOptions) -> BatchReport {
    run_batch_reporting(data_dir, secrets, client, assignments, options, &|_| ()).await
}

/// [`run_batch`], telling `on_event` as each unit starts, moves a step and
/// ends.
pub async fn run_batch_reporting(
    data_dir: &DataDir,
    secrets: Arc<dyn SecretStore>,
    client: &FatooraClient,
    assignments: Vec<Assignment>,
    options: &BatchOptions,
    on_event: &(dyn Fn(BatchEvent) + Send + Sync),
) -> BatchReport {
    let environment = client.environment();
    let unit_ids: Vec<String> = assignments.iter().map(|a| a.unit_id.clone()).collect();
    let (events, mut received) = tokio::sync::mpsc::unbounded_channel();
    let dispatcher = tokio::spawn(dispatch(data_dir.clone(), secrets, client.clone(), assignments, options.clone(), events));
    // Forwarded here, as they happen: the channel closes when the last unit ends.
    while let Some(event) = received.recv().await {
        on_event(event);
    }
    let mut outcomes: Vec<Option<Outcome>> = vec![None; unit_ids.len()];
    if let Ok(finished) = dispatcher.await {
        for (index, outcome) in finished {
            outcomes[index] = Some(outcome);
        }
    }
    let results: Vec<UnitResult> = unit_ids
        .into_iter()
        .zip(outcomes)
        .map(|(unit_id, outcome)| UnitResult { unit_id, outcome: outcome.unwrap_or_else(stopped_unexpectedly) })
        .collect();
    let count = |f: fn(&Outcome) -> bool| results.iter().filter(|r| f(&r.outcome)).count();
    let (otps_expire_at, minutes_left) = otp_hour(options.otps_generated_at, Utc::now());
    let report = BatchReport {
        environment,
        issued: count(|o| matches!(o, Outcome::Issued { .. })),
        already_issued: count(|o| matches!(o, Outcome::AlreadyIssued)),
        failed: count(|o| matches!(o, Outcome::Failed { .. })),
        results,
        otps_expire_at,
        minutes_left,
    };
    tracing::info!(%environment, issued = report.issued, failed = report.failed, already = report.already_issued, "batch onboarding ended");
    report
}

/// Starts each unit on a blocking thread once a concurrency slot is free;
/// answers each finished unit's outcome with its place in the assignments.
async fn dispatch(
    data_dir: DataDir,
    secrets: Arc<dyn SecretStore>,
    client: FatooraClient,
    assignments: Vec<Assignment>,
    options: BatchOptions,
    events: tokio::sync::mpsc::UnboundedSender<BatchEvent>,
) -> Vec<(usize, Outcome)> {
    let permits = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let options = Arc::new(options);
    let runtime = tokio::runtime::Handle::current();
    let mut units = tokio::task::JoinSet::new();
    for (index, assignment) in assignments.into_iter().enumerate() {
        let Ok(permit) = permits.clone().acquire_owned().await else { break };
        let (data_dir, secrets, client, options, events, runtime) = (data_dir.clone(), secrets.clone(), client.clone(), options.clone(), events.clone(), runtime.clone());
        units.spawn_blocking(move || {
            let _permit = permit;
            let _ = events.send(BatchEvent::Started { unit_id: assignment.unit_id.clone() });
            let unit_id = assignment.unit_id.clone();
            let progress = |progress: Progress| {
                let _ = events.send(BatchEvent::Progress { unit_id: unit_id.clone(), progress });
            };
            // A panic ends this unit's run only: its place in the report and
            // its Finished event say so, and the other units go on.
            let run = || runtime.block_on(onboard_one(&data_dir, secrets.as_ref(), &client, &assignment, &options, &progress));
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).unwrap_or_else(|_| stopped_unexpectedly());
            let _ = events.send(BatchEvent::Finished { result: UnitResult { unit_id: assignment.unit_id, outcome: outcome.clone() } });
            (index, outcome)
        });
    }
    drop(events);
    let mut finished = Vec::new();
    while let Some(joined) = units.join_next().await {
        // Only a cancelled task has no outcome; `run_batch_reporting` reports
        // a unit missing here as stopped.
        if let Ok(outcome) = joined {
            finished.push(outcome);
        }
    }
    finished
}

/// The outcome of a unit whose run ended without one (it panicked).
fn stopped_unexpectedly() -> Outcome {
    Outcome::Failed {
        step: None,
        zatca_code: None,
        explanation: Explanation {
            what_happened: Localized::new("This unit's run stopped unexpectedly; what it recorded before is kept.", "توقّف تشغيل هذه الوحدة على نحو غير متوقع، وما سجّله قبل ذلك محفوظ."),
            next_step: Localized::new("Run the batch again: the unit resumes where it stopped.", "شغّل الدفعة مرة أخرى: تستأنف الوحدة من حيث توقفت."),
            retry_may_help: true,
        },
        // Unknown: it may have stopped after sending the OTP.
        otp_may_be_spent: true,
    }
}

async fn onboard_one(data_dir: &DataDir, secrets: &dyn SecretStore, client: &FatooraClient, assignment: &Assignment, options: &BatchOptions, progress: ProgressSink<'_>) -> Outcome {
    let failed = |what_happened: Localized, next_step: Localized, retry_may_help: bool| Outcome::Failed {
        step: None,
        zatca_code: None,
        explanation: Explanation { what_happened, next_step, retry_may_help },
        otp_may_be_spent: false,
    };
    let store = match Store::open(data_dir) {
        Ok(store) => store,
        Err(error) => return failed(error.explain(), Localized::new("Run the batch again.", "شغّل الدفعة مرة أخرى."), true),
    };
    let request = RunRequest {
        unit: &assignment.unit_id,
        purpose: Purpose::Onboard,
        otp_text: assignment.otp.expose(),
        answers: OtpAnswers { generated_at: Some(options.otps_generated_at), portal: Some(options.portal) },
        overrides: Overrides::default(),
        probe: Probe::Done(options.reachability.clone()),
    };
    // The unit's key, CSID secrets and the OTP salt cross to the keychain
    // once each, and are zeroized when the unit's run ends.
    let secrets = SecretCache::new(secrets);
    match run(&store, &secrets, client, request, progress).await {
        RunOutcome::Issued(issued) => Outcome::Issued { pcsid_request_id: issued.pcsid_request_id, expires_at: issued.pcsid_expires_at },
        RunOutcome::UnknownUnit(message) => failed(message, Localized::new("Check the unit id in the OTP list.", "تحقّق من معرّف الوحدة في قائمة رموز التحقق."), false),
        RunOutcome::Failed(failure) if matches!(failure.error, FlowError::AlreadyIssued { .. }) => Outcome::AlreadyIssued,
        RunOutcome::Failed(failure) => Outcome::Failed {
            step: failure.step,
            zatca_code: failure.zatca_code(),
            otp_may_be_spent: failure.otp_may_be_spent(),
            explanation: failure.explanation,
        },
    }
}
