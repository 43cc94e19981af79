//! Reading the gateway's answers: a CSID (compliance, production,
//! renewal), a compliance check's result, or a refusal in ZATCA's error
//! shapes, with the request id kept for support.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde_json::Value;
use zeroize::Zeroizing;

use super::{CallError, ComplianceCheck, Credentials, Exchange, IssuedCsid};
use crate::catalogue::{self, Endpoint, GatewayError};

/// How an answer reads, without the transport: what the table tests over
/// ZATCA's sample bodies check.
#[derive(Debug)]
pub enum Answer {
    Ok,
    Unreadable,
    Refused(GatewayError),
}

pub fn read_answer(endpoint: Endpoint, status: u16, body: &[u8]) -> Answer {
    let result = if !is_answer(status) {
        Err(CallError::Gateway(catalogue::parse(status, body)))
    } else {
        match endpoint {
            Endpoint::Compliance | Endpoint::ProductionCsids => issued_csid(status, body, false).map(drop),
            Endpoint::RenewProductionCsids => issued_csid(status, body, status == 428).map(drop),
            Endpoint::ComplianceInvoices => compliance_check(status, body).map(drop),
        }
    };
    match result {
        Ok(()) => Answer::Ok,
        Err(CallError::Gateway(error)) => Answer::Refused(error),
        Err(_) => Answer::Unreadable,
    }
}

/// Success statuses for the onboarding calls; 428 is renewal's "renewed
/// but checks required", which carries a CSID.
fn is_answer(status: u16) -> bool {
    (200..300).contains(&status) || status == 428
}

pub(super) fn finish<T>(
    exchange: Exchange<(u16, HeaderMap, Zeroizing<Vec<u8>>)>,
    read: impl FnOnce(u16, &[u8]) -> Result<T, CallError>,
) -> Exchange<T> {
    let mut record = exchange.record;
    let result = exchange.result.and_then(|(status, headers, body)| {
        record.request_id = header_request_id(&headers).or_else(|| body_request_id(&body));
        if is_answer(status) {
            read(status, &body)
        } else {
            Err(CallError::Gateway(catalogue::parse(status, &body)))
        }
    });
    if let Err(CallError::Gateway(error)) = &result {
        record.zatca_codes = if error.codes.is_empty() { vec![error.code.zatca_code()] } else { error.codes.clone() };
    }
    Exchange { record, result }
}

/// [INF] ZATCA documents no request-ID header; these are the usual names of
/// API gateways and load balancers, kept when present for support tickets.
fn header_request_id(headers: &HeaderMap) -> Option<String> {
    ["x-request-id", "x-correlation-id", "x-global-transaction-id"]
        .iter()
        .find_map(|name| headers.get(*name)?.to_str().ok().map(str::to_owned))
}

fn body_request_id(body: &[u8]) -> Option<String> {
    let json: Value = serde_json::from_slice(body).ok()?;
    match json.get("requestID")? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CsidBody {
    #[serde(rename = "requestID")]
    request_id: Option<Value>,
    disposition_message: Option<String>,
    binary_security_token: Option<String>,
    secret: Option<String>,
}

/// Reads a CSID answer. `NOT_COMPLIANT` with no certificate is a refusal
/// whatever the status (zatca-kit reports it with 200 [3P]); with 428 and a
/// certificate it is renewal's renewed CCSID.
pub(super) fn issued_csid(status: u16, body: &[u8], renewed_ccsid: bool) -> Result<IssuedCsid, CallError> {
    let unreadable = |detail: &str| CallError::UnreadableAnswer { status, detail: detail.to_owned() };
    let parsed: CsidBody = serde_json::from_slice(body).map_err(|e| unreadable(&e.to_string()))?;
    let token = parsed.binary_security_token.filter(|t| !t.trim().is_empty());
    let not_compliant = parsed.disposition_message.as_deref() == Some("NOT_COMPLIANT");
    let token = match token {
        Some(token) if !not_compliant || renewed_ccsid => token,
        _ if not_compliant => return Err(CallError::Gateway(catalogue::parse(status, body))),
        _ => return Err(unreadable("no binarySecurityToken")),
    };
    let secret = parsed.secret.filter(|s| !s.is_empty()).ok_or_else(|| unreadable("no secret"))?;
    let request_id = match parsed.request_id {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s,
        _ => return Err(unreadable("no requestID")),
    };
    let certificate_pem = certificate_pem_from_token(&token).ok_or_else(|| unreadable("binarySecurityToken is not base64"))?;
    Ok(IssuedCsid { request_id, credentials: Credentials::new(token, secret), certificate_pem })
}

/// `binarySecurityToken` = base64(base64(DER)); decoding once gives the PEM
/// body, whose trailing CRLF (renewal sample) is trimmed (SPEC.md 1.3).
pub fn certificate_pem_from_token(token: &str) -> Option<String> {
    let inner = BASE64.decode(token.trim()).ok()?;
    let inner = String::from_utf8(inner).ok()?;
    let inner: String = inner.split_whitespace().collect();
    BASE64.decode(&inner).ok()?;
    let lines: Vec<&str> = inner.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).expect("base64 is ASCII")).collect();
    Some(format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", lines.join("\n")))
}

/// Reads an accepted compliance check. The validation status lives in
/// `validationResults.status`; one ZATCA example puts it at the top level
/// (api-examples compliance_invoice.02), so both are read.
pub(super) fn compliance_check(status: u16, body: &[u8]) -> Result<ComplianceCheck, CallError> {
    let json: Value = serde_json::from_slice(body)
        .map_err(|e| CallError::UnreadableAnswer { status, detail: e.to_string() })?;
    let results = json.get("validationResults");
    let validation = results
        .and_then(|r| r.get("status"))
        .or_else(|| json.get("status"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let text = |key: &str| json.get(key).and_then(Value::as_str).map(str::to_owned);
    match validation.as_str() {
        "PASS" | "WARNING" => {
            let warnings = results
                .and_then(|r| r.get("warningMessages"))
                .or_else(|| json.get("warningMessages"))
                .and_then(Value::as_array)
                .map(|items| items.iter().filter_map(|i| i.get("code")?.as_str().map(str::to_owned)).collect())
                .unwrap_or_default();
            Ok(ComplianceCheck {
                status: validation,
                warnings,
                reporting_status: text("reportingStatus"),
                clearance_status: text("clearanceStatus"),
            })
        }
        _ => Err(CallError::Gateway(catalogue::parse(status, body))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_compliant_with_200_is_a_refusal() {
        let body = br#"{"requestID":-1,"dispositionMessage":"NOT_COMPLIANT","binarySecurityToken":"","secret":"","errors":["Invoice type is bad"]}"#;
        let error = issued_csid(200, body, false).unwrap_err();
        assert_eq!(error.gateway().unwrap().code, catalogue::ErrorCode::NotCompliant);
    }
}
