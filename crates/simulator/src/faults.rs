//! Failures the simulator can be told to produce, so clients learn to handle
//! what the real gateway and the network in front of it do (SPEC.md 1.4, 4.2).

use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Fault {
    /// Answer normally, after this delay.
    Latency { millis: u64 },
    /// Never answer; the connection stays open until the client gives up.
    Hang,
    /// Drop the connection before the request is processed: nothing happened.
    ResetBeforeProcessing,
    /// Process the request (an OTP is consumed, a CSID issued), then drop the
    /// connection without answering: the client cannot know it reached ZATCA.
    ResetAfterProcessing,
    /// 429 Too Many Requests.
    TooManyRequests,
    /// 500 with the documented `Invalid-Request` body.
    InvalidRequest,
    /// 503 Service Unavailable.
    ServiceUnavailable,
    /// 504 Gateway Time-out.
    GatewayTimeout,
    /// 200 with a JSON body cut in the middle.
    MalformedJson,
    /// 200 with a 10 MiB body.
    HugeBody,
    /// 200 with an HTML page instead of JSON, as a proxy or WAF would send.
    WrongContentType,
}

pub const HUGE_BODY_BYTES: usize = 10 * 1024 * 1024;

/// A fault and how many gateway requests it applies to (`None`: until cleared).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultRule {
    pub fault: Fault,
    #[serde(default)]
    pub times: Option<u32>,
}

impl FaultRule {
    pub fn always(fault: Fault) -> Self {
        Self { fault, times: None }
    }

    pub fn times(fault: Fault, times: u32) -> Self {
        Self { fault, times: Some(times) }
    }
}

impl Fault {
    pub fn latency(by: Duration) -> Self {
        Fault::Latency { millis: u64::try_from(by.as_millis()).unwrap_or(u64::MAX) }
    }

    pub fn parse_cli(name: &str, latency_ms: Option<u64>) -> Result<Self, String> {
        Ok(match name {
            "latency" => Fault::Latency {
                millis: latency_ms.ok_or("the latency fault needs --millis")?,
            },
            "hang" => Fault::Hang,
            "reset-before" => Fault::ResetBeforeProcessing,
            "reset-after" => Fault::ResetAfterProcessing,
            "429" => Fault::TooManyRequests,
            "500" => Fault::InvalidRequest,
            "503" => Fault::ServiceUnavailable,
            "504" => Fault::GatewayTimeout,
            "malformed-json" => Fault::MalformedJson,
            "huge-body" => Fault::HugeBody,
            "wrong-content-type" => Fault::WrongContentType,
            other => {
                return Err(format!(
                    "unknown fault {other:?}: use latency, hang, reset-before, reset-after, 429, 500, 503, 504, malformed-json, huge-body or wrong-content-type"
                ));
            }
        })
    }
}
