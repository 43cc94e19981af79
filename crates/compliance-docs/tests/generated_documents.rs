//! Our own documents, signed with the SDK's dummy key and certificate,
//! pass every check of the verifier that ZATCA's samples pass.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use common::{sdk_certificate, sdk_key};
use fatoora_compliance_docs::profile::{Address, PartyIdentification};
use fatoora_compliance_docs::{
    ChainStart, DocsError, DocumentKind, INITIAL_PREVIOUS_HASH, QrCode, SellerProfile, SigningCertificate, generate_documents,
    generate_documents_at, invoice_hash, signing_key_from_text, verify_signed_document,
};
use fatoora_base::reference::zatca_reference_dir_or_skip;
use fatoora_base::values::InvoiceTypes;
use sha2::{Digest, Sha256};

const ARABIC_SELLER: &str = "شركة توريد التكنولوجيا بأقصى سرعة المحدودة";

fn arabic_seller() -> SellerProfile {
    SellerProfile::new(ARABIC_SELLER, "399999999900003", PartyIdentification::sample(), Address::sample()).unwrap()
}

#[test]
fn the_initial_pih_is_base64_of_hex_sha256_of_zero() {
    let hex: String = Sha256::digest(b"0").iter().map(|byte| format!("{byte:02x}")).collect();
    assert_eq!(INITIAL_PREVIOUS_HASH, B64.encode(hex));
}

#[test]
fn the_pih_constant_equals_the_sdk_file() {
    let Some(reference) = zatca_reference_dir_or_skip("the_pih_constant_equals_the_sdk_file") else { return };
    assert_eq!(std::fs::read_to_string(reference.join("sdk/PIH/pih.txt")).unwrap().trim(), INITIAL_PREVIOUS_HASH);
}

#[test]
fn all_six_documents_verify_and_chain() {
    let Some(reference) = zatca_reference_dir_or_skip("all_six_documents_verify_and_chain") else { return };
    let certificate = sdk_certificate(&reference);
    let documents = generate_documents(&arabic_seller(), &certificate, &sdk_key(&reference), InvoiceTypes::Both).unwrap();
    let kinds: Vec<DocumentKind> = documents.iter().map(|document| document.kind).collect();
    assert_eq!(kinds, DocumentKind::for_invoice_types(InvoiceTypes::Both));

    let mut previous_hash = INITIAL_PREVIOUS_HASH.to_string();
    for (index, document) in documents.iter().enumerate() {
        let verification = verify_signed_document(&document.xml).unwrap();
        assert!(verification.all_passed(), "{:?}: {verification:#?}", document.kind);
        assert_eq!(verification.certificate.as_ref(), Some(&certificate));
        assert!(verification.qr.is_some(), "{:?}: every document carries a QR, as every SDK sample does", document.kind);

        assert_eq!(document.request.invoice_hash, verification.computed_hash);
        assert_eq!(B64.decode(&document.request.invoice).unwrap(), document.xml.as_bytes());
        assert!(document.xml.contains(&format!("<cbc:UUID>{}</cbc:UUID>", document.request.uuid)));
        assert!(document.xml.contains(&format!("<cbc:ID>ICV</cbc:ID>\n        <cbc:UUID>{}</cbc:UUID>", index + 1)));
        assert!(document.xml.contains(&format!(r#"<cbc:EmbeddedDocumentBinaryObject mimeCode="text/plain">{previous_hash}<"#)));
        assert!(document.xml.contains(&format!("<cbc:RegistrationName>{ARABIC_SELLER}</cbc:RegistrationName>")));
        previous_hash = document.request.invoice_hash.clone();
    }
}

#[test]
fn the_request_body_has_the_api_field_names() {
    let Some(reference) = zatca_reference_dir_or_skip("the_request_body_has_the_api_field_names") else { return };
    let documents = generate_documents(&arabic_seller(), &sdk_certificate(&reference), &sdk_key(&reference), InvoiceTypes::Standard).unwrap();
    let body = serde_json::to_value(&documents[0].request).unwrap();
    let mut keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["invoice", "invoiceHash", "uuid"]);
}

#[test]
fn the_simplified_qr_carries_the_arabic_name_and_the_totals() {
    let Some(reference) = zatca_reference_dir_or_skip("the_simplified_qr_carries_the_arabic_name") else { return };
    let certificate = sdk_certificate(&reference);
    let issued_at = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap().and_hms_opt(9, 30, 15).unwrap();
    let documents =
        generate_documents_at(&arabic_seller(), &certificate, &sdk_key(&reference), InvoiceTypes::Simplified, issued_at, ChainStart::default())
            .unwrap();
    let invoice = &documents[0];
    let payload = common::text_after(&invoice.xml, "<cbc:ID>QR</cbc:ID>", r#"mimeCode="text/plain">"#);
    let qr = QrCode::from_base64(&payload).unwrap();
    assert_eq!(qr.seller_name, ARABIC_SELLER);
    assert_eq!(qr.vat_number, "399999999900003");
    assert_eq!(qr.timestamp, "2026-11-21T12:30:15", "09:30:15 UTC is 12:30:15 in Riyadh");
    assert_eq!((qr.total_with_vat.as_str(), qr.vat_total.as_str()), ("63.11", "5.56"));
    assert_eq!(qr.invoice_hash, invoice_hash(&invoice.xml).unwrap().base64());
    assert_eq!(qr.certificate_signature.as_deref(), Some(certificate.signature_der()));
    let tlv = B64.decode(&payload).unwrap();
    assert_eq!(usize::from(tlv[1]), ARABIC_SELLER.len(), "tag 1 length counts UTF-8 bytes");
}

#[test]
fn notes_reference_the_invoice_of_their_set_and_give_a_reason() {
    let Some(reference) = zatca_reference_dir_or_skip("notes_reference_the_invoice_of_their_set") else { return };
    let documents = generate_documents(&arabic_seller(), &sdk_certificate(&reference), &sdk_key(&reference), InvoiceTypes::Both).unwrap();
    for document in documents.iter().filter(|document| document.kind.is_note()) {
        let invoice_id = if document.kind.is_simplified() { "CMP-00004" } else { "CMP-00001" };
        assert!(document.xml.contains(&format!("<cac:InvoiceDocumentReference>\n            <cbc:ID>{invoice_id}</cbc:ID>")), "{:?}", document.kind);
        assert!(document.xml.contains("<cbc:InstructionNote>"), "{:?}", document.kind);
    }
}

#[test]
fn a_key_that_does_not_belong_to_the_certificate_is_refused() {
    let Some(reference) = zatca_reference_dir_or_skip("a_key_that_does_not_belong_to_the_certificate_is_refused") else { return };
    let other_key = k256::ecdsa::SigningKey::from_bytes(&[7u8; 32].into()).unwrap();
    let error = generate_documents(&arabic_seller(), &sdk_certificate(&reference), &other_key, InvoiceTypes::Both).unwrap_err();
    assert!(matches!(error, DocsError::KeyCertificateMismatch));
    assert!(error.message().ar.contains("المفتاح الخاص"));
}

// Linux-only: Debian's openssl command, which the Windows run under Wine cannot start.
#[cfg(target_os = "linux")]
fn openssl(arguments: &[&str], input: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write;
    let mut child = std::process::Command::new("openssl")
        .args(arguments)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take().unwrap().write_all(input).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "openssl {arguments:?}: {}", String::from_utf8_lossy(&output.stderr));
    Some(output.stdout)
}

/// openssl, not our code, turns the SDK's headerless files into PEM.
// Linux-only: Debian's openssl command, which the Windows run under Wine cannot start.
#[cfg(target_os = "linux")]
#[test]
fn pem_and_headerless_credentials_read_the_same() {
    let Some(reference) = zatca_reference_dir_or_skip("pem_and_headerless_credentials_read_the_same") else { return };
    let certificate_text = std::fs::read_to_string(reference.join("sdk/Certificates/cert.pem")).unwrap();
    let key_text = std::fs::read_to_string(reference.join("sdk/Certificates/ec-secp256k1-priv-key.pem")).unwrap();
    let certificate_der = B64.decode(certificate_text.trim()).unwrap();
    let key_der = B64.decode(key_text.trim()).unwrap();
    let Some(certificate_pem) = openssl(&["x509", "-inform", "DER", "-outform", "PEM"], &certificate_der) else {
        fatoora_base::skip::skip("openssl is not installed (apt-get install openssl)");
        return;
    };
    let sec1_pem = openssl(&["ec", "-inform", "DER", "-outform", "PEM"], &key_der).unwrap();
    let pkcs8_pem = openssl(&["pkcs8", "-topk8", "-nocrypt", "-inform", "PEM", "-outform", "PEM"], &sec1_pem).unwrap();
    assert!(String::from_utf8_lossy(&pkcs8_pem).starts_with("-----BEGIN PRIVATE KEY-----"));

    let certificate = SigningCertificate::from_text(&certificate_text).unwrap();
    assert_eq!(SigningCertificate::from_text(std::str::from_utf8(&certificate_pem).unwrap()).unwrap(), certificate);
    let key = signing_key_from_text(&key_text).unwrap();
    for pem in [sec1_pem, pkcs8_pem] {
        assert_eq!(signing_key_from_text(std::str::from_utf8(&pem).unwrap()).unwrap(), key);
    }
    certificate.check_key(&key).unwrap();
}

#[test]
fn unreadable_keys_never_echo_the_input() {
    let secret_looking = "MHQCAQEEIL14JV+5nr/sE8Sppaf2IySovrhVBtt8+yz+g4NRKyz8";
    let error = signing_key_from_text(secret_looking).unwrap_err();
    let message = error.message();
    for text in [error.to_string(), message.en, message.ar] {
        assert!(!text.contains("MHQCAQEE") && !text.contains("Kyz8"), "{text}");
    }
}

#[test]
fn a_csid_answer_token_reads_as_its_certificate() {
    let Some(reference) = zatca_reference_dir_or_skip("a_csid_answer_token_reads_as_its_certificate") else { return };
    let answer: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reference.join("samples/api/odoo-demo-ccsid-response.json")).unwrap()).unwrap();
    let token = answer["binarySecurityToken"].as_str().unwrap();
    let pem = std::fs::read_to_string(reference.join("samples/certs/odoo_demo_ccsid.pem")).unwrap();
    assert_eq!(SigningCertificate::from_binary_security_token(token).unwrap(), SigningCertificate::from_text(&pem).unwrap());
    assert!(SigningCertificate::from_binary_security_token("not a token").is_err());
}
