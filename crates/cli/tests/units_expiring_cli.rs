//! `units --expiring SPAN --json` for scripts: the same report as
//! `batch expiring --within SPAN`, from CSIDs kept in the store.

use std::process::{Command, Output};

use chrono::{Duration, Utc};
use fatoora_base::{DataDir, Environment, Store};
use fatoora_units::state::{self, OnboardingState, Step};

const BIN: &str = env!("CARGO_BIN_EXE_fatoora-onboard");

fn run(home: &std::path::Path, args: &[&str]) -> Output {
    Command::new(BIN).args(args).env("FATOORA_ONBOARD_HOME", home).env("FATOORA_ONBOARD_SECRET_STORE", "file").env("FATOORA_ONBOARD_PASSPHRASE", "secrets file passphrase").output().unwrap()
}

#[test]
fn units_expiring_lists_the_csids_within_the_span_like_batch_expiring() {
    let home = tempfile::tempdir().unwrap();
    let store = Store::open(&DataDir::at(home.path())).unwrap();
    for (unit, days) in [("u-soon", 5), ("u-later", 100)] {
        let mut record = OnboardingState::new(unit, Environment::Local);
        record.step = Step::Issued;
        record.pcsid_expires_at = Some(Utc::now() + Duration::days(days));
        state::save(store.connection(), &record).unwrap();
    }
    drop(store);

    let units = run(home.path(), &["--json", "units", "--expiring", "30d"]);
    assert!(units.status.success(), "{}", String::from_utf8_lossy(&units.stderr));
    let listed: serde_json::Value = serde_json::from_slice(&units.stdout).unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["unitId"], "u-soon");
    assert_eq!(listed[0]["reminder"], 7);
    assert_eq!(listed[0]["daysLeft"], 4);

    let batch = run(home.path(), &["--json", "batch", "expiring", "--within", "30d"]);
    let batch: serde_json::Value = serde_json::from_slice(&batch.stdout).unwrap();
    assert_eq!(batch.as_array().unwrap().len(), 1);
    assert_eq!(batch[0]["unitId"], "u-soon");

    let wide = run(home.path(), &["--json", "units", "--expiring", "20w"]);
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&wide.stdout).unwrap().as_array().unwrap().len(), 2);

    let bad = run(home.path(), &["units", "--expiring", "3y"]);
    assert_eq!(bad.status.code(), Some(2));
    let message = String::from_utf8_lossy(&bad.stderr);
    assert!(message.contains("30d") && message.contains("مدة"), "{message}");

    let plain = run(home.path(), &["units"]);
    assert!(plain.status.success(), "`units` alone still lists: {}", String::from_utf8_lossy(&plain.stderr));
}
