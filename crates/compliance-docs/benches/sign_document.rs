//! One compliance document end to end: build the UBL text, hash (C14N 1.1),
//! sign (ECDSA secp256k1), QR and XAdES block. Goal: under 1 ms.
//! Signs with the SDK's dummy pair; skips, saying why, without ZATCA's
//! reference files.

use criterion::{Criterion, criterion_group, criterion_main};
use fatoora_compliance_docs::document::{Buyer, DocumentKind, DocumentSpec, Line};
use fatoora_compliance_docs::{INITIAL_PREVIOUS_HASH, SellerProfile, SigningCertificate, invoice_hash, sign_document, signing_key_from_text};
use fatoora_base::reference::zatca_reference_dir_or_skip;

fn sign_one_simplified_invoice(c: &mut Criterion) {
    let Some(reference) = zatca_reference_dir_or_skip("sign_document benchmark") else { return };
    let read = |path: &str| std::fs::read_to_string(reference.join(path)).unwrap();
    let certificate = SigningCertificate::from_text(&read("sdk/Certificates/cert.pem")).unwrap();
    let key = signing_key_from_text(&read("sdk/Certificates/ec-secp256k1-priv-key.pem")).unwrap();
    let seller = SellerProfile::from_sdk_config(&read("sdk/Input/csr-config-example-AR.properties")).unwrap();
    let spec = DocumentSpec {
        kind: DocumentKind::SimplifiedInvoice,
        id: "CMP-00001".into(),
        uuid: "3cf5ee18-ee25-44ea-a444-2c37ba7f28be".into(),
        issued_at: chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap().and_hms_opt(1, 0, 0).unwrap(),
        counter: 1,
        previous_hash: INITIAL_PREVIOUS_HASH.into(),
        billing_reference: None,
        note_reason: None,
        seller,
        buyer: Buyer::sample_consumer(),
        lines: Line::samples(),
    };
    c.bench_function("build + hash + sign + QR (simplified invoice)", |b| {
        b.iter(|| sign_document(std::hint::black_box(&spec), &certificate, &key).unwrap())
    });
    // The parts, to see where the time goes.
    let unsigned = spec.render("", "");
    c.bench_function("part: build the UBL text", |b| b.iter(|| std::hint::black_box(&spec).render("", "")));
    c.bench_function("part: invoice hash (C14N 1.1 + SHA-256)", |b| b.iter(|| invoice_hash(std::hint::black_box(&unsigned)).unwrap()));
    let hash = invoice_hash(&unsigned).unwrap();
    c.bench_function("part: ECDSA secp256k1 signature", |b| {
        b.iter(|| -> k256::ecdsa::Signature { k256::ecdsa::signature::Signer::sign(&key, std::hint::black_box(&hash.0)) })
    });
}

criterion_group!(benches, sign_one_simplified_invoice);
criterion_main!(benches);
