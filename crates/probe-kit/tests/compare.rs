//! Laptop-vs-server verdicts. The laptop side is a real diagnosis run in
//! the diagnostics lab (loopback only) and read back from its JSON; the
//! server side is JSON shaped as probe.php writes it (tests/php_page.rs
//! shows the page writes exactly these outcomes).

#[path = "../../diagnostics/tests/lab/mod.rs"]
mod lab;

use fatoora_diagnostics::{VerdictClass, diagnose};
use fatoora_probe_kit::{ComparisonClass, ImportedRun, compare, comparison_html};
use lab::{Answer, Lab, LabCa};
use serde_json::{Value, json};

fn import(value: &Value) -> ImportedRun {
    ImportedRun::from_json(&value.to_string(), "test").unwrap()
}

/// A probe.php result for two gateway addresses.
fn server(tcp: &str, tls: Value, status: Option<u16>, control_ok: bool) -> ImportedRun {
    let addresses = ["203.0.113.10:443", "203.0.113.11:443"];
    let http = |url: &str| match status {
        Some(status) => json!({"url": url, "route": "direct", "outcome": "answered", "status": status, "elapsed_ms": 210}),
        None => json!({"url": url, "route": "direct", "outcome": "failed", "stage": "tcp", "kind": "timed_out", "detail": "Connection timed out", "elapsed_ms": 10000}),
    };
    let control = if control_ok {
        json!({"url": "https://www.google.com/", "route": "direct", "outcome": "answered", "status": 200, "elapsed_ms": 40})
    } else {
        json!({"url": "https://www.google.com/", "route": "direct", "outcome": "failed", "stage": "tcp", "kind": "timed_out", "detail": "timed out", "elapsed_ms": 10000})
    };
    import(&json!({
        "schema_version": 1, "tool": "fatoora-onboard probe.php", "source": "php",
        "target": {"host": "gw-fatoora.zatca.gov.sa", "port": 443},
        "dns": [{"record": "A", "outcome": "resolved", "addresses": ["203.0.113.10", "203.0.113.11"], "elapsed_ms": 3}],
        "tcp": addresses.iter().map(|a| json!({"address": a, "outcome": tcp, "elapsed_ms": 120})).collect::<Vec<_>>(),
        "tls": tls,
        "http": [http("https://gw-fatoora.zatca.gov.sa/e-invoicing/core/compliance")],
        "control": control,
        "degraded": []
    }))
}

fn trusted_tls() -> Value {
    json!([{"address": "203.0.113.10:443", "offered": "TLS1.2", "outcome": "established", "trusted": true, "chain": [], "elapsed_ms": 150}])
}

async fn local_run(options: fatoora_diagnostics::DiagnoseOptions) -> ImportedRun {
    let report = diagnose(&options, None).await;
    ImportedRun::from_json(&report.to_json(), "local.json").unwrap()
}

async fn healthy_laptop() -> ImportedRun {
    let lab = Lab::new().await;
    let gateway = lab.gateway(Answer::status(405)).await;
    let run = local_run(lab.by_address(gateway)).await;
    assert_eq!(run.class(), VerdictClass::Healthy);
    run
}

#[tokio::test]
async fn both_fine() {
    let local = healthy_laptop().await;
    let server = server("connected", trusted_tls(), Some(405), true);
    let c = compare(&local, &server);
    assert_eq!(c.class, ComparisonClass::BothFine);
    assert!(c.headline.en.contains("from the server ZATCA answers in 210 ms"), "{}", c.headline.en);
    assert!(c.headline.ar.contains("تستجيب الهيئة"));
}

#[tokio::test]
async fn laptop_fine_server_blocked_names_the_servers_path() {
    let local = healthy_laptop().await;
    let server = server("timed_out", json!([]), None, true);
    assert_eq!(server.class(), VerdictClass::TcpBlackHole);
    let c = compare(&local, &server);
    assert_eq!(c.class, ComparisonClass::ServerPathBlocked);
    assert!(c.headline.en.starts_with("From your laptop ZATCA answers in "), "{}", c.headline.en);
    assert!(
        c.headline.en.ends_with("from the server TCP times out on all 2 address(es): the block is on the server's path."),
        "{}",
        c.headline.en
    );
    assert!(c.headline.ar.contains("الحظر في الطريق من الخادم"));
    assert!(c.next_step.en.contains("hosting provider"));

    let html = comparison_html(&c, &local, &server);
    assert!(html.contains("the block is on the server&#39;s path"));
    assert!(html.contains("From this machine (laptop)") && html.contains("From the server"));
    assert!(html.contains("TCP 203.0.113.11:443"), "the server's run is in the report");
    // The probe's stage token in the app's words, never the token itself.
    assert!(html.contains("failed at connection (TCP): Connection timed out"), "{html}");
    assert!(!html.contains("failed at tcp"));
    assert!(html.contains("default-src 'none'") && !html.contains("src=\"http"), "self-contained");
}

#[tokio::test]
async fn server_fine_laptop_behind_an_intercepting_proxy() {
    let lab = Lab::new().await;
    let interceptor = LabCa::new("Corporate TLS Inspection CA");
    let gateway = lab::https_server(interceptor.server_config(rustls::DEFAULT_VERSIONS), Answer::status(405)).await;
    let local = local_run(lab.by_address(gateway)).await;
    let server = server("connected", trusted_tls(), Some(405), true);
    let c = compare(&local, &server);
    assert_eq!(c.local, VerdictClass::UntrustedChain);
    assert_eq!(c.class, ComparisonClass::LaptopIntercepted);
    assert!(c.headline.en.contains("Corporate TLS Inspection CA"), "{}", c.headline.en);
    assert!(c.headline.en.contains("intercepts HTTPS"));
}

#[tokio::test]
async fn both_fail_at_zatca() {
    let lab = Lab::new().await;
    let gateway = lab.gateway(Answer::status(503)).await;
    let local = local_run(lab.by_address(gateway)).await;
    let server = server("connected", trusted_tls(), Some(503), true);
    let c = compare(&local, &server);
    assert_eq!((c.local, c.server), (VerdictClass::Http5xx, VerdictClass::Http5xx));
    assert_eq!(c.class, ComparisonClass::BothFailZatca);
    assert!(c.headline.en.contains("ZATCA fails from both places"));
}

#[tokio::test]
async fn both_fail_without_internet() {
    let lab = Lab::new().await;
    let dead = lab::refused_port().await;
    let mut options = lab.by_address(dead);
    options.control_url = Some(format!("https://127.0.0.1:{}/", lab::refused_port().await.port()));
    let local = local_run(options).await;
    let server = server("timed_out", json!([]), None, false);
    let c = compare(&local, &server);
    assert_eq!((c.local, c.server), (VerdictClass::NoInternet, VerdictClass::NoInternet));
    assert_eq!(c.class, ComparisonClass::BothFailInternet);
    assert!(c.headline.en.contains("neither machine reaches the wider internet"));
}

#[test]
fn a_foreign_json_file_is_refused_with_its_name() {
    let error = ImportedRun::from_json(r#"{"tool": "something else", "target": {"host": "x", "port": 1}}"#, "server.json").unwrap_err();
    assert!(error.to_string().starts_with("server.json is not a probe result"), "{error}");
    assert!(error.to_string().ends_with(r#"it was written by "something else"."#), "{error}");
    assert!(error.explain().ar.contains("server.json"));
    // serde's own words ("missing field `tool` at line 1 column 18") stay out of the message.
    let foreign = ImportedRun::from_json(r#"{"target": {"host": "x"}}"#, "server.json").unwrap_err().explain();
    assert!(foreign.en.ends_with("it is JSON, but not in the form of a probe result."), "{}", foreign.en);
    assert!(foreign.ar.ends_with("هو نص JSON لكن ليس بصيغة نتيجة فحص."), "{}", foreign.ar);
    let cut = ImportedRun::from_json(r#"{"tool": "fatoora"#, "server.json").unwrap_err().explain();
    assert!(cut.en.ends_with("it is not complete JSON (cut short, or not JSON at all)."), "{}", cut.en);
    for said in [&foreign.en, &foreign.ar, &cut.en, &cut.ar] {
        assert!(!said.contains("missing field") && !said.contains("line 1"), "{said}");
    }
}
