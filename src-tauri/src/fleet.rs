//! The Fleet screen's commands: every taxpayer's units and credentials at a
//! glance, CSV import of units with a key and CSR for each, and batch
//! onboarding with one OTP per unit (the expiry reminders are in `expiry`).
//! The library crate `fatoora-batch` does the work.
//!
//! OTPs go one way only: the window sends them to `run_batch_onboarding`;
//! nothing returned or streamed here carries one, except the rehearsal OTPs
//! the `local` simulator mints for a demo batch (its portal stand-in).

use chrono::{DateTime, Utc};
use fatoora_batch::fleet::{self, CredentialState};
use fatoora_batch::import::{self, ImportCheck, ImportError};
use fatoora_batch::run::{self, Assignment, BatchEvent, BatchOptions, Outcome, UnitResult};
use fatoora_base::values::Severity;
use fatoora_base::{Environment, Localized, Session, Store};
use fatoora_diagnostics::history::Before;
use fatoora_onboarding::client::{ClientOptions, FatooraClient, Target};
use fatoora_onboarding::flow::Progress;
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::ipc::Channel;
use tauri::State;

use crate::commands::EnvironmentInfo;
use crate::shell::{CommandError, LocalizedText, OtpPurpose, Shell, command_error};

/// Units onboarded at the same time, at most: the CLI's default.
const MAX_CONCURRENCY: u32 = 8;

/// Runs blocking work (key generation, SQLite, a batch driven to its end)
/// off the window's threads.
pub(crate) async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T, CommandError> + Send + 'static) -> Result<T, CommandError> {
    tauri::async_runtime::spawn_blocking(work).await.map_err(|error| CommandError {
        message: LocalizedText { en: format!("The operation stopped unexpectedly ({error})."), ar: format!("توقفت العملية على نحو غير متوقع ({error}).") },
    })?
}

// ---------------------------------------------------------------- overview

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct CredentialView {
    pub environment: EnvironmentInfo,
    /// `csr-ready`, `waiting-for-otp`, `compliance-checks`,
    /// `compliance-passed`, `issued`, `expiring` or `expired`.
    pub state: String,
    pub step_label: Option<LocalizedText>,
    pub renewing: bool,
    /// RFC 3339, UTC.
    pub expires_at: Option<String>,
    pub days_left: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct FleetUnitView {
    pub id: String,
    pub organization_name: String,
    pub common_name: String,
    pub serial: String,
    pub organization_unit: String,
    pub credentials: Vec<CredentialView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct TaxpayerView {
    pub vat_number: String,
    pub organization_name: String,
    pub units: Vec<FleetUnitView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct FleetOverview {
    /// The active environment: new CSRs, imports and batches are for it.
    pub environment: EnvironmentInfo,
    pub taxpayers: Vec<TaxpayerView>,
}

fn state_id(state: CredentialState) -> String {
    serde_json::to_value(state).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

pub(crate) fn days(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(if value < 0 { i32::MIN } else { i32::MAX })
}

fn overview(store: &Store, now: DateTime<Utc>) -> Result<FleetOverview, CommandError> {
    let environment = store.environment()?;
    let taxpayers = fleet::overview(store, now).map_err(|error| command_error(error.explain()))?;
    Ok(FleetOverview {
        environment: environment.into(),
        taxpayers: taxpayers
            .into_iter()
            .map(|taxpayer| TaxpayerView {
                vat_number: taxpayer.vat_number,
                organization_name: taxpayer.organization_name,
                units: taxpayer
                    .units
                    .into_iter()
                    .map(|unit| FleetUnitView {
                        id: unit.id,
                        organization_name: unit.organization_name,
                        common_name: unit.common_name,
                        serial: unit.serial,
                        organization_unit: unit.organization_unit,
                        credentials: unit
                            .credentials
                            .into_iter()
                            .map(|credential| CredentialView {
                                environment: credential.environment.into(),
                                state: state_id(credential.state),
                                step_label: credential.step.map(|step| step.label().into()),
                                renewing: credential.renewing,
                                expires_at: credential.expires_at.map(|at| at.to_rfc3339()),
                                days_left: credential.days_left.map(days),
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    })
}

/// Taxpayers → units → credentials per environment, with each state.
#[tauri::command]
#[specta::specta]
pub fn fleet_overview(shell: State<'_, Shell>) -> Result<FleetOverview, CommandError> {
    let now = Utc::now();
    let mut result = None;
    shell.with_store(|store| {
        result = Some(overview(store, now));
        Ok(())
    })?;
    result.expect("set above")
}

// ---------------------------------------------------------------- CSV import

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct CsvRow {
    pub line: u32,
    pub organization_name: String,
    pub vat_number: String,
    pub common_name: String,
    pub serial: String,
    pub valid: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct CsvFinding {
    pub line: u32,
    /// The template's column name, when the finding is about one cell.
    pub column: Option<String>,
    pub rule: String,
    pub blocking: bool,
    pub message: LocalizedText,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct CsvCheck {
    pub environment: EnvironmentInfo,
    pub rows: Vec<CsvRow>,
    pub findings: Vec<CsvFinding>,
    pub errors: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct ImportProgress {
    pub line: u32,
    pub unit_id: String,
    pub common_name: String,
    pub done: u32,
    pub total: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct ImportDone {
    pub imported: Vec<ImportProgress>,
    pub skipped_lines: Vec<u32>,
}

fn line(value: u64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

fn import_error(error: ImportError) -> CommandError {
    command_error(error.explain())
}

fn csv_check(text: &str, store: &Store) -> Result<(ImportCheck, CsvCheck), CommandError> {
    let environment = store.environment()?;
    let check = import::check_csv(text.as_bytes(), environment, store).map_err(import_error)?;
    let view = CsvCheck {
        environment: environment.into(),
        rows: check
            .rows
            .iter()
            .map(|row| CsvRow {
                line: line(row.line),
                organization_name: row.profile.organization_name.clone(),
                vat_number: row.profile.vat_number.clone(),
                common_name: row.profile.common_name.clone(),
                serial: row.profile.serial.clone(),
                valid: row.valid,
            })
            .collect(),
        findings: check
            .findings
            .iter()
            .map(|finding| CsvFinding {
                line: line(finding.line),
                column: finding.column.map(str::to_owned),
                rule: finding.rule.to_owned(),
                blocking: finding.severity == Severity::Error,
                message: finding.message.clone().into(),
            })
            .collect(),
        errors: u32::try_from(check.errors()).unwrap_or(u32::MAX),
    };
    Ok((check, view))
}

/// The CSV template: the header and one example row.
#[tauri::command]
#[specta::specta]
pub fn units_csv_template() -> String {
    import::template()
}

/// Checks every row of a CSV text against the CSR rules, for the active
/// environment; imports nothing.
#[tauri::command]
#[specta::specta]
pub fn check_units_csv(shell: State<'_, Shell>, text: String) -> Result<CsvCheck, CommandError> {
    let mut result = None;
    shell.with_store(|store| {
        result = Some(csv_check(&text, store).map(|(_, view)| view));
        Ok(())
    })?;
    result.expect("set above")
}

/// Checks the text again (the window's copy is never trusted), then imports
/// its units with a key (into the secret store) and a CSR each, reporting
/// each unit as it is done. A file with errors is refused unless
/// `valid_rows_only`.
#[tauri::command]
#[specta::specta]
pub async fn import_units_csv(text: String, valid_rows_only: bool, on_progress: Channel<ImportProgress>) -> Result<ImportDone, CommandError> {
    blocking(move || {
        // Imports write in transactions: their own connection.
        let Session { mut store, secrets, .. } = Session::resolve(None)?;
        let (check, _) = csv_check(&text, &store)?;
        let mut imported = Vec::new();
        let report = import::import_units_reporting(&mut store, secrets.as_ref(), &check, valid_rows_only, &mut |unit, total| {
            let progress = ImportProgress {
                line: line(unit.line),
                unit_id: unit.unit_id.clone(),
                common_name: unit.common_name.clone(),
                done: u32::try_from(imported.len() + 1).unwrap_or(u32::MAX),
                total: u32::try_from(total).unwrap_or(u32::MAX),
            };
            // A closed window only loses the live view; the import goes on.
            let _ = on_progress.send(progress.clone());
            imported.push(progress);
        })
        .map_err(import_error)?;
        Ok(ImportDone { imported, skipped_lines: report.skipped_lines.into_iter().map(line).collect() })
    })
    .await
}

// ---------------------------------------------------------------- batch

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct PendingUnit {
    pub id: String,
    pub common_name: String,
    pub vat_number: String,
    pub organization_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct BatchSetup {
    pub environment: EnvironmentInfo,
    /// The units without a production CSID in the active environment, oldest
    /// first: the order pasted OTPs are assigned in.
    pub pending: Vec<PendingUnit>,
    pub max_concurrency: u32,
    pub otp_lifetime_minutes: u32,
}

/// The units a pasted OTP list is for.
#[tauri::command]
#[specta::specta]
pub fn batch_setup(shell: State<'_, Shell>) -> Result<BatchSetup, CommandError> {
    let mut result = None;
    shell.with_store(|store| {
        result = Some(batch_setup_in(store));
        Ok(())
    })?;
    result.expect("set above")
}

fn batch_setup_in(store: &Store) -> Result<BatchSetup, CommandError> {
    let environment = store.environment()?;
    let ids = run::pending_units(store, environment).map_err(|error| command_error(error.explain().what_happened))?;
    let mut pending = Vec::new();
    for id in ids {
        let unit = fatoora_units::find_unit(store, &id).map_err(|error| command_error(error.explain()))?;
        pending.push(PendingUnit { id: unit.id, common_name: unit.profile.common_name, vat_number: unit.profile.vat_number, organization_name: unit.profile.organization_name });
    }
    Ok(BatchSetup {
        environment: environment.into(),
        pending,
        max_concurrency: MAX_CONCURRENCY,
        otp_lifetime_minutes: u32::try_from(run::OTP_LIFETIME_MINUTES).unwrap_or(60),
    })
}

/// A rehearsal OTP from the `local` simulator's portal stand-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct RehearsalOtp {
    pub unit_id: String,
    pub otp: String,
}

/// Mints one rehearsal OTP per unit on the `local` simulator, as the portal
/// would export them. Refused in any other environment: real OTPs come from
/// ZATCA's portal only.
#[tauri::command]
#[specta::specta]
pub async fn mint_rehearsal_otps(shell: State<'_, Shell>, unit_ids: Vec<String>) -> Result<Vec<RehearsalOtp>, CommandError> {
    let (environment, vats) = {
        let mut vats = Vec::new();
        let environment = shell.with_store(|store| {
            for id in &unit_ids {
                vats.push(fatoora_units::find_unit(store, id).map(|unit| (unit.id, unit.profile.vat_number)));
            }
            store.environment()
        })?;
        (environment, vats.into_iter().collect::<Result<Vec<_>, _>>().map_err(|error| command_error(error.explain()))?)
    };
    if environment != Environment::Local {
        return Err(command_error(Localized::new(
            "Rehearsal OTPs exist only in the local environment. For a real batch, generate the OTPs in ZATCA's FATOORA portal and paste them here.",
            "رموز التحقق التجريبية متاحة في البيئة المحلية فقط. للدفعة الحقيقية أنشئ رموز التحقق في بوابة «فاتورة» التابعة للهيئة والصقها هنا.",
        )));
    }
    let local = shell.local_gateway().await?;
    let mut minted = Vec::new();
    for (unit_id, vat) in vats {
        let otp = local.mint_otp(Environment::Local, &vat, OtpPurpose::Onboard).await?;
        minted.push(RehearsalOtp { unit_id, otp });
    }
    Ok(minted)
}

/// One unit and the OTP the user assigned to it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Type)]
pub struct OtpAssignment {
    pub unit_id: String,
    pub otp: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct UnitOutcome {
    pub unit_id: String,
    /// `issued`, `already-issued` or `failed`.
    pub outcome: String,
    /// RFC 3339, UTC: the production CSID's expiry (issued only).
    pub expires_at: Option<String>,
    /// What happened and what to do next (failed only).
    pub explanation: Option<LocalizedText>,
    pub zatca_code: Option<String>,
    /// The OTP may have reached ZATCA: retry with a new one.
    pub otp_may_be_spent: bool,
}

impl From<UnitResult> for UnitOutcome {
    fn from(result: UnitResult) -> Self {
        let base = |outcome: &str| UnitOutcome { unit_id: result.unit_id.clone(), outcome: outcome.to_owned(), expires_at: None, explanation: None, zatca_code: None, otp_may_be_spent: false };
        match result.outcome {
            Outcome::Issued { expires_at, .. } => UnitOutcome { expires_at: expires_at.map(|at| at.to_rfc3339()), ..base("issued") },
            Outcome::AlreadyIssued => base("already-issued"),
            Outcome::Failed { zatca_code, explanation, otp_may_be_spent, .. } => UnitOutcome {
                explanation: Some(LocalizedText {
                    en: format!("{} {}", explanation.what_happened.en, explanation.next_step.en),
                    ar: format!("{} {}", explanation.what_happened.ar, explanation.next_step.ar),
                }),
                zatca_code,
                otp_may_be_spent,
                ..base("failed")
            },
        }
    }
}

/// One unit's news while the batch runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct BatchUpdate {
    pub unit_id: String,
    /// `started`, `step`, `document` or `finished`.
    pub kind: String,
    pub label: Option<LocalizedText>,
    pub done: Option<u32>,
    pub total: Option<u32>,
    pub result: Option<UnitOutcome>,
}

impl From<BatchEvent> for BatchUpdate {
    fn from(event: BatchEvent) -> Self {
        let update = |unit_id: String, kind: &str| BatchUpdate { unit_id, kind: kind.to_owned(), label: None, done: None, total: None, result: None };
        match event {
            BatchEvent::Started { unit_id } => update(unit_id, "started"),
            BatchEvent::Progress { unit_id, progress: Progress::Document { done, total, .. } } => BatchUpdate {
                done: u32::try_from(done).ok(),
                total: u32::try_from(total).ok(),
                ..update(unit_id, "document")
            },
            BatchEvent::Progress { unit_id, progress } => BatchUpdate { label: progress.label().map(Into::into), ..update(unit_id, "step") },
            BatchEvent::Finished { result } => BatchUpdate { result: Some(result.clone().into()), ..update(result.unit_id, "finished") },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct BatchDone {
    pub results: Vec<UnitOutcome>,
    pub issued: u32,
    pub already_issued: u32,
    pub failed: u32,
    /// RFC 3339: when the OTPs stop working.
    pub otps_expire_at: String,
}

fn count(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// Validates the assignments with the CLI's rules (six digits, one OTP per
/// unit), by row; a message never repeats an OTP.
fn assignments(list: &[OtpAssignment]) -> Result<Vec<Assignment>, CommandError> {
    let text: String = list.iter().map(|a| format!("{},{}\n", a.unit_id.trim(), a.otp.trim())).collect();
    run::assign(&text, &[]).map_err(|errors| CommandError {
        message: LocalizedText {
            en: errors.iter().map(|e| e.message.en.replacen("line", "row", 1)).collect::<Vec<_>>().join("\n"),
            ar: errors.iter().map(|e| e.message.ar.replacen("السطر", "الصف", 1)).collect::<Vec<_>>().join("\n"),
        },
    })
}

/// Onboards the assigned units, `concurrency` at a time, in the active
/// environment, streaming each unit's progress; onboarded units are skipped,
/// so running it again with the failed units retries only those.
/// `otps_generated_at` (RFC 3339) starts the OTPs' hour.
#[tauri::command]
#[specta::specta]
pub async fn run_batch_onboarding(
    shell: State<'_, Shell>,
    assigned: Vec<OtpAssignment>,
    otps_generated_at: String,
    concurrency: u32,
    on_update: Channel<BatchUpdate>,
) -> Result<BatchDone, CommandError> {
    let generated_at = DateTime::parse_from_rfc3339(&otps_generated_at).map(|at| at.with_timezone(&Utc)).map_err(|_| {
        command_error(Localized::new(
            "When the OTPs were generated is not a time this app understands. Set it again.",
            "وقت إنشاء رموز التحقق غير مفهوم. حدّده مرة أخرى.",
        ))
    })?;
    let assignments = assignments(&assigned)?;
    if assignments.is_empty() {
        return Err(command_error(Localized::new("Assign at least one OTP to a unit first.", "أسند رمز تحقق واحدًا على الأقل إلى وحدة أولا.")));
    }
    let (environment, language) = shell.with_store(|store| Ok((store.environment()?, store.language()?)))?;
    let local = if environment == Environment::Local { Some(shell.local_gateway().await?) } else { None };
    let client = match &local {
        Some(local) => local.client(language)?,
        None => FatooraClient::new(Target::Zatca(environment), ClientOptions { language, ..ClientOptions::default() })
            .map_err(|error| CommandError { message: LocalizedText { en: error.to_string(), ar: error.to_string() } })?,
    };
    // One probe for the batch: the units share the gateway. Its report goes
    // into the diagnosis history once, as the batch's pre-flight.
    let probed = fatoora_onboarding::probe::reachability(environment, local.as_ref().map(|l| l.gateway())).await;
    shell.with_store(|store| {
        fatoora_onboarding::probe::remember(store, &probed, Before::Batch);
        Ok(())
    })?;
    let reachability = probed.reachability;
    let options = BatchOptions {
        concurrency: usize::try_from(concurrency.clamp(1, MAX_CONCURRENCY)).unwrap_or(1),
        otps_generated_at: generated_at,
        portal: environment,
        reachability: Some(reachability),
    };
    let report = blocking(move || {
        let session = Session::resolve(None)?;
        let on_event = |event: BatchEvent| {
            let _ = on_update.send(event.into());
        };
        // The session's store is not shared across threads, so the batch
        // runs to its end on this blocking thread (its units on threads of
        // their own); the simulator and the network stay on the app's runtime.
        Ok(tauri::async_runtime::block_on(run::run_batch_reporting(&session.data_dir, std::sync::Arc::from(session.secrets), &client, assignments, &options, &on_event)))
    })
    .await?;
    Ok(BatchDone {
        issued: count(report.issued),
        already_issued: count(report.already_issued),
        failed: count(report.failed),
        otps_expire_at: report.otps_expire_at.to_rfc3339(),
        results: report.results.into_iter().map(UnitOutcome::from).collect(),
    })
}

#[cfg(test)]
mod tests {
    use fatoora_base::DataDir;
    use fatoora_base::secrets::MemorySecretStore;
    use fatoora_units::state::Step;

    use super::*;

    const CSV_HEADER: &str = "organization_name,vat_number,organization_unit,common_name,serial,invoice_types,address,business_category,country\n";

    #[test]
    fn an_arabic_csv_with_a_bad_row_is_checked_by_row_and_column_then_valid_rows_import() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&DataDir::at(dir.path())).unwrap();
        let text = format!(
            "{CSV_HEADER}مؤسسة الأمل التجارية,399999999900003,فرع جدة,TST-A-399999999900003,1-TST|2-TST|3-a1,1100,RRRD2929,Retail,SA\nBad Co,12345,Branch,TST-B,1-TST|2-TST|3-b2,1100,RRRD2929,Retail,SA\n"
        );
        let (check, view) = csv_check(&text, &store).unwrap();
        assert_eq!(view.rows.len(), 2);
        assert_eq!(view.rows[0].organization_name, "مؤسسة الأمل التجارية");
        assert!(view.rows[0].valid && !view.rows[1].valid);
        let vat = view.findings.iter().find(|f| f.column.as_deref() == Some("vat_number")).expect("a VAT finding");
        assert_eq!(vat.line, 3);
        assert!(vat.blocking && vat.message.en.contains("line 3") && vat.message.ar.contains("السطر 3"), "{vat:?}");

        let secrets = MemorySecretStore::default();
        assert!(import::import_units_reporting(&mut store, &secrets, &check, false, &mut |_, _| ()).is_err(), "nothing from a file with errors");
        let mut seen = Vec::new();
        let report = import::import_units_reporting(&mut store, &secrets, &check, true, &mut |unit, total| seen.push((unit.line, total))).unwrap();
        assert_eq!(seen, [(2, 1)]);
        assert_eq!(report.skipped_lines, [3]);
        let fleet = overview(&store, Utc::now()).unwrap();
        assert_eq!(fleet.taxpayers[0].units[0].credentials[0].state, "csr-ready");
    }

    #[test]
    fn otps_are_checked_by_row_and_never_echoed() {
        let bad = [
            OtpAssignment { unit_id: "u-1".into(), otp: "123456".into() },
            OtpAssignment { unit_id: "u-2".into(), otp: "98765x".into() },
            OtpAssignment { unit_id: "u-1".into(), otp: "111111".into() },
        ];
        let error = assignments(&bad).unwrap_err();
        assert!(error.message.en.contains("row 2") && error.message.en.contains("row 3"), "{}", error.message.en);
        assert!(error.message.ar.contains("الصف 2"), "{}", error.message.ar);
        for otp in ["98765x", "111111", "123456"] {
            assert!(!error.message.en.contains(otp) && !error.message.ar.contains(otp));
        }
        assert_eq!(assignments(&bad[..1]).unwrap().len(), 1);
    }

    #[test]
    fn batch_updates_and_outcomes_carry_no_otp() {
        let failed = UnitResult {
            unit_id: "u-1".into(),
            outcome: Outcome::Failed {
                step: Some(Step::Ccsid),
                zatca_code: Some("Invalid-OTP".into()),
                explanation: fatoora_onboarding::catalogue::Explanation {
                    what_happened: Localized::new("refused", "رُفض"),
                    next_step: Localized::new("new OTP", "رمز جديد"),
                    retry_may_help: false,
                },
                otp_may_be_spent: true,
            },
        };
        let update = BatchUpdate::from(BatchEvent::Finished { result: failed });
        let outcome = update.result.expect("a result");
        assert_eq!((outcome.outcome.as_str(), outcome.otp_may_be_spent), ("failed", true));
        assert_eq!(outcome.explanation.unwrap().en, "refused new OTP");
    }
}
