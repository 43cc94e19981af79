//! The soak tests' controls: a fault that answers nothing after processing,
//! the seeded random fault mix set over the admin API, and the simulator's
//! count of how often each OTP was presented.

mod support;

use std::time::Duration;

use fatoora_base::Environment;
use fatoora_simulator::{AdminClient, ChaosRule, Fault, FaultRule, OtpPurpose};
use serde_json::json;
use support::*;

fn compliance_request(s: &Sim, otp: &str) -> reqwest::RequestBuilder {
    s.http
        .post(format!("{}/compliance", s.sim.base_url(Environment::Local)))
        .header("Accept-Version", "V2")
        .header("OTP", otp)
        .json(&json!({ "csr": csr_field(&CsrSpec::new("TSTZATCA-Code-Signing")) }))
}

#[tokio::test]
async fn hang_after_processing_consumes_the_otp_and_never_answers() {
    let s = start().await;
    let admin = s.sim.admin();
    let otp = admin.mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();
    admin.set_fault(FaultRule::times(Fault::HangAfterProcessing, 1));
    let error = compliance_request(&s, &otp).timeout(Duration::from_millis(500)).send().await.expect_err("no answer");
    assert!(error.is_timeout(), "{error}");
    assert_eq!(admin.issued_csids().unwrap().len(), 1, "the CCSID was issued although nobody heard");
    let record = admin.otp_record(Environment::Local, &otp).unwrap().unwrap();
    assert!(record.used);
    assert_eq!(record.presented, 1);
}

#[tokio::test]
async fn chaos_set_over_the_admin_api_injects_counts_and_stops() {
    let s = start().await;
    let admin = s.sim.admin();
    let client = AdminClient::from_data_dir(s.dir.path()).unwrap();
    assert_eq!(client.chaos_report().await.unwrap(), None);
    let otp = admin.mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();

    client.set_chaos(&ChaosRule { seed: 9, per_mille: 1000, faults: vec![Fault::TooManyRequests] }).await.unwrap();
    for _ in 0..3 {
        assert_eq!(send(compliance_request(&s, &otp)).await.status, 429);
    }
    let report = client.chaos_report().await.unwrap().unwrap();
    assert_eq!((report.seed, report.requests, report.held), (9, 3, 0));
    assert_eq!(report.injected.into_iter().collect::<Vec<_>>(), [("429".to_owned(), 3)]);

    // A fixed rule comes first and is not counted as chaos.
    admin.set_fault(FaultRule::times(Fault::ServiceUnavailable, 1));
    assert_eq!(send(compliance_request(&s, &otp)).await.status, 503);
    assert_eq!(admin.chaos_report().unwrap().requests, 3);

    assert_eq!(admin.clear_chaos().unwrap().injected["429"], 3);
    assert_eq!(send(compliance_request(&s, &otp)).await.status, 200);
    let record = admin.otp_record(Environment::Local, &otp).unwrap().unwrap();
    assert_eq!(record.presented, 5, "every request that carried it, faulted or not");
    assert!(record.used);
}
