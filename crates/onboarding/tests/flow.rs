//! The whole flow against the simulator over real HTTPS on loopback, with a
//! real SQLite store.

mod support;

use std::sync::Mutex;

use fatoora_base::Environment;
use fatoora_base::secrets::{SecretName, SecretStore};
use fatoora_onboarding::catalogue::{Endpoint, ErrorCode};
use fatoora_onboarding::client::{CallError, Reach};
use fatoora_onboarding::flow::{FlowError, Onboarding, Progress, Request};
use fatoora_onboarding::journal;
use fatoora_onboarding::preflight::{CheckId, OtpAnswers, Overrides};
use fatoora_units::state::Step;
use fatoora_simulator::{Fault, FaultRule, OtpPurpose};
use support::*;

fn code(error: &FlowError) -> String {
    error.zatca_code().unwrap_or_else(|| format!("{error:?}"))
}

async fn onboard_ok(lab: &Lab, id: &str, types: &str) {
    let flow = Onboarding::new(&lab.store, &lab.secrets, &lab.client).unwrap();
    let otp = mint(lab, OtpPurpose::Onboard);
    let issued = flow.onboard(&unit(id, types), &request(&otp)).await.unwrap_or_else(|e| panic!("{e}: {:?}", e.explain()));
    assert!(issued.pcsid_expires_at.is_some());
}

#[tokio::test]
async fn happy_path_for_each_invoice_type_set() {
    let lab = lab().await;
    for (id, types, documents) in [("u-1000", "1000", 3), ("u-0100", "0100", 3), ("u-1100", "1100", 6)] {
        let events = Mutex::new(Vec::new());
        let sink = |p: Progress| events.lock().unwrap().push(p);
        let flow = Onboarding::new(&lab.store, &lab.secrets, &lab.client).unwrap().with_progress(&sink);
        let otp = mint(&lab, OtpPurpose::Onboard);
        let issued = flow.onboard(&unit(id, types), &request(&otp)).await.unwrap_or_else(|e| panic!("{id}: {e}: {:?}", e.explain()));
        let state = flow.state(id).unwrap().unwrap();
        assert_eq!(state.step, Step::Issued);
        assert_eq!(state.pcsid.as_ref().unwrap().request_id, issued.pcsid_request_id);
        let checks = journal::entries(lab.store.connection(), Some(id)).unwrap().into_iter().filter(|e| e.endpoint == Endpoint::ComplianceInvoices).count();
        assert_eq!(checks, documents, "{id}");
        let submitted = events.lock().unwrap().iter().filter(|p| matches!(p, Progress::Document { skipped: false, .. })).count();
        assert_eq!(submitted, documents);
    }
}

#[tokio::test]
async fn the_journal_and_state_never_hold_the_otp_or_secrets() {
    let lab = lab().await;
    let otp = mint(&lab, OtpPurpose::Onboard);
    let flow = Onboarding::new(&lab.store, &lab.secrets, &lab.client).unwrap();
    let _ = flow.onboard(&unit("u-canary", "1100"), &request(&otp)).await;
    let state = flow.state("u-canary").unwrap().unwrap();
    let ccsid = state.ccsid.clone().expect("a CCSID was issued");
    let secret = lab.secrets.get(&SecretName::new(ccsid.secret_name.clone()).unwrap()).unwrap().unwrap();
    let secret = String::from_utf8(secret.expose().clone()).unwrap();
    let key = lab.secrets.get(&SecretName::new(state.key_name.clone().unwrap()).unwrap()).unwrap().unwrap();
    let key = String::from_utf8(key.expose().clone()).unwrap();
    let key_body: String = key.lines().filter(|l| !l.starts_with("-----")).collect();

    // Every byte of the database file, WAL included.
    let conn = lab.store.connection();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
    let bytes = std::fs::read(lab.store.path()).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    for (what, canary) in [("OTP", otp.as_str()), ("CCSID secret", secret.as_str()), ("private key", key_body.as_str())] {
        assert!(!text.contains(canary), "the {what} reached the database");
    }
    let json = serde_json::to_string(&journal::entries(conn, None).unwrap()).unwrap() + &serde_json::to_string(&state).unwrap();
    for canary in [otp.as_str(), secret.as_str()] {
        assert!(!json.contains(canary));
    }
}

#[tokio::test]
async fn a_used_otp_is_refused_before_it_is_sent() {
    let lab = lab().await;
    let otp = mint(&lab, OtpPurpose::Onboard);
    let flow = Onboarding::new(&lab.store, &lab.secrets, &lab.client).unwrap();
    let _ = flow.onboard(&unit("u-a", "1100"), &request(&otp)).await;
    let sent_before = journal::entries(lab.store.connection(), None).unwrap().len();
    let error = flow.onboard(&unit("u-b", "1100"), &request(&otp)).await.unwrap_err();
    // The next step fits the block: a used OTP is done for, so no "the OTP was not used".
    let next = error.explain().next_step;
    // A rehearsal's new OTP comes from the simulator, not the portal.
    assert!(next.en.starts_with("This OTP was sent before") && next.en.contains("get a new rehearsal OTP"), "{}", next.en);
    assert!(!next.en.contains("not used") && next.ar.contains("احصل على رمز تحقق تجريبي جديد"), "{next:?}");
    match error {
        FlowError::Preflight(report) => {
            assert_eq!(report.blocking(Overrides { otp_age: true, otp_portal: true }).iter().map(|c| c.id).collect::<Vec<_>>(), vec![CheckId::OtpUnused]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(journal::entries(lab.store.connection(), None).unwrap().len(), sent_before, "nothing was sent");
}

#[tokio::test]
async fn overridden_preflight_lets_the_gateway_explain_each_invalid_otp() {
    let lab = lab().await;
    let flow = Onboarding::new(&lab.store, &lab.secrets, &lab.client).unwrap();
    let overridden = |otp: &str| Request {
        otp_text: Box::leak(otp.to_owned().into_boxed_str()),
        answers: OtpAnswers::default(),
        overrides: Overrides { otp_age: true, otp_portal: true },
        reachability: reachable(),
    };
    // A renewal OTP used to onboard; an OTP of another environment; another
    // VAT's OTP; an expired one. Pre-flight cannot see these (the user did
    // not answer), so ZATCA's answer is explained.
    let renewal = mint(&lab, OtpPurpose::Renew);
    let simulation = lab.sim.admin().mint_otp(Environment::Simulation, VAT, OtpPurpose::Onboard).unwrap();
    let other_vat = lab.sim.admin().mint_otp(Environment::Local, "300000000000003", OtpPurpose::Onboard).unwrap();
    let expired = mint(&lab, OtpPurpose::Onboard);
    lab.sim.admin().advance_clock(std::time::Duration::from_secs(3601));
    for (n, otp) in [renewal, simulation, other_vat, expired].iter().enumerate() {
        let unit = unit(&format!("u-otp{n}"), "1100");
        let error = flow.onboard(&unit, &overridden(otp)).await.unwrap_err();
        assert_eq!(code(&error), "Invalid-OTP", "case {n}");
        // Unanswered questions leave the portal and the age open.
        let explanation = fatoora_onboarding::otp_diagnosis::explain_failure(lab.store.connection(), &unit.id, Environment::Local, &error);
        let open = explanation.what_happened.en.split("Still possible").nth(1).unwrap_or_default();
        assert!(open.contains("the portal it came from was not stated") && open.contains("when it was generated was not stated"), "{}", explanation.what_happened.en);
        assert!(!explanation.what_happened.ar.is_empty());
    }
}

#[tokio::test]
async fn a_reset_after_processing_marks_the_otp_in_doubt_and_it_is_never_resent() {
    let lab = lab().await;
    let otp = mint(&lab, OtpPurpose::Onboard);
    let flow = Onboarding::new(&lab.store, &lab.secrets, &lab.client).unwrap();
    lab.sim.admin().set_fault(FaultRule::times(Fault::ResetAfterProcessing, 1));
    let error = flow.onboard(&unit("u-doubt", "1100"), &request(&otp)).await.unwrap_err();
    match &error {
        FlowError::Call { endpoint: Endpoint::Compliance, error: CallError::Transport { reach, .. } } => assert_eq!(*reach, Reach::MayHaveReached),
        other => panic!("{other:?}"),
    }
    assert!(error.explain().what_happened.en.contains("OTP may already be spent"));
    let state = flow.state("u-doubt").unwrap().unwrap();
    assert_eq!(state.step, Step::Ccsid);
    assert!(state.otp_in_doubt_hash.is_some());
    let entry = journal::latest(lab.store.connection(), "u-doubt", Environment::Local).unwrap().unwrap();
    assert_eq!(entry.reach, Reach::MayHaveReached);

    // Resuming with the same OTP is refused before anything is sent, saying
    // why (the pre-flight's "already sent" would not).
    match flow.onboard(&unit("u-doubt", "1100"), &request(&otp)).await.unwrap_err() {
        error @ FlowError::OtpInDoubt { .. } => assert!(error.explain().what_happened.en.contains("may already have used it")),
        other => panic!("{other:?}"),
    }
    // A new OTP continues with the same key.
    let key_before = state.key_name.clone();
    let fresh = mint(&lab, OtpPurpose::Onboard);
    let _ = flow.onboard(&unit("u-doubt", "1100"), &request(&fresh)).await;
    let after = flow.state("u-doubt").unwrap().unwrap();
    assert!(after.ccsid.is_some());
    assert_eq!(after.key_name, key_before);
}

#[tokio::test]
async fn a_connection_refused_is_retried_and_spends_nothing() {
    let lab = lab().await;
    // A port nothing listens on: bind, learn the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let client = fatoora_onboarding::client::FatooraClient::new(
        fatoora_onboarding::client::Target::Local { base_url: format!("https://127.0.0.1:{port}/e-invoicing/core"), ca_pem: lab.sim.ca_cert_pem().to_owned() },
        options(),
    )
    .unwrap();
    let flow = Onboarding::new(&lab.store, &lab.secrets, &client).unwrap();
    let otp = mint(&lab, OtpPurpose::Onboard);
    let error = flow.onboard(&unit("u-refused", "1100"), &request(&otp)).await.unwrap_err();
    let entry = journal::latest(lab.store.connection(), "u-refused", Environment::Local).unwrap().unwrap();
    assert_eq!((entry.reach, entry.attempts), (Reach::NotSent, fatoora_onboarding::client::MAX_ATTEMPTS));
    assert!(error.explain().what_happened.en.contains("Nothing reached ZATCA"));
    // The OTP was not spent, so it can be used on the real address.
    let flow = Onboarding::new(&lab.store, &lab.secrets, &lab.client).unwrap();
    let _ = flow.onboard(&unit("u-refused", "1100"), &request(&otp)).await;
    assert!(flow.state("u-refused").unwrap().unwrap().ccsid.is_some());
}

#[tokio::test]
async fn gateway_faults_are_explained_and_resumable() {
    let lab = lab().await;
    let flow = Onboarding::new(&lab.store, &lab.secrets, &lab.client).unwrap();
    for (n, (fault, expected)) in [
        (Fault::TooManyRequests, "429"),
        (Fault::InvalidRequest, "Invalid-Request"),
        (Fault::ServiceUnavailable, "503"),
        (Fault::GatewayTimeout, "504"),
        (Fault::WrongContentType, "unreadable"),
        (Fault::MalformedJson, "unreadable"),
        (Fault::Hang, "timeout"),
        (Fault::ResetBeforeProcessing, "reset"),
    ]
    .into_iter()
    .enumerate()
    {
        let otp = mint(&lab, OtpPurpose::Onboard);
        lab.sim.admin().set_fault(FaultRule::always(fault.clone()));
        let id = format!("u-fault{n}");
        let error = flow.onboard(&unit(&id, "1100"), &request(&otp)).await.unwrap_err();
        let got = match &error {
            FlowError::Call { error: CallError::Gateway(g), .. } => g.code.zatca_code(),
            FlowError::Call { error: CallError::UnreadableAnswer { .. }, .. } => "unreadable".into(),
            FlowError::Call { error: CallError::Transport { failure, .. }, .. } => match failure {
                fatoora_onboarding::client::TransportFailure::Timeout => "timeout".into(),
                _ => "reset".into(),
            },
            other => format!("{other:?}"),
        };
        assert_eq!(got, expected, "{fault:?}");
        let explanation = error.explain();
        assert!(!explanation.what_happened.ar.is_empty() && !explanation.next_step.en.is_empty());
        if expected == "unreadable" {
            // A 200 whose body cannot be read is no success: the support message says so.
            let message = fatoora_onboarding::support::support_message(lab.store.connection(), &id, Environment::Local, None).unwrap();
            assert!(message.body.en.contains("→ HTTP 200, but the answer's body could not be read"), "{fault:?}: {}", message.body.en);
            assert!(message.body.ar.contains("HTTP 200\u{2069}، لكن تعذّرت قراءة نص الرد"), "{fault:?}: {}", message.body.ar);
            assert!(message.subject.en.ends_with("the gateway's answer could not be read"), "{}", message.subject.en);
        }
        lab.sim.admin().clear_fault();
    }
}

#[tokio::test]
async fn checks_resume_without_resubmitting_and_missing_steps_are_redone() {
    let lab = lab().await;
    let otp = mint(&lab, OtpPurpose::Onboard);
    let admin = lab.sim.admin();
    // The gateway fails right after the second document passed.
    let sink = move |p: Progress| {
        if matches!(p, Progress::Document { done: 2, skipped: false, .. }) {
            admin.set_fault(FaultRule::times(Fault::ServiceUnavailable, 1));
        }
    };
    let flow = Onboarding::new(&lab.store, &lab.secrets, &lab.client).unwrap().with_progress(&sink);
    let u = unit("u-steps", "1100");
    let error = flow.onboard(&u, &request(&otp)).await.unwrap_err();
    assert_eq!(code(&error), "503");
    let mut state = flow.state("u-steps").unwrap().unwrap();
    assert_eq!(state.step, Step::ComplianceChecks);

    // Skip the checks, as a buggy earlier version might have: ZATCA lists
    // the missing steps and the next run redoes exactly those.
    state.step = Step::Pcsid;
    fatoora_units::state::save(lab.store.connection(), &state).unwrap();
    let flow = Onboarding::new(&lab.store, &lab.secrets, &lab.client).unwrap();
    let error = flow.onboard(&u, &request("")).await.unwrap_err();
    assert_eq!(code(&error), "Missing-ComplianceSteps");
    assert!(error.explain().next_step.en.contains("compliance checks"));
    assert_eq!(flow.state("u-steps").unwrap().unwrap().step, Step::ComplianceChecks);

    // Resume: no OTP needed; the two passed documents are not sent again.
    flow.onboard(&u, &request("")).await.unwrap_or_else(|e| panic!("{e}: {:?}", e.explain()));
    let sent: Vec<_> = journal::entries(lab.store.connection(), Some("u-steps")).unwrap().into_iter().filter(|e| e.endpoint == Endpoint::ComplianceInvoices).collect();
    assert_eq!(sent.len(), 2 + 1 + 4, "two passed, one failed, four after the resume");
    let first_two: Vec<_> = sent[..2].iter().map(|e| e.document.clone()).collect();
    assert!(sent[3..].iter().all(|e| !first_two.contains(&e.document)));
}

#[tokio::test]
async fn a_ccsid_from_another_environment_is_never_sent() {
    let lab = lab().await;
    onboard_ok(&lab, "u-iso", "1100").await;
    // The same unit in simulation starts from nothing.
    let simulation = fatoora_units::state::load(lab.store.connection(), "u-iso", Environment::Simulation).unwrap();
    assert!(simulation.is_none());
    // A client for another environment refuses the local unit outright.
    let mut u = unit("u-iso", "1100");
    u.profile.environment = Environment::Simulation;
    let flow = Onboarding::new(&lab.store, &lab.secrets, &lab.client).unwrap();
    assert!(matches!(flow.onboard(&u, &request("123456")).await, Err(FlowError::EnvironmentMismatch { .. })));
}

#[tokio::test]
async fn renewal_200_uses_a_new_key_and_keeps_the_old() {
    let lab = lab().await;
    onboard_ok(&lab, "u-renew", "1100").await;
    let flow = Onboarding::new(&lab.store, &lab.secrets, &lab.client).unwrap();
    let before = flow.state("u-renew").unwrap().unwrap();
    let otp = mint(&lab, OtpPurpose::Renew);
    let issued = flow.renew(&unit("u-renew", "1100"), &request(&otp)).await.unwrap_or_else(|e| panic!("{e}: {:?}", e.explain()));
    let after = flow.state("u-renew").unwrap().unwrap();
    assert_eq!(after.step, Step::Issued);
    assert_ne!(after.pcsid_key_name, before.pcsid_key_name);
    assert_eq!(after.pcsid.unwrap().request_id, issued.pcsid_request_id);
    let old = SecretName::new(before.pcsid_key_name.unwrap()).unwrap();
    assert!(lab.secrets.get(&old).unwrap().is_some(), "the old key is kept");
}

#[tokio::test]
async fn renewal_428_redoes_the_checks_with_the_returned_ccsid() {
    let lab = lab().await;
    onboard_ok(&lab, "u-428", "0100").await;
    lab.sim.admin().set_renewal_requires_compliance(true);
    let flow = Onboarding::new(&lab.store, &lab.secrets, &lab.client).unwrap();
    let before = journal::entries(lab.store.connection(), Some("u-428")).unwrap().len();
    let otp = mint(&lab, OtpPurpose::Renew);
    flow.renew(&unit("u-428", "0100"), &request(&otp)).await.unwrap_or_else(|e| panic!("{e}: {:?}", e.explain()));
    let entries = journal::entries(lab.store.connection(), Some("u-428")).unwrap();
    let renewal: Vec<_> = entries[before..].iter().map(|e| (e.endpoint, e.http_status)).collect();
    assert_eq!(renewal[0], (Endpoint::RenewProductionCsids, Some(428)));
    assert_eq!(renewal.iter().filter(|(e, _)| *e == Endpoint::ComplianceInvoices).count(), 3);
    assert_eq!(*renewal.last().unwrap(), (Endpoint::ProductionCsids, Some(200)));
    assert_eq!(flow.state("u-428").unwrap().unwrap().step, Step::Issued);
}

#[tokio::test]
async fn an_onboarding_otp_is_refused_for_renewal_and_explained() {
    let lab = lab().await;
    onboard_ok(&lab, "u-wrongotp", "1000").await;
    let flow = Onboarding::new(&lab.store, &lab.secrets, &lab.client).unwrap();
    let otp = mint(&lab, OtpPurpose::Onboard);
    let error = flow.renew(&unit("u-wrongotp", "1000"), &request(&otp)).await.unwrap_err();
    assert_eq!(code(&error), "Invalid-OTP");
    assert!(error.explain().next_step.en.contains("Renewing Existing CSID"));
    assert_eq!(error.zatca_code().as_deref(), Some("Invalid-OTP"));
    let _ = ErrorCode::InvalidOtp;
}

#[tokio::test]
async fn the_support_message_has_the_facts_and_no_secret() {
    let lab = lab().await;
    let flow = Onboarding::new(&lab.store, &lab.secrets, &lab.client).unwrap();
    // Refused: an OTP bound to another VAT number, sent with overrides.
    let otp = lab.sim.admin().mint_otp(Environment::Local, "300000000000003", OtpPurpose::Onboard).unwrap();
    let request = Request { otp_text: &otp, answers: answers(), overrides: Overrides::default(), reachability: reachable() };
    let error = flow.onboard(&unit("u-support", "1100"), &request).await.unwrap_err();
    assert_eq!(code(&error), "Invalid-OTP");
    let diagnostics = fatoora_base::Localized::new("All probes passed.", "نجحت كل الفحوص.");
    let message = fatoora_onboarding::support::support_message(lab.store.connection(), "u-support", Environment::Local, Some(diagnostics)).unwrap();
    for text in [&message.body.en, &message.body.ar, &message.subject.en] {
        assert!(text.contains(VAT), "VAT in the CSR");
        assert!(text.contains("Invalid-OTP"));
        assert!(!text.contains(&otp), "the OTP itself never appears");
    }
    assert!(message.body.en.contains("TSTZATCA-Code-Signing") && message.body.ar.contains("TSTZATCA-Code-Signing"));
    assert!(message.body.en.contains(&format!("OTP ending in {}", otp.chars().last().unwrap())));
    assert!(message.body.en.contains("3 minutes after it was generated"));
    assert!(message.body.en.contains("sent 1 time(s)"));
    assert!(message.body.en.contains("/e-invoicing/core/compliance"));
    assert!(message.body.en.contains("All probes passed.") && message.body.ar.contains("نجحت كل الفحوص."));
    // A rehearsal with the local simulator: addressed to no one, said to be one.
    assert!(message.body.en.starts_with("Rehearsal with the app's local simulator") && !message.body.en.contains("Dear ZATCA"));
    assert!(message.body.ar.starts_with("تدريب مع المحاكي المحلي") && !message.body.ar.contains("نرجو إفادتنا"));
    assert!(message.subject.en.starts_with("Onboarding rehearsal (local simulator) refused"), "{}", message.subject.en);
    assert!(message.subject.ar.contains("طلب ربط تجريبي مع المحاكي المحلي") && !message.subject.ar.contains("فاتورة"), "{}", message.subject.ar);
    let facts = &message.facts;
    assert_eq!(facts.csr_vat_number.as_deref(), Some(VAT));
    assert_eq!(facts.requests.len(), 1);
}

/// Runs onboarding (or renewal) and drops it, mid-request, the moment `at`
/// is reported: what a kill -9 leaves behind, since every write before that
/// point is committed and nothing after it happens. The gateway is told to
/// hang first, so the request in flight never completes by itself.
async fn killed_at(lab: &Lab, u: &fatoora_onboarding::flow::Unit, otp: &str, renew: bool, at: impl Fn(&Progress) -> bool + Send + Sync) {
    let notify = std::sync::Arc::new(tokio::sync::Notify::new());
    let admin = lab.sim.admin();
    let signal = notify.clone();
    let sink = move |p: Progress| {
        if at(&p) {
            admin.set_fault(FaultRule::always(Fault::Hang));
            signal.notify_one();
        }
    };
    let flow = Onboarding::new(&lab.store, &lab.secrets, &lab.client).unwrap().with_progress(&sink);
    let request = request(otp);
    let run = async { if renew { flow.renew(u, &request).await } else { flow.onboard(u, &request).await } };
    tokio::select! {
        biased;
        _ = notify.notified() => {}
        outcome = run => panic!("the flow ended before the kill point: {:?}", outcome.map(|i| i.pcsid_request_id)),
    }
    lab.sim.admin().clear_fault();
}

#[tokio::test]
async fn killed_at_each_step_resumes_to_issued_with_the_same_key() {
    let lab = lab().await;
    type KillPoint = Box<dyn Fn(&Progress) -> bool + Send + Sync>;
    let steps: [(&str, KillPoint); 3] = [
        ("u-kill-ccsid", Box::new(|p| matches!(p, Progress::Step { step: Step::Ccsid, .. }))),
        ("u-kill-checks", Box::new(|p| matches!(p, Progress::Document { done: 2, skipped: false, .. }))),
        ("u-kill-pcsid", Box::new(|p| matches!(p, Progress::Step { step: Step::Pcsid, .. }))),
    ];
    for (id, at) in steps {
        let u = unit(id, "1100");
        let otp = mint(&lab, OtpPurpose::Onboard);
        killed_at(&lab, &u, &otp, false, at).await;
        let flow = Onboarding::new(&lab.store, &lab.secrets, &lab.client).unwrap();
        let killed = flow.state(id).unwrap().unwrap();
        let key = killed.key_name.clone().expect("the key was recorded before the first request");
        let resumed = match flow.onboard(&u, &request(&otp)).await {
            // Killed while the OTP was in flight: it is not sent again.
            Err(FlowError::OtpInDoubt { .. }) => {
                assert_eq!(killed.step, Step::Ccsid, "{id}");
                assert!(FlowError::OtpInDoubt { environment: Environment::Local }.explain().next_step.en.contains("new rehearsal OTP"));
                flow.onboard(&u, &request(&mint(&lab, OtpPurpose::Onboard))).await
            }
            other => other,
        };
        resumed.unwrap_or_else(|e| panic!("{id}: {e}: {:?}", e.explain()));
        let done = flow.state(id).unwrap().unwrap();
        assert_eq!(done.step, Step::Issued, "{id}");
        assert_eq!(done.pcsid_key_name.as_deref(), Some(key.as_str()), "{id}: same key");
        assert!(lab.secrets.get(&SecretName::new(key).unwrap()).unwrap().is_some());
        let sent = journal::entries(lab.store.connection(), Some(id)).unwrap();
        let documents: Vec<_> = sent.iter().filter_map(|e| e.document.clone()).collect();
        let mut unique = documents.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 6, "{id}");
        assert!(documents.len() <= 7, "{id}: a passed document is not sent again ({documents:?})");
    }

    // Renewal killed while the PATCH is in flight.
    let id = "u-kill-ccsid";
    let u = unit(id, "1100");
    let otp = mint(&lab, OtpPurpose::Renew);
    killed_at(&lab, &u, &otp, true, |p| matches!(p, Progress::Step { step: Step::Renewal, .. })).await;
    let flow = Onboarding::new(&lab.store, &lab.secrets, &lab.client).unwrap();
    let killed = flow.state(id).unwrap().unwrap();
    assert_eq!(killed.step, Step::Renewal);
    let renewal_key = killed.renewal_key_name.clone().unwrap();
    assert!(matches!(flow.renew(&u, &request(&otp)).await, Err(FlowError::OtpInDoubt { .. })));
    flow.renew(&u, &request(&mint(&lab, OtpPurpose::Renew))).await.unwrap_or_else(|e| panic!("{e}: {:?}", e.explain()));
    let done = flow.state(id).unwrap().unwrap();
    assert_eq!((done.step, done.pcsid_key_name.as_deref()), (Step::Issued, Some(renewal_key.as_str())));
}
