//! What loopback cannot show: packets silently dropped (iptables DROP) and
//! no route at all. Two network namespaces made by the test, joined by a
//! veth pair: the client side runs the diagnosis, the server side holds the
//! gateway, a firewall and the control site. Nothing leaves the namespaces.
//! Needs root and `ip netns` (CI has both); skips with a reason otherwise.

mod lab;

use std::fs::File;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use fatoora_diagnostics::*;
use lab::*;
use nix::sched::{CloneFlags, setns};

const CLIENT_IP: &str = "10.77.0.1";
const SERVER_IP: &str = "10.77.0.2";

/// A network namespace that is deleted (with its /etc/netns folder) when
/// dropped, also when the test panics.
struct Netns {
    name: String,
}

fn run(program: &str, args: &[&str]) -> Result<(), String> {
    let output = Command::new(program).args(args).output().map_err(|e| format!("{program}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!("{program} {}: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim()))
    }
}

impl Netns {
    fn create(role: &str) -> Result<Self, String> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!("fdiag-{role}-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        run("ip", &["netns", "add", &name])?;
        let namespace = Netns { name };
        namespace.exec(&["ip", "link", "set", "lo", "up"])?;
        Ok(namespace)
    }

    fn exec(&self, command: &[&str]) -> Result<(), String> {
        let mut args = vec!["netns", "exec", &self.name];
        args.extend_from_slice(command);
        run("ip", &args)
    }

    /// Runs `work` on a thread that lives inside this namespace: every
    /// socket it opens belongs to the namespace.
    fn enter<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> T {
        let path = format!("/var/run/netns/{}", self.name);
        std::thread::spawn(move || {
            let handle = File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            setns(&handle, CloneFlags::CLONE_NEWNET).expect("setns into the lab namespace");
            work()
        })
        .join()
        .expect("namespace thread")
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = run("ip", &["netns", "del", &self.name]);
        let _ = std::fs::remove_dir_all(format!("/etc/netns/{}", self.name));
    }
}

/// Client and server namespaces joined by veth; `None` (with the reason
/// printed) where namespaces cannot be made.
fn network(test: &str) -> Option<(Netns, Netns)> {
    let build = || -> Result<(Netns, Netns), String> {
        if !nix::unistd::geteuid().is_root() {
            return Err("needs root".into());
        }
        let client = Netns::create("c")?;
        let server = Netns::create("s")?;
        client.exec(&["ip", "link", "add", "vc0", "type", "veth", "peer", "name", "vs0", "netns", &server.name])?;
        client.exec(&["ip", "addr", "add", &format!("{CLIENT_IP}/30"), "dev", "vc0"])?;
        client.exec(&["ip", "link", "set", "vc0", "up"])?;
        server.exec(&["ip", "addr", "add", &format!("{SERVER_IP}/30"), "dev", "vs0"])?;
        server.exec(&["ip", "link", "set", "vs0", "up"])?;
        Ok((client, server))
    };
    match build() {
        Ok(pair) => Some(pair),
        Err(reason) => {
            eprintln!("SKIPPED {test}: network namespaces unavailable ({reason})");
            None
        }
    }
}

/// Binds inside `namespace`, serves from the test's runtime.
fn https_in(namespace: &Netns, port: u16, config: std::sync::Arc<rustls::ServerConfig>, answer: Answer) -> SocketAddr {
    let listener = namespace.enter(move || {
        let listener = std::net::TcpListener::bind((SERVER_IP, port)).expect("bind in the server namespace");
        listener.set_nonblocking(true).unwrap();
        listener
    });
    serve_https(tokio::net::TcpListener::from_std(listener).unwrap(), config, answer)
}

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
