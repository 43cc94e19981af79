//! Everything FATOORA can answer "no" with, read into one typed error and
//! explained in plain English and Arabic.
//!
//! The gateway has no single error envelope (SPEC.md 1.5): `errors[]` of
//! objects, the `errorCode/errorCategory/errorMessage` envelope, a top-level
//! `code/message`, `NOT_COMPLIANT` with `errors` as plain strings, Spring's
//! 401, a plain-text 406, `validationResults` on compliance checks, and
//! whatever a proxy or WAF in between sends (HTML, nothing at all). [`parse`]
//! accepts all of them; [`GatewayError::explain`] looks the code up in a
//! catalogue keyed on ZATCA's codes.

use std::fmt;

use fatoora_base::Localized;
use serde::Serialize;

mod explain;
pub mod otp;
mod parse;

pub use explain::Explanation;

/// ZATCA's support contact as shown in its own apps («الدعم الفني - 19993»).
pub const ZATCA_SUPPORT_PHONE: &str = "19993";
pub use parse::{MAX_MESSAGE_CHARS, parse};

/// The four onboarding calls (SPEC.md 1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Endpoint {
    /// `POST /compliance`: the compliance CSID.
    Compliance,
    /// `POST /compliance/invoices`: one compliance check.
    ComplianceInvoices,
    /// `POST /production/csids`: the production CSID.
    ProductionCsids,
    /// `PATCH /production/csids`: renewal.
    RenewProductionCsids,
}

impl Endpoint {
    pub const ALL: [Endpoint; 4] = [
        Endpoint::Compliance,
        Endpoint::ComplianceInvoices,
        Endpoint::ProductionCsids,
        Endpoint::RenewProductionCsids,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Compliance => "/compliance",
            Endpoint::ComplianceInvoices => "/compliance/invoices",
            Endpoint::ProductionCsids | Endpoint::RenewProductionCsids => "/production/csids",
        }
    }

    pub fn method(self) -> &'static str {
        match self {
            Endpoint::RenewProductionCsids => "PATCH",
            _ => "POST",
        }
    }

    /// Stable id used in the journal.
    pub fn id(self) -> &'static str {
        match self {
            Endpoint::Compliance => "compliance",
            Endpoint::ComplianceInvoices => "compliance-invoices",
            Endpoint::ProductionCsids => "production-csids",
            Endpoint::RenewProductionCsids => "renew-production-csids",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.id() == id)
    }

    /// Whether the call spends an OTP.
    pub fn sends_otp(self) -> bool {
        matches!(self, Endpoint::Compliance | Endpoint::RenewProductionCsids)
    }

    pub fn label(self) -> Localized {
        match self {
            Endpoint::Compliance => Localized::new(
                "request the compliance CSID",
                "طلب معرّف الختم التشفيري للامتثال (CCSID)",
            ),
            Endpoint::ComplianceInvoices => Localized::new("compliance check", "فحص الامتثال"),
            Endpoint::ProductionCsids => Localized::new(
                "request the production CSID",
                "طلب معرّف الختم التشفيري للإنتاج (PCSID)",
            ),
            Endpoint::RenewProductionCsids => Localized::new(
                "renew the production CSID",
                "تجديد معرّف الختم التشفيري للإنتاج (PCSID)",
            ),
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method(), self.path())
    }
}

/// What the gateway meant, keyed on ZATCA's own codes where it sent one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "detail", rename_all = "kebab-case")]
pub enum ErrorCode {
    InvalidOtp,
    MissingOtp,
    InvalidCsr,
    MissingCsr,
    /// `Missing-ComplianceSteps`, with the step names when the live body
    /// lists them.
    MissingComplianceSteps(Vec<String>),
    InvalidCurrentCcsid,
    MissingCurrentCcsid,
    /// Renewal's `Invalid-currentCSID` / `Missing-currentCSID`.
    InvalidCurrentCsid,
    InvalidComplianceRequestId,
    /// `Invalid-Request` "System failed to process your request" (HTTP 500),
    /// seen when the CSR template does not fit the environment.
    InvalidRequest,
    /// `NOT_COMPLIANT` "Denied by Policy Module …": the CA refused the CSR's
    /// certificate template. Carries the template named in the message.
    TemplateDenied(Option<String>),
    /// `NOT_COMPLIANT` for any other reason (e.g. a bad invoice type in the CSR).
    NotCompliant,
    /// The compliance check ran and the document failed (validationResults
    /// ERROR), with the failing rule codes.
    DocumentRejected(Vec<String>),
    /// "Compliance check already completed for …": ZATCA already counts this
    /// step as passed. [3P] several integrators treat this as success.
    SubmittedBefore,
    /// HTTP 401: the Basic credentials were refused.
    Unauthorized,
    /// "You are not authorized to use this api endpoint" (SPEC.md 1.5).
    EndpointNotAuthorized,
    /// HTTP 406: `Accept-Version` was not `V2`.
    UnsupportedVersion,
    /// HTTP 429.
    TooManyRequests,
    /// HTTP 5xx other than `Invalid-Request`.
    ServerError(u16),
    /// Something that is not FATOORA's JSON: an HTML page or an empty body,
    /// typically from a proxy, firewall or WAF in between.
    NotFromGateway,
    /// A ZATCA code this catalogue does not know yet; shown verbatim.
    Other(String),
}

impl ErrorCode {
    /// The code as ZATCA spells it (or the HTTP status when it sent none);
    /// what the journal and the support message record.
    pub fn zatca_code(&self) -> String {
        match self {
            ErrorCode::InvalidOtp => "Invalid-OTP".into(),
            ErrorCode::MissingOtp => "Missing-OTP".into(),
            ErrorCode::InvalidCsr => "Invalid-CSR".into(),
            ErrorCode::MissingCsr => "Missing-CSR".into(),
            ErrorCode::MissingComplianceSteps(_) => "Missing-ComplianceSteps".into(),
            ErrorCode::InvalidCurrentCcsid => "Invalid-CurrentCCSID".into(),
            ErrorCode::MissingCurrentCcsid => "Missing-CurrentCCSID".into(),
            ErrorCode::InvalidCurrentCsid => "Invalid-currentCSID".into(),
            ErrorCode::InvalidComplianceRequestId => "Invalid-ComplianceRequestId".into(),
            ErrorCode::InvalidRequest => "Invalid-Request".into(),
            ErrorCode::TemplateDenied(_) => "NOT_COMPLIANT/template-denied".into(),
            ErrorCode::NotCompliant => "NOT_COMPLIANT".into(),
            ErrorCode::DocumentRejected(_) => "compliance-check-ERROR".into(),
            ErrorCode::SubmittedBefore => "Submitted before".into(),
            ErrorCode::Unauthorized => "401".into(),
            ErrorCode::EndpointNotAuthorized => "not-authorized-endpoint".into(),
            ErrorCode::UnsupportedVersion => "406".into(),
            ErrorCode::TooManyRequests => "429".into(),
            ErrorCode::ServerError(status) => status.to_string(),
            ErrorCode::NotFromGateway => "not-from-gateway".into(),
            ErrorCode::Other(code) => code.clone(),
        }
    }

    fn from_zatca(code: &str, message: &str) -> Self {
        match code.trim() {
            "Invalid-OTP" => ErrorCode::InvalidOtp,
            "Missing-OTP" => ErrorCode::MissingOtp,
            "Invalid-CSR" => ErrorCode::InvalidCsr,
            "Missing-CSR" => ErrorCode::MissingCsr,
            "Missing-ComplianceSteps" => ErrorCode::MissingComplianceSteps(listed_steps(message)),
            "Invalid-CurrentCCSID" => ErrorCode::InvalidCurrentCcsid,
            "Missing-CurrentCCSID" => ErrorCode::MissingCurrentCcsid,
            "Invalid-currentCSID" | "Missing-currentCSID" => ErrorCode::InvalidCurrentCsid,
            "Invalid-ComplianceRequestId" | "Missing-compliance_request_id" => {
                ErrorCode::InvalidComplianceRequestId
            }
            "Invalid-Request" => ErrorCode::InvalidRequest,
            "Submitted before" => ErrorCode::SubmittedBefore,
            other => ErrorCode::Other(other.to_owned()),
        }
    }
}

/// The step names inside "… compliance steps yet [a,b,c]" (SPEC.md 1.5, live body).
fn listed_steps(message: &str) -> Vec<String> {
    let Some(open) = message.find('[') else { return Vec::new() };
    let Some(close) = message[open..].find(']') else { return Vec::new() };
    message[open + 1..open + close]
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Which of the gateway's envelopes the body came in; recorded so that a new
/// shape in the wild shows up in the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BodyShape {
    ErrorsArray,
    ErrorCodeEnvelope,
    TopLevelCode,
    NotCompliant,
    ValidationResults,
    Spring,
    PlainText,
    Html,
    Empty,
    UnknownJson,
}

/// One refusal from the gateway (an HTTP answer that is not success).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayError {
    pub status: u16,
    pub code: ErrorCode,
    /// Every ZATCA code in the body, in order (the journal keeps them all).
    pub codes: Vec<String>,
    /// ZATCA's own texts, at most [`MAX_MESSAGE_CHARS`] each. These are
    /// gateway-authored and never contain what we sent.
    pub messages: Vec<String>,
    pub shape: BodyShape,
}

impl fmt::Display for GatewayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FATOORA answered HTTP {} ({})", self.status, self.code.zatca_code())?;
        if let Some(first) = self.messages.first().filter(|m| !m.is_empty()) {
            write!(f, ": {first}")?;
        }
        Ok(())
    }
}

impl std::error::Error for GatewayError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_read_from_the_live_message() {
        let body = br#"{"code":"Missing-ComplianceSteps","message":"The compliance certificate is not done with the following compliance steps yet [standard-credit-note-compliant,simplified-compliant]"}"#;
        let error = parse(400, body);
        assert_eq!(
            error.code,
            ErrorCode::MissingComplianceSteps(vec!["standard-credit-note-compliant".into(), "simplified-compliant".into()])
        );
        assert!(error.explain(Endpoint::ProductionCsids).what_happened.en.contains("simplified-compliant"));
    }

    #[test]
    fn template_is_named_from_the_policy_message() {
        let body = br#"{"requestID":-2,"dispositionMessage":"NOT_COMPLIANT","errors":["unable to submit and sign the csr in zatca side, caused : Denied by Policy Module 0x80094800, The request was for a certificate template that is not supported by the Active Directory Certificate Services policy: PREZATCA-Code-Signing.\r\n"]}"#;
        assert_eq!(parse(400, body).code, ErrorCode::TemplateDenied(Some("PREZATCA-Code-Signing".into())));
    }

    #[test]
    fn proxy_pages_and_empty_bodies_are_not_blamed_on_zatca() {
        let html = parse(403, b"<html><head><title>Request Rejected</title></head><body>The requested URL was rejected.</body></html>");
        assert_eq!((html.code.clone(), html.shape), (ErrorCode::NotFromGateway, BodyShape::Html));
        assert_eq!(html.messages, vec!["Request Rejected".to_owned()]);
        assert_eq!(parse(502, b"").code, ErrorCode::ServerError(502));
        assert_eq!(parse(429, b"").code, ErrorCode::TooManyRequests);
        assert_eq!(parse(403, b"").shape, BodyShape::Empty);
    }

    #[test]
    fn every_code_has_both_languages() {
        let codes = [
            ErrorCode::InvalidOtp, ErrorCode::MissingOtp, ErrorCode::InvalidCsr, ErrorCode::MissingCsr,
            ErrorCode::MissingComplianceSteps(vec![]), ErrorCode::InvalidCurrentCcsid, ErrorCode::MissingCurrentCcsid,
            ErrorCode::InvalidCurrentCsid, ErrorCode::InvalidComplianceRequestId, ErrorCode::InvalidRequest,
            ErrorCode::TemplateDenied(None), ErrorCode::NotCompliant, ErrorCode::DocumentRejected(vec!["BR-1".into()]),
            ErrorCode::SubmittedBefore, ErrorCode::Unauthorized, ErrorCode::EndpointNotAuthorized,
            ErrorCode::UnsupportedVersion, ErrorCode::TooManyRequests, ErrorCode::ServerError(503),
            ErrorCode::NotFromGateway, ErrorCode::Other("X".into()),
        ];
        for code in codes {
            let error = GatewayError { status: 400, code: code.clone(), codes: vec![], messages: vec![], shape: BodyShape::Empty };
            for endpoint in Endpoint::ALL {
                let e = error.explain(endpoint);
                for text in [&e.what_happened, &e.next_step] {
                    assert!(!text.en.is_empty() && !text.ar.is_empty(), "{code:?}");
                    assert!(text.ar.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)), "{code:?} has no Arabic");
                }
            }
        }
    }
}
