//! What outside input cannot do to the client: an oversized answer is
//! refused with a message, not held in memory; the CSID secret cannot be
//! printed or serialized.

mod support;

use std::marker::PhantomData;

use fatoora_base::values::Otp;
use fatoora_onboarding::catalogue::Endpoint;
use fatoora_onboarding::client::{CallError, Credentials, GATEWAY_ANSWER, IssuedCsid, Reach};
use fatoora_simulator::{Fault, FaultRule, HUGE_BODY_BYTES, OtpPurpose};
use support::*;

#[tokio::test]
async fn an_answer_over_the_cap_is_refused_and_named_with_its_limit() {
    assert!(HUGE_BODY_BYTES as u64 > GATEWAY_ANSWER.bytes, "the fault must exceed the cap to test it");
    let lab = lab().await;
    let otp = Otp::parse(&mint(&lab, OtpPurpose::Onboard)).unwrap();
    lab.sim.admin().set_fault(FaultRule::always(Fault::HugeBody));
    let exchange = lab.client.compliance_csid("any csr", &otp).await;
    let error = exchange.result.unwrap_err();
    assert!(matches!(error, CallError::AnswerTooLarge { status: 200, limit } if limit == GATEWAY_ANSWER.bytes), "{error:?}");
    // The gateway has the request: recorded as answered, not retried.
    assert_eq!(error.reach(), Reach::Answered);
    assert_eq!(exchange.record.status, Some(200));
    assert_eq!(exchange.record.attempts, 1);
    let explanation = error.explain(Endpoint::Compliance);
    for text in [&explanation.what_happened.en, &explanation.what_happened.ar] {
        assert!(text.contains("1 MiB") && text.contains("200"), "{text}");
    }
    assert!(explanation.what_happened.en.contains("answer from the gateway"));
    assert!(!explanation.retry_may_help);

    // The same client reads a normal answer once the fault is gone.
    lab.sim.admin().clear_fault();
    let otp = Otp::parse(&mint(&lab, OtpPurpose::Onboard)).unwrap();
    let exchange = lab.client.compliance_csid("not a csr", &otp).await;
    assert!(matches!(exchange.result, Err(CallError::Gateway(_))), "{:?}", exchange.result.err());
}

struct Probe<T>(PhantomData<T>);
trait Serializable {
    fn serializable(&self) -> bool {
        true
    }
}
impl<T: serde::Serialize> Serializable for Probe<T> {}
trait NotSerializable {
    fn serializable(&self) -> bool {
        false
    }
}
impl<T> NotSerializable for &Probe<T> {}

#[test]
// The borrows pick the method by autoref, even where clippy sees none needed.
#[allow(clippy::needless_borrow)]
fn the_csid_secret_is_neither_printed_nor_serializable() {
    let credentials = Credentials::new("dG9rZW4=", "canary-csid-secret");
    assert_eq!(credentials.expose_secret(), "canary-csid-secret");
    let issued = IssuedCsid { request_id: "1".into(), credentials: credentials.clone(), certificate_pem: String::new() };
    for shown in [format!("{credentials:?}"), format!("{issued:?}"), format!("{issued:#?}")] {
        assert!(!shown.contains("canary-csid-secret"), "{shown}");
    }
    // Method resolution picks `Serializable` only when the type implements
    // serde::Serialize: what the app's IPC layer would need to send it.
    assert!(!(&Probe::<Credentials>(PhantomData)).serializable());
    assert!(!(&Probe::<IssuedCsid>(PhantomData)).serializable());
    assert!((&Probe::<String>(PhantomData)).serializable(), "the probe itself works");
}
