//! The Settings screen's commands: which FATOORA environment the app works
//! in, and the network limits it uses.
//!
//! Switching only changes the active-environment setting. Keys, CSRs and
//! CSIDs are kept per unit *and environment* (secret names
//! `unit/<id>/<environment>/…`, store rows keyed by environment), so nothing
//! of another environment is read, moved or deleted here; switching back
//! finds everything as it was.

use fatoora_base::{Environment, Store};
use fatoora_onboarding::client::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_TOTAL_TIMEOUT};
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::State;

use crate::commands::EnvironmentInfo;
use crate::shell::{CommandError, Shell};

/// An environment as the UI names it when asking for a switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "lowercase")]
pub enum EnvironmentId {
    Local,
    Sandbox,
    Simulation,
    Production,
}

impl From<EnvironmentId> for Environment {
    fn from(id: EnvironmentId) -> Self {
        match id {
            EnvironmentId::Local => Environment::Local,
            EnvironmentId::Sandbox => Environment::Sandbox,
            EnvironmentId::Simulation => Environment::Simulation,
            EnvironmentId::Production => Environment::Production,
        }
    }
}

impl From<Environment> for EnvironmentId {
    fn from(environment: Environment) -> Self {
        match environment {
            Environment::Local => EnvironmentId::Local,
            Environment::Sandbox => EnvironmentId::Sandbox,
            Environment::Simulation => EnvironmentId::Simulation,
            Environment::Production => EnvironmentId::Production,
        }
    }
}

/// One environment the user may switch to, with what it means for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct EnvironmentOption {
    pub id: EnvironmentId,
    pub info: EnvironmentInfo,
    /// ZATCA's gateway address; `None` for `local` (the bundled simulator).
    pub gateway: Option<String>,
    /// The certificate template this environment's CSRs carry.
    pub certificate_template: String,
    /// Units that have a key here: shown so the user sees they stay.
    pub units_with_keys: u32,
}

/// A network limit the onboarding client applies, in seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct NetworkLimit {
    /// `connect` (TCP + TLS set-up) or `request` (a whole request).
    pub id: String,
    pub seconds: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct Settings {
    pub active: EnvironmentId,
    pub environments: Vec<EnvironmentOption>,
    pub limits: Vec<NetworkLimit>,
}

/// The environments, the active one and the network limits.
#[tauri::command]
#[specta::specta]
pub fn settings(shell: State<'_, Shell>) -> Result<Settings, CommandError> {
    shell.with_store(read_settings)
}

/// Makes `to` the active environment and returns it. The UI asks for
/// confirmation first; nothing of any environment's keys or CSIDs changes.
#[tauri::command]
#[specta::specta]
pub fn switch_environment(shell: State<'_, Shell>, to: EnvironmentId) -> Result<EnvironmentInfo, CommandError> {
    shell.with_store(|store| switch(store, to.into()))
}

fn switch(store: &Store, to: Environment) -> Result<EnvironmentInfo, fatoora_base::store::StoreError> {
    let from = store.environment()?;
    store.set_environment(to)?;
    tracing::info!(%from, %to, "environment switched");
    Ok(to.into())
}

fn read_settings(store: &Store) -> Result<Settings, fatoora_base::store::StoreError> {
    let environments = Environment::ALL
        .into_iter()
        .map(|environment| {
            let units_with_keys: u32 = store.connection().query_row(
                "SELECT count(DISTINCT unit_id) FROM unit_keys WHERE environment = ?1",
                [environment.id()],
                |row| row.get(0),
            )?;
            Ok(EnvironmentOption {
                id: environment.into(),
                info: environment.into(),
                gateway: environment.zatca_base_url(),
                certificate_template: environment.certificate_template().to_owned(),
                units_with_keys,
            })
        })
        .collect::<Result<_, fatoora_base::store::StoreError>>()?;
    let limit = |id: &str, duration: std::time::Duration| NetworkLimit { id: id.to_owned(), seconds: duration.as_secs() as u32 };
    Ok(Settings {
        active: store.environment()?.into(),
        environments,
        limits: vec![limit("connect", DEFAULT_CONNECT_TIMEOUT), limit("request", DEFAULT_TOTAL_TIMEOUT)],
    })
}

#[cfg(test)]
mod tests {
    use fatoora_base::secrets::{KeyringStore, MemorySecretStore, SecretName, SecretStore, Sensitive};
    use fatoora_base::store::rusqlite;
    use fatoora_base::{DataDir, Store};
    use fatoora_csr::UnitProfile;
    use fatoora_units::{self as units, KeyChoice};
    use fatoora_units::state::{self, OnboardingState, Step, StoredCsid};

    use super::*;

    /// The real keychain (Credential Manager on Windows, the Secret Service
    /// under scripts/with-secret-service.sh), else an in-memory store (said so).
    fn keychain() -> Box<dyn SecretStore> {
        let keyring = KeyringStore::new(format!("sa.fatoora-onboard.settings-test-{}", std::process::id()));
        if fatoora_base::skip::keychain_missing(&keyring).is_none() {
            Box::new(keyring)
        } else {
            eprintln!("no Secret Service (run under scripts/with-secret-service.sh): checking secrets in memory");
            Box::new(MemorySecretStore::default())
        }
    }

    fn rows(store: &Store, sql: &str) -> Vec<Vec<String>> {
        let mut statement = store.connection().prepare(sql).unwrap();
        let columns = statement.column_count();
        statement
            .query_map([], |row| {
                (0..columns)
                    .map(|i| row.get::<_, rusqlite::types::Value>(i).map(|value| format!("{value:?}")))
                    .collect::<Result<Vec<_>, _>>()
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// The `unit_keys` rows, the `onboarding_state` rows and the secrets.
    type Snapshot = (Vec<Vec<String>>, Vec<Vec<String>>, Vec<Vec<u8>>);

    /// Everything `local` holds for a unit: its store rows and secrets.
    fn local_snapshot(store: &Store, secrets: &dyn SecretStore, names: &[SecretName]) -> Snapshot {
        let keys = rows(store, "SELECT * FROM unit_keys WHERE environment = 'local' ORDER BY unit_id");
        let onboarding = rows(store, "SELECT * FROM onboarding_state WHERE environment = 'local' ORDER BY unit_id");
        let secrets = names
            .iter()
            .map(|name| secrets.get(name).unwrap().unwrap_or_else(|| panic!("{} is gone from the keychain", name.as_str())).expose().clone())
            .collect();
        (keys, onboarding, secrets)
    }

    #[test]
    fn switching_to_sandbox_and_back_leaves_locals_keys_and_csids_alone() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&DataDir::at(dir.path())).unwrap();
        let secrets = keychain();

        // A local unit with a key, a CSR and an issued CSID whose secret is in the keychain.
        let prepared = units::prepare_csr(&mut store, secrets.as_ref(), &UnitProfile::sdk_example(Environment::Local), KeyChoice::Generate, false).unwrap();
        let unit_id = prepared.unit_id.clone();
        let key = units::key_name(&unit_id, Environment::Local).unwrap();
        let csid_secret = SecretName::new(format!("unit/{unit_id}/local/pcsid-secret")).unwrap();
        secrets.put(&csid_secret, &Sensitive::new(b"local pcsid secret".to_vec())).unwrap();
        let mut onboarding = OnboardingState::new(&unit_id, Environment::Local);
        onboarding.step = Step::Issued;
        onboarding.key_name = Some(key.as_str().to_owned());
        onboarding.pcsid_key_name = Some(key.as_str().to_owned());
        onboarding.pcsid = Some(StoredCsid {
            request_id: "1234567890123".into(),
            certificate_pem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".into(),
            token: "TUlJQg==".into(),
            secret_name: csid_secret.as_str().to_owned(),
        });
        state::save(store.connection(), &onboarding).unwrap();
        assert!(units::mark_csid_issued(&store, &unit_id, Environment::Local, &prepared.public_key_sha256).unwrap());
        let names = [key.clone(), csid_secret.clone()];
        let before = local_snapshot(&store, secrets.as_ref(), &names);

        let sandbox = switch(&store, Environment::Sandbox).unwrap();
        assert_eq!(sandbox.id, "sandbox");
        assert_eq!(read_settings(&store).unwrap().active, EnvironmentId::Sandbox);
        // Work in sandbox: the same unit gets its own sandbox key and CSR.
        let in_sandbox = units::prepare_csr(&mut store, secrets.as_ref(), &UnitProfile::sdk_example(Environment::Sandbox), KeyChoice::Generate, false).unwrap();
        assert_eq!(in_sandbox.unit_id, unit_id);
        assert_ne!(in_sandbox.public_key_sha256, prepared.public_key_sha256);
        let sandbox_key = units::key_name(&unit_id, Environment::Sandbox).unwrap();
        assert!(secrets.get(&sandbox_key).unwrap().is_some());
        assert_eq!(local_snapshot(&store, secrets.as_ref(), &names), before, "local changed while in sandbox");

        let local = switch(&store, Environment::Local).unwrap();
        assert_eq!(local.id, "local");
        assert!(!local.reaches_zatca);
        let after = local_snapshot(&store, secrets.as_ref(), &names);
        assert_eq!(after, before, "local's keys, CSR rows or CSID changed across the switch");
        assert!(!after.0.is_empty() && !after.1.is_empty());
        let listed = units::find_unit(&store, &unit_id).unwrap();
        let local_record = listed.keys.iter().find(|k| k.environment == Environment::Local).unwrap();
        assert!(local_record.csid_issued_at.is_some(), "the issued CSID is still marked");

        let counts: Vec<(EnvironmentId, u32)> = read_settings(&store).unwrap().environments.iter().map(|c| (c.id, c.units_with_keys)).collect();
        assert_eq!(
            counts,
            [(EnvironmentId::Local, 1), (EnvironmentId::Sandbox, 1), (EnvironmentId::Simulation, 0), (EnvironmentId::Production, 0)]
        );
        for name in [key, csid_secret, sandbox_key] {
            secrets.delete(&name).unwrap();
        }
    }

    #[test]
    fn each_environment_is_offered_with_its_gateway_and_template() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&DataDir::at(dir.path())).unwrap();
        let settings = read_settings(&store).unwrap();
        assert_eq!(settings.active, EnvironmentId::Local);
        let ids: Vec<EnvironmentId> = settings.environments.iter().map(|c| c.id).collect();
        assert_eq!(ids, [EnvironmentId::Local, EnvironmentId::Sandbox, EnvironmentId::Simulation, EnvironmentId::Production]);
        assert_eq!(settings.environments[0].gateway, None);
        assert_eq!(
            settings.environments[3].gateway.as_deref(),
            Some("https://gw-fatoora.zatca.gov.sa/e-invoicing/core")
        );
        assert_eq!(settings.environments[3].certificate_template, "ZATCA-Code-Signing");
        assert!(settings.environments[3].info.reaches_zatca);
    }

    #[test]
    fn the_limits_are_the_onboarding_clients_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&DataDir::at(dir.path())).unwrap();
        let limits = read_settings(&store).unwrap().limits;
        assert_eq!(
            limits,
            [NetworkLimit { id: "connect".into(), seconds: 10 }, NetworkLimit { id: "request".into(), seconds: 90 }]
        );
    }

    #[test]
    fn environment_ids_round_trip_through_the_core_type() {
        for environment in Environment::ALL {
            assert_eq!(Environment::from(EnvironmentId::from(environment)), environment);
            let json = serde_json::to_string(&EnvironmentId::from(environment)).unwrap();
            assert_eq!(json, format!("\"{}\"", environment.id()));
        }
    }
}
