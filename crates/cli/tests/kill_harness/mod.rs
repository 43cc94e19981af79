//! Shared by the kill tests: a data folder with the simulator running
//! in-process and one unit prepared with `csr new`; the real
//! `fatoora-onboard` binary, killed with SIGKILL at a progress line (with its
//! request held at the simulator when the kill point is "in flight"), then
//! resumed; and what the evidence says afterwards (keychain, simulator,
//! database, journal), read without trusting the CLI's own word.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::binary::{PASSPHRASE, fatoora_onboard};
use fatoora_base::secrets::{EncryptedFileStore, Passphrase, SecretName, SecretStore};
use fatoora_base::{DataDir, Environment};
use fatoora_simulator::{CsidKind, Fault, FaultRule, OtpPurpose, RunningSimulator, Simulator, SimulatorConfig};

const VAT: &str = "399999999900003";
pub const COMMON_NAME: &str = "TST-kill-399999999900003";
/// How long a held request or a progress line may take to show up.
const DEADLINE: Duration = Duration::from_secs(60);

/// A gateway request the simulator holds (never answers) so the kill lands
/// while it is in flight: `method` on a path ending with `path`, after the
/// first `skip` such requests went through.
#[derive(Debug, Clone, Copy)]
pub struct Hold {
    pub method: &'static str,
    pub path: &'static str,
    pub skip: u32,
}

/// Where to kill: once stderr shows `line` and, with a hold, once the held
/// request has reached the simulator.
#[derive(Debug, Clone, Copy)]
pub struct KillPoint {
    pub line: &'static str,
    pub hold: Option<Hold>,
}

/// The unit's `onboarding_state` row, read with the sqlite3 CLI.
pub struct StateRow(HashMap<String, String>);

impl StateRow {
    pub fn get(&self, column: &str) -> Option<&str> {
        self.0.get(column).map(String::as_str).filter(|v| !v.is_empty())
    }

    pub fn step(&self) -> &str {
        self.get("step").unwrap_or("")
    }

    pub fn otp_in_doubt(&self) -> bool {
        self.get("in_doubt") == Some("1")
    }

    pub fn column(&self, column: &str) -> String {
        self.get(column).unwrap_or_else(|| panic!("no {column} in the state row {:?}", self.0)).to_owned()
    }
}

pub struct Bench {
    tmp: tempfile::TempDir,
    pub simulator: RunningSimulator,
}

pub use crate::binary::said as text;

/// `onboard` or `renew` with `otp`, as a user would type it.
pub fn otp_command(command: &str, otp: &str) -> Vec<String> {
    [command, "--unit", COMMON_NAME, "--otp", otp, "--otp-age", "1", "--otp-portal", "local"].map(str::to_owned).to_vec()
}

impl Bench {
    pub async fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let simulator = Simulator::start(SimulatorConfig::new(tmp.path().join("simulator"))).await.unwrap();
        let bench = Self { tmp, simulator };
        let prepared = bench.run(&[
            "csr", "new", "--env", "local", "--vat", VAT, "--common-name", COMMON_NAME, "--org", "Maximum Speed Tech Supply LTD",
            "--unit", "Riyadh Branch", "--serial", "1-TST|2-TST|3-kill", "--invoice-types", "1100", "--address", "RRRD2929",
            "--category", "Supply activities",
        ]);
        assert!(prepared.status.success(), "{}", text(&prepared));
        bench
    }

    fn home(&self) -> &Path {
        self.tmp.path()
    }

    fn command(&self, args: &[impl AsRef<str>]) -> Command {
        let mut command = fatoora_onboard(self.home());
        command.args(args.iter().map(AsRef::as_ref));
        command
    }

    pub fn run(&self, args: &[impl AsRef<str>]) -> Output {
        self.command(args).output().unwrap()
    }

    pub fn mint(&self, purpose: OtpPurpose) -> String {
        self.simulator.admin().mint_otp(Environment::Local, VAT, purpose).unwrap()
    }

    /// Runs `args` and SIGKILLs the process at `point`; returns its stderr
    /// up to then. The hold is lifted afterwards.
    pub fn run_killed(&self, args: &[impl AsRef<str>], point: &KillPoint) -> String {
        let admin = self.simulator.admin();
        // Requests before this run (an earlier onboarding, its probe) count
        // neither for the rule's `skip` nor for the arrival below.
        let before = point.hold.map_or(0, |hold| self.seen(hold.method, hold.path));
        if let Some(hold) = point.hold {
            admin.set_fault(FaultRule::times(Fault::Hang, 1).only(hold.method, hold.path, hold.skip));
        }
        let mut child = self.command(args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut seen = String::new();
        while !seen.lines().any(|line| line.contains(point.line)) {
            let read = stderr.read_line(&mut seen).unwrap();
            assert!(read > 0, "the CLI ended before {:?}:\n{seen}", point.line);
        }
        if let Some(hold) = point.hold {
            let arrived = || self.seen(hold.method, hold.path) > before + hold.skip as usize;
            let started = Instant::now();
            while !arrived() {
                assert!(started.elapsed() < DEADLINE, "the held {} {} never reached the simulator:\n{seen}", hold.method, hold.path);
                std::thread::yield_now();
            }
        }
        // Ok also when it already ended by itself (a kill after the last step).
        child.kill().unwrap();
        child.wait().unwrap();
        admin.clear_fault();
        seen
    }

    /// How many `method` requests on a path ending with `path` the simulator
    /// received.
    pub fn seen(&self, method: &str, path: &str) -> usize {
        self.simulator.admin().seen_requests().iter().filter(|r| r.method == method && r.path.ends_with(path)).count()
    }

    /// How many requests carried `otp`, by the simulator's own record.
    pub fn times_presented(&self, otp: &str) -> usize {
        self.simulator.admin().seen_requests().iter().filter(|r| r.presented(otp)).count()
    }

    pub fn state(&self) -> StateRow {
        let output = Command::new("sqlite3")
            .arg("-line")
            .arg(self.home().join("fatoora-onboard.sqlite3"))
            .arg(
                "SELECT unit_id, step, key_name, pcsid_key_name, renewal_key_name,
                        otp_in_doubt_hash IS NOT NULL AS in_doubt FROM onboarding_state",
            )
            .output()
            .expect("the sqlite3 command runs");
        assert!(output.status.success(), "{}", text(&output));
        let row = String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| line.split_once(" = "))
            .map(|(column, value)| (column.trim().to_owned(), value.trim().to_owned()))
            .collect();
        StateRow(row)
    }

    /// SHA-256 of the public key of the private key stored under `name`, read
    /// back from the encrypted secrets file (the key itself is never shown).
    pub fn key_fingerprint(&self, name: &str) -> String {
        let store = EncryptedFileStore::open(DataDir::at(self.home()).secrets_file(), &Passphrase::new(PASSPHRASE.into())).unwrap();
        let pem = store.get(&SecretName::new(name).unwrap()).unwrap().unwrap_or_else(|| panic!("no key {name} in the keychain"));
        fatoora_csr::UnitKey::from_pkcs8_pem(std::str::from_utf8(pem.expose()).unwrap()).unwrap().public_key_fingerprint()
    }

    /// SHA-256 of the public key in the production CSID the simulator issued
    /// last, computed by openssl from the certificate.
    pub fn latest_pcsid_key_fingerprint(&self) -> String {
        let csids = self.simulator.admin().issued_csids().unwrap();
        let pcsid = csids.iter().filter(|c| matches!(c.kind, CsidKind::Production)).max_by_key(|c| c.id).expect("a PCSID was issued");
        let public_key = pipe(&["openssl", "x509", "-inform", "DER", "-pubkey", "-noout"], &pcsid.cert_der);
        let der = pipe(&["openssl", "pkey", "-pubin", "-outform", "DER"], &public_key);
        let digest = pipe(&["openssl", "dgst", "-sha256", "-r"], &der);
        String::from_utf8(digest).unwrap().split_whitespace().next().unwrap().to_owned()
    }

    /// The journal as a user reads it (`journal`), and as JSON.
    pub fn journal(&self) -> (String, Vec<serde_json::Value>) {
        let unit = self.state().column("unit_id");
        let shown = self.run(&["journal", "--unit", &unit]);
        assert!(shown.status.success(), "{}", text(&shown));
        let json = self.run(&["--json", "journal", "--unit", &unit]);
        assert!(json.status.success(), "{}", text(&json));
        (text(&shown), serde_json::from_slice(&json.stdout).unwrap())
    }

    /// The journal holds one row per request the simulator received (the
    /// reachability probe's GETs aside), in the same order; the request the
    /// kill cut off says it may have reached ZATCA, every other was answered.
    pub fn assert_journal_tells_the_story(&self, cut_off: Option<Hold>) {
        let (shown, entries) = self.journal();
        let received: Vec<String> = self
            .simulator
            .admin()
            .seen_requests()
            .iter()
            .filter(|r| r.method != "GET")
            .map(|r| endpoint_id(&r.method, &r.path).to_owned())
            .collect();
        let journaled: Vec<String> = entries.iter().map(|e| e["endpoint"].as_str().unwrap().to_owned()).collect();
        assert_eq!(journaled, received, "{shown}");
        let in_doubt: Vec<usize> = entries.iter().enumerate().filter(|(_, e)| e["reach"] == "may-have-reached").map(|(i, _)| i).collect();
        let held = cut_off.filter(|hold| hold.method != "GET").map(|hold| {
            let endpoint = endpoint_id(hold.method, hold.path);
            entries.iter().enumerate().filter(|(_, e)| e["endpoint"] == endpoint).nth(hold.skip as usize).expect("the held request is journaled").0
        });
        assert_eq!(in_doubt, held.into_iter().collect::<Vec<_>>(), "{shown}");
        assert_eq!(shown.contains("MAY HAVE REACHED ZATCA (no answer)"), held.is_some(), "{shown}");
        for entry in entries.iter().filter(|e| e["reach"] != "may-have-reached") {
            let status = entry["httpStatus"].as_u64().unwrap_or(0);
            assert!((200..300).contains(&status), "every other request was answered: {entry}\n{shown}");
        }
    }
}

/// The journal's endpoint for a request path, with or without the
/// `/e-invoicing/{gateway}` prefix.
fn endpoint_id(method: &str, path: &str) -> &'static str {
    let path = match path.split_once("/e-invoicing/") {
        Some((_, rest)) => rest.split_once('/').map_or(rest, |(_, p)| p),
        None => path.trim_start_matches('/'),
    };
    match (method, path) {
        ("POST", "compliance") => "compliance",
        ("POST", "compliance/invoices") => "compliance-invoices",
        ("POST", "production/csids") => "production-csids",
        ("PATCH", "production/csids") => "renew-production-csids",
        other => panic!("unexpected request {other:?}"),
    }
}

/// Runs a command with `input` on stdin; its stdout.
fn pipe(command: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new(command[0]).args(&command[1..]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{command:?} failed");
    output.stdout
}
