//! The PHP probe page under Debian's php-cli built-in web server, against
//! the diagnostics lab's loopback servers (reused from its tests, not
//! copied). Skips with a reason when php is not installed
//! (`apt-get install -y php-cli`, also in scripts/install-deps.sh).

// Linux-only: the pages run under Debian's php-cli, which the Windows check
// (scripts/test-windows.sh) does not have under Wine.
#![cfg(target_os = "linux")]

#[path = "../../diagnostics/tests/lab/mod.rs"]
mod lab;
mod php;

use std::net::SocketAddr;

use fatoora_diagnostics::VerdictClass;
use fatoora_probe_kit::{PhpProbeOptions, generate};
use lab::{Answer, Lab, LabCa};
use php::{PhpServer, php_available};

fn options(lab: &Lab, gateway: SocketAddr) -> PhpProbeOptions {
    PhpProbeOptions {
        host: gateway.ip().to_string(),
        port: gateway.port(),
        control_url: Some(format!("https://127.0.0.1:{}/", lab.control.port())),
        timeout_secs: 3.0,
        ..PhpProbeOptions::gateway()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn healthy_gateway_is_healthy_with_every_probe_reported() {
    if !php_available("healthy_gateway") {
        return;
    }
    let lab = Lab::new().await;
    let gateway = lab.gateway(Answer::status(405)).await;
    let probe = generate(&options(&lab, gateway));
    let php = PhpServer::start(&probe.source, &lab.ca, &[]);
    let run = php.run(&probe.token);
    assert_eq!(run.class(), VerdictClass::Healthy, "{}", run.raw);
    assert!(run.is_php());
    assert_eq!(run.tcp.len(), 1);
    assert_eq!(run.tcp[0].outcome, "connected");
    let offered: Vec<&str> = run.tls.iter().map(|t| t.offered.as_str()).collect();
    assert_eq!(offered, ["TLS1.3", "TLS1.2"]);
    assert!(run.tls.iter().all(|t| t.trusted == Some(true)), "{}", run.raw);
    assert_eq!(run.http.len(), 3);
    assert!(run.http.iter().all(|h| h.status == Some(405)));
    assert_eq!(run.control.as_ref().and_then(|c| c.status), Some(200));
    let json: serde_json::Value = serde_json::from_str(&run.raw).unwrap();
    assert!(json["clock"]["skew_seconds"].is_i64(), "the Date header is compared: {}", run.raw);
    assert!(json["configuration"]["openssl"].as_str().unwrap().contains("OpenSSL"));
    assert!(json["outbound_ip"].is_null(), "the echo service is off by default");

    let (status, page) = php.get(&format!("/probe.php?token={}", probe.token));
    assert_eq!(status, 200);
    assert!(page.contains("Delete this file"), "{page}");
    assert!(page.contains("&quot;schema_version&quot;"), "the JSON is on the readable page too");
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_ca_is_an_untrusted_chain_naming_the_issuer() {
    if !php_available("unknown_ca") {
        return;
    }
    let lab = Lab::new().await;
    let interceptor = LabCa::new("Corporate TLS Inspection CA");
    let gateway = lab::https_server(interceptor.server_config(rustls::DEFAULT_VERSIONS), Answer::status(405)).await;
    let probe = generate(&options(&lab, gateway));
    let run = PhpServer::start(&probe.source, &lab.ca, &[]).run(&probe.token);
    assert_eq!(run.class(), VerdictClass::UntrustedChain, "{}", run.raw);
    assert!(run.untrusted_issuer().unwrap().contains("Corporate TLS Inspection CA"), "{}", run.raw);
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_port_is_tcp_refused_while_the_control_site_answers() {
    if !php_available("refused_port") {
        return;
    }
    let lab = Lab::new().await;
    let gateway = lab::refused_port().await;
    let probe = generate(&options(&lab, gateway));
    let run = PhpServer::start(&probe.source, &lab.ca, &[]).run(&probe.token);
    assert_eq!(run.tcp[0].outcome, "refused", "{}", run.raw);
    assert_eq!(run.class(), VerdictClass::TcpRefused);
}

#[tokio::test(flavor = "multi_thread")]
async fn waf_403_is_named() {
    if !php_available("waf_403") {
        return;
    }
    let lab = Lab::new().await;
    let gateway = lab.gateway(Answer::status(403).header("X-Iinfo", "lab")).await;
    let probe = generate(&options(&lab, gateway));
    let run = PhpServer::start(&probe.source, &lab.ca, &[]).run(&probe.token);
    assert_eq!(run.class(), VerdictClass::Http403, "{}", run.raw);
}

#[tokio::test(flavor = "multi_thread")]
async fn disabled_functions_degrade_with_a_named_reason() {
    if !php_available("disabled_functions") {
        return;
    }
    let lab = Lab::new().await;
    let probe = generate(&PhpProbeOptions { host: "localhost".to_owned(), ..options(&lab, lab.control) });
    let php = PhpServer::start(&probe.source, &lab.ca, &["disable_functions=dns_get_record,stream_socket_client"]);
    let run = php.run(&probe.token);
    let named: Vec<(&str, &str)> = run.degraded.iter().map(|d| (d.function.as_str(), d.reason.as_str())).collect();
    assert!(named.contains(&("dns_get_record", "disabled by disable_functions in php.ini")), "{}", run.raw);
    assert!(named.contains(&("stream_socket_client", "disabled by disable_functions in php.ini")), "{}", run.raw);
    assert_eq!(run.dns[0].outcome, "resolved", "fell back to gethostbynamel: {}", run.raw);
    assert!(run.tcp.is_empty() && run.tls.is_empty() && run.http.is_empty());
    assert_eq!(run.class(), VerdictClass::Inconclusive);
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_or_missing_token_gets_403_and_runs_nothing() {
    if !php_available("wrong_token") {
        return;
    }
    let lab = Lab::new().await;
    // A plain listener as the gateway: any probe would leave a connection in its queue.
    let gateway = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    gateway.set_nonblocking(true).unwrap();
    let probe = generate(&options(&lab, gateway.local_addr().unwrap()));
    let php = PhpServer::start(&probe.source, &lab.ca, &[]);
    for query in ["", "?token=", "?token=0123456789abcdef0123456789abcdef&format=json", "?token[]=x"] {
        let (status, body) = php.get(&format!("/probe.php{query}"));
        assert_eq!(status, 403, "{query}: {body}");
        assert_eq!(body, "403 Forbidden\n");
    }
    assert_eq!(gateway.accept().unwrap_err().kind(), std::io::ErrorKind::WouldBlock, "nothing was probed");
}
