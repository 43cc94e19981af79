//! A simulator on loopback, a real SQLite store in a temp folder, and a unit
//! ready to onboard in `local`.
#![allow(dead_code)]

use std::time::Duration;

use chrono::Utc;
use fatoora_base::paths::DataDir;
use fatoora_base::secrets::MemorySecretStore;
use fatoora_base::{Environment, Localized, Store};
use fatoora_csr::UnitProfile;
use fatoora_onboarding::client::{ClientOptions, FatooraClient, Target};
use fatoora_onboarding::flow::{Request, Unit};
use fatoora_onboarding::preflight::{OtpAnswers, Overrides, Reachability};
use fatoora_simulator::{OtpPurpose, RunningSimulator, Simulator, SimulatorConfig};

/// The VAT number of [`UnitProfile::sdk_example`], which [`unit`] starts from.
pub const VAT: &str = fatoora_csr::SANDBOX_VAT_NUMBER;

pub struct Lab {
    pub dir: tempfile::TempDir,
    pub sim: RunningSimulator,
    pub store: Store,
    pub secrets: MemorySecretStore,
    pub client: FatooraClient,
}

pub fn options() -> ClientOptions {
    // Short limits so the hang fault ends quickly; the defaults are for ZATCA.
    ClientOptions {
        connect_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(3),
        retry_pause: Duration::from_millis(10),
        ..ClientOptions::default()
    }
}

pub async fn lab() -> Lab {
    let dir = tempfile::tempdir().unwrap();
    let sim = Simulator::start(SimulatorConfig::new(dir.path().join("sim"))).await.expect("simulator starts");
    let store = Store::open(&DataDir::at(dir.path().join("app"))).expect("store opens");
    let client = client_for(&sim);
    Lab { dir, sim, store, secrets: MemorySecretStore::default(), client }
}

pub fn client_for(sim: &RunningSimulator) -> FatooraClient {
    FatooraClient::new(
        Target::Local { base_url: sim.base_url(Environment::Local), ca_pem: sim.ca_cert_pem().to_owned() },
        options(),
    )
    .expect("client")
}

pub fn unit(id: &str, invoice_types: &str) -> Unit {
    Unit {
        id: id.into(),
        profile: UnitProfile {
            common_name: format!("TST-886431145-{id}"),
            serial: format!("1-TST|2-TST|3-{id}"),
            invoice_types: invoice_types.into(),
            ..UnitProfile::sdk_example(Environment::Local)
        },
    }
}

pub fn reachable() -> Option<Reachability> {
    Some(Reachability { ready: true, summary: Localized::new("The simulator answers.", "المحاكي يستجيب.") })
}

pub fn answers() -> OtpAnswers {
    OtpAnswers { generated_at: Some(Utc::now() - chrono::Duration::minutes(3)), portal: Some(Environment::Local) }
}

pub fn request(otp: &str) -> Request<'_> {
    Request { otp_text: otp, answers: answers(), overrides: Overrides::default(), reachability: reachable() }
}

pub fn mint(lab: &Lab, purpose: OtpPurpose) -> String {
    lab.sim.admin().mint_otp(Environment::Local, VAT, purpose).expect("OTP minted")
}
