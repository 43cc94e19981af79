//! Batch onboarding against the simulator over HTTPS: a fault mid-batch
//! fails some units, the rest finish, and running again finishes only the
//! failed ones. Then the expiry query over the issued CSIDs.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use fatoora_batch::expiry::{expiring, reminder};
use fatoora_batch::import::{check_csv, import_units};
use fatoora_batch::run::{BatchEvent, BatchOptions, Outcome, assign, pending_units, run_batch, run_batch_reporting};
use fatoora_base::secrets::{MemorySecretStore, SecretBackend, SecretBytes, SecretError, SecretName, SecretStore};
use fatoora_base::{DataDir, Environment, Localized, Store};
use fatoora_onboarding::client::{ClientOptions, FatooraClient, Target};
use fatoora_onboarding::preflight::Reachability;
use fatoora_simulator::{Fault, FaultRule, OtpPurpose, RunningSimulator, Simulator, SimulatorConfig};

const VAT: &str = "399999999900003";
const UNITS: usize = 8;

/// The simulator, a store with `units` imported units, and a client whose
/// whole-request limit is `timeout`.
struct Bench {
    _dir: tempfile::TempDir,
    sim: RunningSimulator,
    data: DataDir,
    store: Store,
    secrets: Arc<MemorySecretStore>,
    client: FatooraClient,
    options: BatchOptions,
}

async fn bench(units: usize, timeout: Duration) -> Bench {
    let dir = tempfile::tempdir().unwrap();
    let sim = Simulator::start(SimulatorConfig::new(dir.path().join("sim"))).await.unwrap();
    let data = DataDir::at(dir.path().join("app"));
    let mut store = Store::open(&data).unwrap();
    let secrets = Arc::new(MemorySecretStore::default());
    let mut csv = String::from("organization_name,vat_number,organization_unit,common_name,serial,invoice_types,address,business_category,country\n");
    for n in 0..units {
        csv.push_str(&format!("سلسلة متاجر المثال,{VAT},فرع {n},POS-{n},1-POS|2-V1|3-{n:04},1100,RRRD2929,Retail,SA\n"));
    }
    let check = check_csv(csv.as_bytes(), Environment::Local, &store).unwrap();
    import_units(&mut store, secrets.as_ref(), &check, false).unwrap();

    let client = FatooraClient::new(
        Target::Local { base_url: sim.base_url(Environment::Local), ca_pem: sim.ca_cert_pem().to_owned() },
        ClientOptions { connect_timeout: Duration::from_secs(2), total_timeout: timeout, retry_pause: Duration::from_millis(10), ..ClientOptions::default() },
    )
    .unwrap();
    let options = BatchOptions {
        concurrency: 3,
        otps_generated_at: Utc::now() - chrono::Duration::minutes(5),
        portal: Environment::Local,
        reachability: Some(Reachability { ready: true, summary: Localized::new("up", "up") }),
    };
    Bench { _dir: dir, sim, data, store, secrets, client, options }
}

#[tokio::test]
async fn a_fault_mid_batch_fails_some_units_and_the_rerun_finishes_only_those() {
    let Bench { sim, data, store, secrets, client, options, .. } = &bench(UNITS, Duration::from_secs(10)).await;
    let otp_list = |count: usize| (0..count).map(|_| sim.admin().mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap() + "\n").collect::<String>();

    // The gateway answers 500 to the next three requests, whichever units send them.
    let pending = pending_units(store, Environment::Local).unwrap();
    assert_eq!(pending.len(), UNITS);
    let list = otp_list(UNITS);
    let assignments = assign(&list, &pending).unwrap();
    sim.admin().set_fault(FaultRule::times(Fault::InvalidRequest, 3));
    let first = run_batch(data, secrets.clone(), client, assignments, options).await;
    assert_eq!((first.issued, first.failed, first.already_issued), (UNITS - 3, 3, 0), "{:#?}", first.results);
    assert!(first.minutes_left > 0 && first.minutes_left <= 55);
    for result in &first.results {
        if let Outcome::Failed { explanation, zatca_code, .. } = &result.outcome {
            assert_eq!(zatca_code.as_deref(), Some("Invalid-Request"));
            assert!(!explanation.what_happened.en.is_empty() && !explanation.what_happened.ar.is_empty());
        }
    }
    let failed: Vec<String> = first.failed_units().into_iter().map(str::to_owned).collect();

    // Run again with a fresh list: only the failed units are still pending
    // and get OTPs; the issued ones are skipped without a request.
    let pending = pending_units(store, Environment::Local).unwrap();
    let (mut pending_sorted, mut failed_sorted) = (pending.clone(), failed.clone());
    pending_sorted.sort();
    failed_sorted.sort();
    assert_eq!(pending_sorted, failed_sorted);
    let mut retry = assign(&otp_list(3), &pending).unwrap();
    // An issued unit named again is reported, not re-onboarded.
    let issued_unit = first.results.iter().find(|r| matches!(r.outcome, Outcome::Issued { .. })).unwrap().unit_id.clone();
    retry.extend(assign(&format!("{issued_unit},{}", otp_list(1)), &[]).unwrap());
    let sent_before = sim.admin().issued_csids().unwrap().len();
    let second = run_batch(data, secrets.clone(), client, retry, options).await;
    assert_eq!((second.issued, second.failed, second.already_issued), (3, 0, 1), "{:#?}", second.results);
    assert_eq!(sim.admin().issued_csids().unwrap().len(), sent_before + 6, "a CCSID and a PCSID for each retried unit only");
    assert!(pending_units(store, Environment::Local).unwrap().is_empty());

    // Expiry: every unit now has a production CSID with a notAfter.
    let all = expiring(store, chrono::Duration::days(36500), Utc::now()).unwrap();
    assert_eq!(all.len(), UNITS);
    let soonest = all[0].expires_at;
    let five_days_before = soonest - chrono::Duration::days(5);
    let due = expiring(store, chrono::Duration::days(7), five_days_before).unwrap();
    assert!(!due.is_empty() && due.iter().all(|u| u.reminder == Some(7)));
    assert!(due[0].message.en.contains("POS-") && due[0].message.ar.contains("POS-"));
    assert_eq!(reminder(soonest, soonest + chrono::Duration::seconds(1)), Some(0));
}

/// Whether the one unit's result asks for a new OTP.
async fn asks_for_a_new_otp(b: &Bench, otp: &str) -> bool {
    let assignments = assign(otp, &pending_units(&b.store, Environment::Local).unwrap()).unwrap();
    let report = run_batch(&b.data, b.secrets.clone(), &b.client, assignments, &b.options).await;
    match &report.results[0].outcome {
        Outcome::Failed { otp_may_be_spent, .. } => *otp_may_be_spent,
        other => panic!("{other:?}"),
    }
}

/// An OTP sent once may be spent: the run that sent it and every later run
/// given it again ask for a new one (the flow never sends it twice).
#[tokio::test]
async fn a_unit_whose_otp_may_be_spent_is_asked_for_a_new_one_on_every_run() {
    let b = bench(1, Duration::from_millis(500)).await;
    let admin = b.sim.admin();
    // Answered with an error: spent as far as the app knows.
    let refused = admin.mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();
    admin.set_fault(FaultRule::times(Fault::TooManyRequests, 1).only("POST", "/compliance", 0));
    assert!(asks_for_a_new_otp(&b, &refused).await, "429 on the CCSID request");
    assert!(asks_for_a_new_otp(&b, &refused).await, "the pre-flight refuses it as already sent");
    // No answer in time: in doubt.
    let unanswered = admin.mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();
    admin.set_fault(FaultRule::times(Fault::HangAfterProcessing, 1).only("POST", "/compliance", 0));
    assert!(asks_for_a_new_otp(&b, &unanswered).await, "timed out");
    assert!(asks_for_a_new_otp(&b, &unanswered).await, "in doubt");
    for otp in [&refused, &unanswered] {
        assert_eq!(admin.otp_record(Environment::Local, otp).unwrap().unwrap().presented, 1, "never sent twice");
    }
}

#[test]
fn otp_lists_are_checked_line_by_line_without_echoing_otps() {
    let pending = vec!["u-a".to_owned(), "u-b".to_owned()];
    let assignments = assign("# from the portal\n123456\n\nu-a,654321\n", &pending).unwrap();
    // u-a is named on a later line, so the bare OTP goes to u-b.
    let pairs: Vec<_> = assignments.iter().map(|a| (a.unit_id.as_str(), a.otp.expose().as_str())).collect();
    assert_eq!(pairs, vec![("u-b", "123456"), ("u-a", "654321")]);
    assert!(!format!("{assignments:?}").contains("123456"), "Debug never shows an OTP");
    let errors = assign("12345x\n111111\n222222\n333333\n", &pending).unwrap_err();
    assert_eq!(errors.iter().map(|e| e.line).collect::<Vec<_>>(), vec![1, 4]);
    for error in &errors {
        assert!(!error.message.en.contains("12345x") && !error.message.en.contains("333333"));
        assert!(error.message.ar.contains(&format!("السطر {}", error.line)));
    }
}

/// An OTP ZATCA refuses as `Invalid-OTP` is explained from the unit's own
/// evidence, as a single onboarding explains it, not with the general list.
#[tokio::test]
async fn an_invalid_otp_in_a_batch_gets_the_differential_diagnosis() {
    let b = bench(1, Duration::from_secs(30)).await;
    // An OTP of another taxpayer: the gateway answers Invalid-OTP.
    let foreign = b.sim.admin().mint_otp(Environment::Local, "300000000000003", OtpPurpose::Onboard).unwrap();
    let assignments = assign(&foreign, &pending_units(&b.store, Environment::Local).unwrap()).unwrap();
    let report = run_batch(&b.data, b.secrets.clone(), &b.client, assignments, &b.options).await;
    let Outcome::Failed { zatca_code, explanation, .. } = &report.results[0].outcome else {
        panic!("{:?}", report.results[0].outcome)
    };
    assert_eq!(zatca_code.as_deref(), Some("Invalid-OTP"));
    let said = &explanation.what_happened;
    assert!(said.en.contains("Ruled out:"), "{}", said.en);
    assert!(explanation.next_step.en.contains(VAT) && explanation.next_step.ar.contains(VAT), "{:?}", explanation.next_step);
    assert!(!said.en.contains(&foreign) && !said.ar.contains(&foreign), "the OTP is never echoed");
}

/// The memory store, except that reading one unit's secrets panics, as a
/// broken keychain library might.
struct PanicsFor {
    inner: Arc<MemorySecretStore>,
    unit_id: String,
}

impl SecretStore for PanicsFor {
    fn put(&self, name: &SecretName, secret: &SecretBytes) -> Result<(), SecretError> {
        self.inner.put(name, secret)
    }
    fn get(&self, name: &SecretName) -> Result<Option<SecretBytes>, SecretError> {
        assert!(!name.as_str().contains(&self.unit_id), "a keychain library bug");
        self.inner.get(name)
    }
    fn delete(&self, name: &SecretName) -> Result<bool, SecretError> {
        self.inner.delete(name)
    }
    fn backend(&self) -> SecretBackend {
        self.inner.backend()
    }
}

/// A unit whose run panics is reported as stopped, with its Finished event
/// like any other (the CLI counts units by them), and the others finish.
#[tokio::test]
async fn a_panicking_unit_is_reported_and_the_others_finish() {
    let b = bench(3, Duration::from_secs(30)).await;
    let pending = pending_units(&b.store, Environment::Local).unwrap();
    let otps: String = pending.iter().map(|_| b.sim.admin().mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap() + "\n").collect();
    let assignments = assign(&otps, &pending).unwrap();
    let broken = pending[1].clone();
    let secrets = Arc::new(PanicsFor { inner: b.secrets.clone(), unit_id: broken.clone() });
    let finished = std::sync::Mutex::new(Vec::new());
    let on_event = |event: BatchEvent| {
        if let BatchEvent::Finished { result } = event {
            finished.lock().unwrap().push(result.unit_id);
        }
    };
    let report = run_batch_reporting(&b.data, secrets, &b.client, assignments, &b.options, &on_event).await;

    let mut finished = finished.into_inner().unwrap();
    finished.sort();
    let mut expected = pending.clone();
    expected.sort();
    assert_eq!(finished, expected, "one Finished event per unit");
    assert_eq!((report.issued, report.failed), (2, 1), "{:#?}", report.results);
    let stopped = report.results.iter().find(|r| r.unit_id == broken).unwrap();
    let Outcome::Failed { explanation, otp_may_be_spent, .. } = &stopped.outcome else { panic!("{:?}", stopped.outcome) };
    assert!(explanation.what_happened.en.contains("stopped unexpectedly"), "{:?}", explanation.what_happened);
    assert!(explanation.what_happened.ar.contains("غير متوقع"), "{:?}", explanation.what_happened);
    assert!(*otp_may_be_spent, "it may have stopped after sending the OTP");
}
