//! The proxy the operating system itself is set to use, next to the
//! environment variables: Windows' per-user WinINet settings (what Edge,
//! Windows' own HTTP stack and most desktop apps follow) and macOS's
//! SCDynamicStore proxies (System Settings › Network › Proxies).
//!
//! The platform glue only reads raw values; turning them into a proxy and
//! bypass rules is plain code here, so it is tested on every platform.
//! Precedence follows curl and reqwest: environment variables first, the
//! system's settings when none is set.

use std::net::IpAddr;

use url::Url;


/// What the OS says about proxies, as read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SystemProxy {
    /// Where it was read, for the report.
    pub source: &'static str,
    /// The HTTP proxy HTTPS requests go through, when one is switched on.
    pub https_proxy: Option<Url>,
    /// Hosts that go direct, as the OS lists them (`*.corp`, `10.*`,
    /// `169.254/16`, `<local>` for names without a dot).
    pub bypass: Vec<String>,
    /// A proxy auto-config script the OS runs; this diagnosis does not.
    pub auto_config_url: Option<String>,
    /// A SOCKS proxy is set for HTTPS; the probes speak HTTP CONNECT only.
    pub socks_proxy: Option<String>,
}

impl SystemProxy {
    /// One sentence for the report; credentials never shown.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        match &self.https_proxy {
            Some(proxy) => parts.push(format!("HTTPS proxy {}", redact_url(proxy.as_str()))),
            None => parts.push("no HTTPS proxy".to_owned()),
        }
        if !self.bypass.is_empty() {
            parts.push(format!("bypassed for {}", self.bypass.join(", ")));
        }
        if let Some(socks) = &self.socks_proxy {
            parts.push(format!("SOCKS proxy {} (not tested: the probes use HTTP CONNECT only)", redact_url(socks)));
        }
        if let Some(pac) = &self.auto_config_url {
            parts.push(format!("auto-config script {} (not run: test its proxy with --proxy)", redact_url(pac)));
        }
        format!("{}: {}", self.source, parts.join("; "))
    }
}

impl ProxySettings {
    /// The environment's proxy when any proxy variable is set, else the
    /// system's (Windows, macOS). The system settings are kept for the
    /// report either way.
    pub fn detect() -> Self {
        Self::combine(Self::from_env(), read_system_proxy())
    }

    pub fn combine(mut from_env: ProxySettings, system: Option<SystemProxy>) -> Self {
        if from_env.variables.is_empty()
            && let Some(system) = &system
        {
            from_env.https_proxy = system.https_proxy.clone();
            from_env.no_proxy = system.bypass.iter().map(|rule| rule.to_ascii_lowercase()).collect();
        }
        from_env.system = system;
        from_env
    }

    /// The report's line about the system proxy; `None` where there is none to read.
    pub fn system_note(&self) -> Option<String> {
        let system = self.system.as_ref()?;
        let ignored = if self.variables.is_empty() { "" } else { " (not used: the environment variables take precedence)" };
        Some(format!("{}{ignored}", system.describe()))
    }
}

/// Whether one bypass rule (NO_PROXY entry or the OS's exception list) sends
/// `host` direct. `host` is lower case.
pub(crate) fn bypasses(rule: &str, host: &str) -> bool {
    let rule = rule.trim().trim_start_matches('.');
    let host = host.trim_matches(|c| c == '[' || c == ']');
    if rule.is_empty() {
        return false;
    }
    if rule == "*" {
        return true;
    }
    if rule == "<local>" {
        return !host.contains('.') && !host.contains(':');
    }
    if let Some(matches) = cidr_contains(rule, host) {
        return matches;
    }
    if rule.contains('*') {
        return glob(rule.as_bytes(), host.as_bytes());
    }
    host == rule || host.ends_with(&format!(".{rule}"))
}

/// `169.254/16`, `10.0.0.0/8`, `fd00::/8`: `Some(contained)` when `rule` is a
/// network (macOS abbreviates IPv4 ones), `None` when it is not.
fn cidr_contains(rule: &str, host: &str) -> Option<bool> {
    let (network, bits) = rule.split_once('/')?;
    let bits: u32 = bits.parse().ok()?;
    let network: IpAddr = match network.parse() {
        Ok(ip) => ip,
        Err(_) => {
            let mut octets: Vec<&str> = network.split('.').collect();
            if octets.is_empty() || octets.len() > 4 {
                return None;
            }
            octets.resize(4, "0");
            octets.join(".").parse().ok()?
        }
    };
    let Ok(host) = host.parse::<IpAddr>() else { return Some(false) };
    Some(match (network, host) {
        (IpAddr::V4(n), IpAddr::V4(h)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(n) & mask == u32::from(h) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(h)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(n) & mask == u128::from(h) & mask
        }
        _ => false,
    })
}

/// `*` matches any run of characters (WinINet's and macOS's only wildcard).
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|skip| glob(rest, &text[skip..])),
        Some((first, rest)) => text.first().is_some_and(|c| c.eq_ignore_ascii_case(first)) && glob(rest, &text[1..]),
    }
}

/// A proxy address as the OS stores it (`host:port`, maybe with a scheme)
/// as the URL of an HTTP proxy.
fn proxy_url(address: &str) -> Option<Url> {
    let address = address.trim();
    if address.is_empty() {
        return None;
    }
    let with_scheme = if address.contains("://") { address.to_owned() } else { format!("http://{address}") };
    Url::parse(&with_scheme).ok().filter(|url| url.has_host())
}

/// WinINet's `ProxyServer`: either one `host:port` for every protocol, or
/// `scheme=host:port` entries separated by `;` (e.g.
/// `http=proxy:80;https=proxy:443;ftp=…;socks=…`). HTTPS uses its own entry,
/// else an unlabelled one, else the SOCKS one.
fn parse_proxy_server(value: &str) -> (Option<Url>, Option<String>) {
    let mut https = None;
    let mut unlabelled = None;
    let mut socks = None;
    for entry in value.split([';', ' ']).map(str::trim).filter(|entry| !entry.is_empty()) {
        match entry.split_once('=') {
            Some((scheme, address)) if scheme.eq_ignore_ascii_case("https") => https = https.or(proxy_url(address)),
            Some((scheme, address)) if scheme.eq_ignore_ascii_case("socks") => socks = socks.or(Some(address.trim().to_owned())),
            Some(_) => {}
            None => unlabelled = unlabelled.or(proxy_url(entry)),
        }
    }
    match https.or(unlabelled) {
        Some(proxy) => (Some(proxy), None),
        None => (None, socks),
    }
}

/// The HTTPS part of macOS's proxy dictionary (keys `HTTPSEnable`,
/// `HTTPSProxy`, `HTTPSPort`, `ExceptionsList`, `ExcludeSimpleHostnames`,
/// `ProxyAutoConfigEnable`, `ProxyAutoConfigURLString`, `SOCKSEnable`…).
#[derive(Debug, Clone, Default)]
pub struct MacProxyValues {
    pub https_enable: bool,
    pub https_host: Option<String>,
    pub https_port: Option<i32>,
    pub exceptions: Vec<String>,
    pub exclude_simple_hostnames: bool,
    pub auto_config_url: Option<String>,
    pub socks: Option<String>,
}

impl SystemProxy {
    /// WinINet's values under HKCU\…\Internet Settings. `ProxyEnable` 0
    /// turns the manual proxy off; an auto-config URL applies either way.
    pub fn from_wininet(
        proxy_enable: u32,
        proxy_server: Option<&str>,
        proxy_override: Option<&str>,
        auto_config_url: Option<&str>,
    ) -> SystemProxy {
        let auto_config_url = auto_config_url.map(str::trim).filter(|url| !url.is_empty()).map(str::to_owned);
        let (https_proxy, socks_proxy) = match proxy_server {
            Some(server) if proxy_enable != 0 => parse_proxy_server(server),
            _ => (None, None),
        };
        let bypass = match (&https_proxy, proxy_override) {
            (Some(_), Some(list)) => list
                .split([';', ' ', ','])
                .map(str::trim)
                .filter(|rule| !rule.is_empty() && *rule != "<-loopback>")
                .map(|rule| rule.split_once("://").map_or(rule, |(_, rest)| rest).to_owned())
                .collect(),
            _ => Vec::new(),
        };
        SystemProxy {
            source: r"Windows proxy (HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings)",
            https_proxy,
            bypass,
            auto_config_url,
            socks_proxy,
        }
    }

    pub fn from_macos(values: MacProxyValues) -> SystemProxy {
        let https_proxy = match (values.https_enable, values.https_host.as_deref().map(str::trim)) {
            (true, Some(host)) if !host.is_empty() => {
                let host = if host.contains(':') && !host.starts_with('[') { format!("[{host}]") } else { host.to_owned() };
                proxy_url(&values.https_port.map_or(host.clone(), |port| format!("{host}:{port}")))
            }
            _ => None,
        };
        let mut bypass = Vec::new();
        if https_proxy.is_some() {
            bypass = values.exceptions.iter().map(|rule| rule.trim().to_owned()).filter(|rule| !rule.is_empty()).collect();
            if values.exclude_simple_hostnames {
                bypass.push("<local>".to_owned());
            }
        }
        SystemProxy {
            source: "macOS proxy (System Settings, Network, Proxies)",
            socks_proxy: if https_proxy.is_none() { values.socks } else { None },
            https_proxy,
            bypass,
            auto_config_url: values.auto_config_url.filter(|url| !url.trim().is_empty()),
        }
    }
}

#[cfg(windows)]
fn read_system_proxy() -> Option<SystemProxy> {
    let settings =
        windows_registry::CURRENT_USER.open(r"Software\Microsoft\Windows\CurrentVersion\Internet Settings").ok()?;
    Some(SystemProxy::from_wininet(
        settings.get_u32("ProxyEnable").unwrap_or(0),
        settings.get_string("ProxyServer").ok().as_deref(),
        settings.get_string("ProxyOverride").ok().as_deref(),
        settings.get_string("AutoConfigURL").ok().as_deref(),
    ))
}

#[cfg(target_os = "macos")]
fn read_system_proxy() -> Option<SystemProxy> {
    use system_configuration::core_foundation::array::CFArray;
    use system_configuration::core_foundation::base::{CFType, TCFType};
    use system_configuration::core_foundation::dictionary::CFDictionary;
    use system_configuration::core_foundation::number::CFNumber;
    use system_configuration::core_foundation::string::{CFString, CFStringRef};
    use system_configuration::dynamic_store::SCDynamicStoreBuilder;
    use system_configuration::sys::schema_definitions::{
        kSCPropNetProxiesExceptionsList, kSCPropNetProxiesExcludeSimpleHostnames, kSCPropNetProxiesHTTPSEnable,
        kSCPropNetProxiesHTTPSPort, kSCPropNetProxiesHTTPSProxy, kSCPropNetProxiesProxyAutoConfigEnable,
        kSCPropNetProxiesProxyAutoConfigURLString, kSCPropNetProxiesSOCKSEnable, kSCPropNetProxiesSOCKSPort,
        kSCPropNetProxiesSOCKSProxy,
    };

    let store = SCDynamicStoreBuilder::new("fatoora-onboard-diagnostics").build()?;
    let proxies: CFDictionary<CFString, CFType> = store.get_proxies()?;
    let number = |key: CFStringRef| proxies.find(key).and_then(|v| v.downcast::<CFNumber>()).and_then(|n| n.to_i32());
    let text = |key: CFStringRef| proxies.find(key).and_then(|v| v.downcast::<CFString>()).map(|s| s.to_string());
    // SAFETY: the schema keys are constant CFStrings exported by the framework.
    #[allow(unsafe_code)]
    let values = unsafe {
        let exceptions = proxies
            .find(kSCPropNetProxiesExceptionsList)
            .and_then(|v| v.downcast::<CFArray>())
            .map(|array| {
                array
                    .iter()
                    .filter_map(|item| CFType::wrap_under_get_rule(*item).downcast::<CFString>().map(|s| s.to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let socks = match (number(kSCPropNetProxiesSOCKSEnable), text(kSCPropNetProxiesSOCKSProxy)) {
            (Some(1), Some(host)) => {
                Some(number(kSCPropNetProxiesSOCKSPort).map_or(host.clone(), |port| format!("{host}:{port}")))
            }
            _ => None,
        };
        MacProxyValues {
            https_enable: number(kSCPropNetProxiesHTTPSEnable) == Some(1),
            https_host: text(kSCPropNetProxiesHTTPSProxy),
            https_port: number(kSCPropNetProxiesHTTPSPort),
            exceptions,
            exclude_simple_hostnames: number(kSCPropNetProxiesExcludeSimpleHostnames) == Some(1),
            auto_config_url: (number(kSCPropNetProxiesProxyAutoConfigEnable) == Some(1))
                .then(|| text(kSCPropNetProxiesProxyAutoConfigURLString))
                .flatten(),
            socks,
        }
    };
    Some(SystemProxy::from_macos(values))
}

/// Elsewhere (Linux servers) the environment variables are the system's
/// proxy settings.
#[cfg(not(any(windows, target_os = "macos")))]
fn read_system_proxy() -> Option<SystemProxy> {
    None
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
    pub system: Option<SystemProxy>,
    /// Typed by the user for one diagnosis, in place of all the above.
    pub entered: bool,
}

/// Where the proxy in use was set: the place where the user corrects it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyOrigin {
    /// An environment variable, by name.
    Variable(String),
    /// The operating system's settings, as [`SystemProxy::source`] names them.
    System(&'static str),
    /// Typed by the user for this diagnosis.
    Entered,
}

const PROXY_VARIABLES: [&str; 8] =
    ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"];
/// The variables HTTPS requests take their proxy from, first one set wins.
const HTTPS_PROXY_VARIABLES: [&str; 4] = ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"];

/// A proxy address as curl takes it: a URL, or a bare `host:port`.
fn parse_proxy(raw: &str) -> Option<Url> {
    Url::parse(raw).ok().filter(|u| u.has_host()).or_else(|| Url::parse(&format!("http://{raw}")).ok())
}

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
        let https_proxy = value(&HTTPS_PROXY_VARIABLES).and_then(|raw| parse_proxy(&raw));
        let no_proxy = value(&["NO_PROXY", "no_proxy"])
            .map(|v| v.split(',').map(|s| s.trim().trim_start_matches('.').to_ascii_lowercase()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        let variables = variables.into_iter().map(|(n, v)| (n, redact_url(&v))).collect();
        ProxySettings { variables, https_proxy, no_proxy, system: None, entered: false }
    }

    /// A proxy the user typed for this diagnosis, in place of the configured
    /// one; `None` when the text is not a proxy address.
    pub fn entered(raw: &str) -> Option<Self> {
        let https_proxy = parse_proxy(raw.trim())?;
        Some(ProxySettings { https_proxy: Some(https_proxy), entered: true, ..Self::default() })
    }

    /// Where the proxy in use comes from; `None` when there is none.
    pub fn origin(&self) -> Option<ProxyOrigin> {
        self.https_proxy.as_ref()?;
        if self.entered {
            return Some(ProxyOrigin::Entered);
        }
        let variable = HTTPS_PROXY_VARIABLES.iter().find(|name| self.variables.iter().any(|(set, _)| set == *name));
        match variable {
            Some(name) => Some(ProxyOrigin::Variable((*name).to_owned())),
            None => self.system.as_ref().map(|system| ProxyOrigin::System(system.source)),
        }
    }

    /// The proxy to use for `host`, unless NO_PROXY exempts it.
    pub fn proxy_for(&self, host: &str) -> Option<&Url> {
        let host = host.to_ascii_lowercase();
        let exempt = self.no_proxy.iter().any(|rule| bypasses(rule, &host));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Option<Url> {
        Some(Url::parse(text).unwrap())
    }

    #[test]
    fn proxy_server_one_address_for_every_protocol() {
        assert_eq!(parse_proxy_server("proxy.corp:8080"), (url("http://proxy.corp:8080"), None));
        assert_eq!(parse_proxy_server(" http://10.1.2.3:3128 "), (url("http://10.1.2.3:3128"), None));
        assert_eq!(parse_proxy_server("[fd00::1]:3128"), (url("http://[fd00::1]:3128"), None));
    }

    #[test]
    fn proxy_server_per_protocol_entries() {
        let value = "http=web.corp:80;https=secure.corp:8443;ftp=ftp.corp:21";
        assert_eq!(parse_proxy_server(value), (url("http://secure.corp:8443"), None));
        assert_eq!(parse_proxy_server("HTTPS=secure.corp:8443; http=web.corp:80"), (url("http://secure.corp:8443"), None));
        // Only an HTTP entry: WinINet sends HTTPS direct.
        assert_eq!(parse_proxy_server("http=web.corp:80"), (None, None));
        assert_eq!(parse_proxy_server("http=web.corp:80;socks=socks.corp:1080"), (None, Some("socks.corp:1080".into())));
        assert_eq!(parse_proxy_server(""), (None, None));
        assert_eq!(parse_proxy_server(";;"), (None, None));
    }

    #[test]
    fn wininet_disabled_proxy_is_not_used_but_auto_config_is_reported() {
        let off = SystemProxy::from_wininet(0, Some("proxy.corp:8080"), Some("<local>"), Some("http://wpad.corp/proxy.pac"));
        assert_eq!(off.https_proxy, None);
        assert!(off.bypass.is_empty());
        assert_eq!(off.auto_config_url.as_deref(), Some("http://wpad.corp/proxy.pac"));
        assert!(off.describe().contains("auto-config script http://wpad.corp/proxy.pac (not run"), "{}", off.describe());
    }

    #[test]
    fn wininet_override_list_becomes_bypass_rules() {
        let on = SystemProxy::from_wininet(1, Some("proxy.corp:8080"), Some("*.corp.example;10.*;<local>;<-loopback>;https://intranet"), None);
        assert_eq!(on.bypass, ["*.corp.example", "10.*", "<local>", "intranet"]);
        let settings = ProxySettings::combine(ProxySettings::from_lookup(|_| None), Some(on));
        assert_eq!(settings.proxy_for("gw-fatoora.zatca.gov.sa").map(Url::as_str), Some("http://proxy.corp:8080/"));
        for direct in ["erp.corp.example", "10.20.30.40", "fileserver", "intranet", "INTRANET"] {
            assert_eq!(settings.proxy_for(direct), None, "{direct} bypasses the proxy");
        }
        assert!(settings.proxy_for("corp.example.evil.sa").is_some());
        assert!(settings.proxy_for("110.1.1.1").is_some());
    }

    #[test]
    fn the_origin_names_where_the_proxy_was_set() {
        let env = ProxySettings::from_lookup(|name| (name == "https_proxy" || name == "ALL_PROXY").then(|| "proxy.lan:3128".to_owned()));
        assert_eq!(env.origin(), Some(ProxyOrigin::Variable("https_proxy".into())));
        let system = ProxySettings::combine(ProxySettings::from_lookup(|_| None), Some(SystemProxy::from_wininet(1, Some("proxy.corp:8080"), None, None)));
        assert!(matches!(system.origin(), Some(ProxyOrigin::System(source)) if source.starts_with("Windows proxy")), "{:?}", system.origin());
        let entered = ProxySettings::entered(" proxy.lan:3128 ").unwrap();
        assert_eq!(entered.origin(), Some(ProxyOrigin::Entered));
        assert!(entered.variables.is_empty(), "a typed proxy is no environment variable");
        assert_eq!(entered.https_proxy.unwrap().as_str(), "http://proxy.lan:3128/");
        assert_eq!(ProxySettings::from_lookup(|_| None).origin(), None);
        assert!(ProxySettings::entered("not a proxy").is_none());
    }

    #[test]
    fn environment_variables_win_over_the_system_and_the_note_says_so() {
        let system = Some(SystemProxy::from_wininet(1, Some("proxy.corp:8080"), None, None));
        let env = ProxySettings::from_lookup(|name| (name == "HTTPS_PROXY").then(|| "http://env.proxy:3128".to_owned()));
        let settings = ProxySettings::combine(env, system);
        assert_eq!(settings.proxy_for("gw-fatoora.zatca.gov.sa").map(Url::as_str), Some("http://env.proxy:3128/"));
        let note = settings.system_note().unwrap();
        assert!(note.contains("HTTPS proxy http://proxy.corp:8080/") && note.contains("not used"), "{note}");
    }

    #[test]
    fn credentials_in_the_system_proxy_are_never_shown() {
        let system = SystemProxy::from_wininet(1, Some("https=alice:s3cret@proxy.corp:8080"), None, None);
        assert_eq!(system.https_proxy.as_ref().unwrap().password(), Some("s3cret"));
        assert!(!system.describe().contains("s3cret") && !system.describe().contains("alice"), "{}", system.describe());
    }

    #[test]
    fn macos_values_with_exceptions_and_simple_hostnames() {
        let values = MacProxyValues {
            https_enable: true,
            https_host: Some("proxy.corp".into()),
            https_port: Some(3128),
            exceptions: vec!["*.local".into(), "169.254/16".into(), "fd00::/8".into()],
            exclude_simple_hostnames: true,
            ..MacProxyValues::default()
        };
        let settings = ProxySettings::combine(ProxySettings::from_lookup(|_| None), Some(SystemProxy::from_macos(values)));
        assert_eq!(settings.proxy_for("gw-fatoora.zatca.gov.sa").map(Url::as_str), Some("http://proxy.corp:3128/"));
        for direct in ["printer.local", "169.254.3.4", "fd00::9", "nas"] {
            assert_eq!(settings.proxy_for(direct), None, "{direct} bypasses the proxy");
        }
        assert!(settings.proxy_for("169.255.0.1").is_some());
        assert!(settings.proxy_for("2001:db8::1").is_some());

        let off = SystemProxy::from_macos(MacProxyValues { https_host: Some("proxy.corp".into()), ..MacProxyValues::default() });
        assert_eq!(off.https_proxy, None);
        let v6 = SystemProxy::from_macos(MacProxyValues { https_enable: true, https_host: Some("fd00::1".into()), https_port: Some(8080), ..MacProxyValues::default() });
        assert_eq!(v6.https_proxy, url("http://[fd00::1]:8080"));
    }

    #[test]
    fn environment_style_rules_still_match_as_before() {
        assert!(bypasses("zatca.gov.sa", "gw-fatoora.zatca.gov.sa"));
        assert!(bypasses(".zatca.gov.sa", "gw-fatoora.zatca.gov.sa"));
        assert!(!bypasses("zatca.gov.sa", "notzatca.gov.sa"));
        assert!(bypasses("*", "anything"));
        assert!(!bypasses("", "anything"));
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
