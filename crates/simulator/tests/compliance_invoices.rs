//! POST /compliance/invoices end to end: documents re-signed here with the
//! CCSID's key (ZATCA's SDK samples as the content), the steps they record,
//! the repeat answer, and the production CSID once all steps passed.

mod support;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use fatoora_base::Environment;
use fatoora_simulator::{OtpPurpose, RulesCheck};
use k256::ecdsa::SigningKey;
use serde_json::{Value, json};
use support::resign::{issued_today, sign, submit};
use support::*;

const DOCUMENTS: [(&str, &str); 6] = [
    ("Standard/Invoice/Standard_Invoice.xml", "standard-compliant"),
    ("Standard/Credit/Standard_Credit_Note.xml", "standard-credit-note-compliant"),
    ("Standard/Debit/Standard_Debit_Note.xml", "standard-debit-note-compliant"),
    ("Simplified/Invoice/Simplified_Invoice.xml", "simplified-compliant"),
    ("Simplified/Credit/Simplified_Credit_Note.xml", "simplified-credit-note-compliant"),
    ("Simplified/Debit/Simplified_Debit_Note.xml", "simplified-debit-note-compliant"),
];

#[tokio::test]
async fn six_compliance_checks_open_the_gate_to_a_production_csid() {
    let Some(reference) = fatoora_base::reference::zatca_reference_dir_or_skip("six_compliance_checks") else { return };
    let s = start().await;
    let core = s.sim.base_url(Environment::Local);
    let otp = s.sim.admin().mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();
    let (ccsid, key) = onboard(&s, &core, &otp, &CsrSpec::new("TSTZATCA-Code-Signing")).await;
    let token = ccsid["binarySecurityToken"].as_str().unwrap();
    let auth = basic(token, ccsid["secret"].as_str().unwrap());

    let cleared = sample("api/02-compliance-invoices-200-standard-cleared-observed.json").unwrap();
    for (path, step) in DOCUMENTS {
        // Issued today: an old simplified document draws BR-KSA-98 (reported
        // more than 24 hours after issue), a warning.
        let xml = issued_today(&std::fs::read_to_string(reference.join("sdk/Samples").join(path)).unwrap());
        let (signed, hash) = sign(&xml, &key, token);
        let response = submit(&s, &core, &auth, &signed, &hash).await;
        assert_eq!(response.status, 200, "{path}: {}", response.text);
        let body = response.json();
        assert_eq!(body["validationResults"]["status"], "PASS", "{path}");
        if path.starts_with("Standard") {
            assert_eq!(body, cleared, "{path}: byte-for-byte the observed standard PASS");
        } else {
            assert_eq!(body["reportingStatus"], "REPORTED");
        }
        let csids = s.sim.admin().issued_csids().unwrap();
        assert!(csids[0].steps_passed.iter().any(|p| p == step), "{path} records {step}");
    }

    // A repeat answers "already completed".
    let xml = std::fs::read_to_string(reference.join("sdk/Samples").join(DOCUMENTS[3].0)).unwrap();
    let (signed, hash) = sign(&xml, &key, token);
    let response = submit(&s, &core, &auth, &signed, &hash).await;
    let expected = sample("api/02-compliance-invoices-submitted-before-UNVERIFIED.json").unwrap();
    assert_eq!(response.json(), expected);

    let response = send(
        s.http
            .post(format!("{core}/production/csids"))
            .header("Accept-Version", "V2")
            .header("Authorization", &auth)
            .json(&json!({ "compliance_request_id": ccsid["requestID"].to_string() })),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json()["dispositionMessage"], "ISSUED");
}

#[tokio::test]
async fn wrong_hash_wrong_vat_wrong_key_and_no_auth_are_refused() {
    let Some(reference) = fatoora_base::reference::zatca_reference_dir_or_skip("wrong_hash_wrong_vat") else { return };
    let s = start().await;
    let core = s.sim.base_url(Environment::Local);
    let xml = std::fs::read_to_string(reference.join("sdk/Samples/Simplified/Invoice/Simplified_Invoice.xml")).unwrap();

    // Certificate for another VAT: the documents' seller VAT is not covered.
    let mut other = CsrSpec::new("TSTZATCA-Code-Signing");
    other.vat = "311111111101113".into();
    let otp = s.sim.admin().mint_otp(Environment::Local, &other.vat, OtpPurpose::Onboard).unwrap();
    let (ccsid, key) = onboard(&s, &core, &otp, &other).await;
    let token = ccsid["binarySecurityToken"].as_str().unwrap();
    let auth = basic(token, ccsid["secret"].as_str().unwrap());
    let (signed, hash) = sign(&xml, &key, token);
    let body = submit(&s, &core, &auth, &signed, &hash).await.json();
    let codes: Vec<&str> = body["validationResults"]["errorMessages"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["certificate-permissions"], "{body}");
    assert_eq!(body["reportingStatus"], "NOT_REPORTED");
    // The sample was issued long ago: BR-KSA-98 exactly as ZATCA words it.
    let reported = sample("api-examples/reporting.03.202-Reported.json").unwrap();
    let late = reported["validationResults"]["warningMessages"].as_array().unwrap().iter().find(|w| w["code"] == "BR-KSA-98").unwrap();
    assert_eq!(body["validationResults"]["warningMessages"], json!([late]), "{body}");

    // Right VAT, but the API body's hash is wrong, then a key that is not the CCSID's.
    let otp = s.sim.admin().mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();
    let (ccsid, key) = onboard(&s, &core, &otp, &CsrSpec::new("TSTZATCA-Code-Signing")).await;
    let token = ccsid["binarySecurityToken"].as_str().unwrap();
    let auth = basic(token, ccsid["secret"].as_str().unwrap());
    let (signed, _) = sign(&xml, &key, token);
    let response = submit(&s, &core, &auth, &signed, &STANDARD.encode([7u8; 32])).await;
    assert_eq!(response.status, 400);
    assert_eq!(response.json()["validationResults"]["errorMessages"][0]["code"], "invalid-invoice-hash");
    let response = submit(&s, &core, &auth, &signed, "%%%").await;
    assert_eq!(response.json()["validationResults"]["errorMessages"][0]["code"], "InvoiceHash-Errors");

    let stranger = <SigningKey as k256::elliptic_curve::Generate>::generate();
    let (signed, hash) = sign(&xml, &stranger, token);
    let body = submit(&s, &core, &auth, &signed, &hash).await.json();
    let codes: Vec<Value> = body["validationResults"]["errorMessages"].as_array().unwrap().iter().map(|e| e["code"].clone()).collect();
    assert!(codes.contains(&json!("invalid-digital-signature")), "{body}");

    let response = submit(&s, &core, "Basic bm9ib2R5OnNlY3JldA==", &signed, &hash).await;
    assert_eq!(response.status, 401);
    let response = submit(&s, &core, &auth, "<not xml", &hash).await;
    assert_eq!(response.json()["validationResults"]["errorMessages"][0]["code"], "XSD_ZATCA_INVALID");
}

/// `simulator --skip-rules` (for measuring a client apart from the gateway's
/// work) leaves out the XSD and business rules only: the old sample draws no
/// BR-KSA-98 warning, while a signature by another key is still refused.
#[tokio::test]
async fn skipped_rules_leave_the_signature_checks() {
    let Some(reference) = fatoora_base::reference::zatca_reference_dir_or_skip("skipped_rules") else { return };
    let s = start_with(tempfile::tempdir().unwrap(), |config| config.rules(RulesCheck::Skipped)).await;
    let core = s.sim.base_url(Environment::Local);
    let xml = std::fs::read_to_string(reference.join("sdk/Samples/Simplified/Invoice/Simplified_Invoice.xml")).unwrap();
    let otp = s.sim.admin().mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();
    let (ccsid, key) = onboard(&s, &core, &otp, &CsrSpec::new("TSTZATCA-Code-Signing")).await;
    let token = ccsid["binarySecurityToken"].as_str().unwrap();
    let auth = basic(token, ccsid["secret"].as_str().unwrap());

    let (signed, hash) = sign(&xml, &key, token);
    let body = submit(&s, &core, &auth, &signed, &hash).await.json();
    assert_eq!(body["validationResults"]["status"], "PASS", "{body}");
    assert_eq!(body["validationResults"]["warningMessages"], json!([]), "{body}");

    let stranger = <SigningKey as k256::elliptic_curve::Generate>::generate();
    let (signed, hash) = sign(&xml, &stranger, token);
    let body = submit(&s, &core, &auth, &signed, &hash).await.json();
    let codes: Vec<Value> = body["validationResults"]["errorMessages"].as_array().unwrap().iter().map(|e| e["code"].clone()).collect();
    assert!(codes.contains(&json!("invalid-digital-signature")), "{body}");
}
