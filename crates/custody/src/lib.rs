//! Custody of what a unit needs to sign invoices: an encrypted backup of
//! everything this machine keeps (the database and every secret it names),
//! a restore into another data directory and secret store, and the export
//! of one unit's credentials for invoicing software.
//!
//! A backup is one file: a plain JSON header (format, Argon2id parameters
//! and salt, nonce) and the XChaCha20-Poly1305 ciphertext of the payload,
//! with the header as associated data. A wrong passphrase and a tampered
//! file look the same to the AEAD and are refused before anything is
//! written. The envelope is fatoora-base's (`secrets::envelope`), shared
//! with the encrypted secrets file.
#![cfg_attr(all(not(test), target_os = "linux"), deny(unused_crate_dependencies))]

// Depended on for its `encryption` feature, which k256's re-export uses.
use pkcs8 as _;

mod backup;
mod error;
mod export;
mod seal;

pub use backup::{BackupSummary, RestoreSummary, backup, restore, secret_names};
pub use error::CustodyError;
pub use export::{ExportManifest, ExportedFile, KeyProtection, PKCS12_FILE, export_unit, folder_name as export_folder_name, warning as export_warning};
pub use fatoora_base::secrets::envelope::KdfWindow;
