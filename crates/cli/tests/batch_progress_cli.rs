//! `batch onboard` as an accountant reads it: a line per unit on stderr as
//! each one ends ("[k/N] unit: ..."), in both languages, then the report.

// Linux-only with the soak's lab, whose store is read with Debian's sqlite3.
#![cfg(target_os = "linux")]

mod binary;
mod soak;

use fatoora_base::Environment;
use fatoora_simulator::OtpPurpose;
use soak::{Lab, VAT, text};

#[tokio::test(flavor = "multi_thread")]
async fn each_unit_is_reported_as_it_ends() {
    let mut lab = Lab::new().await;
    let units = lab.import_units(4);
    let admin = lab.simulator.admin();
    // The last unit's OTP was never minted: the gateway refuses it.
    let otps: Vec<String> = (0..3).map(|_| admin.mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap()).chain(["000000".to_owned()]).collect();
    let list = lab.file("otps.txt");
    std::fs::write(&list, units.iter().zip(&otps).map(|(unit, otp)| format!("{},{otp}\n", unit.id)).collect::<String>()).unwrap();

    let run = lab.run(&["batch", "onboard", "--otps", list.to_str().unwrap(), "--env", "local", "--otp-age", "1"]);
    assert_eq!(run.status.code(), Some(1), "one unit failed: {}", text(&run));
    let stderr = String::from_utf8_lossy(&run.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|line| line.starts_with('[')).collect();
    assert_eq!(lines.len(), units.len(), "a line per unit: {stderr}");
    for (index, line) in lines.iter().enumerate() {
        assert!(line.starts_with(&format!("[{}/4] ", index + 1)), "counted in order: {stderr}");
    }
    for (position, unit) in units.iter().enumerate() {
        let line = lines.iter().find(|line| line.contains(&format!("] {}: ", unit.id))).unwrap_or_else(|| panic!("no line for {}: {stderr}", unit.id));
        if position < 3 {
            assert!(line.contains("production CSID issued") && line.contains("صدرت شهادة الإنتاج"), "{line}");
        } else {
            assert!(line.contains("FAILED") && line.contains("فشل الربط"), "{line}");
        }
    }
    let report = String::from_utf8_lossy(&run.stdout);
    assert!(report.contains("3 issued, 0 already onboarded, 1 failed"), "{report}");
}
