//! The PHP probe page: one self-contained file for hosts with no shell.
//! The PHP source lives in `templates/probe.php`; generation only fills in
//! a base64 JSON configuration, so no user value is ever pasted into PHP code.

use base64::Engine as _;
use fatoora_base::Environment;
use serde_json::json;

/// SPEC.md 1.1: every environment sits under this prefix on the gateway.
const GATEWAY_PATH_PREFIX: &str = "/e-invoicing";

const TEMPLATE: &str = include_str!("../templates/probe.php");

/// What the generated page probes. The gateway is configurable so tests
/// can point it at their own lab servers.
#[derive(Debug, Clone)]
pub struct PhpProbeOptions {
    /// Host name or address literal (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    pub environments: Vec<Environment>,
    pub control_url: Option<String>,
    /// A service that answers with the caller's IP; off unless the user asks.
    pub echo_url: Option<String>,
    pub timeout_secs: f64,
}

impl PhpProbeOptions {
    pub fn gateway() -> Self {
        PhpProbeOptions {
            host: fatoora_base::environment::GATEWAY_HOST.to_owned(),
            port: 443,
            environments: fatoora_diagnostics::ALL_ZATCA_ENVIRONMENTS.to_vec(),
            control_url: Some(fatoora_diagnostics::DEFAULT_CONTROL_URL.to_owned()),
            echo_url: None,
            timeout_secs: 10.0,
        }
    }

    fn origin(&self) -> String {
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        if self.port == 443 { format!("https://{host}") } else { format!("https://{host}:{}", self.port) }
    }
}

pub struct GeneratedProbe {
    pub source: String,
    /// Goes in the page's URL as `?token=`; without it the page answers 403.
    pub token: String,
}

/// A fresh 128-bit token from the OS's random generator, hex-encoded.
pub fn new_token() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random generator is available");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn generate(options: &PhpProbeOptions) -> GeneratedProbe {
    generate_with_token(options, new_token())
}

pub fn generate_with_token(options: &PhpProbeOptions, token: String) -> GeneratedProbe {
    let origin = options.origin();
    let environments: serde_json::Map<String, serde_json::Value> = options
        .environments
        .iter()
        .map(|env| {
            let url = format!("{origin}{}/{}/compliance", GATEWAY_PATH_PREFIX, env.gateway_path());
            (env.to_string(), json!(url))
        })
        .collect();
    let config = json!({
        "token": token,
        "host": options.host,
        "port": options.port,
        "environments": environments,
        "expected": fatoora_diagnostics::EXPECTED_ONBOARDING_GET,
        "control_url": options.control_url,
        "echo_url": options.echo_url,
        "timeout_s": options.timeout_secs,
    });
    let encoded = base64::engine::general_purpose::STANDARD.encode(config.to_string());
    let source = TEMPLATE
        .replacen("__CONFIG__", &encoded, 1)
        .replacen("__GENERATED_AT__", &chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(), 1);
    GeneratedProbe { source, token }
}
