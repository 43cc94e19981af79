//! The simulator's own SQLite file: OTPs, issued CSIDs, passed compliance
//! steps. It survives restarts. OTPs and CSID secrets are kept as SHA-256
//! digests only, like a real verifier would, so the file holds nothing a
//! client could replay.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rand::Rng;
use rusqlite::{Connection, OptionalExtension, params};
use rusqlite_migration::{M, Migrations};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::gateway::{Gateway, OtpPurpose};

pub const OTP_VALIDITY_MS: i64 = 3_600_000;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the simulator database failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the simulator database could not be migrated: {0}")]
    Migration(#[from] rusqlite_migration::Error),
}

pub struct Store {
    conn: Mutex<Connection>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CsidKind {
    Compliance,
    Production,
}

impl CsidKind {
    fn id(self) -> &'static str {
        match self {
            CsidKind::Compliance => "compliance",
            CsidKind::Production => "production",
        }
    }

    fn parse(s: &str) -> Self {
        if s == "production" { CsidKind::Production } else { CsidKind::Compliance }
    }
}

/// One certificate the simulator issued.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedCsid {
    pub id: i64,
    pub gateway: Gateway,
    pub kind: CsidKind,
    pub request_id: i64,
    pub vat: String,
    pub invoice_types: String,
    pub common_name: String,
    pub issued_at_ms: i64,
    /// Compliance steps passed so far (compliance CSIDs only).
    pub steps_passed: Vec<String>,
    #[serde(skip)]
    pub token: String,
    #[serde(skip)]
    pub cert_der: Vec<u8>,
    #[serde(skip)]
    secret_sha256: String,
}

impl IssuedCsid {
    pub fn secret_matches(&self, secret: &str) -> bool {
        sha256_hex(secret.as_bytes()) == self.secret_sha256
    }
}

pub struct NewCsid<'a> {
    pub gateway: Gateway,
    pub kind: CsidKind,
    pub request_id: i64,
    pub vat: &'a str,
    pub invoice_types: &'a str,
    pub common_name: &'a str,
    pub token: &'a str,
    pub secret: &'a str,
    pub cert_der: &'a [u8],
    pub issued_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtpRecord {
    pub vat: String,
    pub purpose: OtpPurpose,
    pub created_ms: i64,
    pub used: bool,
    /// Gateway requests that carried it.
    pub presented: u32,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn otp_key(gateway: Gateway, code: &str) -> String {
    sha256_hex(format!("{}:{code}", gateway.id()).as_bytes())
}

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(
            "CREATE TABLE otps (
            otp_key TEXT PRIMARY KEY,
            gateway TEXT NOT NULL,
            vat TEXT NOT NULL,
            purpose TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            used_ms INTEGER
        );
        CREATE TABLE csids (
            id INTEGER PRIMARY KEY,
            gateway TEXT NOT NULL,
            kind TEXT NOT NULL,
            request_id INTEGER NOT NULL,
            vat TEXT NOT NULL,
            invoice_types TEXT NOT NULL,
            common_name TEXT NOT NULL,
            token TEXT NOT NULL UNIQUE,
            secret_sha256 TEXT NOT NULL,
            cert_der BLOB NOT NULL,
            issued_ms INTEGER NOT NULL
        );
        CREATE TABLE steps (
            csid_id INTEGER NOT NULL REFERENCES csids(id),
            step TEXT NOT NULL,
            passed_ms INTEGER NOT NULL,
            PRIMARY KEY (csid_id, step)
        );
        -- The sandbox's one hard-coded PCSID (SPEC.md 1.8). Its secret is kept
        -- because the real sandbox hands the same one to everyone.
        CREATE TABLE sandbox_fixed_pcsid (
            vat TEXT PRIMARY KEY,
            csid_id INTEGER NOT NULL REFERENCES csids(id),
            secret TEXT NOT NULL
        );",
        ),
        // How many gateway requests presented each OTP, whatever came of
        // them: a client that sends one twice shows here.
        M::up("ALTER TABLE otps ADD COLUMN presented INTEGER NOT NULL DEFAULT 0;"),
    ])
}

const CSID_COLUMNS: &str =
    "id, gateway, kind, request_id, vat, invoice_types, common_name, token, secret_sha256, cert_der, issued_ms";

fn csid_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<IssuedCsid> {
    let gateway: String = row.get(1)?;
    let kind: String = row.get(2)?;
    Ok(IssuedCsid {
        id: row.get(0)?,
        gateway: gateway.parse().unwrap_or(Gateway::Core),
        kind: CsidKind::parse(&kind),
        request_id: row.get(3)?,
        vat: row.get(4)?,
        invoice_types: row.get(5)?,
        common_name: row.get(6)?,
        token: row.get(7)?,
        secret_sha256: row.get(8)?,
        cert_der: row.get(9)?,
        issued_at_ms: row.get(10)?,
        steps_passed: Vec::new(),
    })
}

impl Store {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrations().to_latest(&mut conn)?;
        Ok(Self { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent
        // (each write is one statement or one transaction), so keep serving.
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A fresh six-digit OTP for this gateway, VAT and purpose. Leading zeros
    /// are kept: the code is text, never a number.
    pub fn mint_otp(&self, gateway: Gateway, vat: &str, purpose: OtpPurpose, now_ms: i64) -> Result<String, StoreError> {
        let conn = self.conn();
        let mut rng = rand::rng();
        loop {
            let code = format!("{:06}", rng.random_range(0..1_000_000u32));
            let key = otp_key(gateway, &code);
            let live: Option<i64> = conn
                .query_row(
                    "SELECT created_ms FROM otps WHERE otp_key = ?1 AND used_ms IS NULL AND created_ms > ?2",
                    params![key, now_ms - OTP_VALIDITY_MS],
                    |row| row.get(0),
                )
                .optional()?;
            if live.is_some() {
                continue;
            }
            conn.execute(
                "INSERT OR REPLACE INTO otps (otp_key, gateway, vat, purpose, created_ms, used_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, NULL)",
                params![key, gateway.id(), vat, purpose.id(), now_ms],
            )?;
            return Ok(code);
        }
    }

    pub fn find_otp(&self, gateway: Gateway, code: &str) -> Result<Option<OtpRecord>, StoreError> {
        let conn = self.conn();
        let record = conn
            .query_row(
                "SELECT vat, purpose, created_ms, used_ms, presented FROM otps WHERE otp_key = ?1",
                params![otp_key(gateway, code)],
                |row| {
                    let purpose: String = row.get(1)?;
                    let used: Option<i64> = row.get(3)?;
                    Ok(OtpRecord {
                        vat: row.get(0)?,
                        purpose: purpose.parse().unwrap_or(OtpPurpose::Onboard),
                        created_ms: row.get(2)?,
                        used: used.is_some(),
                        presented: row.get(4)?,
                    })
                },
            )
            .optional()?;
        Ok(record)
    }

    /// Counts a gateway request that carried `code` (one the simulator never
    /// minted is not counted).
    pub fn record_presentation(&self, gateway: Gateway, code: &str) -> Result<(), StoreError> {
        self.conn().execute("UPDATE otps SET presented = presented + 1 WHERE otp_key = ?1", params![otp_key(gateway, code)])?;
        Ok(())
    }

    /// Marks the OTP used and records the CSID, atomically. `Ok(None)` when the
    /// OTP was used in the meantime (a concurrent request won).
    pub fn consume_otp_and_insert(
        &self,
        otp: Option<(Gateway, &str)>,
        csid: &NewCsid<'_>,
    ) -> Result<Option<i64>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        if let Some((gateway, code)) = otp {
            let changed = tx.execute(
                "UPDATE otps SET used_ms = ?2 WHERE otp_key = ?1 AND used_ms IS NULL",
                params![otp_key(gateway, code), csid.issued_at_ms],
            )?;
            if changed != 1 {
                return Ok(None);
            }
        }
        let id = insert_csid(&tx, csid)?;
        tx.commit()?;
        Ok(Some(id))
    }

    /// Request ids look like ZATCA's (epoch milliseconds) and never repeat.
    pub fn next_request_id(&self, now_ms: i64) -> Result<i64, StoreError> {
        let conn = self.conn();
        let max: Option<i64> = conn.query_row(
            "SELECT MAX(request_id) FROM csids WHERE request_id != ?1",
            params![crate::gateway::SANDBOX_REQUEST_ID],
            |row| row.get(0),
        )?;
        Ok(max.map_or(now_ms, |max| (max + 1).max(now_ms)))
    }

    pub fn find_csid_by_token(&self, token: &str) -> Result<Option<IssuedCsid>, StoreError> {
        let conn = self.conn();
        let mut csid = conn
            .query_row(&format!("SELECT {CSID_COLUMNS} FROM csids WHERE token = ?1"), params![token], csid_from_row)
            .optional()?;
        if let Some(csid) = csid.as_mut() {
            csid.steps_passed = steps_of(&conn, csid.id)?;
        }
        Ok(csid)
    }

    pub fn list_csids(&self) -> Result<Vec<IssuedCsid>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!("SELECT {CSID_COLUMNS} FROM csids ORDER BY id"))?;
        let mut csids = stmt.query_map([], csid_from_row)?.collect::<Result<Vec<_>, _>>()?;
        for csid in &mut csids {
            csid.steps_passed = steps_of(&conn, csid.id)?;
        }
        Ok(csids)
    }

    /// Records a passed step; `false` when it had passed before.
    pub fn record_step(&self, csid_id: i64, step: &str, now_ms: i64) -> Result<bool, StoreError> {
        let changed = self.conn().execute(
            "INSERT OR IGNORE INTO steps (csid_id, step, passed_ms) VALUES (?1, ?2, ?3)",
            params![csid_id, step, now_ms],
        )?;
        Ok(changed == 1)
    }

    pub fn sandbox_fixed_pcsid(&self, vat: &str) -> Result<Option<(IssuedCsid, String)>, StoreError> {
        let conn = self.conn();
        conn.query_row(
            &format!(
                "SELECT {}, f.secret FROM sandbox_fixed_pcsid f JOIN csids c ON c.id = f.csid_id WHERE f.vat = ?1",
                CSID_COLUMNS.split(", ").map(|c| format!("c.{c}")).collect::<Vec<_>>().join(", ")
            ),
            params![vat],
            |row| Ok((csid_from_row(row)?, row.get::<_, String>(11)?)),
        )
        .optional()
        .map_err(StoreError::from)
    }

    pub fn insert_sandbox_fixed_pcsid(&self, csid: &NewCsid<'_>) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let exists: Option<i64> = tx
            .query_row("SELECT csid_id FROM sandbox_fixed_pcsid WHERE vat = ?1", params![csid.vat], |row| row.get(0))
            .optional()?;
        if exists.is_some() {
            return Ok(());
        }
        let id = insert_csid(&tx, csid)?;
        tx.execute(
            "INSERT INTO sandbox_fixed_pcsid (vat, csid_id, secret) VALUES (?1, ?2, ?3)",
            params![csid.vat, id, csid.secret],
        )?;
        tx.commit()?;
        Ok(())
    }
}

fn insert_csid(conn: &Connection, csid: &NewCsid<'_>) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO csids (gateway, kind, request_id, vat, invoice_types, common_name, token, secret_sha256, cert_der, issued_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            csid.gateway.id(),
            csid.kind.id(),
            csid.request_id,
            csid.vat,
            csid.invoice_types,
            csid.common_name,
            csid.token,
            sha256_hex(csid.secret.as_bytes()),
            csid.cert_der,
            csid.issued_at_ms
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

fn steps_of(conn: &Connection, csid_id: i64) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare("SELECT step FROM steps WHERE csid_id = ?1 ORDER BY passed_ms, step")?;
    let steps = stmt.query_map(params![csid_id], |row| row.get(0))?.collect::<Result<Vec<_>, _>>()?;
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn otps_are_six_digits_bound_to_gateway_and_kept_only_as_digests() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sim.sqlite3");
        let store = Store::open(&path).unwrap();
        let otp = store.mint_otp(Gateway::Core, "399999999900003", OtpPurpose::Onboard, 1_000).unwrap();
        assert_eq!(otp.len(), 6);
        assert!(otp.bytes().all(|b| b.is_ascii_digit()));
        assert!(store.find_otp(Gateway::Core, &otp).unwrap().is_some());
        assert!(store.find_otp(Gateway::Simulation, &otp).unwrap().is_none());
        let conn = store.conn();
        let stored: Vec<String> = conn
            .prepare("SELECT otp_key || vat || purpose FROM otps")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(stored.iter().all(|row| !row.starts_with(&otp) && !row.ends_with(&otp)));
        assert!(stored.iter().all(|row| row.len() == 64 + "399999999900003".len() + "onboard".len()));
        drop(conn);
        drop(store);
        // Reopening keeps it.
        let store = Store::open(&path).unwrap();
        assert!(store.find_otp(Gateway::Core, &otp).unwrap().is_some());
    }
}
