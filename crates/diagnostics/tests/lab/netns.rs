//! What loopback cannot show, made by the test itself, on the plumbing of
//! [`super::namespaces`]: sockets opened inside a namespace for the test's
//! runtime to serve, and [`delayed_network`], whose link this process
//! carries late, for a slow path.

use std::fs::File;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::sync::Arc;
use std::time::Duration;

use nix::libc;
use nix::sched::{CloneFlags, setns};
use tokio::io::unix::AsyncFd;
use tokio::time::Instant;

use super::namespaces::{bring_up, namespaces, or_skip};
#[allow(unused_imports)] // the tests import these from here; each binary uses a subset
pub use super::namespaces::{CLIENT_IP, Netns, SERVER_IP, network};
use super::{Answer, serve_https};

impl Netns {
    /// Runs `work` on a thread that lives inside this namespace: every
    /// socket it opens belongs to the namespace.
    pub fn enter<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> T {
        in_namespace(Some(&self.name), work)
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

/// Client and server namespaces joined through this process: vc0 and vs0
/// are TUN devices, and every packet read from one is written to the other
/// `one_way` later, so each round trip takes at least twice that. The
/// latency of a long path without `tc` netem, which not every kernel has
/// (`CONFIG_NET_SCH_NETEM`). The carrying tasks run on the caller's tokio
/// runtime and end with it.
pub fn delayed_network(test: &str, one_way: Duration) -> Option<(Netns, Netns)> {
    or_skip(test, || {
        let (client, server) = namespaces()?;
        let client_end = Arc::new(tun(&client, "vc0")?);
        let server_end = Arc::new(tun(&server, "vs0")?);
        bring_up(&client, "vc0", CLIENT_IP)?;
        bring_up(&server, "vs0", SERVER_IP)?;
        carry(client_end.clone(), server_end.clone(), one_way);
        carry(server_end, client_end, one_way);
        Ok((client, server))
    })
}

/// `struct ifreq` as TUNSETIFF reads it: the name, then the flags.
#[repr(C)]
struct TunRequest {
    name: [u8; libc::IFNAMSIZ],
    flags: libc::c_short,
    _rest: [u8; 22],
}

/// A TUN device named `name` in `namespace` (IP packets, no extra header),
/// non-blocking, ready for the runtime to read. It lives as long as the
/// returned file.
#[allow(unsafe_code)] // the TUN ioctl and handing its descriptor to tokio; see SAFETY below
fn tun(namespace: &Netns, name: &str) -> Result<AsyncFd<File>, String> {
    let mut request = TunRequest { name: [0; libc::IFNAMSIZ], flags: (libc::IFF_TUN | libc::IFF_NO_PI) as libc::c_short, _rest: [0; 22] };
    request.name[..name.len()].copy_from_slice(name.as_bytes());
    // The device is made in the namespace of the thread that asks.
    let file = namespace.enter(move || -> Result<File, String> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open("/dev/net/tun")
            .map_err(|e| format!("/dev/net/tun: {e}"))?;
        // SAFETY: TUNSETIFF reads a `struct ifreq`, which TunRequest lays
        // out (40 bytes), from a pointer valid for the call.
        if unsafe { libc::ioctl(file.as_raw_fd(), libc::TUNSETIFF, &mut request) } < 0 {
            return Err(format!("TUNSETIFF {:?}: {}", request.name, std::io::Error::last_os_error()));
        }
        Ok(file)
    })?;
    // SAFETY: the File owns its descriptor and the AsyncFd owns the File:
    // it stays open, and the same, until the AsyncFd drops.
    unsafe { AsyncFd::register(file) }.map_err(|e| format!("polling the TUN device: {e}"))
}

/// Writes each packet read from `from` into `to`, `delay` after it was read.
fn carry(from: Arc<AsyncFd<File>>, to: Arc<AsyncFd<File>>, delay: Duration) {
    let (held, mut due) = tokio::sync::mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 65536];
        loop {
            let Ok(mut ready) = from.readable().await else { return };
            match ready.try_io(|file| file.get_ref().read(&mut buf)) {
                Ok(Ok(n)) if held.send((Instant::now() + delay, buf[..n].to_vec())).is_ok() => {}
                Ok(_) => return,
                Err(_would_block) => {}
            }
        }
    });
    tokio::spawn(async move {
        while let Some((at, packet)) = due.recv().await {
            tokio::time::sleep_until(at).await;
            // A full queue drops the packet, as a real link does; TCP resends.
            let _ = to.get_ref().write(&packet);
        }
    });
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
