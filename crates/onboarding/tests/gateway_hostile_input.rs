//! Hostile answers from a FATOORA gateway, or from whatever sits in front of
//! it (a proxy's HTML, a truncated body, a forged token). The invariants are
//! the fuzz targets' (fuzz/fuzz_targets/gateway_answer.rs,
//! token_certificate.rs), run here in CI over single-byte corruptions and
//! truncations spread evenly over each answer ZATCA documents, for each call:
//! no panic, ZATCA's texts clipped, and every refusal explained in English and
//! Arabic. (Deterministic rather than random, as this crate has no proptest;
//! the fuzz target covers every byte.)

use fatoora_base::Localized;
use fatoora_base::reference::zatca_reference_dir_or_skip;
use fatoora_onboarding::catalogue::{self, Endpoint, GatewayError, MAX_MESSAGE_CHARS};
use fatoora_onboarding::client::{Answer, certificate_pem_from_token, read_answer};
use fatoora_onboarding::flow::not_after;

fn assert_explained(message: &Localized, context: &str) {
    assert!(!message.en.trim().is_empty() && !message.ar.trim().is_empty(), "{context}: unexplained");
}

fn check_refusal(error: &GatewayError, endpoint: Endpoint, context: &str) {
    for message in &error.messages {
        assert!(message.chars().count() <= MAX_MESSAGE_CHARS + 1, "{context}: message not clipped");
    }
    let explanation = error.explain(endpoint);
    assert_explained(&explanation.what_happened, context);
    assert_explained(&explanation.next_step, context);
}

/// Everything the client does with an answer body, for one status.
fn read_everything(status: u16, body: &[u8], context: &str) {
    let refusal = catalogue::parse(status, body);
    for endpoint in Endpoint::ALL {
        check_refusal(&refusal, endpoint, context);
        if let Answer::Refused(error) = read_answer(endpoint, status, body) {
            check_refusal(&error, endpoint, context);
        }
    }
}

/// Corruptions spread over a body: up to `PER_BODY` positions, evenly
/// spaced, each set to a byte that matters to JSON or UTF-8 and each also
/// the end of a truncated copy.
const PER_BODY: usize = 128;

fn corruptions(body: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    let step = body.len().div_ceil(PER_BODY).max(1);
    (0..body.len()).step_by(step).flat_map(move |at| {
        let mut damaged = body.to_vec();
        damaged[at] = [b'"', b'}', 0xff, b'\\'][at % 4];
        [damaged, body[..at].to_vec()]
    })
}

#[test]
fn every_corruption_of_every_sample_answer_is_read_without_panic() {
    let Some(reference) = zatca_reference_dir_or_skip("every_corruption_of_every_sample_answer") else { return };
    let mut bodies = 0;
    for folder in ["api", "api-examples"] {
        for entry in std::fs::read_dir(reference.join("samples").join(folder)).unwrap() {
            let path = entry.unwrap().path();
            if path.to_string_lossy().contains("req") {
                continue; // what we send, not what we read
            }
            let body = std::fs::read(&path).unwrap();
            bodies += 1;
            for (index, damaged) in corruptions(&body).enumerate() {
                // A success status sends the body to the CSID/check readers,
                // an error status to the catalogue; alternate between them.
                let status = if index % 2 == 0 { 200 } else { 400 };
                read_everything(status, &damaged, &path.display().to_string());
            }
        }
    }
    assert!(bodies >= 30, "only {bodies} sample answers found");
}

#[test]
fn crafted_answers_are_read_without_panic_and_clipped() {
    let long = "ز".repeat(100_000);
    let crafted: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"\xef\xbb\xbf{}".to_vec(),
        "[".repeat(100_000).into_bytes(),
        format!(r#"{{"errors":[{{"code":"Invalid-OTP","message":"{long}"}}]}}"#).into_bytes(),
        format!(r#"{{"errorCode":"400","errorCategory":"{long}","errorMessage":"{long}"}}"#).into_bytes(),
        format!(r#"{{"validationResults":{{"status":"ERROR","errorMessages":[{}]}}}}"#, vec![r#"{"code":"x","message":"y"}"#; 10_000].join(",")).into_bytes(),
        format!("<html><body>{}</body></html>", "<b>proxy</b>".repeat(20_000)).into_bytes(),
        br#"{"requestID":1e999,"dispositionMessage":"ISSUED","binarySecurityToken":"%%%","secret":"s"}"#.to_vec(),
        br#"{"requestID":"1","dispositionMessage":"ISSUED","binarySecurityToken":"TUlJ","secret":"s"}"#.to_vec(),
        br#"{"requestID":{"a":[1,2]},"binarySecurityToken":["x"],"secret":null,"errors":"not a list"}"#.to_vec(),
        vec![0u8; 4096],
    ];
    for body in &crafted {
        for status in [0, 100, 200, 201, 202, 204, 301, 400, 401, 403, 404, 406, 409, 413, 428, 429, 500, 502, 503, 504, 599, 999, u16::MAX] {
            read_everything(status, body, &format!("crafted body of {} bytes, status {status}", body.len()));
        }
    }
}

#[test]
fn forged_tokens_are_refused_or_read_without_panic() {
    let Some(reference) = zatca_reference_dir_or_skip("forged_tokens") else { return };
    let mut tokens = Vec::new();
    for folder in ["api", "api-examples"] {
        for entry in std::fs::read_dir(reference.join("samples").join(folder)).unwrap() {
            let body = std::fs::read(entry.unwrap().path()).unwrap();
            if let Ok(serde_json::Value::Object(json)) = serde_json::from_slice(&body)
                && let Some(serde_json::Value::String(token)) = json.get("binarySecurityToken")
            {
                tokens.push(token.clone());
            }
        }
    }
    assert!(!tokens.is_empty(), "no binarySecurityToken in the samples");
    for token in tokens {
        for damaged in corruptions(token.as_bytes()) {
            let damaged = String::from_utf8_lossy(&damaged);
            if let Some(pem) = certificate_pem_from_token(&damaged) {
                let _ = not_after(&pem);
            }
            let _ = not_after(&damaged);
        }
    }
}
