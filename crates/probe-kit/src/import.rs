//! Reads a probe run from either source: the PHP page's JSON or the JSON of
//! `fatoora-onboard diagnose --json`. The PHP page writes the same field
//! names as the diagnostics report for DNS, TCP, TLS and HTTP, so one set of
//! types reads both; only the CLI's report carries its own verdict.

use std::path::Path;

use fatoora_base::Localized;
use fatoora_base::input::{self, Cap, InputError, MIB};
use fatoora_diagnostics::VerdictClass;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct ImportedRun {
    pub tool: String,
    /// `php` for the probe page; absent in the CLI's report.
    #[serde(default)]
    pub source: Option<String>,
    pub target: ImportedTarget,
    #[serde(default)]
    pub verdict: Option<ImportedVerdict>,
    #[serde(default)]
    pub dns: Vec<DnsEntry>,
    #[serde(default)]
    pub tcp: Vec<TcpEntry>,
    #[serde(default)]
    pub tls: Vec<TlsEntry>,
    #[serde(default)]
    pub http: Vec<HttpEntry>,
    #[serde(default)]
    pub control: Option<HttpEntry>,
    /// Functions the PHP page could not use, with the reason and the effect.
    #[serde(default)]
    pub degraded: Vec<Degraded>,
    /// Kept whole for the report.
    #[serde(skip)]
    pub raw: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ImportedTarget {
    pub host: String,
    pub port: u16,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ImportedVerdict {
    pub class: VerdictClass,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DnsEntry {
    pub record: String,
    pub outcome: String,
    #[serde(default)]
    pub addresses: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TcpEntry {
    pub address: String,
    pub outcome: String,
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TlsEntry {
    pub address: String,
    pub offered: String,
    pub outcome: String,
    #[serde(default)]
    pub trusted: Option<bool>,
    #[serde(default)]
    pub chain: Vec<CertEntry>,
    #[serde(default)]
    pub detail: Option<String>,
    #[serde(default)]
    pub trust_problem: Option<String>,
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CertEntry {
    pub subject: String,
    pub issuer: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HttpEntry {
    pub url: String,
    pub outcome: String,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub stage: Option<String>,
    #[serde(default)]
    pub detail: Option<String>,
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Degraded {
    pub function: String,
    pub reason: String,
    pub effect: String,
}

/// A report is tens of KiB (a few hundred probes at most); the cap keeps a
/// wrongly chosen file (a log, a disk image) from being read whole.
pub const DIAGNOSTICS_REPORT: Cap = Cap::new("diagnostics report", "تقرير التشخيص", 4 * MIB);

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path} is not a probe result from Fatoora Onboard (probe.php or diagnose --json): {}.", .reason.en)]
    NotAProbeResult { path: String, reason: Localized },
    /// Unreadable, or over [`DIAGNOSTICS_REPORT`]'s cap.
    #[error(transparent)]
    Input(#[from] InputError),
}

impl ImportError {
    pub fn explain(&self) -> Localized {
        let (path, reason) = match self {
            ImportError::Input(error) => return error.explain(),
            ImportError::NotAProbeResult { path, reason } => (path, reason),
        };
        Localized::new(
            self.to_string(),
            format!(
                "الملف \u{2066}{}\u{2069} ليس نتيجة فحص من Fatoora Onboard (صفحة probe.php أو ‎diagnose --json‏): {}.",
                path, reason.ar
            ),
        )
    }
}

impl ImportedRun {
    /// `path` only names the file in the error message.
    pub fn from_json(text: &str, path: &str) -> Result<Self, ImportError> {
        DIAGNOSTICS_REPORT.check(text.len() as u64, Some(Path::new(path)))?;
        let not_a_probe_result = |reason: Localized| ImportError::NotAProbeResult { path: path.to_owned(), reason };
        // In plain words: serde's "missing field `tool` at line 1 column 18"
        // means nothing to the accountant who pasted the text.
        let mut run: ImportedRun = serde_json::from_str(text).map_err(|e| {
            not_a_probe_result(match e.classify() {
                serde_json::error::Category::Data => {
                    Localized::new("it is JSON, but not in the form of a probe result", "هو نص JSON لكن ليس بصيغة نتيجة فحص")
                }
                _ => Localized::new("it is not complete JSON (cut short, or not JSON at all)", "ليس نص JSON كاملا (مقطوع، أو ليس JSON أصلا)"),
            })
        })?;
        if !run.tool.to_ascii_lowercase().contains("fatoora") {
            let tool = format!("{:?}", run.tool);
            return Err(not_a_probe_result(Localized::new(format!("it was written by {tool}"), format!("كتبه \u{2066}{tool}\u{2069}"))));
        }
        run.raw = text.to_owned();
        Ok(run)
    }

    /// [`ImportedRun::from_json`] of the file at `path`, read no further
    /// than [`DIAGNOSTICS_REPORT`]'s cap.
    pub fn from_file(path: &Path) -> Result<Self, ImportError> {
        let bytes = input::read_capped(path, DIAGNOSTICS_REPORT)?;
        let text = String::from_utf8(bytes).map_err(|_| ImportError::NotAProbeResult {
            path: path.display().to_string(),
            reason: Localized::new("it is not text", "ليس نصا"),
        })?;
        Self::from_json(&text, &path.display().to_string())
    }

    pub fn is_php(&self) -> bool {
        self.source.as_deref() == Some("php")
    }

    /// The CLI's own verdict when it has one; otherwise the same order of
    /// causes as the diagnostics rule table (a cause before its symptoms),
    /// applied to what the PHP page could see.
    pub fn class(&self) -> VerdictClass {
        if let Some(verdict) = &self.verdict {
            return verdict.class;
        }
        let control_failed = self.control.as_ref().is_some_and(|c| c.outcome == "failed");
        let is_ip = self.target.host.parse::<std::net::IpAddr>().is_ok();
        // TCP probes exist only for addresses that were found.
        let resolved = is_ip || !self.tcp.is_empty() || self.dns.iter().any(|d| d.outcome == "resolved" && !d.addresses.is_empty());
        if !resolved {
            if control_failed {
                return VerdictClass::NoInternet;
            }
            return match self.dns.iter().find(|d| d.outcome != "no_records").map(|d| d.outcome.as_str()) {
                Some("nx_domain") => VerdictClass::DnsNxdomain,
                Some("serv_fail") => VerdictClass::DnsServfail,
                Some("timeout") => VerdictClass::DnsTimeout,
                _ => VerdictClass::DnsFailed,
            };
        }
        if !self.tcp.is_empty() && !self.tcp.iter().any(|t| t.outcome == "connected") {
            if control_failed {
                return VerdictClass::NoInternet;
            }
            let timed_out = self.tcp.iter().filter(|t| t.outcome == "timed_out").count();
            let refused = self.tcp.iter().filter(|t| t.outcome == "refused").count();
            return if timed_out > 0 && refused == 0 {
                VerdictClass::TcpBlackHole
            } else if refused > 0 {
                VerdictClass::TcpRefused
            } else {
                VerdictClass::NetworkUnreachable
            };
        }
        let established: Vec<&TlsEntry> = self.tls.iter().filter(|t| t.outcome == "established").collect();
        if !self.tls.is_empty() && established.is_empty() {
            return if self.tls.iter().any(|t| t.outcome == "stalled") {
                VerdictClass::TlsStall
            } else if self.tls.iter().all(|t| t.outcome == "version_refused") {
                VerdictClass::TlsVersionRefused
            } else {
                VerdictClass::TlsFailed
            };
        }
        if !established.is_empty() && !established.iter().any(|t| t.trusted == Some(true)) {
            return VerdictClass::UntrustedChain;
        }
        let statuses: Vec<u16> = self.http.iter().filter_map(|h| h.status).collect();
        if statuses.contains(&403) {
            return VerdictClass::Http403;
        }
        if statuses.contains(&429) {
            return VerdictClass::Http429;
        }
        if statuses.iter().any(|s| *s >= 500) {
            return VerdictClass::Http5xx;
        }
        if self.http.is_empty() || statuses.is_empty() {
            return VerdictClass::Inconclusive;
        }
        VerdictClass::Healthy
    }

    /// The fastest HTTP answer from the gateway, for "ZATCA answers in 180 ms".
    pub fn answer_ms(&self) -> Option<u64> {
        self.http.iter().filter(|h| h.status.is_some()).map(|h| h.elapsed_ms).min()
    }

    /// The issuer of the first certificate an untrusted handshake showed.
    pub fn untrusted_issuer(&self) -> Option<&str> {
        self.tls
            .iter()
            .filter(|t| t.trusted == Some(false))
            .find_map(|t| t.chain.first())
            .map(|c| c.issuer.as_str())
    }
}
