//! 100 units end to end against the in-process simulator over HTTPS:
//! CSV import (keys and CSRs), then batch onboarding (CCSID, compliance
//! checks, PCSID) with one OTP each. Prints the timings; run through
//! scripts/bench-batch.sh. Not a test: timing is the point here.

use std::time::{Duration, Instant};

use chrono::Utc;
use fatoora_batch::import::{check_csv, import_units};
use fatoora_batch::run::{BatchOptions, assign, pending_units, run_batch};
use fatoora_base::secrets::MemorySecretStore;
use fatoora_base::{DataDir, Environment, Localized, Store};
use fatoora_onboarding::client::{ClientOptions, FatooraClient, Target};
use fatoora_onboarding::preflight::Reachability;
use fatoora_simulator::{OtpPurpose, Simulator, SimulatorConfig};

const VAT: &str = "399999999900003";

#[tokio::main]
async fn main() {
    let units: usize = std::env::var("BENCH_UNITS").ok().and_then(|v| v.parse().ok()).unwrap_or(100);
    let concurrency: usize = std::env::var("BENCH_CONCURRENCY").ok().and_then(|v| v.parse().ok()).unwrap_or(16);
    let dir = tempfile::tempdir().unwrap();
    let sim = Simulator::start(SimulatorConfig::new(dir.path().join("sim"))).await.unwrap();
    let data = DataDir::at(dir.path().join("app"));
    let mut store = Store::open(&data).unwrap();
    let secrets = MemorySecretStore::default();

    let start = Instant::now();
    let mut csv = String::from("organization_name,vat_number,organization_unit,common_name,serial,invoice_types,address,business_category,country\n");
    for n in 0..units {
        csv.push_str(&format!("سلسلة متاجر المثال,{VAT},فرع {n},POS-{n},1-POS|2-V1|3-{n:05},1100,RRRD2929,Retail,SA\n"));
    }
    let check = check_csv(csv.as_bytes(), Environment::Local, &store).unwrap();
    assert_eq!(check.errors(), 0);
    import_units(&mut store, &secrets, &check, false).unwrap();
    let imported = start.elapsed();

    let otps: String = (0..units).map(|_| sim.admin().mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap() + "\n").collect();
    let assignments = assign(&otps, &pending_units(&store, Environment::Local).unwrap()).unwrap();
    let client = FatooraClient::new(
        Target::Local { base_url: sim.base_url(Environment::Local), ca_pem: sim.ca_cert_pem().to_owned() },
        ClientOptions { retry_pause: Duration::from_millis(50), ..ClientOptions::default() },
    )
    .unwrap();
    let options = BatchOptions {
        concurrency,
        otps_generated_at: Utc::now(),
        portal: Environment::Local,
        reachability: Some(Reachability { ready: true, summary: Localized::new("benchmark", "قياس") }),
    };
    let onboarding = Instant::now();
    let report = run_batch(&data, &secrets, &client, assignments, &options).await;
    let onboarded = onboarding.elapsed();
    println!(
        "units={units} concurrency={concurrency} import+csr={:.2}s onboarding={:.2}s total={:.2}s issued={} failed={}",
        imported.as_secs_f64(),
        onboarded.as_secs_f64(),
        start.elapsed().as_secs_f64(),
        report.issued,
        report.failed
    );
    if report.failed > 0 {
        eprintln!("{:#?}", report.results.iter().filter(|r| matches!(r.outcome, fatoora_batch::run::Outcome::Failed { .. })).take(3).collect::<Vec<_>>());
        std::process::exit(1);
    }
}
