//! The Diagnostics screen's "Earlier diagnoses": the runs kept in the
//! store's history, asked for by hand or made by an onboarding as its
//! pre-flight, and one of them opened again as any finished diagnosis.

use fatoora_diagnostics::history::{self, Before, Occasion};
use serde::Serialize;
use specta::Type;
use tauri::State;

use crate::diagnostics::{DiagnosisView, Diagnostics};
use crate::shell::{CommandError, LocalizedText, Shell, command_error};

const HISTORY_LENGTH: usize = 20;

/// Why a kept diagnosis ran, for its label in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PastOccasion {
    ByHand,
    /// The pre-flight before onboarding the unit of that common name.
    Onboarding { unit: String },
    /// The pre-flight before renewing it.
    Renewal { unit: String },
    /// The one pre-flight of a batch onboarding.
    Batch,
}

impl From<Occasion> for PastOccasion {
    fn from(occasion: Occasion) -> Self {
        match occasion {
            Occasion::ByHand => PastOccasion::ByHand,
            Occasion::Preflight(Before::Onboarding { unit }) => PastOccasion::Onboarding { unit },
            Occasion::Preflight(Before::Renewal { unit }) => PastOccasion::Renewal { unit },
            Occasion::Preflight(Before::Batch) => PastOccasion::Batch,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct PastRun {
    pub id: u32,
    pub started_at: String,
    pub target: String,
    pub class: String,
    pub problem: bool,
    pub headline: LocalizedText,
    pub occasion: PastOccasion,
}

/// The newest runs first.
#[tauri::command]
#[specta::specta]
pub fn diagnostics_history(shell: State<'_, Shell>) -> Result<Vec<PastRun>, CommandError> {
    let runs = shell.with_store(|store| Ok(history::recent(store.connection(), HISTORY_LENGTH)))?;
    let runs = runs.map_err(|e| command_error(e.explain()))?;
    Ok(runs
        .into_iter()
        .map(|run| PastRun {
            id: u32::try_from(run.id).unwrap_or(u32::MAX),
            started_at: run.started_at.to_rfc3339(),
            target: run.target_origin,
            class: run.class.id(),
            problem: run.problem,
            headline: run.headline.into(),
            occasion: run.occasion.into(),
        })
        .collect())
}

/// A kept run, shown again as it was found; "Save report" then saves it.
#[tauri::command]
#[specta::specta]
pub fn open_past_diagnosis(shell: State<'_, Shell>, state: State<'_, Diagnostics>, id: u32) -> Result<DiagnosisView, CommandError> {
    let report = shell.with_store(|store| Ok(history::report(store.connection(), i64::from(id))))?;
    let report = report.map_err(|e| command_error(e.explain()))?.ok_or_else(|| {
        command_error(fatoora_base::Localized::new(
            "That diagnosis is no longer kept. Run the diagnosis again.",
            "لم يعد هذا التشخيص محفوظًا. أعد التشخيص.",
        ))
    })?;
    let view = DiagnosisView::of(&report, None);
    state.keep(report);
    Ok(view)
}
