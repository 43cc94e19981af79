//! `lint_csr` on CSRs made by other tools (OpenSSL here, with the mistakes
//! users make), on ZATCA's and Odoo's samples, and on things that are not
//! CSRs at all.

// Linux-only: the CSRs under test are made by Debian's openssl command, which
// the Windows run under Wine cannot start.
#![cfg(target_os = "linux")]

use std::path::Path;
use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use fatoora_base::Environment;
use fatoora_base::reference::zatca_reference_dir_or_skip;
use fatoora_base::values::{Field, Severity};
use fatoora_csr::{CsrEncoding, CsrLint, UnitKey, UnitProfile, build_csr, lint_csr, parse_csr};

const SDK_DN: &str = "C = SA\nOU = Riyadh Branch\nO = Maximum Speed Tech Supply LTD\nCN = TST-886431145-399999999900003\n";
const SDK_SAN: &str = "SN = 1-TST|2-TST|3-ed22f1d8-e6a2-1118-9b58-d9a8f11e445f\nUID = 399999999900003\ntitle = 1100\nregisteredAddress = RRRD2929\nbusinessCategory = Supply activities\n";
const TEMPLATE: &str = "1.3.6.1.4.1.311.20.2 = ASN1:UTF8String:ZATCA-Code-Signing\n";

/// An OpenSSL-made CSR: `keygen` is the `openssl genpkey` arguments.
fn openssl_csr(dir: &Path, keygen: &[&str], digest: &str, dn: &str, extensions: &str, san: &str) -> Vec<u8> {
    let key = dir.join("key.pem");
    let status = Command::new("openssl").args(["genpkey", "-out"]).arg(&key).args(keygen).output().unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let config = format!(
        "[req]\nprompt = no\nutf8 = yes\nstring_mask = utf8only\ndistinguished_name = dn\nreq_extensions = ext\n[dn]\n{dn}[ext]\n{extensions}{}[san]\n{san}",
        if san.is_empty() { "" } else { "subjectAltName = dirName:san\n" }
    );
    let config_path = dir.join("req.cnf");
    std::fs::write(&config_path, config).unwrap();
    let out = Command::new("openssl")
        .args(["req", "-new", "-outform", "PEM", "-key"])
        .arg(&key)
        .arg(format!("-{digest}"))
        .arg("-config")
        .arg(&config_path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

const K1: &[&str] = &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp256k1"];

fn rules(lint: &CsrLint) -> Vec<(Field, &'static str, Severity)> {
    lint.findings.iter().map(|f| (f.field, f.rule, f.severity)).collect()
}

fn assert_finding(lint: &CsrLint, field: Field, rule: &str, severity: Severity) {
    let hit = lint.findings.iter().find(|f| f.field == field && f.rule == rule);
    let hit = hit.unwrap_or_else(|| panic!("expected {field:?}/{rule}: {:#?}", lint.findings));
    assert_eq!(hit.severity, severity, "{rule}");
    assert!(!hit.message.en.is_empty() && !hit.message.ar.is_empty());
}

#[test]
fn openssl_csrs_verify_whether_their_signature_has_high_or_low_s() {
    // About half of OpenSSL's ECDSA signatures have a high S; 12 runs miss
    // both kinds with probability 2^-11.
    let tmp = tempfile::tempdir().unwrap();
    for _ in 0..12 {
        let csr = openssl_csr(tmp.path(), K1, "sha256", SDK_DN, TEMPLATE, SDK_SAN);
        assert_eq!(parse_csr(&csr).unwrap().signature_valid, Some(true));
    }
}

#[test]
fn an_openssl_csr_in_the_sdk_layout_passes() {
    let tmp = tempfile::tempdir().unwrap();
    let csr = openssl_csr(tmp.path(), K1, "sha256", SDK_DN, TEMPLATE, SDK_SAN);
    let lint = lint_csr(&csr, Some(Environment::Production));
    assert_eq!(rules(&lint), vec![]);
    let parsed = lint.csr.unwrap();
    assert_eq!(parsed.signature_valid, Some(true));
    assert_eq!(parsed.vat_number().unwrap().as_str(), "399999999900003");
    assert_eq!(parsed.invoice_types(), Some("1100"));
    assert_eq!(parsed.certificate_template(), Some("ZATCA-Code-Signing"));
    assert_eq!(parsed.template.unwrap().environments, vec![Environment::Production]);
}

#[test]
fn the_usual_mistakes_are_each_explained() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    use Severity::{Error as E, Warning as W};

    let rsa = openssl_csr(dir, &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"], "sha256", SDK_DN, TEMPLATE, SDK_SAN);
    let lint = lint_csr(&rsa, Some(Environment::Production));
    assert_finding(&lint, Field::Key, "ec-secp256k1", E);
    assert_finding(&lint, Field::Signature, "ecdsa-with-sha256", E);
    assert!(lint.findings[0].message.en.contains("RSA"));

    let p256 = openssl_csr(dir, &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], "sha256", SDK_DN, TEMPLATE, SDK_SAN);
    let lint = lint_csr(&p256, Some(Environment::Production));
    assert_eq!(rules(&lint), vec![(Field::Key, "curve-secp256k1", E)]);
    assert!(lint.findings[0].message.en.contains("P-256"), "{:?}", lint.findings[0].message);

    let sha1 = openssl_csr(dir, K1, "sha1", SDK_DN, TEMPLATE, SDK_SAN);
    assert_eq!(rules(&lint_csr(&sha1, None)), vec![(Field::Signature, "ecdsa-with-sha256", E)]);

    // OpenSSL writes serialNumber as a PrintableString, which has no '|'.
    let serial_number_san = SDK_SAN.replace("SN = 1-TST|2-TST|3-", "serialNumber = 1-TST 2-TST 3-");
    let lint = lint_csr(&openssl_csr(dir, K1, "sha256", SDK_DN, TEMPLATE, &serial_number_san), None);
    assert_eq!(rules(&lint), vec![(Field::EgsSerial, "sn-oid-2.5.4.4", E)]);

    let lint = lint_csr(&openssl_csr(dir, K1, "sha256", SDK_DN, "", SDK_SAN), Some(Environment::Simulation));
    assert_eq!(rules(&lint), vec![(Field::CertificateTemplate, "template-required", E)]);
    assert!(lint.findings[0].message.en.contains("PREZATCA-Code-Signing"));

    let csr = openssl_csr(dir, K1, "sha256", SDK_DN, TEMPLATE, SDK_SAN);
    assert_eq!(rules(&lint_csr(&csr, Some(Environment::Simulation))), vec![(Field::CertificateTemplate, "template-environment", E)]);
    assert_eq!(rules(&lint_csr(&csr, Some(Environment::Local))), vec![(Field::CertificateTemplate, "template-environment", E)]);
    // The sandbox does not enforce templates.
    assert_eq!(rules(&lint_csr(&csr, Some(Environment::Sandbox))), vec![(Field::CertificateTemplate, "template-environment", W)]);

    let printable = "1.3.6.1.4.1.311.20.2 = ASN1:PRINTABLESTRING:PREZATCA-Code-Signing\n";
    assert_eq!(rules(&lint_csr(&openssl_csr(dir, K1, "sha256", SDK_DN, printable, SDK_SAN), Some(Environment::Simulation))), vec![]);
    let bmp = "1.3.6.1.4.1.311.20.2 = ASN1:BMPSTRING:ZATCA-Code-Signing\n";
    assert_eq!(rules(&lint_csr(&openssl_csr(dir, K1, "sha256", SDK_DN, bmp, SDK_SAN), Some(Environment::Production))), vec![(Field::CertificateTemplate, "template-string-type", W)]);
    let unknown = "1.3.6.1.4.1.311.20.2 = ASN1:UTF8String:TESTZATCA-Code-Signing\n";
    assert_eq!(rules(&lint_csr(&openssl_csr(dir, K1, "sha256", SDK_DN, unknown, SDK_SAN), None)), vec![(Field::CertificateTemplate, "template-known", E)]);

    let lint = lint_csr(&openssl_csr(dir, K1, "sha256", SDK_DN, TEMPLATE, ""), None);
    assert_eq!(rules(&lint), vec![(Field::CsrStructure, "san-directory-name", E)]);

    let reordered = "CN = TST-886431145-399999999900003\nO = Maximum Speed Tech Supply LTD\nOU = Riyadh Branch\nC = SA\n";
    assert_eq!(rules(&lint_csr(&openssl_csr(dir, K1, "sha256", reordered, TEMPLATE, SDK_SAN), None)), vec![(Field::CsrStructure, "subject-order", W)]);

    let extra = format!("{SDK_DN}L = Riyadh\n");
    assert_eq!(rules(&lint_csr(&openssl_csr(dir, K1, "sha256", &extra, TEMPLATE, SDK_SAN), None)), vec![(Field::CsrStructure, "subject-sdk-layout", W)]);

    let no_cn = "C = SA\nOU = Riyadh Branch\nO = Maximum Speed Tech Supply LTD\n";
    assert_eq!(rules(&lint_csr(&openssl_csr(dir, K1, "sha256", no_cn, TEMPLATE, SDK_SAN), None)), vec![(Field::CommonName, "required", E)]);

    let bad_values = SDK_SAN.replace("UID = 399999999900003", "UID = 39999999990000").replace("title = 1100", "title = 1111").replace("Supply activities", "Supply & activities");
    let lint = lint_csr(&openssl_csr(dir, K1, "sha256", SDK_DN, TEMPLATE, &bad_values), None);
    assert_eq!(
        rules(&lint),
        vec![(Field::VatNumber, "length-15", E), (Field::InvoiceTypes, "legacy-1111", W), (Field::BusinessCategory, "no-symbols", E)]
    );

    let sandbox_vat = SDK_SAN.replace("UID = 399999999900003", "UID = 311111111101113");
    let tst = "1.3.6.1.4.1.311.20.2 = ASN1:UTF8String:TSTZATCA-Code-Signing\n";
    assert_eq!(rules(&lint_csr(&openssl_csr(dir, K1, "sha256", SDK_DN, tst, &sandbox_vat), Some(Environment::Sandbox))), vec![(Field::VatNumber, "sandbox-vat", W)]);

    let group_without_tin = SDK_SAN.replace("UID = 399999999900003", "UID = 399999999910003");
    assert_eq!(rules(&lint_csr(&openssl_csr(dir, K1, "sha256", SDK_DN, TEMPLATE, &group_without_tin), None)), vec![(Field::OrganizationUnit, "vat-group-ou-tin", E)]);
}

#[test]
fn a_tampered_csr_fails_proof_of_possession() {
    let key = UnitKey::generate().unwrap();
    let profile = UnitProfile::sdk_example(Environment::Production);
    let mut der = build_csr(&profile, &key).unwrap().der().to_vec();
    let at = der.windows(8).position(|w| w == b"RRRD2929").unwrap();
    der[at] = b'X';
    let lint = lint_csr(&der, None);
    assert_eq!(rules(&lint), vec![(Field::Signature, "proof-of-possession", Severity::Error)]);
}

#[test]
fn zatca_and_odoo_samples_read_as_expected() {
    let Some(dir) = zatca_reference_dir_or_skip("zatca_and_odoo_samples_read_as_expected") else { return };
    let samples = dir.join("samples/csr");
    for file in ["apispec-compliance-sample.csr.pem", "apispec-compliance-sample.csr.b64", "swagger-sandbox-example.csr.pem"] {
        let lint = lint_csr(&std::fs::read(samples.join(file)).unwrap(), Some(Environment::Production));
        assert_eq!(rules(&lint), vec![], "{file}");
        assert_eq!(lint.csr.as_ref().unwrap().signature_valid, Some(true));
    }
    let b64 = parse_csr(&std::fs::read(samples.join("apispec-compliance-sample.csr.b64")).unwrap()).unwrap();
    assert_eq!(b64.encoding, CsrEncoding::Base64Pem);
    // ZATCA's own sample carries the production template: fine for the
    // sandbox (not enforced), a warning there all the same.
    let lint = lint_csr(&std::fs::read(samples.join("swagger-sandbox-example.csr.pem")).unwrap(), Some(Environment::Sandbox));
    assert_eq!(rules(&lint), vec![(Field::CertificateTemplate, "template-environment", Severity::Warning)]);

    let odoo = lint_csr(&std::fs::read(samples.join("odoo-demo-preprod.csr.pem")).unwrap(), Some(Environment::Simulation));
    assert!(odoo.findings.iter().any(|f| f.rule == "subject-sdk-layout" && f.message.en.contains("organizationIdentifier")), "{:#?}", odoo.findings);
    assert_eq!(odoo.csr.as_ref().unwrap().certificate_template(), Some("PREZATCA-Code-Signing"));
    assert!(!odoo.findings.iter().any(|f| f.field == Field::CertificateTemplate), "{:#?}", odoo.findings);
}

#[test]
fn every_container_form_reads_and_non_csrs_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let pem = openssl_csr(tmp.path(), K1, "sha256", SDK_DN, TEMPLATE, SDK_SAN);
    let der = pem::parse(&pem).unwrap().into_contents();
    for (bytes, encoding) in [
        (pem.clone(), CsrEncoding::Pem),
        (STANDARD.encode(&pem).into_bytes(), CsrEncoding::Base64Pem),
        (STANDARD.encode(&der).into_bytes(), CsrEncoding::Base64Der),
        (der.clone(), CsrEncoding::Der),
        ([b"\xEF\xBB\xBF".as_slice(), &pem].concat(), CsrEncoding::Pem),
        (String::from_utf8(pem.clone()).unwrap().replace('\n', "\r\n").into_bytes(), CsrEncoding::Pem),
    ] {
        assert_eq!(parse_csr(&bytes).unwrap().encoding, encoding);
    }
    let key = std::fs::read(tmp.path().join("key.pem")).unwrap();
    for (bytes, rule) in [
        (b"".to_vec(), "required"),
        (b"hello".to_vec(), "encoding"),
        (key.clone(), "private-key-not-csr"),
        (STANDARD.encode(&key).into_bytes(), "private-key-not-csr"),
        (b"-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n".to_vec(), "certificate-not-csr"),
        (vec![0x30, 0x03, 0x02, 0x01, 0x00], "pkcs10"),
        (vec![b'A'; 70_000], "too-large"),
    ] {
        let lint = lint_csr(&bytes, None);
        assert!(lint.csr.is_none());
        assert_eq!(rules(&lint), vec![(Field::CsrStructure, rule, Severity::Error)]);
        // A private key handed in by mistake is never echoed back.
        let json = serde_json::to_string(&lint).unwrap();
        let key_body: String = String::from_utf8_lossy(&key).lines().filter(|l| !l.starts_with("-----")).collect();
        assert!(!json.contains(&key_body[..24]));
    }
}

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..2048), env in 0usize..5) {
        let environment = Environment::ALL.get(env).copied();
        let _ = lint_csr(&bytes, environment);
    }

    #[test]
    fn damaged_csrs_never_panic(position in 0usize..600, byte in proptest::num::u8::ANY, cut in 0usize..600) {
        static SAMPLE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        let der = SAMPLE.get_or_init(|| {
            let tmp = tempfile::tempdir().unwrap();
            pem::parse(openssl_csr(tmp.path(), K1, "sha256", SDK_DN, TEMPLATE, SDK_SAN)).unwrap().into_contents()
        });
        let mut damaged = der.clone();
        let at = position % damaged.len();
        damaged[at] = byte;
        let _ = lint_csr(&damaged, Some(Environment::Production));
        damaged.truncate(cut % der.len());
        let _ = lint_csr(&damaged, Some(Environment::Production));
    }
}
