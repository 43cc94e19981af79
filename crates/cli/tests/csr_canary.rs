//! Canary: after `csr new`, `units list/show` and `csr lint`, the unit's
//! private key appears nowhere but the secret store: not in the SQLite file
//! (nor its WAL), not in the logs, not in anything the CLI printed.
//! Runs against the encrypted-file store always, and against the real OS
//! keychain (Secret Service) when a D-Bus session is there, e.g. under
//! `dbus-run-session` with gnome-keyring unlocked (see the report/README).

// Linux-only: the imported keys are made by Debian's openssl command, which
// the Windows run under Wine cannot start.
#![cfg(target_os = "linux")]

use std::path::Path;
use std::process::{Command, Output};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use fatoora_base::Environment;
use fatoora_base::secrets::{EncryptedFileStore, KeyringStore, Passphrase, SecretStore};

const BIN: &str = env!("CARGO_BIN_EXE_fatoora-onboard");
const PASSPHRASE: &str = "canary-test-passphrase-1234";

fn cli(data_dir: &Path, backend: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("FATOORA_ONBOARD_SECRET_STORE", backend)
        .env("FATOORA_ONBOARD_PASSPHRASE", PASSPHRASE)
        .env("FATOORA_ONBOARD_LOG", "trace")
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// Every way the key could leak: the PEM bodies, the DER in base64, the raw
/// scalar in hex and base64.
fn forms_of(pkcs8_pem: &str) -> Vec<String> {
    let body: String = pkcs8_pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = STANDARD.decode(&body).unwrap();
    let secret = <k256::SecretKey as k256::pkcs8::DecodePrivateKey>::from_pkcs8_der(&der).unwrap();
    let scalar = secret.to_bytes();
    let sec1 = secret.to_sec1_der().unwrap();
    let hex: String = scalar.iter().map(|b| format!("{b:02x}")).collect();
    vec![body[..40].to_owned(), body[body.len() - 40..].to_owned(), STANDARD.encode(&sec1[..40]), hex.clone(), hex.to_uppercase(), STANDARD.encode(scalar)]
}

fn everything_written(data_dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![data_dir.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n != "secrets.enc") {
                files.push((path.display().to_string(), std::fs::read(&path).unwrap()));
            }
        }
    }
    files
}

fn assert_absent(forms: &[String], outputs: &[String], files: &[(String, Vec<u8>)]) {
    for form in forms {
        for output in outputs {
            assert!(!output.contains(form.as_str()), "key material in CLI output");
        }
        for (path, bytes) in files {
            assert!(!bytes.windows(form.len()).any(|w| w == form.as_bytes()), "key material in {path}");
        }
    }
}

fn exercise(data_dir: &Path, backend: &str, imported_key: &Path) -> (Vec<String>, String) {
    let new = cli(data_dir, backend, &[
        "csr", "new", "--env", "simulation", "--json",
        "--vat", "399999999900003", "--common-name", "TST-canary-1", "--org", "Maximum Speed Tech Supply LTD",
        "--unit", "Riyadh Branch", "--serial", "1-TST|2-TST|3-canary", "--invoice-types", "1100",
        "--address", "RRRD2929", "--category", "Supply activities",
    ]);
    assert!(new.status.success(), "{}", text(&new));
    let json: serde_json::Value = serde_json::from_slice(&new.stdout).unwrap();
    let unit_id = json["unitId"].as_str().unwrap().to_owned();
    let imported = cli(data_dir, backend, &[
        "csr", "new", "--env", "local", "--import-key", imported_key.to_str().unwrap(),
        "--vat", "399999999900003", "--common-name", "TST-canary-1", "--org", "Maximum Speed Tech Supply LTD",
        "--unit", "Riyadh Branch", "--serial", "1-TST|2-TST|3-canary", "--invoice-types", "1100",
        "--address", "RRRD2929", "--category", "Supply activities", "--format", "base64",
    ]);
    assert!(imported.status.success(), "{}", text(&imported));
    let refused = cli(data_dir, backend, &["csr", "new", "--env", "local", "--import-key", imported_key.to_str().unwrap(),
        "--vat", "399999999900003", "--common-name", "TST-canary-1", "--org", "O", "--unit", "U", "--serial", "1-a|2-b|3-c",
        "--invoice-types", "1100", "--address", "A", "--category", "C"]);
    assert_eq!(refused.status.code(), Some(0), "same key imported again is a reuse: {}", text(&refused));
    let list = cli(data_dir, backend, &["units", "list"]);
    let show = cli(data_dir, backend, &["units", "show", &unit_id]);
    let show_json = cli(data_dir, backend, &["units", "show", &unit_id, "--json"]);
    let lint_key = cli(data_dir, backend, &["csr", "lint", imported_key.to_str().unwrap()]);
    assert_eq!(lint_key.status.code(), Some(2), "a key handed to lint is refused: {}", text(&lint_key));
    let outputs = [&new, &imported, &refused, &list, &show, &show_json, &lint_key].iter().map(|o| text(o)).collect();
    (outputs, unit_id)
}

fn openssl_key(dir: &Path) -> (std::path::PathBuf, String) {
    let path = dir.join("imported.pem");
    let out = Command::new("openssl")
        .args(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp256k1", "-out"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let pem = String::from_utf8(std::fs::read(&path).unwrap()).unwrap();
    (path, pem)
}

#[test]
fn private_keys_stay_in_the_encrypted_file_store() {
    let tmp = tempfile::tempdir().unwrap();
    let data_dir = tmp.path().join("data");
    let (key_path, key_pem) = openssl_key(tmp.path());
    let (outputs, unit_id) = exercise(&data_dir, "file", &key_path);

    let store = EncryptedFileStore::open(data_dir.join("secrets.enc"), &Passphrase::new(PASSPHRASE.into())).unwrap();
    let generated = store
        .get(&fatoora_units::key_name(&unit_id, Environment::Simulation).unwrap())
        .unwrap()
        .expect("the generated key is in the store");
    let generated = String::from_utf8(generated.expose().clone()).unwrap();

    let files = everything_written(&data_dir);
    assert!(files.iter().any(|(p, _)| p.ends_with(".sqlite3")), "the database was written");
    assert!(files.iter().any(|(p, _)| p.contains("logs")), "a log was written");
    let logs: String = files.iter().filter(|(p, _)| p.contains("logs")).map(|(_, b)| String::from_utf8_lossy(b).into_owned()).collect();
    assert!(logs.contains("CSR prepared"), "the log has the CSR events: {logs}");
    assert_absent(&forms_of(&generated), &outputs, &files);
    assert_absent(&forms_of(&key_pem), &outputs, &files);
}

#[test]
fn private_keys_stay_in_the_os_keychain() {
    if let Some(reason) = fatoora_base::skip::keychain_missing(&KeyringStore::default()) {
        fatoora_base::skip::skip(reason);
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data_dir = tmp.path().join("data");
    let (key_path, key_pem) = openssl_key(tmp.path());
    let (outputs, unit_id) = exercise(&data_dir, "keychain", &key_path);
    let keychain = KeyringStore::default();
    let mut forms = forms_of(&key_pem);
    for environment in [Environment::Simulation, Environment::Local] {
        let name = fatoora_units::key_name(&unit_id, environment).unwrap();
        let secret = keychain.get(&name).unwrap().expect("key in the keychain");
        forms.extend(forms_of(&String::from_utf8(secret.expose().clone()).unwrap()));
        keychain.delete(&name).unwrap();
    }
    assert_absent(&forms, &outputs, &everything_written(&data_dir));
}
