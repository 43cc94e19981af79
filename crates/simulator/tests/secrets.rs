//! OTPs and CSID secrets never reach the simulator's log or its database,
//! on success and on every refusal path.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use fatoora_base::Environment;
use fatoora_simulator::{Fault, FaultRule, OtpPurpose};
use serde_json::json;
use support::*;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn otps_and_secrets_stay_out_of_logs_and_database() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let s = start().await;
    let admin = s.sim.admin();
    let core = s.sim.base_url(Environment::Local);
    let otp = admin.mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();
    let mut bad = CsrSpec::new("TSTZATCA-Code-Signing");
    bad.serial = "x".into();
    // Refusals first (bad CSR, wrong template, a fault), then success.
    post_compliance(&s, &core, Some(&otp), json!({"csr": csr_field(&bad)})).await;
    post_compliance(&s, &core, Some(&otp), json!({"csr": csr_field(&CsrSpec::new("PREZATCA-Code-Signing"))})).await;
    admin.set_fault(FaultRule::times(Fault::InvalidRequest, 1));
    post_compliance(&s, &core, Some(&otp), json!({"csr": csr_field(&CsrSpec::new("TSTZATCA-Code-Signing"))})).await;
    let (ccsid, _) = onboard(&s, &core, &otp, &CsrSpec::new("TSTZATCA-Code-Signing")).await;
    let secret = ccsid["secret"].as_str().unwrap().to_owned();
    let auth = basic(ccsid["binarySecurityToken"].as_str().unwrap(), &secret);
    send(
        s.http
            .post(format!("{core}/production/csids"))
            .header("Accept-Version", "V2")
            .header("Authorization", auth)
            .json(&json!({"compliance_request_id": ccsid["requestID"].to_string()})),
    )
    .await;
    let data_dir = s.dir.path().to_owned();
    s.sim.shutdown().await;

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("CSR refused"), "the log is captured: {log}");
    assert!(!log.contains(&otp), "OTP in log: {log}");
    assert!(!log.contains(&secret), "secret in log");

    let mut stored = Vec::new();
    for name in ["simulator.sqlite3", "simulator.sqlite3-wal"] {
        stored.extend(std::fs::read(data_dir.join(name)).unwrap_or_default());
    }
    assert!(!stored.is_empty());
    assert!(!stored.windows(secret.len()).any(|w| w == secret.as_bytes()), "secret in database");
}
