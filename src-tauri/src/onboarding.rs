//! The onboarding wizard's commands: which units can be onboarded, renewed
//! or resumed; one run (`fatoora_onboarding::run`: pre-flight, CCSID,
//! compliance checks, PCSID) with live progress over a channel; and the
//! support message. This file converts arguments and outcomes only: the step
//! and resume rules are the run's.
//!
//! The OTP travels one way: the UI sends it to `run_onboarding`, which hands
//! it to the run and drops it. Nothing returned or sent on the channel
//! carries it; the rehearsal's demo OTP is the one exception (see
//! `rehearsal.rs`).

use chrono::{DateTime, Utc};
use fatoora_base::i18n::Language;
use fatoora_base::secrets::SecretStore;
use fatoora_base::{DataDir, Environment, Session, Store};
use fatoora_csr::UnitProfile;
use fatoora_onboarding::catalogue::Explanation;
use fatoora_onboarding::client::{ClientOptions, FatooraClient, Target};
use fatoora_onboarding::flow::{Issued, Progress};
use fatoora_onboarding::preflight::{Check, OtpAnswers, Outcome, Overrides};
use fatoora_onboarding::run::{self as onboarding_run, Failure, Probe, RunOutcome, RunRequest};
use fatoora_onboarding::{client, otp_diagnosis, support};
use fatoora_units as units;
use fatoora_units::state::{self, OnboardingState};
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::State;
use tauri::ipc::Channel;

use crate::commands::{EnvironmentInfo, UiLanguage};
use crate::shell::{CommandError, DEMO_VAT, LocalizedText, Shell, command_error};

/// What the user is doing with the OTP: the FATOORA portal's two tiles
/// ("Onboard new solution unit/device" and "Renew existing").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    Onboard,
    Renew,
}

impl From<onboarding_run::Purpose> for Purpose {
    fn from(purpose: onboarding_run::Purpose) -> Self {
        match purpose {
            onboarding_run::Purpose::Onboard => Purpose::Onboard,
            onboarding_run::Purpose::Renew => Purpose::Renew,
        }
    }
}

impl From<Purpose> for onboarding_run::Purpose {
    fn from(purpose: Purpose) -> Self {
        match purpose {
            Purpose::Onboard => onboarding_run::Purpose::Onboard,
            Purpose::Renew => onboarding_run::Purpose::Renew,
        }
    }
}

/// A unit as the wizard's first step lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct OnboardingUnit {
    pub id: String,
    pub common_name: String,
    pub organization_name: String,
    pub vat_number: String,
    /// The unit has a CSR (or onboarding record) in the active environment.
    pub ready: bool,
    /// The step the persisted record is at, when there is one.
    pub step: Option<String>,
    pub step_label: Option<LocalizedText>,
    /// A production CSID is stored (renewal possible).
    pub issued: bool,
    /// The production certificate's notAfter, RFC 3339.
    pub expires_at: Option<String>,
    /// A run stopped part-way: what "Resume" continues, and whether it
    /// needs a new OTP (the stop came before a CSID was issued).
    pub resume: Option<Resume>,
    /// The last failure, as the record keeps it.
    pub last_failure: Option<Explained>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct Resume {
    pub purpose: Purpose,
    pub needs_otp: bool,
    /// The OTP of the stopped run was sent and no answer came back.
    pub otp_may_be_spent: bool,
}

impl From<onboarding_run::Resume> for Resume {
    fn from(resume: onboarding_run::Resume) -> Self {
        Self { purpose: resume.purpose.into(), needs_otp: resume.needs_otp, otp_may_be_spent: resume.otp_may_be_spent }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct Explained {
    pub what_happened: LocalizedText,
    pub next_step: LocalizedText,
}

impl From<Explanation> for Explained {
    fn from(explanation: Explanation) -> Self {
        Self { what_happened: explanation.what_happened.into(), next_step: explanation.next_step.into() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct OnboardingSetup {
    pub environment: EnvironmentInfo,
    pub units: Vec<OnboardingUnit>,
    /// The client's timeouts, stated in the UI.
    pub connect_timeout_seconds: u32,
    pub total_timeout_seconds: u32,
    pub otp_validity_minutes: u32,
    /// The VAT number of the rehearsal's demo units.
    pub rehearsal_vat: String,
}

/// One pre-flight check as the wizard shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct PreflightCheck {
    pub id: String,
    pub label: LocalizedText,
    /// `passed`, `failed` or `unanswered`.
    pub outcome: String,
    /// The user may go ahead despite it (the two questions only).
    pub overridable: bool,
    pub message: LocalizedText,
}

impl From<&Check> for PreflightCheck {
    fn from(check: &Check) -> Self {
        let outcome = match check.outcome {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Unanswered => "unanswered",
        };
        Self {
            id: serde_json::to_value(check.id).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
            label: check.id.label().into(),
            outcome: outcome.to_owned(),
            overridable: check.overridable,
            message: check.message.clone().into(),
        }
    }
}

/// Live progress of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum OnboardingEvent {
    #[serde(rename_all = "camelCase")]
    Preflight { checks: Vec<PreflightCheck> },
    #[serde(rename_all = "camelCase")]
    Step { step: String, label: LocalizedText },
    /// One compliance document: `done` of `total` passed so far.
    #[serde(rename_all = "camelCase")]
    Document { document: String, done: u32, total: u32, skipped: bool },
}

impl OnboardingEvent {
    /// The wizard's view of the run's progress; it shows no line of its own
    /// for the renewal's new key (the renewal step follows at once).
    fn of(progress: Progress) -> Option<Self> {
        Some(match progress {
            Progress::Preflight(report) => OnboardingEvent::Preflight { checks: report.checks.iter().map(PreflightCheck::from).collect() },
            Progress::RenewalKeyReady { .. } => return None,
            Progress::Step { step, label } => OnboardingEvent::Step { step: step.id().to_owned(), label: label.into() },
            Progress::Document { document, done, total, skipped } => {
                OnboardingEvent::Document { document, done: done as u32, total: total as u32, skipped }
            }
        })
    }
}

/// What the user entered. Not `Debug`: it holds the OTP.
#[derive(Clone, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct OnboardingRequest {
    pub unit_id: String,
    pub purpose: Purpose,
    /// Empty when resuming a run that no longer needs it.
    pub otp: String,
    /// When the user says the portal generated the OTP, RFC 3339.
    pub otp_generated_at: Option<String>,
    /// The environment whose portal the user says the OTP came from.
    pub otp_portal: Option<String>,
    pub override_otp_age: bool,
    pub override_otp_portal: bool,
    pub language: UiLanguage,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct IssuedCertificate {
    pub unit_id: String,
    pub environment: String,
    pub pcsid_request_id: String,
    /// The production certificate's notAfter, RFC 3339.
    pub expires_at: Option<String>,
}

impl From<Issued> for IssuedCertificate {
    fn from(issued: Issued) -> Self {
        Self {
            unit_id: issued.unit_id,
            environment: issued.environment.id().to_owned(),
            pcsid_request_id: issued.pcsid_request_id,
            expires_at: issued.pcsid_expires_at.map(|t| t.to_rfc3339()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct OnboardingFailure {
    pub explanation: Explained,
    /// The ZATCA code, when the gateway sent one.
    pub zatca_code: Option<String>,
    /// The pre-flight stopped the run: nothing was sent.
    pub preflight_blocked: bool,
    /// The request may have reached ZATCA without an answer coming back.
    pub may_have_reached_zatca: bool,
    /// "Resume" continues from the persisted state.
    pub resume: Option<Resume>,
}

impl From<Failure> for OnboardingFailure {
    fn from(failure: Failure) -> Self {
        Self {
            zatca_code: failure.zatca_code(),
            preflight_blocked: failure.preflight().is_some(),
            may_have_reached_zatca: failure.may_have_reached_zatca(),
            resume: failure.resume.map(Resume::from),
            explanation: failure.explanation.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct OnboardingOutcome {
    pub issued: Option<IssuedCertificate>,
    pub failure: Option<OnboardingFailure>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct SupportMessageText {
    pub subject: LocalizedText,
    pub body: LocalizedText,
}

/// The units and their onboarding records in the active environment.
#[tauri::command]
#[specta::specta]
pub fn onboarding_setup(shell: State<'_, Shell>) -> Result<OnboardingSetup, CommandError> {
    shell.with_store(|store| Ok(setup(store)))?
}

fn setup(store: &Store) -> Result<OnboardingSetup, CommandError> {
    let environment = store.environment()?;
    let saved = units::list_units(store).map_err(|error| command_error(error.explain()))?;
    let records = state::all(store.connection()).map_err(|error| CommandError::from(fatoora_base::store::StoreError::from(error)))?;
    let units = saved
        .into_iter()
        .map(|unit| {
            let record = records.iter().find(|r| r.unit_id == unit.id && r.environment == environment);
            let has_csr = unit.keys.iter().any(|key| key.environment == environment && key.csr_pem.is_some());
            describe(store, unit.id, &unit.profile, has_csr, record)
        })
        .collect();
    let defaults = ClientOptions::default();
    Ok(OnboardingSetup {
        environment: environment.into(),
        units,
        connect_timeout_seconds: defaults.connect_timeout.as_secs() as u32,
        total_timeout_seconds: defaults.total_timeout.as_secs() as u32,
        otp_validity_minutes: fatoora_onboarding::preflight::OTP_VALIDITY.num_minutes() as u32,
        rehearsal_vat: DEMO_VAT.to_owned(),
    })
}

fn describe(store: &Store, id: String, profile: &UnitProfile, has_csr: bool, record: Option<&OnboardingState>) -> OnboardingUnit {
    OnboardingUnit {
        id,
        common_name: profile.common_name.clone(),
        organization_name: profile.organization_name.clone(),
        vat_number: profile.vat_number.clone(),
        ready: has_csr || record.is_some(),
        step: record.map(|r| r.step.id().to_owned()),
        step_label: record.map(|r| r.step.label().into()),
        issued: record.is_some_and(|r| r.pcsid.is_some()),
        expires_at: record.and_then(|r| r.pcsid_expires_at).map(|t| t.to_rfc3339()),
        resume: record.and_then(onboarding_run::resume_of).map(Resume::from),
        last_failure: record.and_then(|r| otp_diagnosis::explain_recorded(store.connection(), r)).map(Explained::from),
    }
}

/// Onboards or renews one unit, or resumes its stopped run: the pre-flight
/// checks first (sent on the channel; a blocking one stops here and nothing
/// is sent), then each step as it happens.
#[tauri::command]
#[specta::specta]
pub async fn run_onboarding(
    shell: State<'_, Shell>,
    request: OnboardingRequest,
    progress: Channel<OnboardingEvent>,
) -> Result<OnboardingOutcome, CommandError> {
    let environment = shell.with_store(|store| store.environment())?;
    let language: Language = request.language.into();
    let local = match environment {
        Environment::Local => Some(shell.local_gateway().await?),
        _ => None,
    };
    let client = match &local {
        Some(local) => local.client(language)?,
        None => FatooraClient::new(Target::Zatca(environment), ClientOptions { language, ..ClientOptions::default() }).map_err(client_error)?,
    };
    let data_dir = shell.data_dir()?.clone();
    let sink = move |event: OnboardingEvent| {
        // A closed window drops events; the run itself goes on and is persisted.
        let _ = progress.send(event);
    };
    tauri::async_runtime::spawn_blocking(move || {
        let probe = Probe::Now(local.as_ref().map(|local| local.gateway()));
        run_blocking(&data_dir, &client, probe, request, &sink)
    })
    .await
    .map_err(|error| CommandError { message: LocalizedText { en: format!("The onboarding run stopped unexpectedly ({error}); resume it."), ar: format!("توقف تشغيل الربط على نحو غير متوقع ({error})؛ استأنفه.") } })?
}

fn client_error(error: client::ClientError) -> CommandError {
    CommandError {
        message: LocalizedText {
            en: format!("The connection to ZATCA could not be set up ({error})."),
            ar: format!("تعذّر إعداد الاتصال بالهيئة ({error})."),
        },
    }
}

/// The run keeps a SQLite connection across awaits, which cannot move
/// between threads: it runs on its own thread and single-threaded runtime.
fn run_blocking(
    data_dir: &DataDir,
    client: &FatooraClient,
    probe: Probe<'_>,
    request: OnboardingRequest,
    sink: &(dyn Fn(OnboardingEvent) + Send + Sync),
) -> Result<OnboardingOutcome, CommandError> {
    let session = Session::open(data_dir)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|error| CommandError {
        message: LocalizedText { en: format!("The onboarding could not start ({error})."), ar: format!("تعذّر بدء الربط ({error}).") },
    })?;
    runtime.block_on(run(&session.store, session.secrets.as_ref(), client, probe, request, sink))
}

async fn run(
    store: &Store,
    secrets: &dyn SecretStore,
    client: &FatooraClient,
    probe: Probe<'_>,
    request: OnboardingRequest,
    sink: &(dyn Fn(OnboardingEvent) + Send + Sync),
) -> Result<OnboardingOutcome, CommandError> {
    let progress = |progress: Progress| {
        if let Some(event) = OnboardingEvent::of(progress) {
            sink(event);
        }
    };
    let answers = OtpAnswers {
        generated_at: request.otp_generated_at.as_deref().and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map(|t| t.with_timezone(&Utc)),
        portal: request.otp_portal.as_deref().and_then(|p| p.parse().ok()),
    };
    let run_request = RunRequest {
        unit: &request.unit_id,
        purpose: request.purpose.into(),
        otp_text: &request.otp,
        answers,
        overrides: Overrides { otp_age: request.override_otp_age, otp_portal: request.override_otp_portal },
        probe,
    };
    let outcome = onboarding_run::run(store, secrets, client, run_request, &progress).await;
    drop(request);
    match outcome {
        RunOutcome::Issued(issued) => Ok(OnboardingOutcome { issued: Some(issued.into()), failure: None }),
        RunOutcome::UnknownUnit(message) => Err(command_error(message)),
        RunOutcome::Failed(failure) => Ok(OnboardingOutcome { issued: None, failure: Some(failure.into()) }),
    }
}

/// The copy-ready message for ZATCA support, with the facts from the
/// journal and the CSR. Nothing secret is in it.
#[tauri::command]
#[specta::specta]
pub fn onboarding_support_message(shell: State<'_, Shell>, unit_id: String) -> Result<SupportMessageText, CommandError> {
    shell.with_store(|store| Ok(support_text(store, &unit_id)))?
}

fn support_text(store: &Store, unit_id: &str) -> Result<SupportMessageText, CommandError> {
    let environment = store.environment()?;
    let message = support::support_message(store.connection(), unit_id, environment, fatoora_onboarding::probe::latest(store))
        .map_err(|error| CommandError::from(fatoora_base::store::StoreError::from(error)))?;
    Ok(SupportMessageText { subject: message.subject.into(), body: message.body.into() })
}

#[cfg(test)]
mod tests;
