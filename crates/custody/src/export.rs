//! One unit's credentials for invoicing software, written to a folder only
//! on explicit request: the certificate (PEM and ZATCA's token form), the
//! CSID secret, the private key (encrypted PKCS#8 unless the user insists on
//! plain) and a JSON manifest. With a passphrase also a PKCS#12 file
//! (certificate and key, for Java keystores and Windows); with a plain key
//! instead ZATCA SDK-style `cert.pem` and headerless
//! `ec-secp256k1-priv-key.pem`, which the SDK reads.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use fatoora_base::secrets::{Passphrase, SecretName, SecretStore};
use fatoora_base::{Environment, Localized, Store};
use fatoora_units::state;
use k256::pkcs8::der::Document;
use k256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use p12_keystore::{Certificate, EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, PrivateKey, PrivateKeyChain};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::error::{CustodyError, io};

/// The PKCS#12 file of an encrypted export.
pub const PKCS12_FILE: &str = "certificate-and-key.p12";

/// PBKDF2 rounds for the PKCS#12 file's bags and MAC: Java's default for
/// new PKCS#12 keystores since 11.0.12 (`keystore.pkcs12.*IterationCount`).
const PKCS12_ITERATIONS: u32 = 10_000;

/// How the private key leaves the secret store.
pub enum KeyProtection<'a> {
    /// Encrypted PKCS#8 (`ENCRYPTED PRIVATE KEY`, PBES2) and a PKCS#12 file,
    /// both under this passphrase.
    Encrypted(&'a Passphrase),
    /// Plain PKCS#8 plus the SDK's headerless key: only when the user insists.
    Plain,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportedFile {
    pub file: String,
    pub content: &'static str,
    pub secret: bool,
}

/// `manifest.json`: what each file is; no secret inside.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportManifest {
    pub format: &'static str,
    pub unit_id: String,
    pub environment: Environment,
    pub pcsid_request_id: String,
    pub expires_at: Option<String>,
    pub public_key_sha256: String,
    pub key_encrypted: bool,
    pub files: Vec<ExportedFile>,
    pub warning: Localized,
}

pub fn warning() -> Localized {
    Localized::new(
        "These files let anyone who has them sign invoices in this taxpayer's name. Copy them only into the invoicing software, keep them out of e-mail and shared folders, and delete this folder afterwards.",
        "تتيح هذه الملفات لمن يحصل عليها توقيع الفواتير باسم هذا المكلّف. انسخها إلى برنامج الفوترة فقط، وأبعدها عن البريد الإلكتروني والمجلدات المشتركة، واحذف هذا المجلد بعد ذلك.",
    )
}

fn secret(secrets: &dyn SecretStore, name: &str) -> Result<Zeroizing<Vec<u8>>, CustodyError> {
    let value = secrets.get(&SecretName::new(name)?)?.ok_or_else(|| CustodyError::SecretMissing { name: name.to_owned() })?;
    Ok(Zeroizing::new(value.expose().clone()))
}

/// A folder name for a unit's export, from its common name, so the user
/// finds it by the name they gave: letters of any script, digits, `-`, `_`
/// and `.` are kept; anything else a file system may refuse or read as a
/// path (separators, `:`, `*`, `?`, quotes, spaces, control characters)
/// becomes one `-`; at most 48 characters; `unit` when nothing is left.
pub fn folder_name(common_name: &str) -> String {
    let mut name = String::new();
    for c in common_name.chars() {
        let c = if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '-' };
        if !(c == '-' && name.ends_with('-')) {
            name.push(c);
        }
    }
    let trimmed = |text: &str| text.trim_matches(|c| c == '-' || c == '.').to_owned();
    let name = trimmed(&trimmed(&name).chars().take(48).collect::<String>());
    if name.is_empty() { "unit".to_owned() } else { name }
}

/// Writes unit `unit_id`'s production credentials in `environment` into
/// the new folder `out` (which must not exist, so nothing is overwritten).
pub fn export_unit(store: &Store, secrets: &dyn SecretStore, unit_id: &str, environment: Environment, out: &Path, protection: KeyProtection<'_>) -> Result<ExportManifest, CustodyError> {
    let unit_id = fatoora_units::find_unit(store, unit_id).map(|u| u.id).unwrap_or_else(|_| unit_id.to_owned());
    let record = state::load(store.connection(), &unit_id, environment)?.ok_or_else(|| CustodyError::UnitNotFound(unit_id.clone()))?;
    let (Some(pcsid), Some(key_name)) = (record.pcsid.as_ref(), record.pcsid_key_name.as_deref()) else {
        return Err(CustodyError::NotIssued { unit: unit_id, environment });
    };
    let csid_secret = secret(secrets, &pcsid.secret_name)?;
    let key_pem = secret(secrets, key_name)?;
    let key_text = std::str::from_utf8(&key_pem).map_err(|_| CustodyError::Key)?;
    let key = k256::SecretKey::from_pkcs8_pem(key_text).map_err(|_| CustodyError::Key)?;
    let public_key_sha256 = fatoora_csr::UnitKey::from_pkcs8_pem(key_text).map_err(|_| CustodyError::Key)?.public_key_fingerprint();

    let mut files: Vec<(ExportedFile, Zeroizing<Vec<u8>>)> = Vec::new();
    let mut add = |file: &str, content: &'static str, is_secret: bool, bytes: Zeroizing<Vec<u8>>| {
        files.push((ExportedFile { file: file.to_owned(), content, secret: is_secret }, bytes));
    };
    add("certificate.pem", "The production CSID certificate, PEM", false, Zeroizing::new(pcsid.certificate_pem.clone().into_bytes()));
    add("certificate-token.txt", "binarySecurityToken: the username of the gateway's Basic authentication", false, Zeroizing::new(pcsid.token.clone().into_bytes()));
    add("secret.txt", "The CSID secret: the password of the gateway's Basic authentication", true, csid_secret);
    let key_encrypted = match protection {
        KeyProtection::Encrypted(passphrase) => {
            if passphrase.expose().chars().count() < Passphrase::MIN_CHARS {
                return Err(CustodyError::WeakPassphrase { min: Passphrase::MIN_CHARS });
            }
            let pem = key
                .to_pkcs8_encrypted_pem(passphrase.expose().as_bytes(), LineEnding::LF)
                .map_err(|_| CustodyError::Key)?;
            add("private-key.pem", "The private key, encrypted PKCS#8 (openssl pkcs8 -in private-key.pem asks for the passphrase)", true, Zeroizing::new(pem.as_bytes().to_vec()));
            let p12 = pkcs12(&pcsid.certificate_pem, &key, &unit_id, passphrase)?;
            add(PKCS12_FILE, "The certificate and the private key in PKCS#12 under the same passphrase (PBES2 AES-256-CBC, HMAC-SHA256): Java keystores, Windows", true, p12);
            true
        }
        KeyProtection::Plain => {
            add("private-key.pem", "The private key, plain PKCS#8", true, Zeroizing::new(key_pem.to_vec()));
            // ZATCA's SDK reads cert.pem as the certificate's base64 DER and
            // the key as base64 SEC1 DER, both without PEM lines.
            let der = BASE64.decode(pcsid.token.as_bytes()).unwrap_or_default();
            add("cert.pem", "SDK layout: the certificate as headerless base64", false, Zeroizing::new(der));
            let sec1 = key.to_sec1_der().map_err(|_| CustodyError::Key)?;
            add("ec-secp256k1-priv-key.pem", "SDK layout: the private key as headerless base64 SEC1", true, Zeroizing::new(BASE64.encode(&*sec1).into_bytes()));
            false
        }
    };

    let manifest = ExportManifest {
        format: "fatoora-onboard-export/1",
        unit_id,
        environment,
        pcsid_request_id: pcsid.request_id.clone(),
        expires_at: record.pcsid_expires_at.map(|t| t.to_rfc3339()),
        public_key_sha256,
        key_encrypted,
        files: files.iter().map(|(f, _)| f.clone()).collect(),
        warning: warning(),
    };
    create_private_dir(out)?;
    for (file, bytes) in &files {
        write_private(&out.join(&file.file), bytes)?;
    }
    let json = serde_json::to_vec_pretty(&manifest).expect("a manifest always serializes");
    write_private(&out.join("manifest.json"), &json)?;
    tracing::info!(unit = %manifest.unit_id, %environment, encrypted = key_encrypted, "credentials exported");
    Ok(manifest)
}

/// Certificate and key in one PKCS#12 file. PBES2 (PBKDF2-HMAC-SHA256,
/// AES-256-CBC) with an HMAC-SHA256 MAC is what OpenSSL 3 writes by default
/// and reads without its legacy provider, and what Java reads since 11.0.12
/// (JDK-8076190); the old RC2-40 certificate bag needs OpenSSL 3's legacy
/// provider, and 3DES is kept only for reading old files.
fn pkcs12(certificate_pem: &str, key: &k256::SecretKey, alias: &str, passphrase: &Passphrase) -> Result<Zeroizing<Vec<u8>>, CustodyError> {
    let (_, certificate) = Document::from_pem(certificate_pem).map_err(|_| CustodyError::Key)?;
    let certificate = Certificate::from_der(certificate.as_bytes()).map_err(|_| CustodyError::Key)?;
    let key_der = key.to_pkcs8_der().map_err(|_| CustodyError::Key)?;
    let key = PrivateKey::from_der(key_der.as_bytes()).map_err(|_| CustodyError::Key)?;
    // The local key id pairs the key bag with its certificate bag; Java and
    // OpenSSL match them by it.
    let local_key_id = format!("{alias}-key");
    let mut keystore = KeyStore::new();
    keystore.add_entry(alias, KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(local_key_id, key, [certificate])));
    let bytes = keystore
        .writer(passphrase.expose())
        .encryption_algorithm(EncryptionAlgorithm::PbeWithHmacSha256AndAes256)
        .encryption_iterations(PKCS12_ITERATIONS)
        .mac_algorithm(MacAlgorithm::HmacSha256)
        .mac_iterations(PKCS12_ITERATIONS)
        .write()
        .map_err(|_| CustodyError::Key)?;
    Ok(Zeroizing::new(bytes))
}

fn create_private_dir(out: &Path) -> Result<(), CustodyError> {
    #[cfg_attr(not(unix), allow(unused_mut))] // only Unix sets a mode
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(out).map_err(io(out))
}

fn write_private(path: &PathBuf, bytes: &[u8]) -> Result<(), CustodyError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(io(path))?;
    std::io::Write::write_all(&mut file, bytes).map_err(io(path))
}

#[cfg(test)]
mod tests {
    use super::folder_name;

    #[test]
    fn the_export_folder_is_named_after_the_common_name_made_safe() {
        assert_eq!(folder_name("TST-886431145-399999999900003"), "TST-886431145-399999999900003");
        assert_eq!(folder_name("  Riyadh/Branch: till *2*  "), "Riyadh-Branch-till-2");
        assert_eq!(folder_name("فرع الرياض ١"), "فرع-الرياض-١");
        assert_eq!(folder_name("../../etc"), "etc");
        assert_eq!(folder_name("///"), "unit");
        assert_eq!(folder_name(&"x".repeat(100)).chars().count(), 48);
    }
}
