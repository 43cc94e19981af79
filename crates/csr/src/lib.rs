//! CSR preparation, offline: the EGS unit profile, its secp256k1 key, a CSR
//! laid out exactly as ZATCA's SDK writes it, and a lint that explains every
//! problem in English and Arabic, for profiles and for CSRs made elsewhere.
//!
//! ```no_run
//! use fatoora_csr::{UnitKey, UnitProfile, build_csr, lint_profile};
//! # fn demo(profile: UnitProfile) -> Result<(), Box<dyn std::error::Error>> {
//! let findings = lint_profile(&profile); // live validation, all findings
//! let key = UnitKey::generate()?;
//! let csr = build_csr(&profile, &key)?;
//! let body = csr.to_base64_pem(); // what POST /compliance takes
//! # Ok(()) }
//! ```
#![cfg_attr(all(not(test), target_os = "linux"), deny(unused_crate_dependencies))]

mod build;
mod key;
pub mod layout;
mod lint;
mod parse;
mod profile;

pub use build::{BuildError, Csr, CsrFormat, build_csr};
pub use key::{KEY_FILE, KeyError, UnitKey};
pub use lint::{CsrLint, lint_csr, lint_parsed, lint_profile};
pub use parse::{
    CSR_FILE, CsrEncoding, CsrParseError, MAX_CSR_BYTES, ParsedAttribute, ParsedCsr, PublicKeyInfo, StringType,
    SubjectAltNameExtension, TemplateExtension, parse_csr, read_csr_file,
};
pub use profile::{
    CsrPreview, PreviewLine, PropertiesError, SANDBOX_VAT_NUMBER, SDK_PROPERTIES_FILE, UnitProfile, read_sdk_properties_file,
};
