//! The simulator's record of the gateway requests it received, newest last:
//! tests read it to know a request is in flight (held by a fault) and that an
//! OTP was presented only once. OTPs are kept only as digests.

use std::collections::VecDeque;
use std::sync::Mutex;

use axum::extract::Request;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The newest requests kept; a long-running simulator forgets older ones.
pub const KEPT: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeenRequest {
    pub method: String,
    pub path: String,
    #[serde(skip)]
    otp_digest: Option<String>,
}

impl SeenRequest {
    /// Whether this request carried `otp` in its `OTP` header.
    pub fn presented(&self, otp: &str) -> bool {
        self.otp_digest.as_deref() == Some(digest(otp.trim()).as_str())
    }
}

fn digest(otp: &str) -> String {
    hex::encode(Sha256::digest(otp.as_bytes()))
}

#[derive(Default)]
pub(crate) struct Seen(Mutex<VecDeque<SeenRequest>>);

impl Seen {
    pub fn record(&self, request: &Request) {
        let otp = request.headers().get("otp").and_then(|v| v.to_str().ok()).map(|v| digest(v.trim()));
        let seen = SeenRequest { method: request.method().to_string(), path: request.uri().path().to_owned(), otp_digest: otp };
        let mut list = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if list.len() == KEPT {
            list.pop_front();
        }
        list.push_back(seen);
    }

    pub fn list(&self) -> Vec<SeenRequest> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).iter().cloned().collect()
    }
}
