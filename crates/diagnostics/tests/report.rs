//! The report forms and the live progress stream, on a real loopback run.

mod lab;

use fatoora_diagnostics::*;
use lab::*;

async fn blocked_run() -> Report {
    let lab = Lab::new().await;
    let gateway = lab.gateway(Answer::status(403).header("Server", "BigIP")).await;
    diagnose(&lab.by_name(gateway.port(), DnsBehaviour::Resolve(LOOPBACK)).await, None).await
}

#[tokio::test]
async fn json_is_versioned_and_carries_every_probe() {
    let report = blocked_run().await;
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["verdict"]["class"], "http_403");
    assert_eq!(json["verdict"]["problem"], true);
    assert!(json["verdict"]["headline"]["ar"].as_str().unwrap().contains("403"));
    assert_eq!(json["dns"][0]["outcome"], "resolved");
    assert_eq!(json["tcp"][0]["outcome"], "connected");
    assert_eq!(json["tls"][0]["offered"], "TLS1.3");
    assert_eq!(json["http"][0]["status"], 403);
    assert_eq!(json["http"][0]["route"], "direct");
    assert!(json["configuration"]["os"].as_str().is_some_and(|os| !os.is_empty()));
}

#[tokio::test]
async fn html_is_self_contained_with_the_verdict_first() {
    let report = blocked_run().await;
    let html = report.to_html();
    for external in ["<script", "<link", "src=", "url(", "@import", "http://"] {
        assert!(!html.contains(external), "the HTML report must not load anything: found {external:?}");
    }
    let verdict = html.find("class=\"verdict bad\" data-verdict=\"http_403\"").expect("verdict box");
    // Words for the reader, the verdict's id only for tools; no internal guesses.
    assert!(html.contains("<p class=\"class\">Problem found</p>") && !html.contains(">http_403<"));
    assert!(!html.contains("[guess") && html.contains("ZATCA does not document what a GET here answers"));
    let dns = html.find("<h2>DNS</h2>").expect("DNS section");
    assert!(verdict < dns, "the verdict comes before the evidence");
    assert!(html.contains("dir=\"rtl\" lang=\"ar\""));
    assert!(html.contains("server header: F5 BIG-IP"));
    // Every probe's timing is shown.
    assert!(html.matches(" ms</bdi></td>").count() >= report.tcp.len() + report.tls.len() + report.http.len());
}

#[tokio::test]
async fn html_saved_from_the_arabic_ui_is_arabic_around_evidence_kept_as_measured() {
    let report = blocked_run().await;
    let html = report.to_html_in(fatoora_base::i18n::Language::Ar);
    assert!(html.starts_with("<!DOCTYPE html><html lang=\"ar\" dir=\"rtl\">"), "{}", &html[..80]);
    // The Arabic verdict first, the English one after it, left to right.
    let arabic_step = html.find("الخطوة التالية:").expect("Arabic next step");
    let english = html.find("<div dir=\"ltr\" lang=\"en\">").expect("English verdict block");
    assert!(arabic_step < english && english < html.find("Next step:").unwrap());
    for heading in ["<h2>إعدادات هذا الجهاز</h2>", "<h2>نظام أسماء النطاقات (DNS)</h2>", "<th>الفحص</th>", "<th>الدليل</th>", "نظام التشغيل"] {
        assert!(html.contains(heading), "{heading} missing");
    }
    for english in ["<h2>Configuration</h2>", "<th>Probe</th>", "<th>Evidence</th>", ">Operating system<", "Target "] {
        assert!(!html.contains(english), "{english} left in the Arabic report");
    }
    // The evidence itself is what was measured, each cell in its own direction.
    assert!(html.contains("<td dir=\"auto\">HTTP 403</td>"));
    assert!(html.contains("server header: F5 BIG-IP"));
    assert!(html.contains(&format!("\u{2066}{}\u{2069}", report.target.origin)), "the target isolated left to right");
}

#[tokio::test]
async fn text_starts_with_the_verdict_in_both_languages() {
    let report = blocked_run().await;
    let text = report.to_text();
    let verdict_line = text.lines().position(|l| l.starts_with("RESULT: Problem found. ")).unwrap();
    assert!(text.lines().any(|l| l == "Verdict code (for tools and support): http_403"), "{text}");
    assert!(!text.contains("[http_403]"), "no bare token: {text}");
    let dns_line = text.lines().position(|l| l == "DNS").unwrap();
    assert!(verdict_line < dns_line);
    assert!(text.contains(&report.verdict.headline.ar));
    assert!(report.summary().contains(&report.verdict.next_step.en));
}

#[tokio::test]
async fn progress_reports_every_probe_start_and_finish() {
    let lab = Lab::new().await;
    let gateway = lab.gateway(Answer::status(405)).await;
    let options = lab.by_name(gateway.port(), DnsBehaviour::Resolve(LOOPBACK)).await;
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    let report = diagnose(&options, Some(sender)).await;
    let mut events = Vec::new();
    while let Ok(event) = receiver.try_recv() {
        events.push(event);
    }
    let finished = |probe: &str| {
        events.iter().any(|e| e.probe == probe && matches!(e.state, ProbeState::Finished { ok: true, .. }))
    };
    let started = |probe: &str| events.iter().any(|e| e.probe == probe && e.state == ProbeState::Started);
    let address = format!("127.0.0.1:{}", gateway.port());
    for probe in [
        "dns/user/A".to_owned(),
        format!("tcp/{address}"),
        format!("tls1.3/{address}"),
        format!("tls1.2/{address}"),
        "http/sandbox/direct".to_owned(),
        "http/simulation/direct".to_owned(),
        "http/production/direct".to_owned(),
        "control".to_owned(),
    ] {
        assert!(started(&probe) && finished(&probe), "{probe} missing from {events:#?}");
    }
    assert_eq!(report.verdict.class, VerdictClass::Healthy);
}

#[tokio::test]
async fn preflight_is_ready_only_when_healthy() {
    let lab = Lab::new().await;
    let healthy = lab.gateway(Answer::status(405)).await;
    let ready = preflight(&lab.by_address(healthy)).await;
    assert!(ready.ready);
    let closed = refused_port().await;
    let blocked = preflight(&lab.by_address(closed)).await;
    assert!(!blocked.ready);
    assert_eq!(blocked.verdict.class, VerdictClass::TcpRefused);
}

#[tokio::test]
async fn a_failed_request_is_reported_in_words_without_its_internal_kind() {
    let lab = Lab::new().await;
    let report = diagnose(&lab.by_address(refused_port().await), None).await;
    assert_eq!(report.verdict.class, VerdictClass::TcpRefused);
    for (html, failed_at) in [
        (report.to_html(), "failed at connection (TCP)"),
        (report.to_html_in(fatoora_base::i18n::Language::Ar), "فشل في مرحلة الاتصال (TCP)"),
    ] {
        assert!(html.contains(failed_at), "{html}");
        // No Rust variant name such as (Refused) or (TimedOut) beside it.
        assert!(!html.contains("(Refused)") && !html.contains("(TimedOut)"), "{html}");
    }
}
