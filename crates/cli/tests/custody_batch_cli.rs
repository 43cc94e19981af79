//! import-units, backup, restore and export through the binary: exit codes
//! 0/2, messages in both languages, a refused restore leaves the data
//! folder byte for byte as it was.

use std::path::Path;
use std::process::Output;


mod binary;

use binary::said as text;

fn run(home: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    binary::fatoora_onboard(home)
        .args(args)
        .env_remove("FATOORA_ONBOARD_BACKUP_PASSPHRASE")
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

#[test]
fn import_backup_restore_through_the_binary() {
    let tmp = tempfile::tempdir().unwrap();
    let (first, second) = (tmp.path().join("first"), tmp.path().join("second"));

    let template = run(&first, &[], &["import-units", "--template"]);
    assert!(template.status.success());
    let mut csv = String::from_utf8(template.stdout).unwrap();
    csv.push_str("Bad Co,12345,Branch,TST-2,1-a|2-b|3-c,1100,RRRD2929,Retail,SA\n");
    let file = tmp.path().join("units.csv");
    std::fs::write(&file, &csv).unwrap();

    let refused = run(&first, &[], &["import-units", file.to_str().unwrap(), "--env", "local"]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(text(&refused).contains("line 3, column vat_number") && text(&refused).contains("السطر 3"));
    let listed = run(&first, &[], &["--json", "units", "list"]);
    assert_eq!(String::from_utf8_lossy(&listed.stdout).trim(), "[]", "nothing imported");

    let partial = run(&first, &[], &["import-units", file.to_str().unwrap(), "--env", "local", "--valid-rows-only"]);
    assert!(partial.status.success(), "{}", text(&partial));
    assert!(text(&partial).contains("1 unit(s) imported"));

    let backup_file = tmp.path().join("all.fobak");
    let passphrase = [("FATOORA_ONBOARD_BACKUP_PASSPHRASE", "backup passphrase 2026")];
    let made = run(&first, &passphrase, &["backup", "--to", backup_file.to_str().unwrap()]);
    assert!(made.status.success(), "{}", text(&made));

    let restored = run(&second, &passphrase, &["restore", "--from", backup_file.to_str().unwrap()]);
    assert!(restored.status.success(), "{}", text(&restored));
    let database = second.join("fatoora-onboard.sqlite3");
    let before = std::fs::read(&database).unwrap();
    let wrong = run(&second, &[("FATOORA_ONBOARD_BACKUP_PASSPHRASE", "not the passphrase")], &["restore", "--from", backup_file.to_str().unwrap(), "--replace"]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(text(&wrong).contains("Nothing was restored") && text(&wrong).contains("لم يُستعد"));
    assert_eq!(std::fs::read(&database).unwrap(), before);
    let again = run(&second, &passphrase, &["restore", "--from", backup_file.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2), "a folder with units is not overwritten without --replace");

    let unconfirmed = run(&second, &[], &["export", "TST-886431145-399999999900003", "--out", tmp.path().join("x").to_str().unwrap()]);
    assert_eq!(unconfirmed.status.code(), Some(2));
    assert!(text(&unconfirmed).contains("--i-understand") && !tmp.path().join("x").exists());
}
