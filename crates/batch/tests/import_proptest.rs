//! The unit CSV import under hostile input, the invariants of the
//! `csv_import` fuzz target in CI: no panic; every refusal and every finding
//! explained in English and Arabic, a finding naming its line (and column
//! where it has one); a file over the cap refused, naming the limit.

use fatoora_batch::import::{ImportError, UNITS_CSV, check_csv, read_units_csv};
use fatoora_base::input::{InputError, human_size};
use fatoora_base::{DataDir, Environment, Store};
use proptest::prelude::*;

const HEADER: &str = "organization_name,vat_number,organization_unit,common_name,serial,invoice_types,address,business_category,country\n";

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&DataDir::at(dir.path().join("app"))).unwrap();
    (dir, store)
}

fn holds(bytes: &[u8], store: &Store) -> Result<(), TestCaseError> {
    match check_csv(bytes, Environment::Local, store) {
        Ok(check) => {
            for finding in &check.findings {
                prop_assert!(!finding.rule.is_empty());
                prop_assert!(finding.message.en.contains(&format!("line {}", finding.line)), "{}", finding.message.en);
                prop_assert!(finding.message.ar.contains(&finding.line.to_string()), "{}", finding.message.ar);
                if let Some(column) = finding.column {
                    prop_assert!(finding.message.en.contains(column) && finding.message.ar.contains(column));
                }
            }
            prop_assert!(check.rows.iter().all(|row| row.line >= 2), "a data row on the header line");
        }
        Err(error) => {
            let message = error.explain();
            prop_assert!(!message.en.trim().is_empty() && !message.ar.trim().is_empty(), "{error:?}");
        }
    }
    Ok(())
}

/// A cell: template-like values, separators, quotes, Arabic, control characters.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("399999999900003".to_owned()),
        Just("1-TST|2-TST|3-ed22f1d8-e6a2-1118-9b58-d9a8f11e445f".to_owned()),
        Just("1100".to_owned()),
        Just("مؤسسة المثال التجارية".to_owned()),
        Just("\"quoted, with comma\"".to_owned()),
        Just("\"unterminated".to_owned()),
        "[ -~]{0,24}",
        "\\PC{0,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let (_dir, store) = store();
        holds(&bytes, &store)?;
    }

    #[test]
    fn rows_of_hostile_cells_are_each_explained(rows in proptest::collection::vec(proptest::collection::vec(cell(), 0..12), 0..6)) {
        let (_dir, store) = store();
        let mut file = HEADER.to_owned();
        for row in rows {
            file.push_str(&row.join(","));
            file.push('\n');
        }
        holds(file.as_bytes(), &store)?;
    }
}

#[test]
fn a_file_over_the_cap_is_refused_naming_the_limit() {
    let (dir, store) = store();
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.resize(UNITS_CSV.bytes as usize + 1, b'a');
    let limit = human_size(UNITS_CSV.bytes);
    let error = check_csv(&bytes, Environment::Local, &store).unwrap_err();
    let path = dir.path().join("units.csv");
    std::fs::write(&path, &bytes).unwrap();
    for error in [error, read_units_csv(&path).unwrap_err()] {
        assert!(matches!(error, ImportError::Input(InputError::TooLarge { .. })), "{error:?}");
        assert!(error.is_bad_input());
        let message = error.explain();
        assert!(message.en.contains("unit CSV file") && message.en.contains(&limit), "{}", message.en);
        assert!(message.ar.contains("ملف الوحدات") && message.ar.contains(&limit), "{}", message.ar);
    }
    bytes.truncate(UNITS_CSV.bytes as usize);
    std::fs::write(&path, &bytes).unwrap();
    assert!(!matches!(check_csv(&read_units_csv(&path).unwrap(), Environment::Local, &store), Err(ImportError::Input(_))));
}
