//! A local FATOORA onboarding gateway: HTTPS on loopback with its own CA,
//! the paths and rules of the sandbox (`/e-invoicing/developer-portal`),
//! simulation and core, an OTP portal, real X.509 CSIDs, compliance checks
//! verified independently, faults on demand, and a clock tests can move.
//!
//! It is the app's `local` environment and the counterpart of every test.
//!
//! ```no_run
//! # async fn demo() -> Result<(), fatoora_simulator::SimulatorError> {
//! use fatoora_base::Environment;
//! use fatoora_simulator::{OtpPurpose, Simulator, SimulatorConfig};
//!
//! let running = Simulator::start(SimulatorConfig::new("/tmp/sim")).await?;
//! let base = running.base_url(Environment::Local); // https://127.0.0.1:PORT/e-invoicing/core
//! let otp = running.admin().mint_otp(Environment::Local, "399999999900003", OtpPurpose::Onboard)?;
//! # let _ = (base, otp); Ok(()) }
//! ```
#![cfg_attr(all(not(test), target_os = "linux"), deny(unused_crate_dependencies))]

mod admin;
mod auth;
mod bodies;
mod clock;
mod compliance_invoices;
mod csr_check;
mod faults;
mod findings;
mod gateway;
mod invoice_check;
mod onboarding;
mod pki;
mod rules;
mod seen;
mod server;
mod store;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use fatoora_base::Environment;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

pub use admin::{AdminClient, AdminClientError, MintedOtps};
pub use clock::Clock;
pub use faults::{ChaosReport, ChaosRule, Fault, FaultRule, HUGE_BODY_BYTES, RequestMatch};
pub use gateway::{
    CoreTemplates, Gateway, OtpPurpose, SANDBOX_FIXED_PCSID_VAT, SANDBOX_ONBOARDING_OTP, SANDBOX_RENEWAL_OTP,
    SANDBOX_REQUEST_ID,
};
pub use findings::{InvoiceFinding, Severity};
pub use invoice_check::{InvoiceFacts, InvoiceReport, canonical_invoice, verify_invoice};
pub use rules::{RulesCheck, RulesVerdict, check_rules};
pub use seen::SeenRequest;
pub use store::{CsidKind, IssuedCsid, OTP_VALIDITY_MS, OtpRecord};

/// File in the data directory that tells other processes (the CLI's
/// `simulator otp`) where a running simulator listens.
pub const RUNTIME_FILE: &str = "simulator.json";
const ADMIN_TOKEN_FILE: &str = "admin-token";
const DATABASE_FILE: &str = "simulator.sqlite3";
const CA_DIR: &str = "ca";
/// Held with an exclusive OS file lock for a simulator's lifetime: the OS
/// drops the lock when the process dies, so a stale runtime file left by a
/// killed simulator never blocks a new one, while a live one always does.
const LOCK_FILE: &str = "simulator.lock";

#[derive(Debug, thiserror::Error)]
pub enum SimulatorError {
    #[error("the simulator only listens on loopback addresses, not {0}")]
    NotLoopback(SocketAddr),
    #[error("could not listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
    #[error("could not prepare the data directory {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Pki(#[from] pki::PkiError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("TLS setup failed: {0}")]
    Tls(String),
    #[error("{0}")]
    BadInput(String),
    /// Two simulators on one data folder would share one SQLite file and one
    /// runtime file; the second must attach to the first instead.
    #[error("another simulator already serves {data_dir}{}", match origin {
        Some(origin) => format!(" at {origin}"),
        None => " (it is still starting)".to_owned(),
    })]
    AlreadyRunning { data_dir: PathBuf, origin: Option<String> },
}

/// How to start a simulator.
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    /// Holds the CAs, the SQLite file, the admin token and the runtime file.
    pub data_dir: PathBuf,
    /// A loopback address; port 0 picks a free one.
    pub listen: SocketAddr,
    pub clock: Clock,
    pub core_templates: CoreTemplates,
    pub rules: RulesCheck,
}

impl SimulatorConfig {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            clock: Clock::system(),
            core_templates: CoreTemplates::default(),
            rules: RulesCheck::default(),
        }
    }

    pub fn listen(mut self, listen: SocketAddr) -> Self {
        self.listen = listen;
        self
    }

    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn core_templates(mut self, core_templates: CoreTemplates) -> Self {
        self.core_templates = core_templates;
        self
    }

    pub fn rules(mut self, rules: RulesCheck) -> Self {
        self.rules = rules;
        self
    }
}

/// What `simulator.json` holds while a simulator runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeInfo {
    /// `https://127.0.0.1:PORT`; the gateways are under `/e-invoicing/...`.
    pub origin: String,
    pub ca_cert_path: PathBuf,
    pub pid: u32,
}

impl RuntimeInfo {
    /// The runtime file in `data_dir`, or `None` when no simulator wrote one.
    /// A file left by a killed simulator is still read: pair it with the lock
    /// (`Simulator::start` answering `AlreadyRunning`) to know one is live.
    pub fn read(data_dir: &Path) -> Result<Option<Self>, SimulatorError> {
        let path = data_dir.join(RUNTIME_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(SimulatorError::DataDir { path, source }),
        };
        serde_json::from_slice(&bytes).map(Some).map_err(|error| SimulatorError::DataDir {
            path,
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, error),
        })
    }
}

/// Takes the data directory's lock, or says which simulator holds it.
fn lock_data_dir(data_dir: &Path) -> Result<std::fs::File, SimulatorError> {
    let path = data_dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| SimulatorError::DataDir { path: path.clone(), source })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(SimulatorError::AlreadyRunning {
            data_dir: data_dir.to_owned(),
            origin: RuntimeInfo::read(data_dir).ok().flatten().map(|runtime| runtime.origin),
        }),
        Err(std::fs::TryLockError::Error(source)) => Err(SimulatorError::DataDir { path, source }),
    }
}

/// State shared by every request handler and the admin handle.
pub(crate) struct Shared {
    pub store: store::Store,
    pub clock: Clock,
    pub authorities: pki::CsidAuthorities,
    pub core_templates: CoreTemplates,
    pub rules: RulesCheck,
    pub fault: Mutex<Option<FaultRule>>,
    /// Drawn from when `fault` does not apply.
    pub chaos: Mutex<Option<faults::Chaos>>,
    pub seen: seen::Seen,
    pub renewal_requires_compliance: AtomicBool,
    pub admin_token: String,
}

pub struct Simulator;

impl Simulator {
    /// Opens (or creates) the data directory, binds, and serves in the
    /// background of the current tokio runtime.
    ///
    /// Fails with [`SimulatorError::AlreadyRunning`] while another simulator
    /// (in this process or another) serves the same data directory: attach
    /// to that one through its [`RUNTIME_FILE`] instead.
    pub async fn start(config: SimulatorConfig) -> Result<RunningSimulator, SimulatorError> {
        if !config.listen.ip().is_loopback() {
            return Err(SimulatorError::NotLoopback(config.listen));
        }
        let data_dir = config.data_dir.clone();
        let ca_dir = data_dir.join(CA_DIR);
        std::fs::create_dir_all(&ca_dir).map_err(|source| SimulatorError::DataDir { path: ca_dir.clone(), source })?;
        let lock = lock_data_dir(&data_dir)?;

        let https = pki::https_identity(&ca_dir)?;
        let authorities = pki::CsidAuthorities::load_or_create(&ca_dir)?;
        let store = store::Store::open(&data_dir.join(DATABASE_FILE))?;
        let admin_token = admin::load_or_create_token(&data_dir.join(ADMIN_TOKEN_FILE))?;

        let shared = Arc::new(Shared {
            store,
            clock: config.clock.clone(),
            authorities,
            core_templates: config.core_templates,
            rules: config.rules,
            fault: Mutex::new(None),
            chaos: Mutex::new(None),
            seen: seen::Seen::default(),
            renewal_requires_compliance: AtomicBool::new(false),
            admin_token,
        });

        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| SimulatorError::Listen { addr: config.listen, source })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| SimulatorError::Listen { addr: config.listen, source })?;
        let tls = server::tls_config(&https)?;
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let router = server::router(shared.clone());
        let task = tokio::spawn(server::serve(listener, tls, router, shutdown_rx));

        let origin = format!("https://{local_addr}");
        let runtime = RuntimeInfo { origin: origin.clone(), ca_cert_path: https.ca_cert_path.clone(), pid: std::process::id() };
        let runtime_path = data_dir.join(RUNTIME_FILE);
        let runtime_json = serde_json::to_vec_pretty(&runtime).unwrap_or_default();
        std::fs::write(&runtime_path, runtime_json)
            .map_err(|source| SimulatorError::DataDir { path: runtime_path.clone(), source })?;

        Ok(RunningSimulator {
            origin,
            local_addr,
            ca_cert_pem: https.ca_cert_pem,
            ca_cert_path: https.ca_cert_path,
            runtime_path,
            admin: Admin { shared },
            shutdown: shutdown_tx,
            task: Some(task),
            _lock: lock,
        })
    }
}

/// A simulator serving in the background. Dropping it stops it.
pub struct RunningSimulator {
    origin: String,
    local_addr: SocketAddr,
    ca_cert_pem: String,
    ca_cert_path: PathBuf,
    runtime_path: PathBuf,
    admin: Admin,
    shutdown: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
    /// Released when this value drops, after the runtime file is removed.
    _lock: std::fs::File,
}

impl RunningSimulator {
    /// The base URL a FATOORA client uses for `env`, e.g.
    /// `https://127.0.0.1:PORT/e-invoicing/core` for `local` and `production`.
    pub fn base_url(&self, env: Environment) -> String {
        self.gateway_url(Gateway::for_environment(env))
    }

    pub fn gateway_url(&self, gateway: Gateway) -> String {
        format!("{}/e-invoicing/{}", self.origin, gateway.path_segment())
    }

    /// `https://127.0.0.1:PORT`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The CA that signs the HTTPS certificate: trust it for `local` only.
    pub fn ca_cert_pem(&self) -> &str {
        &self.ca_cert_pem
    }

    pub fn ca_cert_path(&self) -> &Path {
        &self.ca_cert_path
    }

    /// The `CN=eInvoicing` CA that issues compliance CSIDs.
    pub fn compliance_ca_pem(&self) -> &str {
        &self.admin.shared.authorities.compliance.cert_pem
    }

    /// The second CA, which issues production CSIDs.
    pub fn production_ca_pem(&self) -> &str {
        &self.admin.shared.authorities.production.cert_pem
    }

    pub fn admin(&self) -> Admin {
        self.admin.clone()
    }

    /// Stops serving, closes open connections, and removes the runtime file.
    pub async fn shutdown(mut self) {
        self.stop();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    fn stop(&self) {
        let _ = self.shutdown.send(true);
        let _ = std::fs::remove_file(&self.runtime_path);
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        self.stop();
    }
}

/// In-process control of a running simulator: the "portal" that mints OTPs,
/// the fault switch, the clock. Out of process, [`AdminClient`] does the same
/// over HTTPS.
#[derive(Clone)]
pub struct Admin {
    shared: Arc<Shared>,
}

impl Admin {
    /// Mints a six-digit OTP bound to `env`'s gateway, `vat` and `purpose`,
    /// valid for 3600 s on the simulator's clock and usable once. The sandbox
    /// knows only its fixed codes, so for it this returns 123345 or 123456.
    pub fn mint_otp(&self, env: Environment, vat: &str, purpose: OtpPurpose) -> Result<String, SimulatorError> {
        self.mint_otp_for(Gateway::for_environment(env), vat, purpose)
    }

    pub fn mint_otp_for(&self, gateway: Gateway, vat: &str, purpose: OtpPurpose) -> Result<String, SimulatorError> {
        admin::check_vat(vat)?;
        if gateway == Gateway::Sandbox {
            return Ok(purpose.sandbox_otp().to_owned());
        }
        Ok(self.shared.store.mint_otp(gateway, vat, purpose, self.shared.clock.now_ms())?)
    }

    /// Applies `rule` to the following gateway requests (not admin ones).
    pub fn set_fault(&self, rule: FaultRule) {
        *self.shared.fault.lock().unwrap_or_else(|p| p.into_inner()) = Some(rule);
    }

    pub fn clear_fault(&self) {
        *self.shared.fault.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Draws a random fault for each following gateway request that no
    /// [`FaultRule`] catches (see [`ChaosRule`]); replaces an earlier rule
    /// and its counts.
    pub fn set_chaos(&self, rule: ChaosRule) {
        *self.shared.chaos.lock().unwrap_or_else(|p| p.into_inner()) = Some(faults::Chaos::new(rule));
    }

    /// What the chaos rule injected so far (`None`: no rule set).
    pub fn chaos_report(&self) -> Option<ChaosReport> {
        self.shared.chaos.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(faults::Chaos::report)
    }

    /// Stops the chaos rule; returns what it injected.
    pub fn clear_chaos(&self) -> Option<ChaosReport> {
        self.shared.chaos.lock().unwrap_or_else(|p| p.into_inner()).take().map(|chaos| chaos.report())
    }

    /// The simulator's record of an OTP it minted for `env`'s gateway: how
    /// often a gateway request presented it, and whether it was consumed.
    pub fn otp_record(&self, env: Environment, code: &str) -> Result<Option<OtpRecord>, SimulatorError> {
        Ok(self.shared.store.find_otp(Gateway::for_environment(env), code)?)
    }

    pub fn advance_clock(&self, by: std::time::Duration) {
        self.shared.clock.advance(by);
    }

    pub fn clock(&self) -> Clock {
        self.shared.clock.clone()
    }

    /// When set, PATCH /production/csids answers 428 NOT_COMPLIANT with a
    /// fresh compliance CSID instead of 200.
    pub fn set_renewal_requires_compliance(&self, required: bool) {
        self.shared.renewal_requires_compliance.store(required, Ordering::SeqCst);
    }

    pub fn issued_csids(&self) -> Result<Vec<IssuedCsid>, SimulatorError> {
        Ok(self.shared.store.list_csids()?)
    }

    /// The gateway requests received so far (the newest [`seen::KEPT`]),
    /// including those a fault holds or drops.
    pub fn seen_requests(&self) -> Vec<SeenRequest> {
        self.shared.seen.list()
    }
}
