//! EGS units kept on this machine: the profile in SQLite (migration 0002),
//! the private key only in the [`SecretStore`] under
//! `unit/<id>/<environment>/private-key`, one key and CSR per environment.
//!
//! Order of writes, so nothing the user typed is lost: the profile is saved
//! first, then the key goes to the secret store, then the key's record and
//! the CSR. A key is replaced only when the caller says so, and never once
//! onboarding has marked a CSID issued for it ([`mark_csid_issued`]):
//! renewal makes a new key and keeps the old one until the new CSID is in.
//!
//! [`state`] keeps each unit's onboarding record per environment (its step
//! and CSIDs), which onboarding writes and custody, batch and the app read.
//! The tables' migrations live with the store's (`fatoora_base::store`),
//! which applies them in one numbered sequence for every crate.
#![cfg_attr(all(not(test), target_os = "linux"), deny(unused_crate_dependencies))]

use fatoora_base::secrets::{SecretError, SecretName, SecretStore, Sensitive};
use fatoora_base::store::StoreError;
use fatoora_base::store::rusqlite::{self, OptionalExtension, Row, params};
use fatoora_base::values::{Field, FieldError, Severity};
use fatoora_base::{Environment, Localized, Store};
use serde::Serialize;
use sha2::{Digest, Sha256};

use fatoora_csr::{BuildError, Csr, KeyError, UnitKey, UnitProfile, build_csr, layout, lint_profile};

pub mod removal;
pub mod state;

/// The secret store name of a unit's key in one environment.
pub fn key_name(unit_id: &str, environment: Environment) -> Result<SecretName, SecretError> {
    SecretName::new(format!("unit/{unit_id}/{environment}/private-key"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyOrigin {
    Generated,
    Imported,
}

impl KeyOrigin {
    fn id(self) -> &'static str {
        match self {
            KeyOrigin::Generated => "generated",
            KeyOrigin::Imported => "imported",
        }
    }
}

/// Where the key for a new CSR comes from.
#[derive(Debug)]
pub enum KeyChoice {
    /// A fresh secp256k1 key.
    Generate,
    /// A key the user brings (see [`UnitKey::import`]).
    Import(UnitKey),
    /// The key already kept for this unit and environment.
    Reuse,
}

/// A unit as stored, with what it has in each environment.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Unit {
    pub id: String,
    /// `environment` is the one of the latest CSR.
    pub profile: UnitProfile,
    pub created_at: String,
    pub updated_at: String,
    pub keys: Vec<UnitKeyRecord>,
}

/// What is known about a unit's key in one environment (never the key).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnitKeyRecord {
    pub environment: Environment,
    pub key_name: String,
    pub public_key_sha256: String,
    pub key_origin: KeyOrigin,
    pub csr_pem: Option<String>,
    pub csr_created_at: Option<String>,
    pub csid_issued_at: Option<String>,
}

/// The result of [`prepare_csr`].
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Prepared {
    pub unit_id: String,
    pub new_unit: bool,
    pub environment: Environment,
    #[serde(skip)]
    pub csr: Csr,
    pub key_name: String,
    pub public_key_sha256: String,
    pub key_origin: KeyOrigin,
    /// A previous key of this unit and environment was replaced.
    pub replaced_key: bool,
    /// Findings that did not stop the CSR.
    pub warnings: Vec<FieldError>,
}

#[derive(Debug, thiserror::Error)]
pub enum UnitError {
    #[error("the unit profile breaks {} rule(s)", .0.iter().filter(|f| f.severity == Severity::Error).count())]
    Invalid(Vec<FieldError>),
    #[error("unit {unit_id} already has a {environment} key ({public_key_sha256:.16}); pass replace to make a new one")]
    KeyExists { unit_id: String, environment: Environment, public_key_sha256: String },
    #[error("unit {unit_id}'s {environment} key ({public_key_sha256:.16}) belongs to a CSID issued at {issued_at}; it is never replaced here")]
    IssuedKey { unit_id: String, environment: Environment, public_key_sha256: String, issued_at: String },
    #[error("unit {unit_id} has no {environment} key to reuse")]
    NoKey { unit_id: String, environment: Environment },
    #[error("unit {unit_id}'s {environment} key is recorded but missing from the secret store")]
    KeyLost { unit_id: String, environment: Environment },
    #[error("no unit {0:?}")]
    NotFound(String),
    #[error("{reference:?} names {count} units; use the unit id")]
    Ambiguous { reference: String, count: usize },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Build(#[from] BuildError),
}

impl From<rusqlite::Error> for UnitError {
    fn from(error: rusqlite::Error) -> Self {
        UnitError::Store(StoreError::Sqlite(error))
    }
}

impl UnitError {
    /// Whether the user can fix it by changing what they typed or chose
    /// (exit code 2 in the CLI) rather than a failure of the machine.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            UnitError::Invalid(_)
                | UnitError::KeyExists { .. }
                | UnitError::IssuedKey { .. }
                | UnitError::NoKey { .. }
                | UnitError::NotFound(_)
                | UnitError::Ambiguous { .. }
                | UnitError::Key(_)
                | UnitError::Build(BuildError::Invalid(_))
        )
    }

    pub fn findings(&self) -> &[FieldError] {
        match self {
            UnitError::Invalid(findings) | UnitError::Build(BuildError::Invalid(findings)) => findings,
            _ => &[],
        }
    }

    pub fn explain(&self) -> Localized {
        match self {
            UnitError::Invalid(findings) => BuildError::Invalid(findings.clone()).explain(),
            UnitError::KeyExists { unit_id, environment, public_key_sha256 } => Localized::new(
                format!("Unit {unit_id} already has a {environment} key (public key {:.16}…). To make a new CSR with that same key, use --reuse-key; to throw the key away and make a new one, use --replace-key. Nothing was changed.", public_key_sha256),
                format!("للوحدة {unit_id} مفتاح سابق في {} (المفتاح العام {:.16}…). لإنشاء طلب CSR جديد بالمفتاح نفسه استخدم ‎--reuse-key، ولاستبداله بمفتاح جديد استخدم ‎--replace-key. لم يتغيّر شيء.", environment.label().ar, public_key_sha256),
            ),
            UnitError::IssuedKey { unit_id, environment, issued_at, .. } => Localized::new(
                format!("Unit {unit_id}'s {environment} key belongs to a CSID ZATCA issued at {issued_at}; replacing it would stop that CSID from signing. Use renewal to move to a new key (it keeps the old one until the new CSID arrives), or --reuse-key for a new CSR with the same key."),
                format!("مفتاح الوحدة {unit_id} في {} يخص معرّف ختم تشفيري (CSID) أصدرته الهيئة في {issued_at}؛ واستبداله يوقف التوقيع بذلك المعرّف. استخدم التجديد للانتقال إلى مفتاح جديد (يحتفظ بالقديم حتى يصل المعرّف الجديد)، أو ‎--reuse-key لطلب جديد بالمفتاح نفسه.", environment.label().ar),
            ),
            UnitError::NoKey { unit_id, environment } => Localized::new(
                format!("Unit {unit_id} has no {environment} key yet, so there is none to reuse. Leave out --reuse-key to generate one."),
                format!("لا يوجد للوحدة {unit_id} مفتاح في {} بعد، فلا شيء لإعادة استخدامه. احذف ‎--reuse-key لإنشاء مفتاح.", environment.label().ar),
            ),
            UnitError::KeyLost { unit_id, environment } => Localized::new(
                format!("Unit {unit_id}'s {environment} key is recorded here but is not in the keychain (was the keychain reset, or is another secret store selected?). Select the store that holds it, or make a new key with --replace-key."),
                format!("مفتاح الوحدة {unit_id} في {} مسجَّل هنا لكنه غير موجود في سلسلة المفاتيح (هل أُعيد ضبطها أو اختير مخزن أسرار آخر؟). اختر المخزن الذي يحتويه، أو أنشئ مفتاحًا جديدًا بالخيار ‎--replace-key.", environment.label().ar),
            ),
            UnitError::NotFound(reference) => Localized::new(
                format!("No unit {reference:?}. Run fatoora-onboard units list to see the units and their ids."),
                format!("لا توجد وحدة {reference:?}. شغّل fatoora-onboard units list لعرض الوحدات ومعرّفاتها."),
            ),
            UnitError::Ambiguous { reference, count } => Localized::new(
                format!("{reference:?} is the common name of {count} units (of different taxpayers). Use the unit id from fatoora-onboard units list."),
                format!("{reference:?} هو الاسم الشائع لعدد {count} من الوحدات (لمكلّفين مختلفين). استخدم معرّف الوحدة من fatoora-onboard units list."),
            ),
            UnitError::Store(error) => error.explain(),
            UnitError::Secret(error) => error.explain(),
            UnitError::Key(error) => error.explain(),
            UnitError::Build(error) => error.explain(),
        }
    }
}

/// Saves the profile, then generates, imports or reuses the key for its
/// environment and signs a CSR. `replace_key` must be true to put a new key
/// where one is already kept (and cannot replace a key with an issued CSID).
pub fn prepare_csr(
    store: &mut Store,
    secrets: &dyn SecretStore,
    profile: &UnitProfile,
    key: KeyChoice,
    replace_key: bool,
) -> Result<Prepared, UnitError> {
    let findings = lint_profile(profile);
    if findings.iter().any(|f| f.severity == Severity::Error) {
        return Err(UnitError::Invalid(findings));
    }
    let environment = profile.environment;
    let (unit_id, new_unit) = save_profile(store, profile)?;
    let name = key_name(&unit_id, environment)?;
    let existing = key_record(store, &unit_id, environment)?;

    let (key, origin, is_new_key) = match key {
        KeyChoice::Reuse => {
            let record = existing.as_ref().ok_or_else(|| UnitError::NoKey { unit_id: unit_id.clone(), environment })?;
            (load_key(secrets, &unit_id, environment)?, record.key_origin, false)
        }
        KeyChoice::Import(key) if existing.as_ref().is_some_and(|r| r.public_key_sha256 == key.public_key_fingerprint()) => {
            let origin = existing.as_ref().map(|r| r.key_origin).unwrap_or(KeyOrigin::Imported);
            (key, origin, false)
        }
        choice => {
            if let Some(record) = &existing {
                let public_key_sha256 = record.public_key_sha256.clone();
                if let Some(issued_at) = &record.csid_issued_at {
                    return Err(UnitError::IssuedKey { unit_id, environment, public_key_sha256, issued_at: issued_at.clone() });
                }
                if !replace_key {
                    return Err(UnitError::KeyExists { unit_id, environment, public_key_sha256 });
                }
            }
            match choice {
                KeyChoice::Import(key) => (key, KeyOrigin::Imported, true),
                _ => (UnitKey::generate()?, KeyOrigin::Generated, true),
            }
        }
    };

    let csr = build_csr(profile, &key)?;
    let fingerprint = key.public_key_fingerprint();
    if is_new_key {
        let pem = key.to_pkcs8_pem();
        secrets.put(&name, &Sensitive::new(pem.as_bytes().to_vec()))?;
    }
    store.connection().execute(
        "INSERT INTO unit_keys (unit_id, environment, key_name, public_key_sha256, key_origin, csr_pem, csr_created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
         ON CONFLICT (unit_id, environment) DO UPDATE SET
             key_name = excluded.key_name,
             public_key_sha256 = excluded.public_key_sha256,
             key_origin = excluded.key_origin,
             csr_pem = excluded.csr_pem,
             csr_created_at = excluded.csr_created_at,
             csid_issued_at = CASE WHEN unit_keys.public_key_sha256 = excluded.public_key_sha256 THEN unit_keys.csid_issued_at END,
             updated_at = excluded.csr_created_at",
        params![unit_id, environment.id(), name.as_str(), fingerprint, origin.id(), csr.to_pem()],
    )?;
    tracing::info!(unit = %unit_id, %environment, public_key = %&fingerprint[..16], new_key = is_new_key, "CSR prepared");
    Ok(Prepared {
        replaced_key: is_new_key && existing.is_some(),
        unit_id,
        new_unit,
        environment,
        csr,
        key_name: name.to_string(),
        public_key_sha256: fingerprint,
        key_origin: origin,
        warnings: findings,
    })
}

/// The unit's key for `environment`, from the secret store.
pub fn load_key(secrets: &dyn SecretStore, unit_id: &str, environment: Environment) -> Result<UnitKey, UnitError> {
    let secret = secrets
        .get(&key_name(unit_id, environment)?)?
        .ok_or_else(|| UnitError::KeyLost { unit_id: unit_id.to_owned(), environment })?;
    let pem = std::str::from_utf8(secret.expose()).map_err(|_| KeyError::Unreadable)?;
    Ok(UnitKey::from_pkcs8_pem(pem)?)
}

/// For onboarding: ZATCA issued a CSID for the key with this fingerprint,
/// so CSR preparation must never replace it. Returns false when the unit's
/// current key in that environment is another one (nothing is marked).
pub fn mark_csid_issued(store: &Store, unit_id: &str, environment: Environment, public_key_sha256: &str) -> Result<bool, UnitError> {
    let changed = store.connection().execute(
        "UPDATE unit_keys SET csid_issued_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
         WHERE unit_id = ?1 AND environment = ?2 AND public_key_sha256 = ?3 AND csid_issued_at IS NULL",
        params![unit_id, environment.id(), public_key_sha256],
    )?;
    Ok(changed == 1)
}

/// Every unit, newest change first.
pub fn list_units(store: &Store) -> Result<Vec<Unit>, UnitError> {
    let mut statement = store.connection().prepare(&format!("SELECT {UNIT_COLUMNS} FROM units ORDER BY updated_at DESC, id"))?;
    let units = statement.query_map([], unit_from_row)?.collect::<Result<Vec<_>, _>>()?;
    units.into_iter().map(|unit| with_keys(store, unit)).collect()
}

/// A unit by id, or by common name when that is unique.
pub fn find_unit(store: &Store, reference: &str) -> Result<Unit, UnitError> {
    let mut statement = store
        .connection()
        .prepare(&format!("SELECT {UNIT_COLUMNS} FROM units WHERE id = ?1 OR common_name = ?1 ORDER BY id = ?1 DESC"))?;
    let mut units = statement.query_map([reference.trim()], unit_from_row)?.collect::<Result<Vec<_>, _>>()?;
    if units.first().is_some_and(|u| u.id == reference.trim()) {
        units.truncate(1);
    }
    match units.len() {
        0 => Err(UnitError::NotFound(reference.to_owned())),
        1 => with_keys(store, units.remove(0)),
        count => Err(UnitError::Ambiguous { reference: reference.to_owned(), count }),
    }
}

const UNIT_COLUMNS: &str = "id, organization_name, vat_number, organization_unit, common_name, serial, invoice_types, \
                            address, business_category, country, environment, created_at, updated_at";

fn unit_from_row(row: &Row<'_>) -> rusqlite::Result<Unit> {
    let environment: String = row.get(10)?;
    Ok(Unit {
        id: row.get(0)?,
        profile: UnitProfile {
            organization_name: row.get(1)?,
            vat_number: row.get(2)?,
            organization_unit: row.get(3)?,
            common_name: row.get(4)?,
            serial: row.get(5)?,
            invoice_types: row.get(6)?,
            address: row.get(7)?,
            business_category: row.get(8)?,
            country: row.get(9)?,
            environment: environment.parse().unwrap_or_default(),
        },
        created_at: row.get(11)?,
        updated_at: row.get(12)?,
        keys: Vec::new(),
    })
}

fn with_keys(store: &Store, mut unit: Unit) -> Result<Unit, UnitError> {
    let mut statement = store.connection().prepare(
        "SELECT environment, key_name, public_key_sha256, key_origin, csr_pem, csr_created_at, csid_issued_at
         FROM unit_keys WHERE unit_id = ?1 ORDER BY environment",
    )?;
    unit.keys = statement.query_map([&unit.id], key_from_row)?.collect::<Result<Vec<_>, _>>()?;
    Ok(unit)
}

fn key_from_row(row: &Row<'_>) -> rusqlite::Result<UnitKeyRecord> {
    let environment: String = row.get(0)?;
    let origin: String = row.get(3)?;
    Ok(UnitKeyRecord {
        environment: environment.parse().unwrap_or_default(),
        key_name: row.get(1)?,
        public_key_sha256: row.get(2)?,
        key_origin: if origin == "imported" { KeyOrigin::Imported } else { KeyOrigin::Generated },
        csr_pem: row.get(4)?,
        csr_created_at: row.get(5)?,
        csid_issued_at: row.get(6)?,
    })
}

fn key_record(store: &Store, unit_id: &str, environment: Environment) -> Result<Option<UnitKeyRecord>, UnitError> {
    Ok(store
        .connection()
        .query_row(
            "SELECT environment, key_name, public_key_sha256, key_origin, csr_pem, csr_created_at, csid_issued_at
             FROM unit_keys WHERE unit_id = ?1 AND environment = ?2",
            params![unit_id, environment.id()],
            key_from_row,
        )
        .optional()?)
}

/// The saved unit `profile` names, if any. A unit is its VAT number and
/// common name as the CSR carries them: saving a profile with both
/// unchanged updates that unit, whatever else changed.
pub fn find_same_unit(store: &Store, profile: &UnitProfile) -> Result<Option<Unit>, UnitError> {
    let id = same_unit_id(store.connection(), profile)?;
    id.map(|id| find_unit(store, &id)).transpose()
}

fn same_unit_id(conn: &rusqlite::Connection, profile: &UnitProfile) -> rusqlite::Result<Option<String>> {
    let (vat, common_name) = (csr_value(profile, Field::VatNumber), csr_value(profile, Field::CommonName));
    conn.query_row("SELECT id FROM units WHERE vat_number = ?1 AND common_name = ?2", params![vat, common_name], |row| row.get(0)).optional()
}

/// A profile's field as it goes into the CSR (normalised).
fn csr_value(profile: &UnitProfile, field: Field) -> String {
    let slot = layout::SUBJECT.iter().chain(layout::SUBJECT_ALT_NAME.iter()).find(|s| s.field == field).expect("every profile field has a slot");
    profile.csr_value(slot)
}

/// Inserts or updates the unit `profile` names ([`find_same_unit`]),
/// storing the values as they go into the CSR. Returns its id and whether
/// it is new.
fn save_profile(store: &mut Store, profile: &UnitProfile) -> Result<(String, bool), UnitError> {
    let value = |field: Field| csr_value(profile, field);
    let vat = value(Field::VatNumber);
    let common_name = value(Field::CommonName);
    store.transaction(|tx| {
        let existing = same_unit_id(tx, profile)?;
        let id = existing.clone().unwrap_or_else(|| new_unit_id(&vat, &common_name));
        tx.execute(
            "INSERT INTO units (id, organization_name, vat_number, organization_unit, common_name, serial, invoice_types,
                                address, business_category, country, environment)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (id) DO UPDATE SET
                 organization_name = excluded.organization_name, organization_unit = excluded.organization_unit,
                 serial = excluded.serial, invoice_types = excluded.invoice_types, address = excluded.address,
                 business_category = excluded.business_category, country = excluded.country,
                 environment = excluded.environment, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
            params![
                id,
                value(Field::OrganizationName),
                vat,
                value(Field::OrganizationUnit),
                common_name,
                value(Field::EgsSerial),
                value(Field::InvoiceTypes),
                value(Field::Address),
                value(Field::BusinessCategory),
                value(Field::Country),
                profile.environment.id(),
            ],
        )?;
        Ok::<_, UnitError>((id, existing.is_none()))
    })
}

/// Stable for the same taxpayer and unit name, and safe in a secret name.
fn new_unit_id(vat: &str, common_name: &str) -> String {
    let digest = Sha256::digest(format!("{vat}\u{0}{common_name}").as_bytes());
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("u-{hex}")
}
