//! Backup → wipe → restore → the units onboard and renew against the
//! simulator with the same keys; wrong passphrase and tampering refused with
//! nothing overwritten; no secret in the backup in the clear; export checked
//! with openssl.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::Utc;
use fatoora_base::secrets::{MemorySecretStore, Passphrase, SecretStore};
use fatoora_base::i18n::Language;
use fatoora_base::{DataDir, Environment, Localized, Store};
use fatoora_csr::UnitProfile;
use fatoora_units::{KeyChoice, load_key, prepare_csr};
use fatoora_custody::{CustodyError, backup, restore, secret_names};
#[cfg(target_os = "linux")]
use fatoora_custody::{KeyProtection, export_unit};
use fatoora_onboarding::client::{ClientOptions, FatooraClient, Target};
use fatoora_onboarding::flow::{Onboarding, Request, Unit};
use fatoora_onboarding::preflight::{OtpAnswers, Overrides, Reachability};
use fatoora_simulator::{OtpPurpose, RunningSimulator, Simulator, SimulatorConfig};

/// The VAT number of [`UnitProfile::sdk_example`], which the units here start from.
const VAT: &str = fatoora_csr::SANDBOX_VAT_NUMBER;
const PASSPHRASE: &str = "correct horse battery staple";

fn profile(name: &str) -> UnitProfile {
    UnitProfile {
        organization_name: "مؤسسة السرعة القصوى".into(),
        common_name: format!("TST-886431145-{name}"),
        serial: format!("1-TST|2-TST|3-{name}"),
        ..UnitProfile::sdk_example(Environment::Local)
    }
}

fn client(sim: &RunningSimulator) -> FatooraClient {
    let options = ClientOptions { connect_timeout: Duration::from_secs(2), total_timeout: Duration::from_secs(5), retry_pause: Duration::from_millis(10), ..ClientOptions::default() };
    FatooraClient::new(Target::Local { base_url: sim.base_url(Environment::Local), ca_pem: sim.ca_cert_pem().to_owned() }, options).unwrap()
}

fn request(otp: &str) -> Request<'_> {
    Request {
        otp_text: otp,
        answers: OtpAnswers { generated_at: Some(Utc::now() - chrono::Duration::minutes(2)), portal: Some(Environment::Local) },
        overrides: Overrides::default(),
        reachability: Some(Reachability { ready: true, summary: Localized::new("up", "up") }),
    }
}

fn certificate_public_key(pem: &str) -> Vec<u8> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).unwrap();
    pem.parse_x509().unwrap().public_key().raw.to_vec()
}

struct Machine {
    data: DataDir,
    secrets: MemorySecretStore,
}

/// A machine with unit A prepared (key and CSR, not onboarded) and unit B
/// onboarded; returns their ids.
async fn first_machine(dir: &std::path::Path, sim: &RunningSimulator, client: &FatooraClient) -> (Machine, String, String) {
    let machine = Machine { data: DataDir::at(dir.join("first")), secrets: MemorySecretStore::default() };
    let mut store = Store::open(&machine.data).unwrap();
    let a = prepare_csr(&mut store, &machine.secrets, &profile("a"), KeyChoice::Generate, false).unwrap().unit_id;
    let b = prepare_csr(&mut store, &machine.secrets, &profile("b"), KeyChoice::Generate, false).unwrap().unit_id;
    let otp = sim.admin().mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();
    Onboarding::new(&store, &machine.secrets, client).unwrap().onboard(&Unit { id: b.clone(), profile: profile("b") }, &request(&otp)).await.unwrap();
    (machine, a, b)
}

#[tokio::test]
async fn backup_wipe_restore_then_onboard_and_renew_with_the_same_keys() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Simulator::start(SimulatorConfig::new(dir.path().join("sim"))).await.unwrap();
    let client = client(&sim);
    let (first, a, b) = first_machine(dir.path(), &sim, &client).await;
    let key_a = load_key(&first.secrets, &a, Environment::Local).unwrap().public_key_der();
    let backup_file = dir.path().join("clients.fobak");
    {
        let store = Store::open(&first.data).unwrap();
        store.set_language(Language::Ar).unwrap();
        let summary = backup(&store, &first.secrets, &Passphrase::new(PASSPHRASE.into()), &backup_file).unwrap();
        assert_eq!(summary.units, 2);
        assert!(summary.missing_secrets.is_empty(), "{:?}", summary.missing_secrets);
    }
    // The laptop dies: data folder and keychain gone.
    std::fs::remove_dir_all(first.data.root()).unwrap();
    drop(first);

    let second = Machine { data: DataDir::at(dir.path().join("second")), secrets: MemorySecretStore::default() };
    // The new laptop's user reads English: the restore leaves that choice.
    Store::open(&second.data).unwrap().set_language(Language::En).unwrap();
    let restored = restore(&backup_file, &Passphrase::new(PASSPHRASE.into()), &second.data, &second.secrets, false).unwrap();
    assert_eq!(restored.units, 2);
    let store = Store::open(&second.data).unwrap();
    for name in secret_names(&store).unwrap() {
        assert!(second.secrets.get(&name).unwrap().is_some(), "{name} not restored");
    }
    assert_eq!(load_key(&second.secrets, &a, Environment::Local).unwrap().public_key_der(), key_a);
    assert_eq!(store.language().unwrap(), Language::En, "this computer's language, not the backup's");

    // A, prepared before the backup, onboards with the key it had.
    let flow = Onboarding::new(&store, &second.secrets, &client).unwrap();
    let otp = sim.admin().mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();
    let issued = flow.onboard(&Unit { id: a.clone(), profile: profile("a") }, &request(&otp)).await.unwrap_or_else(|e| panic!("{e}: {:?}", e.explain()));
    assert_eq!(certificate_public_key(&issued.certificate_pem), key_a, "A's certificate is for the key it had before the backup");

    // B, onboarded before the backup, renews with its restored CSID secret.
    let otp = sim.admin().mint_otp(Environment::Local, VAT, OtpPurpose::Renew).unwrap();
    flow.renew(&Unit { id: b.clone(), profile: profile("b") }, &request(&otp)).await.unwrap_or_else(|e| panic!("{e}: {:?}", e.explain()));
}

fn database_bytes(data: &DataDir) -> Vec<u8> {
    let store = Store::open(data).unwrap();
    store.connection().execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
    drop(store);
    std::fs::read(data.database()).unwrap()
}

#[tokio::test]
async fn wrong_passphrase_and_tampered_files_are_refused_and_nothing_is_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Simulator::start(SimulatorConfig::new(dir.path().join("sim"))).await.unwrap();
    let client = client(&sim);
    let (first, _, _) = first_machine(dir.path(), &sim, &client).await;
    let backup_file = dir.path().join("clients.fobak");
    backup(&Store::open(&first.data).unwrap(), &first.secrets, &Passphrase::new(PASSPHRASE.into()), &backup_file).unwrap();

    // The target already has a unit of its own and a secret.
    let target = Machine { data: DataDir::at(dir.path().join("target")), secrets: MemorySecretStore::default() };
    let other = prepare_csr(&mut Store::open(&target.data).unwrap(), &target.secrets, &profile("other"), KeyChoice::Generate, false).unwrap();
    let before = database_bytes(&target.data);
    let key_before = load_key(&target.secrets, &other.unit_id, Environment::Local).unwrap().public_key_der();

    let original = std::fs::read(&backup_file).unwrap();
    let mut tampered_ciphertext = original.clone();
    let at = original.windows(14).position(|w| w == b"\"ciphertext\": ").unwrap() + 40;
    tampered_ciphertext[at] = if original[at] == b'A' { b'B' } else { b'A' };
    let tampered_header = String::from_utf8(original.clone()).unwrap().replace("\"iterations\": 3", "\"iterations\": 2").into_bytes();
    assert_ne!(tampered_header, original);
    let cases: [(&str, &[u8], &str); 3] = [("wrong passphrase", &original, "correct horse battery stapler"), ("ciphertext", &tampered_ciphertext, PASSPHRASE), ("header", &tampered_header, PASSPHRASE)];
    for (what, bytes, passphrase) in cases {
        let file = dir.path().join(format!("{what}.fobak"));
        std::fs::write(&file, bytes).unwrap();
        let error = restore(&file, &Passphrase::new(passphrase.into()), &target.data, &target.secrets, true).unwrap_err();
        assert!(matches!(error, CustodyError::WrongPassphrase), "{what}: {error:?}");
        assert!(error.explain().en.contains("Nothing was restored") && !error.explain().ar.is_empty());
        assert_eq!(database_bytes(&target.data), before, "{what}: the target database changed");
        assert_eq!(load_key(&target.secrets, &other.unit_id, Environment::Local).unwrap().public_key_der(), key_before);
    }

    // The right passphrase without --replace does not overwrite a folder with units.
    let error = restore(&backup_file, &Passphrase::new(PASSPHRASE.into()), &target.data, &target.secrets, false).unwrap_err();
    assert!(matches!(error, CustodyError::TargetNotEmpty { .. }), "{error:?}");
    assert_eq!(database_bytes(&target.data), before);
}

#[tokio::test]
async fn no_secret_is_in_the_backup_in_the_clear() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Simulator::start(SimulatorConfig::new(dir.path().join("sim"))).await.unwrap();
    let client = client(&sim);
    let (first, _, _) = first_machine(dir.path(), &sim, &client).await;
    let store = Store::open(&first.data).unwrap();
    let backup_file = dir.path().join("clients.fobak");
    backup(&store, &first.secrets, &Passphrase::new(PASSPHRASE.into()), &backup_file).unwrap();
    let file = std::fs::read_to_string(&backup_file).unwrap();
    let mut canaries = 0;
    for name in secret_names(&store).unwrap() {
        let Some(secret) = first.secrets.get(&name).unwrap() else { continue };
        let text = String::from_utf8_lossy(secret.expose()).into_owned();
        let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
        for canary in [body.clone(), BASE64.encode(secret.expose())] {
            if canary.len() >= 8 {
                // By characters: a binary secret's lossy text has multi-byte
                // replacement characters, and a byte cut could split one.
                let prefix: String = canary.chars().take(40).collect();
                assert!(!file.contains(&prefix), "{name} is in the backup in the clear");
                canaries += 1;
            }
        }
    }
    assert!(canaries >= 6, "keys, CCSID and PCSID secrets checked");
    // Nor the units' names: the database is inside the ciphertext too.
    assert!(!file.contains("السرعة") && !file.contains("TST-886431145"));
}

// Linux-only: Debian's openssl command, which the Windows run under Wine cannot start.
#[cfg(target_os = "linux")]
fn openssl(args: &[&str]) -> std::process::Output {
    std::process::Command::new("openssl").args(args).output().expect("openssl is installed")
}

// Linux-only: Debian's openssl command, which the Windows run under Wine cannot start.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn export_writes_what_invoicing_software_and_openssl_read() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Simulator::start(SimulatorConfig::new(dir.path().join("sim"))).await.unwrap();
    let client = client(&sim);
    let (first, a, b) = first_machine(dir.path(), &sim, &client).await;
    let store = Store::open(&first.data).unwrap();
    let key_b = load_key(&first.secrets, &b, Environment::Local).unwrap();

    let error = export_unit(&store, &first.secrets, &a, Environment::Local, &dir.path().join("a"), KeyProtection::Plain).unwrap_err();
    assert!(matches!(error, CustodyError::UnitNotFound(_) | CustodyError::NotIssued { .. }), "{error:?}");

    let passphrase = Passphrase::new("export passphrase 2026".into());
    let out = dir.path().join("b-encrypted");
    let manifest = export_unit(&store, &first.secrets, &b, Environment::Local, &out, KeyProtection::Encrypted(&passphrase)).unwrap();
    assert!(manifest.key_encrypted && manifest.public_key_sha256 == key_b.public_key_fingerprint());
    let key_file = std::fs::read_to_string(out.join("private-key.pem")).unwrap();
    assert!(key_file.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    assert!(!out.join("ec-secp256k1-priv-key.pem").exists(), "no plain key without insisting");
    let key_path = out.join("private-key.pem");
    let decrypted = openssl(&["pkey", "-in", key_path.to_str().unwrap(), "-passin", "pass:export passphrase 2026", "-pubout", "-outform", "DER"]);
    assert!(decrypted.status.success(), "{}", String::from_utf8_lossy(&decrypted.stderr));
    assert_eq!(decrypted.stdout, key_b.public_key_der(), "openssl decrypts the key to the unit's key");
    assert!(!openssl(&["pkey", "-in", key_path.to_str().unwrap(), "-passin", "pass:wrong"]).status.success());
    let certificate = out.join("certificate.pem");
    let x509 = openssl(&["x509", "-in", certificate.to_str().unwrap(), "-noout", "-pubkey"]);
    assert!(x509.status.success());
    let manifest_json = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    let secret = std::fs::read_to_string(out.join("secret.txt")).unwrap();
    assert!(!manifest_json.contains(&secret) && manifest_json.contains("sign invoices"));

    let plain = dir.path().join("b-plain");
    let manifest = export_unit(&store, &first.secrets, &b, Environment::Local, &plain, KeyProtection::Plain).unwrap();
    assert!(!manifest.key_encrypted);
    // SDK layout: headerless base64 of the certificate DER and the SEC1 key.
    let cert_der = BASE64.decode(std::fs::read_to_string(plain.join("cert.pem")).unwrap().trim()).unwrap();
    let cert_pem = std::fs::read_to_string(plain.join("certificate.pem")).unwrap();
    assert_eq!(certificate_public_key(&cert_pem), key_b.public_key_der());
    let (_, parsed) = x509_parser::parse_x509_certificate(&cert_der).unwrap();
    assert_eq!(parsed.public_key().raw, key_b.public_key_der().as_slice());
    let sdk_key = std::fs::read(plain.join("ec-secp256k1-priv-key.pem")).unwrap();
    assert_eq!(fatoora_csr::UnitKey::import(&sdk_key).unwrap().public_key_fingerprint(), key_b.public_key_fingerprint());
    // Never over an existing folder.
    assert!(export_unit(&store, &first.secrets, &b, Environment::Local, &plain, KeyProtection::Plain).is_err());
}

/// The restore puts keys into the real OS keychain (Secret Service) when
/// one is there; run under scripts/with-secret-service.sh.
#[test]
fn restore_puts_the_keys_into_the_os_keychain() {
    use fatoora_base::secrets::KeyringStore;
    let keychain = KeyringStore::new(format!("sa.fatoora-onboard.custody-test-{}", std::process::id()));
    if let Some(reason) = fatoora_base::skip::keychain_missing(&keychain) {
        fatoora_base::skip::skip(reason);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let first = Machine { data: DataDir::at(dir.path().join("first")), secrets: MemorySecretStore::default() };
    let unit = prepare_csr(&mut Store::open(&first.data).unwrap(), &first.secrets, &profile("k"), KeyChoice::Generate, false).unwrap();
    let backup_file = dir.path().join("k.fobak");
    backup(&Store::open(&first.data).unwrap(), &first.secrets, &Passphrase::new(PASSPHRASE.into()), &backup_file).unwrap();

    let target = DataDir::at(dir.path().join("second"));
    restore(&backup_file, &Passphrase::new(PASSPHRASE.into()), &target, &keychain, false).unwrap();
    let restored = load_key(&keychain, &unit.unit_id, Environment::Local).unwrap();
    assert_eq!(restored.public_key_fingerprint(), unit.public_key_sha256);
    for name in secret_names(&Store::open(&target).unwrap()).unwrap() {
        keychain.delete(&name).unwrap();
    }
}
