//! The onboarding state machine, one row per unit and environment
//! (migration 0003). It is written *before* each network step, so a crash or
//! a kill at any point resumes at the right step.
//!
//! ```text
//! preflight → ccsid → compliance-checks → pcsid → issued
//!                                                   │ renew (PATCH)
//!                                                   ▼
//!                               renewal ──200──────────────→ issued
//!                                  │ 428 (renewed CCSID)
//!                                  ▼
//!                           renewal-checks → renewal-pcsid → issued
//! ```

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use fatoora_base::{Environment, Localized};
use fatoora_base::store::rusqlite::{self, Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// Nothing sent yet.
    Preflight,
    /// `POST /compliance` is about to be / was sent; the CSR is recorded.
    Ccsid,
    /// CCSID stored; compliance documents are being submitted.
    ComplianceChecks,
    /// Checks passed; `POST /production/csids` is about to be / was sent.
    Pcsid,
    /// A production CSID is stored.
    Issued,
    /// `PATCH /production/csids` is about to be / was sent with a new CSR.
    Renewal,
    /// 428: compliance checks with the renewed CCSID.
    RenewalChecks,
    /// Checks passed after 428; `POST /production/csids` again.
    RenewalPcsid,
}

impl Step {
    pub const ALL: [Step; 8] = [
        Step::Preflight,
        Step::Ccsid,
        Step::ComplianceChecks,
        Step::Pcsid,
        Step::Issued,
        Step::Renewal,
        Step::RenewalChecks,
        Step::RenewalPcsid,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Step::Preflight => "preflight",
            Step::Ccsid => "ccsid",
            Step::ComplianceChecks => "compliance-checks",
            Step::Pcsid => "pcsid",
            Step::Issued => "issued",
            Step::Renewal => "renewal",
            Step::RenewalChecks => "renewal-checks",
            Step::RenewalPcsid => "renewal-pcsid",
        }
    }

    pub fn label(self) -> fatoora_base::Localized {
        use fatoora_base::Localized;
        match self {
            Step::Preflight => Localized::new("Pre-flight checks", "الفحوصات المسبقة"),
            Step::Ccsid => Localized::new("Compliance CSID", "معرّف الختم التشفيري للامتثال (CCSID)"),
            Step::ComplianceChecks => Localized::new("Compliance checks", "فحوصات الامتثال"),
            Step::Pcsid => Localized::new("Production CSID", "معرّف الختم التشفيري للإنتاج (PCSID)"),
            Step::Issued => Localized::new("Onboarded", "تم الربط"),
            Step::Renewal => Localized::new("Renewal", "التجديد"),
            Step::RenewalChecks => Localized::new("Compliance checks for renewal", "فحوصات الامتثال للتجديد"),
            Step::RenewalPcsid => Localized::new("Renewed production CSID", "معرّف الإنتاج المجدَّد"),
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Step {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Step::ALL.into_iter().find(|step| step.id() == s).ok_or_else(|| format!("unknown step {s:?}"))
    }
}

/// A CSID as stored: public parts here, the secret in the SecretStore under
/// `secret_name`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredCsid {
    pub request_id: String,
    pub certificate_pem: String,
    #[serde(skip)]
    pub token: String,
    pub secret_name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OnboardingState {
    pub unit_id: String,
    pub environment: Environment,
    pub step: Step,
    pub csr_pem: Option<String>,
    /// SecretStore name of the private key the CSR was made with.
    pub key_name: Option<String>,
    pub ccsid: Option<StoredCsid>,
    pub pcsid: Option<StoredCsid>,
    /// SecretStore name of the key that signs with the PCSID.
    pub pcsid_key_name: Option<String>,
    pub pcsid_expires_at: Option<DateTime<Utc>>,
    pub renewal_key_name: Option<String>,
    pub renewal_csr_pem: Option<String>,
    /// Hash of an OTP whose request may have reached ZATCA unanswered.
    #[serde(skip)]
    pub otp_in_doubt_hash: Option<String>,
    pub last_error: Option<RecordedFailure>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// Why the last network step failed, as the record keeps it (JSON in the
/// `last_error` column). The field names are the ones every version wrote,
/// so rows written before this type existed read back unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedFailure {
    /// The gateway call, as `fatoora_onboarding::catalogue::Endpoint::id`.
    pub endpoint: String,
    /// ZATCA's code, when the gateway sent one.
    pub code: Option<String>,
    /// The HTTP status, when an answer came.
    pub status: Option<u16>,
    /// Whether the request may have reached the gateway, as
    /// `fatoora_onboarding::client::Reach` names it (`not-sent`, …).
    pub reach: String,
    /// What the user was told.
    pub explanation: RecordedExplanation,
}

/// The catalogue's words for the failure, as they were when it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedExplanation {
    /// What happened, in plain words.
    #[serde(with = "LocalizedText")]
    pub what_happened: Localized,
    /// What to do next.
    #[serde(with = "LocalizedText")]
    pub next_step: Localized,
    /// Sending the same request again, unchanged, could succeed.
    pub retry_may_help: bool,
}

/// [`Localized`]'s stored shape (`{"en": …, "ar": …}`).
#[derive(Serialize, Deserialize)]
#[serde(remote = "Localized")]
struct LocalizedText {
    en: String,
    ar: String,
}

impl OnboardingState {
    pub fn new(unit_id: &str, environment: Environment) -> Self {
        Self {
            unit_id: unit_id.to_owned(),
            environment,
            step: Step::Preflight,
            csr_pem: None,
            key_name: None,
            ccsid: None,
            pcsid: None,
            pcsid_key_name: None,
            pcsid_expires_at: None,
            renewal_key_name: None,
            renewal_csr_pem: None,
            otp_in_doubt_hash: None,
            last_error: None,
            updated_at: None,
        }
    }
}

fn csid(request_id: Option<String>, certificate: Option<String>, token: Option<String>, secret_name: Option<String>) -> Option<StoredCsid> {
    Some(StoredCsid { request_id: request_id?, certificate_pem: certificate?, token: token?, secret_name: secret_name? })
}

fn conversion(e: impl std::fmt::Display) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.to_string().into())
}

pub fn load(conn: &Connection, unit_id: &str, environment: Environment) -> rusqlite::Result<Option<OnboardingState>> {
    conn.query_row(
        "SELECT step, csr_pem, key_name, ccsid_request_id, ccsid_certificate, ccsid_token, ccsid_secret_name,
                pcsid_request_id, pcsid_certificate, pcsid_token, pcsid_secret_name, pcsid_key_name, pcsid_expires_at,
                renewal_key_name, renewal_csr_pem, otp_in_doubt_hash, last_error, updated_at
         FROM onboarding_state WHERE unit_id = ?1 AND environment = ?2",
        params![unit_id, environment.id()],
        |row| {
            Ok(OnboardingState {
                unit_id: unit_id.to_owned(),
                environment,
                step: row.get::<_, String>(0)?.parse().map_err(conversion)?,
                csr_pem: row.get(1)?,
                key_name: row.get(2)?,
                ccsid: csid(row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?),
                pcsid: csid(row.get(7)?, row.get(8)?, row.get(9)?, row.get(10)?),
                pcsid_key_name: row.get(11)?,
                pcsid_expires_at: row.get::<_, Option<String>>(12)?.map(|t| parse_timestamp(&t)).transpose()?,
                renewal_key_name: row.get(13)?,
                renewal_csr_pem: row.get(14)?,
                otp_in_doubt_hash: row.get(15)?,
                last_error: row.get::<_, Option<String>>(16)?.map(|t| serde_json::from_str(&t)).transpose().map_err(conversion)?,
                updated_at: row.get::<_, Option<String>>(17)?.map(|t| parse_timestamp(&t)).transpose()?,
            })
        },
    )
    .optional()
}

/// Every unit's states, for listings.
pub fn all(conn: &Connection) -> rusqlite::Result<Vec<OnboardingState>> {
    let keys: Vec<(String, String)> = conn
        .prepare("SELECT unit_id, environment FROM onboarding_state ORDER BY unit_id, environment")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut states = Vec::new();
    for (unit, environment) in keys {
        let environment: Environment = environment.parse().map_err(conversion)?;
        states.extend(load(conn, &unit, environment)?);
    }
    Ok(states)
}

/// Writes the whole state (insert or replace), stamping `updated_at`.
pub fn save(conn: &Connection, state: &OnboardingState) -> rusqlite::Result<()> {
    let ccsid = state.ccsid.as_ref();
    let pcsid = state.pcsid.as_ref();
    conn.execute(
        "INSERT INTO onboarding_state (unit_id, environment, step, csr_pem, key_name,
             ccsid_request_id, ccsid_certificate, ccsid_token, ccsid_secret_name,
             pcsid_request_id, pcsid_certificate, pcsid_token, pcsid_secret_name, pcsid_key_name, pcsid_expires_at,
             renewal_key_name, renewal_csr_pem, otp_in_doubt_hash, last_error, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)
         ON CONFLICT (unit_id, environment) DO UPDATE SET
             step = excluded.step, csr_pem = excluded.csr_pem, key_name = excluded.key_name,
             ccsid_request_id = excluded.ccsid_request_id, ccsid_certificate = excluded.ccsid_certificate,
             ccsid_token = excluded.ccsid_token, ccsid_secret_name = excluded.ccsid_secret_name,
             pcsid_request_id = excluded.pcsid_request_id, pcsid_certificate = excluded.pcsid_certificate,
             pcsid_token = excluded.pcsid_token, pcsid_secret_name = excluded.pcsid_secret_name,
             pcsid_key_name = excluded.pcsid_key_name, pcsid_expires_at = excluded.pcsid_expires_at,
             renewal_key_name = excluded.renewal_key_name, renewal_csr_pem = excluded.renewal_csr_pem,
             otp_in_doubt_hash = excluded.otp_in_doubt_hash, last_error = excluded.last_error,
             updated_at = excluded.updated_at",
        params![
            state.unit_id,
            state.environment.id(),
            state.step.id(),
            state.csr_pem,
            state.key_name,
            ccsid.map(|c| &c.request_id),
            ccsid.map(|c| &c.certificate_pem),
            ccsid.map(|c| &c.token),
            ccsid.map(|c| &c.secret_name),
            pcsid.map(|c| &c.request_id),
            pcsid.map(|c| &c.certificate_pem),
            pcsid.map(|c| &c.token),
            pcsid.map(|c| &c.secret_name),
            state.pcsid_key_name,
            state.pcsid_expires_at.map(timestamp),
            state.renewal_key_name,
            state.renewal_csr_pem,
            state.otp_in_doubt_hash,
            state.last_error.as_ref().map(|e| serde_json::to_string(e).expect("a recorded failure serialises")),
            timestamp(Utc::now()),
        ],
    )?;
    Ok(())
}

/// Compliance documents already passed under one CCSID.
pub fn passed_checks(conn: &Connection, state: &OnboardingState, ccsid_request_id: &str) -> rusqlite::Result<Vec<String>> {
    conn.prepare(
        "SELECT document FROM onboarding_checks WHERE unit_id = ?1 AND environment = ?2 AND ccsid_request_id = ?3 ORDER BY checked_at",
    )?
    .query_map(params![state.unit_id, state.environment.id(), ccsid_request_id], |row| row.get(0))?
    .collect()
}

pub fn record_check(
    conn: &Connection,
    state: &OnboardingState,
    ccsid_request_id: &str,
    document: &str,
    status: &str,
    warnings: &[String],
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO onboarding_checks (unit_id, environment, ccsid_request_id, document, status, warnings)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            state.unit_id,
            state.environment.id(),
            ccsid_request_id,
            document,
            status,
            serde_json::to_string(warnings).expect("strings serialise"),
        ],
    )?;
    Ok(())
}

/// A time as the store keeps it: RFC 3339 in UTC with milliseconds.
pub fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A time the store kept with [`timestamp`].
pub fn parse_timestamp(text: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

#[cfg(test)]
mod tests {
    use fatoora_base::{DataDir, Store};

    use super::*;

    /// The store as the app opens it: a real SQLite file with every migration.
    fn database() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&DataDir::at(dir.path())).unwrap();
        (dir, store)
    }

    #[test]
    fn state_round_trips_and_environments_stay_apart() {
        let (_dir, store) = database();
        let conn = store.connection();
        let mut simulation = OnboardingState::new("unit-1", Environment::Simulation);
        simulation.step = Step::ComplianceChecks;
        simulation.ccsid = Some(StoredCsid {
            request_id: "1234567890123".into(),
            certificate_pem: "-----BEGIN CERTIFICATE-----".into(),
            token: "TUlJ".into(),
            secret_name: "unit-1/simulation/ccsid".into(),
        });
        save(conn, &simulation).unwrap();
        save(conn, &OnboardingState::new("unit-1", Environment::Production)).unwrap();

        let loaded = load(conn, "unit-1", Environment::Simulation).unwrap().unwrap();
        assert_eq!(loaded.step, Step::ComplianceChecks);
        assert_eq!(loaded.ccsid, simulation.ccsid);
        let production = load(conn, "unit-1", Environment::Production).unwrap().unwrap();
        assert_eq!((production.step, production.ccsid), (Step::Preflight, None));
        assert_eq!(all(conn).unwrap().len(), 2);
    }

    #[test]
    fn passed_checks_belong_to_one_ccsid() {
        let (_dir, store) = database();
        let conn = store.connection();
        let state = OnboardingState::new("u", Environment::Local);
        save(conn, &state).unwrap();
        record_check(conn, &state, "ccsid-1", "standard-invoice", "PASS", &[]).unwrap();
        record_check(conn, &state, "ccsid-1", "standard-credit-note", "WARNING", &["BR-KSA-98".into()]).unwrap();
        assert_eq!(passed_checks(conn, &state, "ccsid-1").unwrap().len(), 2);
        assert!(passed_checks(conn, &state, "ccsid-2").unwrap().is_empty());
    }

    /// The JSON `fatoora_onboarding::flow` wrote before the failure was typed,
    /// byte for byte: users' databases hold such rows.
    #[test]
    fn a_failure_recorded_by_earlier_versions_reads_back_typed() {
        let (_dir, store) = database();
        let conn = store.connection();
        save(conn, &OnboardingState::new("u", Environment::Simulation)).unwrap();
        let old = r#"{"code":"Invalid-OTP","endpoint":"compliance","explanation":{"nextStep":{"ar":"أنشئ رمزًا جديدًا","en":"Generate a new OTP"},"retryMayHelp":false,"whatHappened":{"ar":"رفضت الهيئة رمز التحقق","en":"ZATCA refused the OTP"}},"reach":"answered","status":400}"#;
        let unanswered = r#"{"code":null,"endpoint":"production-csids","explanation":{"nextStep":{"ar":"ب","en":"b"},"retryMayHelp":true,"whatHappened":{"ar":"أ","en":"a"}},"reach":"may-have-reached","status":null}"#;
        for (json, code, status) in [(old, Some("Invalid-OTP"), Some(400)), (unanswered, None, None)] {
            conn.execute("UPDATE onboarding_state SET last_error = ?1 WHERE unit_id = 'u'", [json]).unwrap();
            let failure = load(conn, "u", Environment::Simulation).unwrap().unwrap().last_error.expect("the old row's failure");
            assert_eq!((failure.code.as_deref(), failure.status), (code, status));
            assert!(!failure.explanation.what_happened.en.is_empty() && !failure.explanation.next_step.ar.is_empty());
        }
        let failure = load(conn, "u", Environment::Simulation).unwrap().unwrap().last_error.unwrap();
        assert_eq!((failure.endpoint.as_str(), failure.reach.as_str(), failure.explanation.retry_may_help), ("production-csids", "may-have-reached", true));
        assert_eq!(failure.explanation.what_happened, Localized::new("a", "أ"));

        // Written back, it keeps the shape an older version reads by key.
        let mut state = load(conn, "u", Environment::Simulation).unwrap().unwrap();
        state.last_error = Some(failure);
        save(conn, &state).unwrap();
        let text: String = conn.query_row("SELECT last_error FROM onboarding_state WHERE unit_id = 'u'", [], |row| row.get(0)).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["explanation"]["whatHappened"]["en"], "a");
        assert_eq!(value["reach"], "may-have-reached");
    }

    #[test]
    fn every_step_id_parses_back() {
        for step in Step::ALL {
            assert_eq!(step.id().parse::<Step>().unwrap(), step);
        }
    }
}
