//! Diagnosis history in the app's SQLite store (migrations 0004, 0006):
//! every run is kept, by hand or as an onboarding's pre-flight, and the
//! latest one's summary goes into the onboarding support message ("the
//! network was checked at … and found …").

use chrono::{DateTime, Utc};
use fatoora_base::Localized;
use fatoora_base::store::rusqlite::{self, Connection, OptionalExtension, params};

use crate::model::Report;
use crate::model::VerdictClass;

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("the database has no diagnosis history table yet (migration 0004 not applied)")]
    NotMigrated,
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("a stored diagnosis is unreadable: {0}")]
    Unreadable(String),
}

impl HistoryError {
    pub fn explain(&self) -> Localized {
        match self {
            HistoryError::NotMigrated => Localized::new(
                "The diagnosis was not saved: this database has no history table yet. Update the app; the report itself is complete.",
                "لم يُحفظ التشخيص: قاعدة البيانات هذه لا تحتوي جدول السجل بعد. حدّث التطبيق؛ التقرير نفسه مكتمل.",
            ),
            HistoryError::Sqlite(e) => Localized::new(
                format!("The diagnosis could not be saved ({e}). The report itself is complete."),
                format!("تعذّر حفظ التشخيص (\u{2066}{e}\u{2069}). التقرير نفسه مكتمل."),
            ),
            HistoryError::Unreadable(e) => Localized::new(
                format!("A saved diagnosis could not be read ({e}). Run the diagnosis again."),
                format!("تعذّرت قراءة تشخيص محفوظ (\u{2066}{e}\u{2069}). أعد التشخيص."),
            ),
        }
    }
}

/// Why a diagnosis ran.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Occasion {
    /// Asked for on the Diagnostics screen or with `fatoora-onboard diagnose`.
    ByHand,
    /// The probe an onboarding run made before sending an OTP.
    Preflight(Before),
}

/// What a pre-flight came before. The unit is named as the user knows it
/// (its common name).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "before", rename_all = "snake_case")]
pub enum Before {
    Onboarding { unit: String },
    Renewal { unit: String },
    /// One probe for all of a batch's units: they share the gateway.
    Batch,
}

impl Occasion {
    /// The columns `preflight_before` and `preflight_unit`.
    fn columns(&self) -> (Option<&'static str>, Option<&str>) {
        match self {
            Occasion::ByHand => (None, None),
            Occasion::Preflight(Before::Onboarding { unit }) => (Some("onboarding"), Some(unit)),
            Occasion::Preflight(Before::Renewal { unit }) => (Some("renewal"), Some(unit)),
            Occasion::Preflight(Before::Batch) => (Some("batch"), None),
        }
    }

    fn from_columns(before: Option<String>, unit: Option<String>) -> Result<Self, HistoryError> {
        let named = || unit.clone().ok_or_else(|| HistoryError::Unreadable("a pre-flight without its unit".into()));
        Ok(match before.as_deref() {
            None => Occasion::ByHand,
            Some("onboarding") => Occasion::Preflight(Before::Onboarding { unit: named()? }),
            Some("renewal") => Occasion::Preflight(Before::Renewal { unit: named()? }),
            Some("batch") => Occasion::Preflight(Before::Batch),
            Some(other) => return Err(HistoryError::Unreadable(format!("unknown pre-flight {other:?}"))),
        })
    }
}

/// One stored run, without its full evidence.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SavedDiagnosis {
    pub id: i64,
    pub started_at: DateTime<Utc>,
    pub duration_ms: u64,
    pub target_origin: String,
    pub class: VerdictClass,
    pub problem: bool,
    pub headline: Localized,
    pub next_step: Localized,
    pub occasion: Occasion,
}

impl SavedDiagnosis {
    /// The paragraph the onboarding support message quotes.
    pub fn support_message(&self) -> Localized {
        let when = self.started_at.format("%Y-%m-%d %H:%M UTC");
        Localized::new(
            format!(
                "Network diagnosis of {} at {when}: {} Next step: {}",
                self.target_origin, self.headline.en, self.next_step.en
            ),
            format!(
                "تشخيص الاتصال بـ \u{2066}{}\u{2069} في \u{2066}{when}\u{2069}: {} الخطوة التالية: {}",
                self.target_origin, self.headline.ar, self.next_step.ar
            ),
        )
    }
}

fn table_exists(conn: &Connection) -> Result<bool, HistoryError> {
    Ok(conn
        .query_row("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'diagnostics_reports'", [], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Stores a finished run; returns its id.
pub fn save(conn: &Connection, report: &Report, occasion: &Occasion) -> Result<i64, HistoryError> {
    if !table_exists(conn)? {
        return Err(HistoryError::NotMigrated);
    }
    let environments = serde_json::to_string(&report.target.environments).map_err(|e| HistoryError::Unreadable(e.to_string()))?;
    let (preflight_before, preflight_unit) = occasion.columns();
    conn.execute(
        "INSERT INTO diagnostics_reports (started_at, duration_ms, target_origin, environments, verdict_class, problem,
             headline_en, headline_ar, next_step_en, next_step_ar, schema_version, report_json, preflight_before, preflight_unit)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        params![
            report.started_at.to_rfc3339(),
            report.duration_ms as i64,
            report.target.origin,
            environments,
            report.verdict.class.id(),
            report.verdict.problem,
            report.verdict.headline.en,
            report.verdict.headline.ar,
            report.verdict.next_step.en,
            report.verdict.next_step.ar,
            report.schema_version,
            report.to_json(),
            preflight_before,
            preflight_unit,
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

const COLUMNS: &str = "id, started_at, duration_ms, target_origin, verdict_class, problem, headline_en, headline_ar, next_step_en, next_step_ar,
     preflight_before, preflight_unit";

fn read_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(SavedDiagnosisRaw, String)> {
    Ok((
        SavedDiagnosisRaw {
            id: row.get(0)?,
            started_at: row.get(1)?,
            duration_ms: row.get(2)?,
            target_origin: row.get(3)?,
            problem: row.get(5)?,
            headline: Localized::new(row.get::<_, String>(6)?, row.get::<_, String>(7)?),
            next_step: Localized::new(row.get::<_, String>(8)?, row.get::<_, String>(9)?),
            preflight_before: row.get(10)?,
            preflight_unit: row.get(11)?,
        },
        row.get(4)?,
    ))
}

struct SavedDiagnosisRaw {
    id: i64,
    started_at: String,
    duration_ms: i64,
    target_origin: String,
    problem: bool,
    headline: Localized,
    next_step: Localized,
    preflight_before: Option<String>,
    preflight_unit: Option<String>,
}

fn finish((raw, class): (SavedDiagnosisRaw, String)) -> Result<SavedDiagnosis, HistoryError> {
    let class: VerdictClass = serde_json::from_value(serde_json::Value::String(class.clone()))
        .map_err(|_| HistoryError::Unreadable(format!("unknown verdict class {class:?}")))?;
    let started_at = DateTime::parse_from_rfc3339(&raw.started_at)
        .map_err(|e| HistoryError::Unreadable(format!("started_at {:?}: {e}", raw.started_at)))?
        .with_timezone(&Utc);
    Ok(SavedDiagnosis {
        id: raw.id,
        started_at,
        duration_ms: raw.duration_ms.max(0) as u64,
        target_origin: raw.target_origin,
        class,
        problem: raw.problem,
        headline: raw.headline,
        next_step: raw.next_step,
        occasion: Occasion::from_columns(raw.preflight_before, raw.preflight_unit)?,
    })
}

/// The newest runs first.
pub fn recent(conn: &Connection, limit: usize) -> Result<Vec<SavedDiagnosis>, HistoryError> {
    if !table_exists(conn)? {
        return Ok(Vec::new());
    }
    let mut statement =
        conn.prepare(&format!("SELECT {COLUMNS} FROM diagnostics_reports ORDER BY started_at DESC, id DESC LIMIT ?1"))?;
    let rows = statement.query_map([limit as i64], read_row)?.collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(finish).collect()
}

/// The latest run, for the onboarding support message; `None` before the
/// first diagnosis (or on a database without the history table).
pub fn latest_summary(conn: &Connection) -> Result<Option<SavedDiagnosis>, HistoryError> {
    Ok(recent(conn, 1)?.into_iter().next())
}

/// A stored run's full report, to be shown again; `None` when no run has
/// that id.
pub fn report(conn: &Connection, id: i64) -> Result<Option<Report>, HistoryError> {
    let Some(json) = report_json(conn, id)? else { return Ok(None) };
    serde_json::from_str(&json).map(Some).map_err(|e| HistoryError::Unreadable(format!("report {id}: {e}")))
}

/// A stored run's full JSON report.
pub fn report_json(conn: &Connection, id: i64) -> Result<Option<String>, HistoryError> {
    if !table_exists(conn)? {
        return Ok(None);
    }
    Ok(conn.query_row("SELECT report_json FROM diagnostics_reports WHERE id = ?1", [id], |row| row.get(0)).optional()?)
}
