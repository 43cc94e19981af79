//! The admin API: the simulator's stand-in for the Fatoora portal (OTPs)
//! plus test controls (faults, clock, renewal outcome, issued CSIDs).
//!
//! It is served on the same loopback listener under `/__admin/` and needs
//! the bearer token kept in the data directory, so only someone who can read
//! that directory (the CLI's `simulator otp`) can mint OTPs.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::faults::{Chaos, ChaosReport, ChaosRule, FaultRule};
use crate::gateway::{Gateway, OtpPurpose};
use crate::{RUNTIME_FILE, RuntimeInfo, Shared, SimulatorError};

pub const MAX_OTPS_PER_REQUEST: u32 = 100;

pub fn load_or_create_token(path: &Path) -> Result<String, SimulatorError> {
    let data_dir_error = |source| SimulatorError::DataDir { path: path.to_owned(), source };
    if let Ok(token) = std::fs::read_to_string(path)
        && !token.trim().is_empty()
    {
        return Ok(token.trim().to_owned());
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(data_dir_error)?;
    std::io::Write::write_all(&mut file, token.as_bytes()).map_err(data_dir_error)?;
    Ok(token)
}

/// The portal mints OTPs for a registered taxpayer: refuse a VAT number that
/// cannot be one (SPEC.md 2.5).
pub fn check_vat(vat: &str) -> Result<(), SimulatorError> {
    let ok = vat.len() == 15 && vat.bytes().all(|b| b.is_ascii_digit()) && vat.starts_with('3') && vat.ends_with('3');
    if ok {
        Ok(())
    } else {
        Err(SimulatorError::BadInput(format!(
            "VAT number {vat:?} is not 15 digits starting and ending with 3"
        )))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MintRequest {
    pub env: String,
    pub vat: String,
    pub purpose: OtpPurpose,
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MintedOtps {
    pub gateway: Gateway,
    pub vat: String,
    pub purpose: OtpPurpose,
    pub otps: Vec<String>,
    /// Epoch milliseconds on the simulator's clock.
    pub expires_at_ms: i64,
}

pub fn routes(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/__admin/otps", post(mint))
        .route("/__admin/csids", get(csids))
        .route("/__admin/fault", put(set_fault).delete(clear_fault))
        .route("/__admin/chaos", put(set_chaos).get(chaos_report).delete(clear_chaos))
        .route("/__admin/clock/advance", post(advance_clock))
        .route("/__admin/renewal", put(set_renewal))
        .layer(middleware::from_fn_with_state(shared.clone(), require_token))
        .with_state(shared)
}

async fn require_token(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let expected = format!("Bearer {}", shared.admin_token);
    let given = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if given != Some(expected.as_str()) {
        return (StatusCode::UNAUTHORIZED, Json(json!({ "error": "admin token missing or wrong" }))).into_response();
    }
    next.run(request).await
}

fn bad_request(message: impl Into<String>) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": message.into() }))).into_response()
}

pub fn mint_many(shared: &Shared, request: &MintRequest) -> Result<MintedOtps, SimulatorError> {
    let gateway: Gateway = request.env.parse().map_err(|e: fatoora_base::environment::UnknownEnvironment| {
        SimulatorError::BadInput(e.to_string())
    })?;
    check_vat(&request.vat)?;
    if request.count == 0 || request.count > MAX_OTPS_PER_REQUEST {
        return Err(SimulatorError::BadInput(format!("count must be between 1 and {MAX_OTPS_PER_REQUEST}")));
    }
    let now = shared.clock.now_ms();
    let otps = if gateway == Gateway::Sandbox {
        vec![request.purpose.sandbox_otp().to_owned(); request.count as usize]
    } else {
        (0..request.count)
            .map(|_| shared.store.mint_otp(gateway, &request.vat, request.purpose, now))
            .collect::<Result<_, _>>()?
    };
    Ok(MintedOtps {
        gateway,
        vat: request.vat.clone(),
        purpose: request.purpose,
        otps,
        expires_at_ms: now + crate::store::OTP_VALIDITY_MS,
    })
}

async fn mint(State(shared): State<Arc<Shared>>, Json(request): Json<MintRequest>) -> Response {
    match mint_many(&shared, &request) {
        Ok(minted) => Json(minted).into_response(),
        Err(error) => bad_request(error.to_string()),
    }
}

async fn csids(State(shared): State<Arc<Shared>>) -> Response {
    match shared.store.list_csids() {
        Ok(list) => Json(list).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({ "error": error.to_string() }))).into_response(),
    }
}

async fn set_fault(State(shared): State<Arc<Shared>>, Json(rule): Json<FaultRule>) -> StatusCode {
    *shared.fault.lock().unwrap_or_else(|p| p.into_inner()) = Some(rule);
    StatusCode::NO_CONTENT
}

async fn clear_fault(State(shared): State<Arc<Shared>>) -> StatusCode {
    *shared.fault.lock().unwrap_or_else(|p| p.into_inner()) = None;
    StatusCode::NO_CONTENT
}

async fn set_chaos(State(shared): State<Arc<Shared>>, Json(rule): Json<ChaosRule>) -> StatusCode {
    *shared.chaos.lock().unwrap_or_else(|p| p.into_inner()) = Some(Chaos::new(rule));
    StatusCode::NO_CONTENT
}

/// `null` when no chaos rule is set.
async fn chaos_report(State(shared): State<Arc<Shared>>) -> Json<Option<ChaosReport>> {
    Json(shared.chaos.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(Chaos::report))
}

async fn clear_chaos(State(shared): State<Arc<Shared>>) -> Json<Option<ChaosReport>> {
    Json(shared.chaos.lock().unwrap_or_else(|p| p.into_inner()).take().map(|chaos| chaos.report()))
}

/// Counts the OTP a gateway request carries in the simulator's record of
/// OTP uses ([`crate::Admin::otp_record`]), before any fault: a request
/// dropped or held still presented it.
pub(crate) fn record_otp_presentation(shared: &Shared, request: &Request) {
    let Some(otp) = request.headers().get("otp").and_then(|v| v.to_str().ok()).map(str::trim) else { return };
    let path = request.uri().path();
    let Some(gateway) = Gateway::ALL.into_iter().find(|g| path.starts_with(&format!("/e-invoicing/{}/", g.path_segment()))) else {
        return;
    };
    if let Err(error) = shared.store.record_presentation(gateway, otp) {
        tracing::warn!(%error, "the OTP presentation could not be recorded");
    }
}

#[derive(Deserialize)]
struct Advance {
    seconds: u64,
}

async fn advance_clock(State(shared): State<Arc<Shared>>, Json(advance): Json<Advance>) -> Response {
    shared.clock.advance(Duration::from_secs(advance.seconds));
    Json(json!({ "nowMs": shared.clock.now_ms() })).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Renewal {
    require_compliance: bool,
}

async fn set_renewal(State(shared): State<Arc<Shared>>, Json(renewal): Json<Renewal>) -> StatusCode {
    shared.renewal_requires_compliance.store(renewal.require_compliance, Ordering::SeqCst);
    StatusCode::NO_CONTENT
}

// ------------------------------------------------------------ client

#[derive(Debug, thiserror::Error)]
pub enum AdminClientError {
    #[error("no simulator is running for {0} (no {RUNTIME_FILE} there); start one with `fatoora-onboard simulator`")]
    NotRunning(PathBuf),
    #[error("could not read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is damaged: {message}")]
    Damaged { path: PathBuf, message: String },
    #[error("the simulator at {origin} did not answer: {source}")]
    Unreachable { origin: String, source: reqwest::Error },
    #[error("the simulator refused: {0}")]
    Refused(String),
}

/// Talks to a simulator running in another process, found through its data
/// directory (runtime file, admin token, HTTPS CA).
pub struct AdminClient {
    origin: String,
    token: String,
    http: reqwest::Client,
}

impl AdminClient {
    pub fn from_data_dir(data_dir: &Path) -> Result<Self, AdminClientError> {
        let runtime_path = data_dir.join(RUNTIME_FILE);
        let runtime = match std::fs::read(&runtime_path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(AdminClientError::NotRunning(data_dir.to_owned()));
            }
            Err(source) => return Err(AdminClientError::Read { path: runtime_path, source }),
        };
        let runtime: RuntimeInfo = serde_json::from_slice(&runtime)
            .map_err(|e| AdminClientError::Damaged { path: runtime_path.clone(), message: e.to_string() })?;
        let token_path = data_dir.join(super::ADMIN_TOKEN_FILE);
        let token = std::fs::read_to_string(&token_path)
            .map_err(|source| AdminClientError::Read { path: token_path, source })?;
        let ca_pem = std::fs::read(&runtime.ca_cert_path)
            .map_err(|source| AdminClientError::Read { path: runtime.ca_cert_path.clone(), source })?;
        let http = loopback_client(&ca_pem).map_err(|message| AdminClientError::Damaged {
            path: runtime.ca_cert_path.clone(),
            message,
        })?;
        Ok(Self { origin: runtime.origin, token: token.trim().to_owned(), http })
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<Option<T>, AdminClientError> {
        let response = request
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|source| AdminClientError::Unreachable { origin: self.origin.clone(), source })?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|source| AdminClientError::Unreachable { origin: self.origin.clone(), source })?;
        if !status.is_success() {
            let message = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
                .unwrap_or_else(|| status.to_string());
            return Err(AdminClientError::Refused(message));
        }
        if bytes.is_empty() {
            return Ok(None);
        }
        serde_json::from_slice(&bytes).map(Some).map_err(|e| AdminClientError::Refused(e.to_string()))
    }

    pub async fn mint_otps(
        &self,
        env: &str,
        vat: &str,
        purpose: OtpPurpose,
        count: u32,
    ) -> Result<MintedOtps, AdminClientError> {
        let body = MintRequest { env: env.to_owned(), vat: vat.to_owned(), purpose, count };
        self.send(self.http.post(format!("{}/__admin/otps", self.origin)).json(&body))
            .await?
            .ok_or_else(|| AdminClientError::Refused("empty answer".into()))
    }

    pub async fn csids(&self) -> Result<Vec<serde_json::Value>, AdminClientError> {
        Ok(self.send(self.http.get(format!("{}/__admin/csids", self.origin))).await?.unwrap_or_default())
    }

    pub async fn set_fault(&self, rule: &FaultRule) -> Result<(), AdminClientError> {
        self.send::<serde_json::Value>(self.http.put(format!("{}/__admin/fault", self.origin)).json(rule)).await?;
        Ok(())
    }

    pub async fn clear_fault(&self) -> Result<(), AdminClientError> {
        self.send::<serde_json::Value>(self.http.delete(format!("{}/__admin/fault", self.origin))).await?;
        Ok(())
    }

    pub async fn set_chaos(&self, rule: &ChaosRule) -> Result<(), AdminClientError> {
        self.send::<serde_json::Value>(self.http.put(format!("{}/__admin/chaos", self.origin)).json(rule)).await?;
        Ok(())
    }

    /// What the chaos rule injected so far (`None`: no rule set).
    pub async fn chaos_report(&self) -> Result<Option<ChaosReport>, AdminClientError> {
        Ok(self.send::<Option<ChaosReport>>(self.http.get(format!("{}/__admin/chaos", self.origin))).await?.flatten())
    }

    pub async fn advance_clock(&self, seconds: u64) -> Result<(), AdminClientError> {
        self.send::<serde_json::Value>(
            self.http.post(format!("{}/__admin/clock/advance", self.origin)).json(&json!({ "seconds": seconds })),
        )
        .await?;
        Ok(())
    }

    pub async fn set_renewal_requires_compliance(&self, required: bool) -> Result<(), AdminClientError> {
        self.send::<serde_json::Value>(
            self.http
                .put(format!("{}/__admin/renewal", self.origin))
                .json(&json!({ "requireCompliance": required })),
        )
        .await?;
        Ok(())
    }
}

/// An HTTPS client that trusts only the simulator's CA.
pub fn loopback_client(ca_pem: &[u8]) -> Result<reqwest::Client, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem) {
        roots.add(cert.map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())
}

