//! TLS handshakes that finish even when the chain is not trusted, so the
//! report can show *which* certificate came back (an intercepting proxy's)
//! rather than just "certificate error". Nothing secret is ever sent over
//! these connections: only a GET without credentials.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{AlertDescription, ClientConfig, DigitallySignedStruct, PeerIncompatible, RootCertStore, SignatureScheme};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::model::{CertificateSummary, TlsOutcome, TlsProbe, TlsVersion};
use crate::tcp;

/// Trust anchors: the OS store plus any extra roots, loaded once per run.
pub(crate) struct Trust {
    roots: Arc<RootCertStore>,
    provider: Arc<CryptoProvider>,
    pub problem: Option<String>,
}

impl Trust {
    pub fn load(extra: &[CertificateDer<'static>]) -> Self {
        let mut roots = RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        let mut problem = native.errors.first().map(|e| format!("reading the OS trust store: {e}"));
        let (added, _ignored) = roots.add_parsable_certificates(native.certs);
        roots.add_parsable_certificates(extra.iter().cloned());
        if added == 0 && problem.is_none() {
            problem = Some("the OS trust store is empty".into());
        }
        Trust { roots: Arc::new(roots), provider: Arc::new(rustls::crypto::ring::default_provider()), problem }
    }

    fn load_failed(problem: String) -> Self {
        Trust {
            roots: Arc::new(RootCertStore::empty()),
            provider: Arc::new(rustls::crypto::ring::default_provider()),
            problem: Some(problem),
        }
    }

    /// A config offering `versions` (both when `None`) that records whether
    /// the chain is trusted instead of aborting on it.
    pub fn client_config(&self, versions: Option<TlsVersion>, alpn_http1: bool) -> (ClientConfig, TrustRecord) {
        // No anchors at all (a bare container without ca-certificates) still
        // completes the handshake; every chain is then reported untrusted.
        let inner = WebPkiServerVerifier::builder_with_provider(self.roots.clone(), self.provider.clone()).build().ok();
        let record = TrustRecord::default();
        let verifier = Arc::new(RecordingVerifier { inner, provider: self.provider.clone(), record: record.clone() });
        let protocol_versions: &[&rustls::SupportedProtocolVersion] = match versions {
            Some(TlsVersion::Tls13) => &[&rustls::version::TLS13],
            Some(TlsVersion::Tls12) => &[&rustls::version::TLS12],
            None => rustls::DEFAULT_VERSIONS,
        };
        let mut config = ClientConfig::builder_with_provider(self.provider.clone())
            .with_protocol_versions(protocol_versions)
            .expect("ring supports TLS 1.2 and 1.3")
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        if alpn_http1 {
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
        }
        (config, record)
    }
}

/// The trust store, loaded on a blocking thread while DNS and TCP probes
/// already run; the first TLS step waits for it.
pub(crate) struct LazyTrust {
    cell: tokio::sync::OnceCell<Trust>,
    extra: Vec<CertificateDer<'static>>,
}

impl LazyTrust {
    pub fn new(extra: &[CertificateDer<'static>]) -> Self {
        LazyTrust { cell: tokio::sync::OnceCell::new(), extra: extra.to_vec() }
    }

    pub async fn get(&self) -> &Trust {
        self.cell
            .get_or_init(|| async {
                let extra = self.extra.clone();
                let load = tokio::task::spawn_blocking(move || Trust::load(&extra));
                load.await.unwrap_or_else(|e| Trust::load_failed(format!("loading the trust store failed: {e}")))
            })
            .await
    }
}

/// `Some(Ok)` trusted, `Some(Err(why))` not, `None` the server sent no chain.
#[derive(Clone, Default)]
pub(crate) struct TrustRecord(Arc<Mutex<Option<Result<(), String>>>>);

impl TrustRecord {
    pub fn get(&self) -> Option<Result<(), String>> {
        self.0.lock().map(|r| r.clone()).unwrap_or(None)
    }
}

#[derive(Debug)]
struct RecordingVerifier {
    inner: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
    record: TrustRecord,
}

impl std::fmt::Debug for TrustRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TrustRecord")
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let result = match &self.inner {
            Some(inner) => inner
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                .map(|_| ())
                .map_err(|e| e.to_string()),
            None => Err("no trust anchors: the OS trust store is empty".to_owned()),
        };
        if let Ok(mut slot) = self.record.0.lock() {
            *slot = Some(result);
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    ServerName::try_from(host.to_owned()).map_err(|e| format!("{host:?} is not a valid TLS server name: {e}"))
}

pub(crate) enum HandshakeError {
    Stalled,
    VersionRefused(String),
    Failed(String),
}

pub(crate) async fn handshake(
    config: ClientConfig,
    host: &str,
    stream: TcpStream,
    deadline: Instant,
) -> Result<TlsStream<TcpStream>, HandshakeError> {
    let name = server_name(host).map_err(HandshakeError::Failed)?;
    let connector = TlsConnector::from(Arc::new(config));
    match tokio::time::timeout_at(deadline, connector.connect(name, stream)).await {
        Err(_) => Err(HandshakeError::Stalled),
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(e)) => Err(classify(&e)),
    }
}

fn classify(error: &std::io::Error) -> HandshakeError {
    let detail = error.to_string();
    match error.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
        Some(rustls::Error::AlertReceived(AlertDescription::ProtocolVersion))
        | Some(rustls::Error::PeerIncompatible(
            PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig
            | PeerIncompatible::SupportedVersionsExtensionRequired
            | PeerIncompatible::Tls12NotOffered
            | PeerIncompatible::Tls12NotOfferedOrEnabled,
        )) => HandshakeError::VersionRefused(detail),
        _ if error.kind() == std::io::ErrorKind::UnexpectedEof => {
            HandshakeError::Failed(format!("the connection was closed during the handshake ({detail})"))
        }
        _ => HandshakeError::Failed(detail),
    }
}

/// One handshake offering exactly `version`, on its own connection.
pub(crate) async fn probe(trust: &LazyTrust, host: &str, address: SocketAddr, version: TlsVersion, timeout: Duration) -> TlsProbe {
    let started = Instant::now();
    let deadline = started + timeout;
    let outcome = match tcp::connect(address, deadline).await {
        Err(tcp_outcome) => TlsOutcome::ConnectFailed { detail: tcp_outcome.describe() },
        Ok(stream) => {
            let (config, record) = trust.get().await.client_config(Some(version), false);
            match handshake(config, host, stream, deadline).await {
                Err(HandshakeError::Stalled) => TlsOutcome::Stalled,
                Err(HandshakeError::VersionRefused(detail)) => TlsOutcome::VersionRefused { detail },
                Err(HandshakeError::Failed(detail)) => TlsOutcome::Failed { detail },
                Ok(stream) => established(&stream, &record),
            }
        }
    };
    TlsProbe { address, offered: version, outcome, elapsed_ms: started.elapsed().as_millis() as u64 }
}

fn established(stream: &TlsStream<TcpStream>, record: &TrustRecord) -> TlsOutcome {
    let (_, connection) = stream.get_ref();
    let version = connection.protocol_version().map(|v| format!("{v:?}")).unwrap_or_default();
    let cipher = connection.negotiated_cipher_suite().map(|c| format!("{:?}", c.suite())).unwrap_or_default();
    let chain = connection.peer_certificates().unwrap_or_default().iter().map(summarize).collect();
    let (trusted, trust_problem) = match record.get() {
        Some(Ok(())) => (true, None),
        Some(Err(why)) => (false, Some(why)),
        None => (false, Some("the server sent no certificate".into())),
    };
    TlsOutcome::Established { version, cipher, chain, trusted, trust_problem }
}

fn summarize(der: &CertificateDer<'_>) -> CertificateSummary {
    match x509_parser::parse_x509_certificate(der.as_ref()) {
        Ok((_, cert)) => CertificateSummary {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            not_before: cert.validity().not_before.to_datetime().to_string(),
            not_after: cert.validity().not_after.to_datetime().to_string(),
        },
        Err(e) => CertificateSummary {
            subject: format!("unparsable certificate: {e}"),
            issuer: String::new(),
            not_before: String::new(),
            not_after: String::new(),
        },
    }
}
