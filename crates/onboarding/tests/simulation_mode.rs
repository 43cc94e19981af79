//! The whole flow in simulation mode: ZATCA's `/simulation` path and its
//! `PREZATCA-Code-Signing` template (SPEC.md 1.1, 2.3), played by the
//! simulator over real HTTPS on loopback, with a real SQLite store. The
//! other flow tests run `local` (the `/core` path with the sandbox template).

mod support;

use chrono::Utc;
use fatoora_base::Environment;
use fatoora_onboarding::catalogue::Endpoint;
use fatoora_onboarding::client::{FatooraClient, Target};
use fatoora_onboarding::flow::{Onboarding, Request, Unit};
use fatoora_onboarding::journal;
use fatoora_onboarding::preflight::{OtpAnswers, Overrides};
use fatoora_units::state::Step;
use fatoora_simulator::{CsidKind, Gateway, OtpPurpose};
use support::*;

fn simulation_client(lab: &Lab) -> FatooraClient {
    let target = Target::Simulated {
        environment: Environment::Simulation,
        base_url: lab.sim.base_url(Environment::Simulation),
        ca_pem: lab.sim.ca_cert_pem().to_owned(),
    };
    FatooraClient::new(target, options()).expect("client")
}

fn simulation_unit(id: &str) -> Unit {
    let mut unit = unit(id, "1100");
    unit.profile.environment = Environment::Simulation;
    unit
}

#[tokio::test]
async fn simulation_mode_onboards_with_the_prezatca_template_on_the_simulation_path() {
    let lab = lab().await;
    let client = simulation_client(&lab);
    assert_eq!(client.environment(), Environment::Simulation);
    assert!(client.base_url().ends_with("/e-invoicing/simulation"), "{}", client.base_url());
    let flow = Onboarding::new(&lab.store, &lab.secrets, &client).unwrap();
    let otp = lab.sim.admin().mint_otp(Environment::Simulation, VAT, OtpPurpose::Onboard).unwrap();
    let request = Request {
        otp_text: &otp,
        answers: OtpAnswers { generated_at: Some(Utc::now() - chrono::Duration::minutes(3)), portal: Some(Environment::Simulation) },
        overrides: Overrides::default(),
        reachability: reachable(),
    };

    let issued = flow.onboard(&simulation_unit("u-sim"), &request).await.unwrap_or_else(|e| panic!("{e}: {:?}", e.explain()));
    assert_eq!(issued.environment, Environment::Simulation);
    let state = flow.state("u-sim").unwrap().unwrap();
    assert_eq!(state.step, Step::Issued);
    let csr = fatoora_csr::parse_csr(state.csr_pem.as_deref().unwrap().as_bytes()).unwrap();
    assert_eq!(csr.certificate_template(), Some("PREZATCA-Code-Signing"));

    // Every request went to /simulation: the CCSID, six compliance checks
    // (invoice types 1100), the PCSID.
    let entries = journal::entries(lab.store.connection(), Some("u-sim")).unwrap();
    assert!(entries.iter().all(|e| e.environment == Environment::Simulation && e.url.contains("/e-invoicing/simulation/")), "{entries:#?}");
    let count = |endpoint| entries.iter().filter(|e| e.endpoint == endpoint && e.http_status == Some(200)).count();
    assert_eq!((count(Endpoint::Compliance), count(Endpoint::ComplianceInvoices), count(Endpoint::ProductionCsids)), (1, 6, 1));

    // The simulator issued both CSIDs from its simulation gateway, and the
    // compliance CSID passed all six steps there.
    let csids = lab.sim.admin().issued_csids().unwrap();
    assert_eq!(csids.len(), 2, "{csids:?}");
    assert!(csids.iter().all(|csid| csid.gateway == Gateway::Simulation), "{csids:?}");
    let ccsid = csids.iter().find(|csid| csid.kind == CsidKind::Compliance).unwrap();
    assert_eq!(ccsid.steps_passed.len(), 6, "{:?}", ccsid.steps_passed);
    assert_eq!(issued.pcsid_request_id, csids.iter().find(|csid| csid.kind == CsidKind::Production).unwrap().request_id.to_string());

    // The unit's `local` record is untouched: records are per environment.
    assert!(Onboarding::new(&lab.store, &lab.secrets, &lab.client).unwrap().state("u-sim").unwrap().is_none());
}
