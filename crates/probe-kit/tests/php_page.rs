//! The PHP probe page under Debian's php-cli built-in web server, against
//! the diagnostics lab's loopback servers (reused from its tests, not
//! copied). Skips with a reason when php is not installed
//! (`apt-get install -y php-cli`, also in scripts/install-deps.sh).

#[path = "../../diagnostics/tests/lab/mod.rs"]
mod lab;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};

use base64::Engine as _;
use fatoora_diagnostics::VerdictClass;
use fatoora_probe_kit::{ImportedRun, PhpProbeOptions, generate};
use lab::{Answer, Lab, LabCa};

fn php_available(test: &str) -> bool {
    let found = Command::new("php").arg("--version").stdout(Stdio::null()).status().is_ok_and(|s| s.success());
    if !found {
        eprintln!("SKIP {test}: php is not installed (apt-get install -y php-cli)");
    }
    found
}

/// `php -S` on a loopback port serving one generated probe.php.
struct PhpServer {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl PhpServer {
    /// `ini` settings go on php's command line (`-d`); `trust` is the PEM
    /// CA file the page's OpenSSL trusts, as a host's openssl.cafile would.
    fn start(source: &str, trust: &LabCa, ini: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("probe.php"), source).unwrap();
        let ca = dir.path().join("ca.pem");
        let b64 = base64::engine::general_purpose::STANDARD.encode(trust.der());
        let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
        std::fs::write(&ca, format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", lines.join("\n"))).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let mut command = Command::new("php");
        command.arg("-n").arg("-d").arg(format!("openssl.cafile={}", ca.display()));
        for setting in ini {
            command.arg("-d").arg(setting);
        }
        let mut child = command
            .arg("-S")
            .arg(addr.to_string())
            .arg("-t")
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The server says when it listens; read until then instead of sleeping.
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        loop {
            line.clear();
            assert!(stderr.read_line(&mut line).unwrap() > 0, "php -S exited before listening");
            if line.contains("started") {
                break;
            }
        }
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        PhpServer { child, addr, _dir: dir }
    }

    /// (status, body) of one GET.
    fn get(&self, path_and_query: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(self.addr).unwrap();
        write!(stream, "GET {path_and_query} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response.split(' ').nth(1).unwrap().parse().unwrap();
        let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
        (status, body)
    }

    fn run(&self, token: &str) -> ImportedRun {
        let (status, body) = self.get(&format!("/probe.php?token={token}&format=json"));
        assert_eq!(status, 200, "{body}");
        ImportedRun::from_json(&body, "probe.php output").unwrap_or_else(|e| panic!("{e}\n{body}"))
    }
}

impl Drop for PhpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

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
