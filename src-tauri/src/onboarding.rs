//! The onboarding wizard's commands: which units can be onboarded, renewed
//! or resumed; one run of the flow (pre-flight, CCSID, compliance checks,
//! PCSID) with live progress over a channel; the support message; and the
//! first-run rehearsal against the bundled simulator.
//!
//! The OTP travels one way: the UI sends it to `run_onboarding`, which hands
//! it to the flow and drops it. Nothing returned or sent on the channel
//! carries it; the rehearsal's demo OTP is the one exception, because it is
//! the local simulator's own and the user must type it (see
//! [`start_rehearsal`]).

use chrono::{DateTime, Utc};
use fatoora_base::i18n::Language;
use fatoora_base::secrets::{SecretBackend, SecretStore, open_secret_store};
use fatoora_base::{DataDir, Environment, Store};
use fatoora_csr::UnitProfile;
use fatoora_units as units;
use fatoora_onboarding::catalogue::Explanation;
use fatoora_onboarding::client::{ClientOptions, FatooraClient, Reach, Target};
use fatoora_onboarding::flow::{FlowError, Issued, Onboarding, Progress, Request, Unit};
use fatoora_onboarding::preflight::{Check, OtpAnswers, Outcome, Overrides, Reachability};
use fatoora_units::state::{self, OnboardingState, Step};
use fatoora_onboarding::{client, otp_diagnosis, probe, support};
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::State;
use tauri::ipc::Channel;

use crate::commands::{EnvironmentInfo, UiLanguage};
use crate::rehearsal::DEMO_VAT;
use crate::shell::{CommandError, LocalizedText, Shell};

/// What the user is doing with the OTP: the FATOORA portal's two tiles
/// ("Onboard new solution unit/device" and "Renew existing").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    Onboard,
    Renew,
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

impl From<Progress> for OnboardingEvent {
    fn from(progress: Progress) -> Self {
        match progress {
            Progress::Step { step, label } => OnboardingEvent::Step { step: step.id().to_owned(), label: label.into() },
            Progress::Document { document, done, total, skipped } => {
                OnboardingEvent::Document { document, done: done as u32, total: total as u32, skipped }
            }
        }
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

pub(crate) fn command_error(message: fatoora_base::Localized) -> CommandError {
    CommandError { message: message.into() }
}

pub(crate) fn open_secrets(data_dir: &DataDir) -> Result<Box<dyn SecretStore>, CommandError> {
    SecretBackend::from_env().and_then(|backend| open_secret_store(data_dir, backend)).map_err(|error| command_error(error.explain()))
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
    let issued = record.is_some_and(|r| r.pcsid.is_some());
    OnboardingUnit {
        id,
        common_name: profile.common_name.clone(),
        organization_name: profile.organization_name.clone(),
        vat_number: profile.vat_number.clone(),
        ready: has_csr || record.is_some(),
        step: record.map(|r| r.step.id().to_owned()),
        step_label: record.map(|r| r.step.label().into()),
        issued,
        expires_at: record.and_then(|r| r.pcsid_expires_at).map(|t| t.to_rfc3339()),
        resume: record.and_then(resume_of),
        last_failure: record.and_then(|r| last_failure(store, r)),
    }
}

/// Where a stopped run picks up. `None` when nothing is under way.
fn resume_of(record: &OnboardingState) -> Option<Resume> {
    let otp_may_be_spent = record.otp_in_doubt_hash.is_some();
    let (purpose, needs_otp) = match record.step {
        Step::Preflight | Step::Issued => return None,
        // The CSID request failed or got no answer: the key and CSR are
        // kept; a new OTP is needed (the old one is spent or in doubt).
        Step::Ccsid => (Purpose::Onboard, true),
        Step::Renewal => (Purpose::Renew, true),
        Step::ComplianceChecks | Step::Pcsid => (Purpose::Onboard, false),
        Step::RenewalChecks | Step::RenewalPcsid => (Purpose::Renew, false),
    };
    Some(Resume { purpose, needs_otp, otp_may_be_spent })
}

/// The record's last failure. The record keeps the catalogue's words; an
/// Invalid-OTP is diagnosed again from the journal's evidence.
fn last_failure(store: &Store, record: &OnboardingState) -> Option<Explained> {
    let error = record.last_error.as_ref()?;
    if error.get("code").and_then(|c| c.as_str()) == Some("Invalid-OTP")
        && let Ok(Some(evidence)) = otp_diagnosis::gather(store.connection(), &record.unit_id, record.environment)
    {
        return Some(otp_diagnosis::diagnose(&evidence).explanation().into());
    }
    error.get("explanation").and_then(explained_from_json)
}

fn explained_from_json(value: &serde_json::Value) -> Option<Explained> {
    let text = |key: &str| -> Option<LocalizedText> {
        let part = value.get(key)?;
        Some(LocalizedText { en: part.get("en")?.as_str()?.to_owned(), ar: part.get("ar")?.as_str()?.to_owned() })
    };
    Some(Explained { what_happened: text("what_happened")?, next_step: text("next_step")? })
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
    let options = ClientOptions { language, ..ClientOptions::default() };
    let local = match environment {
        Environment::Local => Some(shell.local_gateway().await?),
        _ => None,
    };
    let client = match &local {
        Some(local) => local.client(language)?,
        None => FatooraClient::new(Target::Zatca(environment), options).map_err(client_error)?,
    };
    let reachability = probe::reachability(environment, local.as_ref().map(|l| l.gateway())).await;
    let data_dir = shell.data_dir()?.clone();
    let sink = move |event: OnboardingEvent| {
        // A closed window drops events; the run itself goes on and is persisted.
        let _ = progress.send(event);
    };
    tauri::async_runtime::spawn_blocking(move || run_blocking(&data_dir, &client, reachability, request, &sink))
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

/// The flow keeps a SQLite connection across awaits, which cannot move
/// between threads: it runs on its own thread and single-threaded runtime.
fn run_blocking(
    data_dir: &DataDir,
    client: &FatooraClient,
    reachability: Reachability,
    request: OnboardingRequest,
    sink: &(dyn Fn(OnboardingEvent) + Send + Sync),
) -> Result<OnboardingOutcome, CommandError> {
    let store = Store::open(data_dir)?;
    let secrets = open_secrets(data_dir)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|error| CommandError {
        message: LocalizedText { en: format!("The onboarding could not start ({error})."), ar: format!("تعذّر بدء الربط ({error}).") },
    })?;
    runtime.block_on(run(&store, secrets.as_ref(), client, reachability, request, sink))
}

async fn run(
    store: &Store,
    secrets: &dyn SecretStore,
    client: &FatooraClient,
    reachability: Reachability,
    request: OnboardingRequest,
    sink: &(dyn Fn(OnboardingEvent) + Send + Sync),
) -> Result<OnboardingOutcome, CommandError> {
    probe::remember(store, &reachability);
    let environment = client.environment();
    let unit = Unit::find(store, &request.unit_id, environment).map_err(command_error)?;
    let progress = |event: Progress| sink(event.into());
    let flow = Onboarding::new(store, secrets, client).map_err(|error| flow_error(&error))?.with_progress(&progress);
    let answers = OtpAnswers {
        generated_at: request.otp_generated_at.as_deref().and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map(|t| t.with_timezone(&Utc)),
        portal: request.otp_portal.as_deref().and_then(|p| p.parse().ok()),
    };
    let overrides = Overrides { otp_age: request.override_otp_age, otp_portal: request.override_otp_portal };
    let flow_request = Request { otp_text: &request.otp, answers, overrides, reachability: Some(reachability) };

    let record = flow.state(&unit.id).map_err(|error| flow_error(&error))?;
    let needs_otp = match record.as_ref().map(|r| r.step) {
        None | Some(Step::Preflight | Step::Ccsid | Step::Renewal | Step::Issued) => true,
        Some(_) => false,
    };
    if needs_otp {
        let report = flow.preflight(&unit, &flow_request).map_err(|error| flow_error(&error))?;
        sink(OnboardingEvent::Preflight { checks: report.checks.iter().map(PreflightCheck::from).collect() });
        if !report.passed(overrides) {
            let error = FlowError::Preflight(report);
            return Ok(OnboardingOutcome { issued: None, failure: Some(failure(store, &flow, &unit.id, &error)) });
        }
    }
    let result = match request.purpose {
        Purpose::Onboard => flow.onboard(&unit, &flow_request).await,
        Purpose::Renew => flow.renew(&unit, &flow_request).await,
    };
    drop(flow_request);
    drop(request);
    Ok(match result {
        Ok(issued) => OnboardingOutcome { issued: Some(issued.into()), failure: None },
        Err(error) => {
            tracing::warn!(unit = %unit.id, %environment, code = ?error.zatca_code(), "onboarding stopped: {error}");
            OnboardingOutcome { issued: None, failure: Some(failure(store, &flow, &unit.id, &error)) }
        }
    })
}

fn flow_error(error: &FlowError) -> CommandError {
    let explanation = error.explain();
    CommandError {
        message: LocalizedText {
            en: format!("{} {}", explanation.what_happened.en, explanation.next_step.en),
            ar: format!("{} {}", explanation.what_happened.ar, explanation.next_step.ar),
        },
    }
}

fn failure(store: &Store, flow: &Onboarding<'_>, unit_id: &str, error: &FlowError) -> OnboardingFailure {
    let may_have_reached_zatca = match error {
        FlowError::Call { error, .. } => error.reach() == Reach::MayHaveReached,
        FlowError::OtpInDoubt => true,
        _ => false,
    };
    OnboardingFailure {
        explanation: otp_diagnosis::explain_failure(store.connection(), unit_id, flow.environment(), error).into(),
        zatca_code: error.zatca_code(),
        preflight_blocked: matches!(error, FlowError::Preflight(_)),
        may_have_reached_zatca,
        resume: flow.state(unit_id).ok().flatten().as_ref().and_then(resume_of),
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
    let message = support::support_message(store.connection(), unit_id, environment, probe::latest(store))
        .map_err(|error| CommandError::from(fatoora_base::store::StoreError::from(error)))?;
    Ok(SupportMessageText { subject: message.subject.into(), body: message.body.into() })
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use fatoora_base::secrets::MemorySecretStore;
    use fatoora_simulator::{Simulator, SimulatorConfig};
    use fatoora_units::KeyChoice;

    use crate::shell::OtpPurpose;

    use super::*;

    struct Lab {
        _dir: tempfile::TempDir,
        data_dir: DataDir,
        store: Store,
        secrets: MemorySecretStore,
        simulator: fatoora_simulator::RunningSimulator,
        client: FatooraClient,
    }

    async fn lab() -> Lab {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = DataDir::at(dir.path());
        let simulator = Simulator::start(SimulatorConfig::new(fatoora_onboarding::local::simulator_dir(&data_dir))).await.unwrap();
        let gateway = fatoora_onboarding::local::LocalGateway::from_runtime_file(&fatoora_onboarding::local::simulator_dir(&data_dir)).unwrap();
        let client = gateway.client(ClientOptions { language: Language::Ar, ..ClientOptions::default() }).unwrap();
        let mut store = Store::open(&data_dir).unwrap();
        let secrets = MemorySecretStore::default();
        units::prepare_csr(&mut store, &secrets, &UnitProfile::sdk_example(Environment::Local), KeyChoice::Generate, false).unwrap();
        Lab { _dir: dir, data_dir, store, secrets, simulator, client }
    }

    fn unit_id(lab: &Lab) -> String {
        units::list_units(&lab.store).unwrap()[0].id.clone()
    }

    fn request(unit_id: &str, otp: &str) -> OnboardingRequest {
        OnboardingRequest {
            unit_id: unit_id.to_owned(),
            purpose: Purpose::Onboard,
            otp: otp.to_owned(),
            otp_generated_at: Some((Utc::now() - chrono::Duration::minutes(5)).to_rfc3339()),
            otp_portal: Some("local".into()),
            override_otp_age: false,
            override_otp_portal: false,
            language: UiLanguage::Ar,
        }
    }

    fn reachable() -> Reachability {
        Reachability { ready: true, summary: fatoora_base::Localized::new("reachable", "متاح") }
    }

    async fn run_collecting(lab: &Lab, request: OnboardingRequest) -> (OnboardingOutcome, Vec<OnboardingEvent>) {
        run_with_hook(lab, request, |_| {}).await
    }

    async fn run_with_hook(
        lab: &Lab,
        request: OnboardingRequest,
        hook: impl Fn(&OnboardingEvent) + Send + Sync,
    ) -> (OnboardingOutcome, Vec<OnboardingEvent>) {
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = {
            let events = events.clone();
            move |event: OnboardingEvent| {
                hook(&event);
                events.lock().unwrap().push(event)
            }
        };
        let outcome = run(&lab.store, &lab.secrets, &lab.client, reachable(), request, &sink).await.unwrap();
        let events = events.lock().unwrap().clone();
        (outcome, events)
    }

    /// The OTP as a token of its own (not inside a longer run of digits).
    fn holds_otp(haystack: &str, otp: &str) -> bool {
        haystack.match_indices(otp).any(|(at, _)| {
            let before = haystack[..at].chars().next_back();
            let after = haystack[at + otp.len()..].chars().next();
            !before.is_some_and(|c| c.is_ascii_digit()) && !after.is_some_and(|c| c.is_ascii_digit())
        })
    }

    #[tokio::test]
    async fn onboarding_reports_each_step_and_the_expiry_and_the_otp_never_comes_back() {
        let lab = lab().await;
        let id = unit_id(&lab);
        let otp = lab.simulator.admin().mint_otp(Environment::Local, DEMO_VAT, OtpPurpose::Onboard).unwrap();
        let (outcome, events) = run_collecting(&lab, request(&id, &otp)).await;

        let issued = outcome.issued.clone().expect("issued");
        assert!(issued.expires_at.is_some());
        assert!(matches!(&events[0], OnboardingEvent::Preflight { checks } if checks.iter().all(|c| c.outcome == "passed")));
        let steps: Vec<_> = events.iter().filter_map(|e| match e { OnboardingEvent::Step { step, .. } => Some(step.as_str()), _ => None }).collect();
        assert_eq!(steps, ["ccsid", "compliance-checks", "pcsid", "issued"]);
        let documents = events.iter().filter(|e| matches!(e, OnboardingEvent::Document { skipped: false, .. })).count();
        assert_eq!(documents, 6, "1100: standard and simplified invoice, credit and debit note");

        let setup = setup(&lab.store).unwrap();
        let returned = [serde_json::to_string(&outcome).unwrap(), serde_json::to_string(&events).unwrap(), serde_json::to_string(&setup).unwrap(),
            serde_json::to_string(&support_text(&lab.store, &id).unwrap()).unwrap()];
        for text in &returned {
            assert!(!holds_otp(text, &otp), "the OTP came back: {text}");
        }
        let database = String::from_utf8_lossy(&std::fs::read(lab.data_dir.database()).unwrap()).into_owned();
        let wal = std::fs::read(lab.data_dir.database().with_extension("sqlite3-wal")).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
        assert!(!holds_otp(&database, &otp) && !holds_otp(&wal, &otp), "the OTP is in the store");
        assert!(setup.units[0].issued && setup.units[0].resume.is_none());
    }

    #[tokio::test]
    async fn a_reused_otp_is_stopped_before_sending_and_a_wrong_one_is_explained_and_resumable() {
        let lab = lab().await;
        let id = unit_id(&lab);
        let wrong = "000000";
        let (outcome, _) = run_collecting(&lab, request(&id, wrong)).await;
        let failure = outcome.failure.expect("Invalid-OTP");
        assert_eq!(failure.zatca_code.as_deref(), Some("Invalid-OTP"));
        // Diagnosed from the evidence: the stated portal and age and the
        // journal rule causes out; the next step names the CSR's VAT number.
        let what = &failure.explanation.what_happened;
        assert!(what.en.contains("\nRuled out:\n- the OTP came from another environment's portal") && what.en.contains("\nStill possible, most likely first:\n1. "), "{}", what.en);
        assert!(what.ar.contains("\nمستبعد:\n") && what.ar.replace('\u{064B}', "").contains("\nما زال محتملا، الأرجح أولا:\n1. "), "{}", what.ar);
        assert!(failure.explanation.next_step.en.contains(&format!("as the taxpayer whose VAT number is {DEMO_VAT}")), "{}", failure.explanation.next_step.en);
        assert!(failure.explanation.next_step.ar.contains(&format!("\u{2066}{DEMO_VAT}\u{2069}")), "{}", failure.explanation.next_step.ar);
        let listed = setup(&lab.store).unwrap().units[0].last_failure.clone().expect("the unit lists its failure");
        assert_eq!(listed, failure.explanation, "the wizard's unit list shows the same diagnosis");
        let resume = failure.resume.expect("resumable with a new OTP");
        assert!(resume.needs_otp && resume.purpose == Purpose::Onboard);

        // The same OTP again: pre-flight says it was used, nothing is sent.
        let (outcome, events) = run_collecting(&lab, request(&id, wrong)).await;
        let failure = outcome.failure.expect("pre-flight stops it");
        assert!(failure.preflight_blocked);
        let OnboardingEvent::Preflight { checks } = &events[0] else { panic!("pre-flight first") };
        assert!(checks.iter().any(|c| c.id == "otp-unused" && c.outcome == "failed"));
        assert!(events.len() == 1, "nothing after the pre-flight");

        // Resume with a good OTP: the key and CSR kept, the unit onboarded.
        let otp = lab.simulator.admin().mint_otp(Environment::Local, DEMO_VAT, OtpPurpose::Onboard).unwrap();
        let (outcome, _) = run_collecting(&lab, request(&id, &otp)).await;
        assert!(outcome.issued.is_some(), "{:?}", outcome.failure);
        let message = support_text(&lab.store, &id).unwrap();
        assert!(message.body.en.contains("Invalid-OTP"), "{}", message.body.en);
        assert!(!holds_otp(&message.body.en, &otp) && !holds_otp(&message.body.ar, &otp));
    }

    #[tokio::test]
    async fn a_failed_compliance_check_resumes_without_an_otp() {
        let lab = lab().await;
        let id = unit_id(&lab);
        let otp = lab.simulator.admin().mint_otp(Environment::Local, DEMO_VAT, OtpPurpose::Onboard).unwrap();
        // 503 once, right after the second compliance document passed.
        let admin = lab.simulator.admin();
        let hook = move |event: &OnboardingEvent| {
            if matches!(event, OnboardingEvent::Document { done: 2, skipped: false, .. }) {
                admin.set_fault(fatoora_simulator::FaultRule::times(fatoora_simulator::Fault::ServiceUnavailable, 1));
            }
        };
        let (outcome, _) = run_with_hook(&lab, request(&id, &otp), hook).await;
        let resume = outcome.failure.expect("503").resume.expect("resumable");
        assert!(!resume.needs_otp);

        let (outcome, events) = run_collecting(&lab, request(&id, "")).await;
        assert!(outcome.issued.is_some(), "{:?}", outcome.failure);
        assert!(!events.iter().any(|e| matches!(e, OnboardingEvent::Preflight { .. })), "no OTP, no pre-flight");
        assert!(events.iter().any(|e| matches!(e, OnboardingEvent::Document { skipped: true, .. })), "passed documents not resent");
    }
}
