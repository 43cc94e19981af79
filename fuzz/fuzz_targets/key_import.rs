//! Imported private keys: `csr prepare --import-key FILE` (fatoora-csr) and
//! `compliance-docs --key FILE` (fatoora-compliance-docs). Errors explain
//! themselves and never quote the key material they were given.
#![no_main]

use fatoora_fuzz::{assert_explained, assert_not_echoed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match fatoora_csr::UnitKey::import(data) {
        Ok(key) => {
            // A key that imports must survive the round trip into the
            // keychain's form and back.
            let again = fatoora_csr::UnitKey::from_pkcs8_pem(&key.to_pkcs8_pem()).expect("own PKCS#8 re-reads");
            assert_eq!(again.public_key_der(), key.public_key_der());
        }
        Err(error) => {
            let message = error.explain();
            assert_explained(&message, "UnitKey::import");
            assert_not_echoed(data, &[&error.to_string(), &message.en, &message.ar]);
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(error) = fatoora_compliance_docs::credentials::signing_key_from_text(text) {
            let message = error.message();
            assert_explained(&message, "signing_key_from_text");
            assert_not_echoed(data, &[&error.to_string(), &message.en, &message.ar]);
        }
    }
});
