//! Load on loopback: 200 onboarding sequences at once, bounded in count and
//! time. Each sequence mints an OTP and takes a compliance CSID from /core
//! (single-use OTP, VAT binding, SQLite write), then runs the sandbox's
//! compliance → production → renewal chain. Throughput is printed (run with
//! `--nocapture`); nothing here asserts on time.

mod support;

use std::time::{Duration, Instant};

use fatoora_base::Environment;
use fatoora_simulator::OtpPurpose;
use serde_json::json;
use support::*;

const SEQUENCES: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_onboarding_sequences_complete() {
    let s = start().await;
    let core = s.sim.base_url(Environment::Local);
    let sandbox = s.sim.base_url(Environment::Sandbox);
    let admin = s.sim.admin();
    // CSRs are built up front so the timing covers the gateway only.
    let specs: Vec<_> = (0..SEQUENCES)
        .map(|i| {
            let mut spec = CsrSpec::new("TSTZATCA-Code-Signing");
            spec.cn = format!("EGS-{i}");
            let core_csr = csr_field(&spec);
            // Not the shared sandbox VAT, whose PCSID is one fixed certificate.
            spec.vat = "311111111101113".into();
            (core_csr, csr_field(&spec), csr_field(&spec))
        })
        .collect();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (core_csr, sandbox_csr, renewal_csr) in specs {
        let http = s.http.clone();
        let (core, sandbox) = (core.clone(), sandbox.clone());
        let otp = admin.mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();
        tasks.spawn(async move {
            let post = |url: String| http.post(url).header("Accept-Version", "V2");
            let ccsid: serde_json::Value = post(format!("{core}/compliance"))
                .header("OTP", otp)
                .json(&json!({ "csr": core_csr }))
                .send()
                .await?
                .json()
                .await?;
            assert_eq!(ccsid["dispositionMessage"], "ISSUED");
            let ccsid: serde_json::Value = post(format!("{sandbox}/compliance"))
                .header("OTP", "123345")
                .json(&json!({ "csr": sandbox_csr }))
                .send()
                .await?
                .json()
                .await?;
            let auth = basic(ccsid["binarySecurityToken"].as_str().unwrap(), ccsid["secret"].as_str().unwrap());
            let pcsid: serde_json::Value = post(format!("{sandbox}/production/csids"))
                .header("Authorization", auth)
                .json(&json!({ "compliance_request_id": "1234567890123" }))
                .send()
                .await?
                .json()
                .await?;
            let auth = basic(pcsid["binarySecurityToken"].as_str().unwrap(), pcsid["secret"].as_str().unwrap());
            let renewed = http
                .patch(format!("{sandbox}/production/csids"))
                .header("Accept-Version", "V2")
                .header("OTP", "123456")
                .header("Authorization", auth)
                .json(&json!({ "csr": renewal_csr }))
                .send()
                .await?;
            assert_eq!(renewed.status(), 200);
            Ok::<_, reqwest::Error>(())
        });
    }
    let mut completed = 0;
    let deadline = tokio::time::sleep(Duration::from_secs(300));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            next = tasks.join_next() => match next {
                Some(result) => {
                    result.expect("sequence did not panic").expect("sequence got answers");
                    completed += 1;
                }
                None => break,
            },
            () = &mut deadline => panic!("only {completed} of {SEQUENCES} sequences finished within 300 s"),
        }
    }
    let elapsed = started.elapsed();
    assert_eq!(completed, SEQUENCES);
    let issued = admin.issued_csids().unwrap().len();
    assert_eq!(issued, SEQUENCES * 4, "core CCSIDs, sandbox CCSIDs, PCSIDs, renewed PCSIDs");
    eprintln!(
        "load: {SEQUENCES} sequences ({} requests) in {:.2} s = {:.1} sequences/s, {:.1} requests/s",
        SEQUENCES * 4,
        elapsed.as_secs_f64(),
        SEQUENCES as f64 / elapsed.as_secs_f64(),
        (SEQUENCES * 4) as f64 / elapsed.as_secs_f64()
    );
}
