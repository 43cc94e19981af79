//! `fatoora-onboard probe-kit`: the page it writes is valid PHP carrying the
//! token it prints; `compare` exits as its help documents: 0 when both
//! sides reach ZATCA, 3 when the server is blocked, 2 for a file that is
//! not a probe result, 1 when the report cannot be written; its report
//! (both runs) read back with xmllint.

mod verdict_cli;

use std::path::Path;
use std::process::{Command, Output};

#[cfg(target_os = "linux")]
use verdict_cli::HtmlReport;
use verdict_cli::{assert_documents, said};

fn cli() -> Command {
    Command::new(env!("CARGO_BIN_EXE_fatoora-onboard"))
}

#[test]
fn php_page_is_written_with_the_printed_token() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("probe.php");
    let out = cli().args(["probe-kit", "php", "--out"]).arg(&page).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.split("?token=").nth(1).unwrap().split_whitespace().next().unwrap();
    assert_eq!(token.len(), 32);
    let source = std::fs::read_to_string(&page).unwrap();
    assert!(source.starts_with("<?php"));
    assert!(stdout.contains("Delete probe.php"));
    // Linux-only: Debian's php, which the Windows run under Wine cannot start.
    #[cfg(target_os = "linux")]
    match Command::new("php").arg("-l").arg(&page).output() {
        Ok(lint) => assert!(lint.status.success(), "{}", String::from_utf8_lossy(&lint.stdout)),
        Err(_) => fatoora_base::skip::skip("php -l: php is not installed (apt-get install php-cli)"),
    }
    let out = cli().args(["probe-kit", "php", "--url", "http://plain.example", "--out"]).arg(&page).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("must start with https://"));
}

/// A probe result as probe.php writes it: one address whose TCP connect
/// ends in `tcp`, then `reached` (the TLS and HTTP probes, if any).
fn probe_json(tcp: &str, reached: &str) -> String {
    format!(
        r#"{{"tool":"fatoora-onboard probe.php","source":"php","target":{{"host":"gw-fatoora.zatca.gov.sa","port":443}},
        "dns":[{{"record":"A","outcome":"resolved","addresses":["203.0.113.10"]}}],
        "tcp":[{{"address":"203.0.113.10:443","outcome":"{tcp}","elapsed_ms":30}}],{reached}
        "control":{{"url":"https://c.example/","outcome":"answered","status":200,"elapsed_ms":5}}}}"#
    )
}

/// ZATCA reached: a trusted TLS 1.2 handshake and an HTTP answer in 180 ms.
fn reaches_zatca() -> String {
    probe_json(
        "connected",
        r#""tls":[{"address":"203.0.113.10:443","offered":"TLS1.2","outcome":"established","trusted":true,"elapsed_ms":40}],"http":[{"url":"https://g/","outcome":"answered","status":405,"elapsed_ms":180}],"#,
    )
}

/// `probe-kit compare` of the two runs (written to files in `dir`) with
/// `extra` arguments. Both runs are given, so nothing is probed.
fn compare(dir: &Path, local: &str, server: &str, extra: &[&str]) -> Output {
    let (local_path, server_path) = (dir.join("local.json"), dir.join("server.json"));
    std::fs::write(&local_path, local).unwrap();
    std::fs::write(&server_path, server).unwrap();
    cli().args(["probe-kit", "compare", "--server"]).arg(&server_path).arg("--local").arg(&local_path).args(extra).output().unwrap()
}

#[test]
fn compare_help_documents_the_exit_codes_these_tests_check() {
    let documented = [(0, "both sides reach ZATCA"), (1, "the command failed"), (2, "bad input"), (3, "either side does not reach ZATCA")];
    assert_documents(&["probe-kit", "compare"], &documented);
}

#[test]
fn compare_exits_0_when_both_sides_reach_zatca() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("both.html");
    let out = compare(dir.path(), &reaches_zatca(), &reaches_zatca(), &["--report", report.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(std::fs::read_to_string(&report).unwrap().contains("<html"));
    // Linux-only: the page is read with Debian's xmllint, which the Windows run
    // under Wine cannot start; everywhere, it is written and is HTML.
    #[cfg(target_os = "linux")]
    {
        let Some(html) = HtmlReport::self_contained(&report) else { return };
        assert_eq!(html.verdict(), ("both_fine".to_owned(), "good".to_owned()));
    }
}

#[test]
fn compare_names_the_servers_path_and_writes_both_runs() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("both.html");
    let out = compare(dir.path(), &reaches_zatca(), &probe_json("timed_out", ""), &["--report", report.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{}", said(&out));
    assert!(stdout.contains("From your laptop ZATCA answers in 180 ms; from the server TCP times out"), "{stdout}");
    assert!(stdout.contains("the block is on the server's path"));
    assert!(std::fs::read_to_string(&report).unwrap().contains("<html"));
    // Linux-only: the page is read with Debian's xmllint, which the Windows run
    // under Wine cannot start; everywhere, it is written and is HTML.
    #[cfg(target_os = "linux")]
    {
        let Some(html) = HtmlReport::self_contained(&report) else { return };
        assert_eq!(html.verdict(), ("server_path_blocked".to_owned(), "bad".to_owned()));
        assert_eq!(html.xpath("count(//h2[. = 'From the server' or starts-with(., 'From this machine')])"), "2");
    }
}

#[test]
fn compare_exits_2_for_a_file_that_is_not_a_probe_result() {
    let dir = tempfile::tempdir().unwrap();
    let out = compare(dir.path(), &reaches_zatca(), r#"{"tool":"other","target":{"host":"x","port":1}}"#, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a probe result"), "{}", said(&out));
}

#[test]
fn compare_exits_1_when_the_report_cannot_be_written() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("no-such-folder").join("both.html");
    let out = compare(dir.path(), &reaches_zatca(), &reaches_zatca(), &["--report", report.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("writing {}", report.display())), "{}", said(&out));
}
