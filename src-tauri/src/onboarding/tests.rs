//! The wizard's run against the simulator on loopback, with the real store.

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

fn reachable() -> fatoora_onboarding::preflight::Reachability {
    fatoora_onboarding::preflight::Reachability { ready: true, summary: fatoora_base::Localized::new("reachable", "متاح") }
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
    let outcome = run(&lab.store, &lab.secrets, &lab.client, Probe::Done(Some(reachable())), request, &sink).await.unwrap();
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
    // The flow reports every pre-flight it runs: one event, one run.
    assert_eq!(events.iter().filter(|e| matches!(e, OnboardingEvent::Preflight { .. })).count(), 1, "the pre-flight runs once");
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
    assert!(failure.explanation.next_step.en.contains(&format!("VAT number {DEMO_VAT}")), "{}", failure.explanation.next_step.en);
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
