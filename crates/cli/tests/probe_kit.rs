//! `fatoora-onboard probe-kit`: the page it writes is valid PHP carrying the
//! token it prints; `compare` exits 3 and writes both runs when the server
//! is blocked, 2 for a file that is not a probe result.

use std::process::Command;

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
    match Command::new("php").arg("-l").arg(&page).output() {
        Ok(lint) => assert!(lint.status.success(), "{}", String::from_utf8_lossy(&lint.stdout)),
        Err(_) => fatoora_core::skip::skip("php -l: php is not installed (apt-get install php-cli)"),
    }
    let out = cli().args(["probe-kit", "php", "--url", "http://plain.example", "--out"]).arg(&page).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("must start with https://"));
}

#[test]
fn compare_names_the_servers_path_and_writes_both_runs() {
    let dir = tempfile::tempdir().unwrap();
    let run = |tcp: &str, http: &str| {
        format!(
            r#"{{"tool":"fatoora-onboard probe.php","source":"php","target":{{"host":"gw-fatoora.zatca.gov.sa","port":443}},
            "dns":[{{"record":"A","outcome":"resolved","addresses":["203.0.113.10"]}}],
            "tcp":[{{"address":"203.0.113.10:443","outcome":"{tcp}","elapsed_ms":30}}],{http}
            "control":{{"url":"https://c.example/","outcome":"answered","status":200,"elapsed_ms":5}}}}"#
        )
    };
    let local = dir.path().join("local.json");
    let server = dir.path().join("server.json");
    let report = dir.path().join("both.html");
    std::fs::write(&local, run("connected", r#""tls":[{"address":"203.0.113.10:443","offered":"TLS1.2","outcome":"established","trusted":true,"elapsed_ms":40}],"http":[{"url":"https://g/","outcome":"answered","status":405,"elapsed_ms":180}],"#)).unwrap();
    std::fs::write(&server, run("timed_out", "")).unwrap();
    let out = cli().args(["probe-kit", "compare", "--server"]).arg(&server).arg("--local").arg(&local).arg("--report").arg(&report).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(3), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("From your laptop ZATCA answers in 180 ms; from the server TCP times out"), "{stdout}");
    assert!(stdout.contains("the block is on the server's path"));
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.contains("From the server") && html.contains("From this machine"));

    std::fs::write(&server, r#"{"tool":"other","target":{"host":"x","port":1}}"#).unwrap();
    let out = cli().args(["probe-kit", "compare", "--server"]).arg(&server).arg("--local").arg(&local).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a probe result"));
}
