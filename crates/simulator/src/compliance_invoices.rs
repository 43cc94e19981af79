//! POST /compliance/invoices: a compliance CSID sends one signed document;
//! the schema, the EN 16931 and KSA rules (rules.rs) and the gateway's own
//! integrity checks (invoice_check.rs) decide, and a pass records its step.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::bodies;
use crate::findings::{InvoiceFinding, Severity, schema_error, schema_invalid};
use crate::auth::{GatewayState, authenticate};
use crate::invoice_check::verify_invoice;
use crate::rules::{RulesCheck, RulesVerdict, check_rules_on_checker};
use crate::store::CsidKind;

fn xsd_valid() -> Value {
    json!({
        "type": "INFO",
        "code": "XSD_ZATCA_VALID",
        "category": "XSD validation",
        "message": "Complied with UBL 2.1 standards in line with ZATCA specifications",
        "status": "PASS"
    })
}

/// The compliance-check answer (02-compliance-invoices-*.json): standard
/// documents get `clearanceStatus`, simplified ones `reportingStatus`.
fn answer(simplified: bool, info: Vec<Value>, warnings: Vec<Value>, errors: Vec<Value>) -> Response {
    let status = if !errors.is_empty() {
        "ERROR"
    } else if !warnings.is_empty() {
        "WARNING"
    } else {
        "PASS"
    };
    let passed = status != "ERROR";
    let (reporting, clearance) = match (simplified, passed) {
        (true, true) => (json!("REPORTED"), Value::Null),
        (true, false) => (json!("NOT_REPORTED"), Value::Null),
        (false, true) => (Value::Null, json!("CLEARED")),
        (false, false) => (Value::Null, json!("NOT_CLEARED")),
    };
    let http = match status {
        "PASS" => StatusCode::OK,
        "WARNING" => StatusCode::ACCEPTED,
        _ => StatusCode::BAD_REQUEST,
    };
    bodies::json_response(
        http,
        json!({
            "validationResults": {
                "infoMessages": info,
                "warningMessages": warnings,
                "errorMessages": errors,
                "status": status
            },
            "reportingStatus": reporting,
            "clearanceStatus": clearance,
            "qrSellertStatus": null,
            "qrBuyertStatus": null
        }),
    )
}

fn body_error(code: &'static str, category: &'static str, message: &str) -> Response {
    answer(false, vec![], vec![], vec![InvoiceFinding::error(code, category, message).to_json()])
}

pub async fn compliance_invoices(State(state): State<GatewayState>, headers: HeaderMap, body: Bytes) -> Response {
    let ccsid = match authenticate(&state.shared, &headers) {
        Ok(csid) if csid.kind == CsidKind::Compliance && csid.gateway == state.gateway => csid,
        Ok(_) => return bodies::unauthorized(state.shared.clock.now_ms()),
        Err(response) => return response,
    };
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let Some(invoice) = request.get("invoice").and_then(Value::as_str).and_then(|s| STANDARD.decode(s.trim()).ok()) else {
        let finding = schema_invalid();
        return answer(false, vec![], vec![], vec![finding.to_json()]);
    };
    let Some(stated_hash) = request.get("invoiceHash").and_then(Value::as_str).filter(|s| !s.trim().is_empty()) else {
        return body_error("InvoiceHash-Errors", "Invalid-InvoiceHash", "Document hash is not present in the API body");
    };
    if STANDARD.decode(stated_hash.trim()).map(|h| h.len()) != Ok(32) {
        return body_error("InvoiceHash-Errors", "Invalid-InvoiceHash", "Document hash format in the API body is not valid");
    }

    // The rules take milliseconds of CPU: off the async workers.
    let now = state.shared.clock.now_ms();
    let verdict = match state.shared.rules {
        RulesCheck::Zatca => match check_rules_on_checker(invoice.clone(), now).await {
            Some(verdict) => verdict,
            None => return bodies::internal("the rule checker did not answer"),
        },
        RulesCheck::Skipped => RulesVerdict::Checked(vec![]),
    };
    let rule_findings = match verdict {
        // ZATCA answers a schema error alone: no INFO entry and none of the
        // later checks (api-examples reporting.07, clearance.10) [V-ZATCA];
        // the same on /compliance/invoices [INF].
        RulesVerdict::SchemaInvalid(detail) => {
            let simplified = verify_invoice(&invoice, None).facts.is_some_and(|facts| facts.simplified);
            let finding = detail.as_deref().map_or_else(schema_invalid, schema_error);
            return answer(simplified, vec![], vec![], vec![finding.to_json()]);
        }
        // The gateway's answer when it fails to process a request (500
        // Invalid-Request); for a document the validator cannot evaluate,
        // rather than a pass nobody checked (**guess**).
        RulesVerdict::NotEvaluated(reason) => return bodies::internal(format!("rules not evaluated: {reason}")),
        RulesVerdict::Checked(findings) => findings,
    };
    let report = verify_invoice(&invoice, Some(&ccsid.cert_der));
    let Some(facts) = &report.facts else {
        let errors = report.findings.iter().map(InvoiceFinding::to_json).collect();
        return answer(false, vec![], vec![], errors);
    };
    let mut findings = rule_findings;
    if stated_hash.trim() != facts.invoice_hash {
        findings.push(InvoiceFinding::error(
            "invalid-invoice-hash",
            "INVOICE_HASHING_ERRORS",
            "The invoice hash API body does not match the (calculated) Hash of the XML",
        ));
    }
    for finding in report.findings {
        // The simulator's BR-KSA-05 for a type no step takes, unless the rule already said it.
        if !findings.iter().any(|seen| seen.code == finding.code && seen.severity == finding.severity) {
            findings.push(finding);
        }
    }
    let of = |severity: Severity| -> Vec<Value> {
        findings.iter().filter(|f| f.severity == severity).map(InvoiceFinding::to_json).collect()
    };
    let (errors, warnings) = (of(Severity::Error), of(Severity::Warning));
    let Some(step) = facts.step().filter(|_| errors.is_empty()) else {
        return answer(facts.simplified, vec![xsd_valid()], warnings, errors);
    };
    match state.shared.store.record_step(ccsid.id, step, now) {
        Ok(true) => answer(facts.simplified, vec![xsd_valid()], warnings, vec![]),
        // 02-compliance-invoices-submitted-before-UNVERIFIED.json [3P]; HTTP status unknown, 400 [INF].
        Ok(false) => {
            let kind = if facts.simplified { "SIMPLIFIED" } else { "STANDARD" };
            let finding = json!({
                "type": "ERROR",
                "code": "Submitted before",
                "category": "Compliance-Check",
                "message": format!("Compliance check already completed for {kind}."),
                "status": "ERROR"
            });
            // The sample's shape (reportingStatus NOT_REPORTED) for both kinds.
            answer(true, vec![], vec![], vec![finding])
        }
        Err(error) => bodies::internal(format!("recording a compliance step failed: {error}")),
    }
}
