//! Documents re-signed here with a CCSID's key, independently of
//! fatoora-compliance-docs: ZATCA's SDK samples (or broken copies of them)
//! as the content, a fresh signature, certificate, digests and QR.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{FixedOffset, Utc};
use der::Encode;
use fatoora_simulator::canonical_invoice;
use k256::ecdsa::{Signature, SigningKey};
use serde_json::json;
use sha2::{Digest, Sha256};
use signature::Signer;

use super::{Response, Sim, VAT, send};

pub fn replace_between(xml: &str, anchor: &str, start: &str, end: &str, value: &str) -> String {
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
pub fn sign(xml: &str, key: &SigningKey, token: &str) -> (String, String) {
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

/// `xml` issued at midnight today, Riyadh time: within the 24 hours of
/// BR-KSA-98 and not in the future (BR-KSA-04), whenever the test runs.
pub fn issued_today(xml: &str) -> String {
    let riyadh = FixedOffset::east_opt(3 * 3600).unwrap();
    let today = Utc::now().with_timezone(&riyadh).format("%Y-%m-%d").to_string();
    let out = replace_between(xml, "<cbc:IssueDate", ">", "</cbc:IssueDate>", &today);
    replace_between(&out, "<cbc:IssueTime", ">", "</cbc:IssueTime>", "00:00:00")
}

/// POST /compliance/invoices with `xml` and the stated `hash`.
pub async fn submit(s: &Sim, base: &str, auth: &str, xml: &str, hash: &str) -> Response {
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
