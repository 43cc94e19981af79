//! Our documents in the form of ZATCA's own SDK samples: `IssueTime` in KSA
//! local time with no zone designator, QR tag 3 as `IssueDate`T`IssueTime`,
//! and a QR on standard documents too (tags 1 to 8; simplified ones add 9).
//! Each claim is checked on the 19 SDK samples first, then on ours; the QR
//! signature is verified by openssl, not by our code.

mod common;

use std::path::Path;
#[cfg(target_os = "linux")]
use std::process::{Command, Stdio};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use common::{sdk_certificate, sdk_key, sdk_samples, text_after};
use fatoora_compliance_docs::profile::{Address, PartyIdentification};
use fatoora_compliance_docs::{ChainStart, QrCode, SellerProfile, SignedDocument, generate_documents_at, invoice_hash, verify_signed_document};
use fatoora_base::reference::zatca_reference_dir_or_skip;
use fatoora_base::values::InvoiceTypes;

const SELLER: &str = "شركة توريد التكنولوجيا بأقصى سرعة المحدودة";

/// 22:30:15 UTC on 21 November is 01:30:15 on the 22nd in Riyadh, so the
/// date has to move with the time.
fn documents(reference: &Path) -> Vec<SignedDocument> {
    let seller = SellerProfile::new(SELLER, "399999999900003", PartyIdentification::sample(), Address::sample()).unwrap();
    let issued_at = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap().and_hms_opt(22, 30, 15).unwrap();
    generate_documents_at(&seller, &sdk_certificate(reference), &sdk_key(reference), InvoiceTypes::Both, issued_at, ChainStart::default())
        .unwrap()
}

/// `hh:mm:ss` and nothing else: the first form BR-KSA-70 allows, the one
/// the SDK samples use.
fn is_sdk_time(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() == 8
        && bytes.iter().enumerate().all(|(index, byte)| if index == 2 || index == 5 { *byte == b':' } else { byte.is_ascii_digit() })
}

fn element(xml: &str, name: &str) -> String {
    text_after(xml, &format!("<{name}>"), &format!("<{name}>"))
}

fn qr_payload(xml: &str) -> String {
    text_after(xml, "<cbc:ID>QR</cbc:ID>", r#"mimeCode="text/plain">"#)
}

/// The tags of a QR payload in the order they appear.
fn qr_tags(payload: &str) -> Vec<u8> {
    let bytes = B64.decode(payload).unwrap();
    let mut tags = Vec::new();
    let mut rest = bytes.as_slice();
    while let [tag, length, tail @ ..] = rest {
        tags.push(*tag);
        rest = &tail[usize::from(*length)..];
    }
    tags
}

#[test]
fn the_sdk_samples_write_issue_time_without_a_zone_and_qr_tags_as_described() {
    let Some(reference) = zatca_reference_dir_or_skip("the_sdk_samples_write_issue_time_without_a_zone") else { return };
    let samples = sdk_samples(&reference);
    assert_eq!(samples.len(), 19);
    for (path, xml) in &samples {
        let (date, time) = (element(xml, "cbc:IssueDate"), element(xml, "cbc:IssueTime"));
        assert!(is_sdk_time(&time), "{}: {time}", path.display());
        let payload = qr_payload(xml);
        assert_eq!(QrCode::from_base64(&payload).unwrap().timestamp, format!("{date}T{time}"), "{}", path.display());
        let simplified = xml.contains(r#"<cbc:InvoiceTypeCode name="02"#);
        let expected: Vec<u8> = if simplified { (1..=9).collect() } else { (1..=8).collect() };
        assert_eq!(qr_tags(&payload), expected, "{}", path.display());
    }
    let standard = samples.iter().filter(|(_, xml)| xml.contains(r#"<cbc:InvoiceTypeCode name="01"#)).count();
    assert_eq!(standard, 14, "all 14 standard samples carry a QR");
}

#[test]
fn issue_time_is_ksa_local_time_in_the_sdk_form() {
    let Some(reference) = zatca_reference_dir_or_skip("issue_time_is_ksa_local_time_in_the_sdk_form") else { return };
    for document in documents(&reference) {
        let kind = document.kind;
        let time = element(&document.xml, "cbc:IssueTime");
        assert!(is_sdk_time(&time), "{kind:?}: {time}");
        assert_eq!((element(&document.xml, "cbc:IssueDate").as_str(), time.as_str()), ("2026-11-22", "01:30:15"), "{kind:?}");
        assert_eq!(QrCode::from_base64(&qr_payload(&document.xml)).unwrap().timestamp, "2026-11-22T01:30:15", "{kind:?}");
        assert_eq!(element(&document.xml, "xades:SigningTime"), "2026-11-22T01:30:15", "{kind:?}");
        if !kind.is_simplified() {
            assert_eq!(element(&document.xml, "cbc:ActualDeliveryDate"), "2026-11-22", "{kind:?}");
        }
    }
}

#[test]
fn every_qr_decodes_to_the_documents_values_with_the_tags_of_its_kind() {
    let Some(reference) = zatca_reference_dir_or_skip("every_qr_decodes_to_the_documents_values") else { return };
    let certificate = sdk_certificate(&reference);
    for document in documents(&reference) {
        let kind = document.kind;
        let payload = qr_payload(&document.xml);
        let expected: Vec<u8> = if kind.is_simplified() { (1..=9).collect() } else { (1..=8).collect() };
        assert_eq!(qr_tags(&payload), expected, "{kind:?}");
        let qr = QrCode::from_base64(&payload).unwrap();
        assert_eq!((qr.seller_name.as_str(), qr.vat_number.as_str()), (SELLER, "399999999900003"), "{kind:?}");
        assert_eq!((qr.total_with_vat.as_str(), qr.vat_total.as_str()), ("63.11", "5.56"), "{kind:?}");
        assert_eq!(qr.total_with_vat, text_after(&document.xml, "<cbc:PayableAmount", r#"currencyID="SAR">"#), "{kind:?}");
        assert_eq!(qr.invoice_hash, invoice_hash(&document.xml).unwrap().base64(), "{kind:?}");
        assert_eq!(qr.invoice_hash, document.request.invoice_hash, "{kind:?}");
        assert_eq!(qr.signature, element(&document.xml, "ds:SignatureValue"), "{kind:?}");
        assert_eq!(qr.public_key, certificate.public_key_der().unwrap(), "{kind:?}");
        let verification = verify_signed_document(&document.xml).unwrap();
        assert_eq!(verification.qr, Some(fatoora_compliance_docs::Check::Passed), "{kind:?}");
    }
}

/// Runs openssl; `None` when it is not installed.
// Linux-only: Debian's openssl command, which the Windows run under Wine cannot start.
#[cfg(target_os = "linux")]
fn openssl(arguments: &[&str]) -> Option<std::process::Output> {
    Command::new("openssl").args(arguments).stdin(Stdio::null()).output().ok()
}

/// openssl checks tag 7 against tag 8 over the hash in tag 6, the way a
/// QR reader would: the key and signature come from the QR alone. The
/// signed message is the raw 32-byte hash, digested once more with SHA-256
/// (SPEC.md 3.3 item 2), hence `dgst -sha256` over the hash bytes.
// Linux-only: Debian's openssl command, which the Windows run under Wine cannot start.
#[cfg(target_os = "linux")]
#[test]
fn openssl_verifies_the_qr_signature_with_the_qr_key_on_every_document() {
    let test = "openssl_verifies_the_qr_signature_with_the_qr_key_on_every_document";
    let Some(reference) = zatca_reference_dir_or_skip(test) else { return };
    if openssl(&["version"]).is_none_or(|output| !output.status.success()) {
        fatoora_base::skip::skip(format_args!("{test}: openssl is not installed (apt-get install openssl)"));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    for document in documents(&reference) {
        let kind = document.kind;
        let qr = QrCode::from_base64(&qr_payload(&document.xml)).unwrap();
        std::fs::write(path("key.der"), &qr.public_key).unwrap();
        std::fs::write(path("signature.der"), B64.decode(&qr.signature).unwrap()).unwrap();
        let hash = B64.decode(&qr.invoice_hash).unwrap();
        std::fs::write(path("hash.bin"), &hash).unwrap();
        let mut altered = hash.clone();
        altered[0] ^= 1;
        std::fs::write(path("altered.bin"), &altered).unwrap();
        let to_pem = openssl(&["pkey", "-pubin", "-inform", "DER", "-in", &path("key.der"), "-out", &path("key.pem")]).unwrap();
        assert!(to_pem.status.success(), "{kind:?}: tag 8 is not a public key: {}", String::from_utf8_lossy(&to_pem.stderr));
        let verify = |input: &str| {
            openssl(&["dgst", "-sha256", "-verify", &path("key.pem"), "-signature", &path("signature.der"), &path(input)]).unwrap()
        };
        let good = verify("hash.bin");
        assert!(good.status.success(), "{kind:?}: {}{}", String::from_utf8_lossy(&good.stdout), String::from_utf8_lossy(&good.stderr));
        assert!(String::from_utf8_lossy(&good.stdout).contains("Verified OK"), "{kind:?}");
        assert!(!verify("altered.bin").status.success(), "{kind:?}: openssl must refuse another hash");
    }
}
