//! The onboarding endpoints: POST /compliance, POST and PATCH
//! /production/csids (SPEC.md 1.2–1.8, Appendix A).
//!
//! Helpers return `Result<_, Response>`: every refusal is already the
//! gateway's answer, built once per request, so boxing it buys nothing.
#![allow(clippy::result_large_err)]

use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use serde_json::Value;

use crate::csr_check::{self, CheckedCsr, CsrRejection};
use crate::auth::{GatewayState, authenticate};
use crate::gateway::{Gateway, OtpPurpose, SANDBOX_FIXED_PCSID_VAT, SANDBOX_REQUEST_ID};
use crate::store::{CsidKind, IssuedCsid, NewCsid, OTP_VALIDITY_MS};
use crate::bodies;

/// Every failure the handlers answer is already a gateway response.
type Answer = Result<Response, Response>;

fn finish(answer: Answer) -> Response {
    answer.unwrap_or_else(|response| response)
}

/// `{"field": "..."}` from the body. A body that is not a JSON object, or a
/// field that is absent or null, counts as missing; any other non-string
/// type counts as present but invalid [INF: the real gateway's handling of
/// wrong JSON types is unknown].
enum Field {
    Missing,
    NotText,
    Text(String),
}

fn field(body: &Bytes, name: &str) -> Field {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
        return Field::Missing;
    };
    match map.get(name) {
        None | Some(Value::Null) => Field::Missing,
        Some(Value::String(s)) if s.trim().is_empty() => Field::Missing,
        Some(Value::String(s)) => Field::Text(s.clone()),
        Some(Value::Number(n)) => Field::Text(n.to_string()).only_if(name == "compliance_request_id"),
        Some(_) => Field::NotText,
    }
}

impl Field {
    /// Numbers are accepted where Swagger's example sends a numeric-looking
    /// string; anywhere else they are the wrong type.
    fn only_if(self, allowed: bool) -> Field {
        if allowed { self } else { Field::NotText }
    }
}

fn otp_header(headers: &HeaderMap) -> Option<String> {
    headers.get("otp").and_then(|v| v.to_str().ok()).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// The OTP is valid for this gateway and purpose (VAT is checked once the
/// CSR is read). Returns the code to consume, or `None` in the sandbox,
/// whose fixed codes are never used up.
fn check_otp(state: &GatewayState, otp: &str, purpose: OtpPurpose) -> Result<Option<(String, String)>, Response> {
    if state.gateway == Gateway::Sandbox {
        return if otp == purpose.sandbox_otp() { Ok(None) } else { Err(bodies::invalid_otp()) };
    }
    if otp.len() != 6 || !otp.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bodies::invalid_otp());
    }
    let record = state.shared.store.find_otp(state.gateway, otp).map_err(bodies::internal)?;
    let now = state.shared.clock.now_ms();
    match record {
        Some(r) if !r.used && r.purpose == purpose && now - r.created_ms <= OTP_VALIDITY_MS => {
            Ok(Some((otp.to_owned(), r.vat)))
        }
        _ => Err(bodies::invalid_otp()),
    }
}

fn read_csr(body: &Bytes) -> Result<String, Response> {
    match field(body, "csr") {
        Field::Missing => Err(bodies::missing_csr()),
        Field::NotText => Err(bodies::invalid_csr()),
        Field::Text(csr) => Ok(csr),
    }
}

fn checked_csr(state: &GatewayState, csr: &str) -> Result<CheckedCsr, Response> {
    let checked = csr_check::check(csr).map_err(|rejection| {
        tracing::info!(%rejection, "CSR refused");
        match rejection {
            CsrRejection::Invalid(_) => bodies::invalid_csr(),
            CsrRejection::InvoiceType(value) => bodies::invoice_type_not_compliant(&value),
        }
    })?;
    if !state.gateway.accepts_template(&checked.template, state.shared.core_templates) {
        return Err(bodies::template_denied(&checked.template));
    }
    Ok(checked)
}

fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    STANDARD.encode(bytes)
}

/// base64 of the base64 text of the DER certificate (SPEC.md 1.3).
pub fn token_for(cert_der: &[u8]) -> String {
    STANDARD.encode(STANDARD.encode(cert_der))
}

struct Issued {
    request_id: i64,
    token: String,
    secret: String,
}

/// Signs a `kind` CSID for `csr` and stores it, consuming `otp` in the same
/// transaction.
fn issue(state: &GatewayState, csr: &CheckedCsr, otp: Option<&str>, kind: CsidKind) -> Result<Issued, Response> {
    let shared = &state.shared;
    let now = shared.clock.now();
    let cert_der = match kind {
        CsidKind::Compliance => shared.authorities.issue_compliance(&csr.request, now),
        CsidKind::Production => shared.authorities.issue_production(&csr.request, now),
    }
    .map_err(bodies::internal)?;
    let request_id = if kind == CsidKind::Compliance && state.gateway == Gateway::Sandbox {
        SANDBOX_REQUEST_ID
    } else {
        shared.store.next_request_id(now.timestamp_millis()).map_err(bodies::internal)?
    };
    let issued = Issued { request_id, token: token_for(&cert_der), secret: new_secret() };
    let new = NewCsid {
        gateway: state.gateway,
        kind,
        request_id,
        vat: &csr.vat,
        invoice_types: &csr.invoice_types,
        common_name: &csr.common_name,
        token: &issued.token,
        secret: &issued.secret,
        cert_der: &cert_der,
        issued_at_ms: now.timestamp_millis(),
    };
    match shared.store.consume_otp_and_insert(otp.map(|code| (state.gateway, code)), &new).map_err(bodies::internal)? {
        Some(_) => Ok(issued),
        None => Err(bodies::invalid_otp()),
    }
}

/// POST /compliance: OTP + CSR → compliance CSID.
pub(crate) async fn compliance(State(state): State<GatewayState>, headers: HeaderMap, body: Bytes) -> Response {
    finish(compliance_inner(&state, &headers, &body))
}

fn compliance_inner(state: &GatewayState, headers: &HeaderMap, body: &Bytes) -> Answer {
    let otp = otp_header(headers).ok_or_else(bodies::missing_otp)?;
    let csr = read_csr(body)?;
    let otp = check_otp(state, &otp, OtpPurpose::Onboard)?;
    let checked = checked_csr(state, &csr)?;
    // SecStd: the VAT in the CSR shows whether the OTP belongs to this TIN.
    if otp.as_ref().is_some_and(|(_, vat)| *vat != checked.vat) {
        return Err(bodies::invalid_otp());
    }
    let issued = issue(state, &checked, otp.as_ref().map(|(code, _)| code.as_str()), CsidKind::Compliance)?;
    Ok(bodies::compliance_issued(issued.request_id, &issued.token, &issued.secret))
}

/// The compliance steps a CSID with this functionality map must pass, in
/// the order ZATCA lists them (SPEC.md 3.1).
pub fn required_steps(invoice_types: &str) -> Vec<&'static str> {
    let bytes = invoice_types.as_bytes();
    let mut steps = Vec::new();
    if bytes.first() == Some(&b'1') {
        steps.extend(["standard-compliant", "standard-credit-note-compliant", "standard-debit-note-compliant"]);
    }
    if bytes.get(1) == Some(&b'1') {
        steps.extend(["simplified-compliant", "simplified-credit-note-compliant", "simplified-debit-note-compliant"]);
    }
    steps
}

/// POST /production/csids: compliance CSID (Basic) + its request id → PCSID.
pub(crate) async fn production_csids(State(state): State<GatewayState>, headers: HeaderMap, body: Bytes) -> Response {
    finish(production_csids_inner(&state, &headers, &body))
}

fn production_csids_inner(state: &GatewayState, headers: &HeaderMap, body: &Bytes) -> Answer {
    let ccsid = authenticate(&state.shared, headers)?;
    if ccsid.kind != CsidKind::Compliance {
        return Err(bodies::unauthorized(state.shared.clock.now_ms()));
    }
    if ccsid.gateway != state.gateway {
        return Err(bodies::invalid_current_ccsid());
    }
    let request_id = match field(body, "compliance_request_id") {
        Field::Missing => return Err(bodies::missing_compliance_request_id()),
        Field::NotText => return Err(bodies::invalid_compliance_request_id()),
        Field::Text(id) => id,
    };
    if request_id.trim() != ccsid.request_id.to_string() {
        return Err(bodies::invalid_compliance_request_id());
    }
    if state.gateway.enforces_compliance_gate() {
        let missing: Vec<&str> = required_steps(&ccsid.invoice_types)
            .into_iter()
            .filter(|step| !ccsid.steps_passed.iter().any(|passed| passed == step))
            .collect();
        if !missing.is_empty() {
            return Err(bodies::missing_compliance_steps(&missing));
        }
    }
    let csr = csr_of_certificate(&ccsid)?;
    if state.gateway == Gateway::Sandbox && ccsid.vat == SANDBOX_FIXED_PCSID_VAT {
        return sandbox_fixed_pcsid(state, &csr);
    }
    let issued = issue(state, &csr, None, CsidKind::Production)?;
    Ok(bodies::production_issued(issued.request_id, &issued.token, &issued.secret))
}

/// The sandbox answers one hard-coded PCSID for VAT 399999999900003
/// (SPEC.md 1.8). ZATCA's certificate cannot be shipped, so the simulator
/// issues one the first time and hands the same one (and secret) to everyone
/// after that [INF].
fn sandbox_fixed_pcsid(state: &GatewayState, csr: &CheckedCsr) -> Answer {
    let store = &state.shared.store;
    if let Some((csid, secret)) = store.sandbox_fixed_pcsid(SANDBOX_FIXED_PCSID_VAT).map_err(bodies::internal)? {
        return Ok(bodies::production_issued(csid.request_id, &csid.token, &secret));
    }
    let now = state.shared.clock.now();
    let cert_der = state.shared.authorities.issue_production(&csr.request, now).map_err(bodies::internal)?;
    let request_id = store.next_request_id(now.timestamp_millis()).map_err(bodies::internal)?;
    let token = token_for(&cert_der);
    let secret = new_secret();
    store
        .insert_sandbox_fixed_pcsid(&NewCsid {
            gateway: state.gateway,
            kind: CsidKind::Production,
            request_id,
            vat: &csr.vat,
            invoice_types: &csr.invoice_types,
            common_name: &csr.common_name,
            token: &token,
            secret: &secret,
            cert_der: &cert_der,
            issued_at_ms: now.timestamp_millis(),
        })
        .map_err(bodies::internal)?;
    // A concurrent first request may have won; answer whatever is stored.
    let (csid, secret) = store.sandbox_fixed_pcsid(SANDBOX_FIXED_PCSID_VAT).map_err(bodies::internal)?.ok_or_else(|| bodies::internal("fixed PCSID vanished"))?;
    Ok(bodies::production_issued(csid.request_id, &csid.token, &secret))
}

/// The production CSID copies the compliance CSID's subject, key and SAN.
fn csr_of_certificate(ccsid: &IssuedCsid) -> Result<CheckedCsr, Response> {
    use der::Decode;
    let cert = x509_cert::Certificate::from_der(&ccsid.cert_der).map_err(bodies::internal)?;
    let tbs = cert.tbs_certificate();
    let san = tbs
        .extensions()
        .and_then(|exts| exts.iter().find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME))
        .cloned()
        .ok_or_else(|| bodies::internal("stored CCSID has no SAN"))?;
    Ok(CheckedCsr {
        request: crate::pki::CertificateRequest {
            subject: tbs.subject().clone(),
            spki: tbs.subject_public_key_info().clone(),
            san,
        },
        template: String::new(),
        vat: ccsid.vat.clone(),
        invoice_types: ccsid.invoice_types.clone(),
        common_name: ccsid.common_name.clone(),
    })
}

/// PATCH /production/csids: current PCSID (Basic) + renewal OTP + new CSR.
pub(crate) async fn renew_production_csid(State(state): State<GatewayState>, headers: HeaderMap, body: Bytes) -> Response {
    finish(renew_inner(&state, &headers, &body))
}

fn renew_inner(state: &GatewayState, headers: &HeaderMap, body: &Bytes) -> Answer {
    let pcsid = authenticate(&state.shared, headers)?;
    // A compliance CSID on PATCH gave 401 (forum topic 3034, [V-obs]).
    if pcsid.kind != CsidKind::Production || pcsid.gateway != state.gateway {
        return Err(bodies::unauthorized(state.shared.clock.now_ms()));
    }
    let otp = otp_header(headers).ok_or_else(bodies::missing_otp)?;
    let csr = read_csr(body)?;
    let otp = check_otp(state, &otp, OtpPurpose::Renew)?;
    let checked = checked_csr(state, &csr)?;
    if otp.as_ref().is_some_and(|(_, vat)| *vat != checked.vat) {
        return Err(bodies::invalid_otp());
    }
    let otp_code = otp.as_ref().map(|(code, _)| code.as_str());
    if state.shared.renewal_requires_compliance.load(Ordering::SeqCst) {
        let issued = issue(state, &checked, otp_code, CsidKind::Compliance)?;
        return Ok(bodies::renewal_not_compliant(issued.request_id, &issued.token, &issued.secret));
    }
    let issued = issue(state, &checked, otp_code, CsidKind::Production)?;
    Ok(bodies::production_issued(issued.request_id, &issued.token, &issued.secret))
}
