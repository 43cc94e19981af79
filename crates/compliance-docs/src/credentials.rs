//! The signing pair: the CSID certificate and its secp256k1 key, read from
//! PEM or from the headerless base64 the SDK and ZATCA's API use.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use der::{Decode, Encode};
use k256::ecdsa::{SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;

use crate::error::{DocsError, Result};

/// The certificate that signs documents, with the derived values XAdES and
/// the QR code need.
#[derive(Clone)]
pub struct SigningCertificate {
    base64: String,
    certificate: Certificate,
}

impl std::fmt::Debug for SigningCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningCertificate").field("issuer", &self.issuer_name()).field("serial", &self.serial_decimal()).finish()
    }
}

impl PartialEq for SigningCertificate {
    fn eq(&self, other: &Self) -> bool {
        self.base64 == other.base64
    }
}

impl SigningCertificate {
    /// Accepts a PEM certificate, or base64 DER with or without line breaks
    /// (the SDK's `cert.pem` and the API's `binarySecurityToken` decoded once).
    pub fn from_text(text: &str) -> Result<Self> {
        let body: String = text
            .lines()
            .filter(|line| !line.trim_start().starts_with("-----"))
            .flat_map(|line| line.split_whitespace())
            .collect();
        if body.is_empty() {
            return Err(DocsError::Certificate("the text is empty".into()));
        }
        let der = B64
            .decode(body.as_bytes())
            .map_err(|error| DocsError::Certificate(format!("not base64: {error}")))?;
        Self::from_der(&der)
    }

    /// The `binarySecurityToken` of FATOORA's CSID answers: base64 of the
    /// base64 certificate text.
    pub fn from_binary_security_token(token: &str) -> Result<Self> {
        let text = B64
            .decode(token.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| DocsError::Certificate("the binarySecurityToken is not base64 of the certificate text".into()))?;
        Self::from_text(&text)
    }

    pub fn from_der(der: &[u8]) -> Result<Self> {
        let certificate =
            Certificate::from_der(der).map_err(|error| DocsError::Certificate(format!("not an X.509 certificate: {error}")))?;
        Ok(Self { base64: B64.encode(der), certificate })
    }

    /// One-line base64 of the DER, as it goes into `ds:X509Certificate`.
    pub fn base64(&self) -> &str {
        &self.base64
    }

    /// `xades:CertDigest`: base64 of the lowercase hex SHA-256 of the base64
    /// text, not of the DER (SPEC.md 3.3 item 3).
    pub fn digest(&self) -> String {
        base64_of_hex_sha256(self.base64.as_bytes())
    }

    /// Issuer as ZATCA writes it: RFC 4514 order (last RDN first), ", " between.
    pub fn issuer_name(&self) -> String {
        let rdns: Vec<String> =
            self.certificate.tbs_certificate().issuer().iter_rdn().map(ToString::to_string).collect();
        rdns.into_iter().rev().collect::<Vec<_>>().join(", ")
    }

    pub fn serial_decimal(&self) -> String {
        num_bigint::BigUint::from_bytes_be(self.certificate.tbs_certificate().serial_number().as_bytes()).to_string()
    }

    /// DER SubjectPublicKeyInfo: QR tag 8.
    pub fn public_key_der(&self) -> Result<Vec<u8>> {
        self.certificate
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .map_err(|error| DocsError::Certificate(format!("public key: {error}")))
    }

    /// The issuing CA's signature over this certificate: QR tag 9.
    pub fn signature_der(&self) -> &[u8] {
        self.certificate.signature().raw_bytes()
    }

    pub fn verifying_key(&self) -> Result<VerifyingKey> {
        let point = self.certificate.tbs_certificate().subject_public_key_info().subject_public_key.raw_bytes();
        VerifyingKey::from_sec1_bytes(point)
            .map_err(|_| DocsError::Certificate("the public key is not a secp256k1 point".into()))
    }

    /// Fails unless `key` is the private half of this certificate's key.
    pub fn check_key(&self, key: &SigningKey) -> Result<()> {
        if self.verifying_key()? == *key.verifying_key() { Ok(()) } else { Err(DocsError::KeyCertificateMismatch) }
    }
}

/// Reads a secp256k1 private key the way the CSR step imports one (SEC1 or
/// PKCS#8, as PEM, headerless base64 (the SDK's file) or DER), so both steps
/// accept and refuse the same files. Errors never quote the input.
pub fn signing_key_from_text(text: &str) -> Result<SigningKey> {
    fatoora_csr::UnitKey::import(text.as_bytes()).map(|key| key.signing_key().clone()).map_err(DocsError::Key)
}

/// [`signing_key_from_text`] of a key file, read no further than
/// `fatoora_csr::KEY_FILE`'s cap.
pub fn signing_key_from_file(path: &std::path::Path) -> Result<SigningKey> {
    fatoora_csr::UnitKey::import_file(path).map(|key| key.signing_key().clone()).map_err(DocsError::Key)
}

pub(crate) fn base64_of_hex_sha256(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes).iter().map(|byte| format!("{byte:02x}")).collect();
    B64.encode(hex)
}
