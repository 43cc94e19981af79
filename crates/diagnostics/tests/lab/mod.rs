//! The diagnostics lab: real servers on loopback (and, for what loopback
//! cannot show, in network namespaces the test creates). Each server
//! misbehaves in exactly one way a user's network can.

#![allow(dead_code)] // each test binary uses a different subset

// Network namespaces exist on Linux only.
#[cfg(target_os = "linux")]
pub mod namespaces;
#[cfg(target_os = "linux")]
pub mod netns;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use fatoora_diagnostics::{DiagnoseOptions, ProxySettings, Target};
use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::{RData, Record, RecordType, rdata::A};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};

pub const GATEWAY: &str = "gw-fatoora.zatca.gov.sa";

/// Short, because the timeout tests wait for it; never asserted on.
pub const LAB_TIMEOUT: Duration = Duration::from_millis(1500);

/// A certificate authority made for one test; nothing outside trusts it.
pub struct LabCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl LabCa {
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.distinguished_name.push(DnType::OrganizationName, "Fatoora Onboard test lab");
        LabCa { issuer: CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap() }
    }

    pub fn der(&self) -> CertificateDer<'static> {
        self.issuer.der().clone()
    }

    /// A server certificate for the gateway's name and the loopback addresses.
    pub fn server_config(&self, versions: &[&'static rustls::SupportedProtocolVersion]) -> Arc<rustls::ServerConfig> {
        let names = vec![GATEWAY.to_owned(), "127.0.0.1".to_owned(), "10.77.0.2".to_owned()];
        let mut params = CertificateParams::new(names).unwrap();
        params.distinguished_name.push(DnType::CommonName, GATEWAY);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.der().clone(), self.der()], key_der)
            .unwrap();
        Arc::new(config)
    }
}

/// How a lab HTTPS server answers every request.
#[derive(Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// Added to the real time in the `Date` header.
    pub clock_offset: chrono::Duration,
}

impl Answer {
    pub fn status(status: u16) -> Self {
        Answer { status, headers: vec![], clock_offset: chrono::Duration::zero() }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

pub async fn bind(addr: &str) -> TcpListener {
    TcpListener::bind(addr).await.unwrap()
}

/// An HTTPS server that answers every request with `answer`.
pub async fn https_server(config: Arc<rustls::ServerConfig>, answer: Answer) -> SocketAddr {
    serve_https(bind("127.0.0.1:0").await, config, answer)
}

pub fn serve_https(listener: TcpListener, config: Arc<rustls::ServerConfig>, answer: Answer) -> SocketAddr {
    let addr = listener.local_addr().unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let (acceptor, answer) = (acceptor.clone(), answer.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else { return };
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let date = httpdate::fmt_http_date((chrono::Utc::now() + answer.clock_offset).into());
                let mut response = format!("HTTP/1.1 {} Lab\r\nDate: {date}\r\nContent-Length: 0\r\nConnection: close\r\n", answer.status);
                if !answer.headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("server")) {
                    response.push_str("Server: lab\r\n");
                }
                for (name, value) in &answer.headers {
                    response.push_str(&format!("{name}: {value}\r\n"));
                }
                response.push_str("\r\n");
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    addr
}

/// Accepts TCP and never says a word: the handshake stalls.
pub async fn silent_server() -> SocketAddr {
    let listener = bind("127.0.0.1:0").await;
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    addr
}

/// Answers any ClientHello with a fatal protocol_version alert, as a server
/// or middlebox that only speaks older TLS does. Written as raw bytes
/// because no TLS library will agree to refuse both 1.2 and 1.3.
pub async fn old_tls_server() -> SocketAddr {
    let listener = bind("127.0.0.1:0").await;
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 2048];
                if stream.read(&mut buf).await.unwrap_or(0) > 0 {
                    // record: alert(21), TLS 1.0 record version, length 2, fatal(2), protocol_version(70)
                    let _ = stream.write_all(&[21, 3, 1, 0, 2, 2, 70]).await;
                }
            });
        }
    });
    addr
}

/// A loopback port where nothing listens: connections get a reset.
pub async fn refused_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    addr
}

#[derive(Clone, Copy)]
pub enum DnsBehaviour {
    /// A → this address; AAAA → no records.
    Resolve(Ipv4Addr),
    NxDomain,
    ServFail,
    Silent,
}

/// A DNS server on a loopback UDP port.
pub async fn dns_server(behaviour: DnsBehaviour) -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        loop {
            let Ok((n, peer)) = socket.recv_from(&mut buf).await else { return };
            let Ok(query) = Message::from_vec(&buf[..n]) else { continue };
            let mut reply = Message::new(query.id, MessageType::Response, query.op_code);
            reply.metadata.recursion_desired = query.recursion_desired;
            reply.metadata.recursion_available = true;
            reply.add_queries(query.queries.clone());
            match behaviour {
                DnsBehaviour::Silent => continue,
                DnsBehaviour::NxDomain => {
                    reply.metadata.response_code = ResponseCode::NXDomain;
                }
                DnsBehaviour::ServFail => {
                    reply.metadata.response_code = ResponseCode::ServFail;
                }
                DnsBehaviour::Resolve(ip) => {
                    reply.metadata.authoritative = true;
                    for q in &query.queries {
                        if q.query_type() == RecordType::A {
                            reply.add_answer(Record::from_rdata(q.name().clone(), 60, RData::A(A(ip))));
                        }
                    }
                }
            }
            let _ = socket.send_to(&reply.to_vec().unwrap(), peer).await;
        }
    });
    addr
}

#[derive(Clone, Copy)]
pub enum ProxyBehaviour {
    /// Tunnel every CONNECT to this address, whatever was asked: the only
    /// way out of the lab, as an egress proxy is the only way out of an office.
    TunnelTo(SocketAddr),
    RequireAuth,
}

/// An HTTP CONNECT proxy on loopback. Returns its address.
pub async fn connect_proxy(behaviour: ProxyBehaviour) -> SocketAddr {
    let listener = bind("127.0.0.1:0").await;
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match client.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                assert!(head.starts_with(b"CONNECT "), "the lab proxy only tunnels");
                match behaviour {
                    ProxyBehaviour::RequireAuth => {
                        let _ = client
                            .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"lab\"\r\nContent-Length: 0\r\n\r\n")
                            .await;
                    }
                    ProxyBehaviour::TunnelTo(upstream) => {
                        let Ok(mut server) = TcpStream::connect(upstream).await else {
                            let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n").await;
                            return;
                        };
                        let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await;
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                }
            });
        }
    });
    addr
}

/// A lab with one CA and a healthy control site.
pub struct Lab {
    pub ca: LabCa,
    pub control: SocketAddr,
}

impl Lab {
    pub async fn new() -> Self {
        let ca = LabCa::new("Fatoora Lab Root CA");
        let control = https_server(ca.server_config(rustls::DEFAULT_VERSIONS), Answer::status(200)).await;
        Lab { ca, control }
    }

    pub async fn gateway(&self, answer: Answer) -> SocketAddr {
        https_server(self.ca.server_config(rustls::DEFAULT_VERSIONS), answer).await
    }

    /// Options that keep every packet in the lab: no system resolver, no
    /// proxy from the environment, the control site on loopback, the lab CA
    /// trusted.
    pub fn options(&self, target: Target) -> DiagnoseOptions {
        let mut options = DiagnoseOptions::new(target);
        options.use_system_resolver = false;
        options.proxy = ProxySettings::default();
        options.control_url = Some(format!("https://127.0.0.1:{}/", self.control.port()));
        options.extra_roots = vec![self.ca.der()];
        options.timeout = LAB_TIMEOUT;
        options
    }

    /// The real gateway name at `port`, resolved by a lab DNS server.
    pub async fn by_name(&self, port: u16, dns: DnsBehaviour) -> DiagnoseOptions {
        let target = Target::from_url(&format!("https://{GATEWAY}:{port}"), fatoora_diagnostics::ALL_ZATCA_ENVIRONMENTS.to_vec()).unwrap();
        let mut options = self.options(target);
        options.user_resolver = Some(dns_server(dns).await);
        options
    }

    pub fn by_address(&self, addr: SocketAddr) -> DiagnoseOptions {
        let target = Target::from_url(&format!("https://{addr}"), fatoora_diagnostics::ALL_ZATCA_ENVIRONMENTS.to_vec()).unwrap();
        self.options(target)
    }
}

pub const LOOPBACK: Ipv4Addr = Ipv4Addr::LOCALHOST;

pub fn loopback(port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(LOOPBACK), port)
}
