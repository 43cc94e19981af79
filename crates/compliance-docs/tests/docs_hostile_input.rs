//! Hostile input for what `compliance-docs` reads from files users give it:
//! the private key (`--key`), the CSID certificate (`--cert`, or a
//! `binarySecurityToken` decoded once) and the SDK config. The invariants are
//! the fuzz targets' (fuzz/fuzz_targets/key_import.rs, token_certificate.rs,
//! sdk_properties.rs), run here in CI: no panic, an explanation in English and
//! Arabic, and a key error never quotes the key file.

use std::sync::OnceLock;

use fatoora_compliance_docs::{DocsError, SellerProfile, SigningCertificate, signing_key_from_text};
use fatoora_base::reference::zatca_reference_dir_or_skip;
use proptest::collection::vec;
use proptest::prelude::*;

fn explained(error: &DocsError) -> bool {
    let message = error.message();
    !message.en.trim().is_empty() && !message.ar.trim().is_empty()
}

/// The SDK's sample certificate as PEM text, when ZATCA's files are present.
fn sample_certificate() -> Option<&'static String> {
    static CERT: OnceLock<Option<String>> = OnceLock::new();
    CERT.get_or_init(|| {
        let reference = zatca_reference_dir_or_skip("docs_hostile_input: damaged certificates")?;
        std::fs::read_to_string(reference.join("sdk/Certificates/cert.pem")).ok()
    })
    .as_ref()
}

fn check_certificate(result: Result<SigningCertificate, DocsError>) -> Result<(), TestCaseError> {
    match result {
        Ok(certificate) => {
            // Everything XAdES and the QR code derive from it must hold up.
            let _ = (certificate.digest(), certificate.issuer_name(), certificate.serial_decimal());
            let _ = (certificate.public_key_der(), certificate.verifying_key(), certificate.signature_der());
        }
        Err(error) => prop_assert!(explained(&error), "{error:?}"),
    }
    Ok(())
}

fn check_key(text: &str) -> Result<(), TestCaseError> {
    if let Err(error) = signing_key_from_text(text) {
        prop_assert!(explained(&error), "{error:?}");
        let quoted = text.trim();
        if quoted.chars().count() >= 16 {
            let message = error.message();
            for shown in [error.to_string(), message.en, message.ar] {
                prop_assert!(!shown.contains(quoted), "the error quotes the key file");
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_text_as_a_key(text in r"\PC{0,600}|-----BEGIN (EC )?PRIVATE KEY-----\n[A-Za-z0-9+/=\n]{0,400}\n-----END (EC )?PRIVATE KEY-----") {
        check_key(&text)?;
    }

    #[test]
    fn any_text_or_bytes_as_a_certificate(text in r"\PC{0,600}|-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]{0,800}", bytes in vec(any::<u8>(), 0..2048)) {
        check_certificate(SigningCertificate::from_text(&text))?;
        check_certificate(SigningCertificate::from_der(&bytes))?;
    }

    #[test]
    fn a_damaged_sample_certificate(position in any::<usize>(), byte in any::<u8>(), cut in any::<usize>()) {
        let Some(pem) = sample_certificate() else { return Ok(()) };
        let body: String = pem.lines().filter(|line| !line.starts_with("-----")).collect();
        let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, body).unwrap();
        let mut damaged = der.clone();
        let at = position % damaged.len();
        damaged[at] = byte;
        check_certificate(SigningCertificate::from_der(&damaged))?;
        check_certificate(SigningCertificate::from_der(&der[..cut % der.len()]))?;
        let mut text = pem.clone().into_bytes();
        let at = position % text.len();
        text[at] = byte & 0x7f;
        check_certificate(SigningCertificate::from_text(&String::from_utf8_lossy(&text)))?;
    }

    #[test]
    fn any_text_as_the_sdk_config(lines in vec(r"(csr\.organization\.(name|identifier)|[a-z.]{0,20})[ \t]*=?\PC{0,60}", 0..16)) {
        if let Err(error) = SellerProfile::from_sdk_config(&lines.join("\n")) {
            prop_assert!(explained(&error), "{error:?}");
        }
    }
}
