//! `csr new`, `csr lint` and `units` as a user runs them: exit codes 0/2,
//! every finding printed, and what they write checked with OpenSSL.

use std::path::Path;
use std::process::{Command, Output};

#[cfg(target_os = "linux")]
use fatoora_base::reference::zatca_reference_dir_or_skip;

const BIN: &str = env!("CARGO_BIN_EXE_fatoora-onboard");

fn run(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("FATOORA_ONBOARD_SECRET_STORE", "file")
        .env("FATOORA_ONBOARD_PASSPHRASE", "cli-test-passphrase-1234")
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn bad_input_exits_2_with_every_finding_and_touches_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = run(&data, &["csr", "new", "--env", "production", "--vat", "12", "--serial", "x", "--category", "A&B"]);
    assert_eq!(out.status.code(), Some(2));
    let text = stderr(&out);
    for rule in ["[length-15]", "[format-1-2-3]", "[no-symbols]", "Organization name (O) [required]", "Common name (CN) [required]", "Address [required]"] {
        assert!(text.contains(rule), "{rule} missing from:\n{text}");
    }
    assert!(text.contains("الرقم الضريبي"), "Arabic too:\n{text}");
    assert!(!data.exists(), "nothing written for a profile that fails the lint");

    let json = run(&data, &["csr", "new", "--env", "production", "--json", "--vat", "12"]);
    assert_eq!(json.status.code(), Some(2));
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["findings"].as_array().unwrap().len(), 8, "all but the country, which the CLI sets to SA");
}

// Linux-only: Debian's openssl command, which the Windows run under Wine cannot start.
#[cfg(target_os = "linux")]
#[test]
fn sdk_config_to_base64_csr_that_openssl_accepts_then_lint_and_units() {
    let Some(reference) = zatca_reference_dir_or_skip("sdk_config_to_base64_csr_that_openssl_accepts_then_lint_and_units") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let csr_path = tmp.path().join("unit.csr.b64");
    let config = reference.join("sdk/Input/csr-config-example-AR-VAT-Group.properties");
    let out = run(&data, &[
        "csr", "new", "--env", "simulation", "--from-sdk-config", config.to_str().unwrap(),
        "--format", "base64", "--out", csr_path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let b64 = std::fs::read_to_string(&csr_path).unwrap();
    use base64::Engine;
    let pem = base64::engine::general_purpose::STANDARD.decode(b64.trim()).unwrap();
    let pem_path = tmp.path().join("unit.csr.pem");
    std::fs::write(&pem_path, &pem).unwrap();
    let verify = Command::new("openssl").args(["req", "-verify", "-noout", "-in"]).arg(&pem_path).output().unwrap();
    assert!(verify.status.success(), "{}", stderr(&verify));

    let lint = run(&data, &["csr", "lint", csr_path.to_str().unwrap(), "--env", "simulation"]);
    assert_eq!(lint.status.code(), Some(0), "{}", stderr(&lint));
    assert!(String::from_utf8_lossy(&lint.stdout).contains("PREZATCA-Code-Signing"));
    let wrong_env = run(&data, &["csr", "lint", csr_path.to_str().unwrap(), "--env", "production", "--json"]);
    assert_eq!(wrong_env.status.code(), Some(2));
    let value: serde_json::Value = serde_json::from_slice(&wrong_env.stdout).unwrap();
    assert_eq!(value["findings"][0]["rule"], "template-environment");
    assert_eq!(value["csr"]["subjectAltName"]["attributes"][1]["value"], "399999999910003");

    let again = run(&data, &["csr", "new", "--env", "simulation", "--from-sdk-config", config.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2), "an existing key is not replaced without --replace-key");
    assert!(stderr(&again).contains("--replace-key"));
    let replaced = run(&data, &["csr", "new", "--env", "simulation", "--from-sdk-config", config.to_str().unwrap(), "--replace-key"]);
    assert_eq!(replaced.status.code(), Some(0), "{}", stderr(&replaced));
    assert!(String::from_utf8_lossy(&replaced.stdout).starts_with("-----BEGIN CERTIFICATE REQUEST-----"));

    let list = run(&data, &["units", "list", "--json"]);
    let units: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(units[0]["profile"]["organizationUnit"], "3999999999");
    assert_eq!(units[0]["keys"][0]["environment"], "simulation");
    let missing = run(&data, &["units", "show", "no-such-unit"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn lint_of_a_non_csr_exits_2_and_names_the_problem() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("note.txt");
    std::fs::write(&file, "hello").unwrap();
    let out = run(tmp.path(), &["csr", "lint", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("[encoding]"));
}
