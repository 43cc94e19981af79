//! What each probe found. These types are the JSON report schema
//! (`SCHEMA_VERSION`): add fields freely, bump the version when one changes
//! meaning or disappears. A saved report is read back into them to be
//! shown again from the history.

use std::net::{IpAddr, SocketAddr};

use chrono::{DateTime, Utc};
use fatoora_base::{Environment, Localized};
use serde::{Deserialize, Serialize};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: String,
    pub started_at: DateTime<Utc>,
    pub duration_ms: u64,
    pub target: TargetSummary,
    pub verdict: Verdict,
    pub configuration: Configuration,
    pub dns: Vec<DnsProbe>,
    pub tcp: Vec<TcpProbe>,
    pub tls: Vec<TlsProbe>,
    pub http: Vec<HttpProbe>,
    pub control: Option<ControlProbe>,
    pub clock: Option<ClockCheck>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetSummary {
    pub origin: String,
    pub host: String,
    pub port: u16,
    pub environments: Vec<Environment>,
    pub timeout_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Configuration {
    pub os: String,
    pub app_version: String,
    /// Proxy variables as set, credentials redacted.
    pub proxy_variables: Vec<(String, String)>,
    /// The proxy the gateway traffic goes through, credentials redacted.
    pub proxy_for_gateway: Option<String>,
    pub system_proxy_note: Option<String>,
    pub system_resolvers: Vec<String>,
    pub system_resolver_problem: Option<String>,
    pub user_resolver: Option<SocketAddr>,
    pub trust_store_problem: Option<String>,
    pub local_time: DateTime<Utc>,
    pub local_utc_offset: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResolverKind {
    System,
    User,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecordKind {
    A,
    AAAA,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum DnsOutcome {
    Resolved { addresses: Vec<IpAddr> },
    /// The name exists but has no record of this type (NOERROR, no data).
    NoRecords,
    NxDomain,
    ServFail,
    Refused,
    Timeout,
    Error { detail: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DnsProbe {
    pub resolver: ResolverKind,
    pub server: String,
    pub name: String,
    pub record: RecordKind,
    #[serde(flatten)]
    pub outcome: DnsOutcome,
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum TcpOutcome {
    Connected,
    /// Answered with a reset: the address is reached, nothing listens or a
    /// firewall rejects actively.
    Refused,
    /// No answer at all before the deadline: packets silently dropped.
    TimedOut,
    Unreachable { detail: String },
    Error { detail: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TcpProbe {
    pub address: SocketAddr,
    #[serde(flatten)]
    pub outcome: TcpOutcome,
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TlsVersion {
    #[serde(rename = "TLS1.3")]
    Tls13,
    #[serde(rename = "TLS1.2")]
    Tls12,
}

impl TlsVersion {
    pub fn label(self) -> &'static str {
        match self {
            TlsVersion::Tls13 => "TLS 1.3",
            TlsVersion::Tls12 => "TLS 1.2",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateSummary {
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum TlsOutcome {
    Established {
        version: String,
        cipher: String,
        chain: Vec<CertificateSummary>,
        /// Chains to the OS trust store (plus any extra roots) and names the host.
        trusted: bool,
        trust_problem: Option<String>,
    },
    /// TCP connected but the handshake never completed before the deadline:
    /// a middlebox or MTU problem, not a closed port.
    Stalled,
    /// The server (or something in between) refused this protocol version.
    VersionRefused { detail: String },
    Failed { detail: String },
    ConnectFailed { detail: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TlsProbe {
    pub address: SocketAddr,
    pub offered: TlsVersion,
    #[serde(flatten)]
    pub outcome: TlsOutcome,
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Dns,
    Proxy,
    Tcp,
    Tls,
    Http,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    TimedOut,
    Refused,
    Unreachable,
    /// The proxy answered CONNECT with a non-2xx status.
    ProxyRejected,
    NoAddress,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum HttpOutcome {
    Answered {
        status: u16,
        server: Option<String>,
        /// Headers or cookies typical of a web application firewall or CDN.
        waf_hints: Vec<String>,
        date: Option<String>,
    },
    Failed {
        stage: Stage,
        kind: FailureKind,
        detail: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "route", rename_all = "snake_case")]
pub enum Route {
    Direct,
    Proxy { proxy: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HttpProbe {
    pub environment: Environment,
    pub url: String,
    #[serde(flatten)]
    pub route: Route,
    /// What a healthy gateway is expected to answer.
    pub expected: String,
    #[serde(flatten)]
    pub outcome: HttpOutcome,
    pub elapsed_ms: u64,
}

/// [INF] SPEC.md does not say what GET on `/compliance` returns; an API
/// gateway answering a POST-only route with 405 (or 404/401) is a [guess].
/// Shown in reports, so said in plain words.
pub const EXPECTED_ONBOARDING_GET: &str =
    "a 4xx other than 403/429, most likely 405 (ZATCA does not document what a GET here answers)";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ControlProbe {
    pub url: String,
    #[serde(flatten)]
    pub route: Route,
    #[serde(flatten)]
    pub outcome: HttpOutcome,
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClockCheck {
    pub source: String,
    pub server_time: DateTime<Utc>,
    pub local_time: DateTime<Utc>,
    /// Positive when this machine's clock is ahead.
    pub skew_seconds: i64,
    pub tolerance_seconds: u64,
}

impl ClockCheck {
    pub fn is_skewed(&self) -> bool {
        self.skew_seconds.unsigned_abs() > self.tolerance_seconds
    }
}

impl Stage {
    /// The stage in words, for reports and progress lines.
    pub fn label(self) -> Localized {
        match self {
            Stage::Dns => Localized::new("name lookup (DNS)", "تحليل الاسم (DNS)"),
            Stage::Proxy => Localized::new("the proxy", "الخادم الوكيل"),
            Stage::Tcp => Localized::new("connection (TCP)", "الاتصال (TCP)"),
            Stage::Tls => Localized::new("secure handshake (TLS)", "المصافحة الآمنة (TLS)"),
            Stage::Http => Localized::new("HTTP request", "طلب HTTP"),
        }
    }
}

impl HttpOutcome {
    pub fn status(&self) -> Option<u16> {
        match self {
            HttpOutcome::Answered { status, .. } => Some(*status),
            HttpOutcome::Failed { .. } => None,
        }
    }
}

/// One verdict for the whole report, decided by the rule table in
/// `verdict.rs` from the findings above.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictClass {
    Healthy,
    ProxyMisconfigured,
    ProxyRequired,
    NoInternet,
    DnsNxdomain,
    DnsServfail,
    DnsTimeout,
    DnsFailed,
    TcpRefused,
    TcpBlackHole,
    NetworkUnreachable,
    TlsStall,
    TlsVersionRefused,
    TlsFailed,
    UntrustedChain,
    #[serde(rename = "http_403")]
    Http403,
    #[serde(rename = "http_429")]
    Http429,
    #[serde(rename = "http_5xx")]
    Http5xx,
    ClockSkew,
    Inconclusive,
}

impl VerdictClass {
    pub fn id(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
    }

    /// Whether onboarding can go ahead: the gateway answers HTTP and the
    /// clock is right. An OTP is valid one hour; don't spend it otherwise.
    pub fn allows_onboarding(self) -> bool {
        matches!(self, VerdictClass::Healthy)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Verdict {
    pub class: VerdictClass,
    pub problem: bool,
    pub headline: Localized,
    pub next_step: Localized,
}
