//! Key generation and CSR signing in process (goal: under 2 ms together).

use criterion::{Criterion, criterion_group, criterion_main};
use fatoora_core::Environment;
use fatoora_csr::{UnitKey, UnitProfile, build_csr, lint_csr, lint_profile};

fn profile() -> UnitProfile {
    UnitProfile {
        organization_name: "Maximum Speed Tech Supply LTD".into(),
        vat_number: "399999999900003".into(),
        organization_unit: "Riyadh Branch".into(),
        common_name: "TST-886431145-399999999900003".into(),
        serial: "1-TST|2-TST|3-ed22f1d8-e6a2-1118-9b58-d9a8f11e445f".into(),
        invoice_types: "1100".into(),
        address: "RRRD2929".into(),
        business_category: "Supply activities".into(),
        country: "SA".into(),
        environment: Environment::Production,
    }
}

fn benches(c: &mut Criterion) {
    let profile = profile();
    c.bench_function("generate key + build CSR", |b| {
        b.iter(|| {
            let key = UnitKey::generate().unwrap();
            build_csr(&profile, &key).unwrap()
        })
    });
    let key = UnitKey::generate().unwrap();
    c.bench_function("build CSR (existing key)", |b| b.iter(|| build_csr(&profile, &key).unwrap()));
    c.bench_function("lint profile", |b| b.iter(|| lint_profile(&profile)));
    let pem = build_csr(&profile, &key).unwrap().to_pem();
    c.bench_function("lint CSR (parse + verify)", |b| b.iter(|| lint_csr(pem.as_bytes(), Some(Environment::Production))));
}

criterion_group!(csr, benches);
criterion_main!(csr);
