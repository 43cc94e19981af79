//! The first-run rehearsal in `local`: a demo unit made as a real one is
//! (key and CSR by CSR preparation) and an OTP minted by the bundled
//! simulator for the user to type into the wizard.

use chrono::Utc;
use fatoora_base::{DataDir, Environment, Session};
use fatoora_csr::UnitProfile;
use fatoora_units::{self as units, KeyChoice, state};
use serde::Serialize;
use specta::Type;
use tauri::State;

use crate::onboarding::Purpose;
use crate::shell::{CommandError, DEMO_VAT, LocalizedText, OtpPurpose, Shell, command_error};

/// The rehearsal's demo unit and the simulator's OTP for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct Rehearsal {
    pub unit_id: String,
    pub common_name: String,
    pub vat_number: String,
    /// Minted by the local simulator, never by ZATCA: shown for the user to type.
    pub demo_otp: String,
}

const DEMO_UNIT_PREFIX: &str = "REHEARSAL-";

/// The first-run rehearsal, in `local` only: a demo unit (demo VAT number,
/// key and CSR made by CSR preparation, as for a real unit) and an OTP
/// minted by the local simulator, which the user then types into the wizard.
/// Returning that OTP is the one exception to "OTPs never cross IPC": it is
/// the simulator's, worthless anywhere else, and the UI says so.
#[tauri::command]
#[specta::specta]
pub async fn start_rehearsal(shell: State<'_, Shell>) -> Result<Rehearsal, CommandError> {
    refuse_outside_local(&shell)?;
    let local = shell.local_gateway().await?;
    let data_dir = shell.data_dir()?.clone();
    let unit = tauri::async_runtime::spawn_blocking(move || demo_unit(&data_dir))
        .await
        .map_err(|error| CommandError { message: LocalizedText { en: error.to_string(), ar: error.to_string() } })??;
    let demo_otp = local.mint_otp(Environment::Local, DEMO_VAT, OtpPurpose::Onboard).await?;
    Ok(Rehearsal { unit_id: unit.0, common_name: unit.1, vat_number: DEMO_VAT.to_owned(), demo_otp })
}

/// A rehearsal OTP for one of the user's own units: what the FATOORA
/// portal's tile for `purpose` would give its taxpayer, minted by the local
/// simulator for the unit's VAT number. In `local` only; like
/// [`start_rehearsal`]'s, the OTP is the simulator's and worthless anywhere else.
#[tauri::command]
#[specta::specta]
pub async fn rehearsal_otp(shell: State<'_, Shell>, unit_id: String, purpose: Purpose) -> Result<String, CommandError> {
    refuse_outside_local(&shell)?;
    let vat = shell.with_store(|store| Ok(units::find_unit(store, &unit_id)))?.map_err(|error| command_error(error.explain()))?.profile.vat_number;
    let purpose = match purpose {
        Purpose::Onboard => OtpPurpose::Onboard,
        Purpose::Renew => OtpPurpose::Renew,
    };
    shell.local_gateway().await?.mint_otp(Environment::Local, &vat, purpose).await
}

/// Rehearsal OTPs come from the bundled simulator: real ones only from ZATCA's portal.
fn refuse_outside_local(shell: &Shell) -> Result<(), CommandError> {
    if shell.with_store(|store| store.environment())? == Environment::Local {
        return Ok(());
    }
    Err(CommandError {
        message: LocalizedText {
            en: "Rehearsal OTPs come from the bundled simulator, so they exist only in the local environment. Here, generate the OTP in ZATCA's FATOORA portal, or switch to local in Settings to rehearse.".into(),
            ar: "رموز التحقق التجريبية يصدرها المحاكي المدمج، فهي متاحة في البيئة المحلية فقط. أنشئ رمز التحقق هنا من بوابة «فاتورة» التابعة للهيئة، أو انتقل إلى البيئة المحلية من الإعدادات للتدريب.".into(),
        },
    })
}

/// A demo unit not onboarded yet, or a new one.
fn demo_unit(data_dir: &DataDir) -> Result<(String, String), CommandError> {
    let Session { mut store, secrets, .. } = Session::open(data_dir)?;
    let records = state::all(store.connection()).map_err(|error| CommandError::from(fatoora_base::store::StoreError::from(error)))?;
    let saved = units::list_units(&store).map_err(|error| command_error(error.explain()))?;
    let waiting = saved.into_iter().find(|unit| {
        unit.profile.common_name.starts_with(DEMO_UNIT_PREFIX)
            && unit.keys.iter().any(|key| key.environment == Environment::Local && key.csr_pem.is_some() && key.csid_issued_at.is_none())
            && !records.iter().any(|r| r.unit_id == unit.id && r.environment == Environment::Local)
    });
    if let Some(unit) = waiting {
        return Ok((unit.id, unit.profile.common_name));
    }
    let stamp = Utc::now().format("%Y%m%d%H%M%S");
    let profile = UnitProfile {
        organization_name: "Demo Rehearsal Trading".into(),
        organization_unit: "Rehearsal".into(),
        common_name: format!("{DEMO_UNIT_PREFIX}{stamp}"),
        serial: format!("1-Fatoora|2-Rehearsal|3-{stamp}"),
        ..UnitProfile::sdk_example(Environment::Local)
    };
    let prepared = units::prepare_csr(&mut store, secrets.as_ref(), &profile, KeyChoice::Generate, false)
        .map_err(|error| command_error(error.explain()))?;
    Ok((prepared.unit_id, profile.common_name))
}

