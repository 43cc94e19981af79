//! What loopback cannot show: packets silently dropped (iptables DROP), no
//! route at all, a slow path. Two network namespaces made by the test,
//! joined by a veth pair (or, for the slow path, a link this process carries
//! late): the client side runs the diagnosis, the server side holds the
//! gateway, a firewall and the control site. Nothing leaves the namespaces.
//! Needs root and `ip netns` (CI has both), the dual-stack test also
//! `ip6tables` and `dnsmasq`; each skips, saying why, without.

// Linux-only: network namespaces, iptables and tc exist on Linux only.
#![cfg(target_os = "linux")]

mod lab;

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, SocketAddr};
use std::process::{Command, Stdio};
use std::time::Duration;

use fatoora_diagnostics::*;
use lab::netns::{Netns, SERVER_IP, delayed_network, https_in, https_on, network};
use lab::*;

fn diagnose_in(namespace: &Netns, options: DiagnoseOptions) -> Report {
    let report = namespace.enter(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(diagnose(&options, None))
    });
    eprintln!("{}", report.to_text());
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_black_hole_behind_a_dropping_firewall() {
    let Some((client, server)) = network("tcp_black_hole_behind_a_dropping_firewall") else { return };
    let lab = Lab::new().await;
    // The gateway really listens: only the firewall stands in the way.
    let gateway = https_in(&server, 443, lab.ca.server_config(rustls::DEFAULT_VERSIONS), Answer::status(405));
    let control = https_in(&server, 8443, lab.ca.server_config(rustls::DEFAULT_VERSIONS), Answer::status(200));
    server.exec(&["iptables", "-A", "INPUT", "-p", "tcp", "--dport", "443", "-j", "DROP"]).expect("iptables in the server namespace");

    let mut options = lab.by_address(gateway);
    options.control_url = Some(format!("https://{control}/"));
    let report = tokio::task::spawn_blocking(move || diagnose_in(&client, options)).await.unwrap();

    assert_eq!(report.verdict.class, VerdictClass::TcpBlackHole);
    assert_eq!(report.tcp[0].outcome, TcpOutcome::TimedOut);
    assert!(report.tls.is_empty());
    assert_eq!(report.control.as_ref().unwrap().outcome.status(), Some(200));
    assert!(report.verdict.headline.en.contains("while other HTTPS sites answer"));
    assert!(report.verdict.next_step.en.contains("hosting provider"));
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_route_to_the_gateway() {
    let Some((client, server)) = network("no_route_to_the_gateway") else { return };
    let lab = Lab::new().await;
    let control = https_in(&server, 8443, lab.ca.server_config(rustls::DEFAULT_VERSIONS), Answer::status(200));

    // 10.77.9.9 is outside the client's only network and it has no default route.
    let mut options = lab.by_address("10.77.9.9:443".parse().unwrap());
    options.control_url = Some(format!("https://{control}/"));
    let report = tokio::task::spawn_blocking(move || diagnose_in(&client, options)).await.unwrap();

    assert_eq!(report.verdict.class, VerdictClass::NetworkUnreachable);
    assert!(matches!(report.tcp[0].outcome, TcpOutcome::Unreachable { .. }), "{:?}", report.tcp[0]);
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_path_shows_in_every_timing_and_the_verdict_stays_healthy() {
    // Each packet waits this long each way: every round trip takes at least twice that.
    const ONE_WAY: Duration = Duration::from_millis(150);
    let round_trip = 2 * ONE_WAY.as_millis() as u64;
    let Some((client, server)) = delayed_network("a_slow_path_shows_in_every_timing_and_the_verdict_stays_healthy", ONE_WAY) else {
        return;
    };
    let lab = Lab::new().await;
    let gateway = https_in(&server, 443, lab.ca.server_config(rustls::DEFAULT_VERSIONS), Answer::status(405));
    let control = https_in(&server, 8443, lab.ca.server_config(rustls::DEFAULT_VERSIONS), Answer::status(200));
    let mut options = lab.by_address(gateway);
    options.control_url = Some(format!("https://{control}/"));
    // A deadline, not an assertion: each probe needs several delayed round trips.
    options.timeout = Duration::from_secs(10);
    let report = tokio::task::spawn_blocking(move || diagnose_in(&client, options)).await.unwrap();

    // The rule table has no "slow" class: a slow but working gateway is healthy.
    assert_eq!(report.verdict.class, VerdictClass::Healthy, "{}", report.verdict.headline.en);
    assert_eq!(report.tcp[0].outcome, TcpOutcome::Connected);
    // Lower bounds the link guarantees, each probe on its own connection:
    // SYN-ACK; + ServerHello; + HTTP answer.
    assert!(report.tcp[0].elapsed_ms >= round_trip, "TCP connect {} ms", report.tcp[0].elapsed_ms);
    assert!(!report.tls.is_empty());
    for tls in &report.tls {
        assert!(matches!(tls.outcome, TlsOutcome::Established { .. }), "{tls:?}");
        assert!(tls.elapsed_ms >= 2 * round_trip, "TLS {:?} {} ms", tls.offered, tls.elapsed_ms);
    }
    assert!(!report.http.is_empty());
    for http in &report.http {
        assert_eq!(http.outcome.status(), Some(405), "{http:?}");
        assert!(http.elapsed_ms >= 3 * round_trip, "HTTP {} {} ms", http.url, http.elapsed_ms);
    }
    let control = report.control.as_ref().unwrap();
    assert_eq!(control.outcome.status(), Some(200));
    assert!(control.elapsed_ms >= 3 * round_trip, "control {} ms", control.elapsed_ms);
    drop(server);
}

/// dnsmasq serving one host record inside a namespace; stopped when dropped.
struct Dnsmasq(std::process::Child);

impl Dnsmasq {
    fn start(namespace: &Netns, listen: &str, host_record: &str) -> Result<Self, String> {
        let mut child = Command::new("ip")
            .args(["netns", "exec", &namespace.name, "dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts"])
            .args(["--bind-interfaces", &format!("--listen-address={listen}"), "--port=53", "--log-facility=-", "--pid-file="])
            .arg(format!("--host-record={host_record}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("dnsmasq: {e}"))?;
        // It logs "started" once its sockets are bound: wait for that line,
        // then keep draining its log so it never writes into a closed pipe.
        let mut log = BufReader::new(child.stderr.take().expect("piped stderr")).lines();
        let started = log.by_ref().map_while(Result::ok).any(|line| line.contains("started, version"));
        let dnsmasq = Dnsmasq(child);
        if !started {
            return Err("dnsmasq exited before it started (is dnsmasq-base installed?)".into());
        }
        std::thread::spawn(move || log.for_each(drop));
        Ok(dnsmasq)
    }
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dual_stack_with_ipv6_black_holed_names_ipv6_and_says_ipv4_works() {
    let test = "dual_stack_with_ipv6_black_holed_names_ipv6_and_says_ipv4_works";
    let Some((client, server)) = network(test) else { return };
    const CLIENT_IP6: &str = "fd77::1";
    const SERVER_IP6: &str = "fd77::2";
    let setup = || -> Result<Dnsmasq, String> {
        client.exec(&["ip", "-6", "addr", "add", &format!("{CLIENT_IP6}/64"), "dev", "vc0", "nodad"])?;
        server.exec(&["ip", "-6", "addr", "add", &format!("{SERVER_IP6}/64"), "dev", "vs0", "nodad"])?;
        server.exec(&["ip6tables", "-A", "INPUT", "-p", "tcp", "--dport", "443", "-j", "DROP"])?;
        Dnsmasq::start(&server, SERVER_IP, &format!("{GATEWAY},{SERVER_IP},{SERVER_IP6}"))
    };
    let dns = match setup() {
        Ok(dns) => dns,
        Err(reason) => {
            fatoora_base::skip::skip(format_args!("{test}: {reason}"));
            return;
        }
    };
    let lab = Lab::new().await;
    // The gateway listens on both addresses: only the IPv6 firewall stands in the way.
    let server_ip6: IpAddr = SERVER_IP6.parse().unwrap();
    let gateway = https_in(&server, 443, lab.ca.server_config(rustls::DEFAULT_VERSIONS), Answer::status(405));
    https_on(&server, SocketAddr::new(server_ip6, 443), lab.ca.server_config(rustls::DEFAULT_VERSIONS), Answer::status(405));
    let control = https_in(&server, 8443, lab.ca.server_config(rustls::DEFAULT_VERSIONS), Answer::status(200));

    let target = Target::from_url(&format!("https://{GATEWAY}"), ALL_ZATCA_ENVIRONMENTS.to_vec()).unwrap();
    let mut options = lab.options(target);
    options.user_resolver = Some(SocketAddr::new(SERVER_IP.parse().unwrap(), 53));
    options.control_url = Some(format!("https://{control}/"));
    let report = tokio::task::spawn_blocking(move || diagnose_in(&client, options)).await.unwrap();

    let outcome_of = |ip: IpAddr| report.tcp.iter().find(|probe| probe.address.ip() == ip).map(|probe| &probe.outcome);
    assert_eq!(outcome_of(gateway.ip()), Some(&TcpOutcome::Connected), "{:?}", report.tcp);
    assert_eq!(outcome_of(server_ip6), Some(&TcpOutcome::TimedOut), "{:?}", report.tcp);
    assert_eq!(report.verdict.class, VerdictClass::Healthy);
    let headline = &report.verdict.headline;
    assert!(headline.en.contains("reachable over IPv4"), "{}", headline.en);
    assert!(headline.en.contains("IPv6 is broken") && headline.en.contains(SERVER_IP6), "{}", headline.en);
    assert!(headline.ar.contains("IPv6") && headline.ar.contains("IPv4") && headline.ar.contains(SERVER_IP6), "{}", headline.ar);
    assert!(report.verdict.next_step.en.contains("use IPv4"), "{}", report.verdict.next_step.en);
    drop(dns);
    drop(server);
}
