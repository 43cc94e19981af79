//! The accountant's overview: taxpayers (by VAT number) → their EGS units →
//! what each unit holds in each environment, with one state per credential
//! and the production CSID's expiry.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use fatoora_base::{Environment, Store};
use fatoora_units::{UnitError, list_units};
use fatoora_onboarding::run::{Purpose, needs_otp, resume_of};
use fatoora_units::state::{self, OnboardingState, Step};
use serde::Serialize;

use crate::expiry::{REMINDER_DAYS, reminder};

/// Where one unit stands in one environment, from "a CSR is ready" to "the
/// CSID has expired".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CredentialState {
    /// A key and CSR are kept; nothing was sent yet.
    CsrReady,
    /// An attempt stopped before the compliance CSID: a (new) OTP is needed.
    WaitingForOtp,
    /// The compliance CSID is in; the compliance checks are not all passed.
    ComplianceChecks,
    /// The checks passed; the production CSID is still to be issued.
    CompliancePassed,
    Issued,
    /// Issued, and it expires within 30 days.
    Expiring,
    Expired,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Credential {
    pub environment: Environment,
    pub state: CredentialState,
    /// The onboarding step, when onboarding has started.
    pub step: Option<Step>,
    /// A renewal was started and has not finished (the old CSID still signs).
    pub renewing: bool,
    pub expires_at: Option<DateTime<Utc>>,
    /// Whole days left (negative once expired).
    pub days_left: Option<i64>,
    /// 30, 7, 1 or 0 (expired): the tightest reminder threshold crossed.
    pub reminder: Option<i64>,
    pub public_key_sha256: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetUnit {
    pub id: String,
    /// The name this unit was saved under; it may differ from its
    /// taxpayer's (the first unit's), which the fleet screen points out.
    pub organization_name: String,
    pub common_name: String,
    pub serial: String,
    pub organization_unit: String,
    pub credentials: Vec<Credential>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Taxpayer {
    pub vat_number: String,
    pub organization_name: String,
    pub units: Vec<FleetUnit>,
}

/// The state of a credential from its onboarding record (if any) at `now`.
pub fn credential_state(record: Option<&OnboardingState>, now: DateTime<Utc>) -> CredentialState {
    let Some(record) = record else { return CredentialState::CsrReady };
    if record.pcsid.is_some() || record.step == Step::Issued {
        return match record.pcsid_expires_at {
            Some(expires_at) if expires_at <= now => CredentialState::Expired,
            Some(expires_at) if expires_at - now <= Duration::days(REMINDER_DAYS[0]) => CredentialState::Expiring,
            _ => CredentialState::Issued,
        };
    }
    match record.step {
        step if needs_otp(step) => CredentialState::WaitingForOtp,
        Step::ComplianceChecks => CredentialState::ComplianceChecks,
        _ => CredentialState::CompliancePassed,
    }
}

/// Every taxpayer with its units and their credentials, taxpayers by name,
/// units by common name, environments in the app's order.
pub fn overview(store: &Store, now: DateTime<Utc>) -> Result<Vec<Taxpayer>, UnitError> {
    let mut records: HashMap<(String, Environment), OnboardingState> = HashMap::new();
    for record in state::all(store.connection())? {
        records.insert((record.unit_id.clone(), record.environment), record);
    }
    let mut taxpayers: BTreeMap<String, Taxpayer> = BTreeMap::new();
    for unit in list_units(store)? {
        let mut credentials = Vec::new();
        for environment in Environment::ALL {
            let key = unit.keys.iter().find(|k| k.environment == environment);
            let record = records.get(&(unit.id.clone(), environment));
            if key.is_none() && record.is_none() {
                continue;
            }
            let expires_at = record.and_then(|r| r.pcsid_expires_at);
            credentials.push(Credential {
                environment,
                state: credential_state(record, now),
                step: record.map(|r| r.step),
                renewing: record.and_then(resume_of).is_some_and(|resume| resume.purpose == Purpose::Renew),
                expires_at,
                days_left: expires_at.map(|at| (at - now).num_days()),
                reminder: expires_at.and_then(|at| reminder(at, now)),
                public_key_sha256: key.map(|k| k.public_key_sha256.clone()),
            });
        }
        let profile = unit.profile;
        let taxpayer = taxpayers.entry(profile.vat_number.clone()).or_insert_with(|| Taxpayer {
            vat_number: profile.vat_number.clone(),
            organization_name: profile.organization_name.clone(),
            units: Vec::new(),
        });
        taxpayer.units.push(FleetUnit {
            id: unit.id,
            organization_name: profile.organization_name,
            common_name: profile.common_name,
            serial: profile.serial,
            organization_unit: profile.organization_unit,
            credentials,
        });
    }
    let mut taxpayers: Vec<Taxpayer> = taxpayers.into_values().collect();
    for taxpayer in &mut taxpayers {
        taxpayer.units.sort_by(|a, b| a.common_name.cmp(&b.common_name).then(a.id.cmp(&b.id)));
    }
    taxpayers.sort_by(|a, b| a.organization_name.cmp(&b.organization_name).then(a.vat_number.cmp(&b.vat_number)));
    Ok(taxpayers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fatoora_base::secrets::MemorySecretStore;
    use fatoora_csr::UnitProfile;
    use fatoora_units::{KeyChoice, prepare_csr};
    use fatoora_units::state::StoredCsid;

    fn profile(vat: &str, organization: &str, common_name: &str, serial: &str) -> UnitProfile {
        UnitProfile {
            organization_name: organization.into(),
            vat_number: vat.into(),
            organization_unit: "الفرع الرئيسي".into(),
            common_name: common_name.into(),
            serial: serial.into(),
            ..UnitProfile::sdk_example(Environment::Local)
        }
    }

    #[test]
    fn states_follow_the_onboarding_record_and_the_expiry() {
        let now = Utc::now();
        let mut record = OnboardingState::new("u", Environment::Local);
        assert_eq!(credential_state(None, now), CredentialState::CsrReady);
        assert_eq!(credential_state(Some(&record), now), CredentialState::WaitingForOtp);
        record.step = Step::ComplianceChecks;
        assert_eq!(credential_state(Some(&record), now), CredentialState::ComplianceChecks);
        record.step = Step::Pcsid;
        assert_eq!(credential_state(Some(&record), now), CredentialState::CompliancePassed);
        record.step = Step::Issued;
        record.pcsid_expires_at = Some(now + Duration::days(200));
        assert_eq!(credential_state(Some(&record), now), CredentialState::Issued);
        record.pcsid_expires_at = Some(now + Duration::days(30));
        assert_eq!(credential_state(Some(&record), now), CredentialState::Expiring);
        record.pcsid_expires_at = Some(now - Duration::hours(1));
        assert_eq!(credential_state(Some(&record), now), CredentialState::Expired);
        // Mid-renewal the old CSID still signs: its expiry decides.
        record.step = Step::RenewalChecks;
        record.pcsid = Some(StoredCsid { request_id: "1".into(), certificate_pem: String::new(), token: String::new(), secret_name: "s".into() });
        assert_eq!(credential_state(Some(&record), now), CredentialState::Expired);
    }

    #[test]
    fn units_are_grouped_by_taxpayer_with_a_credential_per_environment() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&fatoora_base::DataDir::at(dir.path())).unwrap();
        let secrets = MemorySecretStore::default();
        let first = prepare_csr(&mut store, &secrets, &profile("399999999900003", "مؤسسة المثال", "TST-1-399999999900003", "1-TST|2-TST|3-aaa"), KeyChoice::Generate, false).unwrap();
        prepare_csr(&mut store, &secrets, &profile("399999999900003", "مؤسسة المثال", "TST-2-399999999900003", "1-TST|2-TST|3-bbb"), KeyChoice::Generate, false).unwrap();
        prepare_csr(&mut store, &secrets, &profile("311111111100003", "Alpha Trading", "TST-9-311111111100003", "1-TST|2-TST|3-ccc"), KeyChoice::Generate, false).unwrap();
        let mut issued = OnboardingState::new(&first.unit_id, Environment::Local);
        issued.step = Step::Issued;
        issued.pcsid_expires_at = Some(Utc::now() + Duration::days(5));
        state::save(store.connection(), &issued).unwrap();

        let fleet = overview(&store, Utc::now()).unwrap();
        assert_eq!(fleet.iter().map(|t| t.vat_number.as_str()).collect::<Vec<_>>(), ["311111111100003", "399999999900003"]);
        let units = &fleet[1].units;
        assert_eq!(units.len(), 2);
        assert_eq!(units[0].id, first.unit_id);
        let credential = &units[0].credentials[0];
        assert_eq!((credential.environment, credential.state, credential.reminder, credential.days_left), (Environment::Local, CredentialState::Expiring, Some(7), Some(4)));
        assert_eq!(units[1].credentials[0].state, CredentialState::CsrReady);
        assert_eq!(fleet[0].units[0].credentials.len(), 1);
    }
}
