//! Compliance sample documents for FATOORA's compliance checks: UBL 2.1
//! invoices, credit and debit notes built from the unit's own seller data,
//! hashed, signed (XAdES B-B) and, when simplified, given their QR code.
//! Also the checks that prove it on ZATCA's own signed samples.

pub mod credentials;
pub mod error;
pub mod hash;
mod ns;

pub use credentials::{SigningCertificate, signing_key_from_text};
pub use error::DocsError;
pub use hash::{InvoiceHash, hash_pre_image, invoice_hash};
