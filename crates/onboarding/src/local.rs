//! The `local` environment's gateway: the bundled simulator on loopback,
//! found through the runtime file it writes in the data folder's
//! `simulator/` directory. The CLI and the app both build their `local`
//! client here, so they agree on where the simulator lives and on trusting
//! its CA for `local` only.

use std::path::{Path, PathBuf};

use fatoora_base::i18n::isolate;
use fatoora_base::{DataDir, Environment, Localized};
use serde::Deserialize;

use crate::client::{ClientError, ClientOptions, FatooraClient, Target};

/// The simulator's folder under the app's data folder (the CLI's
/// `fatoora-onboard simulator` and the app's in-process one share it).
pub fn simulator_dir(data_dir: &DataDir) -> PathBuf {
    data_dir.root().join("simulator")
}

/// Where a running simulator listens and the CA its HTTPS certificate
/// chains to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalGateway {
    /// `https://127.0.0.1:PORT`.
    pub origin: String,
    pub ca_cert_pem: String,
    pub ca_cert_path: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("the local simulator is not running (no runtime file in {0})")]
    NotRunning(PathBuf),
    #[error("the local simulator's files could not be read: {0}")]
    Unreadable(String),
    #[error(transparent)]
    Client(#[from] ClientError),
}

impl LocalError {
    pub fn explain(&self) -> Localized {
        match self {
            LocalError::NotRunning(_) => Localized::new(
                "The local FATOORA simulator is not running. Start it with `fatoora-onboard simulator` (the app starts its own).",
                "محاكي «فاتورة» المحلي لا يعمل. شغّله بالأمر `fatoora-onboard simulator` (التطبيق يشغّل محاكيه تلقائيًا).",
            ),
            LocalError::Unreadable(detail) => Localized::new(
                format!("The local simulator's files could not be read ({detail}). Restart the simulator."),
                format!("تعذّرت قراءة ملفات المحاكي المحلي ({detail}). أعد تشغيل المحاكي.", detail = isolate(detail)),
            ),
            LocalError::Client(error) => Localized::new(
                format!("The connection to the local simulator could not be set up ({error})."),
                format!("تعذّر إعداد الاتصال بالمحاكي المحلي ({error})."),
            ),
        }
    }
}

/// The part of the runtime file a running simulator writes in its folder
/// (`fatoora_simulator::RuntimeInfo`) that the product needs. Read with a
/// type of its own so that the product never links its test double;
/// `tests/local.rs` reads a real simulator's file through it, so the two
/// sides cannot drift apart unnoticed.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RuntimeFile {
    origin: String,
    ca_cert_path: PathBuf,
}

const RUNTIME_FILE: &str = "simulator.json";

impl RuntimeFile {
    fn read(simulator_dir: &Path) -> Result<Self, LocalError> {
        let path = simulator_dir.join(RUNTIME_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(LocalError::NotRunning(simulator_dir.to_owned()));
            }
            Err(error) => return Err(LocalError::Unreadable(format!("{}: {error}", path.display()))),
        };
        serde_json::from_slice(&bytes).map_err(|error| LocalError::Unreadable(format!("{}: {error}", path.display())))
    }
}

impl LocalGateway {
    /// The simulator serving `simulator_dir`, read from its runtime file.
    pub fn from_runtime_file(simulator_dir: &Path) -> Result<Self, LocalError> {
        let runtime = RuntimeFile::read(simulator_dir)?;
        let ca_cert_pem = std::fs::read_to_string(&runtime.ca_cert_path)
            .map_err(|error| LocalError::Unreadable(format!("{}: {error}", runtime.ca_cert_path.display())))?;
        Ok(Self { origin: runtime.origin, ca_cert_pem, ca_cert_path: runtime.ca_cert_path })
    }

    /// The base URL of `environment`'s gateway on the simulator, e.g.
    /// `https://127.0.0.1:PORT/e-invoicing/core` for `local`.
    pub fn base_url(&self, environment: Environment) -> String {
        format!("{}/e-invoicing/{}", self.origin, environment.gateway_path())
    }

    /// A client for the simulator's `local` gateway, trusting its CA only.
    pub fn client(&self, options: ClientOptions) -> Result<FatooraClient, LocalError> {
        let target = Target::Local { base_url: self.base_url(Environment::Local), ca_pem: self.ca_cert_pem.clone() };
        Ok(FatooraClient::new(target, options)?)
    }
}

/// The client for `environment`: ZATCA's gateway, or for `local` the
/// simulator running on this data folder (returned too, for the caller's
/// reachability probe).
pub fn client_for(
    data_dir: &DataDir,
    environment: Environment,
    options: ClientOptions,
) -> Result<(FatooraClient, Option<LocalGateway>), LocalError> {
    if environment != Environment::Local {
        return Ok((FatooraClient::new(Target::Zatca(environment), options)?, None));
    }
    let gateway = LocalGateway::from_runtime_file(&simulator_dir(data_dir))?;
    Ok((gateway.client(options)?, Some(gateway)))
}
