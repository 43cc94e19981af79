//! Units in a real SQLite file; keys in the in-memory SecretStore that
//! stands in for the OS keychains (the CLI canary test uses the real
//! Secret Service).

use fatoora_base::secrets::{MemorySecretStore, SecretStore};
use fatoora_base::{DataDir, Environment, Store};
use fatoora_units::{KeyChoice, UnitError, find_unit, key_name, list_units, load_key, mark_csid_issued, prepare_csr};
use fatoora_csr::{UnitKey, UnitProfile, parse_csr};

fn open() -> (tempfile::TempDir, Store, MemorySecretStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&DataDir::at(dir.path())).unwrap();
    (dir, store, MemorySecretStore::default())
}

#[test]
fn keys_are_kept_per_environment_under_names_tying_them_to_the_unit() {
    let (_dir, mut store, secrets) = open();
    let sim = prepare_csr(&mut store, &secrets, &UnitProfile::sdk_example(Environment::Simulation), KeyChoice::Generate, false).unwrap();
    assert!(sim.new_unit);
    assert_eq!(sim.key_name, format!("unit/{}/simulation/private-key", sim.unit_id));
    let prod = prepare_csr(&mut store, &secrets, &UnitProfile::sdk_example(Environment::Production), KeyChoice::Generate, false).unwrap();
    assert!(!prod.new_unit);
    assert_eq!(prod.unit_id, sim.unit_id);
    assert_ne!(prod.public_key_sha256, sim.public_key_sha256, "a simulation key is never the production key");

    let unit = find_unit(&store, &sim.unit_id).unwrap();
    assert_eq!(unit.keys.len(), 2);
    for record in &unit.keys {
        let key = load_key(&secrets, &unit.id, record.environment).unwrap();
        assert_eq!(key.public_key_fingerprint(), record.public_key_sha256);
        let csr = parse_csr(record.csr_pem.as_ref().unwrap().as_bytes()).unwrap();
        assert_eq!(csr.public_key.fingerprint, record.public_key_sha256);
        assert_eq!(csr.certificate_template(), Some(record.environment.certificate_template()));
    }
    assert_eq!(find_unit(&store, "TST-886431145-399999999900003").unwrap().id, unit.id);
    assert_eq!(list_units(&store).unwrap().len(), 1);
}

#[test]
fn an_existing_key_is_replaced_only_when_asked_and_never_once_issued() {
    let (_dir, mut store, secrets) = open();
    let p = UnitProfile::sdk_example(Environment::Simulation);
    let first = prepare_csr(&mut store, &secrets, &p, KeyChoice::Generate, false).unwrap();

    let refused = prepare_csr(&mut store, &secrets, &p, KeyChoice::Generate, false).unwrap_err();
    assert!(matches!(refused, UnitError::KeyExists { .. }), "{refused:?}");
    assert!(refused.is_bad_input());
    assert_eq!(load_key(&secrets, &first.unit_id, Environment::Simulation).unwrap().public_key_fingerprint(), first.public_key_sha256);

    // A new CSR with the same key is fine (e.g. the address was corrected).
    let mut corrected = p.clone();
    corrected.address = "RRRD2930".into();
    let reused = prepare_csr(&mut store, &secrets, &corrected, KeyChoice::Reuse, false).unwrap();
    assert_eq!(reused.public_key_sha256, first.public_key_sha256);
    assert!(!reused.replaced_key);
    assert_eq!(find_unit(&store, &first.unit_id).unwrap().profile.address, "RRRD2930");

    let replaced = prepare_csr(&mut store, &secrets, &p, KeyChoice::Generate, true).unwrap();
    assert!(replaced.replaced_key);
    assert_ne!(replaced.public_key_sha256, first.public_key_sha256);

    assert!(mark_csid_issued(&store, &replaced.unit_id, Environment::Simulation, &replaced.public_key_sha256).unwrap());
    assert!(!mark_csid_issued(&store, &replaced.unit_id, Environment::Simulation, &first.public_key_sha256).unwrap());
    let issued = prepare_csr(&mut store, &secrets, &p, KeyChoice::Generate, true).unwrap_err();
    assert!(matches!(issued, UnitError::IssuedKey { .. }), "{issued:?}");
    let imported = prepare_csr(&mut store, &secrets, &p, KeyChoice::Import(UnitKey::generate().unwrap()), true).unwrap_err();
    assert!(matches!(imported, UnitError::IssuedKey { .. }));
    assert_eq!(load_key(&secrets, &replaced.unit_id, Environment::Simulation).unwrap().public_key_fingerprint(), replaced.public_key_sha256);
    // The issued key still signs new CSRs.
    assert!(prepare_csr(&mut store, &secrets, &p, KeyChoice::Reuse, false).is_ok());
}

#[test]
fn imported_keys_are_recorded_as_imported() {
    let (_dir, mut store, secrets) = open();
    let key = UnitKey::generate().unwrap();
    let fingerprint = key.public_key_fingerprint();
    let prepared = prepare_csr(&mut store, &secrets, &UnitProfile::sdk_example(Environment::Local), KeyChoice::Import(key), false).unwrap();
    assert_eq!(prepared.public_key_sha256, fingerprint);
    let unit = find_unit(&store, &prepared.unit_id).unwrap();
    assert_eq!(serde_json::to_value(&unit.keys[0]).unwrap()["keyOrigin"], "imported");
}

#[test]
fn a_bad_profile_stores_nothing_and_reports_every_finding() {
    let (_dir, mut store, secrets) = open();
    let mut bad = UnitProfile::sdk_example(Environment::Production);
    bad.vat_number = "12".into();
    bad.serial = "x".into();
    let error = prepare_csr(&mut store, &secrets, &bad, KeyChoice::Generate, false).unwrap_err();
    assert_eq!(error.findings().len(), 2);
    assert!(list_units(&store).unwrap().is_empty());
    assert!(secrets.get(&key_name("u-000000000000", Environment::Production).unwrap()).unwrap().is_none());
}

#[test]
fn reuse_without_a_key_and_unknown_units_are_explained() {
    let (_dir, mut store, secrets) = open();
    let error = prepare_csr(&mut store, &secrets, &UnitProfile::sdk_example(Environment::Sandbox), KeyChoice::Reuse, false).unwrap_err();
    assert!(matches!(error, UnitError::NoKey { .. }));
    assert!(error.explain().ar.contains("--reuse-key"));
    assert!(matches!(find_unit(&store, "nope").unwrap_err(), UnitError::NotFound(_)));
    // A profile was saved before the key step failed: nothing typed is lost.
    assert_eq!(list_units(&store).unwrap().len(), 1);
}
