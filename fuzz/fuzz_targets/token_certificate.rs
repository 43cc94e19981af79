//! Certificates that arrive from outside: the gateway's `binarySecurityToken`
//! (base64 of base64 DER) and the certificate files `compliance-docs --cert`
//! reads.
#![no_main]

use fatoora_compliance_docs::credentials::SigningCertificate;
use fatoora_fuzz::assert_explained;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(pem) = fatoora_onboarding::client::certificate_pem_from_token(text) {
            let _ = fatoora_onboarding::flow::not_after(&pem);
        }
        let _ = fatoora_onboarding::flow::not_after(text);
        exercise(SigningCertificate::from_text(text));
    }
    exercise(SigningCertificate::from_der(data));
});

fn exercise(certificate: fatoora_compliance_docs::error::Result<SigningCertificate>) {
    match certificate {
        Ok(certificate) => {
            let _ = (certificate.digest(), certificate.issuer_name(), certificate.serial_decimal());
            let _ = (certificate.public_key_der(), certificate.verifying_key(), certificate.signature_der());
        }
        Err(error) => assert_explained(&error.message(), "SigningCertificate"),
    }
}
