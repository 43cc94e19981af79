//! Every answer ZATCA documents or users observed (../shared/zatca/samples/api
//! and samples/api-examples) is read into the expected outcome. A new sample
//! file without a row here fails the test, so the table stays complete.

use std::collections::BTreeMap;
use std::path::Path;

use fatoora_base::reference::zatca_reference_dir_or_skip;
use fatoora_onboarding::catalogue::{self, Endpoint, ErrorCode};
use fatoora_onboarding::client::{read_answer, Answer};

/// (file, HTTP status, endpoint, expected code or "ok").
const TABLE: &[(&str, u16, Endpoint, &str)] = &[
    ("api/01-compliance-200-swagger.json", 200, Endpoint::Compliance, "ok"),
    ("api/01-compliance-400-invalid-csr-observed.json", 400, Endpoint::Compliance, "Invalid-CSR"),
    ("api/01-compliance-400-invalid-otp-observed.json", 400, Endpoint::Compliance, "Invalid-OTP"),
    ("api/01-compliance-400-missing-otp-swagger.json", 400, Endpoint::Compliance, "Missing-OTP"),
    ("api/01-compliance-400-not-compliant-invoice-type-observed-TRUNCATED.txt", 400, Endpoint::Compliance, "NOT_COMPLIANT"),
    ("api/01-compliance-500-invalid-request.json", 500, Endpoint::Compliance, "Invalid-Request"),
    // The status was not shown in the report (SPEC.md 1.5); 400 assumed.
    ("api/01-compliance-not-compliant-template-denied-observed.json", 400, Endpoint::Compliance, "NOT_COMPLIANT/template-denied"),
    ("api/02-compliance-invoices-200-standard-cleared-observed.json", 200, Endpoint::ComplianceInvoices, "ok"),
    ("api/02-compliance-invoices-error-certificate-permissions-observed.json", 400, Endpoint::ComplianceInvoices, "compliance-check-ERROR"),
    // One third-party fixture used 406 (SPEC.md 1.5); the body decides.
    ("api/02-compliance-invoices-submitted-before-UNVERIFIED.json", 406, Endpoint::ComplianceInvoices, "Submitted before"),
    ("api/03-production-csids-200-swagger.json", 200, Endpoint::ProductionCsids, "ok"),
    ("api/03-production-csids-400-missing-compliance-steps-swagger.json", 400, Endpoint::ProductionCsids, "Missing-ComplianceSteps"),
    ("api/03-production-csids-invalid-current-ccsid-observed.json", 400, Endpoint::ProductionCsids, "Invalid-CurrentCCSID"),
    ("api/03-production-csids-missing-compliance-steps-observed.json", 400, Endpoint::ProductionCsids, "Missing-ComplianceSteps"),
    ("api/03-production-csids-missing-qr-steps-observed.json", 400, Endpoint::ProductionCsids, "Missing-ComplianceSteps"),
    // The token is a placeholder in this sample: unreadable, not a crash.
    ("api/04-renewal-patch-200-swagger.json", 200, Endpoint::RenewProductionCsids, "unreadable"),
    ("api/04-renewal-patch-400-missing-otp-swagger.json", 400, Endpoint::RenewProductionCsids, "Missing-OTP"),
    ("api/04-renewal-patch-428-not-compliant-swagger.json", 428, Endpoint::RenewProductionCsids, "unreadable"),
    ("api/05-reporting-200-swagger.json", 200, Endpoint::ComplianceInvoices, "ok"),
    ("api/05-reporting-202-signed-with-compliance-cert-observed.json", 202, Endpoint::ComplianceInvoices, "ok"),
    ("api/05-reporting-202-swagger.json", 202, Endpoint::ComplianceInvoices, "ok"),
    ("api/05-reporting-400-swagger.json", 400, Endpoint::ComplianceInvoices, "compliance-check-ERROR"),
    ("api/05-reporting-409-swagger.json", 409, Endpoint::ComplianceInvoices, "compliance-check-ERROR"),
    ("api/common-401-swagger.json", 401, Endpoint::ProductionCsids, "401"),
    ("api/common-406-swagger.txt", 406, Endpoint::Compliance, "406"),
    ("api/common-500-swagger.json", 500, Endpoint::RenewProductionCsids, "500"),
    ("api/odoo-demo-ccsid-response.json", 200, Endpoint::Compliance, "ok"),
    ("api/odoo-demo-pcsid-response.json", 200, Endpoint::ProductionCsids, "ok"),
    ("api-examples/clearance.02.200-cleared.json", 200, Endpoint::ComplianceInvoices, "ok"),
    ("api-examples/clearance.03.202-Cleared-with-warnings.json", 202, Endpoint::ComplianceInvoices, "ok"),
    ("api-examples/clearance.04.208-Already-Reported-WebDAV-RFC-5842.json", 208, Endpoint::ComplianceInvoices, "ok"),
    ("api-examples/clearance.05.303-example.json", 303, Endpoint::ComplianceInvoices, "303"),
    ("api-examples/clearance.06.400-Invalid-Invoice-Hash.json", 400, Endpoint::ComplianceInvoices, "compliance-check-ERROR"),
    ("api-examples/clearance.07.400-Invalid-Invoice-Hash-Invalid-Base64.json", 400, Endpoint::ComplianceInvoices, "compliance-check-ERROR"),
    ("api-examples/clearance.08.400-Missing-Invoice-Hash.json", 400, Endpoint::ComplianceInvoices, "compliance-check-ERROR"),
    ("api-examples/clearance.09.400-Missing-Invoice.json", 400, Endpoint::ComplianceInvoices, "compliance-check-ERROR"),
    ("api-examples/clearance.10.400-XML-Schema-Error.json", 400, Endpoint::ComplianceInvoices, "compliance-check-ERROR"),
    ("api-examples/clearance.11.400-EN-Rules-Violation.json", 400, Endpoint::ComplianceInvoices, "compliance-check-ERROR"),
    ("api-examples/clearance.12.400-KSA-Rules-Violation.json", 400, Endpoint::ComplianceInvoices, "compliance-check-ERROR"),
    ("api-examples/clearance.13.401-Unauthorized.json", 401, Endpoint::ComplianceInvoices, "401"),
    ("api-examples/clearance.14.500-Internal-Server-Error.json", 500, Endpoint::ComplianceInvoices, "500"),
    ("api-examples/compliance_csid.02.200-example.json", 200, Endpoint::Compliance, "ok"),
    ("api-examples/compliance_csid.03.400-Missing-OTP.json", 400, Endpoint::Compliance, "Missing-OTP"),
    ("api-examples/compliance_csid.04.400-Invalid-OTP.json", 400, Endpoint::Compliance, "Invalid-OTP"),
    ("api-examples/compliance_csid.05.400-Missing-CSR.json", 400, Endpoint::Compliance, "Missing-CSR"),
    ("api-examples/compliance_csid.06.400-Invalid-CSR.json", 400, Endpoint::Compliance, "Invalid-CSR"),
    ("api-examples/compliance_csid.07.500-Internal-Server-Error.json", 500, Endpoint::Compliance, "Invalid-Request"),
    ("api-examples/compliance_invoice.02.200-Reported.json", 200, Endpoint::ComplianceInvoices, "ok"),
    ("api-examples/compliance_invoice.03.400-KSA-Rules-Violation.json", 400, Endpoint::ComplianceInvoices, "compliance-check-ERROR"),
    ("api-examples/compliance_invoice.04.400-Invalid-QR-Code.json", 400, Endpoint::ComplianceInvoices, "Seller-Name"),
    ("api-examples/compliance_invoice.05.400-Missing-QR-Code.json", 400, Endpoint::ComplianceInvoices, "Missing-QR-Code"),
    ("api-examples/compliance_invoice.06.400-Invalid-Signature.json", 400, Endpoint::ComplianceInvoices, "X-509-Issuer-Name"),
    ("api-examples/compliance_invoice.07.400-Missing-Signature.json", 400, Endpoint::ComplianceInvoices, "Missing-Signature"),
    ("api-examples/compliance_invoice.08.400-Invalid-Authentication-Certificate.json", 400, Endpoint::ComplianceInvoices, "Invalid-Authentication-Certificate"),
    ("api-examples/compliance_invoice.09.400-Missing-Authentication-Certificate.json", 400, Endpoint::ComplianceInvoices, "Missing-Authentication-Certificate"),
    ("api-examples/compliance_invoice.10.401-Unauthorized.json", 401, Endpoint::ComplianceInvoices, "401"),
    ("api-examples/compliance_invoice.11.500-Internal-Server-Error.json", 500, Endpoint::ComplianceInvoices, "Invalid-Request"),
    ("api-examples/onboarding.02.200-example.json", 200, Endpoint::ProductionCsids, "ok"),
    ("api-examples/onboarding.03.400-Missing-ComplianceSteps.json", 400, Endpoint::ProductionCsids, "Missing-ComplianceSteps"),
    ("api-examples/onboarding.04.400-Missing-CurrentCCSID.json", 400, Endpoint::ProductionCsids, "Missing-CurrentCCSID"),
    ("api-examples/onboarding.05.400-Invalid-CurrentCCSID.json", 400, Endpoint::ProductionCsids, "Invalid-CurrentCCSID"),
    ("api-examples/onboarding.06.400-Missing-compliance-request-id.json", 400, Endpoint::ProductionCsids, "Invalid-ComplianceRequestId"),
    ("api-examples/onboarding.07.400-Invalid-ComplianceRequest-Id.json", 400, Endpoint::ProductionCsids, "Invalid-ComplianceRequestId"),
    ("api-examples/onboarding.08.401-Unauthorized.json", 401, Endpoint::ProductionCsids, "401"),
    ("api-examples/onboarding.09.500-Internal-Server-Error.json", 500, Endpoint::ProductionCsids, "Invalid-Request"),
    ("api-examples/renewal.02.200-example.json", 200, Endpoint::RenewProductionCsids, "ok"),
    ("api-examples/renewal.03.400-Missing-OTP.json", 400, Endpoint::RenewProductionCsids, "Missing-OTP"),
    ("api-examples/renewal.04.400-Invalid-OTP.json", 400, Endpoint::RenewProductionCsids, "Invalid-OTP"),
    ("api-examples/renewal.05.400-Missing-CSR.json", 400, Endpoint::RenewProductionCsids, "Missing-CSR"),
    ("api-examples/renewal.06.400-Invalid-CSR.json", 400, Endpoint::RenewProductionCsids, "Invalid-CSR"),
    ("api-examples/renewal.07.400-Missing-currentCSID.json", 400, Endpoint::RenewProductionCsids, "Invalid-currentCSID"),
    ("api-examples/renewal.08.400-Invalid-currentCSID.json", 400, Endpoint::RenewProductionCsids, "Invalid-currentCSID"),
    ("api-examples/renewal.09.401-Unauthorized.json", 401, Endpoint::RenewProductionCsids, "401"),
    // The Swagger transcription wraps this one in {"value": …} (samples/README).
    ("api-examples/renewal.10.428-example.json", 428, Endpoint::RenewProductionCsids, "unreadable"),
    ("api-examples/renewal.11.500-Internal-Server-Error.json", 500, Endpoint::RenewProductionCsids, "500"),
    ("api-examples/reporting.02.200-Reported.json", 200, Endpoint::ComplianceInvoices, "ok"),
    ("api-examples/reporting.03.202-Reported.json", 202, Endpoint::ComplianceInvoices, "ok"),
    ("api-examples/reporting.04.400-Invalid-Invoice-Hash.json", 400, Endpoint::ComplianceInvoices, "compliance-check-ERROR"),
    ("api-examples/reporting.05.400-Missing-Invoice-Hash.json", 400, Endpoint::ComplianceInvoices, "compliance-check-ERROR"),
    ("api-examples/reporting.06.400-Missing-Invoice.json", 400, Endpoint::ComplianceInvoices, "compliance-check-ERROR"),
    ("api-examples/reporting.07.400-XML-Schema-Error.json", 400, Endpoint::ComplianceInvoices, "compliance-check-ERROR"),
    ("api-examples/reporting.08.400-EN-Rules-Violation.json", 400, Endpoint::ComplianceInvoices, "compliance-check-ERROR"),
    ("api-examples/reporting.09.400-KSA-Rules-Violation.json", 400, Endpoint::ComplianceInvoices, "compliance-check-ERROR"),
    ("api-examples/reporting.10.400-Invalid-QR-Code.json", 400, Endpoint::ComplianceInvoices, "compliance-check-ERROR"),
    ("api-examples/reporting.11.400-Missing-QR-Code.json", 400, Endpoint::ComplianceInvoices, "compliance-check-ERROR"),
    ("api-examples/reporting.12.400-Invalid-Signature.json", 400, Endpoint::ComplianceInvoices, "compliance-check-ERROR"),
    ("api-examples/reporting.13.401-Unauthorized.json", 401, Endpoint::ComplianceInvoices, "401"),
    ("api-examples/reporting.14.409-Invoice-was-already-Reported-successfully-earlier.json", 409, Endpoint::ComplianceInvoices, "compliance-check-ERROR"),
    ("api-examples/reporting.15.500-Internal-Server-Error.json", 500, Endpoint::ComplianceInvoices, "500"),
];

/// Requests and credentials, not answers.
fn is_request(name: &str) -> bool {
    // The shared sandbox credentials are an input, not an answer.
    name.contains("req-example") || name.contains("-request") || name.ends_with("-auth.json")
}

fn outcome(answer: Answer) -> String {
    match answer {
        Answer::Ok => "ok".into(),
        Answer::Unreadable => "unreadable".into(),
        Answer::Refused(error) => error.code.zatca_code(),
    }
}

#[test]
fn every_sample_answer_reads_as_expected() {
    let Some(reference) = zatca_reference_dir_or_skip("every_sample_answer_reads_as_expected") else { return };
    let samples = reference.join("samples");
    let table: BTreeMap<&str, (u16, Endpoint, &str)> = TABLE.iter().map(|(f, s, e, c)| (*f, (*s, *e, *c))).collect();

    let mut unlisted = Vec::new();
    for folder in ["api", "api-examples"] {
        for entry in std::fs::read_dir(samples.join(folder)).unwrap() {
            let name = format!("{folder}/{}", entry.unwrap().file_name().to_string_lossy());
            if !is_request(&name) && !table.contains_key(name.as_str()) {
                unlisted.push(name);
            }
        }
    }
    assert!(unlisted.is_empty(), "sample answers without an expected outcome: {unlisted:?}");

    let mut wrong = Vec::new();
    for (file, (status, endpoint, expected)) in &table {
        let path = samples.join(file);
        let body = body_of(&path);
        let got = outcome(read_answer(*endpoint, *status, &body));
        if got != *expected {
            wrong.push(format!("{file}: expected {expected}, got {got}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The truncated sample starts with the reporter's "400 Bad Request" line.
fn body_of(path: &Path) -> Vec<u8> {
    let text = std::fs::read(path).unwrap();
    match std::str::from_utf8(&text) {
        Ok(s) if s.starts_with("400 Bad Request") => s.split_once('\n').unwrap().1.as_bytes().to_vec(),
        _ => text,
    }
}

#[test]
fn every_refusal_in_the_samples_is_explained_in_both_languages() {
    let Some(reference) = zatca_reference_dir_or_skip("every_refusal_is_explained") else { return };
    for (file, status, endpoint, _) in TABLE {
        let body = body_of(&reference.join("samples").join(file));
        if let Answer::Refused(error) = read_answer(*endpoint, *status, &body) {
            let explanation = error.explain(*endpoint);
            assert!(!explanation.what_happened.ar.is_empty() && !explanation.next_step.ar.is_empty(), "{file}");
            // The explanation is ours, not ZATCA's raw text.
            assert_ne!(explanation.what_happened.en, error.messages.first().cloned().unwrap_or_default(), "{file}");
        }
    }
    // Code-specific explanations, not a generic fallback, for the ones users meet.
    for (body, code) in [
        (&br#"{"errors":[{"code":"Invalid-OTP","message":"x"}]}"#[..], ErrorCode::InvalidOtp),
        (br#"{"code":"Invalid-CurrentCCSID","message":"x"}"#, ErrorCode::InvalidCurrentCcsid),
    ] {
        assert_eq!(catalogue::parse(400, body).code, code);
    }
}
