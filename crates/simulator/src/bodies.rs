//! The gateway's response bodies, byte for byte where ZATCA or a live
//! observation shows them (samples/api, samples/api-examples). The gateway
//! has no single error envelope (SPEC.md 1.5), so each shape is its own
//! function named after the documented case.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

pub const TOKEN_TYPE: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3";

pub fn json_response(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// `{"errors":[{"code","message"}]}` (Swagger).
fn errors(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(status, json!({ "errors": [ { "code": code, "message": message } ] }))
}

/// Top-level `{"code","message"}` (seen live).
fn code_message(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(status, json!({ "code": code, "message": message }))
}

/// 406, plain text (Swagger, common-406-swagger.txt).
pub fn unsupported_version() -> Response {
    let mut response = (StatusCode::NOT_ACCEPTABLE, "This Version is not supported or not provided in the header.")
        .into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain;charset=UTF-8"));
    response
}

/// 401, Spring Security's shape (common-401-swagger.json) with the current time.
pub fn unauthorized(now_ms: i64) -> Response {
    json_response(
        StatusCode::UNAUTHORIZED,
        json!({ "timestamp": now_ms, "status": 401, "error": "Unauthorized", "message": "" }),
    )
}

pub fn missing_otp() -> Response {
    errors(StatusCode::BAD_REQUEST, "Missing-OTP", "OTP is required field")
}

pub fn invalid_otp() -> Response {
    errors(StatusCode::BAD_REQUEST, "Invalid-OTP", "The provided OTP is invalid")
}

pub fn missing_csr() -> Response {
    errors(StatusCode::BAD_REQUEST, "Missing-CSR", "CSR is required field")
}

/// The envelope seen live (01-compliance-400-invalid-csr-observed.json),
/// not the Swagger one: live answers are what clients meet.
pub fn invalid_csr() -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        json!({
            "errorCode": "400",
            "errorCategory": "Invalid-CSR",
            "errorMessage": "The provided Certificate Signing Request (CSR) is invalid."
        }),
    )
}

/// The AD CS policy refusal (01-compliance-not-compliant-template-denied-observed.json).
/// The status was not shown in the source; 400 is a guess [INF].
pub fn template_denied(template: &str) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        json!({
            "requestID": -2,
            "tokenType": null,
            "dispositionMessage": "NOT_COMPLIANT",
            "binarySecurityToken": null,
            "errors": [format!(
                "unable to submit and sign the csr in zatca side, caused : Denied by Policy Module 0x80094800, The request was for a certificate template that is not supported by the Active Directory Certificate Services policy: {template}.\r\n"
            )]
        }),
    )
}

/// Shape from 01-compliance-400-not-compliant-invoice-type-observed-TRUNCATED.txt;
/// the message was cut in the source, so its wording here is a guess [INF].
pub fn invoice_type_not_compliant(value: &str) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        json!({
            "requestID": -1,
            "dispositionMessage": "NOT_COMPLIANT",
            "binarySecurityToken": "",
            "secret": "",
            "errors": [format!("Invoice type is not valid: {value}")]
        }),
    )
}

/// 500 `Invalid-Request` (01-compliance-500-invalid-request.json).
pub fn invalid_request() -> Response {
    code_message(StatusCode::INTERNAL_SERVER_ERROR, "Invalid-Request", "System failed to process your request")
}

/// A failure inside the simulator: logged, and answered as the gateway's 500.
pub fn internal(error: impl std::fmt::Display) -> Response {
    tracing::error!(%error, "simulator internal failure");
    invalid_request()
}

/// 200 ISSUED from POST /compliance, as in Odoo's stored live response
/// (odoo-demo-ccsid-response.json: the Swagger fields plus `errors: null`).
pub fn compliance_issued(request_id: i64, token: &str, secret: &str) -> Response {
    json_response(
        StatusCode::OK,
        json!({
            "requestID": request_id,
            "dispositionMessage": "ISSUED",
            "binarySecurityToken": token,
            "secret": secret,
            "errors": null
        }),
    )
}

/// 200 ISSUED from POST or PATCH /production/csids (odoo-demo-pcsid-response.json,
/// 04-renewal-patch-200-swagger.json).
pub fn production_issued(request_id: i64, token: &str, secret: &str) -> Response {
    json_response(
        StatusCode::OK,
        json!({
            "requestID": request_id,
            "tokenType": TOKEN_TYPE,
            "dispositionMessage": "ISSUED",
            "binarySecurityToken": token,
            "secret": secret
        }),
    )
}

/// 428 from PATCH: a renewed compliance CSID to run the checks with
/// (04-renewal-patch-428-not-compliant-swagger.json).
pub fn renewal_not_compliant(request_id: i64, token: &str, secret: &str) -> Response {
    json_response(
        StatusCode::PRECONDITION_REQUIRED,
        json!({
            "requestID": request_id,
            "tokenType": null,
            "dispositionMessage": "NOT_COMPLIANT",
            "binarySecurityToken": token,
            "secret": secret,
            "errors": null
        }),
    )
}

/// The live shape that lists the missing steps
/// (03-production-csids-missing-compliance-steps-observed.json).
pub fn missing_compliance_steps(steps: &[&str]) -> Response {
    code_message(
        StatusCode::BAD_REQUEST,
        "Missing-ComplianceSteps",
        &format!(
            "The compliance certificate is not done with the following compliance steps yet [{}]",
            steps.join(",")
        ),
    )
}

/// 03-production-csids-invalid-current-ccsid-observed.json. Status not shown
/// in the source; 400 is a guess [INF].
pub fn invalid_current_ccsid() -> Response {
    code_message(StatusCode::BAD_REQUEST, "Invalid-CurrentCCSID", "The provided CurrentCCSID is invalid")
}

/// onboarding.06 (Swagger documents).
pub fn missing_compliance_request_id() -> Response {
    errors(StatusCode::BAD_REQUEST, "Missing-compliance_request_id", "compliance_request_id is a required header")
}

/// onboarding.07 (Swagger documents).
pub fn invalid_compliance_request_id() -> Response {
    errors(StatusCode::BAD_REQUEST, "Invalid-ComplianceRequestId", "The provided compliance_request_id is invalid")
}

// ------------------------------------------------------------ faults

/// Modelled on the documented `HTTP-Errors` 500 body (common-500-swagger.json);
/// the real 429 body is unknown [INF].
pub fn too_many_requests() -> Response {
    json_response(
        StatusCode::TOO_MANY_REQUESTS,
        json!({ "category": "HTTP-Errors", "code": "429", "message": "Too Many Requests" }),
    )
}

/// What a load balancer in front of the gateway would send; the real bodies
/// are unknown [INF].
pub fn html_status(status: StatusCode) -> Response {
    let reason = status.canonical_reason().unwrap_or("Error");
    let code = status.as_u16();
    let page = format!("<html><head><title>{code} {reason}</title></head><body><h1>{code} {reason}</h1></body></html>");
    let mut response = (status, page).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    response
}
