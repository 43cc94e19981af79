//! Round trip on ZATCA's own signed samples: every check passes on the 19
//! SDK documents, and breaking one byte makes the matching check fail.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use common::{break_byte, sdk_certificate, sdk_samples, text_after};
use fatoora_compliance_docs::xades::signed_properties_pre_image;
use fatoora_compliance_docs::{Check, QrCode, invoice_hash, verify_signed_document};
use fatoora_base::reference::zatca_reference_dir_or_skip;
use sha2::{Digest, Sha256};

#[test]
fn hash_matches_the_digest_value_of_every_sdk_sample() {
    let Some(reference) = zatca_reference_dir_or_skip("hash_matches_the_digest_value_of_every_sdk_sample") else { return };
    let samples = sdk_samples(&reference);
    assert_eq!(samples.len(), 19);
    for (path, xml) in samples {
        let claimed = text_after(&xml, r#"Id="invoiceSignedData""#, "<ds:DigestValue>");
        assert_eq!(invoice_hash(&xml).unwrap().base64(), claimed, "{}", path.display());
    }
}

#[test]
fn every_check_passes_on_every_sdk_sample_signed_by_the_sdk_certificate() {
    let Some(reference) = zatca_reference_dir_or_skip("every_check_passes_on_every_sdk_sample") else { return };
    let sdk_certificate = sdk_certificate(&reference);
    for (path, xml) in sdk_samples(&reference) {
        let verification = verify_signed_document(&xml).unwrap();
        assert!(verification.all_passed(), "{}: {verification:#?}", path.display());
        assert_eq!(verification.certificate.as_ref(), Some(&sdk_certificate), "{}", path.display());
        assert!(verification.qr.is_some(), "{}: every SDK sample carries a QR code", path.display());
    }
}

#[test]
fn the_qr_of_the_simplified_sample_decodes_with_utf8_lengths() {
    let Some(reference) = zatca_reference_dir_or_skip("the_qr_of_the_simplified_sample_decodes") else { return };
    let xml = std::fs::read_to_string(reference.join("sdk/Samples/Simplified/Invoice/Simplified_Invoice.xml")).unwrap();
    let qr = QrCode::from_base64(&text_after(&xml, "<cbc:ID>QR</cbc:ID>", r#"mimeCode="text/plain">"#)).unwrap();
    assert!(qr.seller_name.starts_with("شركة توريد التكنولوجيا"));
    assert_eq!(qr.vat_number, "399999999900003");
    assert_eq!(qr.timestamp, "2022-08-17T17:41:08");
    assert_eq!((qr.total_with_vat.as_str(), qr.vat_total.as_str()), ("231.15", "30.15"));
    assert_eq!(qr.invoice_hash, invoice_hash(&xml).unwrap().base64());
    let certificate = sdk_certificate(&reference);
    assert_eq!(qr.public_key, certificate.public_key_der().unwrap());
    assert_eq!(qr.certificate_signature.as_deref(), Some(certificate.signature_der()));
}

#[test]
fn our_signed_properties_text_reproduces_the_sdk_digest() {
    let Some(reference) = zatca_reference_dir_or_skip("our_signed_properties_text_reproduces_the_sdk_digest") else { return };
    let certificate = sdk_certificate(&reference);
    for (path, xml) in sdk_samples(&reference) {
        let signing_time = text_after(&xml, "<xades:SignedSignatureProperties>", "<xades:SigningTime>");
        let pre_image = signed_properties_pre_image(&certificate, &signing_time);
        let hex: String = Sha256::digest(pre_image.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect();
        let claimed = text_after(&xml, r##"URI="#xadesSignedProperties""##, "<ds:DigestValue>");
        assert_eq!(B64.encode(hex), claimed, "{}", path.display());
    }
}

fn failed(check: &Check) -> bool {
    matches!(check, Check::Failed(_))
}

#[test]
fn breaking_one_byte_fails_the_matching_check_on_every_sdk_sample() {
    let Some(reference) = zatca_reference_dir_or_skip("breaking_one_byte_fails_the_matching_check") else { return };
    for (path, xml) in sdk_samples(&reference) {
        let name = path.display();

        let body = verify_signed_document(&break_byte(&xml, "<cbc:ProfileID>", "reporting:", 0)).unwrap();
        assert!(failed(&body.invoice_hash) && failed(&body.signature), "{name}: body byte: {body:#?}");

        let signature = verify_signed_document(&break_byte(&xml, "<ds:SignatureValue>", "<ds:SignatureValue>", 30)).unwrap();
        assert!(body_intact(&signature) && failed(&signature.signature), "{name}: signature byte: {signature:#?}");

        let digest = verify_signed_document(&break_byte(&xml, "<xades:CertDigest>", "<ds:DigestValue>", 5)).unwrap();
        assert!(body_intact(&digest) && failed(&digest.certificate_digest), "{name}: certificate digest byte: {digest:#?}");

        let serial = verify_signed_document(&break_byte(&xml, "<xades:IssuerSerial>", "<ds:X509SerialNumber>", 3)).unwrap();
        assert!(body_intact(&serial) && failed(&serial.issuer_serial), "{name}: serial byte: {serial:#?}");

        let time = verify_signed_document(&break_byte(&xml, "<xades:SignedSignatureProperties>", "<xades:SigningTime>", 18)).unwrap();
        assert!(body_intact(&time) && failed(&time.signed_properties), "{name}: signing time byte: {time:#?}");
        assert!(time.signature.passed() && time.certificate_digest.passed(), "{name}: only the signed properties changed");

        let qr = verify_signed_document(&break_byte(&xml, "<cbc:ID>QR</cbc:ID>", r#"mimeCode="text/plain">"#, 40)).unwrap();
        assert!(body_intact(&qr) && qr.qr.as_ref().is_some_and(failed), "{name}: QR byte: {qr:#?}");
        assert!(qr.signature.passed(), "{name}: the QR is outside the signed hash");
    }
}

fn body_intact(verification: &fatoora_compliance_docs::Verification) -> bool {
    verification.invoice_hash.passed()
}
