//! `fatoora-onboard onboard` killed with SIGKILL while its compliance-CSID
//! request is on the wire: the state was written before sending, so the next
//! run refuses to send that OTP again and says ZATCA may have used it (en+ar);
//! a new OTP then finishes the onboarding with the same key and CSR.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use fatoora_core::Environment;
use fatoora_simulator::{Fault, FaultRule, OtpPurpose, Simulator, SimulatorConfig};

const BIN: &str = env!("CARGO_BIN_EXE_fatoora-onboard");
const VAT: &str = "399999999900003";
const COMMON_NAME: &str = "TST-kill-399999999900003";

fn command(home: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env("FATOORA_ONBOARD_HOME", home)
        .env("FATOORA_ONBOARD_SECRET_STORE", "file")
        .env("FATOORA_ONBOARD_PASSPHRASE", "secrets file passphrase")
        .stdin(Stdio::null());
    command
}

fn run(home: &Path, args: &[&str]) -> Output {
    command(home, args).output().unwrap()
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn onboard_args(otp: &str) -> Vec<String> {
    ["onboard", "--unit", COMMON_NAME, "--otp", otp, "--otp-age", "1", "--otp-portal", "local"].map(str::to_owned).to_vec()
}

fn state_column(home: &Path, column: &str) -> Option<String> {
    onboarding_row(home)
        .lines().find_map(|line| line.strip_prefix(&format!("{column}=")).map(str::to_owned))
}

/// The unit's onboarding row, read with the sqlite3 CLI: software we did not write.
fn onboarding_row(home: &Path) -> String {
    let output = Command::new("sqlite3")
        .arg("-line")
        .arg(home.join("fatoora-onboard.sqlite3"))
        .arg("SELECT step, key_name, otp_in_doubt_hash IS NOT NULL AS in_doubt FROM onboarding_state")
        .output()
        .expect("the sqlite3 command runs");
    String::from_utf8_lossy(&output.stdout).lines().map(|l| l.trim().replace(" = ", "=")).collect::<Vec<_>>().join("\n")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_run_never_resends_its_otp_and_a_new_one_finishes_with_the_same_key() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    let simulator = Simulator::start(SimulatorConfig::new(home.join("simulator"))).await.unwrap();

    let prepared = run(home, &[
        "csr", "new", "--env", "local", "--vat", VAT, "--common-name", COMMON_NAME, "--org", "Maximum Speed Tech Supply LTD",
        "--unit", "Riyadh Branch", "--serial", "1-TST|2-TST|3-kill", "--invoice-types", "1100", "--address", "RRRD2929",
        "--category", "Supply activities",
    ]);
    assert!(prepared.status.success(), "{}", text(&prepared));

    let otp = simulator.admin().mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();
    // Every gateway answer is delayed, long enough that the kill below lands
    // while `POST /compliance` waits, short of the reachability probe's 10 s.
    simulator.admin().set_fault(FaultRule::always(Fault::latency(Duration::from_secs(4))));
    let mut child = command(home, &onboard_args(&otp).iter().map(String::as_str).collect::<Vec<_>>())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The CLI prints the step after writing it (with the OTP in doubt) and
    // before sending: kill it at that line.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let read = stderr.read_line(&mut line).unwrap();
        assert!(read > 0, "the CLI ended before the CCSID step:\n{seen}");
        seen.push_str(&line);
        if line.contains("Compliance CSID") {
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL
    assert!(!child.wait().unwrap().success());
    simulator.admin().clear_fault();

    let killed = onboarding_row(home);
    assert!(killed.contains("step=ccsid") && killed.contains("in_doubt=1"), "{killed}");
    let key_before = state_column(home, "key_name").expect("the key is recorded before sending");

    let resumed = run(home, &onboard_args(&otp).iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(resumed.status.code(), Some(1), "{}", text(&resumed));
    let said = text(&resumed);
    assert!(said.contains("may already have used it") && said.contains("ربما استخدمته"), "{said}");
    assert!(said.contains("Generate a new OTP"), "{said}");
    assert!(!said.contains(&otp), "the OTP is never echoed");

    let new_otp = simulator.admin().mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();
    let finished = run(home, &onboard_args(&new_otp).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(finished.status.success(), "{}", text(&finished));
    assert!(text(&finished).contains("Onboarded"));
    assert_eq!(state_column(home, "key_name").as_deref(), Some(key_before.as_str()), "the same key throughout");
    assert!(onboarding_row(home).contains("step=issued"));
}
