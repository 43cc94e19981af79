//! `Invalid-OTP` as a differential diagnosis: each cause ruled in and out by
//! its evidence, the seed case (forum topic 9506), and the evidence read
//! back from a real store after the simulator refused an OTP.

mod support;

use fatoora_base::Environment;
use fatoora_onboarding::catalogue::{Endpoint, parse};
use fatoora_onboarding::flow::{FlowError, Onboarding};
use fatoora_onboarding::otp_diagnosis::{Basis, Cause, Diagnosis, Evidence, Likelihood, diagnose, explain_failure, gather};
use fatoora_onboarding::support::support_message;
use fatoora_simulator::OtpPurpose;
use support::{VAT, lab, request, unit};

/// A production onboarding where the app's checks all passed.
fn clean(env: Environment) -> Evidence {
    Evidence {
        environment: env,
        endpoint: Endpoint::Compliance,
        otp_age_minutes: Some(3),
        portal_stated: Some(env),
        earlier_sends: 0,
        otp_last_digit: Some('7'),
        csr_vat: Some("310122393500003".into()),
        csr_template: Some(env.certificate_template().into()),
        refused_otps: 1,
        refused_without_otp: false,
        onboarded_in: vec![],
    }
}

/// Arabic without the tanween fath (محتملًا and محتملا both occur in
/// Arabic UI text), so a spelling change does not fail the meaning.
fn bare(arabic: &str) -> String {
    arabic.replace('\u{064B}', "")
}

fn ruled_out(d: &Diagnosis, cause: Cause) -> Option<Basis> {
    d.ruled_out.iter().find(|r| r.cause == cause).map(|r| r.basis)
}

fn open(d: &Diagnosis, cause: Cause) -> Option<Likelihood> {
    d.remaining.iter().find(|r| r.cause == cause).map(|r| r.likelihood)
}

fn order(d: &Diagnosis) -> Vec<Cause> {
    d.remaining.iter().map(|r| r.cause).collect()
}

/// Every cause is either ruled out or remaining, never both, never neither.
fn each_cause_once(d: &Diagnosis) {
    for cause in [Cause::WrongPortal, Cause::Expired, Cause::AlreadyUsed, Cause::WrongTile, Cause::Mistyped, Cause::ZatcaSide, Cause::Encoding] {
        assert!(ruled_out(d, cause).is_some() != open(d, cause).is_some(), "{cause:?} in {d:#?}");
    }
}

#[test]
fn the_portal_is_ruled_out_by_the_statement_and_ruled_in_by_a_mismatch() {
    let d = diagnose(&clean(Environment::Production));
    assert_eq!(ruled_out(&d, Cause::WrongPortal), Some(Basis::Statement));

    let d = diagnose(&Evidence { portal_stated: Some(Environment::Simulation), ..clean(Environment::Production) });
    assert_eq!((order(&d)[0], open(&d, Cause::WrongPortal)), (Cause::WrongPortal, Some(Likelihood::Indicated)));
    assert!(d.next_step.en.contains("the FATOORA production portal"), "{}", d.next_step.en);
    each_cause_once(&d);

    let d = diagnose(&Evidence { portal_stated: None, ..clean(Environment::Production) });
    assert_eq!(open(&d, Cause::WrongPortal), Some(Likelihood::Possible));
}

#[test]
fn the_age_rules_expiry_out_only_well_inside_the_hour() {
    let at = |age| diagnose(&Evidence { otp_age_minutes: age, ..clean(Environment::Simulation) });
    assert_eq!(ruled_out(&at(Some(3)), Cause::Expired), Some(Basis::Statement));
    assert_eq!(open(&at(Some(55)), Cause::Expired), Some(Likelihood::Possible));
    assert_eq!(open(&at(None), Cause::Expired), Some(Likelihood::Possible));
    let old = at(Some(75));
    assert_eq!((order(&old)[0], open(&old, Cause::Expired)), (Cause::Expired, Some(Likelihood::Indicated)));
    assert!(old.explanation().what_happened.en.contains("75 minutes old"));
    assert!(old.next_step.en.contains("within the hour"), "{}", old.next_step.en);
}

#[test]
fn reuse_is_ruled_out_by_the_journal_except_where_it_saw_the_otp_before() {
    assert_eq!(ruled_out(&diagnose(&clean(Environment::Production)), Cause::AlreadyUsed), Some(Basis::Record));
    let reused = diagnose(&Evidence { earlier_sends: 2, ..clean(Environment::Production) });
    assert_eq!((order(&reused)[0], open(&reused, Cause::AlreadyUsed)), (Cause::AlreadyUsed, Some(Likelihood::Indicated)));
    assert!(reused.explanation().what_happened.en.contains("sent 2 time(s) before"));

    // The sandbox's fixed OTPs are sent again and again (SPEC.md 1.8).
    let sandbox = diagnose(&Evidence { earlier_sends: 5, ..clean(Environment::Sandbox) });
    assert_eq!(ruled_out(&sandbox, Cause::AlreadyUsed), Some(Basis::Record));
    assert!(sandbox.next_step.en.contains("123345"), "{}", sandbox.next_step.en);
    let renewal = diagnose(&Evidence { endpoint: Endpoint::RenewProductionCsids, ..clean(Environment::Sandbox) });
    assert!(renewal.next_step.en.contains("123456"), "{}", renewal.next_step.en);
}

#[test]
fn encoding_and_template_are_never_the_cause_and_a_wrong_template_is_still_flagged() {
    let d = diagnose(&clean(Environment::Production));
    assert_eq!(ruled_out(&d, Cause::Encoding), Some(Basis::Record));
    assert_eq!(ruled_out(&d, Cause::CsrTemplate), Some(Basis::Rule));
    let wrong = diagnose(&Evidence { csr_template: Some("PREZATCA-Code-Signing".into()), ..clean(Environment::Production) });
    let text = wrong.explanation().what_happened;
    assert!(text.en.contains("expects ZATCA-Code-Signing: fix that"), "{}", text.en);
    assert!(text.ar.contains("\u{2066}PREZATCA-Code-Signing\u{2069}"), "{}", text.ar);
}

#[test]
fn with_the_common_causes_out_the_taxpayer_account_leads_and_the_step_names_the_vat() {
    let d = diagnose(&clean(Environment::Production));
    each_cause_once(&d);
    assert_eq!(order(&d), [Cause::OtherTaxpayer, Cause::WrongTile, Cause::Mistyped, Cause::ZatcaSide]);
    assert_eq!(open(&d, Cause::OtherTaxpayer), Some(Likelihood::Likely));
    assert_eq!(
        d.next_step.en,
        "Log in to the FATOORA production portal as the taxpayer whose VAT number is 310122393500003, generate a new OTP under \"Onboard new solution unit/device\" and use it at once. If ZATCA refuses that one too, send the support message to ZATCA (phone 19993)."
    );
    assert!(d.next_step.ar.contains("\u{2066}310122393500003\u{2069}") && d.next_step.ar.contains("«ربط وحدة حل/جهاز جديد»"), "{}", d.next_step.ar);
    let shown = d.explanation();
    assert!(shown.what_happened.en.contains("\nRuled out:\n- the OTP came from another environment's portal: as stated when it was entered, it came from the FATOORA production portal."), "{}", shown.what_happened.en);
    assert!(shown.what_happened.ar.contains("\nمستبعد:\n") && bare(&shown.what_happened.ar).contains("\nما زال محتملا، الأرجح أولا:\n1. أُنشئ رمز التحقق من حساب مكلَّف آخر"), "{}", shown.what_happened.ar);
}

#[test]
fn renewal_points_at_the_renewal_entry() {
    let d = diagnose(&Evidence { endpoint: Endpoint::RenewProductionCsids, portal_stated: None, ..clean(Environment::Production) });
    assert!(d.next_step.en.contains("\"Renewing Existing CSID\""), "{}", d.next_step.en);
    assert_eq!(d.remaining.iter().find(|r| r.cause == Cause::WrongTile).unwrap().cause.label(d.endpoint).en, "it is an onboarding OTP, not a renewal one");
    // Without the store's evidence (the catalogue), the entry is named too.
    let error = parse(400, br#"{"errors":[{"code":"Invalid-OTP","message":"The provided OTP is invalid"}]}"#);
    assert!(error.explain(Endpoint::RenewProductionCsids).next_step.en.contains("Renewing Existing CSID"));
    assert!(error.explain(Endpoint::Compliance).next_step.en.contains("Onboard new solution unit/device"));
}

#[test]
fn an_invalid_otp_on_a_request_without_otp_is_put_on_zatcas_side() {
    let d = diagnose(&Evidence { endpoint: Endpoint::ProductionCsids, ..clean(Environment::Production) });
    each_cause_once(&d);
    assert!(d.ruled_out.iter().all(|r| r.basis == Basis::Rule));
    assert_eq!(order(&d), [Cause::ZatcaSide]);
    let shown = d.explanation();
    assert!(shown.what_happened.en.starts_with("ZATCA answered Invalid-OTP to POST /production/csids, the production-CSID request, which carries no OTP."));
    assert!(shown.what_happened.en.contains("A guess, documented nowhere"), "the guess is marked: {}", shown.what_happened.en);
    assert!(d.next_step.en.starts_with("Send the support message to ZATCA (phone 19993): no new OTP can change this answer"));
    assert!(d.next_step.ar.contains("\u{2066}19993\u{2069}"));
}

/// The seed case (forum topic 9506): onboarded in simulation; production
/// answers Invalid-OTP to the compliance and to the production-CSID request;
/// VAT, age, portal, reuse and endpoints checked by hand.
#[test]
fn the_seed_case() {
    let seed = Evidence { refused_otps: 2, refused_without_otp: true, onboarded_in: vec![Environment::Simulation], ..clean(Environment::Production) };
    let d = diagnose(&seed);
    each_cause_once(&d);
    for cause in [Cause::WrongPortal, Cause::Expired, Cause::AlreadyUsed, Cause::Encoding, Cause::CsrTemplate] {
        assert!(ruled_out(&d, cause).is_some(), "{cause:?} is ruled out");
    }
    assert_eq!(order(&d), [Cause::ZatcaSide, Cause::OtherTaxpayer, Cause::WrongTile, Cause::Mistyped]);
    assert_eq!(open(&d, Cause::Mistyped), Some(Likelihood::Unlikely), "two different OTPs, both mistyped, is unlikely");
    let shown = d.explanation();
    assert!(shown.what_happened.en.contains("the same unit was onboarded in simulation, so the CSR's data is not at fault"), "{}", shown.what_happened.en);
    assert!(shown.what_happened.en.contains("also answered Invalid-OTP to the production-CSID request, which carries no OTP"));
    // The one step that tells the account apart from ZATCA's side.
    assert!(d.next_step.en.starts_with("Log in to the FATOORA production portal as the taxpayer whose VAT number is 310122393500003"), "{}", d.next_step.en);
    assert!(d.next_step.en.ends_with("If ZATCA refuses that one too, send the support message to ZATCA (phone 19993)."));

    // The production-CSID refusal on its own: nothing the user can change.
    let pcsid = diagnose(&Evidence { endpoint: Endpoint::ProductionCsids, ..seed });
    assert_eq!(order(&pcsid), [Cause::ZatcaSide]);
}

#[tokio::test]
async fn the_evidence_is_read_from_the_store_after_real_refusals() {
    let lab = lab().await;
    let unit = unit("diag", "1100");
    let flow = Onboarding::new(&lab.store, &lab.secrets, &lab.client).unwrap();
    let conn = lab.store.connection();
    assert_eq!(gather(conn, &unit.id, Environment::Local).unwrap(), None, "no Invalid-OTP yet");

    // An OTP the portal never issued.
    let error = flow.onboard(&unit, &request("000000")).await.unwrap_err();
    let evidence = gather(conn, &unit.id, Environment::Local).unwrap().expect("an Invalid-OTP in the journal");
    assert_eq!(
        (evidence.endpoint, evidence.portal_stated, evidence.earlier_sends, evidence.refused_otps, evidence.otp_last_digit),
        (Endpoint::Compliance, Some(Environment::Local), 0, 1, Some('0'))
    );
    assert_eq!(evidence.otp_age_minutes, Some(3));
    assert_eq!((evidence.csr_vat.as_deref(), evidence.csr_template.as_deref()), (Some(VAT), Some("TSTZATCA-Code-Signing")));
    let shown = explain_failure(conn, &unit.id, Environment::Local, &error);
    // In local the simulator is the portal: its button and command, for the CSR's VAT number.
    assert!(shown.next_step.en.contains(&format!("Get a new rehearsal OTP for VAT number {VAT}")), "{}", shown.next_step.en);
    assert!(shown.next_step.en.contains(&format!("simulator otp --env local --vat {VAT}")), "{}", shown.next_step.en);
    assert!(shown.what_happened.ar.contains("مستبعد:"));

    // An OTP minted for another taxpayer: a second, different refusal.
    let other = lab.sim.admin().mint_otp(Environment::Local, "311111111111113", OtpPurpose::Onboard).unwrap();
    let error = flow.onboard(&unit, &request(&other)).await.unwrap_err();
    assert!(matches!(error, FlowError::Call { .. }), "{error:?}");
    let evidence = gather(conn, &unit.id, Environment::Local).unwrap().unwrap();
    assert_eq!(evidence.refused_otps, 2);
    let d = diagnose(&evidence);
    assert_eq!(order(&d)[..2], [Cause::OtherTaxpayer, Cause::ZatcaSide]);

    // The support message carries the same reasoning, and never the OTP.
    let message = support_message(conn, &unit.id, Environment::Local, None).unwrap();
    assert!(message.body.en.contains("Our reading of the Invalid-OTP answer, from the records above:\nZATCA refused the OTP (Invalid-OTP) on POST /compliance.\nRuled out:"), "{}", message.body.en);
    assert!(message.body.ar.contains("قراءتنا لرد Invalid-OTP بناء على السجلات أعلاه:") && bare(&message.body.ar).contains("ما زال محتملا، الأرجح أولا:"), "{}", message.body.ar);
    let json = serde_json::to_string(&message).unwrap();
    assert!(!json.contains(&other), "the OTP is in the support message");
    assert_eq!(message.facts.otp_diagnosis.as_ref().map(|d| d.remaining[0].cause), Some(Cause::OtherTaxpayer));
}

/// The seed case as the store would hold it: the unit issued in
/// simulation; in production two fresh OTPs refused on `/compliance` and an
/// Invalid-OTP to `/production/csids`, which carries none. Written straight
/// into the journal and the record (the simulator never answers
/// Invalid-OTP to a request without an OTP).
#[test]
fn the_seed_case_is_read_from_the_journal_and_the_records() {
    use chrono::{Duration, Utc};
    use fatoora_base::values::Otp;
    use fatoora_onboarding::client::{CallRecord, Reach};
    use fatoora_onboarding::journal::{self, OtpHasher, OtpUse};
    use fatoora_units::state::{self, OnboardingState, Step, StoredCsid};

    let dir = tempfile::tempdir().unwrap();
    let store = fatoora_base::Store::open(&fatoora_base::paths::DataDir::at(dir.path())).unwrap();
    let conn = store.connection();
    let unit = unit("seed", "1100");
    let csid = StoredCsid { request_id: "1".into(), certificate_pem: String::new(), token: "t".into(), secret_name: "s".into() };
    state::save(conn, &OnboardingState { step: Step::Issued, pcsid: Some(csid), ..OnboardingState::new(&unit.id, Environment::Simulation) }).unwrap();

    let hasher = OtpHasher::new(OtpHasher::generate_salt());
    let call = |endpoint: Endpoint| CallRecord {
        environment: Environment::Production,
        endpoint,
        url: format!("https://gw-fatoora.zatca.gov.sa/e-invoicing/core{}", endpoint.path()),
        started_at: Utc::now(),
        duration_ms: 640,
        attempts: 1,
        status: Some(400),
        zatca_codes: vec!["Invalid-OTP".into()],
        request_id: None,
        reach: Reach::Answered,
        failure: None,
    };
    for otp in ["418203", "920417"] {
        let fingerprint = hasher.fingerprint(&Otp::parse(otp).unwrap());
        let used = OtpUse { fingerprint, generated_at: Some(Utc::now() - Duration::minutes(2)), portal: Some(Environment::Production) };
        journal::record(conn, &unit.id, &call(Endpoint::Compliance), Some(&used), None).unwrap();
    }
    journal::record(conn, &unit.id, &call(Endpoint::ProductionCsids), None, None).unwrap();

    let evidence = gather(conn, &unit.id, Environment::Production).unwrap().expect("Invalid-OTP in production");
    assert_eq!(
        (evidence.endpoint, evidence.refused_otps, evidence.refused_without_otp, evidence.onboarded_in.clone()),
        (Endpoint::ProductionCsids, 2, true, vec![Environment::Simulation])
    );
    assert_eq!(order(&diagnose(&evidence)), [Cause::ZatcaSide], "nothing the user can change on a request without OTP");
    // The compliance refusal read with the same records: the account first
    // to check, ZATCA's side indicated.
    let compliance = diagnose(&Evidence { endpoint: Endpoint::Compliance, otp_age_minutes: Some(2), portal_stated: Some(Environment::Production), ..evidence });
    assert_eq!(order(&compliance)[..2], [Cause::ZatcaSide, Cause::OtherTaxpayer]);
    assert!(compliance.explanation().what_happened.en.contains("the same unit was onboarded in simulation"));
    assert_eq!(gather(conn, &unit.id, Environment::Simulation).unwrap(), None, "simulation holds no refusal");
}
