//! An accountant's scale: many units at once.
//! - [`import`]: units from a CSV file (template included), every row and
//!   column checked with the CSR lint before anything is kept, then a key
//!   and CSR for each imported unit.
//! - [`run`]: onboarding of many units with one OTP each, a bounded number
//!   at a time, a result per unit; running again finishes only the rest.
//! - [`expiry`]: production CSIDs that expire soon and the 30/7/1-day
//!   reminders the app shows, each notified once.
//! - [`mismatch`]: a VAT number's rows and units under one organisation
//!   name, or a warning on each row that differs.
//! - [`fleet`]: taxpayers → units → per-environment credentials, each with
//!   its state (CSR ready … issued, expiring, expired).
#![cfg_attr(all(not(test), target_os = "linux"), deny(unused_crate_dependencies))]

pub mod expiry;
pub mod fleet;
pub mod import;
pub mod mismatch;
pub mod run;
