//! What the soak checks once nothing is left to do, each read without
//! trusting the CLI's own word: the secrets file, the store (sqlite3), the
//! simulator's records (issued CSIDs, OTP presentations) and openssl.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::process::{Command, Stdio};

use fatoora_base::Environment;
use fatoora_base::secrets::{EncryptedFileStore, SecretName, SecretStore};
use fatoora_csr::UnitKey;
use fatoora_simulator::CsidKind;

use super::{Lab, Row, Unit};

/// Every unit's `onboarding_state` row in `local`, by unit id.
pub fn states(lab: &Lab) -> BTreeMap<String, Row> {
    lab.sql("SELECT * FROM onboarding_state WHERE environment = 'local'").into_iter().map(|row| (row.text("unit_id"), row)).collect()
}

/// Each unit's private key (PKCS#8 PEM), read back from the secrets file.
pub fn key_pems(lab: &Lab, units: &[Unit]) -> BTreeMap<String, String> {
    let store = lab.secrets();
    units
        .iter()
        .map(|unit| {
            let pem = store.get(&SecretName::new(unit.key_name.as_str()).unwrap()).unwrap().unwrap_or_else(|| panic!("no key {} in the keychain", unit.key_name));
            (unit.id.clone(), String::from_utf8(pem.expose().clone()).unwrap())
        })
        .collect()
}

fn key(pem: &str) -> UnitKey {
    UnitKey::from_pkcs8_pem(pem).unwrap()
}

/// SHA-256 of each key's public key.
pub fn fingerprints(pems: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    pems.iter().map(|(unit, pem)| (unit.clone(), key(pem).public_key_fingerprint())).collect()
}

/// Each unit ends issued, signing with the key it was imported with: the
/// same name, the same bytes (by fingerprint), and the production CSID
/// certifies exactly that key (openssl reads the certificates).
pub fn assert_issued_with_the_same_keys(lab: &Lab, units: &[Unit], before: &BTreeMap<String, String>, states: &BTreeMap<String, Row>, pems: &BTreeMap<String, String>) {
    assert_eq!(&fingerprints(pems), before, "a key was lost or replaced");
    let recorded: BTreeMap<String, String> =
        lab.sql("SELECT unit_id, public_key_sha256 FROM unit_keys WHERE environment = 'local'").iter().map(|r| (r.text("unit_id"), r.text("public_key_sha256"))).collect();
    assert_eq!(&recorded, before, "the store's record of the keys changed");
    let mut certified = certified_points(units.iter().map(|unit| states[&unit.id].text("pcsid_certificate")));
    for unit in units {
        let state = &states[&unit.id];
        assert_eq!((state.text("step").as_str(), state.text("otp_in_doubt_hash").as_str()), ("issued", ""), "unit {}", unit.common_name);
        assert_eq!(state.text("key_name"), unit.key_name, "unit {} signs with another key", unit.common_name);
        assert_eq!(state.text("pcsid_key_name"), unit.key_name);
        let der = key(&pems[&unit.id]).public_key_der();
        let point = hex(&der[der.len() - 65..]);
        assert_eq!(certified.remove(&unit.common_name), Some(point), "the PCSID of {} certifies another key", unit.common_name);
    }
}

/// Subject CN → public key point (hex) of each certificate, as openssl
/// prints them.
fn certified_points(pems: impl Iterator<Item = String>) -> BTreeMap<String, String> {
    let bundle: String = pems.collect();
    let pkcs7 = pipe(&["openssl", "crl2pkcs7", "-nocrl", "-certfile", "/dev/stdin"], bundle.as_bytes());
    let printed = String::from_utf8(pipe(&["openssl", "pkcs7", "-print_certs", "-text", "-noout"], &pkcs7)).unwrap();
    let mut points = BTreeMap::new();
    let mut common_name = None;
    let mut lines = printed.lines();
    while let Some(line) = lines.next() {
        let line = line.trim();
        if let Some(subject) = line.strip_prefix("Subject:") {
            common_name = subject.split(',').find_map(|part| part.trim().strip_prefix("CN").map(|cn| cn.trim_start_matches([' ', '=']).to_owned()));
        } else if line == "pub:" {
            let point: String = lines.by_ref().map(str::trim).take_while(|l| l.chars().all(|c| c.is_ascii_hexdigit() || c == ':')).collect();
            points.insert(common_name.take().expect("a subject before the key"), point.replace(':', ""));
        }
    }
    points
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The journal agrees with the simulator's record of the CSIDs it issued:
/// every answered request's CSID was issued, every CSID issued was either
/// answered or sent by a request that got no answer, and the unit keeps the
/// last production CSID the simulator issued for it.
pub fn assert_journal_matches_simulator(lab: &Lab, units: &[Unit], states: &BTreeMap<String, Row>) {
    let issued = lab.simulator.admin().issued_csids().unwrap();
    let journal = lab.sql("SELECT unit_id, endpoint, http_status, reach, request_id FROM onboarding_journal WHERE environment = 'local' ORDER BY id");
    for unit in units {
        let state = &states[&unit.id];
        for (endpoint, kind) in [("compliance", CsidKind::Compliance), ("production-csids", CsidKind::Production)] {
            let simulator: Vec<String> = issued.iter().filter(|c| c.common_name == unit.common_name && c.kind == kind).map(|c| c.request_id.to_string()).collect();
            let rows: Vec<&Row> = journal.iter().filter(|r| r.text("unit_id") == unit.id && r.text("endpoint") == endpoint).collect();
            // A 2xx answer without a request id is one the app could not read
            // (cut, HTML, too large): nothing the simulator issued.
            let answered: Vec<String> = rows.iter().filter(|r| r.text("http_status").starts_with('2') && !r.text("request_id").is_empty()).map(|r| r.text("request_id")).collect();
            let unanswered = rows.iter().filter(|r| r.text("reach") == "may-have-reached").count();
            let context = format!("unit {} {endpoint}: simulator {simulator:?}, journal answered {answered:?} + {unanswered} unanswered", unit.common_name);
            assert!(answered.iter().all(|id| simulator.contains(id)), "{context}");
            assert_eq!(answered.iter().collect::<BTreeSet<_>>().len(), answered.len(), "{context}");
            assert!(simulator.len() <= answered.len() + unanswered, "a CSID the journal cannot account for: {context}");
            let kept = state.text(if kind == CsidKind::Compliance { "ccsid_request_id" } else { "pcsid_request_id" });
            assert!(answered.contains(&kept), "the unit keeps a CSID the journal has no answer for: {context}");
            if kind == CsidKind::Production {
                assert_eq!(simulator.last(), Some(&kept), "{context}");
            }
        }
    }
}

/// What the simulator recorded of the OTPs: none presented more than once.
/// Returns how many were presented and how many consumed.
pub fn assert_no_otp_sent_twice(lab: &Lab, otps: &[String]) -> (usize, usize) {
    let admin = lab.simulator.admin();
    let (mut presented, mut consumed) = (0, 0);
    for otp in otps {
        let record = admin.otp_record(Environment::Local, otp).unwrap().expect("the simulator minted it");
        assert!(record.presented <= 1, "an OTP reached the simulator {} times", record.presented);
        presented += record.presented as usize;
        consumed += usize::from(record.used);
    }
    (presented, consumed)
}

/// The runs of exactly six digits in `text`, except the microseconds of a
/// log line's time (`14:20:11.123456`): those match some minted OTP by
/// chance often enough, over a soak's hundreds of OTPs, to fail a clean run.
fn six_digit_tokens(text: &str) -> BTreeSet<&str> {
    let mut tokens = BTreeSet::new();
    let mut start = None;
    for (at, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        match (c.is_ascii_digit(), start) {
            (true, None) => start = Some(at),
            (false, Some(from)) => {
                start = None;
                let before = &text.as_bytes()[..from];
                let fraction_of_seconds = before.len() >= 4 && before.ends_with(b".") && before[before.len() - 4] == b':';
                if at - from == 6 && !fraction_of_seconds {
                    tokens.insert(&text[from..at]);
                }
            }
            _ => {}
        }
    }
    tokens
}

/// No OTP, private key or CSID secret in anything the binary printed or in
/// the log folder; no key or CSID secret in the database either.
pub fn assert_no_secret_leaked(lab: &Lab, units: &[Unit], states: &BTreeMap<String, Row>, otps: &[String], pems: &BTreeMap<String, String>) {
    let store = lab.secrets();
    // (what it is, the secret text)
    let mut long_secrets: Vec<(String, String)> = Vec::new();
    for unit in units {
        long_secrets.extend(private_parts(&pems[&unit.id]).into_iter().map(|part| (format!("{}'s private key", unit.common_name), part)));
        for column in ["ccsid_secret_name", "pcsid_secret_name"] {
            let secret = store.get(&SecretName::new(states[&unit.id].text(column)).unwrap()).unwrap().expect("the CSID's secret is kept");
            long_secrets.push((format!("{}'s {column}", unit.common_name), String::from_utf8(secret.expose().clone()).unwrap()));
        }
    }
    let leaked = |text: &str| long_secrets.iter().find(|(_, secret)| text.contains(secret.as_str())).map(|(what, _)| what.clone());
    let otps: BTreeSet<&str> = otps.iter().map(String::as_str).collect();
    let logs = lab.logs();
    assert!(!logs.is_empty(), "the CLI writes a log folder");
    let printed = lab.printed.iter().map(|text| ("output".to_owned(), text.as_str()));
    for (place, text) in printed.chain(logs.iter().map(|(path, text)| (path.display().to_string(), text.as_str()))) {
        assert!(!text.contains("panicked at"), "a panic in {place}:\n{text}");
        assert!(six_digit_tokens(text).is_disjoint(&otps), "an OTP in {place}");
        assert_eq!(leaked(text), None, "a secret in {place}");
    }
    for file in ["fatoora-onboard.sqlite3", "fatoora-onboard.sqlite3-wal"] {
        let bytes = std::fs::read(lab.home().join(file)).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        assert_eq!(leaked(&text), None, "a secret in {file}");
    }
}

/// What would show a private key: the PEM lines that hold its scalar, and
/// the scalar in hex. The PEM's last line holds only the public key, which
/// CSRs and certificates carry too.
fn private_parts(pem: &str) -> Vec<String> {
    use base64::Engine as _;
    let body: Vec<&str> = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(body.concat()).unwrap();
    // ECPrivateKey (RFC 5915): version 1, then the scalar as a 32-byte OCTET STRING.
    let at = der.windows(5).position(|w| w == [0x02, 0x01, 0x01, 0x04, 0x20]).expect("an EC private key") + 5;
    let scalar = hex(&der[at..at + 32]);
    let mut parts: Vec<String> = body[..body.len() - 1].iter().map(|l| (*l).to_owned()).collect();
    parts.extend([scalar.to_uppercase(), scalar]);
    parts
}

impl Lab {
    /// The secrets file, opened like the CLI opens it (one key derivation
    /// for all the reads that follow).
    pub fn secrets(&self) -> EncryptedFileStore {
        EncryptedFileStore::open(fatoora_base::DataDir::at(self.home()).secrets_file(), &super::passphrase()).unwrap()
    }
}

/// Runs a command with `input` on stdin; its stdout.
fn pipe(command: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new(command[0]).args(&command[1..]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // Written from a thread: openssl may answer before it has read it all.
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(output.status.success(), "{command:?} failed");
    output.stdout
}

#[test]
fn a_log_times_microseconds_are_not_taken_for_an_otp() {
    let line = "2026-12-03T14:20:11.123456Z INFO sent 654321 for request 1234567 at 09:15";
    assert_eq!(six_digit_tokens(line), BTreeSet::from(["654321"]));
}
