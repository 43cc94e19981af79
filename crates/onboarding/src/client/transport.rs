//! Sending one onboarding call: the headers (the OTP and the CSID secret
//! marked sensitive), the retry of requests that never left this machine,
//! the answer's body read up to its cap, and a transport failure turned
//! into what it means for the OTP (did the request reach the gateway?).

use std::time::Instant;

use chrono::Utc;
use fatoora_base::input::{CappedBuffer, InputError};
use fatoora_base::values::Otp;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::Value;
use zeroize::Zeroizing;

use super::{CallError, CallRecord, Credentials, Exchange, FatooraClient, GATEWAY_ANSWER, MAX_ATTEMPTS, Reach, TransportFailure};
use crate::catalogue::Endpoint;

impl FatooraClient {
    fn headers(&self, otp: Option<&Otp>, credentials: Option<&Credentials>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("Accept-Version", HeaderValue::from_static("V2"));
        headers.insert("Accept-Language", HeaderValue::from_static(self.options.language.code()));
        headers.insert("Accept", HeaderValue::from_static("application/json"));
        headers.insert("Content-Type", HeaderValue::from_static("application/json"));
        if let Some(otp) = otp {
            let mut value = HeaderValue::from_str(otp.expose()).expect("an Otp is 6 ASCII digits");
            value.set_sensitive(true);
            headers.insert("OTP", value);
        }
        if let Some(credentials) = credentials {
            headers.insert(reqwest::header::AUTHORIZATION, credentials.basic_header());
        }
        headers
    }

    pub(super) async fn send(
        &self,
        endpoint: Endpoint,
        otp: Option<&Otp>,
        credentials: Option<&Credentials>,
        body: &Value,
    ) -> Exchange<(u16, HeaderMap, Zeroizing<Vec<u8>>)> {
        let url = self.url(endpoint);
        let method = if endpoint == Endpoint::RenewProductionCsids { reqwest::Method::PATCH } else { reqwest::Method::POST };
        let started_at = Utc::now();
        let clock = Instant::now();
        let payload = serde_json::to_vec(body).expect("JSON values serialise");
        let mut attempts = 0;
        let result = loop {
            attempts += 1;
            let response = self
                .http
                .request(method.clone(), &url)
                .headers(self.headers(otp, credentials))
                .body(payload.clone())
                .send()
                .await;
            let outcome = match response {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let headers = response.headers().clone();
                    match read_body(response).await {
                        Ok(bytes) => Ok((status, headers, bytes)),
                        Err(BodyError::TooLarge) => Err(CallError::AnswerTooLarge { status, limit: GATEWAY_ANSWER.bytes }),
                        // The status line arrived, so the gateway has the request.
                        Err(BodyError::Transport(error)) => Err(transport_error(&error, true)),
                    }
                }
                Err(error) => Err(transport_error(&error, false)),
            };
            match outcome {
                Err(CallError::Transport { reach: Reach::NotSent, .. }) if attempts < MAX_ATTEMPTS => {
                    tracing::info!(endpoint = endpoint.id(), attempts, "request not sent; retrying");
                    tokio::time::sleep(self.options.retry_pause).await;
                }
                other => break other,
            }
        };
        let (status, failure, reach) = match &result {
            Ok((status, _, _)) | Err(CallError::AnswerTooLarge { status, .. }) => (Some(*status), None, Reach::Answered),
            Err(CallError::Transport { failure, reach, .. }) => (None, Some(*failure), *reach),
            Err(_) => (None, None, Reach::Answered),
        };
        let record = CallRecord {
            environment: self.environment,
            endpoint,
            url,
            started_at,
            duration_ms: clock.elapsed().as_millis().try_into().unwrap_or(u64::MAX),
            attempts,
            status,
            zatca_codes: Vec::new(),
            request_id: None,
            reach,
            failure,
        };
        tracing::info!(endpoint = endpoint.id(), status = ?record.status, reach = ?record.reach, ms = record.duration_ms, "FATOORA call");
        Exchange { record, result }
    }
}

enum BodyError {
    TooLarge,
    Transport(reqwest::Error),
}

/// The body, up to [`GATEWAY_ANSWER`]: a declared length over the cap is
/// refused before any of it is read, an undeclared one as it passes the cap.
/// Zeroized when dropped, since a CSID answer carries the secret.
async fn read_body(mut response: reqwest::Response) -> Result<Zeroizing<Vec<u8>>, BodyError> {
    if response.content_length().is_some_and(|length| GATEWAY_ANSWER.check(length, None).is_err()) {
        return Err(BodyError::TooLarge);
    }
    let mut body = CappedBuffer::new(GATEWAY_ANSWER);
    while let Some(piece) = response.chunk().await.map_err(BodyError::Transport)? {
        body.extend(&piece).map_err(|_: InputError| BodyError::TooLarge)?;
    }
    Ok(Zeroizing::new(body.into_bytes()))
}

fn transport_error(error: &reqwest::Error, answer_started: bool) -> CallError {
    let chain = error_chain(error);
    let lower = chain.to_ascii_lowercase();
    let (failure, reach) = if answer_started {
        let failure = if error.is_timeout() { TransportFailure::Timeout } else { TransportFailure::ConnectionReset };
        (failure, Reach::MayHaveReached)
    } else if error.is_connect() {
        // reqwest reports DNS, TCP and TLS set-up as "connect": no byte of
        // the request has been written yet.
        let failure = if lower.contains("dns") || lower.contains("lookup") || lower.contains("resolve") || lower.contains("name or service") {
            TransportFailure::Dns
        } else if lower.contains("refused") {
            TransportFailure::ConnectionRefused
        } else if error.is_timeout() || lower.contains("timed out") {
            TransportFailure::ConnectTimeout
        } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
            TransportFailure::Tls
        } else {
            TransportFailure::Other
        };
        (failure, Reach::NotSent)
    } else if error.is_timeout() {
        (TransportFailure::Timeout, Reach::MayHaveReached)
    } else {
        (TransportFailure::ConnectionReset, Reach::MayHaveReached)
    };
    CallError::Transport { failure, reach, detail: chain }
}

/// reqwest's message plus its causes ("error sending request" alone says
/// nothing). The URL is stripped: it is already in the record.
fn error_chain(error: &reqwest::Error) -> String {
    let mut parts = vec![error.without_url_ref().to_string()];
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.contains(&text) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

trait WithoutUrl {
    fn without_url_ref(&self) -> String;
}

impl WithoutUrl for reqwest::Error {
    fn without_url_ref(&self) -> String {
        let mut text = self.to_string();
        if let Some(url) = self.url() {
            text = text.replace(&format!(" ({url})"), "").replace(url.as_str(), "<url>");
        }
        text
    }
}
