//! The schema and business-rule steps of a compliance check: ZATCA's UBL 2.1
//! XSD, then the EN 16931 and KSA rules of SDK 238-R3.4.8, both through the
//! `fatoora-core` crate (mqqz/fatoority), which carries its own copy of the
//! schemas and the rules in Rust. So every build checks them, the installed
//! app and Windows too, without ZATCA's files on the machine.
//!
//! How its findings become the gateway's entries (README, "Errors it sends"):
//! a rule of the CEN file is category `EN_16931`, one of ZATCA's KSA file
//! `KSA`, as the four rule answers among ZATCA's API examples show; the type
//! is the schematron's flag (`error`/`fatal` → ERROR, `warning` → WARNING).

use std::num::NonZeroUsize;
use std::panic::AssertUnwindSafe;
use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset, TimeZone};
use fatoora_core::config::Config;
use fatoora_core::invoice::validation::{
    self as zatca, ValidationLocation, ZatcaFailureKind, ZatcaStage, ZatcaStageStatus, ZatcaValidationOptions,
    ZatcaValidationReport,
};

use crate::findings::InvoiceFinding;

/// What the schema and rule steps found in one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RulesVerdict {
    /// ZATCA stops at a schema error and names the first one; `None` when
    /// the bytes are not even well-formed XML.
    SchemaInvalid(Option<String>),
    /// The schema passed and every rule ran: the failed ones, errors and
    /// warnings, one entry per rule id.
    Checked(Vec<InvoiceFinding>),
    /// The rules could not be evaluated (a construct or size the validator
    /// does not handle); the reason is for the log, not the answer.
    NotEvaluated(String),
}

/// Riyadh's offset: a zone-less `IssueDate`/`IssueTime` is KSA local time
/// (XML Implementation Standard, data type "Time"), and the date rules
/// (BR-KSA-04, BR-KSA-98) compare it with "now" [INF].
const RIYADH_SECONDS_EAST: i32 = 3 * 3600;

/// Whether compliance documents go through ZATCA's XSD and business rules.
/// The signature, hash, QR and chain checks run either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RulesCheck {
    #[default]
    Zatca,
    /// For measuring a client apart from the gateway's work, which the real
    /// gateway does on machines of its own: here the rules take about 8 ms of
    /// CPU per document on the same cores as the client (issue 16).
    Skipped,
}

/// [`check_rules`] on one of the rule checkers: a few threads, one per core,
/// that live as long as the process. `fatoora-core` compiles the schemas
/// once per thread (about 130 ms of CPU, kept in a thread-local), so on
/// tokio's blocking pool, whose threads come and go, a batch of 100 units
/// compiled them again and again: half the simulator's CPU. `None` when no
/// checker could answer (one panicked, or none could be started).
pub async fn check_rules_on_checker(xml: Vec<u8>, now_ms: i64) -> Option<RulesVerdict> {
    let (reply, verdict) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = reply.send(check_rules(&xml, now_ms));
    });
    checkers().send(job).ok()?;
    verdict.await.ok()
}

type Job = Box<dyn FnOnce() + Send>;

fn checkers() -> &'static crossbeam_channel::Sender<Job> {
    static CHECKERS: OnceLock<crossbeam_channel::Sender<Job>> = OnceLock::new();
    CHECKERS.get_or_init(|| {
        let (jobs, queue) = crossbeam_channel::unbounded::<Job>();
        let threads = std::thread::available_parallelism().map_or(2, NonZeroUsize::get);
        for index in 0..threads {
            let queue = queue.clone();
            let started = std::thread::Builder::new().name(format!("rules-{index}")).spawn(move || {
                for job in queue {
                    // A panic drops the job's reply (its caller answers 500)
                    // and leaves the thread, with its compiled schemas, for the next.
                    let _ = std::panic::catch_unwind(AssertUnwindSafe(job));
                }
            });
            if let Err(error) = started {
                tracing::error!(%error, "a rule checker thread could not start");
            }
        }
        jobs
    })
}

/// Checks `xml` as ZATCA's validator would at `now_ms` (epoch milliseconds,
/// the simulator's clock, so tests can move it).
pub fn check_rules(xml: &[u8], now_ms: i64) -> RulesVerdict {
    let Ok(xml) = std::str::from_utf8(xml) else { return RulesVerdict::SchemaInvalid(None) };
    let riyadh = FixedOffset::east_opt(RIYADH_SECONDS_EAST).expect("a valid offset");
    let evaluated_at: Option<DateTime<FixedOffset>> = riyadh.timestamp_millis_opt(now_ms).single();
    let options = ZatcaValidationOptions { evaluated_at, previous_invoice_hash: None };
    // Signature, QR and chain come after the rules there and are the
    // simulator's own checks here: a failure in them leaves the rules' result.
    let (report, failure) = match zatca::validate_zatca_invoice_from_str(xml, &Config::default(), &options) {
        Ok(report) => (report, None),
        Err(error) if matches!(error.kind, ZatcaFailureKind::InvalidXml | ZatcaFailureKind::UnsupportedXml) => {
            return RulesVerdict::SchemaInvalid(None);
        }
        Err(error) => (*error.report, Some(error.message)),
    };
    if let Some(first) = stage(&report, ZatcaStage::Xsd).into_iter().flat_map(|s| &s.findings).find(|f| is_error(&f.finding)) {
        return RulesVerdict::SchemaInvalid(Some(schema_detail(&first.finding)));
    }
    if !rules_completed(&report) {
        return RulesVerdict::NotEvaluated(failure.unwrap_or_else(|| "the EN 16931 or KSA rules did not complete".to_owned()));
    }
    let mut findings: Vec<InvoiceFinding> = Vec::new();
    for (rule_stage, category) in [(ZatcaStage::Cen, "EN_16931"), (ZatcaStage::Ksa, "KSA")] {
        for finding in stage(&report, rule_stage).into_iter().flat_map(|s| &s.findings).map(|f| &f.finding) {
            let entry = match finding.severity {
                zatca::Severity::Error => InvoiceFinding::error(&finding.code, category, gateway_message(finding)),
                zatca::Severity::Warning => InvoiceFinding::warning(&finding.code, category, gateway_message(finding)),
            };
            // One entry per rule: a rule failing on six lines is listed once,
            // as every ZATCA example lists each code once (**guess**).
            if !findings.iter().any(|seen| seen.code == entry.code && seen.severity == entry.severity) {
                findings.push(entry);
            }
        }
    }
    RulesVerdict::Checked(findings)
}

fn stage(report: &ZatcaValidationReport, wanted: ZatcaStage) -> Option<&zatca::ZatcaStageReport> {
    report.stages.iter().find(|s| s.stage == wanted)
}

fn rules_completed(report: &ZatcaValidationReport) -> bool {
    [ZatcaStage::Xsd, ZatcaStage::Cen, ZatcaStage::Ksa]
        .into_iter()
        .all(|wanted| stage(report, wanted).is_some_and(|s| s.status == ZatcaStageStatus::Completed))
}

fn is_error(finding: &zatca::ValidationFinding) -> bool {
    finding.severity == zatca::Severity::Error
}

/// `lineNumber: L; columnNumber: C; ` as ZATCA's SAXParseException text
/// starts, when the validator knows them, then its own message.
fn schema_detail(finding: &zatca::ValidationFinding) -> String {
    let mut detail = String::new();
    if let Some(ValidationLocation::Xml { line, column }) = &finding.location {
        detail.push_str(&format!("lineNumber: {line}; "));
        if let Some(column) = column {
            detail.push_str(&format!("columnNumber: {column}; "));
        }
    }
    detail.push_str(finding.message.trim());
    detail
}

/// The schematron's text as the gateway sends it: ZATCA's examples drop a
/// leading `[CODE]-` (BR-26, BR-KSA-06, -09, -14, -37, -51, BR-CO-17) and keep
/// `[CODE] - ` (BR-KSA-98, BR-KSA-F-06-C17, BR-KSA-F-08), with the
/// stylesheet's line breaks as single spaces [INF].
fn gateway_message(finding: &zatca::ValidationFinding) -> String {
    let text = finding.message.trim();
    let text = text.strip_prefix(&format!("[{}]-", finding.code)).unwrap_or(text);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
