//! One `csr new` process talks to the Secret Service over one bus
//! connection and one session (issue 16), although it starts that session
//! on a thread of its own while the database opens: watched from outside
//! with dbus-monitor, as a user would check it.

#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader, Lines};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Output, Stdio};

use fatoora_base::Environment;
use fatoora_base::secrets::{KeyringStore, SecretStore};

const BIN: &str = env!("CARGO_BIN_EXE_fatoora-onboard");

/// A dbus-monitor watching the calls to the Secret Service, killed when
/// dropped.
struct Monitor {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Monitor {
    /// Returns once the monitor is listening: the bus tells a connection
    /// that becomes a monitor that it lost its name.
    fn start() -> Monitor {
        let mut child = Command::new("dbus-monitor")
            .args([
                "--session",
                "type='method_call',destination='org.freedesktop.secrets'",
            ])
            .stdout(Stdio::piped())
            .spawn()
            .expect("dbus-monitor runs (Debian's dbus-bin)");
        let mut monitor = Monitor { lines: BufReader::new(child.stdout.take().unwrap()).lines(), child };
        monitor.lines_until("member=NameLost");
        monitor
    }

    /// The lines printed up to the first one containing `marker`.
    fn lines_until(&mut self, marker: &str) -> Vec<String> {
        let mut seen = Vec::new();
        for line in self.lines.by_ref() {
            let line = line.unwrap();
            let done = line.contains(marker);
            seen.push(line);
            if done {
                return seen;
            }
        }
        panic!("dbus-monitor ended before printing {marker:?}: {seen:?}");
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn csr_new(data_dir: &Path, extra: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--data-dir")
        .arg(data_dir)
        .args(["csr", "new", "--env", "simulation", "--vat", "399999999900003", "--common-name", "TST-session-check"])
        .args(["--org", "Maximum Speed Tech Supply LTD", "--unit", "Riyadh Branch"])
        .args(["--serial", "1-TST|2-TST|3-ed22f1d8-e6a2-1118-9b58-d9a8f11e445f", "--invoice-types", "1100"])
        .args(["--address", "RRRD2929", "--category", "Supply activities"])
        .args(extra)
        .env("FATOORA_ONBOARD_SECRET_STORE", "keychain")
        .output()
        .unwrap()
}

#[test]
fn csr_new_opens_one_secret_service_session() {
    if let Some(reason) = fatoora_base::skip::keychain_missing(&KeyringStore::default()) {
        fatoora_base::skip::skip(reason);
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut monitor = Monitor::start();
    let output = csr_new(tmp.path(), &["--out", &tmp.path().join("unit.csr").display().to_string()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    // The bus delivers in order: once this marker call is printed, every
    // call the CLI made before it exited has been printed too.
    let marker = Command::new("dbus-send")
        .args(["--session", "--print-reply", "--dest=org.freedesktop.secrets", "/org/freedesktop/secrets/csr_session_marker"])
        .arg("org.freedesktop.DBus.Introspectable.Introspect")
        .output()
        .expect("dbus-send runs");
    assert!(marker.status.success(), "{}", String::from_utf8_lossy(&marker.stderr));
    let printed = monitor.lines_until("csr_session_marker");
    let calls: Vec<&String> = printed.iter().filter(|line| line.starts_with("method call") && !line.contains("csr_session_marker")).collect();
    let count = |member: &str| calls.iter().filter(|line| line.contains(&format!("member={member}"))).count();
    // One bus connection: every call comes from the same unique name.
    let senders: std::collections::BTreeSet<&str> =
        calls.iter().filter_map(|line| line.split_whitespace().find_map(|word| word.strip_prefix("sender="))).collect();
    assert_eq!(senders.len(), 1, "{calls:#?}");
    assert_eq!(count("OpenSession"), 1, "{calls:#?}");
    assert_eq!(count("CreateItem"), 1, "the key is written once: {calls:#?}");

    // The key is in the keychain: the same CSR again with --reuse-key reads it.
    let reused = csr_new(tmp.path(), &["--reuse-key", "--json"]);
    assert!(reused.status.success(), "{}", String::from_utf8_lossy(&reused.stderr));
    let unit: serde_json::Value = serde_json::from_slice(&reused.stdout).unwrap();
    let key = fatoora_units::key_name(unit["unitId"].as_str().unwrap(), Environment::Simulation).unwrap();
    assert!(KeyringStore::default().delete(&key).unwrap(), "the key was kept under {key}");
}
