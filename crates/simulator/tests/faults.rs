//! Faults switched on through the admin handle, observed with plain reqwest.
//! Hang is observed through the client's own timeout, as a user's client would.

mod support;

use std::time::Duration;

use fatoora_base::Environment;
use fatoora_simulator::{Fault, FaultRule, HUGE_BODY_BYTES, OtpPurpose};
use serde_json::json;
use support::*;

async fn compliance_request(s: &Sim, otp: &str) -> reqwest::RequestBuilder {
    let core = s.sim.base_url(Environment::Local);
    s.http
        .post(format!("{core}/compliance"))
        .header("Accept-Version", "V2")
        .header("OTP", otp)
        .json(&json!({ "csr": csr_field(&CsrSpec::new("TSTZATCA-Code-Signing")) }))
}

#[tokio::test]
async fn reset_before_processing_keeps_the_otp_reset_after_consumes_it() {
    let s = start().await;
    let admin = s.sim.admin();

    let otp = admin.mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();
    admin.set_fault(FaultRule::times(Fault::ResetBeforeProcessing, 1));
    let error = compliance_request(&s, &otp).await.send().await.expect_err("connection dropped");
    assert!(!error.is_status(), "{error}");
    assert!(admin.issued_csids().unwrap().is_empty(), "nothing processed");
    let retry = send(compliance_request(&s, &otp).await).await;
    assert_eq!(retry.status, 200, "same OTP still valid: {}", retry.text);

    let otp = admin.mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();
    admin.set_fault(FaultRule::times(Fault::ResetAfterProcessing, 1));
    compliance_request(&s, &otp).await.send().await.expect_err("connection dropped after processing");
    assert_eq!(admin.issued_csids().unwrap().len(), 2, "the CCSID was issued although nobody heard");
    let retry = send(compliance_request(&s, &otp).await).await;
    assert_eq!(retry.json()["errors"][0]["code"], "Invalid-OTP", "the OTP was consumed");
}

#[tokio::test]
async fn status_faults_answer_their_bodies_and_expire_after_n_requests() {
    let s = start().await;
    let admin = s.sim.admin();
    let otp = admin.mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();

    admin.set_fault(FaultRule::times(Fault::InvalidRequest, 1));
    let response = send(compliance_request(&s, &otp).await).await;
    assert_eq!(response.status, 500);
    if let Some(sample) = sample("api/01-compliance-500-invalid-request.json") {
        assert_eq!(response.json(), sample);
    }

    for (fault, status) in [(Fault::TooManyRequests, 429), (Fault::ServiceUnavailable, 503), (Fault::GatewayTimeout, 504)] {
        admin.set_fault(FaultRule::times(fault, 1));
        let response = send(compliance_request(&s, &otp).await).await;
        assert_eq!(response.status, status);
    }
    admin.set_fault(FaultRule::times(Fault::WrongContentType, 1));
    let response = send(compliance_request(&s, &otp).await).await;
    assert_eq!(response.status, 200);
    assert!(response.content_type.starts_with("text/html"));

    admin.set_fault(FaultRule::times(Fault::MalformedJson, 1));
    let response = send(compliance_request(&s, &otp).await).await;
    assert!(serde_json::from_str::<serde_json::Value>(&response.text).is_err());

    admin.set_fault(FaultRule::times(Fault::HugeBody, 1));
    let response = send(compliance_request(&s, &otp).await).await;
    assert_eq!(response.text.len(), HUGE_BODY_BYTES);

    admin.set_fault(FaultRule::always(Fault::latency(Duration::from_millis(20))));
    let response = send(compliance_request(&s, &otp).await).await;
    assert_eq!(response.status, 200, "latency only delays: {}", response.text);
    admin.clear_fault();

    // The OTP was never consumed by the faults that answer before processing.
    let otp2 = admin.mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();
    assert_eq!(send(compliance_request(&s, &otp2).await).await.status, 200);
}

#[tokio::test]
async fn hang_holds_the_request_until_the_client_gives_up() {
    let s = start().await;
    let admin = s.sim.admin();
    admin.set_fault(FaultRule::times(Fault::Hang, 1));
    let error = compliance_request(&s, "123456")
        .await
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .expect_err("no answer");
    assert!(error.is_timeout(), "{error}");
    // The simulator still serves others, and stops cleanly with a request hanging.
    assert_eq!(send(compliance_request(&s, "123456").await).await.status, 400);
}
