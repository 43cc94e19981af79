//! A chaos soak: units imported from a CSV file and onboarded by the real
//! `fatoora-onboard batch onboard` against the in-process simulator, which
//! draws a random fault (every kind it has) for a share of the gateway
//! requests, while the batch is SIGKILLed at random moments and resumed with
//! the same command until nothing is left to do. When the batch says a
//! unit's OTP may have been used, the test plays the user: it mints a new
//! OTP and puts it on that unit's line (never the same one again).
//!
//! Asserted: no key lost or replaced; no OTP reaching the simulator twice;
//! a unit whose OTP reached the simulator without a compliance CSID coming
//! back is told to use a new OTP, every other failure states a next step;
//! every unit ends issued; the journal agrees with the simulator's record of
//! the CSIDs it issued; no OTP, private key or CSID secret in any output or
//! log, no key or CSID secret in the database.
//!
//! Replay or resize with FATOORA_SOAK_SEED (printed at the start),
//! FATOORA_SOAK_UNITS, FATOORA_SOAK_PER_MILLE, FATOORA_SOAK_KILLS. The counts
//! are printed at the end and, with FATOORA_SOAK_REPORT=FILE, written there.

// Linux-only: the store is read back with Debian's sqlite3 command, which
// the Windows run under Wine cannot start.
#![cfg(target_os = "linux")]

mod binary;
mod soak;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use fatoora_base::Environment;
use fatoora_simulator::{ChaosReport, ChaosRule, Fault, OtpPurpose};
use serde_json::Value;
use soak::{Kill, Lab, Rng, VAT, env_or, evidence};

const DEFAULT_SEED: u64 = 20_261_203;
/// What fits CI on two shared cores: 160 units took 67 s, 200 took 91 to
/// 114 s; the batch slows more than linearly with the units (without faults,
/// 100 units 16 s, 200 units 57 s). FATOORA_SOAK_UNITS=200 for the full size.
const DEFAULT_UNITS: usize = 160;
/// Runs of the batch after which the soak gives up: far more than a
/// converging batch needs.
const MAX_RUNS: u32 = 80;
const CONCURRENCY: &str = "8";

/// Every fault kind the simulator has; a slow answer is slow, not timed out.
fn every_fault() -> Vec<Fault> {
    vec![
        Fault::Latency { millis: 300 },
        Fault::Hang,
        Fault::HangAfterProcessing,
        Fault::ResetBeforeProcessing,
        Fault::ResetAfterProcessing,
        Fault::TooManyRequests,
        Fault::InvalidRequest,
        Fault::ServiceUnavailable,
        Fault::GatewayTimeout,
        Fault::MalformedJson,
        Fault::HugeBody,
        Fault::WrongContentType,
    ]
}

#[derive(Default)]
struct Tally {
    runs: u32,
    kills_scheduled: u32,
    kills_stalled: u32,
    new_otps: usize,
    needing_new_otp: BTreeSet<String>,
    failures_retry: usize,
    failures_other: usize,
}

impl Tally {
    fn kills(&self) -> u32 {
        self.kills_scheduled + self.kills_stalled
    }

    fn summary(&self, units: usize, chaos: &ChaosReport, otps: (usize, usize), seconds: [f64; 3]) -> String {
        let injected: u64 = chaos.injected.values().sum();
        let by_kind = chaos.injected.iter().map(|(kind, n)| format!("{kind} {n}")).collect::<Vec<_>>().join(", ");
        format!(
            "chaos soak (seed {}): {units} units issued in {} runs of `batch onboard`; import {:.0} s, batch runs {:.0} s, checks {:.0} s\n\
             faults injected: {injected} of {} gateway requests ({by_kind})\n\
             kills (SIGKILL): {} ({} at a random request, {} on a batch stalled on held requests)\n\
             units needing a new OTP: {} ({} new OTPs); OTPs presented {}, consumed {}\n\
             failures reported along the way: {} to retry as they were, {} other\n",
            chaos.seed,
            self.runs,
            seconds[0],
            seconds[1],
            seconds[2],
            chaos.requests,
            self.kills(),
            self.kills_scheduled,
            self.kills_stalled,
            self.needing_new_otp.len(),
            self.new_otps,
            otps.0,
            otps.1,
            self.failures_retry,
            self.failures_other,
        )
    }
}

/// What a failed unit in the batch's report asks of the user.
enum Ask {
    NewOtp,
    Retry,
    Other,
}

/// Reads one failed unit's result; checks that it says to use a new OTP
/// whenever its OTP reached the simulator and no compliance CSID came back,
/// and that it states a next step in both languages.
fn what_it_asks(lab: &Lab, result: &Value, otp: &str) -> Ask {
    let unit = result["unitId"].as_str().unwrap();
    let explanation = &result["explanation"];
    for language in ["en", "ar"] {
        assert!(!explanation["nextStep"][language].as_str().unwrap_or("").trim().is_empty(), "unit {unit}: no next step: {result}");
    }
    let new_otp = result["otp_may_be_spent"].as_bool().unwrap_or_else(|| panic!("no otp_may_be_spent in {result}"));
    let before_ccsid = matches!(result["step"].as_str(), None | Some("preflight" | "ccsid"));
    let presented = lab.simulator.admin().otp_record(Environment::Local, otp).unwrap().expect("a minted OTP").presented;
    if before_ccsid && presented > 0 {
        assert!(new_otp, "unit {unit}: its OTP reached the simulator and no CCSID came back, yet the batch does not ask for a new one: {result}");
    }
    if new_otp {
        Ask::NewOtp
    } else if explanation["retryMayHelp"] == true {
        Ask::Retry
    } else {
        Ask::Other
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn chaos_soak() {
    let started = Instant::now();
    let unit_count: usize = env_or("FATOORA_SOAK_UNITS", DEFAULT_UNITS);
    let seed: u64 = env_or("FATOORA_SOAK_SEED", DEFAULT_SEED);
    let per_mille: u16 = env_or("FATOORA_SOAK_PER_MILLE", 60);
    let max_kills: u32 = env_or("FATOORA_SOAK_KILLS", 6);
    eprintln!("chaos soak: {unit_count} units, seed {seed} (FATOORA_SOAK_SEED replays it), faults on {per_mille}‰ of requests, {max_kills} kills at random requests");
    let mut rng = Rng::new(seed);
    let mut lab = Lab::new().await;
    let units = lab.import_units(unit_count);
    let imported = Instant::now();
    let keys_before = evidence::fingerprints(&evidence::key_pems(&lab, &units));
    assert!(units.iter().all(|u| keys_before[&u.id] == u.key_sha256), "the keychain holds the keys the store recorded");

    let admin = lab.simulator.admin();
    let mint = || admin.mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();
    let mut current: BTreeMap<String, String> = units.iter().map(|u| (u.id.clone(), mint())).collect();
    let mut minted: Vec<String> = current.values().cloned().collect();
    admin.set_chaos(ChaosRule { seed, per_mille, faults: every_fault() });

    let otp_file = lab.file("otps.txt");
    let command = ["--json", "batch", "onboard", "--otps", otp_file.to_str().unwrap(), "--env", "local", "--otp-age", "1", "--concurrency", CONCURRENCY];
    let mut tally = Tally::default();
    let mut pending = units.len() as u64;
    loop {
        tally.runs += 1;
        assert!(tally.runs <= MAX_RUNS, "{} units still failing after {MAX_RUNS} runs", pending);
        std::fs::write(&otp_file, current.iter().map(|(unit, otp)| format!("{unit},{otp}\n")).collect::<String>()).unwrap();
        // The first runs are killed after a random number of requests (a
        // unit left makes about 8; a stall may come first); then resumed.
        let kill_after = (tally.kills_scheduled < max_kills).then(|| 1 + rng.below(4 * pending));
        let run = lab.run_watched(&command, kill_after);
        match run.killed {
            Some(Kill::Scheduled) => tally.kills_scheduled += 1,
            Some(Kill::Stalled) => tally.kills_stalled += 1,
            None => {}
        }
        if run.killed.is_some() {
            continue;
        }
        assert!(matches!(run.status.code(), Some(0 | 1)), "the batch ended with {:?}:\n{}{}", run.status, run.stdout, run.stderr);
        let report: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", run.stdout, run.stderr));
        let results = report["results"].as_array().unwrap();
        assert_eq!(results.len(), units.len(), "every unit has a result");
        pending = 0;
        for result in results.iter().filter(|r| r["outcome"] == "failed") {
            pending += 1;
            let unit = result["unitId"].as_str().unwrap().to_owned();
            match what_it_asks(&lab, result, &current[&unit]) {
                Ask::NewOtp => {
                    // The user's say: a new OTP from the portal for this unit.
                    let otp = mint();
                    minted.push(otp.clone());
                    current.insert(unit.clone(), otp);
                    tally.new_otps += 1;
                    tally.needing_new_otp.insert(unit);
                }
                Ask::Retry => tally.failures_retry += 1,
                Ask::Other => tally.failures_other += 1,
            }
        }
        if pending == 0 {
            assert_eq!(run.status.code(), Some(0), "{}", run.stdout);
            break;
        }
        assert_eq!(run.status.code(), Some(1), "failed units exit 1");
    }
    let chaos = admin.clear_chaos().unwrap();
    let onboarded = Instant::now();

    let states = evidence::states(&lab);
    assert_eq!(states.len(), units.len());
    let pems = evidence::key_pems(&lab, &units);
    evidence::assert_issued_with_the_same_keys(&lab, &units, &keys_before, &states, &pems);
    evidence::assert_journal_matches_simulator(&lab, &units, &states);
    let otps = evidence::assert_no_otp_sent_twice(&lab, &minted);
    evidence::assert_no_secret_leaked(&lab, &units, &states, &minted, &pems);

    let phases = [imported - started, onboarded - imported, onboarded.elapsed()].map(|d| d.as_secs_f64());
    let summary = tally.summary(units.len(), &chaos, otps, phases);
    eprint!("{summary}");
    if let Ok(path) = std::env::var("FATOORA_SOAK_REPORT") {
        std::fs::write(&path, &summary).unwrap_or_else(|e| panic!("FATOORA_SOAK_REPORT={path}: {e}"));
    }
    assert!(max_kills == 0 || tally.kills() > 0, "the batch was never killed");
    // A thousand requests at the default share draw each kind several times.
    if chaos.requests >= 1000 && per_mille >= 60 {
        assert_eq!(chaos.injected.len(), every_fault().len(), "every fault kind was drawn: {chaos:?}");
    }
}
