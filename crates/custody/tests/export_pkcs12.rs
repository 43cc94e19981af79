//! The PKCS#12 file of an encrypted export, read by software we did not
//! write: OpenSSL 3 without its legacy provider (MAC, bags, the key matching
//! the certificate) and, when a JDK is installed, Java's keytool.

// Linux-only: the files are read back by Debian's openssl and Java's keytool,
// which the Windows run under Wine cannot start.
#![cfg(target_os = "linux")]

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use chrono::Utc;
use fatoora_base::secrets::{MemorySecretStore, Passphrase};
use fatoora_base::{DataDir, Environment, Localized, Store};
use fatoora_csr::UnitProfile;
use fatoora_units::{KeyChoice, load_key, prepare_csr};
use fatoora_custody::{KeyProtection, PKCS12_FILE, export_unit};
use fatoora_onboarding::client::{ClientOptions, FatooraClient, Target};
use fatoora_onboarding::flow::{Onboarding, Request, Unit};
use fatoora_onboarding::preflight::{OtpAnswers, Overrides, Reachability};
use fatoora_simulator::{OtpPurpose, Simulator, SimulatorConfig};

/// The VAT number of [`UnitProfile::sdk_example`], which the units here start from.
const VAT: &str = fatoora_csr::SANDBOX_VAT_NUMBER;
const PASSPHRASE: &str = "p12 export passphrase 2026";

fn profile() -> UnitProfile {
    UnitProfile {
        organization_name: "مؤسسة السرعة القصوى".into(),
        common_name: "TST-886431145-p12".into(),
        serial: "1-TST|2-TST|3-p12".into(),
        ..UnitProfile::sdk_example(Environment::Local)
    }
}

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program).args(args).output().unwrap_or_else(|e| panic!("{program} is installed: {e}"))
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A store with one unit onboarded against the simulator, exported with a passphrase.
async fn exported(dir: &Path) -> (std::path::PathBuf, Vec<u8>, std::path::PathBuf) {
    let sim = Simulator::start(SimulatorConfig::new(dir.join("sim"))).await.unwrap();
    let options = ClientOptions { connect_timeout: Duration::from_secs(2), total_timeout: Duration::from_secs(5), retry_pause: Duration::from_millis(10), ..ClientOptions::default() };
    let client = FatooraClient::new(Target::Local { base_url: sim.base_url(Environment::Local), ca_pem: sim.ca_cert_pem().to_owned() }, options).unwrap();
    let data = DataDir::at(dir.join("data"));
    let secrets = MemorySecretStore::default();
    let mut store = Store::open(&data).unwrap();
    let unit = prepare_csr(&mut store, &secrets, &profile(), KeyChoice::Generate, false).unwrap().unit_id;
    let otp = sim.admin().mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();
    let request = Request {
        otp_text: &otp,
        answers: OtpAnswers { generated_at: Some(Utc::now() - chrono::Duration::minutes(2)), portal: Some(Environment::Local) },
        overrides: Overrides::default(),
        reachability: Some(Reachability { ready: true, summary: Localized::new("up", "up") }),
    };
    Onboarding::new(&store, &secrets, &client).unwrap().onboard(&Unit { id: unit.clone(), profile: profile() }, &request).await.unwrap();
    let public_key = load_key(&secrets, &unit, Environment::Local).unwrap().public_key_der();
    let out = dir.join("export");
    let manifest = export_unit(&store, &secrets, &unit, Environment::Local, &out, KeyProtection::Encrypted(&Passphrase::new(PASSPHRASE.into()))).unwrap();
    let listed = manifest.files.iter().find(|f| f.file == PKCS12_FILE).expect("the manifest lists the PKCS#12 file");
    assert!(listed.secret);
    (out.join(PKCS12_FILE), public_key, out.join("certificate.pem"))
}

#[tokio::test]
async fn openssl_3_reads_the_pkcs12_without_its_legacy_provider_and_the_key_matches_the_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (p12, public_key, certificate) = exported(dir.path()).await;
    let pass = format!("pass:{PASSPHRASE}");

    let info = run("openssl", &["pkcs12", "-info", "-in", path(&p12), "-passin", &pass, "-noout"]);
    assert!(info.status.success(), "{}", text(&info));
    let info = text(&info);
    assert!(info.contains("MAC: sha256"), "{info}");
    assert!(info.contains("PBES2, PBKDF2, AES-256-CBC"), "{info}");
    assert!(!info.contains("RC2") && !info.contains("3DES"), "{info}");

    let wrong = run("openssl", &["pkcs12", "-info", "-in", path(&p12), "-passin", "pass:not the passphrase", "-noout"]);
    assert!(!wrong.status.success(), "a wrong passphrase fails the MAC");
    assert!(text(&wrong).contains("Mac verify error"), "{}", text(&wrong));

    let key = run("openssl", &["pkcs12", "-in", path(&p12), "-passin", &pass, "-nocerts", "-nodes"]);
    assert!(key.status.success(), "{}", text(&key));
    let key_pem = dir.path().join("from-p12.key");
    std::fs::write(&key_pem, &key.stdout).unwrap();
    let key_public = run("openssl", &["pkey", "-in", path(&key_pem), "-pubout", "-outform", "DER"]);
    assert!(key_public.status.success(), "{}", text(&key_public));
    assert_eq!(key_public.stdout, public_key, "the key in the PKCS#12 is the unit's key");

    let certificate_from_p12 = run("openssl", &["pkcs12", "-in", path(&p12), "-passin", &pass, "-nokeys", "-clcerts"]);
    assert!(certificate_from_p12.status.success());
    let cert_pem = dir.path().join("from-p12.crt");
    std::fs::write(&cert_pem, &certificate_from_p12.stdout).unwrap();
    let from_p12 = run("openssl", &["x509", "-in", path(&cert_pem), "-pubkey", "-noout"]);
    let exported = run("openssl", &["x509", "-in", path(&certificate), "-pubkey", "-noout"]);
    let from_key = run("openssl", &["pkey", "-in", path(&key_pem), "-pubout"]);
    assert!(from_p12.status.success() && !from_p12.stdout.is_empty());
    assert_eq!(from_p12.stdout, exported.stdout, "the PKCS#12 holds the exported certificate");
    assert_eq!(from_p12.stdout, from_key.stdout, "the certificate is the key's");
}

/// ZATCA's SDK is Java: keytool must open the file with the passphrase, see
/// one key entry and read the key out of it. Skips with a reason where no
/// JDK is installed. (Java 16+ no longer signs with secp256k1 in SunEC; the
/// SDK brings BouncyCastle for that. Reading the store is Java's own.)
#[tokio::test]
async fn java_keytool_lists_the_key_entry() {
    if Command::new("keytool").arg("-help").output().is_err() {
        fatoora_base::skip::skip("no keytool (apt-get install default-jre-headless)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (p12, _, _) = exported(dir.path()).await;
    let list = run("keytool", &["-list", "-v", "-storetype", "PKCS12", "-keystore", path(&p12), "-storepass", PASSPHRASE]);
    let listing = text(&list);
    assert!(list.status.success(), "{listing}");
    assert!(listing.contains("Your keystore contains 1 entry"), "{listing}");
    assert!(listing.contains("PrivateKeyEntry"), "{listing}");
    assert!(listing.contains("TST-886431145-p12"), "{listing}");
    assert!(listing.contains("(secp256k1)"), "Java parses the certificate's key: {listing}");
    let wrong = run("keytool", &["-list", "-storetype", "PKCS12", "-keystore", path(&p12), "-storepass", "not the passphrase"]);
    assert!(!wrong.status.success());

    // Copying the entry makes Java decrypt the private key bag (PBES2,
    // AES-256) and decode the key, not only list it.
    let copy = dir.path().join("copy.p12");
    let imported = run(
        "keytool",
        &["-importkeystore", "-noprompt", "-srcstoretype", "PKCS12", "-srckeystore", path(&p12), "-srcstorepass", PASSPHRASE,
          "-deststoretype", "PKCS12", "-destkeystore", path(&copy), "-deststorepass", "another store passphrase"],
    );
    assert!(imported.status.success() && text(&imported).contains("1 entries successfully imported"), "{}", text(&imported));
}
