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
use serde_json::Value;

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

/// A plain-language explanation and the next step, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    pub what_happened: Localized,
    pub next_step: Localized,
    /// Sending the same request again, unchanged, can succeed.
    pub retry_may_help: bool,
}

fn explanation(what_en: &str, what_ar: &str, next_en: &str, next_ar: &str, retry: bool) -> Explanation {
    Explanation {
        what_happened: Localized::new(what_en, what_ar),
        next_step: Localized::new(next_en, next_ar),
        retry_may_help: retry,
    }
}

impl GatewayError {
    /// The catalogue: plain words and a next step for each code, tuned to the
    /// call that failed where the cause differs.
    pub fn explain(&self, endpoint: Endpoint) -> Explanation {
        match &self.code {
            // Without the store's evidence; the flow's callers explain it
            // from the evidence (crate::otp_diagnosis).
            ErrorCode::InvalidOtp => crate::otp_diagnosis::without_evidence(endpoint),
            ErrorCode::MissingOtp => explanation(
                "ZATCA received no OTP with the request.",
                "لم تتلق الهيئة رمز التحقق مع الطلب.",
                "Enter the 6-digit OTP again. If it keeps happening, a proxy may be removing the OTP header: run the network diagnostics.",
                "أدخل رمز التحقق المكوّن من 6 أرقام مرة أخرى. إذا تكرر ذلك فقد يكون خادم وكيل يحذف ترويسة OTP: شغّل تشخيص الاتصال.",
                false,
            ),
            ErrorCode::InvalidCsr | ErrorCode::MissingCsr => explanation(
                "ZATCA rejected the certificate signing request (CSR) as invalid.",
                "رفضت الهيئة طلب توقيع الشهادة (CSR) لأنه غير صالح.",
                "Open the unit, fix what the CSR check reports, create a new CSR and use a new OTP (the old one may be spent).",
                "افتح الوحدة وأصلح ما يُظهره فحص طلب توقيع الشهادة، ثم أنشئ طلبًا جديدًا واستخدم رمز تحقق جديدًا (فقد يكون الرمز السابق مستخدمًا).",
                false,
            ),
            ErrorCode::MissingComplianceSteps(steps) => {
                let list = if steps.is_empty() { String::new() } else { format!(" Missing: {}.", steps.join(", ")) };
                let list_ar = if steps.is_empty() { String::new() } else { format!(" الناقصة: {}.", steps.join("، ")) };
                Explanation {
                    what_happened: Localized::new(
                        format!("ZATCA will not issue the production CSID yet: not every compliance check for this unit's invoice types has passed under this compliance CSID.{list}"),
                        format!("لن تصدر الهيئة معرّف الختم التشفيري للإنتاج بعد: لم تنجح كل فحوصات الامتثال لأنواع فواتير هذه الوحدة بمعرّف الامتثال الحالي.{list_ar}"),
                    ),
                    next_step: Localized::new(
                        "Run the compliance checks again (only the missing ones are sent), then request the production CSID.",
                        "أعد تشغيل فحوصات الامتثال (تُرسل الناقصة فقط)، ثم اطلب معرّف الختم التشفيري للإنتاج.",
                    ),
                    retry_may_help: false,
                }
            }
            ErrorCode::InvalidCurrentCcsid | ErrorCode::MissingCurrentCcsid => explanation(
                "ZATCA did not recognise the compliance CSID sent with the request. This happens when a compliance CSID from another environment (for example simulation) is used after switching to production, or when it was replaced by a newer one.",
                "لم تتعرف الهيئة على معرّف الختم التشفيري للامتثال المرسل مع الطلب. يحدث هذا عند استخدام معرّف امتثال من بيئة أخرى (مثل المحاكاة) بعد الانتقال إلى الإنتاج، أو عند استبداله بمعرّف أحدث.",
                "Start onboarding for this environment again with a new OTP; the compliance CSID of one environment cannot be used in another.",
                "ابدأ الربط لهذه البيئة من جديد برمز تحقق جديد؛ لا يصلح معرّف الامتثال من بيئة في بيئة أخرى.",
                false,
            ),
            ErrorCode::InvalidCurrentCsid => explanation(
                "ZATCA did not accept the current production CSID sent for renewal.",
                "لم تقبل الهيئة معرّف الختم التشفيري للإنتاج الحالي المرسل للتجديد.",
                "Check that the unit's production CSID was issued in this environment and has not been revoked; if it was, onboard the unit again.",
                "تأكد من أن معرّف الإنتاج الحالي للوحدة صادر في هذه البيئة ولم يُبطل؛ وإن كان قد أُبطل فأعد ربط الوحدة.",
                false,
            ),
            ErrorCode::InvalidComplianceRequestId => explanation(
                "ZATCA did not recognise the compliance request ID sent to obtain the production CSID.",
                "لم تتعرف الهيئة على معرّف طلب الامتثال المرسل للحصول على معرّف الإنتاج.",
                "Start onboarding again with a new OTP to get a fresh compliance CSID.",
                "ابدأ الربط من جديد برمز تحقق جديد للحصول على معرّف امتثال جديد.",
                false,
            ),
            ErrorCode::InvalidRequest => explanation(
                "ZATCA failed to process the request (\"Invalid-Request\"). In simulation this is usually a CSR made for another environment (the wrong certificate template); otherwise it is a fault on ZATCA's side.",
                "تعذر على الهيئة معالجة الطلب («Invalid-Request»). في بيئة المحاكاة يكون السبب عادة طلب توقيع شهادة أُنشئ لبيئة أخرى (قالب شهادة خاطئ)؛ وإلا فهو عطل لدى الهيئة.",
                "Check that the CSR was made for this environment. If it was, try again later; if it persists, send the support message to ZATCA.",
                "تأكد من أن طلب توقيع الشهادة أُنشئ لهذه البيئة. إن كان كذلك فأعد المحاولة لاحقًا، وإذا استمر الخطأ فأرسل رسالة الدعم إلى الهيئة.",
                true,
            ),
            ErrorCode::TemplateDenied(template) => {
                let named = template.as_deref().map(|t| format!(" ({t})")).unwrap_or_default();
                Explanation {
                    what_happened: Localized::new(
                        format!("ZATCA's certificate authority refused the CSR because its certificate template{named} belongs to another environment."),
                        format!("رفضت جهة إصدار الشهادات لدى الهيئة طلب توقيع الشهادة لأن قالب الشهادة فيه{named} يخص بيئة أخرى."),
                    ),
                    next_step: Localized::new(
                        "Create a new CSR for this environment (production: ZATCA-Code-Signing, simulation: PREZATCA-Code-Signing) and use a new OTP.",
                        "أنشئ طلب توقيع شهادة جديدًا لهذه البيئة (الإنتاج: ZATCA-Code-Signing، المحاكاة: PREZATCA-Code-Signing) واستخدم رمز تحقق جديدًا.",
                    ),
                    retry_may_help: false,
                }
            }
            ErrorCode::NotCompliant => explanation(
                "ZATCA answered NOT_COMPLIANT: it would not issue a certificate for this CSR.",
                "ردّت الهيئة بأن الطلب غير ممتثل (NOT_COMPLIANT): لن تصدر شهادة لطلب توقيع الشهادة هذا.",
                "Read ZATCA's message below (often the invoice types in the CSR), create a corrected CSR and use a new OTP.",
                "اقرأ رسالة الهيئة أدناه (غالبًا بسبب أنواع الفواتير في الطلب)، ثم أنشئ طلبًا مصححًا واستخدم رمز تحقق جديدًا.",
                false,
            ),
            ErrorCode::DocumentRejected(rules) => Explanation {
                what_happened: Localized::new(
                    format!("ZATCA rejected the sample document in the compliance check (rules: {}).", rules.join(", ")),
                    format!("رفضت الهيئة المستند التجريبي في فحص الامتثال (القواعد: {}).", rules.join("، ")),
                ),
                next_step: Localized::new(
                    "This is a fault in the sample document, not in your data: send the support message to the app's maintainers.",
                    "هذا خلل في المستند التجريبي وليس في بياناتك: أرسل رسالة الدعم إلى مطوّري التطبيق.",
                ),
                retry_may_help: false,
            },
            ErrorCode::SubmittedBefore => explanation(
                "ZATCA says this compliance check was already passed with this compliance CSID.",
                "تفيد الهيئة بأن فحص الامتثال هذا اجتيز من قبل بمعرّف الامتثال نفسه.",
                "Nothing to do: the step counts as passed.",
                "لا شيء مطلوب: تُحتسب الخطوة ناجحة.",
                false,
            ),
            ErrorCode::Unauthorized => explanation(
                "ZATCA refused the certificate and secret sent with the request (HTTP 401). Typical causes: a compliance CSID used where the production CSID is needed (renewal), or credentials from another environment.",
                "رفضت الهيئة الشهادة والرمز السري المرسلين مع الطلب (HTTP 401). الأسباب المعتادة: استخدام معرّف الامتثال حيث يلزم معرّف الإنتاج (في التجديد)، أو بيانات اعتماد من بيئة أخرى.",
                "Check that the unit was onboarded in this environment. If it was, send the support message to ZATCA.",
                "تأكد من أن الوحدة رُبطت في هذه البيئة. إن كانت كذلك فأرسل رسالة الدعم إلى الهيئة.",
                false,
            ),
            ErrorCode::EndpointNotAuthorized => explanation(
                "ZATCA says these credentials may not use this service.",
                "تفيد الهيئة بأن بيانات الاعتماد هذه غير مصرّح لها باستخدام هذه الخدمة.",
                "Check that the environment is right and that the unit's CSIDs were issued there; then send the support message to ZATCA.",
                "تأكد من صحة البيئة ومن أن معرّفات الوحدة صادرة فيها، ثم أرسل رسالة الدعم إلى الهيئة.",
                false,
            ),
            ErrorCode::UnsupportedVersion => explanation(
                "ZATCA refused the API version header (HTTP 406). The app always sends V2, so something between you and ZATCA changed the request.",
                "رفضت الهيئة ترويسة إصدار الواجهة (HTTP 406). يرسل التطبيق دائمًا V2، لذا فهناك ما يعدّل الطلب بينك وبين الهيئة.",
                "Run the network diagnostics and check the proxy settings.",
                "شغّل تشخيص الاتصال وراجع إعدادات الخادم الوكيل.",
                false,
            ),
            ErrorCode::TooManyRequests => explanation(
                "ZATCA is limiting the number of requests (HTTP 429).",
                "تحد الهيئة من عدد الطلبات (HTTP 429).",
                "Wait a few minutes and try again; the app resumes where it stopped.",
                "انتظر بضع دقائق ثم أعد المحاولة؛ يستأنف التطبيق من حيث توقف.",
                true,
            ),
            ErrorCode::ServerError(status) => Explanation {
                what_happened: Localized::new(
                    format!("ZATCA's gateway had an internal problem (HTTP {status})."),
                    format!("حدث خلل داخلي في بوابة الهيئة (HTTP {status})."),
                ),
                next_step: Localized::new(
                    "Try again later; the app resumes where it stopped. If it persists, send the support message to ZATCA.",
                    "أعد المحاولة لاحقًا؛ يستأنف التطبيق من حيث توقف. وإذا استمر الخطأ فأرسل رسالة الدعم إلى الهيئة.",
                ),
                retry_may_help: true,
            },
            ErrorCode::NotFromGateway => Explanation {
                what_happened: Localized::new(
                    format!("The answer (HTTP {}) did not come from ZATCA's service: something in between (a proxy, firewall or web filter) answered instead.", self.status),
                    format!("الرد (HTTP {}) لم يأت من خدمة الهيئة: رد بدلا منها جهاز وسيط (خادم وكيل أو جدار حماية أو مرشّح ويب).", self.status),
                ),
                next_step: Localized::new(
                    "Run the network diagnostics and show the report to whoever manages your network.",
                    "شغّل تشخيص الاتصال واعرض التقرير على مسؤول الشبكة لديك.",
                ),
                retry_may_help: true,
            },
            ErrorCode::Other(code) => Explanation {
                what_happened: Localized::new(
                    format!("ZATCA refused the request with code \"{code}\" (HTTP {}).", self.status),
                    format!("رفضت الهيئة الطلب بالرمز «{code}» (HTTP {}).", self.status),
                ),
                next_step: Localized::new(
                    "Read ZATCA's message below; if it is unclear, send the support message to ZATCA.",
                    "اقرأ رسالة الهيئة أدناه؛ وإن لم تكن واضحة فأرسل رسالة الدعم إلى الهيئة.",
                ),
                retry_may_help: false,
            },
        }
    }
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
