//! The size caps on the files `csr prepare` and `csr lint` read: exactly the
//! cap is read, one byte more is refused with a message naming the file kind
//! and the limit in English and Arabic, and no input near or over the cap
//! panics or quotes a key.

use fatoora_base::Localized;
use fatoora_base::input::{Cap, InputError};
use fatoora_csr::{CSR_FILE, KEY_FILE, KeyError, SDK_PROPERTIES_FILE, UnitKey, UnitProfile, lint_csr, read_csr_file, read_sdk_properties_file};
use proptest::prelude::*;

fn names_the_cap(message: &Localized, cap: Cap) -> bool {
    let limit = fatoora_base::input::human_size(cap.bytes);
    message.en.contains(cap.what.en) && message.en.contains(&limit) && message.ar.contains(cap.what.ar) && message.ar.contains(&limit)
}

fn file_of(dir: &tempfile::TempDir, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.path().join("input");
    std::fs::write(&path, bytes).unwrap();
    path
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// `extra` bytes past (or before, when negative) each cap, filled with
    /// arbitrary bytes: over the cap always the size error, under it never.
    #[test]
    fn every_reader_refuses_one_byte_over_its_cap(extra in -3i64..4, fill in any::<u8>(), marker in "[a-z]{12}") {
        let dir = tempfile::tempdir().unwrap();
        for cap in [KEY_FILE, SDK_PROPERTIES_FILE, CSR_FILE] {
            let len = (cap.bytes as i64 + extra) as usize;
            let mut bytes = marker.clone().into_bytes();
            bytes.resize(len, fill);
            let path = file_of(&dir, &bytes);
            let over = len as u64 > cap.bytes;
            match cap.what.en {
                "key file" => match UnitKey::import_file(&path) {
                    Ok(_) => prop_assert!(!over),
                    Err(error) => {
                        let message = error.explain();
                        prop_assert!(!message.en.contains(&marker) && !message.ar.contains(&marker), "a key error quotes the file");
                        prop_assert_eq!(over, matches!(error, KeyError::Input(_)), "{:?}", error);
                        if over { prop_assert!(names_the_cap(&message, cap), "{}", message.en); }
                        // The in-memory reader applies the same cap.
                        prop_assert_eq!(over, matches!(UnitKey::import(&bytes), Err(KeyError::Input(_))));
                    }
                },
                "SDK CSR config file" => {
                    match read_sdk_properties_file(&path) {
                        Err(error @ InputError::TooLarge { .. }) => { prop_assert!(over); prop_assert!(names_the_cap(&error.explain(), cap)); }
                        Err(error) => prop_assert!(false, "{error:?}"),
                        Ok(read) => { prop_assert!(!over); let _ = UnitProfile::from_sdk_properties(&read, fatoora_base::Environment::Local); }
                    }
                    let parsed = UnitProfile::from_sdk_properties(&bytes, fatoora_base::Environment::Local);
                    if over {
                        let error = parsed.unwrap_err();
                        prop_assert!(error.to_string().contains("64 KiB") && !error.explain().ar.is_empty(), "{error}");
                    }
                }
                _ => match read_csr_file(&path) {
                    Err(error @ InputError::TooLarge { .. }) => { prop_assert!(over); prop_assert!(names_the_cap(&error.explain(), cap)); }
                    Err(error) => prop_assert!(false, "{error:?}"),
                    Ok(read) => { prop_assert!(!over); let lint = lint_csr(&read, None); prop_assert!(lint.has_errors()); }
                },
            }
        }
    }
}

#[test]
fn a_device_that_never_ends_is_cut_at_the_cap() {
    // /dev/zero reports no length: the cap is enforced while reading.
    let error = UnitKey::import_file(std::path::Path::new("/dev/zero")).unwrap_err();
    assert!(matches!(&error, KeyError::Input(message) if names_the_cap(message, KEY_FILE)), "{error:?}");
    assert!(matches!(read_csr_file(std::path::Path::new("/dev/zero")), Err(InputError::TooLarge { .. })));
}

#[test]
fn a_missing_key_file_is_named_without_its_content() {
    let error = UnitKey::import_file(std::path::Path::new("/nonexistent/unit.key")).unwrap_err();
    let message = error.explain();
    assert!(message.en.contains("key file /nonexistent/unit.key") && message.ar.contains("ملف المفتاح"), "{}", message.en);
}
