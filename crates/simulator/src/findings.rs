//! One entry of a compliance check's `validationResults`, as ZATCA's API
//! examples show it (samples/api-examples, 02-compliance-invoices-*.json):
//! `{"type","code","category","message","status"}`.

use serde::Serialize;
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoiceFinding {
    pub severity: Severity,
    /// A rule id (`BR-KSA-84`) or one of the gateway's own codes.
    pub code: String,
    pub category: &'static str,
    pub message: String,
}

impl InvoiceFinding {
    pub(crate) fn error(code: impl Into<String>, category: &'static str, message: impl Into<String>) -> Self {
        Self { severity: Severity::Error, code: code.into(), category, message: message.into() }
    }

    pub(crate) fn warning(code: impl Into<String>, category: &'static str, message: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, code: code.into(), category, message: message.into() }
    }

    pub(crate) fn to_json(&self) -> Value {
        let (kind, status) = match self.severity {
            Severity::Error => ("ERROR", "ERROR"),
            Severity::Warning => ("WARNING", "WARNING"),
        };
        json!({ "type": kind, "code": self.code, "category": self.category, "message": self.message, "status": status })
    }
}

const SCHEMA_INVALID: &str =
    "Schema validation failed; XML does not comply with UBL 2.1 standards in line with ZATCA specifications";

/// ZATCA's schema failure without a detail, as for bytes that are no XML
/// ("Missing Invoice", api-examples clearance.09).
pub(crate) fn schema_invalid() -> InvoiceFinding {
    InvoiceFinding::error("XSD_ZATCA_INVALID", "XSD validation", SCHEMA_INVALID)
}

/// ZATCA's body (api-examples reporting.07, clearance.10) appends Java's
/// SAXParseException text after "ERROR:"; here the Rust validator's wording
/// of the same first error follows instead [INF].
pub(crate) fn schema_error(detail: &str) -> InvoiceFinding {
    InvoiceFinding::error("XSD_ZATCA_INVALID", "XSD validation", format!("{SCHEMA_INVALID}. ERROR: {detail}"))
}
