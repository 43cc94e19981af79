//! The client over real HTTPS to the simulator: whom it trusts, and what it
//! does when the other side is not who it should be.

mod support;

use fatoora_base::Environment;
use fatoora_base::values::Otp;
use fatoora_onboarding::catalogue::ErrorCode;
use fatoora_onboarding::client::{CallError, FatooraClient, MAX_ATTEMPTS, Reach, Target, TransportFailure};
use fatoora_onboarding::flow::{FlowError, Onboarding};
use fatoora_simulator::{Gateway, OtpPurpose};
use support::*;

#[tokio::test]
async fn a_gateway_signed_by_another_ca_is_refused_before_anything_is_sent() {
    let lab = lab().await;
    let other = tempfile::tempdir().unwrap();
    let stranger = fatoora_simulator::Simulator::start(fatoora_simulator::SimulatorConfig::new(other.path())).await.unwrap();
    // The local target trusts only the CA it was given: not the other simulator's.
    let client = FatooraClient::new(
        Target::Local { base_url: stranger.base_url(Environment::Local), ca_pem: lab.sim.ca_cert_pem().to_owned() },
        options(),
    )
    .unwrap();
    let otp = Otp::parse(&mint(&lab, OtpPurpose::Onboard)).unwrap();
    let exchange = client.compliance_csid("not a csr", &otp).await;
    match exchange.result {
        Err(CallError::Transport { failure: TransportFailure::Tls, reach: Reach::NotSent, .. }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(exchange.record.attempts, MAX_ATTEMPTS);
}

#[tokio::test]
async fn a_local_csr_sent_to_the_simulation_gateway_is_refused_by_template_and_explained() {
    let lab = lab().await;
    // Pre-flight would stop this (the template check); the gateway's own
    // answer is read here: the simulation CA refuses the sandbox template.
    let client = FatooraClient::new(
        Target::Local { base_url: lab.sim.gateway_url(Gateway::Simulation), ca_pem: lab.sim.ca_cert_pem().to_owned() },
        options(),
    )
    .unwrap();
    let otp = lab.sim.admin().mint_otp(Environment::Simulation, VAT, OtpPurpose::Onboard).unwrap();
    let flow = Onboarding::new(&lab.store, &lab.secrets, &client).unwrap();
    let error = flow.onboard(&unit("u-template", "1100"), &request(&otp)).await.unwrap_err();
    match &error {
        FlowError::Call { error: CallError::Gateway(g), .. } => {
            assert!(matches!(&g.code, ErrorCode::TemplateDenied(Some(t)) if t == "TSTZATCA-Code-Signing"), "{g:?}");
        }
        other => panic!("{other:?}"),
    }
    let explanation = error.explain();
    assert!(explanation.next_step.en.contains("PREZATCA-Code-Signing"));
    assert!(explanation.next_step.ar.contains("PREZATCA-Code-Signing"));
}
