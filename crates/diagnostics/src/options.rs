//! What to diagnose and how: the target (the real gateway, or any URL for the
//! local simulator and the test lab), resolvers, proxy, control host, deadline.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use fatoora_core::environment::GATEWAY_HOST;
use fatoora_core::{Environment, Localized};
use rustls::pki_types::CertificateDer;
use url::Url;

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

/// The proxy the way `curl` and most HTTP clients pick it up: from the
/// environment, else from the system's settings on Windows/macOS
/// ([`ProxySettings::detect`]).
#[derive(Debug, Clone, Default)]
pub struct ProxySettings {
    /// Every proxy-related variable that was set, value redacted.
    pub variables: Vec<(String, String)>,
    pub https_proxy: Option<Url>,
    pub no_proxy: Vec<String>,
    /// The OS's own proxy settings (Windows, macOS) as read, used when no
    /// variable is set.
    pub system: Option<crate::proxy::SystemProxy>,
}

const PROXY_VARIABLES: [&str; 8] =
    ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"];

impl ProxySettings {
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let variables: Vec<(String, String)> = PROXY_VARIABLES
            .iter()
            .filter_map(|name| lookup(name).filter(|v| !v.trim().is_empty()).map(|v| (name.to_string(), v)))
            .collect();
        let value = |names: &[&str]| {
            names.iter().find_map(|name| variables.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()))
        };
        let https_proxy = value(&["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]).and_then(|raw| {
            // curl accepts a bare host:port; so do we.
            Url::parse(&raw).ok().filter(|u| u.has_host()).or_else(|| Url::parse(&format!("http://{raw}")).ok())
        });
        let no_proxy = value(&["NO_PROXY", "no_proxy"])
            .map(|v| v.split(',').map(|s| s.trim().trim_start_matches('.').to_ascii_lowercase()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        let variables = variables.into_iter().map(|(n, v)| (n, redact_url(&v))).collect();
        ProxySettings { variables, https_proxy, no_proxy, system: None }
    }

    pub fn with_proxy(url: Url) -> Self {
        let shown = redact_url(url.as_str());
        ProxySettings { variables: vec![("HTTPS_PROXY".into(), shown)], https_proxy: Some(url), no_proxy: vec![], system: None }
    }

    /// The proxy to use for `host`, unless NO_PROXY exempts it.
    pub fn proxy_for(&self, host: &str) -> Option<&Url> {
        let host = host.to_ascii_lowercase();
        let exempt = self.no_proxy.iter().any(|rule| crate::proxy::bypasses(rule, &host));
        if exempt { None } else { self.https_proxy.as_ref() }
    }
}

/// Proxy URLs may carry a user name and password; reports never show them.
/// A bare `user:password@host:port` (which curl accepts) parses as a URL
/// with the scheme `user` and no host: only a URL with a host is trusted to
/// have put its credentials where `Url` finds them.
pub fn redact_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) if url.has_host() && (!url.username().is_empty() || url.password().is_some()) => {
            let _ = url.set_username("REDACTED");
            let _ = url.set_password(None);
            url.to_string()
        }
        Ok(url) if url.has_host() => url.to_string(),
        _ if raw.contains('@') => format!("REDACTED@{}", raw.rsplit('@').next().unwrap_or_default()),
        _ => raw.to_owned(),
    }
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
    fn a_bare_user_password_host_proxy_is_redacted() {
        for raw in ["carol:pw-9f3c1e@proxy.lan:3128", "carol:pw-9f3c1e@", "http://carol:pw-9f3c1e@proxy.lan:3128"] {
            let shown = redact_url(raw);
            assert!(!shown.contains("pw-9f3c1e") && !shown.contains("carol"), "{raw} shown as {shown}");
        }
        let p = ProxySettings::from_lookup(|n| (n == "HTTPS_PROXY").then(|| "carol:pw-9f3c1e@proxy.lan:3128".to_owned()));
        assert!(p.variables.iter().all(|(_, v)| !v.contains("pw-9f3c1e")), "{:?}", p.variables);
        assert_eq!(p.https_proxy.unwrap().password(), Some("pw-9f3c1e"));
        assert_eq!(redact_url("http://proxy.lan:3128"), "http://proxy.lan:3128/");
    }

    #[test]
    fn ca_pem_text_without_a_certificate_is_refused_by_name() {
        let error = parse_ca_pem("not a certificate", "the local simulator's CA").unwrap_err();
        assert!(error.to_string().contains("the local simulator's CA"), "{error}");
    }

    #[test]
    fn proxy_credentials_never_shown_and_no_proxy_respected() {
        let p = ProxySettings::from_lookup(|n| match n {
            "https_proxy" => Some("http://alice:s3cret@proxy.lan:3128".into()),
            "NO_PROXY" => Some("localhost,.zatca.gov.sa".into()),
            _ => None,
        });
        assert!(p.variables.iter().all(|(_, v)| !v.contains("s3cret") && !v.contains("alice")));
        assert!(p.proxy_for("gw-fatoora.zatca.gov.sa").is_none());
        assert_eq!(p.proxy_for("www.google.com").unwrap().password(), Some("s3cret"));
    }
}
