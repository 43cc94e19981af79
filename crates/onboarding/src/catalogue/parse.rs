//! Reading the gateway's error bodies, in every envelope it (or a proxy in
//! front of it) sends, into one [`GatewayError`].

use serde_json::Value;

use super::{BodyShape, ErrorCode, GatewayError};

/// Long enough for the longest observed message (the template denial),
/// short enough that a proxy's HTML page does not flood the journal.
pub const MAX_MESSAGE_CHARS: usize = 400;

fn clip(text: &str) -> String {
    let trimmed = text.trim();
    match trimmed.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &trimmed[..cut]),
        None => trimmed.to_owned(),
    }
}

fn str_field<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// Reads any error body the gateway (or something in front of it) can send.
/// Never fails: an unknown body becomes [`ErrorCode::NotFromGateway`] or
/// [`ErrorCode::Other`], keyed on the HTTP status when nothing better exists.
pub fn parse(status: u16, body: &[u8]) -> GatewayError {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    let mut error = match serde_json::from_str::<Value>(trimmed) {
        Ok(json @ Value::Object(_)) => parse_json(status, &json),
        _ => parse_text(status, trimmed),
    };
    // A status the body did not explain still says something precise.
    if matches!(error.code, ErrorCode::NotFromGateway | ErrorCode::Other(_))
        && let Some(by_status) = code_for_status(status)
        && (error.codes.is_empty() || by_status == ErrorCode::Unauthorized)
    {
        error.code = by_status;
    }
    error
}

fn code_for_status(status: u16) -> Option<ErrorCode> {
    match status {
        401 => Some(ErrorCode::Unauthorized),
        406 => Some(ErrorCode::UnsupportedVersion),
        429 => Some(ErrorCode::TooManyRequests),
        500..=599 => Some(ErrorCode::ServerError(status)),
        _ => None,
    }
}

fn parse_json(status: u16, json: &Value) -> GatewayError {
    let mut out = GatewayError {
        status,
        code: ErrorCode::Other(status.to_string()),
        codes: Vec::new(),
        messages: Vec::new(),
        shape: BodyShape::UnknownJson,
    };

    // NOT_COMPLIANT: `errors` are plain strings (SPEC.md 1.5).
    if str_field(json, "dispositionMessage") == Some("NOT_COMPLIANT") {
        out.shape = BodyShape::NotCompliant;
        out.messages = strings(json.get("errors"));
        out.code = not_compliant_code(&out.messages.join(" "));
        out.codes.push(out.code.zatca_code());
        return out;
    }

    // `errors[]` of objects (Swagger 400s; also the compliance-invoice
    // variants that add `category`).
    if let Some(items) = json.get("errors").and_then(Value::as_array) {
        let objects: Vec<&Value> = items.iter().filter(|v| v.is_object()).collect();
        if !objects.is_empty() {
            out.shape = BodyShape::ErrorsArray;
            for item in objects {
                let message = str_field(item, "message").unwrap_or_default();
                if let Some(code) = str_field(item, "code") {
                    out.codes.push(code.to_owned());
                    if out.codes.len() == 1 {
                        out.code = ErrorCode::from_zatca(code, message);
                    }
                }
                out.messages.push(clip(message));
            }
            return out;
        }
    }

    // `errorCode` + `errorCategory` + `errorMessage` (Invalid-CSR, observed).
    if let Some(category) = str_field(json, "errorCategory") {
        out.shape = BodyShape::ErrorCodeEnvelope;
        let message = str_field(json, "errorMessage").unwrap_or_default();
        out.code = ErrorCode::from_zatca(category, message);
        out.codes.push(category.to_owned());
        out.messages.push(clip(message));
        return out;
    }

    // `validationResults` (compliance checks, and the same shape on errors).
    if let Some(results) = json.get("validationResults") {
        out.shape = BodyShape::ValidationResults;
        let errors = results.get("errorMessages").and_then(Value::as_array).cloned().unwrap_or_default();
        let mut rules = Vec::new();
        for item in &errors {
            let message = str_field(item, "message").unwrap_or_default();
            let code = str_field(item, "code").map(str::to_owned);
            out.messages.push(clip(message));
            if let Some(code) = code {
                out.codes.push(code.clone());
                rules.push(code);
            }
        }
        let already = errors.iter().any(|item| {
            str_field(item, "code") == Some("Submitted before")
                || str_field(item, "message").is_some_and(|m| m.contains("already completed"))
        });
        out.code = if already {
            ErrorCode::SubmittedBefore
        } else if !errors.is_empty() {
            ErrorCode::DocumentRejected(rules)
        } else {
            code_for_status(status).unwrap_or_else(|| ErrorCode::Other(status.to_string()))
        };
        return out;
    }

    // Spring's default error body: {"timestamp","status","error","message"}.
    if json.get("timestamp").is_some() && json.get("error").is_some() {
        out.shape = BodyShape::Spring;
        let error = str_field(json, "error").unwrap_or_default();
        out.messages.push(clip(error));
        out.code = code_for_status(status).unwrap_or_else(|| ErrorCode::Other(error.to_owned()));
        out.codes.push(out.code.zatca_code());
        return out;
    }

    // Top-level `code` + `message`, optionally with `category` (the live
    // Missing-ComplianceSteps, Invalid-CurrentCCSID, Invalid-Request and the
    // "HTTP-Errors" 500).
    if let Some(code) = json.get("code").and_then(|c| c.as_str().map(str::to_owned).or_else(|| c.as_u64().map(|n| n.to_string()))) {
        out.shape = BodyShape::TopLevelCode;
        let message = str_field(json, "message").unwrap_or_default();
        out.messages.push(clip(message));
        out.codes.push(code.clone());
        out.code = if str_field(json, "category") == Some("HTTP-Errors") {
            code.parse::<u16>().ok().and_then(code_for_status).unwrap_or(ErrorCode::ServerError(status))
        } else {
            ErrorCode::from_zatca(&code, message)
        };
        return out;
    }

    if let Some(message) = str_field(json, "message") {
        out.messages.push(clip(message));
        if is_endpoint_refusal(message) {
            out.code = ErrorCode::EndpointNotAuthorized;
            out.codes.push(out.code.zatca_code());
        }
    }
    out
}

fn not_compliant_code(text: &str) -> ErrorCode {
    if text.contains("Denied by Policy Module") || text.contains("certificate template") {
        let template = text
            .rsplit("policy:")
            .next()
            .filter(|_| text.contains("policy:"))
            .map(|rest| rest.trim().trim_end_matches(['.', '\r', '\n']).trim().to_owned())
            .filter(|t| !t.is_empty());
        ErrorCode::TemplateDenied(template)
    } else {
        ErrorCode::NotCompliant
    }
}

fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(clip).collect(),
        Some(Value::String(s)) => vec![clip(s)],
        _ => Vec::new(),
    }
}

fn is_endpoint_refusal(text: &str) -> bool {
    text.contains("not authorized to use this api endpoint")
}

fn parse_text(status: u16, text: &str) -> GatewayError {
    let mut out = GatewayError {
        status,
        code: ErrorCode::NotFromGateway,
        codes: Vec::new(),
        messages: Vec::new(),
        shape: BodyShape::PlainText,
    };
    if text.is_empty() {
        out.shape = BodyShape::Empty;
        return out;
    }
    let lower = text.to_ascii_lowercase();
    if lower.starts_with("<!doctype") || lower.starts_with("<html") || lower.contains("<body") {
        out.shape = BodyShape::Html;
        // The page title says which box answered ("Request Rejected",
        // "Bad Gateway"): worth keeping for the support message.
        if let (Some(start), Some(end)) = (lower.find("<title>"), lower.find("</title>"))
            && start + 7 <= end
        {
            out.messages.push(clip(&text[start + 7..end]));
        }
        return out;
    }
    out.messages.push(clip(text));
    if text.contains("This Version is not supported") {
        out.code = ErrorCode::UnsupportedVersion;
        out.codes.push(out.code.zatca_code());
    } else if is_endpoint_refusal(text) {
        out.code = ErrorCode::EndpointNotAuthorized;
        out.codes.push(out.code.zatca_code());
    } else if text.contains("\"dispositionMessage\":\"NOT_COMPLIANT\"") {
        // [INF] A body cut short by a proxy or client (SPEC.md 1.5, the
        // truncated invoice-type sample) is still recognisable.
        out.shape = BodyShape::NotCompliant;
        out.code = not_compliant_code(text);
        out.codes.push(out.code.zatca_code());
    } else if let Some(code) = quoted_code(text) {
        out.code = ErrorCode::from_zatca(&code, text);
        out.codes.push(code);
    }
    out
}

/// `"code":"X"` inside a body that is not valid JSON.
fn quoted_code(text: &str) -> Option<String> {
    let at = text.find("\"code\"")?;
    let rest = text[at + 6..].trim_start().strip_prefix(':')?.trim_start().strip_prefix('"')?;
    let end = rest.find('"')?;
    Some(rest[..end].to_owned()).filter(|c| !c.is_empty())
}
