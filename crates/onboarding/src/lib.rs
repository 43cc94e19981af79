//! OTP onboarding against ZATCA's FATOORA gateway (SPEC.md 1, 4, 5): the
//! HTTPS client and its error catalogue, the journal, pre-flight checks, the
//! CCSID → compliance checks → PCSID flow with renewal, the one run the CLI,
//! the app and batch start it through, and the evidence pack for ZATCA
//! support.
#![cfg_attr(all(not(test), target_os = "linux"), deny(unused_crate_dependencies))]

pub mod catalogue;
pub mod client;
pub mod flow;
pub mod journal;
pub mod local;
pub mod otp_diagnosis;
pub mod preflight;
pub mod probe;
pub mod riyadh;
pub mod run;
pub mod support;
