//! Network diagnostics for the FATOORA gateway (`gw-fatoora.zatca.gov.sa`).
//!
//! Concurrent probes (configuration, DNS, TCP, TLS 1.3/1.2, HTTP per
//! environment, proxy path, control host, clock), a rule table that turns
//! their findings into one verdict in English and Arabic, and reports in
//! JSON, text and self-contained HTML. Used by the GUI (live progress),
//! the onboarding pre-flight ([`preflight`]) and `fatoora-onboard diagnose`.
#![cfg_attr(all(not(test), target_os = "linux"), deny(unused_crate_dependencies))]

mod dns;
mod engine;
pub mod history;
mod http;
mod model;
mod options;
mod proxy;
mod report;
mod system;
mod tcp;
mod tls;
mod verdict;

pub use engine::{Progress, ProbeState, ProgressEvent, diagnose};
pub use model::*;
pub use options::{
    ALL_ZATCA_ENVIRONMENTS, DEFAULT_CONTROL_URL, DEFAULT_TIMEOUT, DiagnoseOptions, Target, TargetError, load_ca_file,
    parse_ca_pem, parse_resolver,
};
pub use proxy::{MacProxyValues, ProxyOrigin, ProxySettings, SystemProxy, redact_url};

/// The onboarding pre-flight: can the gateway be reached right now? Run it
/// before asking for an OTP, which is valid for one hour only.
#[derive(Debug, Clone)]
pub struct Preflight {
    pub ready: bool,
    pub verdict: Verdict,
    pub report: Report,
}

/// The same probes as [`diagnose`], all concurrent, so it takes about one
/// round trip when the gateway is healthy and at most one deadline when not.
pub async fn preflight(options: &DiagnoseOptions) -> Preflight {
    let report = diagnose(options, None).await;
    Preflight { ready: report.verdict.class.allows_onboarding(), verdict: report.verdict.clone(), report }
}
