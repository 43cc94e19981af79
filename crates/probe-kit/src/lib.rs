//! The server probe kit: diagnose from where the failing traffic starts.
//!
//! A PHP probe page for hosts without a shell ([`php`]), an importer for
//! its JSON and for `fatoora-onboard diagnose --json` run on a server
//! ([`import`]), and the comparison of a laptop's run with the server's,
//! in English and Arabic, with an HTML report holding both ([`compare`]).
#![cfg_attr(all(not(test), target_os = "linux"), deny(unused_crate_dependencies))]

pub mod compare;
pub mod import;
pub mod php;

pub use compare::{Comparison, ComparisonClass, compare, comparison_html, finding};
pub use import::{DIAGNOSTICS_REPORT, ImportError, ImportedRun};
pub use php::{GeneratedProbe, PhpProbeOptions, generate, generate_with_token};
