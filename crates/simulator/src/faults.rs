//! Failures the simulator can be told to produce, so clients learn to handle
//! what the real gateway and the network in front of it do (SPEC.md 1.4, 4.2).

use std::collections::BTreeMap;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Fault {
    /// Answer normally, after this delay.
    Latency { millis: u64 },
    /// Never answer; the connection stays open until the client gives up.
    Hang,
    /// Process the request (an OTP is consumed, a CSID issued), then never
    /// answer, as the sandbox has been seen to hold `/compliance` open
    /// (SPEC.md 4.2): the client times out not knowing it reached ZATCA.
    HangAfterProcessing,
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
    /// Only these requests (`None`: every gateway request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only: Option<RequestMatch>,
}

/// Gateway requests with this method whose path ends with `path`, after the
/// first `skip` of them: lets a test hold, say, the third compliance check
/// while the reachability probe and the first two go through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestMatch {
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub skip: u32,
}

impl RequestMatch {
    pub fn matches(&self, method: &str, path: &str) -> bool {
        self.method.eq_ignore_ascii_case(method) && path.ends_with(&self.path)
    }
}

impl FaultRule {
    pub fn always(fault: Fault) -> Self {
        Self { fault, times: None, only: None }
    }

    pub fn times(fault: Fault, times: u32) -> Self {
        Self { fault, times: Some(times), only: None }
    }

    /// Narrows the rule to `method` requests on a path ending with `path`,
    /// skipping the first `skip` of them.
    pub fn only(mut self, method: &str, path: &str, skip: u32) -> Self {
        self.only = Some(RequestMatch { method: method.to_owned(), path: path.to_owned(), skip });
        self
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
            "hang-after" => Fault::HangAfterProcessing,
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
                    "unknown fault {other:?}: use latency, hang, hang-after, reset-before, reset-after, 429, 500, 503, 504, malformed-json, huge-body or wrong-content-type"
                ));
            }
        })
    }

    /// The kind's name, as `parse_cli` takes it.
    pub fn name(&self) -> &'static str {
        match self {
            Fault::Latency { .. } => "latency",
            Fault::Hang => "hang",
            Fault::HangAfterProcessing => "hang-after",
            Fault::ResetBeforeProcessing => "reset-before",
            Fault::ResetAfterProcessing => "reset-after",
            Fault::TooManyRequests => "429",
            Fault::InvalidRequest => "500",
            Fault::ServiceUnavailable => "503",
            Fault::GatewayTimeout => "504",
            Fault::MalformedJson => "malformed-json",
            Fault::HugeBody => "huge-body",
            Fault::WrongContentType => "wrong-content-type",
        }
    }

    /// Whether the fault leaves the request without an answer until the
    /// client gives up.
    pub fn holds(&self) -> bool {
        matches!(self, Fault::Hang | Fault::HangAfterProcessing)
    }
}

/// A seeded random mix of faults, for soak tests: each gateway request that
/// no [`FaultRule`] catches draws, with probability `per_mille`/1000, one of
/// `faults` (each as likely). The same seed gives the same sequence of
/// draws; which request gets which draw follows the order they arrive in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChaosRule {
    pub seed: u64,
    pub per_mille: u16,
    pub faults: Vec<Fault>,
}

/// What a chaos rule did so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChaosReport {
    pub seed: u64,
    /// Gateway requests that drew.
    pub requests: u64,
    /// Faults injected, by [`Fault::name`].
    pub injected: BTreeMap<String, u64>,
    /// Of those, the ones that hold their request without an answer.
    pub held: u64,
}

/// A chaos rule at work: its generator and its counts.
#[derive(Debug)]
pub struct Chaos {
    rule: ChaosRule,
    rng: StdRng,
    report: ChaosReport,
}

impl Chaos {
    pub fn new(rule: ChaosRule) -> Self {
        let report = ChaosReport { seed: rule.seed, ..ChaosReport::default() };
        Self { rng: StdRng::seed_from_u64(rule.seed), rule, report }
    }

    /// The next request's fault, if it draws one.
    pub fn draw(&mut self) -> Option<Fault> {
        self.report.requests += 1;
        if self.rule.faults.is_empty() || self.rng.random_range(0..1000u16) >= self.rule.per_mille {
            return None;
        }
        let fault = self.rule.faults[self.rng.random_range(0..self.rule.faults.len())].clone();
        *self.report.injected.entry(fault.name().to_owned()).or_default() += 1;
        if fault.holds() {
            self.report.held += 1;
        }
        Some(fault)
    }

    pub fn report(&self) -> ChaosReport {
        self.report.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: [&str; 12] = [
        "latency", "hang", "hang-after", "reset-before", "reset-after", "429", "500", "503", "504", "malformed-json", "huge-body",
        "wrong-content-type",
    ];

    fn every_fault() -> Vec<Fault> {
        NAMES.iter().map(|name| Fault::parse_cli(name, Some(5)).unwrap()).collect()
    }

    #[test]
    fn every_fault_name_parses_back_to_its_kind() {
        for name in NAMES {
            assert_eq!(Fault::parse_cli(name, Some(5)).unwrap().name(), name);
        }
    }

    #[test]
    fn a_chaos_seed_replays_the_same_draws() {
        let rule = ChaosRule { seed: 42, per_mille: 300, faults: every_fault() };
        let draws = |rule: &ChaosRule| {
            let mut chaos = Chaos::new(rule.clone());
            (0..500).map(|_| chaos.draw()).collect::<Vec<_>>()
        };
        assert_eq!(draws(&rule), draws(&rule));
        assert_ne!(draws(&rule), draws(&ChaosRule { seed: 43, ..rule.clone() }));
    }

    #[test]
    fn chaos_injects_about_its_share_and_counts_by_kind() {
        let mut chaos = Chaos::new(ChaosRule { seed: 7, per_mille: 200, faults: every_fault() });
        let injected = (0..10_000).filter_map(|_| chaos.draw()).count() as u64;
        let report = chaos.report();
        assert_eq!(report.requests, 10_000);
        assert!((1_600..2_400).contains(&injected), "{injected} faults for a 20% share of 10000");
        assert_eq!(report.injected.values().sum::<u64>(), injected);
        assert_eq!(report.injected.len(), NAMES.len(), "every kind drawn: {report:?}");
        assert_eq!(report.held, report.injected["hang"] + report.injected["hang-after"]);
    }

    #[test]
    fn chaos_with_no_share_or_no_faults_injects_nothing() {
        let mut none = Chaos::new(ChaosRule { seed: 1, per_mille: 0, faults: every_fault() });
        let mut empty = Chaos::new(ChaosRule { seed: 1, per_mille: 1000, faults: vec![] });
        assert!((0..1000).all(|_| none.draw().is_none() && empty.draw().is_none()));
    }
}
