//! Debian's php-cli built-in web server serving one generated probe.php,
//! on loopback or inside a network namespace a test made.

#![allow(dead_code)] // each test binary uses a different subset

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};

use base64::Engine as _;
use fatoora_probe_kit::ImportedRun;

use crate::lab::LabCa;
use crate::lab::netns::in_namespace;

pub fn php_available(test: &str) -> bool {
    let found = Command::new("php").arg("--version").stdout(Stdio::null()).status().is_ok_and(|s| s.success());
    if !found {
        fatoora_base::skip::skip(format_args!("{test}: php is not installed (apt-get install php-cli)"));
    }
    found
}

/// `php -S` serving one generated probe.php.
pub struct PhpServer {
    child: Child,
    addr: SocketAddr,
    namespace: Option<String>,
    _dir: tempfile::TempDir,
}

impl PhpServer {
    /// On a free loopback port of this machine.
    pub fn start(source: &str, trust: &LabCa, ini: &[&str]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Self::spawn(source, &trust.der(), ini, None, port)
    }

    /// On the loopback of network namespace `namespace`: every probe the
    /// page makes starts there.
    pub fn start_in(namespace: &str, source: &str, trust_der: &[u8]) -> Self {
        Self::spawn(source, trust_der, &[], Some(namespace), 8080)
    }

    /// `ini` settings go on php's command line (`-d`); `trust_der` is the
    /// CA the page's OpenSSL trusts (written as PEM), as a host's
    /// openssl.cafile would be.
    fn spawn(source: &str, trust_der: &[u8], ini: &[&str], namespace: Option<&str>, port: u16) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("probe.php"), source).unwrap();
        let ca = dir.path().join("ca.pem");
        let b64 = base64::engine::general_purpose::STANDARD.encode(trust_der);
        let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
        std::fs::write(&ca, format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", lines.join("\n"))).unwrap();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let mut command = match namespace {
            // `ip netns exec` execs php in place: the child is php itself.
            Some(name) => {
                let mut command = Command::new("ip");
                command.args(["netns", "exec", name, "php"]);
                command
            }
            None => Command::new("php"),
        };
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
        PhpServer { child, addr, namespace: namespace.map(str::to_owned), _dir: dir }
    }

    /// (status, body) of one GET, sent from the server's own namespace.
    pub fn get(&self, path_and_query: &str) -> (u16, String) {
        let (addr, request) = (self.addr, format!("GET {path_and_query} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"));
        let response = in_namespace(self.namespace.as_deref(), move || {
            let mut stream = TcpStream::connect(addr).unwrap();
            stream.write_all(request.as_bytes()).unwrap();
            let mut response = String::new();
            stream.read_to_string(&mut response).unwrap();
            response
        });
        let status = response.split(' ').nth(1).unwrap().parse().unwrap();
        let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
        (status, body)
    }

    pub fn run(&self, token: &str) -> ImportedRun {
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
