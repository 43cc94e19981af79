//! The journal: one row per request to a FATOORA gateway (migration 0003),
//! the hard evidence a user needs when ZATCA says no or never answers.
//!
//! An OTP is recorded only as SHA-256(salt ‖ OTP) plus its last digit. The
//! salt is kept in the SecretStore, not in the database: an OTP has only a
//! million values, so a hash whose salt sat next to it could be reversed by
//! trying them all. The last digit lets a user match an entry to the OTP on
//! their screen.

use std::fmt;

use chrono::{DateTime, Utc};
use fatoora_units::state::{parse_timestamp, timestamp};
use fatoora_base::Environment;
use fatoora_base::store::rusqlite::{self, Connection, OptionalExtension, params};
use fatoora_base::values::Otp;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::catalogue::Endpoint;
use crate::client::{CallRecord, Reach, TransportFailure};

/// Bytes of salt; 32 is SHA-256's block-independent "as long as the hash".
pub const SALT_BYTES: usize = 32;

/// Hashes OTPs with the installation's salt.
#[derive(Clone)]
pub struct OtpHasher {
    salt: Vec<u8>,
}

impl OtpHasher {
    pub fn new(salt: Vec<u8>) -> Self {
        Self { salt }
    }

    /// A fresh random salt, for the first run.
    pub fn generate_salt() -> Vec<u8> {
        use rand::RngCore as _;
        let mut salt = vec![0u8; SALT_BYTES];
        rand::rng().fill_bytes(&mut salt);
        salt
    }

    pub fn fingerprint(&self, otp: &Otp) -> OtpFingerprint {
        let mut hasher = Sha256::new();
        hasher.update(&self.salt);
        hasher.update(otp.expose().as_bytes());
        let last_digit = otp.expose().chars().last().expect("an Otp has 6 digits");
        OtpFingerprint { hash: hex::encode(hasher.finalize()), last_digit }
    }
}

impl fmt::Debug for OtpHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OtpHasher(******)")
    }
}

/// What the journal keeps of an OTP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OtpFingerprint {
    pub hash: String,
    pub last_digit: char,
}

/// An OTP as used in one request, with what the user told us about it.
#[derive(Debug, Clone)]
pub struct OtpUse {
    pub fingerprint: OtpFingerprint,
    /// When the user says the portal generated it.
    pub generated_at: Option<DateTime<Utc>>,
    /// Which portal the user says it came from.
    pub portal: Option<Environment>,
}

/// One journal row as the UI, the CLI and the support message read it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalEntry {
    pub id: i64,
    pub unit_id: String,
    pub environment: Environment,
    pub endpoint: Endpoint,
    pub url: String,
    pub started_at: DateTime<Utc>,
    pub duration_ms: u64,
    pub attempts: u32,
    pub http_status: Option<u16>,
    pub zatca_codes: Vec<String>,
    pub request_id: Option<String>,
    pub reach: Reach,
    pub transport_failure: Option<String>,
    /// The OTP's last digit, never more of it.
    pub otp_last_digit: Option<char>,
    /// How old the OTP was (by the user's account) when the request started.
    pub otp_age_seconds: Option<i64>,
    pub otp_generated_at: Option<DateTime<Utc>>,
    pub otp_portal: Option<Environment>,
    pub document: Option<String>,
    #[serde(skip)]
    otp_hash: Option<String>,
}

impl JournalEntry {
    pub fn otp_hash(&self) -> Option<&str> {
        self.otp_hash.as_deref()
    }

    /// The gateway answered, but not in a form that could be read.
    pub fn answer_unreadable(&self) -> bool {
        self.transport_failure.as_deref() == Some(UNREADABLE_ANSWER)
    }
}

pub(crate) fn reach_id(reach: Reach) -> &'static str {
    match reach {
        Reach::NotSent => "not-sent",
        Reach::MayHaveReached => "may-have-reached",
        Reach::Answered => "answered",
    }
}

fn reach_from_id(id: &str) -> Reach {
    match id {
        "not-sent" => Reach::NotSent,
        "answered" => Reach::Answered,
        _ => Reach::MayHaveReached,
    }
}

fn failure_id(failure: TransportFailure) -> &'static str {
    match failure {
        TransportFailure::Dns => "dns",
        TransportFailure::ConnectionRefused => "connection-refused",
        TransportFailure::ConnectTimeout => "connect-timeout",
        TransportFailure::Tls => "tls",
        TransportFailure::Timeout => "timeout",
        TransportFailure::ConnectionReset => "connection-reset",
        TransportFailure::Other => "other",
    }
}

/// Writes one finished request to the journal; returns its row id.
pub fn record(
    conn: &Connection,
    unit_id: &str,
    call: &CallRecord,
    otp: Option<&OtpUse>,
    document: Option<&str>,
) -> rusqlite::Result<i64> {
    let row = in_flight(conn, unit_id, call.environment, call.endpoint, &call.url, otp, document)?;
    complete(conn, row, call)?;
    Ok(row)
}

/// Writes the row of a request about to be sent, as "may have reached
/// ZATCA, no answer": what stays if this process dies before the answer.
/// [`complete`] fills in what happened.
pub fn in_flight(
    conn: &Connection,
    unit_id: &str,
    environment: Environment,
    endpoint: Endpoint,
    url: &str,
    otp: Option<&OtpUse>,
    document: Option<&str>,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO onboarding_journal (unit_id, environment, endpoint, url, started_at, duration_ms, attempts,
             zatca_codes, reach, otp_hash, otp_last_digit, otp_generated_at, otp_portal, document)
         VALUES (?1, ?2, ?3, ?4, ?5, 0, 1, '[]', ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            unit_id,
            environment.id(),
            endpoint.id(),
            url,
            timestamp(Utc::now()),
            reach_id(Reach::MayHaveReached),
            otp.map(|o| o.fingerprint.hash.as_str()),
            otp.map(|o| o.fingerprint.last_digit.to_string()),
            otp.and_then(|o| o.generated_at).map(timestamp),
            otp.and_then(|o| o.portal).map(Environment::id),
            document,
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// What the `transport_failure` column holds for an answer that arrived
/// but could not be read (JSON cut short, an HTML page): no transport
/// failed, yet its status alone would read as a success.
pub const UNREADABLE_ANSWER: &str = "unreadable-answer";

/// Marks a [`complete`]d row whose answer could not be read.
pub fn note_unreadable_answer(conn: &Connection, row: i64) -> rusqlite::Result<()> {
    conn.execute("UPDATE onboarding_journal SET transport_failure = ?2 WHERE id = ?1", params![row, UNREADABLE_ANSWER])?;
    Ok(())
}

/// Completes an [`in_flight`] row with the call as it ended.
pub fn complete(conn: &Connection, row: i64, call: &CallRecord) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE onboarding_journal SET url = ?2, started_at = ?3, duration_ms = ?4, attempts = ?5, http_status = ?6,
             zatca_codes = ?7, request_id = ?8, reach = ?9, transport_failure = ?10
         WHERE id = ?1",
        params![
            row,
            call.url,
            timestamp(call.started_at),
            i64::try_from(call.duration_ms).unwrap_or(i64::MAX),
            call.attempts,
            call.status,
            serde_json::to_string(&call.zatca_codes).expect("strings serialise"),
            call.request_id,
            reach_id(call.reach),
            call.failure.map(failure_id),
        ],
    )?;
    Ok(())
}

const COLUMNS: &str = "id, unit_id, environment, endpoint, url, started_at, duration_ms, attempts, http_status,
    zatca_codes, request_id, reach, transport_failure, otp_hash, otp_last_digit, otp_generated_at, otp_portal, document";

fn read_entry(row: &rusqlite::Row<'_>) -> rusqlite::Result<JournalEntry> {
    let text_conversion = |e: String| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
    };
    let environment: String = row.get(2)?;
    let endpoint: String = row.get(3)?;
    let started_at = parse_timestamp(&row.get::<_, String>(5)?)?;
    let codes: String = row.get(9)?;
    let generated_at = row.get::<_, Option<String>>(15)?.map(|t| parse_timestamp(&t)).transpose()?;
    let portal = row.get::<_, Option<String>>(16)?.map(|p| p.parse::<Environment>()).transpose().map_err(|e| text_conversion(e.to_string()))?;
    Ok(JournalEntry {
        id: row.get(0)?,
        unit_id: row.get(1)?,
        environment: environment.parse().map_err(|e: fatoora_base::environment::UnknownEnvironment| text_conversion(e.to_string()))?,
        endpoint: Endpoint::from_id(&endpoint).ok_or_else(|| text_conversion(format!("unknown endpoint {endpoint}")))?,
        url: row.get(4)?,
        started_at,
        duration_ms: row.get::<_, i64>(6)?.try_into().unwrap_or(0),
        attempts: row.get(7)?,
        http_status: row.get(8)?,
        zatca_codes: serde_json::from_str(&codes).map_err(|e| text_conversion(e.to_string()))?,
        request_id: row.get(10)?,
        reach: reach_from_id(&row.get::<_, String>(11)?),
        transport_failure: row.get(12)?,
        otp_hash: row.get(13)?,
        otp_last_digit: row.get::<_, Option<String>>(14)?.and_then(|d| d.chars().next()),
        otp_age_seconds: generated_at.map(|g| (started_at - g).num_seconds()),
        otp_generated_at: generated_at,
        otp_portal: portal,
        document: row.get(17)?,
    })
}

/// The journal, oldest first; one unit's rows, or everyone's.
pub fn entries(conn: &Connection, unit_id: Option<&str>) -> rusqlite::Result<Vec<JournalEntry>> {
    let mut statement = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM onboarding_journal WHERE ?1 IS NULL OR unit_id = ?1 ORDER BY id"
    ))?;
    statement.query_map(params![unit_id], read_entry)?.collect()
}

/// Earlier requests that carried this OTP and may have spent it (anything
/// that left this machine).
pub fn otp_uses(conn: &Connection, fingerprint: &OtpFingerprint) -> rusqlite::Result<Vec<JournalEntry>> {
    let mut statement = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM onboarding_journal WHERE otp_hash = ?1 AND reach <> 'not-sent' ORDER BY id"
    ))?;
    statement.query_map(params![fingerprint.hash], read_entry)?.collect()
}

/// The latest request of a unit in one environment.
pub fn latest(conn: &Connection, unit_id: &str, environment: Environment) -> rusqlite::Result<Option<JournalEntry>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM onboarding_journal WHERE unit_id = ?1 AND environment = ?2 ORDER BY id DESC LIMIT 1"),
        params![unit_id, environment.id()],
        read_entry,
    )
    .optional()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A real SQLite database with this crate's migration applied.
    pub(crate) fn database() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(include_str!("../../base/migrations/0003_onboarding.sql")).unwrap();
        conn
    }

    fn call(endpoint: Endpoint, reach: Reach, status: Option<u16>) -> CallRecord {
        CallRecord {
            environment: Environment::Simulation,
            endpoint,
            url: format!("https://gw-fatoora.zatca.gov.sa/e-invoicing/simulation{}", endpoint.path()),
            started_at: Utc::now(),
            duration_ms: 812,
            attempts: 1,
            status,
            zatca_codes: vec!["Invalid-OTP".into()],
            request_id: Some("1234567890123".into()),
            reach,
            failure: None,
        }
    }

    #[test]
    fn otp_is_kept_only_as_salted_hash_and_last_digit() {
        let conn = database();
        let hasher = OtpHasher::new(OtpHasher::generate_salt());
        let otp = Otp::parse("480913").unwrap();
        let generated_at = Utc::now() - chrono::Duration::minutes(12);
        let otp_use = OtpUse { fingerprint: hasher.fingerprint(&otp), generated_at: Some(generated_at), portal: Some(Environment::Simulation) };
        record(&conn, "unit-1", &call(Endpoint::Compliance, Reach::Answered, Some(400)), Some(&otp_use), None).unwrap();

        let dump: String = conn
            .query_row("SELECT group_concat(quote(onboarding_journal.otp_hash) || quote(otp_last_digit) || url || zatca_codes) FROM onboarding_journal", [], |r| r.get(0))
            .unwrap();
        assert!(!dump.contains("480913"), "{dump}");
        let entry = &entries(&conn, Some("unit-1")).unwrap()[0];
        assert_eq!(entry.otp_last_digit, Some('3'));
        assert!((719..=721).contains(&entry.otp_age_seconds.unwrap()), "{:?}", entry.otp_age_seconds);
        assert_eq!(entry.zatca_codes, vec!["Invalid-OTP".to_owned()]);
        assert!(!serde_json::to_string(entry).unwrap().contains(&otp_use.fingerprint.hash));
    }

    #[test]
    fn the_same_otp_is_found_again_but_only_if_it_left_the_machine() {
        let conn = database();
        let hasher = OtpHasher::new(vec![7; SALT_BYTES]);
        let otp = Otp::parse("012345").unwrap();
        let use_of = |otp: &Otp| OtpUse { fingerprint: hasher.fingerprint(otp), generated_at: None, portal: None };
        record(&conn, "u", &call(Endpoint::Compliance, Reach::NotSent, None), Some(&use_of(&otp)), None).unwrap();
        assert!(otp_uses(&conn, &hasher.fingerprint(&otp)).unwrap().is_empty());
        record(&conn, "u", &call(Endpoint::Compliance, Reach::MayHaveReached, None), Some(&use_of(&otp)), None).unwrap();
        assert_eq!(otp_uses(&conn, &hasher.fingerprint(&otp)).unwrap().len(), 1);
        let other = Otp::parse("012346").unwrap();
        assert!(otp_uses(&conn, &hasher.fingerprint(&other)).unwrap().is_empty());
    }

    #[test]
    fn a_request_is_journaled_as_in_flight_until_its_answer_completes_the_row() {
        let conn = database();
        let hasher = OtpHasher::new(vec![3; SALT_BYTES]);
        let otp_use = OtpUse { fingerprint: hasher.fingerprint(&Otp::parse("222222").unwrap()), generated_at: None, portal: None };
        let row = in_flight(&conn, "u", Environment::Simulation, Endpoint::Compliance, "https://x/compliance", Some(&otp_use), None).unwrap();
        let pending = &entries(&conn, Some("u")).unwrap()[0];
        assert_eq!((pending.reach, pending.http_status), (Reach::MayHaveReached, None));
        assert_eq!(otp_uses(&conn, &otp_use.fingerprint).unwrap().len(), 1, "an OTP in flight counts as possibly spent");

        complete(&conn, row, &call(Endpoint::Compliance, Reach::Answered, Some(400))).unwrap();
        let entries = entries(&conn, Some("u")).unwrap();
        assert_eq!(entries.len(), 1, "completed in place, not a second row");
        assert_eq!((entries[0].reach, entries[0].http_status), (Reach::Answered, Some(400)));
        assert_eq!(entries[0].request_id.as_deref(), Some("1234567890123"));
        assert_eq!(entries[0].otp_last_digit, Some('2'), "the OTP columns stay");
    }

    #[test]
    fn another_salt_gives_another_hash() {
        let otp = Otp::parse("111111").unwrap();
        let a = OtpHasher::new(vec![1; SALT_BYTES]).fingerprint(&otp);
        let b = OtpHasher::new(vec![2; SALT_BYTES]).fingerprint(&otp);
        assert_ne!(a.hash, b.hash);
        assert_eq!(a.hash.len(), 64);
    }

    #[test]
    fn the_database_refuses_an_otp_column_that_is_not_a_hash() {
        let conn = database();
        let inserted = conn.execute(
            "INSERT INTO onboarding_journal (unit_id, environment, endpoint, url, started_at, duration_ms, attempts, reach, otp_hash, otp_last_digit)
             VALUES ('u', 'local', 'compliance', 'x', 't', 1, 1, 'answered', '123456', '6')",
            [],
        );
        assert!(inserted.is_err());
    }
}
