//! Key generation and CSR signing in process (goal: under 2 ms together).

use criterion::{Criterion, criterion_group, criterion_main};
use fatoora_base::Environment;
use fatoora_csr::{UnitKey, UnitProfile, build_csr, lint_csr, lint_profile};

fn benches(c: &mut Criterion) {
    let profile = UnitProfile::sdk_example(Environment::Production);
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
