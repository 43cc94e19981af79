//! Hostile input for the readers of files users bring to `csr prepare`:
//! imported private keys and the SDK's `.properties`. The invariants are the
//! fuzz targets' (fuzz/fuzz_targets/key_import.rs, sdk_properties.rs), run
//! here in CI: no panic, an explanation in English and Arabic, and a key
//! error never quotes the file it was given.

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use fatoora_base::{Environment, Localized};
use fatoora_csr::{UnitKey, UnitProfile, lint_profile};
use proptest::collection::vec;
use proptest::prelude::*;

fn explained(message: &Localized) -> bool {
    !message.en.trim().is_empty() && !message.ar.trim().is_empty()
}

/// A real key in the forms users import: PKCS#8 PEM, its DER, and the SDK's
/// headerless base64.
fn sample_key() -> &'static (String, Vec<u8>) {
    static KEY: OnceLock<(String, Vec<u8>)> = OnceLock::new();
    KEY.get_or_init(|| {
        let pem = UnitKey::generate().unwrap().to_pkcs8_pem().to_string();
        let body: String = pem.lines().filter(|line| !line.starts_with("-----")).collect();
        (pem, STANDARD.decode(body).unwrap())
    })
}

fn check_import(input: &[u8]) -> Result<(), TestCaseError> {
    match UnitKey::import(input) {
        Ok(key) => {
            let again = UnitKey::from_pkcs8_pem(&key.to_pkcs8_pem()).expect("own PKCS#8 re-reads");
            prop_assert_eq!(again.public_key_der(), key.public_key_der());
        }
        Err(error) => {
            let message = error.explain();
            prop_assert!(explained(&message), "{error:?} is not explained");
            if let Ok(text) = std::str::from_utf8(input) {
                let text = text.trim();
                if text.chars().count() >= 16 {
                    for shown in [error.to_string(), message.en, message.ar] {
                        prop_assert!(!shown.contains(text), "the error quotes the key file: {shown}");
                    }
                }
            }
        }
    }
    Ok(())
}

/// A `.properties` file that is not UTF-8 (Notepad's "ANSI", Windows-1256 on
/// an Arabic Windows) must be refused with the reason, not crash.
/// java-properties 2.0.0 panics inside encoding_rs ("Must not use a decoder
/// that has finished") on such bytes; `from_sdk_properties` checks UTF-8
/// itself before handing the bytes over.
#[test]
fn a_properties_file_that_is_not_utf8_is_refused_with_the_reason() {
    let windows_1256 = b"csr.organization.name=\xd4\xd1\xc8\xc9 \xc7\xe1\xc3\xe3\xe1\n".to_vec();
    for bytes in [windows_1256, vec![142, 160], vec![0xff]] {
        let outcome = std::panic::catch_unwind(|| UnitProfile::from_sdk_properties(&bytes, Environment::Production));
        let error = outcome.expect("no panic").expect_err("not UTF-8");
        assert!(explained(&error.explain()));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_bytes_as_sdk_properties(bytes in vec(any::<u8>(), 0..4096)) {
        match UnitProfile::from_sdk_properties(&bytes, Environment::Production) {
            Ok(profile) => {
                for finding in lint_profile(&profile) {
                    prop_assert!(explained(&finding.message), "{finding:?}");
                }
            }
            Err(error) => prop_assert!(explained(&error.explain()), "{error:?}"),
        }
    }
}

#[test]
fn the_sample_key_imports_in_every_form() {
    let (pem, der) = sample_key();
    let expected = UnitKey::import(pem.as_bytes()).unwrap().public_key_der();
    assert_eq!(UnitKey::import(der).unwrap().public_key_der(), expected);
    assert_eq!(UnitKey::import(STANDARD.encode(der).as_bytes()).unwrap().public_key_der(), expected);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_bytes_as_a_key_file(bytes in vec(any::<u8>(), 0..4096)) {
        check_import(&bytes)?;
    }

    #[test]
    fn a_damaged_key_in_each_form(position in any::<usize>(), byte in any::<u8>(), cut in any::<usize>(), form in 0usize..3) {
        let (pem, der) = sample_key();
        let original = match form {
            0 => pem.as_bytes().to_vec(),
            1 => der.clone(),
            _ => STANDARD.encode(der).into_bytes(),
        };
        let mut damaged = original.clone();
        let at = position % damaged.len();
        damaged[at] = byte;
        check_import(&damaged)?;
        check_import(&original[..cut % original.len()])?;
    }

    #[test]
    fn text_inside_pem_armour(label in "[A-Z ]{0,24}", body in "[A-Za-z0-9+/=\n]{0,600}", before in "[A-Z -]{0,20}") {
        check_import(format!("{before}-----BEGIN {label}-----\n{body}\n-----END {label}-----\n").as_bytes())?;
    }

    #[test]
    fn any_text_as_sdk_properties(text in r"\PC{0,2000}") {
        match UnitProfile::from_sdk_properties(text.as_bytes(), Environment::Production) {
            Ok(profile) => {
                for finding in lint_profile(&profile) {
                    prop_assert!(explained(&finding.message), "{finding:?}");
                }
                let _ = profile.preview();
            }
            Err(error) => prop_assert!(explained(&error.explain()), "{error:?}"),
        }
    }

    #[test]
    fn properties_shaped_lines(lines in vec(r"(csr\.[a-z.]{0,24}|[!#]?[a-z]{0,8})[ \t]*[=: ]?\PC{0,60}\\?|\\u[0-9a-fA-F]{0,4}", 0..24)) {
        let text = lines.join("\n");
        match UnitProfile::from_sdk_properties(text.as_bytes(), Environment::Simulation) {
            Ok(profile) => {
                for finding in lint_profile(&profile) {
                    prop_assert!(explained(&finding.message), "{finding:?}");
                }
            }
            Err(error) => prop_assert!(explained(&error.explain()), "{error:?}"),
        }
    }
}
