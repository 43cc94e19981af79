//! The Units screen's commands: live lint and preview of an EGS unit form,
//! saving it (key into the secret store, CSR into the units store) and the
//! list of saved units. The private key never leaves fatoora-csr and the
//! secret store: nothing returned here can carry it.

use base64::Engine;
use fatoora_base::secrets::SecretStore;
use fatoora_base::values::{Field, FieldError, Severity};
use fatoora_base::{Environment, Localized, Session, Store};
use fatoora_units::state::{self, OnboardingState};
use fatoora_units::{self as units, KeyChoice, Unit, UnitError, removal};
use fatoora_csr::{PreviewLine, UnitProfile};
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::State;

use crate::commands::EnvironmentInfo;
use crate::shell::{CommandError, LocalizedText, Shell, command_error};

/// What the user typed; the environment is always the active one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct UnitForm {
    pub organization_name: String,
    pub vat_number: String,
    pub organization_unit: String,
    pub common_name: String,
    pub serial: String,
    pub invoice_types: String,
    pub address: String,
    pub business_category: String,
}

impl UnitForm {
    fn profile(&self, environment: Environment) -> UnitProfile {
        UnitProfile {
            organization_name: self.organization_name.clone(),
            vat_number: self.vat_number.clone(),
            organization_unit: self.organization_unit.clone(),
            common_name: self.common_name.clone(),
            serial: self.serial.clone(),
            invoice_types: self.invoice_types.clone(),
            address: self.address.clone(),
            business_category: self.business_category.clone(),
            country: "SA".to_owned(),
            environment,
        }
    }
}

/// One lint finding, tied to the form input it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct FormFinding {
    /// The `UnitForm` member (camelCase) the finding is about, or `form`
    /// when no input matches (country, template).
    pub field: String,
    pub rule: String,
    pub blocking: bool,
    pub message: LocalizedText,
}

impl From<FieldError> for FormFinding {
    fn from(finding: FieldError) -> Self {
        let field = match finding.field {
            Field::OrganizationName => "organizationName",
            Field::VatNumber => "vatNumber",
            Field::OrganizationUnit => "organizationUnit",
            Field::CommonName => "commonName",
            Field::EgsSerial => "serial",
            Field::InvoiceTypes => "invoiceTypes",
            Field::Address => "address",
            Field::BusinessCategory => "businessCategory",
            _ => "form",
        };
        Self {
            field: field.to_owned(),
            rule: finding.rule.to_owned(),
            blocking: finding.severity == Severity::Error,
            message: finding.message.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct PreviewField {
    pub short_name: String,
    pub oid: String,
    pub label: LocalizedText,
    pub value: String,
}

impl From<PreviewLine> for PreviewField {
    fn from(line: PreviewLine) -> Self {
        Self { short_name: line.short_name.to_owned(), oid: line.oid, label: line.label.into(), value: line.value }
    }
}

/// The CSR's fields as they will be written, before any key exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct CsrFieldsPreview {
    pub subject: Vec<PreviewField>,
    pub certificate_template: String,
    pub subject_alt_name: Vec<PreviewField>,
    pub environment: EnvironmentInfo,
    pub key: LocalizedText,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct UnitCheck {
    pub findings: Vec<FormFinding>,
    pub preview: CsrFieldsPreview,
    /// The unit the form names (same VAT number and common name) already has
    /// a key in the active environment: the user chooses to reuse or replace it.
    pub existing_key: Option<ExistingKey>,
}

/// What is known of a saved unit's key (public parts only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct ExistingKey {
    pub unit_id: String,
    /// The first 16 hex digits of the public key's SHA-256, to tell keys apart.
    pub public_key_prefix: String,
    pub csr_created_at: Option<String>,
    /// A CSID was issued for this key: it cannot be replaced here (renewal does that).
    pub csid_issued: bool,
}

/// Where the key for the CSR comes from when the user saves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Type)]
#[serde(rename_all = "lowercase")]
pub enum KeyAction {
    /// A new unit, or one without a key here: generate one.
    #[default]
    New,
    /// A new CSR signed with the key already kept for this unit and environment.
    Reuse,
    /// Generate a new key in place of the kept one (a CSID issued for the old
    /// key would no longer match).
    Replace,
}

/// A unit's CSR in the two forms ZATCA's tools use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct CsrText {
    pub pem: String,
    /// base64 of the PEM: what `POST /compliance` takes.
    pub base64: String,
}

impl CsrText {
    fn from_pem(pem: String) -> Self {
        Self { base64: base64::engine::general_purpose::STANDARD.encode(pem.as_bytes()), pem }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct UnitSummary {
    pub id: String,
    pub common_name: String,
    pub organization_name: String,
    pub vat_number: String,
    /// The active environment's CSR, when the unit has one.
    pub csr: Option<CsrText>,
    /// A CSR exists in the active environment and no CSID was issued for its key yet.
    pub awaiting_otp: bool,
    /// What the unit has in each environment where it has a key.
    pub environments: Vec<UnitInEnvironment>,
    /// Why the unit cannot be deleted (a CSID issued, or perhaps issued);
    /// `None`: it can be, with its keys.
    pub kept_because: Option<LocalizedText>,
}

/// A saved unit's key, CSR and onboarding in one environment (public parts only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct UnitInEnvironment {
    pub environment: EnvironmentInfo,
    /// SHA-256 of the public key, hex: tells keys apart, reveals nothing.
    pub public_key_sha256: String,
    pub csr: Option<CsrText>,
    pub csr_created_at: Option<String>,
    pub csid_issued_at: Option<String>,
    /// Where onboarding stands here, when it began.
    pub step: Option<LocalizedText>,
    /// RFC 3339: the production CSID's expiry, once issued.
    pub expires_at: Option<String>,
}

impl UnitSummary {
    fn of(unit: Unit, environment: Environment, records: &[OnboardingState], kept_because: Option<Localized>) -> Self {
        let environments = unit
            .keys
            .iter()
            .map(|key| {
                let record = records.iter().find(|r| r.unit_id == unit.id && r.environment == key.environment);
                UnitInEnvironment {
                    environment: key.environment.into(),
                    public_key_sha256: key.public_key_sha256.clone(),
                    csr: key.csr_pem.clone().map(CsrText::from_pem),
                    csr_created_at: key.csr_created_at.clone(),
                    csid_issued_at: key.csid_issued_at.clone(),
                    step: record.map(|r| r.step.label().into()),
                    expires_at: record.and_then(|r| r.pcsid_expires_at).map(|at| at.to_rfc3339()),
                }
            })
            .collect();
        let record = unit.keys.into_iter().find(|key| key.environment == environment);
        let awaiting_otp = record.as_ref().is_some_and(|r| r.csr_pem.is_some() && r.csid_issued_at.is_none());
        Self {
            id: unit.id,
            common_name: unit.profile.common_name,
            organization_name: unit.profile.organization_name,
            vat_number: unit.profile.vat_number,
            csr: record.and_then(|r| r.csr_pem).map(CsrText::from_pem),
            awaiting_otp,
            environments,
            kept_because: kept_because.map(Into::into),
        }
    }
}

/// The unit [`delete_unit`] deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct DeletedUnit {
    pub unit_id: String,
    pub common_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct SavedUnit {
    pub unit_id: String,
    pub csr: CsrText,
    /// A key kept for this unit and environment was replaced by a new one.
    pub replaced_key: bool,
    /// Findings that did not stop the CSR.
    pub warnings: Vec<FormFinding>,
}

/// Lints the form with the CSR rules and previews the CSR's fields, for the
/// active environment. Called on every keystroke: reads only.
#[tauri::command]
#[specta::specta]
pub fn check_unit(shell: State<'_, Shell>, form: UnitForm) -> Result<UnitCheck, CommandError> {
    let (environment, existing) = shell.with_store(|store| {
        let environment = store.environment()?;
        Ok((environment, existing_key(store, &form.profile(environment))))
    })?;
    let existing = existing.map_err(unit_error)?;
    Ok(UnitCheck { existing_key: existing, ..check(&form, environment) })
}

/// Saves the unit, generates its key into the secret store and its CSR.
#[tauri::command]
#[specta::specta]
pub fn save_unit(form: UnitForm, key: KeyAction) -> Result<SavedUnit, CommandError> {
    // prepare_csr writes in one transaction, which needs its own connection.
    let Session { mut store, secrets, .. } = Session::resolve(None)?;
    save(&mut store, secrets.as_ref(), &form, key)
}

/// The saved units, with their CSR in the active environment and what
/// they have in every environment.
#[tauri::command]
#[specta::specta]
pub fn list_units(shell: State<'_, Shell>) -> Result<Vec<UnitSummary>, CommandError> {
    shell.with_store(|store| Ok(summaries(store)))?.map_err(unit_error)
}

/// Deletes a unit that ZATCA has issued no CSID in any environment, with its
/// keys (from the secret store too); its onboarding journal stays, as
/// support's evidence (see `fatoora_units::removal`). The UI asks first.
#[tauri::command]
#[specta::specta]
pub fn delete_unit(shell: State<'_, Shell>, unit_id: String) -> Result<DeletedUnit, CommandError> {
    // The deletion is one transaction, which needs its own connection.
    let Session { mut store, secrets, .. } = Session::open(shell.data_dir()?)?;
    remove(&mut store, secrets.as_ref(), &unit_id)
}

fn remove(store: &mut Store, secrets: &dyn SecretStore, unit_id: &str) -> Result<DeletedUnit, CommandError> {
    let removed = removal::delete_unit(store, secrets, unit_id).map_err(|error| command_error(error.explain()))?;
    Ok(DeletedUnit { unit_id: removed.unit_id, common_name: removed.common_name })
}

fn summaries(store: &Store) -> Result<Vec<UnitSummary>, UnitError> {
    let environment = store.environment()?;
    let records = state::all(store.connection())?;
    units::list_units(store)?
        .into_iter()
        .map(|unit| {
            let kept = removal::deletion_blocker(store.connection(), &unit.id, &unit.profile.common_name)?;
            Ok(UnitSummary::of(unit, environment, &records, kept.map(|refusal| refusal.explain())))
        })
        .collect()
}

fn check(form: &UnitForm, environment: Environment) -> UnitCheck {
    let profile = form.profile(environment);
    let preview = profile.preview();
    UnitCheck {
        findings: fatoora_csr::lint_profile(&profile).into_iter().map(FormFinding::from).collect(),
        preview: CsrFieldsPreview {
            subject: preview.subject.into_iter().map(PreviewField::from).collect(),
            certificate_template: preview.certificate_template.to_owned(),
            subject_alt_name: preview.subject_alt_name.into_iter().map(PreviewField::from).collect(),
            environment: preview.environment.into(),
            key: preview.key.into(),
        },
        existing_key: None,
    }
}

fn unit_error(error: UnitError) -> CommandError {
    CommandError { message: error.explain().into() }
}

/// The key of the unit that `save` would update (units are named by VAT
/// number and common name, as written into the CSR).
fn existing_key(store: &Store, profile: &UnitProfile) -> Result<Option<ExistingKey>, UnitError> {
    let unit = units::find_same_unit(store, profile)?;
    Ok(unit.and_then(|unit| {
        let record = unit.keys.into_iter().find(|key| key.environment == profile.environment)?;
        Some(ExistingKey {
            unit_id: unit.id,
            public_key_prefix: record.public_key_sha256.chars().take(16).collect(),
            csr_created_at: record.csr_created_at,
            csid_issued: record.csid_issued_at.is_some(),
        })
    }))
}

fn save(store: &mut Store, secrets: &dyn SecretStore, form: &UnitForm, key: KeyAction) -> Result<SavedUnit, CommandError> {
    let environment = store.environment()?;
    let (choice, replace) = match key {
        KeyAction::New => (KeyChoice::Generate, false),
        KeyAction::Reuse => (KeyChoice::Reuse, false),
        KeyAction::Replace => (KeyChoice::Generate, true),
    };
    let prepared = units::prepare_csr(store, secrets, &form.profile(environment), choice, replace).map_err(unit_error)?;
    Ok(SavedUnit {
        unit_id: prepared.unit_id,
        csr: CsrText::from_pem(prepared.csr.to_pem()),
        replaced_key: prepared.replaced_key,
        warnings: prepared.warnings.into_iter().map(FormFinding::from).collect(),
    })
}

#[cfg(test)]
mod tests {
    use fatoora_base::DataDir;
    use fatoora_base::secrets::{MemorySecretStore, SecretName};

    use super::*;

    /// The SDK example as the UI sends it: the profile's JSON, whose
    /// country and environment the form has no input for.
    fn good_form() -> UnitForm {
        serde_json::from_value(serde_json::to_value(UnitProfile::sdk_example(Environment::Local)).unwrap()).unwrap()
    }

    #[test]
    fn a_bad_vat_number_is_reported_under_the_vat_input_in_both_languages() {
        let form = UnitForm { vat_number: "300000000000000".into(), ..good_form() };
        let check = check(&form, Environment::Local);
        let vat = check.findings.iter().find(|f| f.field == "vatNumber").expect("a VAT finding");
        assert!(vat.blocking);
        assert!(!vat.message.en.is_empty() && !vat.message.ar.is_empty());
        assert!(check.findings.iter().all(|f| f.field == "vatNumber"), "{:?}", check.findings);
    }

    #[test]
    fn the_preview_names_the_environments_template_and_the_san_values() {
        let check = check(&good_form(), Environment::Local);
        assert!(check.findings.iter().all(|f| !f.blocking), "{:?}", check.findings);
        assert_eq!(check.preview.certificate_template, "TSTZATCA-Code-Signing");
        assert!(check.preview.subject_alt_name.iter().any(|line| line.value == "399999999900003"));
        assert_eq!(check.preview.subject.first().map(|line| line.value.as_str()), Some("SA"));
    }

    #[test]
    fn the_private_key_never_crosses_ipc() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&DataDir::at(dir.path())).unwrap();
        let secrets = MemorySecretStore::default();
        let saved = save(&mut store, &secrets, &good_form(), KeyAction::New).unwrap();

        let name: SecretName = units::key_name(&saved.unit_id, Environment::Local).unwrap();
        let key_pem = String::from_utf8(secrets.get(&name).unwrap().expect("the key is in the secret store").expose().to_vec()).unwrap();
        let key_body: String = key_pem.lines().filter(|line| !line.starts_with("-----")).collect();
        let listed = summaries(&store).unwrap();
        let payloads = [serde_json::to_string(&saved).unwrap(), serde_json::to_string(&listed).unwrap()];
        for payload in &payloads {
            for line in key_pem.lines().filter(|line| !line.starts_with("-----")) {
                assert!(!payload.contains(line), "a line of the private key crossed IPC");
            }
            assert!(!payload.contains(&key_body[..24]));
        }
        assert!(listed[0].awaiting_otp);
        assert_eq!(listed[0].csr.as_ref().unwrap().pem, saved.csr.pem);
        assert!(saved.csr.pem.starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
    }

    #[test]
    fn a_second_save_offers_reuse_or_replace_of_the_kept_key() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&DataDir::at(dir.path())).unwrap();
        let secrets = MemorySecretStore::default();
        let profile = good_form().profile(Environment::Local);
        assert_eq!(existing_key(&store, &profile).unwrap(), None);
        let first = save(&mut store, &secrets, &good_form(), KeyAction::New).unwrap();
        let name = units::key_name(&first.unit_id, Environment::Local).unwrap();
        let key_of = |secrets: &MemorySecretStore| secrets.get(&name).unwrap().unwrap().expose().clone();
        let first_key = key_of(&secrets);

        // Same VAT number and common name, typed with stray spaces: the same unit.
        let again = UnitForm { common_name: format!(" {} ", good_form().common_name), ..good_form() };
        let existing = existing_key(&store, &again.profile(Environment::Local)).unwrap().expect("the kept key is reported");
        assert_eq!(existing.unit_id, first.unit_id);
        assert!(!existing.csid_issued);
        assert_eq!(existing_key(&store, &again.profile(Environment::Sandbox)).unwrap(), None, "no key in sandbox yet");

        let refused = save(&mut store, &secrets, &again, KeyAction::New).unwrap_err();
        assert!(refused.message.en.contains("already has"), "{}", refused.message.en);
        assert_eq!(key_of(&secrets), first_key);

        let reused = save(&mut store, &secrets, &again, KeyAction::Reuse).unwrap();
        assert!(!reused.replaced_key);
        assert_eq!(key_of(&secrets), first_key, "reuse keeps the key");
        assert_eq!(existing_key(&store, &profile).unwrap().unwrap().public_key_prefix, existing.public_key_prefix);

        let replaced = save(&mut store, &secrets, &again, KeyAction::Replace).unwrap();
        assert!(replaced.replaced_key);
        assert_ne!(key_of(&secrets), first_key, "replace puts a new key in the secret store");
        assert_ne!(existing_key(&store, &profile).unwrap().unwrap().public_key_prefix, existing.public_key_prefix);
    }

    #[test]
    fn a_key_with_an_issued_csid_is_reported_and_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&DataDir::at(dir.path())).unwrap();
        let secrets = MemorySecretStore::default();
        let saved = save(&mut store, &secrets, &good_form(), KeyAction::New).unwrap();
        let profile = good_form().profile(Environment::Local);
        let record = units::find_unit(&store, &saved.unit_id).unwrap().keys.remove(0);
        assert!(units::mark_csid_issued(&store, &saved.unit_id, Environment::Local, &record.public_key_sha256).unwrap());

        assert!(existing_key(&store, &profile).unwrap().unwrap().csid_issued, "the UI disables replace");
        let name = units::key_name(&saved.unit_id, Environment::Local).unwrap();
        let kept = secrets.get(&name).unwrap().unwrap().expose().clone();
        let refused = save(&mut store, &secrets, &good_form(), KeyAction::Replace).unwrap_err();
        assert!(refused.message.en.contains("renewal"), "{}", refused.message.en);
        assert!(!refused.message.ar.is_empty());
        assert_eq!(secrets.get(&name).unwrap().unwrap().expose(), &kept, "the issued key is untouched");
    }

    #[test]
    fn a_unit_without_a_csid_is_deleted_with_its_key_and_one_with_a_csid_says_why_not() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&DataDir::at(dir.path())).unwrap();
        let secrets = MemorySecretStore::default();
        let first = save(&mut store, &secrets, &good_form(), KeyAction::New).unwrap();
        let other = UnitForm { common_name: "TST-886431145-399999999900003-2".into(), ..good_form() };
        let second = save(&mut store, &secrets, &other, KeyAction::New).unwrap();
        let listed = summaries(&store).unwrap();
        assert!(listed.iter().all(|unit| unit.kept_because.is_none()), "no CSID yet: both can go");
        let environments = &listed[0].environments;
        assert_eq!((environments.len(), environments[0].environment.id.as_str()), (1, "local"));
        assert_eq!(environments[0].public_key_sha256.len(), 64);
        assert!(environments[0].csr.is_some() && environments[0].step.is_none());

        let record = units::find_unit(&store, &second.unit_id).unwrap().keys.remove(0);
        assert!(units::mark_csid_issued(&store, &second.unit_id, Environment::Local, &record.public_key_sha256).unwrap());
        let kept = summaries(&store).unwrap().into_iter().find(|unit| unit.id == second.unit_id).unwrap().kept_because.expect("a reason");
        assert!(kept.en.contains("cannot be deleted") && kept.ar.contains("لا يمكن حذف"), "{kept:?}");
        let refused = remove(&mut store, &secrets, &second.unit_id).unwrap_err();
        assert_eq!(refused.message, kept);

        let name = units::key_name(&first.unit_id, Environment::Local).unwrap();
        let deleted = remove(&mut store, &secrets, &first.unit_id).unwrap();
        assert_eq!(deleted.common_name, good_form().common_name);
        assert!(secrets.get(&name).unwrap().is_none(), "its key left the secret store");
        assert_eq!(summaries(&store).unwrap().iter().map(|unit| unit.id.as_str()).collect::<Vec<_>>(), [second.unit_id.as_str()]);
    }

    #[test]
    fn saving_an_invalid_form_stores_nothing_and_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&DataDir::at(dir.path())).unwrap();
        let form = UnitForm { serial: "no pipes".into(), ..good_form() };
        let error = save(&mut store, &MemorySecretStore::default(), &form, KeyAction::New).unwrap_err();
        assert!(!error.message.en.is_empty() && !error.message.ar.is_empty());
        assert!(units::list_units(&store).unwrap().is_empty());
    }
}
