//! Deleting a unit the user no longer wants (a typo, a rehearsal's demo
//! unit), with its keys: allowed only while ZATCA has issued it no CSID in
//! any environment, since a CSID's key is the one thing that can sign with
//! it and nothing here could make it again.
//!
//! What goes: the unit's profile, its key records and CSRs (every
//! environment), its onboarding records and passed checks, and every
//! secret those rows name (keys, a renewal key). What stays: the
//! onboarding journal. It is the record of what was sent to ZATCA and
//! when, which support asks for, holds no secret (an OTP only as a salted
//! hash and its last digit), and keeps "this OTP was already sent" working
//! when the same OTP is tried for another unit. A unit saved again with the
//! same VAT number and common name gets the same id, so its history
//! continues where it left off.
//!
//! Order, so a crash leaves nothing secret behind: inside one database
//! transaction the secrets are deleted first, then the rows. A crash
//! between the two leaves the unit listed without its keys, and deleting
//! it again finishes the job (a missing secret is not an error).

use fatoora_base::secrets::{SecretError, SecretName, SecretStore};
use fatoora_base::store::rusqlite::{self, Connection, OptionalExtension, params};
use fatoora_base::{Environment, Localized, Store};
use serde::Serialize;

use crate::UnitError;

/// What [`delete_unit`] removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Removed {
    pub unit_id: String,
    pub common_name: String,
    /// Secrets deleted from the secret store (keys; never shown).
    pub secrets_deleted: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum RemovalError {
    #[error("unit {common_name} has a CSID issued in {environment}; it is kept")]
    CsidIssued { common_name: String, environment: Environment },
    #[error("unit {common_name} sent an OTP in {environment} that ZATCA may have used; it is kept")]
    OtpInDoubt { common_name: String, environment: Environment },
    #[error(transparent)]
    Units(#[from] UnitError),
    #[error(transparent)]
    Secret(#[from] SecretError),
}

impl From<rusqlite::Error> for RemovalError {
    fn from(error: rusqlite::Error) -> Self {
        RemovalError::Units(error.into())
    }
}

impl RemovalError {
    pub fn explain(&self) -> Localized {
        match self {
            RemovalError::CsidIssued { common_name, environment } => Localized::new(
                format!("{common_name} cannot be deleted: ZATCA issued it a CSID in {}, and its key is the only one that can sign with that CSID. Nothing was deleted. A unit leaves ZATCA's records only when the taxpayer revokes it in the FATOORA portal.", environment.label().en),
                format!("لا يمكن حذف {common_name}: أصدرت لها الهيئة معرّف ختم تشفيري (CSID) في {}، ومفتاحها هو الوحيد الذي يوقّع به. لم يُحذف شيء. تخرج الوحدة من سجلات الهيئة فقط حين يلغيها المكلَّف في بوابة «فاتورة».", environment.label().ar),
            ),
            RemovalError::OtpInDoubt { common_name, environment } => Localized::new(
                format!("{common_name} cannot be deleted yet: in {} it sent an OTP to ZATCA and no answer came back, so ZATCA may have issued a CSID for its key. Nothing was deleted. Continue its onboarding with a new OTP first.", environment.label().en),
                format!("لا يمكن حذف {common_name} الآن: أرسلت رمز تحقق إلى الهيئة في {} ولم يصل رد، فربما أصدرت الهيئة معرّف ختم تشفيري لمفتاحها. لم يُحذف شيء. تابع ربطها برمز تحقق جديد أولا.", environment.label().ar),
            ),
            RemovalError::Units(error) => error.explain(),
            RemovalError::Secret(error) => error.explain(),
        }
    }
}

/// Deletes the unit `unit_id` and its keys, or refuses, changing nothing,
/// when a CSID was (or may have been) issued for it in any environment.
pub fn delete_unit(store: &mut Store, secrets: &dyn SecretStore, unit_id: &str) -> Result<Removed, RemovalError> {
    let removed = store.transaction(|tx| {
        let common_name: String = tx
            .query_row("SELECT common_name FROM units WHERE id = ?1", [unit_id], |row| row.get(0))
            .optional()?
            .ok_or_else(|| UnitError::NotFound(unit_id.to_owned()))?;
        if let Some(refusal) = deletion_blocker(tx, unit_id, &common_name)? {
            return Err(refusal);
        }
        let names = secret_names(tx, unit_id)?;
        for name in &names {
            secrets.delete(&SecretName::new(name.clone())?)?;
        }
        tx.execute("DELETE FROM onboarding_state WHERE unit_id = ?1", [unit_id])?;
        tx.execute("DELETE FROM units WHERE id = ?1", [unit_id])?;
        Ok::<_, RemovalError>(Removed { unit_id: unit_id.to_owned(), common_name, secrets_deleted: names.len() })
    })?;
    tracing::info!(unit = %removed.unit_id, secrets = removed.secrets_deleted, "unit deleted");
    Ok(removed)
}

/// Why the unit must be kept, if it must: a CSID ZATCA issued (or may have
/// issued) it in any environment. The units list shows it in place of "Delete".
pub fn deletion_blocker(conn: &Connection, unit_id: &str, common_name: &str) -> rusqlite::Result<Option<RemovalError>> {
    let environment_where = |sql: &str| -> rusqlite::Result<Option<Environment>> {
        let found: Option<String> = conn.query_row(sql, [unit_id], |row| row.get(0)).optional()?;
        Ok(found.map(|id| id.parse().unwrap_or_default()))
    };
    let issued = environment_where("SELECT environment FROM unit_keys WHERE unit_id = ?1 AND csid_issued_at IS NOT NULL LIMIT 1")?.or(
        environment_where(
            "SELECT environment FROM onboarding_state
             WHERE unit_id = ?1 AND (ccsid_certificate IS NOT NULL OR pcsid_certificate IS NOT NULL) LIMIT 1",
        )?,
    );
    let common_name = common_name.to_owned();
    if let Some(environment) = issued {
        return Ok(Some(RemovalError::CsidIssued { common_name, environment }));
    }
    let in_doubt = environment_where("SELECT environment FROM onboarding_state WHERE unit_id = ?1 AND otp_in_doubt_hash IS NOT NULL LIMIT 1")?;
    Ok(in_doubt.map(|environment| RemovalError::OtpInDoubt { common_name, environment }))
}

/// Every secret the unit's rows name, each once.
fn secret_names(conn: &Connection, unit_id: &str) -> rusqlite::Result<Vec<String>> {
    let mut statement = conn.prepare(
        "SELECT key_name FROM unit_keys WHERE unit_id = ?1
         UNION
         SELECT value FROM onboarding_state,
             json_each(json_array(key_name, pcsid_key_name, renewal_key_name, ccsid_secret_name, pcsid_secret_name))
         WHERE unit_id = ?1 AND value IS NOT NULL",
    )?;
    statement.query_map(params![unit_id], |row| row.get(0))?.collect()
}

#[cfg(test)]
mod tests {
    use fatoora_base::DataDir;
    use fatoora_base::secrets::{MemorySecretStore, Sensitive};
    use fatoora_csr::UnitProfile;

    use super::*;
    use crate::state::{self, OnboardingState, StoredCsid};
    use crate::{KeyChoice, find_unit, key_name, list_units, mark_csid_issued, prepare_csr};

    struct Fixture {
        dir: tempfile::TempDir,
        store: Store,
        secrets: MemorySecretStore,
        unit_id: String,
    }

    /// A unit saved as the app saves one, in a real SQLite file, with keys in
    /// `local` and `sandbox`.
    fn saved_unit() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&DataDir::at(dir.path())).unwrap();
        let secrets = MemorySecretStore::default();
        let mut unit_id = String::new();
        for environment in [Environment::Local, Environment::Sandbox] {
            let profile = UnitProfile::sdk_example(environment);
            unit_id = prepare_csr(&mut store, &secrets, &profile, KeyChoice::Generate, false).unwrap().unit_id;
        }
        Fixture { dir, store, secrets, unit_id }
    }

    fn has_secret(secrets: &MemorySecretStore, name: &str) -> bool {
        secrets.get(&SecretName::new(name).unwrap()).unwrap().is_some()
    }

    fn journal_rows(store: &Store) -> i64 {
        store.connection().query_row("SELECT count(*) FROM onboarding_journal", [], |row| row.get(0)).unwrap()
    }

    #[test]
    fn a_unit_without_a_csid_goes_with_its_keys_and_its_journal_stays() {
        let Fixture { dir, mut store, secrets, unit_id } = saved_unit();
        let keys: Vec<String> =
            [Environment::Local, Environment::Sandbox].iter().map(|env| key_name(&unit_id, *env).unwrap().to_string()).collect();
        // A stopped onboarding (pre-flight only) with a renewal-style extra key, and a journal row.
        let mut record = OnboardingState::new(&unit_id, Environment::Local);
        record.key_name = Some(keys[0].clone());
        record.renewal_key_name = Some(format!("unit/{unit_id}/local/spare-key"));
        state::save(store.connection(), &record).unwrap();
        secrets.put(&SecretName::new(record.renewal_key_name.clone().unwrap()).unwrap(), &Sensitive::new(b"spare".to_vec())).unwrap();
        store
            .connection()
            .execute(
                "INSERT INTO onboarding_journal (unit_id, environment, endpoint, url, started_at, duration_ms, attempts, reach)
                 VALUES (?1, 'local', 'compliance', 'https://127.0.0.1/compliance', '2026-01-01T00:00:00Z', 5, 1, 'not-sent')",
                [&unit_id],
            )
            .unwrap();
        assert!(keys.iter().all(|name| has_secret(&secrets, name)));

        let removed = delete_unit(&mut store, &secrets, &unit_id).unwrap();

        assert_eq!(removed.common_name, UnitProfile::sdk_example(Environment::Local).common_name);
        assert_eq!(removed.secrets_deleted, 3, "two keys and the spare");
        assert!(keys.iter().all(|name| !has_secret(&secrets, name)), "the keys left the secret store");
        assert!(!has_secret(&secrets, &format!("unit/{unit_id}/local/spare-key")));
        assert!(list_units(&store).unwrap().is_empty());
        assert!(state::all(store.connection()).unwrap().is_empty());
        let key_rows: i64 = store.connection().query_row("SELECT count(*) FROM unit_keys", [], |row| row.get(0)).unwrap();
        assert_eq!(key_rows, 0);
        assert_eq!(journal_rows(&store), 1, "the journal is support's evidence and stays");

        // Reopened from the file: the deletion was committed.
        let reopened = Store::open(&DataDir::at(dir.path())).unwrap();
        assert!(matches!(find_unit(&reopened, &unit_id), Err(UnitError::NotFound(_))));
        let again = delete_unit(&mut store, &secrets, &unit_id).unwrap_err();
        assert!(matches!(again, RemovalError::Units(UnitError::NotFound(_))), "{again:?}");
    }

    #[test]
    fn a_unit_with_an_issued_csid_in_any_environment_is_kept_whole() {
        let Fixture { dir: _dir, mut store, secrets, unit_id } = saved_unit();
        let sandbox = find_unit(&store, &unit_id).unwrap().keys.into_iter().find(|k| k.environment == Environment::Sandbox).unwrap();
        assert!(mark_csid_issued(&store, &unit_id, Environment::Sandbox, &sandbox.public_key_sha256).unwrap());

        let refused = delete_unit(&mut store, &secrets, &unit_id).unwrap_err();

        assert!(matches!(refused, RemovalError::CsidIssued { environment: Environment::Sandbox, .. }), "{refused:?}");
        let said = refused.explain();
        assert!(said.en.contains("cannot be deleted") && said.en.contains("Nothing was deleted"), "{}", said.en);
        assert!(said.ar.contains("لا يمكن حذف") && said.ar.contains(&Environment::Sandbox.label().ar), "{}", said.ar);
        assert_eq!(find_unit(&store, &unit_id).unwrap().keys.len(), 2);
        for environment in [Environment::Local, Environment::Sandbox] {
            assert!(has_secret(&secrets, key_name(&unit_id, environment).unwrap().as_str()), "no key was touched");
        }
    }

    #[test]
    fn a_compliance_csid_or_an_otp_in_doubt_keeps_the_unit_too() {
        let Fixture { dir: _dir, mut store, secrets, unit_id } = saved_unit();
        let mut record = OnboardingState::new(&unit_id, Environment::Local);
        record.otp_in_doubt_hash = Some("a".repeat(64));
        state::save(store.connection(), &record).unwrap();
        let in_doubt = delete_unit(&mut store, &secrets, &unit_id).unwrap_err();
        assert!(matches!(in_doubt, RemovalError::OtpInDoubt { .. }), "{in_doubt:?}");
        assert!(in_doubt.explain().en.contains("new OTP"));

        record.otp_in_doubt_hash = None;
        record.ccsid = Some(StoredCsid {
            request_id: "1".into(),
            certificate_pem: "-----BEGIN CERTIFICATE-----".into(),
            token: "t".into(),
            secret_name: format!("unit/{unit_id}/local/ccsid-1-secret"),
        });
        state::save(store.connection(), &record).unwrap();
        let issued = delete_unit(&mut store, &secrets, &unit_id).unwrap_err();
        assert!(matches!(issued, RemovalError::CsidIssued { environment: Environment::Local, .. }), "{issued:?}");
        assert!(find_unit(&store, &unit_id).is_ok());
    }
}
