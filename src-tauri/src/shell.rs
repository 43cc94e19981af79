//! What the window's commands share: the store, opened once at start-up in
//! the same data directory the CLI uses, and the `local` environment's
//! simulator (see [`Shell::local_gateway`]).

use std::sync::{Arc, Mutex, PoisonError};

use fatoora_base::paths::DataDirError;
use fatoora_base::session::SessionError;
use fatoora_base::store::StoreError;
use fatoora_base::i18n::Language;
use fatoora_base::{DataDir, Environment, Localized, Store};
use fatoora_onboarding::client::{ClientOptions, FatooraClient};
use fatoora_onboarding::local::{LocalGateway, simulator_dir};
pub use fatoora_simulator::OtpPurpose;
use fatoora_simulator::{AdminClient, RunningSimulator, Simulator, SimulatorConfig, SimulatorError};
use serde::Serialize;
use specta::Type;

/// The rehearsal's VAT number in `local` (15 digits, 3…3): ZATCA's sandbox
/// sample's, valid and nobody's.
pub const DEMO_VAT: &str = fatoora_csr::SANDBOX_VAT_NUMBER;

/// A message in both UI languages, mirroring `fatoora_base::Localized`
/// (the core stays free of Tauri and specta).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct LocalizedText {
    pub en: String,
    pub ar: String,
}

impl From<Localized> for LocalizedText {
    fn from(text: Localized) -> Self {
        Self { en: text.en, ar: text.ar }
    }
}

/// Why a command failed, with what to do next, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct CommandError {
    pub message: LocalizedText,
}

impl From<&StoreError> for CommandError {
    fn from(error: &StoreError) -> Self {
        Self { message: error.explain().into() }
    }
}

impl From<StoreError> for CommandError {
    fn from(error: StoreError) -> Self {
        (&error).into()
    }
}

impl From<DataDirError> for CommandError {
    fn from(error: DataDirError) -> Self {
        Self { message: error.explain().into() }
    }
}

impl From<SessionError> for CommandError {
    fn from(error: SessionError) -> Self {
        command_error(error.explain())
    }
}

pub(crate) fn command_error(message: Localized) -> CommandError {
    CommandError { message: message.into() }
}

pub struct Shell {
    /// A store that could not be opened stays an error: the window still
    /// opens and shows it, instead of the app vanishing at start-up.
    /// `None` only while a restore replaces the database file.
    store: Result<Mutex<Option<Store>>, CommandError>,
    data_dir: Result<DataDir, CommandError>,
    /// The `local` environment's simulator, started on first use.
    local: tokio::sync::Mutex<Option<Arc<LocalSimulator>>>,
}

impl Shell {
    /// Resolves the data directory as the CLI does (`FATOORA_ONBOARD_HOME`,
    /// else the platform's app-data folder), starts the log file there and
    /// opens the store.
    pub fn start() -> Self {
        let data_dir = match DataDir::resolve(None) {
            Ok(data_dir) => data_dir,
            Err(error) => {
                let error = CommandError::from(error);
                return Self { store: Err(error.clone()), data_dir: Err(error), local: Default::default() };
            }
        };
        if let Err(error) = fatoora_base::logging::init(&data_dir) {
            // The app works without a log file; say why there is none.
            eprintln!("fatoora-onboard-app: no log file: {error}");
        }
        tracing::info!(version = env!("CARGO_PKG_VERSION"), data_dir = %data_dir.root().display(), "app starting");
        Self::open(&data_dir)
    }

    pub fn open(data_dir: &DataDir) -> Self {
        let store = Store::open(data_dir).map(|store| Mutex::new(Some(store))).map_err(|error| {
            tracing::error!(%error, "the store could not be opened");
            CommandError::from(error)
        });
        Self { store, data_dir: Ok(data_dir.clone()), local: Default::default() }
    }

    pub fn with_store<T>(
        &self,
        work: impl FnOnce(&Store) -> Result<T, StoreError>,
    ) -> Result<T, CommandError> {
        let store = self.store.as_ref().map_err(Clone::clone)?;
        // A command that panicked mid-way leaves nothing half-written in
        // SQLite (each write is its own transaction), so the store stays usable.
        let store = store.lock().unwrap_or_else(PoisonError::into_inner);
        let store = store.as_ref().ok_or_else(Self::closed)?;
        work(store).map_err(|error| {
            tracing::error!(%error, "store operation failed");
            CommandError::from(error)
        })
    }

    /// Runs `work` with the app's connection closed and opens the store again
    /// afterwards, whatever `work` returned: a restore replaces the database
    /// file, which an open connection would go on reading (and which Windows
    /// would not let it replace).
    pub fn with_store_closed<T>(&self, work: impl FnOnce() -> T) -> Result<T, CommandError> {
        let store = self.store.as_ref().map_err(Clone::clone)?;
        let mut store = store.lock().unwrap_or_else(PoisonError::into_inner);
        let path = store.as_ref().ok_or_else(Self::closed)?.path().to_owned();
        drop(store.take());
        let result = work();
        *store = Some(Store::open_file(&path)?);
        Ok(result)
    }

    fn closed() -> CommandError {
        CommandError {
            message: LocalizedText {
                en: "The database could not be opened again after the last restore. Close and reopen the app.".into(),
                ar: "تعذّر فتح قاعدة البيانات مجددًا بعد آخر استعادة. أغلق التطبيق وافتحه من جديد.".into(),
            },
        }
    }
}

/// The `local` environment's FATOORA gateway: the simulator this app runs in
/// process, or the one another process (`fatoora-onboard simulator`) already
/// serves on the same data folder, which the app then uses instead.
pub struct LocalSimulator {
    gateway: LocalGateway,
    admin: LocalAdmin,
}

enum LocalAdmin {
    /// Dropping the running simulator would stop it: the Shell keeps it.
    InProcess(RunningSimulator),
    Attached(AdminClient),
}

impl LocalSimulator {
    /// `https://127.0.0.1:PORT`.
    pub fn origin(&self) -> &str {
        &self.gateway.origin
    }

    /// The CA of the simulator's HTTPS certificate: trust it for `local` only.
    pub fn ca_cert_pem(&self) -> &str {
        &self.gateway.ca_cert_pem
    }

    /// Where and what to trust, as the onboarding crate's client takes it;
    /// `gateway().base_url(environment)` is the simulator's gateway for
    /// `environment` (its sandbox, simulation and core rules).
    pub fn gateway(&self) -> &LocalGateway {
        &self.gateway
    }

    /// A FATOORA client for `local`, speaking `language` to the gateway.
    pub fn client(&self, language: Language) -> Result<FatooraClient, CommandError> {
        let options = ClientOptions { language, ..ClientOptions::default() };
        self.gateway.client(options).map_err(|error| CommandError { message: error.explain().into() })
    }

    /// True when this app serves the simulator (false: another process does).
    pub fn in_process(&self) -> bool {
        matches!(self.admin, LocalAdmin::InProcess(_))
    }

    /// Mints a rehearsal OTP, as the FATOORA portal would: six digits bound
    /// to `environment`'s gateway on the simulator, `vat` and `purpose`,
    /// valid one hour, usable once. It is a secret like any OTP: show it to
    /// the user to type, never log or store it.
    pub async fn mint_otp(&self, environment: Environment, vat: &str, purpose: OtpPurpose) -> Result<String, CommandError> {
        let refused = |detail: String| CommandError {
            message: LocalizedText {
                en: format!("The local simulator did not issue an OTP: {detail}"),
                ar: format!("لم يُصدر المحاكي المحلي رمز تحقق: {detail}"),
            },
        };
        match &self.admin {
            LocalAdmin::InProcess(running) => {
                running.admin().mint_otp(environment, vat, purpose).map_err(|error| refused(error.to_string()))
            }
            LocalAdmin::Attached(admin) => {
                let minted = admin.mint_otps(environment.id(), vat, purpose, 1).await.map_err(|error| refused(error.to_string()))?;
                minted.otps.into_iter().next().ok_or_else(|| refused("empty answer".to_owned()))
            }
        }
    }
}

impl Shell {
    /// The data folder the store and the simulator live in.
    pub fn data_dir(&self) -> Result<&DataDir, CommandError> {
        self.data_dir.as_ref().map_err(Clone::clone)
    }

    /// The `local` environment's gateway. On first use it starts the
    /// simulator in process, on loopback, in the data folder's `simulator/`
    /// directory (the one `fatoora-onboard simulator` uses), so its CAs, OTPs
    /// and CSIDs are the CLI's too. When another process already serves that
    /// folder, the app attaches to it through its runtime file instead of
    /// starting a second one; if that process goes away, the next call starts
    /// the app's own.
    ///
    /// Call it from an async command: the simulator serves on the app's
    /// runtime for as long as the app runs.
    pub async fn local_gateway(&self) -> Result<Arc<LocalSimulator>, CommandError> {
        let mut slot = self.local.lock().await;
        if let Some(local) = slot.as_ref()
            && local.in_process()
        {
            return Ok(local.clone());
        }
        let data_dir = self.data_dir.as_ref().map_err(Clone::clone)?;
        let local = Arc::new(start_or_attach(data_dir).await?);
        *slot = Some(local.clone());
        Ok(local)
    }
}

async fn start_or_attach(data_dir: &DataDir) -> Result<LocalSimulator, CommandError> {
    let dir = simulator_dir(data_dir);
    let unavailable = |detail: String| CommandError {
        message: LocalizedText {
            en: format!("The local FATOORA simulator could not start ({detail}). Restart the app; if it persists, send the log file to support."),
            ar: format!("تعذّر تشغيل محاكي «فاتورة» المحلي ({detail}). أعد تشغيل التطبيق؛ وإن تكرر ذلك فأرسل ملف السجل إلى الدعم."),
        },
    };
    // Spawned so the server lands on the app's runtime whatever calls this.
    let started = tauri::async_runtime::spawn(Simulator::start(SimulatorConfig::new(dir.clone())))
        .await
        .map_err(|error| unavailable(error.to_string()))?;
    match started {
        Ok(running) => {
            tracing::info!(origin = running.origin(), "local simulator started in process");
            let gateway = LocalGateway {
                origin: running.origin().to_owned(),
                ca_cert_pem: running.ca_cert_pem().to_owned(),
                ca_cert_path: running.ca_cert_path().to_owned(),
            };
            Ok(LocalSimulator { gateway, admin: LocalAdmin::InProcess(running) })
        }
        Err(SimulatorError::AlreadyRunning { origin, .. }) => {
            tracing::info!(?origin, "attaching to the simulator another process runs on this data folder");
            let gateway = LocalGateway::from_runtime_file(&dir).map_err(|error| CommandError { message: error.explain().into() })?;
            let admin = AdminClient::from_data_dir(&dir).map_err(|error| unavailable(error.to_string()))?;
            Ok(LocalSimulator { gateway, admin: LocalAdmin::Attached(admin) })
        }
        Err(error) => {
            tracing::error!(%error, "the local simulator could not start");
            Err(unavailable(error.to_string()))
        }
    }
}

#[cfg(test)]
mod local_gateway_tests {
    use super::*;

    #[tokio::test]
    async fn the_first_use_starts_the_simulator_in_the_data_folder_and_later_uses_share_it() {
        let dir = tempfile::tempdir().unwrap();
        let shell = Shell::open(&DataDir::at(dir.path()));
        let local = shell.local_gateway().await.unwrap();
        assert!(local.in_process());
        let runtime = fatoora_simulator::RuntimeInfo::read(&dir.path().join("simulator")).unwrap().expect("runtime file");
        assert_eq!(runtime.origin, local.origin());
        assert!(local.gateway().base_url(Environment::Local).starts_with(local.origin()));
        assert!(local.ca_cert_pem().starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(Arc::ptr_eq(&local, &shell.local_gateway().await.unwrap()));

        let otp = local.mint_otp(Environment::Local, "399999999900003", OtpPurpose::Onboard).await.unwrap();
        assert!(otp.len() == 6 && otp.bytes().all(|b| b.is_ascii_digit()), "six ASCII digits");
        local.client(Language::Ar).expect("a client trusting the simulator's CA");
    }

    #[tokio::test]
    async fn a_simulator_already_serving_the_folder_is_attached_to_not_doubled() {
        let dir = tempfile::tempdir().unwrap();
        let simulator_dir = dir.path().join("simulator");
        let other = Simulator::start(SimulatorConfig::new(&simulator_dir)).await.unwrap();

        let shell = Shell::open(&DataDir::at(dir.path()));
        let local = shell.local_gateway().await.unwrap();
        assert!(!local.in_process());
        assert_eq!(local.origin(), other.origin());
        assert_eq!(local.ca_cert_pem(), other.ca_cert_pem());
        let otp = local.mint_otp(Environment::Local, "399999999900003", OtpPurpose::Onboard).await.unwrap();
        assert_eq!(otp.len(), 6);

        // The other process goes away: the next use starts the app's own.
        other.shutdown().await;
        let own = shell.local_gateway().await.unwrap();
        assert!(own.in_process());
    }
}
