//! CSV import against a real SQLite store: bad rows named by line and
//! column in both languages, duplicates, Arabic names, nothing imported from
//! a file with errors unless asked.

use fatoora_batch::import::{ImportError, check_csv, import_units, template};
use fatoora_base::secrets::MemorySecretStore;
use fatoora_base::{DataDir, Environment, Store};
use fatoora_units::{list_units, load_key};

const HEADER: &str = "organization_name,vat_number,organization_unit,common_name,serial,invoice_types,address,business_category,country\n";

fn row(name: &str, vat: &str, cn: &str, serial: &str) -> String {
    format!("{name},{vat},الفرع الرئيسي,{cn},{serial},1100,RRRD2929,Supply activities,SA\n")
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&DataDir::at(dir.path().join("app"))).unwrap();
    (dir, store)
}

#[test]
fn the_template_imports_as_is_with_its_arabic_name() {
    let (_dir, mut store) = store();
    let secrets = MemorySecretStore::default();
    let check = check_csv(template().as_bytes(), Environment::Local, &store).unwrap();
    assert_eq!(check.errors(), 0, "{:?}", check.findings);
    let report = import_units(&mut store, &secrets, &check, false).unwrap();
    assert_eq!(report.imported.len(), 1);
    let units = list_units(&store).unwrap();
    assert_eq!(units[0].profile.organization_name, "مؤسسة المثال التجارية");
    assert!(units[0].keys[0].csr_pem.as_deref().unwrap().contains("CERTIFICATE REQUEST"));
}

#[test]
fn every_bad_row_is_named_by_line_and_column_and_nothing_is_imported() {
    let (_dir, mut store) = store();
    let secrets = MemorySecretStore::default();
    let file = format!(
        "\u{feff}{HEADER}{}{}{}{}{}{}",
        row("مؤسسة الأمل", "399999999900003", "TST-1", "1-TST|2-TST|3-a1"),       // line 2: fine
        row("Bad VAT Co", "39999999990000", "TST-2", "1-TST|2-TST|3-a2"),        // line 3: VAT 14 digits
        row("مؤسسة النور", "399999999900003", "TST-3", "1-TST|2-TST|3-a1"),       // line 4: serial of line 2
        row("No Serial", "399999999900003", "TST-4", ""),                         // line 5: serial missing
        "Short Row,399999999900003,Branch\n",                                     // line 6: 3 values
        row("مؤسسة الفجر", "399999999900003", "TST-6", "1-TST|2-TST|3-a6"),       // line 7: fine
    );
    let check = check_csv(file.as_bytes(), Environment::Local, &store).unwrap();
    let errors: Vec<_> = check.findings.iter().filter(|f| f.severity == fatoora_base::values::Severity::Error).collect();
    let at = |line: u64, column: Option<&str>| errors.iter().any(|f| f.line == line && f.column == column);
    assert!(at(3, Some("vat_number")), "{errors:#?}");
    assert!(at(4, Some("serial")) && errors.iter().any(|f| f.line == 4 && f.rule == "duplicate-serial" && f.message.en.contains("line 2")));
    assert!(at(5, Some("serial")));
    assert!(at(6, None));
    assert!(!errors.iter().any(|f| f.line == 2 || f.line == 7), "{errors:#?}");
    for finding in &errors {
        assert!(finding.message.en.contains(&format!("line {}", finding.line)));
        assert!(finding.message.ar.contains(&format!("السطر {}", finding.line)) && finding.message.ar.chars().any(|c| ('\u{0600}'..='\u{06ff}').contains(&c)));
    }

    let error = import_units(&mut store, &secrets, &check, false).unwrap_err();
    assert!(matches!(error, ImportError::HasErrors { .. }) && error.explain().en.contains("--valid-rows-only"));
    assert!(list_units(&store).unwrap().is_empty(), "nothing imported from a file with errors");

    let report = import_units(&mut store, &secrets, &check, true).unwrap();
    assert_eq!(report.imported.iter().map(|u| u.line).collect::<Vec<_>>(), vec![2, 7]);
    assert_eq!(report.skipped_lines, vec![3, 4, 5, 6]);
    for unit in &report.imported {
        assert_eq!(load_key(&secrets, &unit.unit_id, Environment::Local).unwrap().public_key_fingerprint(), unit.public_key_sha256);
    }

    // Importing the same file again: every row is now a duplicate of a unit here.
    let again = check_csv(file.as_bytes(), Environment::Local, &store).unwrap();
    assert!(again.findings.iter().any(|f| f.line == 2 && f.rule == "duplicate-serial" && f.message.en.contains("on this machine")));
    assert!(again.findings.iter().any(|f| f.line == 7 && f.rule == "duplicate-common-name"));
}

#[test]
fn the_same_serial_under_another_vat_number_is_fine() {
    let (_dir, store) = store();
    let file = format!("{HEADER}{}{}", row("A", "399999999900003", "TST-1", "1-TST|2-TST|3-x"), row("B", "300000000000003", "TST-1", "1-TST|2-TST|3-x"));
    let check = check_csv(file.as_bytes(), Environment::Local, &store).unwrap();
    assert_eq!(check.errors(), 0, "{:?}", check.findings);
}

#[test]
fn unreadable_files_are_refused_whole() {
    let (_dir, store) = store();
    let windows_1256 = [HEADER.as_bytes(), &[0xe3, 0xc4, 0xd3, 0xd3, 0xc9], b",399999999900003,a,b,1-a|2-b|3-c,1100,x,y,SA\n"].concat();
    assert!(matches!(check_csv(&windows_1256, Environment::Local, &store), Err(ImportError::NotUtf8)));
    match check_csv(b"name,vat\nA,399999999900003\n", Environment::Local, &store) {
        Err(error @ ImportError::MissingColumns { .. }) => assert!(error.explain().en.contains("serial") && error.explain().ar.contains("serial")),
        other => panic!("{other:?}"),
    }
    assert!(matches!(check_csv(HEADER.as_bytes(), Environment::Local, &store), Err(ImportError::Empty)));
}
