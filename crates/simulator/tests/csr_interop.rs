//! CSRs made by the app's builder (fatoora-csr) are accepted by the
//! simulator's independent gateway checks in every environment.

mod support;

use fatoora_base::Environment;
use fatoora_csr::{UnitKey, UnitProfile, build_csr};
use fatoora_simulator::OtpPurpose;
use serde_json::json;
use support::*;

#[tokio::test]
async fn the_apps_csrs_pass_the_gateway_in_every_environment() {
    let s = start().await;
    let admin = s.sim.admin();
    for env in [Environment::Local, Environment::Sandbox, Environment::Simulation, Environment::Production] {
        let profile = UnitProfile {
            organization_name: "شركة السرعة القصوى للتوريد".into(),
            organization_unit: "فرع الرياض".into(),
            serial: "1-Fatoora|2-Onboard|3-0001".into(),
            ..UnitProfile::sdk_example(env)
        };
        let key = UnitKey::generate().unwrap();
        let csr = build_csr(&profile, &key).unwrap();
        let otp = admin.mint_otp(env, VAT, OtpPurpose::Onboard).unwrap();
        let response = post_compliance(&s, &s.sim.base_url(env), Some(&otp), json!({ "csr": csr.to_base64_pem() })).await;
        assert_eq!(response.status, 200, "{env}: {}", response.text);
    }
}
