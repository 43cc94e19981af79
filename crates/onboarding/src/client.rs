//! The HTTPS client for FATOORA's four onboarding calls (SPEC.md 1.2).
//!
//! Trust: the operating system's store through rustls-platform-verifier for
//! the real gateway (so a corporate TLS-inspecting proxy whose root the IT
//! department installed keeps working), and, for the `local` environment
//! only, the bundled simulator's own CA and nothing else. The simulator's CA
//! is never trusted for a ZATCA environment: [`Target`] cannot express that.
//!
//! Every call returns an [`Exchange`]: the parsed answer plus a
//! [`CallRecord`] for the journal, which says whether the request may have
//! reached the gateway. Secrets (the OTP, the CSID secret) go only into
//! headers marked sensitive; they are never part of an error, a record or a
//! log line.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use fatoora_base::i18n::Language;
use fatoora_base::input::{Cap, MIB, human_size};
use fatoora_base::secrets::Sensitive;
use fatoora_base::values::Otp;
use fatoora_base::{Environment, Localized};
use reqwest::header::HeaderValue;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::catalogue::{self, Endpoint, GatewayError};

mod answers;
mod transport;

use answers::{compliance_check, finish, issued_csid};
pub use answers::{Answer, certificate_pem_from_token, read_answer};

/// TCP + TLS set-up limit. A reachable gateway completes both in well under
/// a second from inside KSA; the failures users report (SPEC.md 4.2, forum
/// topic 9381) hang at TCP connect, so 10 s separates "blocked" from "slow"
/// quickly, and a connect failure is safe to retry (nothing was sent).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Whole-request limit. Odoo's 30 s cuts off `/compliance` calls that the
/// sandbox has been seen to hold open for minutes before answering (SPEC.md
/// 4.2, zatca-kit [3P]) — and a cut-off `/compliance` may still have spent the
/// OTP. ERPGulf's 300 s leaves a user staring at a spinner for five minutes
/// (USER-VOICES 5). 90 s is zatca-kit's recommendation: long enough for the
/// slow-but-working days, short enough to then say what is wrong.
pub const DEFAULT_TOTAL_TIMEOUT: Duration = Duration::from_secs(90);

/// Attempts for a request that certainly never left this machine (DNS
/// failure, connection refused, TLS set-up failure). Anything after the
/// request was written is never retried automatically.
pub const MAX_ATTEMPTS: u32 = 3;
/// ZATCA's largest answers (a CSID with its certificate, a compliance check
/// with its validation messages) are a few KiB; a proxy's error page a few
/// dozen. Anything past this is refused while it arrives.
pub const GATEWAY_ANSWER: Cap = Cap::new("answer from the gateway", "رد البوابة", MIB);

/// Where the client sends requests.
#[derive(Clone)]
pub enum Target {
    /// A real FATOORA environment: ZATCA's base URL, the OS trust store.
    Zatca(Environment),
    /// The bundled simulator: its base URL (as it reports it) and its CA
    /// certificate(s) in PEM, trusted for this target only.
    Local { base_url: String, ca_pem: String },
    /// The bundled simulator standing in for one of ZATCA's environments at
    /// that environment's path (`/simulation`, `/developer-portal`), so the
    /// environment's CSR template and gateway rules run end to end without
    /// ZATCA. Trust as for `Local`.
    Simulated { environment: Environment, base_url: String, ca_pem: String },
}

impl Target {
    pub fn environment(&self) -> Environment {
        match self {
            Target::Zatca(environment) => *environment,
            Target::Local { .. } => Environment::Local,
            Target::Simulated { environment, .. } => *environment,
        }
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Zatca(environment) => write!(f, "Zatca({environment})"),
            Target::Local { base_url, .. } => write!(f, "Local({base_url})"),
            Target::Simulated { environment, base_url, .. } => write!(f, "Simulated({environment}, {base_url})"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub connect_timeout: Duration,
    pub total_timeout: Duration,
    pub language: Language,
    /// Pause before each automatic retry of a request that was not sent.
    pub retry_pause: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            total_timeout: DEFAULT_TOTAL_TIMEOUT,
            language: Language::En,
            retry_pause: Duration::from_millis(500),
        }
    }
}

/// A CSID as the gateway issued it: the `binarySecurityToken` exactly as
/// returned (used as the Basic user name without re-encoding, SPEC.md 1.2) and
/// its secret.
/// Not `Serialize`: the secret is a [`Sensitive`], which has no `Serialize`,
/// so neither this nor anything holding it can be sent over the app's IPC.
#[derive(Clone)]
pub struct Credentials {
    pub token: String,
    secret: Sensitive<String>,
}

impl Credentials {
    pub fn new(token: impl Into<String>, secret: impl Into<String>) -> Self {
        Self { token: token.into(), secret: Sensitive::new(secret.into()) }
    }

    /// The secret, for the Basic header and the SecretStore only.
    pub fn expose_secret(&self) -> &str {
        self.secret.expose()
    }

    fn basic_header(&self) -> HeaderValue {
        let user_and_secret = Zeroizing::new(format!("{}:{}", self.token.trim(), self.secret.expose()));
        let encoded = Zeroizing::new(BASE64.encode(user_and_secret.as_bytes()));
        let header = Zeroizing::new(format!("Basic {}", encoded.as_str()));
        let mut value = HeaderValue::from_str(&header).expect("base64 is a valid header value");
        value.set_sensitive(true);
        value
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials").field("token_chars", &self.token.len()).field("secret", &"******").finish()
    }
}

/// A CSID the gateway issued: from `/compliance` (CCSID), `/production/csids`
/// (PCSID), or `PATCH` (a new PCSID, or with 428 a renewed CCSID).
#[derive(Debug, Clone)]
pub struct IssuedCsid {
    /// `requestID`; from `/compliance` it is the `compliance_request_id` of
    /// the later production call.
    pub request_id: String,
    pub credentials: Credentials,
    /// The certificate as PEM (the token decoded once, SPEC.md 1.3).
    pub certificate_pem: String,
}

/// The result of one compliance check that ZATCA accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComplianceCheck {
    /// `PASS` or `WARNING`.
    pub status: String,
    pub warnings: Vec<String>,
    pub reporting_status: Option<String>,
    pub clearance_status: Option<String>,
}

/// The outcome of a renewal (SPEC.md 1.7).
#[derive(Debug, Clone)]
pub enum Renewal {
    /// 200: a new PCSID.
    Renewed(IssuedCsid),
    /// 428 NOT_COMPLIANT: a renewed CCSID; run the compliance checks with it
    /// and then request the PCSID again.
    ChecksRequired(IssuedCsid),
}

/// Whether a request may have reached the gateway. Decides whether an OTP
/// may be spent and whether an automatic retry is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reach {
    /// It never left this machine (DNS, connect or TLS set-up failed).
    NotSent,
    /// It was sent but no complete answer came back (timeout, reset): ZATCA
    /// may have processed it.
    MayHaveReached,
    /// The gateway (or something in front of it) answered.
    Answered,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TransportFailure {
    Dns,
    ConnectionRefused,
    ConnectTimeout,
    Tls,
    Timeout,
    ConnectionReset,
    Other,
}

/// Why a call produced no usable answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    #[error("{0}")]
    Gateway(GatewayError),
    /// No (complete) HTTP answer. `detail` is the transport's description,
    /// which holds host names and OS error text, never request contents.
    #[error("could not complete the request ({failure:?}, {reach:?}): {detail}")]
    Transport { failure: TransportFailure, reach: Reach, detail: String },
    /// A success status whose body we could not read.
    #[error("FATOORA answered HTTP {status} with a body the app could not read: {detail}")]
    UnreadableAnswer { status: u16, detail: String },
    /// The answer passed [`GATEWAY_ANSWER`]'s cap and was not read on.
    #[error("FATOORA's answer (HTTP {status}) is larger than the {} allowed; it was not read", human_size(*limit))]
    AnswerTooLarge { status: u16, limit: u64 },
}

impl CallError {
    pub fn reach(&self) -> Reach {
        match self {
            CallError::Transport { reach, .. } => *reach,
            _ => Reach::Answered,
        }
    }

    pub fn gateway(&self) -> Option<&GatewayError> {
        match self {
            CallError::Gateway(error) => Some(error),
            _ => None,
        }
    }

    /// Plain words and a next step, in both languages.
    pub fn explain(&self, endpoint: Endpoint) -> catalogue::Explanation {
        match self {
            CallError::Gateway(error) => error.explain(endpoint),
            CallError::Transport { failure, reach, .. } => transport_explanation(*failure, *reach, endpoint),
            CallError::UnreadableAnswer { status, .. } => catalogue::Explanation {
                what_happened: Localized::new(
                    format!("The gateway answered HTTP {status}, but not in the form ZATCA documents."),
                    format!("ردّت البوابة بالرمز HTTP {status} لكن ليس بالصيغة التي توثّقها الهيئة."),
                ),
                next_step: Localized::new(
                    "Run the network diagnostics; if they are clean, send the support message to ZATCA.",
                    "شغّل تشخيص الاتصال؛ وإن كانت نتيجته سليمة فأرسل رسالة الدعم إلى الهيئة.",
                ),
                retry_may_help: true,
            },
            CallError::AnswerTooLarge { status, limit } => catalogue::Explanation {
                what_happened: Localized::new(
                    format!(
                        "The answer from the gateway (HTTP {status}) is larger than the {} the app accepts, far more than any answer ZATCA sends, so it was not read. Something between this computer and ZATCA (a proxy or a firewall) may have replaced it.",
                        human_size(*limit)
                    ),
                    format!(
                        "رد البوابة (HTTP {status}) أكبر من الحد الذي يقبله التطبيق ({})، وهو أكبر بكثير من أي رد ترسله الهيئة، فلم يُقرأ. ربما استبدله شيء بين هذا الحاسوب والهيئة (خادم وكيل أو جدار حماية).",
                        human_size(*limit)
                    ),
                ),
                next_step: Localized::new(
                    "The request reached the gateway: do not send it again blindly. Run the network diagnostics and send the support message to ZATCA or to your network administrator.",
                    "وصل الطلب إلى البوابة، فلا تُعِد إرساله دون تحقّق. شغّل تشخيص الاتصال وأرسل رسالة الدعم إلى الهيئة أو إلى مسؤول الشبكة لديك.",
                ),
                retry_may_help: false,
            },
        }
    }
}

fn transport_explanation(failure: TransportFailure, reach: Reach, endpoint: Endpoint) -> catalogue::Explanation {
    let (what_en, what_ar) = match failure {
        TransportFailure::Dns => (
            "The gateway's name could not be looked up (DNS).",
            "تعذر العثور على عنوان البوابة (DNS).",
        ),
        TransportFailure::ConnectionRefused => ("The gateway refused the connection.", "رفضت البوابة الاتصال."),
        TransportFailure::ConnectTimeout => (
            "No connection to the gateway could be opened in time; something on the way may be blocking it.",
            "تعذر فتح اتصال بالبوابة في الوقت المحدد؛ قد يكون هناك ما يحجبه في الطريق.",
        ),
        TransportFailure::Tls => (
            "The secure (TLS) connection to the gateway could not be set up.",
            "تعذر إنشاء الاتصال الآمن (TLS) بالبوابة.",
        ),
        TransportFailure::Timeout => ("The gateway did not answer in time.", "لم تُجب البوابة في الوقت المحدد."),
        TransportFailure::ConnectionReset => (
            "The connection was cut before the answer arrived.",
            "انقطع الاتصال قبل وصول الرد.",
        ),
        TransportFailure::Other => ("The request could not be completed.", "تعذر إكمال الطلب."),
    };
    let (reach_en, reach_ar) = match reach {
        Reach::NotSent => (" Nothing reached ZATCA.", " لم يصل أي شيء إلى الهيئة."),
        _ if endpoint.sends_otp() => (
            " The request may have reached ZATCA, so the OTP may already be spent.",
            " ربما وصل الطلب إلى الهيئة، لذا قد يكون رمز التحقق قد استُخدم.",
        ),
        _ => (" The request may have reached ZATCA.", " ربما وصل الطلب إلى الهيئة."),
    };
    let (next_en, next_ar) = if reach != Reach::NotSent && endpoint.sends_otp() {
        (
            "Run the network diagnostics. Then continue with a new OTP: the app will not send this one again without asking you.",
            "شغّل تشخيص الاتصال، ثم تابع برمز تحقق جديد: لن يرسل التطبيق هذا الرمز مرة أخرى دون سؤالك.",
        )
    } else {
        (
            "Run the network diagnostics, then continue; the app resumes where it stopped.",
            "شغّل تشخيص الاتصال ثم تابع؛ يستأنف التطبيق من حيث توقف.",
        )
    };
    catalogue::Explanation {
        what_happened: Localized::new(format!("{what_en}{reach_en}"), format!("{what_ar}{reach_ar}")),
        next_step: Localized::new(next_en, next_ar),
        retry_may_help: true,
    }
}

/// What the journal records about one call. Nothing secret by construction:
/// it holds no headers and no bodies.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallRecord {
    pub environment: Environment,
    pub endpoint: Endpoint,
    pub url: String,
    pub started_at: DateTime<Utc>,
    pub duration_ms: u64,
    pub attempts: u32,
    pub status: Option<u16>,
    pub zatca_codes: Vec<String>,
    pub request_id: Option<String>,
    pub reach: Reach,
    pub failure: Option<TransportFailure>,
}

/// One call's answer and its journal record.
#[derive(Debug)]
pub struct Exchange<T> {
    pub record: CallRecord,
    pub result: Result<T, CallError>,
}

/// A compliance-check request body (SPEC.md 3.2), as the compliance-docs
/// crate prepares it.
#[derive(Debug, Clone, Serialize)]
pub struct ComplianceRequest {
    #[serde(rename = "invoiceHash")]
    pub invoice_hash: String,
    pub uuid: String,
    /// Base64 of the signed XML.
    pub invoice: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the simulator's CA certificate could not be read: {0}")]
    LocalCa(String),
    #[error("the operating system's certificate store could not be used: {0}")]
    TrustStore(String),
    #[error("the HTTP client could not be set up: {0}")]
    Build(String),
}

/// Clones share one connection pool.
#[derive(Clone)]
pub struct FatooraClient {
    http: reqwest::Client,
    environment: Environment,
    base_url: String,
    options: ClientOptions,
}

impl FatooraClient {
    pub fn new(target: Target, options: ClientOptions) -> Result<Self, ClientError> {
        let environment = target.environment();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| ClientError::Build(e.to_string()))?;
        let (mut tls, base_url) = match &target {
            Target::Zatca(environment) => {
                use rustls_platform_verifier::BuilderVerifierExt as _;
                let tls = builder
                    .with_platform_verifier()
                    .map_err(|e| ClientError::TrustStore(e.to_string()))?
                    .with_no_client_auth();
                let base = environment.zatca_base_url().expect("a ZATCA environment has a base URL");
                (tls, base)
            }
            Target::Local { base_url, ca_pem } | Target::Simulated { base_url, ca_pem, .. } => {
                use rustls::pki_types::CertificateDer;
                use rustls::pki_types::pem::PemObject as _;
                let mut roots = rustls::RootCertStore::empty();
                for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
                    let cert = cert.map_err(|e| ClientError::LocalCa(e.to_string()))?;
                    roots.add(cert).map_err(|e| ClientError::LocalCa(e.to_string()))?;
                }
                if roots.is_empty() {
                    return Err(ClientError::LocalCa("no certificate in the PEM text".into()));
                }
                (builder.with_root_certificates(roots).with_no_client_auth(), base_url.clone())
            }
        };
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];

        let mut builder = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .connect_timeout(options.connect_timeout)
            .timeout(options.total_timeout)
            .user_agent(concat!("fatoora-onboard/", env!("CARGO_PKG_VERSION")))
            .http1_only();
        if matches!(target, Target::Local { .. } | Target::Simulated { .. }) {
            // The simulator listens on loopback; a system proxy must not see it.
            builder = builder.no_proxy();
        }
        let http = builder.build().map_err(|e| ClientError::Build(e.to_string()))?;
        Ok(Self { http, environment, base_url: base_url.trim_end_matches('/').to_owned(), options })
    }

    pub fn environment(&self) -> Environment {
        self.environment
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn url(&self, endpoint: Endpoint) -> String {
        format!("{}{}", self.base_url, endpoint.path())
    }

    /// `POST /compliance`: spends the OTP.
    pub async fn compliance_csid(&self, csr_pem: &str, otp: &Otp) -> Exchange<IssuedCsid> {
        let body = serde_json::json!({ "csr": BASE64.encode(csr_pem) });
        let exchange = self.send(Endpoint::Compliance, Some(otp), None, &body).await;
        finish(exchange, |status, body| issued_csid(status, body, false))
    }

    /// `POST /compliance/invoices` with the CCSID.
    pub async fn compliance_check(&self, ccsid: &Credentials, request: &ComplianceRequest) -> Exchange<ComplianceCheck> {
        let body = serde_json::to_value(request).expect("plain strings serialise");
        let exchange = self.send(Endpoint::ComplianceInvoices, None, Some(ccsid), &body).await;
        finish(exchange, compliance_check)
    }

    /// `POST /production/csids` with the CCSID and the `/compliance` requestID.
    pub async fn production_csid(&self, ccsid: &Credentials, compliance_request_id: &str) -> Exchange<IssuedCsid> {
        let body = serde_json::json!({ "compliance_request_id": compliance_request_id });
        let exchange = self.send(Endpoint::ProductionCsids, None, Some(ccsid), &body).await;
        finish(exchange, |status, body| issued_csid(status, body, false))
    }

    /// `PATCH /production/csids` with the current PCSID, a renewal OTP and a
    /// CSR for a new key.
    pub async fn renew(&self, pcsid: &Credentials, csr_pem: &str, otp: &Otp) -> Exchange<Renewal> {
        let body = serde_json::json!({ "csr": BASE64.encode(csr_pem) });
        let exchange = self.send(Endpoint::RenewProductionCsids, Some(otp), Some(pcsid), &body).await;
        finish(exchange, |status, body| {
            if status == 428 {
                issued_csid(status, body, true).map(Renewal::ChecksRequired)
            } else {
                issued_csid(status, body, false).map(Renewal::Renewed)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_uses_the_token_as_returned() {
        let header = Credentials::new("TUlJQ1BUQ0NB", "s3cret").basic_header();
        assert!(header.is_sensitive());
        let encoded = header.to_str().unwrap().strip_prefix("Basic ").unwrap();
        assert_eq!(BASE64.decode(encoded).unwrap(), b"TUlJQ1BUQ0NB:s3cret");
    }

    #[test]
    fn credentials_never_print_their_secret() {
        let debug = format!("{:?}", Credentials::new("token", "very-secret-value"));
        assert!(!debug.contains("very-secret-value"));
    }

    #[test]
    fn transport_failures_before_sending_are_the_only_retryable_ones() {
        for (failure, reach, otp_note) in [
            (TransportFailure::Dns, Reach::NotSent, false),
            (TransportFailure::Timeout, Reach::MayHaveReached, true),
        ] {
            let error = CallError::Transport { failure, reach, detail: String::new() };
            let text = error.explain(Endpoint::Compliance).what_happened.en;
            assert_eq!(text.contains("OTP may already be spent"), otp_note, "{text}");
        }
    }

    #[test]
    fn local_target_needs_a_ca() {
        let error = FatooraClient::new(
            Target::Local { base_url: "https://127.0.0.1:1".into(), ca_pem: "not pem".into() },
            ClientOptions::default(),
        );
        assert!(matches!(error, Err(ClientError::LocalCa(_))));
    }
}
