//! The PHP probe page against the network-namespace lab: what loopback
//! cannot show (packets silently dropped) and servers that misbehave at the
//! TLS layer, each turned by the importer into the verdict the laptop's
//! diagnosis would give.
//!
//! Two namespaces made by each test, joined by a veth pair: `php -S` runs
//! in the client one (its only interfaces are its own loopback and
//! 10.77.0.1/30, with no default route, so the page cannot reach anything
//! but the server namespace), the gateway, a firewall and the control site
//! in the server one. Both namespaces and their /etc/netns folders are
//! removed when the test ends, also when it fails. Needs root, `ip netns`,
//! `iptables` and php-cli (CI has all); skips with the reason otherwise.

// Linux-only: network namespaces, and the PHP the lab runs is Debian's php-cli.
#![cfg(target_os = "linux")]

#[path = "../../diagnostics/tests/lab/mod.rs"]
mod lab;
mod php;

use fatoora_diagnostics::VerdictClass;
use fatoora_probe_kit::{ImportedRun, PhpProbeOptions, generate};
use lab::netns::{self, Netns, SERVER_IP, https_in, listen_in};
use lab::{Answer, Lab};
use php::{PhpServer, php_available};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const GATEWAY_PORT: u16 = 443;
const CONTROL_PORT: u16 = 8443;

/// Client and server namespaces joined by veth; `None` (with the reason
/// printed) where the lab cannot be built.
fn network(test: &str) -> Option<(Netns, Netns)> {
    if !php_available(test) {
        return None;
    }
    netns::network(test)
}

/// The page's configuration: the gateway and the control site in the server
/// namespace, short deadlines (never asserted on), no echo service.
fn probe_options() -> PhpProbeOptions {
    PhpProbeOptions {
        host: SERVER_IP.to_owned(),
        port: GATEWAY_PORT,
        control_url: Some(format!("https://{SERVER_IP}:{CONTROL_PORT}/")),
        echo_url: None,
        timeout_secs: 1.5,
        ..PhpProbeOptions::gateway()
    }
}

/// Generates the page, serves it with `php -S` inside the client namespace
/// and imports what it printed.
async fn probe_from(client: &Netns, lab: &Lab) -> ImportedRun {
    let probe = generate(&probe_options());
    let (namespace, ca_der) = (client.name.clone(), lab.ca.der());
    // php blocks for the probes' deadlines; the lab servers keep running on the test's runtime.
    let run = tokio::task::spawn_blocking(move || PhpServer::start_in(&namespace, &probe.source, &ca_der).run(&probe.token))
    .await
    .unwrap();
    eprintln!("{}", run.raw);
    run
}

fn tls_outcomes(run: &ImportedRun) -> Vec<(&str, &str)> {
    run.tls.iter().map(|t| (t.offered.as_str(), t.outcome.as_str())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_packets_are_a_tcp_black_hole_while_the_control_site_answers() {
    let Some((client, server)) = network("dropped_packets_are_a_tcp_black_hole") else { return };
    let lab = Lab::new().await;
    // The gateway really listens: only the firewall stands in the way.
    https_in(&server, GATEWAY_PORT, lab.ca.server_config(rustls::DEFAULT_VERSIONS), Answer::status(405));
    https_in(&server, CONTROL_PORT, lab.ca.server_config(rustls::DEFAULT_VERSIONS), Answer::status(200));
    server
        .exec(&["iptables", "-A", "INPUT", "-p", "tcp", "--dport", &GATEWAY_PORT.to_string(), "-j", "DROP"])
        .expect("iptables in the server namespace");

    let run = probe_from(&client, &lab).await;
    assert_eq!(run.tcp.len(), 1, "{}", run.raw);
    assert_eq!(run.tcp[0].outcome, "timed_out", "{}", run.raw);
    assert!(run.tls.iter().all(|t| t.outcome == "connect_failed"), "{}", run.raw);
    assert_eq!(run.control.as_ref().and_then(|c| c.status), Some(200), "{}", run.raw);
    assert_eq!(run.class(), VerdictClass::TcpBlackHole);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_that_never_answers_is_a_tls_stall() {
    let Some((client, server)) = network("a_listener_that_never_answers_is_a_tls_stall") else { return };
    let lab = Lab::new().await;
    // Listening but never accepting: the kernel completes the TCP handshake,
    // then nobody reads the ClientHello.
    let _silent = listen_in(&server, GATEWAY_PORT);
    https_in(&server, CONTROL_PORT, lab.ca.server_config(rustls::DEFAULT_VERSIONS), Answer::status(200));

    let run = probe_from(&client, &lab).await;
    assert_eq!(run.tcp[0].outcome, "connected", "{}", run.raw);
    assert_eq!(tls_outcomes(&run), [("TLS1.3", "stalled"), ("TLS1.2", "stalled")], "{}", run.raw);
    assert_eq!(run.class(), VerdictClass::TlsStall);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_that_refuses_tls_1_3_is_still_healthy_over_tls_1_2() {
    let Some((client, server)) = network("a_gateway_that_refuses_tls_1_3") else { return };
    let lab = Lab::new().await;
    https_in(&server, GATEWAY_PORT, lab.ca.server_config(&[&rustls::version::TLS12]), Answer::status(405));
    https_in(&server, CONTROL_PORT, lab.ca.server_config(rustls::DEFAULT_VERSIONS), Answer::status(200));

    let run = probe_from(&client, &lab).await;
    assert_eq!(tls_outcomes(&run), [("TLS1.3", "version_refused"), ("TLS1.2", "established")], "{}", run.raw);
    assert!(run.http.iter().all(|h| h.status == Some(405)), "{}", run.raw);
    assert_eq!(run.class(), VerdictClass::Healthy);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_that_speaks_only_tls_1_3_is_healthy() {
    let Some((client, server)) = network("a_gateway_that_speaks_only_tls_1_3") else { return };
    let lab = Lab::new().await;
    https_in(&server, GATEWAY_PORT, lab.ca.server_config(&[&rustls::version::TLS13]), Answer::status(405));
    https_in(&server, CONTROL_PORT, lab.ca.server_config(rustls::DEFAULT_VERSIONS), Answer::status(200));

    let run = probe_from(&client, &lab).await;
    assert_eq!(tls_outcomes(&run), [("TLS1.3", "established"), ("TLS1.2", "version_refused")], "{}", run.raw);
    assert!(run.http.iter().all(|h| h.status == Some(405)), "the HTTP probes negotiate TLS 1.3 too: {}", run.raw);
    assert_eq!(run.class(), VerdictClass::Healthy);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_that_refuses_every_version_offered_is_a_version_refusal() {
    let Some((client, server)) = network("a_gateway_that_refuses_every_version") else { return };
    let lab = Lab::new().await;
    // As a server or middlebox that only speaks TLS 1.0 answers a modern
    // ClientHello: a fatal protocol_version alert (record: alert, TLS 1.0
    // record version, length 2, fatal, protocol_version). Raw bytes, as no
    // TLS library will refuse both 1.2 and 1.3.
    let listener = listen_in(&server, GATEWAY_PORT);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut hello = [0u8; 2048];
                if stream.read(&mut hello).await.unwrap_or(0) > 0 {
                    let _ = stream.write_all(&[21, 3, 1, 0, 2, 2, 70]).await;
                }
            });
        }
    });
    https_in(&server, CONTROL_PORT, lab.ca.server_config(rustls::DEFAULT_VERSIONS), Answer::status(200));

    let run = probe_from(&client, &lab).await;
    assert_eq!(tls_outcomes(&run), [("TLS1.3", "version_refused"), ("TLS1.2", "version_refused")], "{}", run.raw);
    assert_eq!(run.class(), VerdictClass::TlsVersionRefused);
}

#[test]
fn the_client_namespace_reaches_nothing_but_the_lab() {
    let Some((client, _server)) = network("the_client_namespace_reaches_nothing_but_the_lab") else { return };
    let routes = client.exec(&["ip", "-4", "route", "show"]).unwrap();
    assert_eq!(routes.lines().count(), 1, "{routes}");
    assert!(routes.starts_with("10.77.0.0/30 dev vc0"), "{routes}");
    assert!(!routes.contains("default"), "{routes}");
    let options = probe_options();
    assert!(options.echo_url.is_none());
    assert!(options.control_url.unwrap().contains(SERVER_IP));
}
