//! Backup of everything and restore elsewhere.
//!
//! The payload is the whole SQLite database (a consistent copy made with
//! `VACUUM INTO`) plus every secret the database names, so nothing needs a
//! list of tables kept in step with other crates' migrations.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use fatoora_base::secrets::{Passphrase, SecretName, SecretStore, Sensitive};
use fatoora_base::i18n::Language;
use fatoora_base::store::keys;
use fatoora_base::{DataDir, Store};
use fatoora_base::secrets::OTP_SALT_SECRET;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{CustodyError, io};
use crate::seal;

/// Every column, in any table, that holds the name of a secret.
const SECRET_NAME_COLUMNS: &[(&str, &str)] = &[
    ("unit_keys", "key_name"),
    ("onboarding_state", "key_name"),
    ("onboarding_state", "ccsid_secret_name"),
    ("onboarding_state", "pcsid_secret_name"),
    ("onboarding_state", "pcsid_key_name"),
    ("onboarding_state", "renewal_key_name"),
];

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    created_at: String,
    schema_version: i64,
    /// Base64 of the SQLite file.
    database: Zeroizing<String>,
    /// Secret name → base64 of its bytes.
    secrets: BTreeMap<String, Zeroizing<String>>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupSummary {
    pub units: usize,
    pub secrets: usize,
    /// Names in the database with nothing in the secret store (not in the backup).
    pub missing_secrets: Vec<String>,
    pub bytes: usize,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreSummary {
    pub created_at: String,
    pub units: usize,
    pub secrets: usize,
}

/// Every secret name the database refers to, plus the OTP salt.
pub fn secret_names(store: &Store) -> Result<Vec<SecretName>, CustodyError> {
    let mut names = std::collections::BTreeSet::new();
    for (table, column) in SECRET_NAME_COLUMNS {
        let mut statement = store.connection().prepare(&format!("SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL"))?;
        for name in statement.query_map([], |row| row.get::<_, String>(0))? {
            names.insert(name?);
        }
    }
    names.insert(OTP_SALT_SECRET.to_owned());
    names.into_iter().map(|n| SecretName::new(n).map_err(CustodyError::from)).collect()
}

fn count_units(store: &Store) -> Result<usize, CustodyError> {
    let units: i64 = store.connection().query_row(
        "SELECT (SELECT count(*) FROM units) + (SELECT count(*) FROM onboarding_state WHERE unit_id NOT IN (SELECT id FROM units))",
        [],
        |row| row.get(0),
    )?;
    Ok(units as usize)
}

/// Writes an encrypted backup of `store` and the secrets it names to `to`
/// (atomically: a temporary file renamed into place).
pub fn backup(store: &Store, secrets: &dyn SecretStore, passphrase: &Passphrase, to: &Path) -> Result<BackupSummary, CustodyError> {
    if passphrase.expose().chars().count() < Passphrase::MIN_CHARS {
        return Err(CustodyError::WeakPassphrase { min: Passphrase::MIN_CHARS });
    }
    let scratch = tempfile::tempdir().map_err(io(Path::new("<temp>")))?;
    let copy = scratch.path().join("copy.sqlite3");
    store.connection().execute("VACUUM INTO ?1", [copy.to_string_lossy()])?;
    let database = Zeroizing::new(std::fs::read(&copy).map_err(io(&copy))?);

    let mut entries = BTreeMap::new();
    let mut missing_secrets = Vec::new();
    for name in secret_names(store)? {
        match secrets.get(&name)? {
            Some(secret) => {
                entries.insert(name.to_string(), Zeroizing::new(BASE64.encode(secret.expose())));
            }
            None if name.as_str() == OTP_SALT_SECRET => {}
            None => missing_secrets.push(name.to_string()),
        }
    }
    let payload = Payload {
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        schema_version: store.schema_version()?,
        database: Zeroizing::new(BASE64.encode(&*database)),
        secrets: entries,
    };
    let plaintext = Zeroizing::new(serde_json::to_vec(&payload).expect("a payload always serializes"));
    let sealed = seal::seal(&plaintext, passphrase)?;
    seal::BACKUP_FILE.check(sealed.len() as u64, Some(to))?;

    let parent = to.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(parent).map_err(io(parent))?;
    std::io::Write::write_all(&mut file, &sealed).map_err(io(to))?;
    file.as_file().sync_all().map_err(io(to))?;
    file.persist(to).map_err(|e| CustodyError::Io { path: to.to_owned(), source: e.error })?;
    tracing::info!(units = count_units(store)?, secrets = payload.secrets.len(), "backup written");
    Ok(BackupSummary { units: count_units(store)?, secrets: payload.secrets.len(), missing_secrets, bytes: sealed.len() })
}

/// Restores `backup` into `target` and `secrets`. Everything is decrypted
/// and checked before anything is written: a wrong passphrase, a tampered
/// or foreign file leaves the target untouched. A target that already holds
/// units is replaced only when `replace` is true.
pub fn restore(backup: &Path, passphrase: &Passphrase, target: &DataDir, secrets: &dyn SecretStore, replace: bool) -> Result<RestoreSummary, CustodyError> {
    let file = fatoora_base::input::read_capped(backup, seal::BACKUP_FILE)?;
    let plaintext = seal::open(&file, passphrase)?;
    let payload: Payload = serde_json::from_slice(&plaintext).map_err(|e| CustodyError::NotABackup { detail: e.to_string() })?;
    let database = Zeroizing::new(BASE64.decode(payload.database.as_bytes()).map_err(|e| CustodyError::NotABackup { detail: e.to_string() })?);
    let mut restored_secrets = Vec::with_capacity(payload.secrets.len());
    for (name, value) in &payload.secrets {
        let bytes = BASE64.decode(value.as_bytes()).map_err(|e| CustodyError::NotABackup { detail: e.to_string() })?;
        restored_secrets.push((SecretName::new(name.clone())?, Sensitive::new(bytes)));
    }

    let destination = target.database();
    // The interface language is the choice of whoever uses this computer,
    // not part of the data: one chosen here stays after the restore.
    let mut language_here: Option<Language> = None;
    if destination.exists() {
        let existing = Store::open_file(&destination)?;
        if !replace && count_units(&existing)? > 0 {
            return Err(CustodyError::TargetNotEmpty { path: target.root().to_owned() });
        }
        language_here = existing.setting(keys::LANGUAGE)?;
    }

    // The copy is opened as a store first: that checks it and brings an
    // older schema up to this version before it replaces anything.
    target.ensure().map_err(fatoora_base::store::StoreError::from)?;
    let staged = tempfile::Builder::new().prefix(".restore-").suffix(".sqlite3").tempfile_in(target.root()).map_err(io(target.root()))?;
    std::fs::write(staged.path(), &*database).map_err(io(staged.path()))?;
    let units = {
        let store = Store::open_file(staged.path())?;
        if let Some(language) = language_here {
            store.set_language(language)?;
        }
        store.connection().execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        count_units(&store)?
    };

    for (name, secret) in &restored_secrets {
        secrets.put(name, secret)?;
    }
    Store::open(target)?.replace_with(staged.path())?;
    tracing::info!(units, secrets = restored_secrets.len(), "backup restored");
    Ok(RestoreSummary { created_at: payload.created_at, units, secrets: restored_secrets.len() })
}
