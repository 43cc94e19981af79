//! `fatoora-onboard diagnose` through the binary: each exit code its help
//! documents, on a real run. Healthy against the local simulator on
//! loopback, a problem at a closed loopback port and behind a black hole in
//! network namespaces the test makes, bad input, a report that cannot be
//! written; the HTML report read back with xmllint. No probe leaves the
//! machine: targets are addresses, the control site is off and proxy
//! variables are removed.

mod verdict_cli;

// Network namespaces exist on Linux only.
#[cfg(target_os = "linux")]
#[path = "../../diagnostics/tests/lab/namespaces.rs"]
#[allow(dead_code)] // the diagnostics lab's plumbing; this file uses part of it
mod namespaces;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

#[cfg(target_os = "linux")]
use verdict_cli::HtmlReport;
use verdict_cli::{BIN, assert_documents, fatoora, said};

/// `diagnose` of `url` with the given extra arguments, no control site.
fn diagnose(data_dir: &Path, url: &str, extra: &[&str]) -> Output {
    fatoora(data_dir).args(["diagnose", "--no-control", "--url", url]).args(extra).output().expect("the binary runs")
}

/// A port on loopback where nothing listens: connections are refused.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `fatoora-onboard simulator` on a loopback port; killed when dropped.
struct Simulator {
    process: Child,
    origin: String,
    ca: PathBuf,
}

impl Simulator {
    fn start(data_dir: &Path) -> Self {
        let mut process = Command::new(BIN)
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--json", "simulator", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("the simulator starts");
        // Its first line, written once it listens, says where.
        let mut first = String::new();
        BufReader::new(process.stdout.take().unwrap()).read_line(&mut first).unwrap();
        let info: serde_json::Value = serde_json::from_str(&first).unwrap_or_else(|e| panic!("{e}: {first:?}"));
        Simulator { process, origin: info["origin"].as_str().unwrap().to_owned(), ca: info["caCertPath"].as_str().unwrap().into() }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

#[test]
fn help_documents_the_exit_codes_these_tests_check() {
    assert_documents(&["diagnose"], &[(0, "healthy"), (1, "the command failed"), (2, "bad input"), (3, "a problem found")]);
}

#[test]
fn healthy_against_the_simulator_exits_0_with_a_self_contained_report() {
    let dir = tempfile::tempdir().unwrap();
    let simulator = Simulator::start(dir.path());
    let report = dir.path().join("report.html");
    let ca = simulator.ca.to_str().unwrap();
    let out = diagnose(dir.path(), &simulator.origin, &["--env", "local", "--ca-file", ca, "--report", report.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(stdout.contains("Verdict code (for tools and support): healthy"), "{stdout}");
    assert!(stdout.contains(&format!("HTML report: {}", report.display())), "{stdout}");

    assert!(std::fs::read_to_string(&report).unwrap().contains("<html"));
    // Linux-only: the page is read with Debian's xmllint, which the Windows run
    // under Wine cannot start; everywhere, it is written and is HTML.
    #[cfg(target_os = "linux")]
    {
        let Some(html) = HtmlReport::self_contained(&report) else { return };
        assert_eq!(html.verdict(), ("healthy".to_owned(), "good".to_owned()));
        assert_eq!(html.xpath("string(//section[contains(@class, 'verdict')]/p[@class = 'class'])"), "No problem found");
        let arabic = html.xpath("string(//section[contains(@class, 'verdict')]/div[@lang = 'ar']/h1)");
        assert!(arabic.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)), "Arabic verdict: {arabic:?}");
        assert!(html.xpath("string(//p[@class = 'meta'])").contains(&simulator.origin));
    }
}

#[test]
fn a_closed_loopback_port_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let out = diagnose(dir.path(), &format!("https://127.0.0.1:{}", closed_port()), &[]);
    assert_eq!(out.status.code(), Some(3), "{}", said(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Verdict code (for tools and support): tcp_refused"), "{}", said(&out));
}

#[test]
fn a_report_that_cannot_be_written_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("no-such-folder").join("report.html");
    let out = diagnose(dir.path(), &format!("https://127.0.0.1:{}", closed_port()), &["--report", report.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("writing the report to {}", report.display())), "{}", said(&out));
}

/// Packets to the gateway's port vanish (iptables DROP in the server
/// namespace): TCP times out, which loopback cannot show.
#[cfg(target_os = "linux")]
#[test]
fn a_black_hole_in_a_namespace_exits_3() {
    let Some((client, server)) = namespaces::network("a_black_hole_in_a_namespace_exits_3") else { return };
    server.exec(&["iptables", "-A", "INPUT", "-p", "tcp", "--dport", "443", "-j", "DROP"]).expect("iptables in the server namespace");
    let dir = tempfile::tempdir().unwrap();
    let url = format!("https://{}", namespaces::SERVER_IP);
    let out = verdict_cli::scrubbed(client.command(BIN), dir.path())
        .args(["diagnose", "--no-control", "--url", &url, "--timeout", "1"])
        .output()
        .expect("ip netns exec runs the binary");
    assert_eq!(out.status.code(), Some(3), "{}", said(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Verdict code (for tools and support): tcp_black_hole"), "{stdout}");
    assert!(stdout.contains("timed out (no answer)"), "{stdout}");
}

#[test]
fn bad_input_exits_2_naming_the_option_in_english_and_arabic() {
    let dir = tempfile::tempdir().unwrap();
    // Every case fails before any probe runs.
    let valid = "https://127.0.0.1:1";
    let cases: [(&[&str], &str); 5] = [
        (&["--url", "http://plain.example"], "--url"),
        (&["--url", valid, "--timeout", "0"], "--timeout"),
        (&["--url", valid, "--resolver", "nope"], "--resolver"),
        (&["--url", valid, "--control-url", "not-a-url"], "--control-url"),
        (&["--env", "local"], "--url"),
    ];
    for (args, option) in cases {
        let out = fatoora(dir.path()).arg("diagnose").args(args).output().expect("the binary runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", said(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut lines = stderr.lines();
        let (english, arabic) = (lines.next().unwrap_or_default(), lines.next().unwrap_or_default());
        assert!(english.starts_with("error: ") && english.contains(option), "{args:?}: {stderr}");
        assert!(arabic.starts_with('\u{200F}') && arabic.contains(option), "{args:?}: {stderr}");
        assert!(arabic.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)), "{args:?}: {stderr}");
    }
    // What clap refuses before the command runs is bad input too.
    let out = fatoora(dir.path()).args(["diagnose", "--timeout", "soon"]).output().expect("the binary runs");
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--timeout"), "{}", said(&out));
}
