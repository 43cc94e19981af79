//! The network-namespace lab's plumbing, through the `ip` command only (no
//! dependency beyond std, so the CLI's tests can share it): namespaces
//! named after the test process, deleted with their /etc/netns folders when
//! dropped, also when the test panics; a client and a server one joined by
//! a veth pair (vc0 with [`CLIENT_IP`]/30, vs0 with [`SERVER_IP`]/30) and
//! no default route, so nothing leaves them. Needs root and `ip netns`;
//! without them the test skips through [`fatoora_base::skip::skip`].

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

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

    /// `program`, to be run inside this namespace.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.name]).arg(program);
        command
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = run("ip", &["netns", "del", &self.name]);
        let _ = std::fs::remove_dir_all(format!("/etc/netns/{}", self.name));
    }
}

/// Two empty namespaces, client and server, with loopback up.
pub(super) fn namespaces() -> Result<(Netns, Netns), String> {
    Ok((Netns::create("c")?, Netns::create("s")?))
}

/// The pair `build` made, or `None` after skipping `test` with the reason.
pub(super) fn or_skip(test: &str, build: impl FnOnce() -> Result<(Netns, Netns), String>) -> Option<(Netns, Netns)> {
    match build() {
        Ok(pair) => Some(pair),
        Err(reason) => {
            fatoora_base::skip::skip(format_args!("{test}: network namespaces unavailable (they need root and `ip netns`: {reason})"));
            None
        }
    }
}

/// Gives `device` its lab address and brings it up.
pub(super) fn bring_up(namespace: &Netns, device: &str, ip: &str) -> Result<(), String> {
    namespace.exec(&["ip", "addr", "add", &format!("{ip}/30"), "dev", device])?;
    namespace.exec(&["ip", "link", "set", device, "up"]).map(drop)
}

/// Client and server namespaces joined by veth; `None` (after a skip with
/// the reason) where namespaces cannot be made.
pub fn network(test: &str) -> Option<(Netns, Netns)> {
    or_skip(test, || {
        let (client, server) = namespaces()?;
        client.exec(&["ip", "link", "add", "vc0", "type", "veth", "peer", "name", "vs0", "netns", &server.name])?;
        bring_up(&client, "vc0", CLIENT_IP)?;
        bring_up(&server, "vs0", SERVER_IP)?;
        Ok((client, server))
    })
}

