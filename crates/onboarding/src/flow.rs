//! The onboarding flow: compliance CSID → compliance checks → production
//! CSID, and renewal, as a state machine persisted before every network
//! step (see [`fatoora_units::state`]).
//!
//! Guarantees, each with a test in `tests/`:
//! - The private key is in the SecretStore (and read back) before its CSR
//!   is sent; an existing key is never replaced; a renewal key is new and
//!   the old one stays until the new PCSID is stored.
//! - An OTP that may have reached ZATCA (sent, no answer) is recorded as in
//!   doubt, and pre-flight refuses to send it again: the user is told to use
//!   a new one.
//! - Compliance documents already passed under the current CCSID are not
//!   resubmitted after a resume.
//! - A unit's record is per environment; credentials are read only from the
//!   record of the client's own environment.

use std::fmt;

use chrono::{DateTime, TimeZone, Utc};
use fatoora_compliance_docs::{DocsError, SellerProfile, SigningCertificate, generate_documents, signing_key_from_text};
use fatoora_compliance_docs::profile::{Address, PartyIdentification};
use fatoora_base::secrets::{OTP_SALT_SECRET, SecretError, SecretName, SecretStore, Sensitive};
use fatoora_base::store::rusqlite::{self, Connection};
use fatoora_base::values::{InvoiceTypes, Otp, VatNumber};
use fatoora_base::{Environment, Localized, Store};
use fatoora_csr::{KeyError, UnitKey, UnitProfile, build_csr, lint_csr};
use serde::Serialize;

use crate::catalogue::{Endpoint, ErrorCode};
use crate::client::{CallError, ComplianceRequest, Credentials, Exchange, FatooraClient, IssuedCsid, Reach, Renewal};
use crate::journal::{self, OtpFingerprint, OtpHasher, OtpUse};
use crate::preflight::{self, CsrFacts, OtpAnswers, Overrides, PreflightInput, PreflightReport, Reachability};
use fatoora_units::state::{self, OnboardingState, RecordedFailure, Step, StoredCsid};

mod error;
pub use error::FlowError;


/// What the GUI's wizard and the CLI show while the flow runs. Nothing in
/// it carries the OTP.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Progress {
    /// The pre-flight checks, every time they run (once per run).
    Preflight(PreflightReport),
    /// A renewal's new key is stored and recorded; nothing is sent yet.
    RenewalKeyReady { label: Localized },
    /// The run entered `step` (its record is written first).
    Step { step: Step, label: Localized },
    /// One compliance document submitted: `done` of `total` now passed.
    Document { document: String, done: usize, total: usize, skipped: bool },
}

impl Progress {
    /// The words for a progress line: a step, the pre-flight or the new key.
    pub fn label(&self) -> Option<Localized> {
        match self {
            Progress::Preflight(_) => Some(Step::Preflight.label()),
            Progress::RenewalKeyReady { label } | Progress::Step { label, .. } => Some(label.clone()),
            Progress::Document { .. } => None,
        }
    }
}

/// Receives progress; the GUI forwards it over a Tauri channel.
pub type ProgressSink<'a> = &'a (dyn Fn(Progress) + Send + Sync);

/// A unit as the flow needs it. `profile.environment` says which
/// environment the CSR is made for.
#[derive(Debug, Clone)]
pub struct Unit {
    /// Letters, digits, `.`, `_`, `-`: it names the unit's secrets.
    pub id: String,
    pub profile: UnitProfile,
}

/// What an OTP call (CCSID or renewal) sends once the pre-flight passed.
struct OtpCall {
    key: UnitKey,
    csr_pem: String,
    otp: Otp,
    fingerprint: OtpFingerprint,
}

impl Unit {
    /// The unit saved by CSR preparation under `reference` (its id or common
    /// name), made for `environment`.
    pub fn find(store: &Store, reference: &str, environment: Environment) -> Result<Unit, Localized> {
        let unit = fatoora_units::find_unit(store, reference).map_err(|error| error.explain())?;
        let mut profile = unit.profile;
        profile.environment = environment;
        Ok(Unit { id: unit.id, profile })
    }
}

/// The user's request to onboard or renew.
pub struct Request<'a> {
    pub otp_text: &'a str,
    pub answers: OtpAnswers,
    pub overrides: Overrides,
    /// The quick diagnostics probe, run by the caller just before.
    pub reachability: Option<Reachability>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Issued {
    pub unit_id: String,
    pub environment: Environment,
    pub pcsid_request_id: String,
    pub pcsid_expires_at: Option<DateTime<Utc>>,
    pub certificate_pem: String,
}

/// Runs onboarding and renewal for one environment: the client's.
pub struct Onboarding<'a> {
    store: &'a Store,
    conn: &'a Connection,
    secrets: &'a dyn SecretStore,
    client: &'a FatooraClient,
    hasher: OtpHasher,
    progress: Option<ProgressSink<'a>>,
}

impl fmt::Debug for Onboarding<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Onboarding").field("environment", &self.client.environment()).finish()
    }
}

fn secret_name(text: String) -> Result<SecretName, FlowError> {
    Ok(SecretName::new(text)?)
}

/// The installation's OTP salt, created on first use.
pub fn otp_hasher(secrets: &dyn SecretStore) -> Result<OtpHasher, SecretError> {
    let name = SecretName::new(OTP_SALT_SECRET)?;
    if let Some(salt) = secrets.get(&name)? {
        return Ok(OtpHasher::new(salt.expose().clone()));
    }
    let salt = OtpHasher::generate_salt();
    secrets.put(&name, &Sensitive::new(salt.clone()))?;
    Ok(OtpHasher::new(salt))
}

impl<'a> Onboarding<'a> {
    pub fn new(store: &'a Store, secrets: &'a dyn SecretStore, client: &'a FatooraClient) -> Result<Self, FlowError> {
        Ok(Self { store, conn: store.connection(), secrets, client, hasher: otp_hasher(secrets)?, progress: None })
    }

    pub fn with_progress(mut self, sink: ProgressSink<'a>) -> Self {
        self.progress = Some(sink);
        self
    }

    pub fn environment(&self) -> Environment {
        self.client.environment()
    }

    pub fn state(&self, unit_id: &str) -> Result<Option<OnboardingState>, FlowError> {
        Ok(state::load(self.conn, unit_id, self.environment())?)
    }

    fn emit(&self, progress: Progress) {
        if let Some(sink) = self.progress {
            sink(progress);
        }
    }

    fn enter(&self, state: &mut OnboardingState, step: Step) -> Result<(), FlowError> {
        state.step = step;
        state::save(self.conn, state)?;
        self.emit(Progress::Step { step, label: step.label() });
        Ok(())
    }

    fn check_unit(&self, unit: &Unit) -> Result<(), FlowError> {
        if unit.id.is_empty() || !unit.id.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)) {
            return Err(FlowError::BadUnitId(unit.id.clone()));
        }
        if unit.profile.environment != self.environment() {
            return Err(FlowError::EnvironmentMismatch { client: self.environment(), unit: unit.profile.environment });
        }
        Ok(())
    }

    fn key_secret(&self, unit: &Unit, suffix: &str) -> Result<SecretName, FlowError> {
        secret_name(format!("unit/{}/{}/{suffix}", unit.id, self.environment().id()))
    }

    /// The key stored under `name`, or a new one stored there (and read back)
    /// when nothing is. An existing key is never replaced.
    fn key(&self, name: &SecretName) -> Result<UnitKey, FlowError> {
        if let Some(pem) = self.secrets.get(name)? {
            let text = std::str::from_utf8(pem.expose()).map_err(|_| KeyError::Unreadable)?;
            return Ok(UnitKey::from_pkcs8_pem(text)?);
        }
        let key = UnitKey::generate()?;
        self.secrets.put(name, &Sensitive::new(key.to_pkcs8_pem().as_bytes().to_vec()))?;
        match self.secrets.get(name)? {
            Some(stored) if stored.expose().as_slice() == key.to_pkcs8_pem().as_bytes() => Ok(key),
            _ => Err(FlowError::KeyMissing { name: name.to_string() }),
        }
    }

    fn credentials(&self, stored: &StoredCsid) -> Result<Credentials, FlowError> {
        let name = secret_name(stored.secret_name.clone())?;
        let secret = self.secrets.get(&name)?.ok_or_else(|| FlowError::KeyMissing { name: stored.secret_name.clone() })?;
        let secret = String::from_utf8(secret.expose().clone()).map_err(|_| SecretError::InvalidName { name: stored.secret_name.clone(), rule: "UTF-8" })?;
        Ok(Credentials::new(stored.token.clone(), secret))
    }

    /// Stores a CSID's secret under a name unique to it, then returns what
    /// the state row keeps.
    fn keep(&self, unit: &Unit, kind: &str, issued: &IssuedCsid) -> Result<StoredCsid, FlowError> {
        let name = self.key_secret(unit, &format!("{kind}-{}-secret", issued.request_id.trim_start_matches('-')))?;
        self.secrets.put(&name, &Sensitive::new(issued.credentials.expose_secret().as_bytes().to_vec()))?;
        Ok(StoredCsid {
            request_id: issued.request_id.clone(),
            certificate_pem: issued.certificate_pem.clone(),
            token: issued.credentials.token.clone(),
            secret_name: name.to_string(),
        })
    }

    /// Tells CSR preparation (crates/csr) that this key now has a CSID, so
    /// it is never replaced there. Units not prepared there have no record.
    fn mark_key_issued(&self, unit: &Unit, key: &UnitKey) -> Result<(), FlowError> {
        fatoora_units::mark_csid_issued(self.store, &unit.id, self.environment(), &key.public_key_fingerprint())?;
        Ok(())
    }

    /// What `onboard` and `renew` answer once the PCSID is kept.
    fn issued(&self, unit: &Unit, state: &OnboardingState, pcsid: IssuedCsid) -> Issued {
        Issued {
            unit_id: unit.id.clone(),
            environment: self.environment(),
            pcsid_request_id: pcsid.request_id,
            pcsid_expires_at: state.pcsid_expires_at,
            certificate_pem: pcsid.certificate_pem,
        }
    }

    /// Signs the unit's CSR with the key stored under `key_name` (made when
    /// there is none) and runs the pre-flight on it and the OTP; refuses an
    /// OTP a call may already have spent.
    fn prepare_otp_call(&self, unit: &Unit, state: &OnboardingState, request: &Request<'_>, key_name: &SecretName) -> Result<OtpCall, FlowError> {
        // Before the pre-flight: its "already sent" check would refuse this
        // OTP too, without saying that the earlier run never got an answer.
        if let Ok(otp) = Otp::parse(request.otp_text)
            && state.otp_in_doubt_hash.as_deref() == Some(self.hasher.fingerprint(&otp).hash.as_str())
        {
            return Err(FlowError::OtpInDoubt { environment: self.environment() });
        }
        let key = self.key(key_name)?;
        let csr_pem = build_csr(&unit.profile, &key)?.to_pem();
        let report = self.run_preflight(unit, &csr_pem, request)?;
        let otp = report.otp.expect("pre-flight passed, so the OTP parsed");
        let fingerprint = self.hasher.fingerprint(&otp);
        Ok(OtpCall { key, csr_pem, otp, fingerprint })
    }

    /// Recorded before sending: if this process dies mid-request, the next
    /// run knows the OTP may be spent.
    fn enter_otp_in_doubt(&self, state: &mut OnboardingState, call: &OtpCall, step: Step) -> Result<(), FlowError> {
        state.otp_in_doubt_hash = Some(call.fingerprint.hash.clone());
        state.last_error = None;
        self.enter(state, step)
    }

    fn otp_use(request: &Request<'_>, call: &OtpCall) -> OtpUse {
        OtpUse { fingerprint: call.fingerprint.clone(), generated_at: request.answers.generated_at, portal: request.answers.portal }
    }

    /// Sends one request with its journal row written first, as "may have
    /// reached ZATCA, no answer": a run killed mid-request leaves exactly
    /// that in the journal. The answer then completes the row.
    async fn journaled<T>(
        &self,
        unit: &Unit,
        endpoint: Endpoint,
        otp: Option<&OtpUse>,
        document: Option<&str>,
        send: impl Future<Output = Exchange<T>>,
    ) -> Result<Exchange<T>, FlowError> {
        let row = journal::in_flight(self.conn, &unit.id, self.environment(), endpoint, &self.client.url(endpoint), otp, document)?;
        let exchange = send.await;
        journal::complete(self.conn, row, &exchange.record)?;
        if matches!(exchange.result, Err(CallError::UnreadableAnswer { .. })) {
            journal::note_unreadable_answer(self.conn, row)?;
        }
        Ok(exchange)
    }

    /// An OTP call that failed: answered or never sent, the OTP is no longer
    /// in doubt (the journal tells the pre-flight whether it was spent).
    fn fail_otp_call(&self, state: &mut OnboardingState, endpoint: Endpoint, error: CallError) -> FlowError {
        if error.reach() != Reach::MayHaveReached {
            state.otp_in_doubt_hash = None;
        }
        self.fail(state, endpoint, error)
    }

    fn run_preflight(&self, unit: &Unit, csr_pem: &str, request: &Request<'_>) -> Result<PreflightReport, FlowError> {
        let report = self.preflight_report(unit, csr_pem, request)?;
        if report.passed(request.overrides) { Ok(report) } else { Err(FlowError::Preflight(report)) }
    }

    fn preflight_report(&self, unit: &Unit, csr_pem: &str, request: &Request<'_>) -> Result<PreflightReport, FlowError> {
        let lint = lint_csr(csr_pem.as_bytes(), Some(self.environment()));
        let parsed = lint.csr.as_ref();
        let facts = CsrFacts {
            vat_number: parsed.and_then(|c| c.vat_number()).map(|v| v.as_str().to_owned()),
            template: parsed.and_then(|c| c.certificate_template()).map(str::to_owned),
            lint_errors: lint.findings.iter().filter(|f| f.severity == fatoora_base::values::Severity::Error).cloned().collect(),
        };
        let vat = VatNumber::parse(&unit.profile.vat_number)?;
        let report = preflight::run(self.conn, &self.hasher, &PreflightInput {
            environment: self.environment(),
            unit_vat: &vat,
            otp_text: request.otp_text,
            answers: request.answers,
            csr: &facts,
            reachability: request.reachability.as_ref(),
            now: Utc::now(),
        })?;
        // Shown without the OTP: progress crosses into the UI.
        self.emit(Progress::Preflight(PreflightReport { checks: report.checks.clone(), otp: None, otp_minutes_left: report.otp_minutes_left, environment: report.environment }));
        Ok(report)
    }

    fn fail(&self, state: &mut OnboardingState, endpoint: Endpoint, error: CallError) -> FlowError {
        state.last_error = Some(RecordedFailure {
            endpoint: endpoint.id().to_owned(),
            code: error.gateway().map(|g| g.code.zatca_code()),
            status: error.gateway().map(|g| g.status),
            reach: journal::reach_id(error.reach()).to_owned(),
            explanation: error.explain(endpoint).into(),
        });
        if let Err(db) = state::save(self.conn, state) {
            return FlowError::Store(db);
        }
        FlowError::Call { endpoint, error }
    }

    /// Onboards `unit`, or resumes where an earlier run stopped. The OTP is
    /// only needed (and only checked) while no compliance CSID is stored.
    pub async fn onboard(&self, unit: &Unit, request: &Request<'_>) -> Result<Issued, FlowError> {
        self.check_unit(unit)?;
        let mut state = self.state(&unit.id)?.unwrap_or_else(|| OnboardingState::new(&unit.id, self.environment()));
        match state.step {
            Step::Issued => return Err(FlowError::AlreadyIssued { unit: unit.id.clone(), environment: self.environment() }),
            Step::Renewal | Step::RenewalChecks | Step::RenewalPcsid => {
                return Err(FlowError::RenewalInProgress { unit: unit.id.clone(), environment: self.environment() });
            }
            Step::Preflight | Step::Ccsid => self.request_ccsid(unit, &mut state, request, "private-key").await?,
            Step::ComplianceChecks | Step::Pcsid => {}
        }
        self.checks_then_pcsid(unit, &mut state, Step::ComplianceChecks, Step::Pcsid).await
    }

    async fn request_ccsid(&self, unit: &Unit, state: &mut OnboardingState, request: &Request<'_>, key_suffix: &str) -> Result<(), FlowError> {
        let key_name = match &state.key_name {
            Some(name) => secret_name(name.clone())?,
            None => self.key_secret(unit, key_suffix)?,
        };
        let call = self.prepare_otp_call(unit, state, request, &key_name)?;
        state.key_name = Some(key_name.to_string());
        state.csr_pem = Some(call.csr_pem.clone());
        self.enter_otp_in_doubt(state, &call, Step::Ccsid)?;

        let otp_use = Self::otp_use(request, &call);
        let exchange = self.journaled(unit, Endpoint::Compliance, Some(&otp_use), None, self.client.compliance_csid(&call.csr_pem, &call.otp)).await?;
        match exchange.result {
            Ok(issued) => {
                state.ccsid = Some(self.keep(unit, "ccsid", &issued)?);
                state.otp_in_doubt_hash = None;
                state.last_error = None;
                self.enter(state, Step::ComplianceChecks)?;
                self.mark_key_issued(unit, &call.key)
            }
            Err(error) => Err(self.fail_otp_call(state, Endpoint::Compliance, error)),
        }
    }

    /// The compliance checks under the stored CCSID, then the PCSID.
    async fn checks_then_pcsid(&self, unit: &Unit, state: &mut OnboardingState, checks: Step, pcsid: Step) -> Result<Issued, FlowError> {
        if state.step == checks {
            self.compliance_checks(unit, state).await?;
            self.enter(state, pcsid)?;
        }
        self.request_pcsid(unit, state, checks).await
    }

    async fn compliance_checks(&self, unit: &Unit, state: &mut OnboardingState) -> Result<(), FlowError> {
        let ccsid = state.ccsid.clone().expect("the checks step has a CCSID");
        let key_name = secret_name(state.key_name.clone().expect("the checks step has a key"))?;
        let key_pem = self.secrets.get(&key_name)?.ok_or_else(|| FlowError::KeyMissing { name: key_name.to_string() })?;
        let key_text = std::str::from_utf8(key_pem.expose()).map_err(|_| KeyError::Unreadable)?;
        let signing_key = signing_key_from_text(key_text)?;
        let certificate = SigningCertificate::from_text(&ccsid.certificate_pem)?;
        let seller = seller(&unit.profile)?;
        let types = InvoiceTypes::parse(&unit.profile.invoice_types)?;
        let documents = generate_documents(&seller, &certificate, &signing_key, types)?;
        let credentials = self.credentials(&ccsid)?;

        let passed = state::passed_checks(self.conn, state, &ccsid.request_id)?;
        let total = documents.len();
        let mut done = passed.len();
        for document in documents {
            let slug = document.kind.slug();
            if passed.iter().any(|p| p == slug) {
                self.emit(Progress::Document { document: slug.to_owned(), done, total, skipped: true });
                continue;
            }
            let body = ComplianceRequest {
                invoice_hash: document.request.invoice_hash.clone(),
                uuid: document.request.uuid.clone(),
                invoice: document.request.invoice.clone(),
            };
            let exchange = self.journaled(unit, Endpoint::ComplianceInvoices, None, Some(slug), self.client.compliance_check(&credentials, &body)).await?;
            let (status, warnings) = match exchange.result {
                Ok(check) => (check.status, check.warnings),
                Err(CallError::Gateway(error)) if error.code == ErrorCode::SubmittedBefore => ("SUBMITTED-BEFORE".to_owned(), vec![]),
                Err(error) => return Err(self.fail(state, Endpoint::ComplianceInvoices, error)),
            };
            state::record_check(self.conn, state, &ccsid.request_id, slug, &status, &warnings)?;
            done += 1;
            self.emit(Progress::Document { document: slug.to_owned(), done, total, skipped: false });
        }
        Ok(())
    }

    async fn request_pcsid(&self, unit: &Unit, state: &mut OnboardingState, checks: Step) -> Result<Issued, FlowError> {
        let ccsid = state.ccsid.clone().expect("the PCSID step has a CCSID");
        let credentials = self.credentials(&ccsid)?;
        let exchange = self.journaled(unit, Endpoint::ProductionCsids, None, None, self.client.production_csid(&credentials, &ccsid.request_id)).await?;
        match exchange.result {
            Ok(issued) => {
                let stored = self.keep(unit, "pcsid", &issued)?;
                state.pcsid_expires_at = not_after(&issued.certificate_pem);
                state.pcsid = Some(stored);
                // After a renewal the new key signs from now on; the old one
                // stays in the keychain (nothing is deleted).
                state.pcsid_key_name = state.renewal_key_name.take().or_else(|| state.key_name.clone());
                state.key_name = state.pcsid_key_name.clone();
                state.renewal_csr_pem = None;
                state.last_error = None;
                self.enter(state, Step::Issued)?;
                Ok(self.issued(unit, state, issued))
            }
            Err(error) => {
                match error.gateway().map(|g| &g.code) {
                    // Redo exactly the steps ZATCA lists (all of them when it
                    // lists none) on the next run.
                    Some(ErrorCode::MissingComplianceSteps(steps)) => {
                        forget_checks(self.conn, state, &ccsid.request_id, steps)?;
                        state.step = checks;
                    }
                    // This CCSID is dead: the next run starts with a new OTP.
                    Some(ErrorCode::InvalidCurrentCcsid | ErrorCode::InvalidComplianceRequestId) if checks == Step::ComplianceChecks => {
                        state.ccsid = None;
                        state.step = Step::Preflight;
                    }
                    _ => {}
                }
                Err(self.fail(state, Endpoint::ProductionCsids, error))
            }
        }
    }

    /// Makes the renewal's new key before anything is sent (the CLI does it
    /// before its reachability probe), or finds the one an earlier run made.
    pub fn prepare_renewal(&self, unit: &Unit) -> Result<(), FlowError> {
        self.check_unit(unit)?;
        let mut state = self.state(&unit.id)?.ok_or_else(|| FlowError::NotIssued { unit: unit.id.clone(), environment: self.environment() })?;
        match state.step {
            Step::Issued | Step::Renewal => self.renewal_key(unit, &mut state).map(|_| ()),
            Step::RenewalChecks | Step::RenewalPcsid => Ok(()),
            _ => Err(FlowError::NotIssued { unit: unit.id.clone(), environment: self.environment() }),
        }
    }

    /// A renewal key is new, stored and recorded before its CSR is sent; a
    /// renewal resumed after a failure or a kill reuses it (its CSR was never
    /// accepted). The old key stays the unit's until the new PCSID is kept.
    fn renewal_key(&self, unit: &Unit, state: &mut OnboardingState) -> Result<SecretName, FlowError> {
        if let Some(name) = &state.renewal_key_name {
            return secret_name(name.clone());
        }
        let name = self.key_secret(unit, &format!("private-key-{}", Utc::now().format("%Y%m%dT%H%M%S%3f")))?;
        self.key(&name)?;
        state.renewal_key_name = Some(name.to_string());
        state::save(self.conn, state)?;
        Ok(name)
    }

    /// Renews the unit's PCSID with a renewal OTP and a CSR for a new key,
    /// or resumes a renewal under way.
    pub async fn renew(&self, unit: &Unit, request: &Request<'_>) -> Result<Issued, FlowError> {
        self.check_unit(unit)?;
        let mut state = self.state(&unit.id)?.ok_or_else(|| FlowError::NotIssued { unit: unit.id.clone(), environment: self.environment() })?;
        match state.step {
            Step::Issued | Step::Renewal => {}
            Step::RenewalChecks | Step::RenewalPcsid => {
                return self.checks_then_pcsid(unit, &mut state, Step::RenewalChecks, Step::RenewalPcsid).await;
            }
            _ => return Err(FlowError::NotIssued { unit: unit.id.clone(), environment: self.environment() }),
        }
        let pcsid = state.pcsid.clone().ok_or_else(|| FlowError::NotIssued { unit: unit.id.clone(), environment: self.environment() })?;
        let key_name = self.renewal_key(unit, &mut state)?;
        let call = self.prepare_otp_call(unit, &state, request, &key_name)?;
        state.renewal_key_name = Some(key_name.to_string());
        state.renewal_csr_pem = Some(call.csr_pem.clone());
        self.enter_otp_in_doubt(&mut state, &call, Step::Renewal)?;

        let credentials = self.credentials(&pcsid)?;
        let otp_use = Self::otp_use(request, &call);
        let exchange = self.journaled(unit, Endpoint::RenewProductionCsids, Some(&otp_use), None, self.client.renew(&credentials, &call.csr_pem, &call.otp)).await?;
        match exchange.result {
            Ok(Renewal::Renewed(issued)) => {
                self.mark_key_issued(unit, &call.key)?;
                state.pcsid = Some(self.keep(unit, "pcsid", &issued)?);
                state.pcsid_expires_at = not_after(&issued.certificate_pem);
                state.pcsid_key_name = state.renewal_key_name.take();
                state.key_name = state.pcsid_key_name.clone();
                state.renewal_csr_pem = None;
                state.otp_in_doubt_hash = None;
                self.enter(&mut state, Step::Issued)?;
                Ok(self.issued(unit, &state, issued))
            }
            Ok(Renewal::ChecksRequired(ccsid)) => {
                self.mark_key_issued(unit, &call.key)?;
                state.ccsid = Some(self.keep(unit, "ccsid", &ccsid)?);
                // The renewed CCSID certifies the new key: sign with it.
                state.key_name = state.renewal_key_name.clone();
                state.otp_in_doubt_hash = None;
                self.enter(&mut state, Step::RenewalChecks)?;
                self.checks_then_pcsid(unit, &mut state, Step::RenewalChecks, Step::RenewalPcsid).await
            }
            Err(error) => Err(self.fail_otp_call(&mut state, Endpoint::RenewProductionCsids, error)),
        }
    }
}

fn forget_checks(conn: &Connection, state: &OnboardingState, ccsid_request_id: &str, steps: &[String]) -> rusqlite::Result<()> {
    use fatoora_compliance_docs::DocumentKind;
    let kinds = DocumentKind::for_invoice_types(InvoiceTypes::Both);
    let forget: Vec<&str> = kinds
        .iter()
        .filter(|k| steps.is_empty() || steps.iter().any(|s| s == k.compliance_step()))
        .map(|k| k.slug())
        .collect();
    for slug in forget {
        conn.execute(
            "DELETE FROM onboarding_checks WHERE unit_id = ?1 AND environment = ?2 AND ccsid_request_id = ?3 AND document = ?4",
            rusqlite::params![state.unit_id, state.environment.id(), ccsid_request_id, slug],
        )?;
    }
    Ok(())
}

/// The seller for the compliance documents. ZATCA staff: the documents may
/// be dummies as long as structure, VAT number and name are right (SPEC.md
/// 3.1), so the SDK sample's address and CRN stand in for what the CSR does
/// not carry.
fn seller(profile: &UnitProfile) -> Result<SellerProfile, DocsError> {
    SellerProfile::new(&profile.organization_name, &profile.vat_number, PartyIdentification::sample(), Address::sample())
}

/// The certificate's notAfter.
pub fn not_after(certificate_pem: &str) -> Option<DateTime<Utc>> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(certificate_pem.as_bytes()).ok()?;
    let certificate = pem.parse_x509().ok()?;
    Utc.timestamp_opt(certificate.validity().not_after.timestamp(), 0).single()
}
