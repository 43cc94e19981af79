//! `fatoora-onboard simulator`: the first stdout line says where it listens
//! and where its CA is; `simulator otp` reaches it through the data folder.

// Unix-only: the test stops the server with SIGTERM. On Windows the same
// journey runs under Wine in scripts/windows/journeys.sh.
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_fatoora-onboard");

fn run(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN).arg("--data-dir").arg(dir).args(args).output().expect("binary runs")
}

#[test]
fn serves_prints_its_address_and_mints_otps_from_another_process() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--json", "simulator", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("simulator starts");
    let mut first = String::new();
    BufReader::new(server.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let info: serde_json::Value = serde_json::from_str(&first).expect("first line is JSON");
    let base = info["baseUrl"].as_str().unwrap();
    assert!(base.starts_with("https://127.0.0.1:") && base.ends_with("/e-invoicing/core"), "{base}");
    let ca = info["caCertPath"].as_str().unwrap();
    assert!(std::fs::read_to_string(ca).unwrap().starts_with("-----BEGIN CERTIFICATE-----"));

    let out = run(dir.path(), &["simulator", "otp", "--env", "local", "--vat", "399999999900003", "--count", "3"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let otps: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(str::to_owned).collect();
    assert_eq!(otps.len(), 3);
    assert!(otps.iter().all(|o| o.len() == 6 && o.bytes().all(|b| b.is_ascii_digit())), "{otps:?}");

    let out = run(dir.path(), &["--json", "simulator", "otp", "--env", "sandbox", "--vat", "399999999900003", "--purpose", "renew"]);
    let minted: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(minted["otps"][0], "123456");

    let out = run(dir.path(), &["simulator", "otp", "--env", "local", "--vat", "12345"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("15 digits"));
    let out = run(dir.path(), &["simulator", "otp", "--env", "mars", "--vat", "399999999900003"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(dir.path(), &["simulator", "fault", "503", "--times", "1"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let stopped = Command::new("kill").arg("-TERM").arg(server.id().to_string()).status().unwrap();
    assert!(stopped.success());
    assert!(server.wait().unwrap().success(), "stops cleanly on SIGTERM");

    let out = run(dir.path(), &["simulator", "otp", "--env", "local", "--vat", "399999999900003"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no simulator is running"));
}
