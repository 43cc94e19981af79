//! One onboarding run, as the CLI, the app and batch start it: find the unit,
//! make a renewal's new key, probe the gateway, then the flow (its pre-flight
//! runs once and is reported as progress), and an outcome that says what
//! happened and how the unit goes on. The rules of which step resumes where,
//! and whether an OTP is needed or may be spent, live here and nowhere else.

use fatoora_base::secrets::SecretStore;
use fatoora_base::{Environment, Localized, Store};
use fatoora_diagnostics::history::Before;
use fatoora_units::state::{self, OnboardingState, Step};
use serde::{Deserialize, Serialize};

use crate::catalogue::Explanation;
use crate::client::{FatooraClient, Reach};
use crate::flow::{FlowError, Issued, Onboarding, Progress, ProgressSink, Request, Unit};
use crate::local::LocalGateway;
use crate::otp_diagnosis;
use crate::preflight::{CheckId, OtpAnswers, Outcome as CheckOutcome, Overrides, PreflightReport, Reachability};
use crate::probe;

/// What the user is doing with the OTP: the FATOORA portal's two tiles
/// ("Onboard new solution unit/device" and "Renew existing").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    /// A new unit: compliance CSID, compliance checks, production CSID.
    Onboard,
    /// A new key and production CSID for an onboarded unit.
    Renew,
}

/// Where a stopped run picks up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resume {
    /// What the stopped run was doing.
    pub purpose: Purpose,
    /// It goes on with an OTP call: the stop came before a CSID was issued.
    pub needs_otp: bool,
    /// The OTP of the stopped run was sent and no answer came back.
    pub otp_may_be_spent: bool,
}

/// Whether a run going on from `step` sends an OTP. Only the CSID requests
/// carry one (the compliance CSID and the renewal), so a run stopped after
/// them goes on without.
pub fn needs_otp(step: Step) -> bool {
    matches!(step, Step::Preflight | Step::Ccsid | Step::Issued | Step::Renewal)
}

/// Where the run recorded in `record` picks up; `None` when nothing is under
/// way. After a failed or unanswered CSID request the key and CSR are kept
/// and a new OTP is needed (the old one is spent or in doubt).
pub fn resume_of(record: &OnboardingState) -> Option<Resume> {
    let purpose = match record.step {
        Step::Preflight | Step::Issued => return None,
        Step::Ccsid | Step::ComplianceChecks | Step::Pcsid => Purpose::Onboard,
        Step::Renewal | Step::RenewalChecks | Step::RenewalPcsid => Purpose::Renew,
    };
    Some(Resume { purpose, needs_otp: needs_otp(record.step), otp_may_be_spent: record.otp_in_doubt_hash.is_some() })
}

/// How the run learns whether the gateway can be reached.
pub enum Probe<'a> {
    /// Probe now, after a renewal's new key is stored, and keep the verdict
    /// for the support message and the report in the diagnosis history: the
    /// `local` simulator's gateway, else ZATCA's.
    Now(Option<&'a LocalGateway>),
    /// Already probed: a batch probes once for all its units (and keeps that
    /// one report in the history, not one per unit).
    Done(Option<Reachability>),
}

/// What the user asked for. Not `Debug`: it holds the OTP.
pub struct RunRequest<'a> {
    /// The unit's id or common name.
    pub unit: &'a str,
    pub purpose: Purpose,
    /// Empty when resuming a run that no longer needs it.
    pub otp_text: &'a str,
    /// When and where the user says the OTP was generated.
    pub answers: OtpAnswers,
    /// The pre-flight questions the user chose to go ahead despite.
    pub overrides: Overrides,
    /// Whether to probe the gateway or use a verdict already had.
    pub probe: Probe<'a>,
}

/// How a run ended.
#[derive(Debug)]
pub enum RunOutcome {
    /// The production CSID is stored.
    Issued(Issued),
    /// No unit has that id or common name.
    UnknownUnit(Localized),
    /// Stopped: why, and how the unit goes on.
    Failed(Failure),
}

/// Why a run stopped, in plain words, and how the unit goes on.
#[derive(Debug)]
pub struct Failure {
    /// What stopped the flow.
    pub error: FlowError,
    /// An Invalid-OTP is diagnosed from the journal's evidence.
    pub explanation: Explanation,
    /// The step the unit's record is at now.
    pub step: Option<Step>,
    /// What "Resume" continues.
    pub resume: Option<Resume>,
}

impl Failure {
    /// The ZATCA code, when the gateway sent one.
    pub fn zatca_code(&self) -> Option<String> {
        self.error.zatca_code()
    }

    /// The checks, when the pre-flight stopped the run (nothing was sent).
    pub fn preflight(&self) -> Option<&PreflightReport> {
        match &self.error {
            FlowError::Preflight(report) => Some(report),
            _ => None,
        }
    }

    /// The request may have reached ZATCA without an answer coming back.
    pub fn may_have_reached_zatca(&self) -> bool {
        match &self.error {
            FlowError::Call { error, .. } => error.reach() == Reach::MayHaveReached,
            FlowError::OtpInDoubt { .. } => true,
            _ => false,
        }
    }

    /// This run's OTP may be spent, so only a new one can go on: sent now
    /// without a definite refusal, or earlier (a killed run leaves it in
    /// doubt; the pre-flight refuses an OTP the journal shows sent). A unit
    /// stopped after its CSID request goes on without an OTP.
    pub fn otp_may_be_spent(&self) -> bool {
        let spent = match &self.error {
            FlowError::Call { error, .. } => error.reach() != Reach::NotSent,
            FlowError::OtpInDoubt { .. } => true,
            FlowError::Preflight(report) => report.checks.iter().any(|check| check.id == CheckId::OtpUnused && check.outcome == CheckOutcome::Failed),
            _ => false,
        };
        spent && self.step.is_none_or(needs_otp)
    }
}

/// Onboards or renews the unit `request.unit` names in the client's
/// environment, or resumes its stopped run, reporting to `progress`. The OTP
/// goes no further than the flow: nothing returned or reported carries it.
pub async fn run(store: &Store, secrets: &dyn SecretStore, client: &FatooraClient, request: RunRequest<'_>, progress: ProgressSink<'_>) -> RunOutcome {
    let environment = client.environment();
    let unit = match Unit::find(store, request.unit, environment) {
        Ok(unit) => unit,
        Err(message) => return RunOutcome::UnknownUnit(message),
    };
    let result = match Onboarding::new(store, secrets, client) {
        Ok(flow) => attempt(store, &flow.with_progress(progress), &unit, request, progress).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(issued) => RunOutcome::Issued(issued),
        Err(error) => {
            // A unit already onboarded is no failure: batch meets many.
            if !matches!(error, FlowError::AlreadyIssued { .. }) {
                tracing::warn!(unit = %unit.id, %environment, code = ?error.zatca_code(), "onboarding stopped: {error}");
            }
            RunOutcome::Failed(failure(store, &unit.id, environment, error))
        }
    }
}

async fn attempt(store: &Store, flow: &Onboarding<'_>, unit: &Unit, request: RunRequest<'_>, progress: ProgressSink<'_>) -> Result<Issued, FlowError> {
    // The new key is made and recorded before the probe, so a run stopped
    // from here on reuses it, and the user sees it happen.
    if request.purpose == Purpose::Renew {
        flow.prepare_renewal(unit)?;
        progress(Progress::RenewalKeyReady {
            label: Localized::new(
                "New key ready; the current one stays in use until the new CSID arrives",
                "المفتاح الجديد جاهز؛ يبقى الحالي مستخدمًا حتى يصل المعرّف الجديد",
            ),
        });
    }
    let reachability = match request.probe {
        Probe::Now(local) => {
            let unit_name = unit.profile.common_name.clone();
            let before = match request.purpose {
                Purpose::Onboard => Before::Onboarding { unit: unit_name },
                Purpose::Renew => Before::Renewal { unit: unit_name },
            };
            Some(probe::reachability_remembered(store, flow.environment(), local, before).await)
        }
        Probe::Done(reachability) => reachability,
    };
    let flow_request = Request { otp_text: request.otp_text, answers: request.answers, overrides: request.overrides, reachability };
    match request.purpose {
        Purpose::Onboard => flow.onboard(unit, &flow_request).await,
        Purpose::Renew => flow.renew(unit, &flow_request).await,
    }
}

fn failure(store: &Store, unit_id: &str, environment: Environment, error: FlowError) -> Failure {
    let record = state::load(store.connection(), unit_id, environment).ok().flatten();
    Failure {
        explanation: otp_diagnosis::explain_failure(store.connection(), unit_id, environment, &error),
        step: record.as_ref().map(|r| r.step),
        resume: record.as_ref().and_then(resume_of),
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_csid_requests_need_an_otp_and_a_stopped_run_resumes_its_purpose() {
        let mut record = OnboardingState::new("u", Environment::Local);
        let resumes: Vec<_> = Step::ALL
            .into_iter()
            .map(|step| {
                record.step = step;
                resume_of(&record).map(|r| (r.purpose, r.needs_otp))
            })
            .collect();
        assert_eq!(
            resumes,
            [
                None,
                Some((Purpose::Onboard, true)),
                Some((Purpose::Onboard, false)),
                Some((Purpose::Onboard, false)),
                None,
                Some((Purpose::Renew, true)),
                Some((Purpose::Renew, false)),
                Some((Purpose::Renew, false)),
            ]
        );
        record.step = Step::Ccsid;
        record.otp_in_doubt_hash = Some("hash".into());
        assert!(resume_of(&record).unwrap().otp_may_be_spent);
    }
}
