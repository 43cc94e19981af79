//! What loopback cannot show, made by the test itself: a client and a
//! server network namespace joined by a veth pair (vc0 with
//! [`CLIENT_IP`]/30, vs0 with [`SERVER_IP`]/30), with no default route, so
//! nothing leaves them. Both are deleted with their /etc/netns folders when
//! dropped, also when the test panics. Needs root and `ip netns`; without
//! them [`network`] prints why and the test skips.

use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use nix::sched::{CloneFlags, setns};

use super::{Answer, serve_https};

pub const CLIENT_IP: &str = "10.77.0.1";
/// The lab CA's server certificates name this address.
pub const SERVER_IP: &str = "10.77.0.2";

/// A network namespace deleted (with its /etc/netns folder) when dropped.
pub struct Netns {
    pub name: String,
}

/// Runs `program`; its standard output, or what failed.
fn run(program: &str, args: &[&str]) -> Result<String, String> {
    let output = Command::new(program).args(args).output().map_err(|e| format!("{program}: {e}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!("{program} {}: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim()))
    }
}

impl Netns {
    fn create(role: &str) -> Result<Self, String> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!("flab-{role}-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        run("ip", &["netns", "add", &name])?;
        let namespace = Netns { name };
        namespace.exec(&["ip", "link", "set", "lo", "up"])?;
        Ok(namespace)
    }

    /// Runs `command` inside this namespace; its standard output.
    pub fn exec(&self, command: &[&str]) -> Result<String, String> {
        let mut args = vec!["netns", "exec", &self.name];
        args.extend_from_slice(command);
        run("ip", &args)
    }

    /// Runs `work` on a thread that lives inside this namespace: every
    /// socket it opens belongs to the namespace.
    pub fn enter<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> T {
        in_namespace(Some(&self.name), work)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = run("ip", &["netns", "del", &self.name]);
        let _ = std::fs::remove_dir_all(format!("/etc/netns/{}", self.name));
    }
}

/// Runs `work` on a thread inside the network namespace `name` (`None`:
/// this one), so the sockets it opens belong there.
pub fn in_namespace<T: Send + 'static>(name: Option<&str>, work: impl FnOnce() -> T + Send + 'static) -> T {
    let path = name.map(|name| format!("/var/run/netns/{name}"));
    std::thread::spawn(move || {
        if let Some(path) = path {
            let handle = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            setns(&handle, CloneFlags::CLONE_NEWNET).expect("setns into the lab namespace");
        }
        work()
    })
    .join()
    .expect("namespace thread")
}

/// Client and server namespaces joined by veth; `None` (with the reason
/// printed) where namespaces cannot be made.
pub fn network(test: &str) -> Option<(Netns, Netns)> {
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

/// A listening socket on `address` inside `namespace`, for the test's
/// runtime to serve.
pub fn listen_on(namespace: &Netns, address: SocketAddr) -> tokio::net::TcpListener {
    let listener = namespace.enter(move || {
        let listener = std::net::TcpListener::bind(address).expect("bind in the server namespace");
        listener.set_nonblocking(true).unwrap();
        listener
    });
    tokio::net::TcpListener::from_std(listener).unwrap()
}

/// [`listen_on`] `SERVER_IP:port`.
pub fn listen_in(namespace: &Netns, port: u16) -> tokio::net::TcpListener {
    listen_on(namespace, SocketAddr::new(SERVER_IP.parse().unwrap(), port))
}

/// HTTPS on `address` inside `namespace`, served from the test's runtime.
pub fn https_on(namespace: &Netns, address: SocketAddr, config: Arc<rustls::ServerConfig>, answer: Answer) -> SocketAddr {
    serve_https(listen_on(namespace, address), config, answer)
}

/// [`https_on`] `SERVER_IP:port`.
pub fn https_in(namespace: &Netns, port: u16, config: Arc<rustls::ServerConfig>, answer: Answer) -> SocketAddr {
    serve_https(listen_in(namespace, port), config, answer)
}
