//! The CSR is checked against ZATCA's own sample and against OpenSSL, a
//! program we did not write.

use std::path::Path;
#[cfg(target_os = "linux")]
use std::path::PathBuf;
#[cfg(target_os = "linux")]
use std::process::Command;

use der::{Decode, Encode};
use fatoora_base::Environment;
use fatoora_base::reference::zatca_reference_dir_or_skip;
use fatoora_csr::{UnitKey, UnitProfile, build_csr, parse_csr};
use x509_cert::request::CertReq;

fn sdk_profile(dir: &Path, file: &str, environment: Environment) -> UnitProfile {
    let text = std::fs::read(dir.join("sdk/Input").join(file)).unwrap();
    UnitProfile::from_sdk_properties(&text, environment).unwrap()
}

fn sdk_key(dir: &Path) -> UnitKey {
    UnitKey::import(&std::fs::read(dir.join("sdk/Certificates/ec-secp256k1-priv-key.pem")).unwrap()).unwrap()
}

fn info_der(pem: &[u8]) -> Vec<u8> {
    let block = pem::parse(pem).unwrap();
    CertReq::from_der(block.contents()).unwrap().info.to_der().unwrap()
}

// Linux-only: Debian's openssl command, which the Windows run under Wine cannot start.
#[cfg(target_os = "linux")]
fn openssl(args: &[&str], input: &Path) -> String {
    let out = Command::new("openssl").args(args).arg("-in").arg(input).output().expect("openssl on PATH");
    assert!(out.status.success(), "openssl {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap() + &String::from_utf8_lossy(&out.stderr)
}

#[cfg(target_os = "linux")]
fn write_temp(dir: &tempfile::TempDir, name: &str, content: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    path
}

#[test]
fn the_sdk_example_is_the_sdks_sample_config() {
    let Some(dir) = zatca_reference_dir_or_skip("the_sdk_example_is_the_sdks_sample_config") else { return };
    for environment in [Environment::Local, Environment::Production] {
        assert_eq!(UnitProfile::sdk_example(environment), sdk_profile(&dir, "csr-config-example-EN.properties", environment));
    }
}

#[test]
fn certification_request_info_is_byte_identical_to_zatcas_sample() {
    let Some(dir) = zatca_reference_dir_or_skip("certification_request_info_is_byte_identical_to_zatcas_sample") else { return };
    let profile = sdk_profile(&dir, "csr-config-example-EN.properties", Environment::Production);
    let csr = build_csr(&profile, &sdk_key(&dir)).unwrap();
    let sample = std::fs::read(dir.join("samples/csr/apispec-compliance-sample.csr.pem")).unwrap();
    assert_eq!(csr.certification_request_info_der(), info_der(&sample));
    // Same shape of output as ZATCA's files, down to the line breaks.
    assert_eq!(csr.to_pem().len(), sample.len());
    assert!(csr.to_pem().ends_with("-----END CERTIFICATE REQUEST-----\n"));
}

#[test]
fn a_different_environment_changes_only_the_template() {
    let Some(dir) = zatca_reference_dir_or_skip("a_different_environment_changes_only_the_template") else { return };
    let key = sdk_key(&dir);
    for (environment, template) in [
        (Environment::Simulation, "PREZATCA-Code-Signing"),
        (Environment::Sandbox, "TSTZATCA-Code-Signing"),
        (Environment::Local, "TSTZATCA-Code-Signing"),
    ] {
        let csr = build_csr(&sdk_profile(&dir, "csr-config-example-EN.properties", environment), &key).unwrap();
        let parsed = parse_csr(csr.to_pem().as_bytes()).unwrap();
        assert_eq!(parsed.certificate_template(), Some(template));
        assert_eq!(parsed.signature_valid, Some(true));
    }
}

// Linux-only: Debian's openssl command, which the Windows run under Wine cannot start.
#[cfg(target_os = "linux")]
#[test]
fn openssl_verifies_every_csr_and_sees_the_sdk_string_types() {
    let Some(dir) = zatca_reference_dir_or_skip("openssl_verifies_every_csr_and_sees_the_sdk_string_types") else { return };
    let tmp = tempfile::tempdir().unwrap();
    for file in [
        "csr-config-example-EN.properties",
        "csr-config-example-EN-VAT-group.properties",
        "csr-config-example-AR.properties",
        "csr-config-example-AR-VAT-Group.properties",
    ] {
        for environment in Environment::ALL {
            let csr = build_csr(&sdk_profile(&dir, file, environment), &UnitKey::generate().unwrap()).unwrap();
            let path = write_temp(&tmp, "req.pem", &csr.to_pem());
            let text = openssl(&["req", "-verify", "-noout", "-text"], &path);
            assert!(text.contains("verify OK") || text.contains("Certificate request self-signature verify OK"), "{file}: {text}");
            assert!(text.contains("ASN1 OID: secp256k1"), "{text}");
            assert!(text.contains("ecdsa-with-SHA256"), "{text}");

            let asn1 = openssl(&["asn1parse", "-i"], &path);
            let types: Vec<&str> = asn1
                .lines()
                .filter(|l| l.contains("PRINTABLESTRING") || l.contains("UTF8STRING"))
                .map(|l| if l.contains("PRINTABLESTRING") { "P" } else { "U" })
                .collect();
            assert_eq!(types, ["P", "U", "U", "U"], "subject C printable then OU, O, CN UTF8: {asn1}");
            // The template and the SAN sit inside OCTET STRINGs; parse them too.
            let template_hex = format!("0C{:02X}", environment.certificate_template().len());
            assert!(asn1.contains(&template_hex), "template is a UTF8String: {asn1}");
            let san_offset = asn1
                .lines()
                .skip_while(|l| !l.contains("X509v3 Subject Alternative Name"))
                .nth(1)
                .and_then(|l| l.split(':').next())
                .map(|o| o.trim().to_owned())
                .unwrap();
            let san = openssl(&["asn1parse", "-i", "-strparse", &san_offset], &path);
            let san_types: Vec<&str> = san
                .lines()
                .filter_map(|l| {
                    ["surname", "userId", "UID", "title", "registeredAddress", "businessCategory"]
                        .into_iter()
                        .find(|name| l.contains(&format!(":{name}")) || l.trim_end().ends_with(name))
                })
                .collect();
            assert_eq!(san_types.len(), 5, "five SAN attributes in SDK order: {san}");
            assert_eq!(san.matches("UTF8STRING").count(), 5, "{san}");
            assert!(!san.contains("serialNumber"), "SN is surname 2.5.4.4: {san}");
        }
    }
}

#[test]
fn arabic_values_stay_utf8_byte_for_byte() {
    let Some(dir) = zatca_reference_dir_or_skip("arabic_values_stay_utf8_byte_for_byte") else { return };
    let profile = sdk_profile(&dir, "csr-config-example-AR.properties", Environment::Production);
    assert_eq!(profile.organization_name, "شركة توريد التكنولوجيا بأقصى سرعة المحدودة");
    let csr = build_csr(&profile, &sdk_key(&dir)).unwrap();
    let der = csr.der();
    for value in [&profile.organization_name, &profile.organization_unit, &profile.business_category] {
        let bytes = value.as_bytes();
        let at = der.windows(bytes.len()).position(|w| w == bytes).expect("UTF-8 bytes present verbatim");
        assert_eq!(der[at - 2], 0x0C, "UTF8String tag before {value}");
    }
    let parsed = parse_csr(csr.to_base64_pem().as_bytes()).unwrap();
    assert_eq!(parsed.value(fatoora_base::values::Field::OrganizationUnit), Some("فرع الرياض"));
}

#[test]
fn base64_output_is_base64_of_the_pem_as_zatca_takes_it() {
    let Some(dir) = zatca_reference_dir_or_skip("base64_output_is_base64_of_the_pem_as_zatca_takes_it") else { return };
    use base64::Engine;
    let csr = build_csr(&sdk_profile(&dir, "csr-config-example-EN.properties", Environment::Production), &sdk_key(&dir)).unwrap();
    let decoded = base64::engine::general_purpose::STANDARD.decode(csr.to_base64_pem()).unwrap();
    assert_eq!(String::from_utf8(decoded).unwrap(), csr.to_pem());
    // ZATCA's sample .b64 has the same shape: base64 of PEM text.
    let sample_b64 = std::fs::read_to_string(dir.join("samples/csr/apispec-compliance-sample.csr.b64")).unwrap();
    let sample_pem = base64::engine::general_purpose::STANDARD.decode(sample_b64.trim()).unwrap();
    assert!(sample_pem.starts_with(b"-----BEGIN CERTIFICATE REQUEST-----\n"));
}
