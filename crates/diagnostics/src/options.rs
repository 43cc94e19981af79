//! What to diagnose and how: the target (the real gateway, or any URL for the
//! local simulator and the test lab), resolvers, proxy, control host, deadline.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use fatoora_base::environment::GATEWAY_HOST;
use fatoora_base::{Environment, Localized};
use rustls::pki_types::CertificateDer;
use url::Url;

use crate::proxy::ProxySettings;

/// The environments `--env all` covers: the three real FATOORA environments.
pub const ALL_ZATCA_ENVIRONMENTS: [Environment; 3] =
    [Environment::Sandbox, Environment::Simulation, Environment::Production];

/// Path prefix of every FATOORA environment on the gateway (SPEC.md 1.1).
pub const GATEWAY_PATH_PREFIX: &str = "/e-invoicing";

/// A second, well-known HTTPS site: when it answers and ZATCA does not, the
/// problem is on the path to ZATCA, not this machine's internet access.
pub const DEFAULT_CONTROL_URL: &str = "https://www.google.com/";

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Beyond this difference from the gateway's `Date` header the clock is
/// reported as wrong. [INF] ZATCA publishes no tolerance; two minutes keeps
/// well inside certificate validity checks and invoice timestamp checks.
pub const DEFAULT_CLOCK_TOLERANCE: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Host name or address literal (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    /// Prepended to `/{environment path}/compliance`.
    pub path_prefix: String,
    pub environments: Vec<Environment>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("--url {given:?} is not a URL: {reason}")]
    NotAUrl { given: String, reason: String },
    #[error("--url {given:?} must start with https://")]
    NotHttps { given: String },
    #[error("--env local needs --url with the address of the local simulator")]
    LocalNeedsUrl,
    #[error("--resolver {given:?} is not an IP address with an optional port (e.g. 127.0.0.1:5353)")]
    BadResolver { given: String },
    #[error("--ca-file {path:?} holds no readable PEM certificate: {reason}")]
    BadCaFile { path: String, reason: String },
}

impl TargetError {
    pub fn message(&self) -> Localized {
        match self {
            TargetError::NotAUrl { given, reason } => Localized::new(
                self.to_string(),
                format!("قيمة ‎--url‏ «\u{2066}{given}\u{2069}» ليست عنوان URL صالحًا: {reason}"),
            ),
            TargetError::NotHttps { given } => Localized::new(
                self.to_string(),
                format!("يجب أن تبدأ قيمة ‎--url‏ «\u{2066}{given}\u{2069}» بـ https://"),
            ),
            TargetError::LocalNeedsUrl => Localized::new(
                self.to_string(),
                "تحتاج البيئة ‎local‏ إلى ‎--url‏ بعنوان المحاكي المحلي",
            ),
            TargetError::BadResolver { given } => Localized::new(
                self.to_string(),
                format!("قيمة ‎--resolver‏ «\u{2066}{given}\u{2069}» ليست عنوان IP مع منفذ اختياري (مثل 127.0.0.1:5353)"),
            ),
            TargetError::BadCaFile { path, reason } => Localized::new(
                self.to_string(),
                format!("الملف «\u{2066}{path}\u{2069}» في ‎--ca-file‏ لا يحتوي على شهادة PEM مقروءة: \u{2066}{reason}\u{2069}"),
            ),
        }
    }
}

impl Target {
    /// The real gateway, `gw-fatoora.zatca.gov.sa:443`.
    pub fn gateway(environments: Vec<Environment>) -> Result<Self, TargetError> {
        if environments.contains(&Environment::Local) {
            return Err(TargetError::LocalNeedsUrl);
        }
        Ok(Target {
            host: GATEWAY_HOST.to_owned(),
            port: 443,
            path_prefix: GATEWAY_PATH_PREFIX.to_owned(),
            environments,
        })
    }

    /// Another origin: the local simulator, a staging mirror, the test lab.
    /// A URL with a path uses it as the prefix instead of `/e-invoicing`.
    pub fn from_url(given: &str, environments: Vec<Environment>) -> Result<Self, TargetError> {
        let url = Url::parse(given).map_err(|e| TargetError::NotAUrl {
            given: given.to_owned(),
            reason: e.to_string(),
        })?;
        if url.scheme() != "https" {
            return Err(TargetError::NotHttps { given: given.to_owned() });
        }
        let host = match url.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(host) => host.to_string(),
            None => {
                return Err(TargetError::NotAUrl { given: given.to_owned(), reason: "no host".into() });
            }
        };
        let path = url.path().trim_end_matches('/');
        Ok(Target {
            host,
            port: url.port_or_known_default().unwrap_or(443),
            path_prefix: if path.is_empty() { GATEWAY_PATH_PREFIX.to_owned() } else { path.to_owned() },
            environments,
        })
    }

    pub fn ip_literal(&self) -> Option<IpAddr> {
        self.host.parse().ok()
    }

    pub fn origin(&self) -> String {
        match self.ip_literal() {
            Some(IpAddr::V6(ip)) => format!("https://[{ip}]:{}", self.port),
            _ if self.port == 443 => format!("https://{}", self.host),
            _ => format!("https://{}:{}", self.host, self.port),
        }
    }

    /// A harmless request whose answer is known: GET on the onboarding
    /// endpoint that only takes POST (SPEC.md 1.2 #1). Sending no OTP and no
    /// CSR, it can burn nothing.
    pub fn probe_path(&self, environment: Environment) -> String {
        format!("{}/{}/compliance", self.path_prefix, environment.gateway_path())
    }
}

/// `IP[:PORT]`, the port defaulting to 53.
pub fn parse_resolver(given: &str) -> Result<SocketAddr, TargetError> {
    let given = given.trim();
    given
        .parse::<SocketAddr>()
        .or_else(|_| given.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
        .map_err(|_| TargetError::BadResolver { given: given.to_owned() })
}

/// Extra trust anchors from a PEM file: a company CA the user trusts, or the
/// local simulator's CA.
pub fn load_ca_file(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, TargetError> {
    use rustls::pki_types::pem::PemObject;
    let bad = |reason: String| TargetError::BadCaFile { path: path.display().to_string(), reason };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| bad(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("no CERTIFICATE block".into()));
    }
    Ok(certs)
}

/// Extra trust anchors from PEM text held in memory (the app's in-process
/// simulator hands its CA over this way); `source` names it in the error.
pub fn parse_ca_pem(pem: &str, source: &str) -> Result<Vec<CertificateDer<'static>>, TargetError> {
    use rustls::pki_types::pem::PemObject;
    let bad = |reason: String| TargetError::BadCaFile { path: source.to_owned(), reason };
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes()).collect::<Result<Vec<_>, _>>().map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("no CERTIFICATE block".into()));
    }
    Ok(certs)
}

#[derive(Debug, Clone)]
pub struct DiagnoseOptions {
    pub target: Target,
    /// Each probe's own deadline.
    pub timeout: Duration,
    /// Query the resolvers of /etc/resolv.conf (the OS's on Windows/macOS).
    pub use_system_resolver: bool,
    /// A resolver the user names, queried next to the system one.
    pub user_resolver: Option<SocketAddr>,
    pub proxy: ProxySettings,
    /// `None` skips the control probe.
    pub control_url: Option<String>,
    /// Trusted next to the OS store (a company CA the user chose to trust, or
    /// the test lab's CA).
    pub extra_roots: Vec<CertificateDer<'static>>,
    pub clock_tolerance: Duration,
    pub app_version: String,
}

impl DiagnoseOptions {
    pub fn new(target: Target) -> Self {
        DiagnoseOptions {
            target,
            timeout: DEFAULT_TIMEOUT,
            use_system_resolver: true,
            user_resolver: None,
            proxy: ProxySettings::detect(),
            control_url: Some(DEFAULT_CONTROL_URL.to_owned()),
            extra_roots: Vec::new(),
            clock_tolerance: DEFAULT_CLOCK_TOLERANCE,
            app_version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_with_port_and_no_path_keeps_the_gateway_prefix() {
        let t = Target::from_url("https://127.0.0.1:8443", vec![Environment::Local]).unwrap();
        assert_eq!((t.host.as_str(), t.port), ("127.0.0.1", 8443));
        assert_eq!(t.probe_path(Environment::Local), "/e-invoicing/core/compliance");
        let t = Target::from_url("https://[::1]:9/x/", vec![Environment::Sandbox]).unwrap();
        assert_eq!(t.host, "::1");
        assert_eq!(t.origin(), "https://[::1]:9");
        assert_eq!(t.probe_path(Environment::Sandbox), "/x/developer-portal/compliance");
    }

    #[test]
    fn rejects_plain_http_and_local_without_url() {
        assert!(matches!(Target::from_url("http://x", vec![]), Err(TargetError::NotHttps { .. })));
        assert_eq!(Target::gateway(vec![Environment::Local]), Err(TargetError::LocalNeedsUrl));
    }

    #[test]
    fn resolver_port_defaults_to_53() {
        assert_eq!(parse_resolver("10.0.0.1").unwrap(), "10.0.0.1:53".parse().unwrap());
        assert_eq!(parse_resolver("[::1]:5353").unwrap(), "[::1]:5353".parse().unwrap());
        assert!(parse_resolver("dns.example").is_err());
    }

    #[test]
    fn ca_pem_text_without_a_certificate_is_refused_by_name() {
        let error = parse_ca_pem("not a certificate", "the local simulator's CA").unwrap_err();
        assert!(error.to_string().contains("the local simulator's CA"), "{error}");
    }
}
