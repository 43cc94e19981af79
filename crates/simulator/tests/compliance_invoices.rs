//! POST /compliance/invoices end to end: documents re-signed here with the
//! CCSID's key (ZATCA's SDK samples as the content), the steps they record,
//! the repeat answer, and the production CSID once all steps passed.

mod support;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use der::Encode;
use fatoora_base::Environment;
use fatoora_simulator::{OtpPurpose, canonical_invoice};
use k256::ecdsa::{Signature, SigningKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use signature::Signer;
use support::*;

fn replace_between(xml: &str, anchor: &str, start: &str, end: &str, value: &str) -> String {
    let from = xml.find(anchor).unwrap_or_else(|| panic!("{anchor}"));
    let open = from + xml[from..].find(start).unwrap() + start.len();
    let close = open + xml[open..].find(end).unwrap();
    format!("{}{}{}", &xml[..open], value, &xml[close..])
}

fn tlv(tags: &[(u8, &[u8])]) -> String {
    let mut out = Vec::new();
    for (tag, value) in tags {
        out.push(*tag);
        out.push(u8::try_from(value.len()).unwrap());
        out.extend_from_slice(value);
    }
    STANDARD.encode(out)
}

/// Re-signs an SDK sample with `key` and the CCSID `token`; returns (xml, hash).
fn sign(xml: &str, key: &SigningKey, token: &str) -> (String, String) {
    let cert_b64 = String::from_utf8(STANDARD.decode(token).unwrap()).unwrap();
    let cert = <x509_cert::Certificate as der::Decode>::from_der(&STANDARD.decode(&cert_b64).unwrap()).unwrap();
    let hash = Sha256::digest(canonical_invoice(xml).unwrap());
    let hash_b64 = STANDARD.encode(hash);
    let signature: Signature = key.sign(&hash);
    let signature_b64 = STANDARD.encode(signature.to_der().as_bytes());

    let mut out = replace_between(xml, r#"Id="invoiceSignedData""#, "<ds:DigestValue>", "</ds:DigestValue>", &hash_b64);
    out = replace_between(&out, "<ds:SignatureValue", ">", "</ds:SignatureValue>", &signature_b64);
    out = replace_between(&out, "<ds:X509Certificate", ">", "</ds:X509Certificate>", &cert_b64);
    let cert_digest = STANDARD.encode(hex::encode(Sha256::digest(cert_b64.as_bytes())));
    out = replace_between(&out, "<xades:CertDigest>", "<ds:DigestValue>", "</ds:DigestValue>", &cert_digest);

    let start = out.find("<xades:SignedProperties").unwrap();
    let end = start + out[start..].find("</xades:SignedProperties>").unwrap() + "</xades:SignedProperties>".len();
    let preimage = out[start..end]
        .replacen("<xades:SignedProperties", r#"<xades:SignedProperties xmlns:xades="http://uri.etsi.org/01903/v1.3.2#""#, 1)
        .replace("<ds:DigestMethod", r#"<ds:DigestMethod xmlns:ds="http://www.w3.org/2000/09/xmldsig#""#)
        .replace("<ds:DigestValue", r#"<ds:DigestValue xmlns:ds="http://www.w3.org/2000/09/xmldsig#""#)
        .replace("<ds:X509IssuerName", r#"<ds:X509IssuerName xmlns:ds="http://www.w3.org/2000/09/xmldsig#""#)
        .replace("<ds:X509SerialNumber", r#"<ds:X509SerialNumber xmlns:ds="http://www.w3.org/2000/09/xmldsig#""#);
    let properties_digest = STANDARD.encode(hex::encode(Sha256::digest(preimage.as_bytes())));
    out = replace_between(&out, r##"URI="#xadesSignedProperties""##, "<ds:DigestValue>", "</ds:DigestValue>", &properties_digest);

    if out.contains("<cbc:ID>QR</cbc:ID>") {
        let spki = cert.tbs_certificate().subject_public_key_info().to_der().unwrap();
        let issued = |name: &str| {
            let open = format!("<cbc:{name}>");
            let from = xml.find(&open).unwrap() + open.len();
            xml[from..from + xml[from..].find('<').unwrap()].to_owned()
        };
        let timestamp = format!("{}T{}", issued("IssueDate"), issued("IssueTime"));
        let qr = tlv(&[
            (1, "Maximum Speed Tech Supply LTD".as_bytes()),
            (2, VAT.as_bytes()),
            (3, timestamp.as_bytes()),
            (4, b"4.60"),
            (5, b"0.60"),
            (6, hash_b64.as_bytes()),
            (7, signature_b64.as_bytes()),
            (8, &spki),
            (9, cert.signature().raw_bytes()),
        ]);
        out = replace_between(&out, "<cbc:ID>QR</cbc:ID>", "<cbc:EmbeddedDocumentBinaryObject mimeCode=\"text/plain\">", "</cbc:EmbeddedDocumentBinaryObject>", &qr);
    }
    (out, hash_b64)
}

#[cfg(target_os = "linux")]
const DOCUMENTS: [(&str, &str); 6] = [
    ("Standard/Invoice/Standard_Invoice.xml", "standard-compliant"),
    ("Standard/Credit/Standard_Credit_Note.xml", "standard-credit-note-compliant"),
    ("Standard/Debit/Standard_Debit_Note.xml", "standard-debit-note-compliant"),
    ("Simplified/Invoice/Simplified_Invoice.xml", "simplified-compliant"),
    ("Simplified/Credit/Simplified_Credit_Note.xml", "simplified-credit-note-compliant"),
    ("Simplified/Debit/Simplified_Debit_Note.xml", "simplified-debit-note-compliant"),
];

async fn submit(s: &Sim, base: &str, auth: &str, xml: &str, hash: &str) -> Response {
    send(
        s.http
            .post(format!("{base}/compliance/invoices"))
            .header("Accept-Version", "V2")
            .header("Accept-Language", "en")
            .header("Authorization", auth)
            .json(&json!({ "invoiceHash": hash, "uuid": "8d487816-70b8-4ade-a618-9d620b73814a", "invoice": STANDARD.encode(xml) })),
    )
    .await
}

// Linux-only: the answers are ZATCA's byte for byte, XSD verdict included, and
// the schema check is libxml2, which the Windows build lacks (Cargo.toml).
#[cfg(target_os = "linux")]
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
        let xml = std::fs::read_to_string(reference.join("sdk/Samples").join(path)).unwrap();
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
