//! One harmless GET, directly or through an HTTP CONNECT proxy, reporting
//! the stage at which it failed and the WAF fingerprints of the answer.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use chrono::{DateTime, Utc};
use http_body_util::Empty;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use url::Url;

use crate::dns::Resolvers;
use crate::model::{FailureKind, HttpOutcome, Stage};
use crate::proxy::redact_url;
use crate::tcp;
use crate::tls::{self, HandshakeError, LazyTrust};

pub(crate) enum Via<'a> {
    Direct(&'a [SocketAddr]),
    Proxy(&'a Url),
}

pub(crate) struct Answer {
    pub outcome: HttpOutcome,
    pub elapsed_ms: u64,
    /// The server's `Date` and our clock when it arrived.
    pub dates: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

fn failed(stage: Stage, kind: FailureKind, detail: impl Into<String>) -> HttpOutcome {
    HttpOutcome::Failed { stage, kind, detail: detail.into() }
}

/// One harmless GET: where it goes and how it gets there.
pub(crate) struct Get<'a> {
    pub trust: &'a LazyTrust,
    pub resolvers: &'a Resolvers,
    pub host: &'a str,
    pub port: u16,
    pub path: &'a str,
    pub via: Via<'a>,
}

pub(crate) async fn get(request: Get<'_>, timeout: Duration) -> Answer {
    let started = Instant::now();
    let deadline = started + timeout;
    let (outcome, dates) = match exchange(request, deadline).await {
        Ok((outcome, dates)) => (outcome, dates),
        Err(outcome) => (outcome, None),
    };
    Answer { outcome, elapsed_ms: started.elapsed().as_millis() as u64, dates }
}

type Dates = Option<(DateTime<Utc>, DateTime<Utc>)>;

async fn exchange(request: Get<'_>, deadline: Instant) -> Result<(HttpOutcome, Dates), HttpOutcome> {
    let Get { trust, resolvers, host, port, path, via } = request;
    let stream = match via {
        Via::Direct(addresses) => {
            if addresses.is_empty() {
                return Err(failed(Stage::Dns, FailureKind::NoAddress, "no address for the host"));
            }
            tcp::connect_any(addresses, deadline)
                .await
                .map_err(|o| failed(Stage::Tcp, o.failure_kind(), o.describe()))?
        }
        Via::Proxy(proxy) => tunnel(resolvers, proxy, host, port, deadline).await?,
    };
    let (config, _trust) = trust.get().await.client_config(None, true);
    let tls = tls::handshake(config, host, stream, deadline).await.map_err(|e| match e {
        HandshakeError::Stalled => failed(Stage::Tls, FailureKind::TimedOut, "handshake stalled"),
        HandshakeError::VersionRefused(d) | HandshakeError::Failed(d) => failed(Stage::Tls, FailureKind::Other, d),
    })?;
    let request = async {
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
        tokio::spawn(connection);
        let authority = if port == 443 { host.to_owned() } else { format!("{}:{port}", bracket(host)) };
        let request = hyper::Request::get(path)
            .header(hyper::header::HOST, authority)
            .header(hyper::header::USER_AGENT, concat!("fatoora-onboard-diagnose/", env!("CARGO_PKG_VERSION")))
            .header(hyper::header::ACCEPT, "application/json")
            // FATOORA answers 406 without it (SPEC.md 1.4), which would hide the real status.
            .header("Accept-Version", "V2")
            .body(Empty::<Bytes>::new())
            .expect("static request parts are valid");
        sender.send_request(request).await
    };
    let response = match tokio::time::timeout_at(deadline, request).await {
        Err(_) => return Err(failed(Stage::Http, FailureKind::TimedOut, "no HTTP answer before the deadline")),
        Ok(Err(e)) => return Err(failed(Stage::Http, FailureKind::Other, e.to_string())),
        Ok(Ok(response)) => response,
    };
    let received_at = Utc::now();
    let headers = response.headers();
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let date = text("date");
    let dates = date
        .as_deref()
        .and_then(|d| httpdate::parse_http_date(d).ok())
        .map(|t: SystemTime| (DateTime::<Utc>::from(t), received_at));
    Ok((
        HttpOutcome::Answered {
            status: response.status().as_u16(),
            server: text("server"),
            waf_hints: waf_hints(headers),
            date,
        },
        dates,
    ))
}

fn bracket(host: &str) -> String {
    if host.contains(':') { format!("[{host}]") } else { host.to_owned() }
}

/// Opens a CONNECT tunnel. Hand-written rather than through a client crate
/// because each step's failure (resolve, connect, proxy answer) is a
/// separate finding for the user.
async fn tunnel(resolvers: &Resolvers, proxy: &Url, host: &str, port: u16, deadline: Instant) -> Result<TcpStream, HttpOutcome> {
    let shown = redact_url(proxy.as_str());
    let proxy_host = proxy.host_str().unwrap_or_default().trim_matches(|c| c == '[' || c == ']');
    let proxy_port = proxy.port_or_known_default().unwrap_or(8080);
    let addresses: Vec<SocketAddr> = resolvers
        .resolve_any(proxy_host, deadline)
        .await
        .map_err(|e| failed(Stage::Proxy, FailureKind::NoAddress, format!("cannot resolve proxy {shown}: {e}")))?
        .into_iter()
        .map(|ip| SocketAddr::new(ip, proxy_port))
        .collect();
    let mut stream = tcp::connect_any(&addresses, deadline)
        .await
        .map_err(|o| failed(Stage::Proxy, o.failure_kind(), format!("proxy {shown}: {}", o.describe())))?;
    let target = format!("{}:{port}", bracket(host));
    let mut head = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if !proxy.username().is_empty() {
        let user = percent_decode(proxy.username());
        let password = percent_decode(proxy.password().unwrap_or_default());
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        head.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
    }
    head.push_str("\r\n");
    let exchange = async {
        stream.write_all(head.as_bytes()).await?;
        let mut buffer = Vec::with_capacity(1024);
        let mut chunk = [0u8; 1024];
        while !buffer.windows(4).any(|w| w == b"\r\n\r\n") && buffer.len() < 16 * 1024 {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "proxy closed the connection"));
            }
            buffer.extend_from_slice(&chunk[..n]);
        }
        Ok(buffer)
    };
    let answer = match tokio::time::timeout_at(deadline, exchange).await {
        Err(_) => return Err(failed(Stage::Proxy, FailureKind::TimedOut, format!("proxy {shown} did not answer CONNECT"))),
        Ok(Err(e)) => return Err(failed(Stage::Proxy, FailureKind::Other, format!("proxy {shown}: {e}"))),
        Ok(Ok(answer)) => answer,
    };
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(&answer) {
        Ok(_) => match response.code {
            Some(code) if (200..300).contains(&code) => Ok(stream),
            Some(code) => Err(failed(
                Stage::Proxy,
                FailureKind::ProxyRejected,
                format!("proxy {shown} answered CONNECT with {code} {}", response.reason.unwrap_or_default()),
            )),
            None => Err(failed(Stage::Proxy, FailureKind::Other, format!("proxy {shown}: incomplete answer"))),
        },
        Err(e) => Err(failed(Stage::Proxy, FailureKind::Other, format!("proxy {shown} is not an HTTP proxy: {e}"))),
    }
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
}

/// Fingerprints of web application firewalls and CDNs. Cookie values are
/// never kept, only their names' pattern.
fn waf_hints(headers: &hyper::HeaderMap) -> Vec<String> {
    let mut hints = Vec::new();
    let server = headers.get("server").and_then(|v| v.to_str().ok()).unwrap_or_default().to_ascii_lowercase();
    for (needle, name) in [("bigip", "F5 BIG-IP"), ("cloudflare", "Cloudflare"), ("akamai", "Akamai"), ("awselb", "AWS ELB")] {
        if server.contains(needle) {
            hints.push(format!("server header: {name}"));
        }
    }
    for cookie in headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()) {
        let name = cookie.split('=').next().unwrap_or_default().trim();
        // [INF] TS01… cookies are set by F5 BIG-IP ASM (SPEC.md 4.2).
        if name.starts_with("TS") && name.len() >= 8 && name[2..].chars().all(|c| c.is_ascii_hexdigit()) {
            hints.push("cookie TS…: F5 BIG-IP ASM (web application firewall) [guess from the cookie name]".into());
        } else if name.starts_with("BIGipServer") {
            hints.push("cookie BIGipServer…: F5 BIG-IP load balancer".into());
        }
    }
    for (header, name) in [("cf-ray", "Cloudflare"), ("x-iinfo", "Imperva"), ("x-sucuri-id", "Sucuri"), ("x-amzn-waf-action", "AWS WAF")] {
        if headers.contains_key(header) {
            hints.push(format!("header {header}: {name}"));
        }
    }
    hints.dedup();
    hints
}
