//! Every file the CLI reads from the user is read through a cap: a file
//! over it is refused, naming the kind of file, the path and the limit in
//! English and Arabic, before it is read and before the data folder is
//! touched. The big files are sparse (their length set, nothing written),
//! except one piped on standard input, which shows the cap holds while
//! reading where there is no length to check first.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_fatoora-onboard");
const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

fn command(data_dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("FATOORA_ONBOARD_SECRET_STORE", "file")
        .env("FATOORA_ONBOARD_PASSPHRASE", "cli-test-passphrase-1234")
        .env_remove("FATOORA_ONBOARD_BACKUP_PASSPHRASE");
    command
}

fn run(data_dir: &Path, args: &[&str]) -> Output {
    command(data_dir, args).output().unwrap()
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// A file one byte over `cap`, without writing its bytes.
fn oversized(dir: &Path, name: &str, cap: u64) -> PathBuf {
    let path = dir.join(name);
    std::fs::File::create(&path).unwrap().set_len(cap + 1).unwrap();
    path
}

/// The refusal names the file's kind in both languages, its path and the
/// limit, and the command exits with `code`.
fn assert_refused(output: &Output, code: i32, en: &str, ar: &str, path: &Path, limit: &str) {
    let text = text(output);
    assert_eq!(output.status.code(), Some(code), "{text}");
    assert!(text.contains(&format!("The {en} {}", path.display())), "kind and path in English: {text}");
    assert!(text.contains(ar) && text.contains("يتجاوز الحد المسموح"), "kind and refusal in Arabic: {text}");
    assert_eq!(text.matches(limit).count(), 2, "the limit {limit} in both languages: {text}");
}

fn assert_untouched(data_dir: &Path) {
    assert!(!data_dir.exists(), "the data folder was created for a refused file");
}

#[test]
fn csr_lint_new_and_its_key_and_sdk_config() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");

    let csr = oversized(tmp.path(), "huge.csr", 64 * KIB);
    assert_refused(&run(&data, &["csr", "lint", csr.to_str().unwrap()]), 2, "CSR file", "ملف طلب توقيع الشهادة (CSR)", &csr, "64 KiB");

    let key = oversized(tmp.path(), "huge.key", 64 * KIB);
    let imported = run(&data, &["csr", "new", "--env", "local", "--vat", "399999999900003", "--import-key", key.to_str().unwrap()]);
    assert_refused(&imported, 2, "key file", "ملف المفتاح", &key, "64 KiB");

    let config = oversized(tmp.path(), "huge.properties", 64 * KIB);
    let from_config = run(&data, &["csr", "new", "--env", "local", "--from-sdk-config", config.to_str().unwrap()]);
    assert_refused(&from_config, 2, "SDK CSR config file", "ملف إعدادات CSR الخاص بحزمة SDK", &config, "64 KiB");
    assert_untouched(&data);
}

#[test]
fn csr_lint_from_standard_input_is_cut_at_the_cap() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut child = command(&data, &["csr", "lint", "-"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // More than the cap; the CLI stops reading after it, so a broken pipe is expected.
    let _ = stdin.write_all(&vec![b'A'; (64 * KIB + 1) as usize]);
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    let text = text(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains("The CSR file is larger than 64 KiB") && text.contains("ملف طلب توقيع الشهادة (CSR)"), "{text}");
}

#[test]
fn import_units_refuses_a_csv_over_the_cap_and_imports_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let csv = oversized(tmp.path(), "units.csv", 8 * MIB);
    let refused = run(&data, &["import-units", csv.to_str().unwrap(), "--env", "local"]);
    assert_refused(&refused, 2, "unit CSV file", "ملف الوحدات بصيغة CSV", &csv, "8 MiB");
    assert_untouched(&data);
    let listed = run(&data, &["--json", "units", "list"]);
    assert!(listed.status.success(), "{}", text(&listed));
    assert_eq!(String::from_utf8_lossy(&listed.stdout).trim(), "[]", "nothing imported");
}

#[test]
fn probe_kit_compare_refuses_a_report_over_the_cap() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let report = oversized(tmp.path(), "server.json", 4 * MIB);
    let refused = run(&data, &["probe-kit", "compare", "--server", report.to_str().unwrap(), "--local", report.to_str().unwrap()]);
    assert_refused(&refused, 2, "diagnostics report", "تقرير التشخيص", &report, "4 MiB");
    assert_untouched(&data);
}

#[test]
fn compliance_docs_refuses_a_config_or_certificate_over_the_cap() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = tmp.path().join("docs");
    let huge_config = oversized(tmp.path(), "huge.properties", 64 * KIB);
    let huge_cert = oversized(tmp.path(), "huge.pem", 64 * KIB);
    let key = tmp.path().join("unused.key");

    let docs = |config: &Path, cert: &Path| {
        run(&data, &["compliance-docs", "--from-sdk-config", config.to_str().unwrap(), "--cert", cert.to_str().unwrap(), "--key", key.to_str().unwrap(), "--out", out.to_str().unwrap()])
    };
    assert_refused(&docs(&huge_config, &huge_cert), 2, "SDK CSR config file", "ملف إعدادات CSR الخاص بحزمة SDK", &huge_config, "64 KiB");

    let config = tmp.path().join("csr-config.properties");
    std::fs::write(
        &config,
        "csr.common.name=TST-886431145-399999999900003\ncsr.serial.number=1-TST|2-TST|3-ed22f1d8\ncsr.organization.identifier=399999999900003\n\
         csr.organization.unit.name=Riyadh Branch\ncsr.organization.name=Maximum Speed Tech Supply LTD\ncsr.country.name=SA\n\
         csr.invoice.type=1100\ncsr.location.address=RRRD2929\ncsr.industry.business.category=Supply activities\n",
    )
    .unwrap();
    assert_refused(&docs(&config, &huge_cert), 2, "certificate file", "ملف الشهادة", &huge_cert, "64 KiB");
    assert!(!out.exists(), "no document written");
    assert_untouched(&data);
}

#[test]
fn batch_onboard_refuses_an_otp_list_over_the_cap() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let list = oversized(tmp.path(), "otps.txt", MIB);
    let refused = run(&data, &["batch", "onboard", "--otps", list.to_str().unwrap(), "--env", "local", "--otp-age", "1"]);
    assert_refused(&refused, 2, "OTP list", "قائمة رموز التحقق (OTP)", &list, "1 MiB");
    assert_untouched(&data);
}

#[test]
fn backup_refuses_a_passphrase_file_over_the_cap_and_writes_no_backup() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let passphrase = oversized(tmp.path(), "passphrase.txt", 64 * KIB);
    let backup = tmp.path().join("all.fobak");
    let refused = run(&data, &["backup", "--to", backup.to_str().unwrap(), "--passphrase-file", passphrase.to_str().unwrap()]);
    assert_refused(&refused, 1, "passphrase file", "ملف عبارة المرور", &passphrase, "64 KiB");
    assert!(!backup.exists());
    assert_untouched(&data);
}

#[test]
fn diagnose_refuses_a_ca_file_over_the_cap_before_probing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let ca = oversized(tmp.path(), "ca.pem", 4 * MIB);
    // Loopback only and no control site, so even a regression sends nothing off this machine.
    let refused = run(&data, &["diagnose", "--env", "local", "--url", "https://127.0.0.1:9", "--no-control", "--ca-file", ca.to_str().unwrap()]);
    assert_refused(&refused, 2, "CA certificate file", "ملف شهادة جهة التصديق", &ca, "4 MiB");
}
