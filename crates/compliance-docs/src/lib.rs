//! Compliance sample documents for FATOORA's compliance checks: UBL 2.1
//! invoices, credit and debit notes built from the unit's own seller data,
//! hashed, signed (XAdES B-B) and given their QR code, as ZATCA's SDK
//! samples have them.
//! Also the checks that prove it on ZATCA's own signed samples.
//!
//! For onboarding: the seller comes from the unit, the certificate from the
//! CCSID answer, the key from the secret store, and each request body goes
//! to `POST /compliance/invoices` as it is.
//!
//! ```no_run
//! # fn demo(unit: &fatoora_compliance_docs::UnitProfile, token: &str, key: &fatoora_compliance_docs::SigningKey)
//! #     -> Result<(), fatoora_compliance_docs::DocsError> {
//! use fatoora_compliance_docs::{SellerProfile, SigningCertificate, generate_documents};
//! use fatoora_base::values::InvoiceTypes;
//!
//! let seller = SellerProfile::from_unit_profile(unit)?;
//! let certificate = SigningCertificate::from_binary_security_token(token)?;
//! for document in generate_documents(&seller, &certificate, key, InvoiceTypes::Both)? {
//!     let body = serde_json::to_string(&document.request).unwrap(); // {"invoiceHash","uuid","invoice"}
//!     println!("{} → {}", document.kind.compliance_step(), body.len());
//! }
//! # Ok(()) }
//! ```
//!
//! Checking is [`verify_signed_document`]; it shares nothing with the
//! simulator's own verifier on purpose.
#![cfg_attr(all(not(test), target_os = "linux"), deny(unused_crate_dependencies))]

pub mod credentials;
pub mod document;
pub mod error;
pub mod hash;
mod ns;
pub mod profile;
pub mod qr;
pub mod signing;
pub mod unit;
pub mod verify;
pub mod xades;

pub use credentials::{SigningCertificate, signing_key_from_file, signing_key_from_text};
pub use document::{DocumentKind, DocumentSpec};
pub use error::DocsError;
pub use hash::{InvoiceHash, hash_pre_image, invoice_hash};
pub use fatoora_csr::UnitProfile;
pub use k256::ecdsa::SigningKey;
pub use profile::{SellerProfile, unit_profile_from_sdk_config};
pub use qr::QrCode;
pub use signing::{ChainStart, ComplianceRequest, INITIAL_PREVIOUS_HASH, SignedDocument, generate_documents, generate_documents_at, sign_document};
pub use unit::unit_for_documents;
pub use verify::{Check, Verification, verify_signed_document};
