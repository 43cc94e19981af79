//! Reading any CSR a user brings (PEM, base64 of PEM, base64 of DER, DER)
//! into the fields ZATCA cares about, without judging them: judging is
//! [`crate::lint`]'s job, and the simulator and onboarding read the same
//! fields to know the VAT number, the template and the invoice types.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use const_oid::ObjectIdentifier;
use der::asn1::AnyRef;
use der::{Decode, Encode, Tag, Tagged};
use fatoora_base::values::{Field, VatNumber};
use fatoora_base::i18n::isolate;
use fatoora_base::{Environment, Localized};
use k256::ecdsa::{Signature, VerifyingKey};
use serde::Serialize;
use signature::Verifier;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::Name;
use x509_cert::request::{CertReq, ExtensionReq};

use crate::key::fingerprint;
use crate::layout::{self, OID_CERTIFICATE_TEMPLATE, OID_EC_PUBLIC_KEY, OID_ECDSA_WITH_SHA256, OID_EXTENSION_REQUEST, OID_SECP256K1, OID_SUBJECT_ALT_NAME};

/// Larger than any CSR; keeps a wrongly chosen file from being read whole.
pub const MAX_CSR_BYTES: usize = 64 * 1024;
pub const CSR_FILE: fatoora_base::input::Cap =
    fatoora_base::input::Cap::new("CSR file", "ملف طلب توقيع الشهادة (CSR)", MAX_CSR_BYTES as u64);

/// A CSR file for [`parse_csr`] / `lint_csr`, read no further than [`CSR_FILE`].
pub fn read_csr_file(path: &std::path::Path) -> Result<Vec<u8>, fatoora_base::input::InputError> {
    fatoora_base::input::read_capped(path, CSR_FILE)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum CsrEncoding {
    Pem,
    /// Base64 of the PEM text, as `POST /compliance` takes it.
    Base64Pem,
    Base64Der,
    Der,
}

/// The ASN.1 string type a value was written with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum StringType {
    Utf8String,
    PrintableString,
    BmpString,
    TeletexString,
    Ia5String,
    Other(String),
}

/// One attribute of the subject or of the SAN directoryName, in the order
/// it appears.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParsedAttribute {
    pub oid: String,
    /// OpenSSL's short name when the attribute is part of ZATCA's layout.
    pub short_name: Option<&'static str>,
    /// The form field it carries, when part of ZATCA's layout.
    pub field: Option<Field>,
    /// The text, `None` when it is not a string type we can read.
    pub value: Option<String>,
    pub string_type: StringType,
    /// How many attributes share its RDN (the SDK writes one per RDN).
    pub rdn_size: usize,
    #[serde(skip)]
    pub(crate) oid_value: ObjectIdentifier,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKeyInfo {
    pub algorithm: String,
    pub is_ec: bool,
    pub is_rsa: bool,
    /// The named curve of an EC key.
    pub curve: Option<String>,
    pub is_secp256k1: bool,
    /// `04||X||Y` as ZATCA's sample has it (EC keys only).
    pub uncompressed_point: Option<bool>,
    /// SHA-256 of the SubjectPublicKeyInfo, hex.
    pub fingerprint: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateExtension {
    pub value: Option<String>,
    pub string_type: StringType,
    pub critical: bool,
    /// The environments whose CA accepts this template.
    pub environments: Vec<Environment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubjectAltNameExtension {
    /// How many directoryName entries (ZATCA's layout has exactly one).
    pub directory_names: usize,
    /// Entries of other kinds (DNS names, e-mail...), which ZATCA does not use.
    pub other_names: usize,
    /// The attributes of the first directoryName.
    pub attributes: Vec<ParsedAttribute>,
    pub critical: bool,
}

/// Everything lint, the simulator and onboarding need from a CSR.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParsedCsr {
    pub encoding: CsrEncoding,
    pub subject: Vec<ParsedAttribute>,
    pub public_key: PublicKeyInfo,
    pub signature_algorithm: String,
    pub is_ecdsa_with_sha256: bool,
    /// Whether the signature checks out against the CSR's own key (proof of
    /// possession); `None` when the key or algorithm is not ZATCA's, so it
    /// was not checked.
    pub signature_valid: Option<bool>,
    pub template: Option<TemplateExtension>,
    pub subject_alt_name: Option<SubjectAltNameExtension>,
    /// OIDs of any other requested extensions.
    pub other_extensions: Vec<String>,
    /// The DER of the whole CSR (for the simulator's CA).
    #[serde(skip)]
    pub der: Vec<u8>,
}

impl ParsedCsr {
    /// The first value carried for `field`, from the subject or the SAN.
    pub fn value(&self, field: Field) -> Option<&str> {
        let san = self.subject_alt_name.iter().flat_map(|san| san.attributes.iter());
        self.subject.iter().chain(san).find(|a| a.field == Some(field)).and_then(|a| a.value.as_deref())
    }

    /// The SAN UID, when it is a valid VAT number.
    pub fn vat_number(&self) -> Option<VatNumber> {
        self.value(Field::VatNumber).and_then(|v| VatNumber::parse(v).ok())
    }

    /// The SAN title, as written (e.g. `1100`).
    pub fn invoice_types(&self) -> Option<&str> {
        self.value(Field::InvoiceTypes)
    }

    pub fn certificate_template(&self) -> Option<&str> {
        self.template.as_ref().and_then(|t| t.value.as_deref())
    }

    pub fn egs_serial(&self) -> Option<&str> {
        self.value(Field::EgsSerial)
    }

    pub fn common_name(&self) -> Option<&str> {
        self.value(Field::CommonName)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsrParseError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is {0} bytes, too large for a CSR")]
    TooLarge(usize),
    #[error("this is a private key, not a CSR")]
    PrivateKey,
    #[error("this is a certificate, not a CSR")]
    Certificate,
    #[error("PEM block {0:?} is not a certificate request")]
    WrongPemLabel(String),
    #[error("not PEM, base64 or DER")]
    Unrecognized,
    #[error("not a valid PKCS#10 request: {0}")]
    Der(String),
}

impl CsrParseError {
    pub fn rule(&self) -> &'static str {
        match self {
            CsrParseError::Empty => "required",
            CsrParseError::TooLarge(_) => "too-large",
            CsrParseError::PrivateKey => "private-key-not-csr",
            CsrParseError::Certificate => "certificate-not-csr",
            CsrParseError::WrongPemLabel(_) => "pem-label",
            CsrParseError::Unrecognized => "encoding",
            CsrParseError::Der(_) => "pkcs10",
        }
    }

    pub fn explain(&self) -> Localized {
        match self {
            CsrParseError::Empty => Localized::new("The file is empty. Choose the CSR file.", "الملف فارغ. اختر ملف طلب توقيع الشهادة (CSR)."),
            CsrParseError::TooLarge(size) => Localized::new(
                format!("The file is {size} bytes; a CSR is about 1 KB. Choose the CSR file."),
                format!("حجم الملف {size} بايت، بينما حجم طلب توقيع الشهادة نحو 1 كيلوبايت. اختر ملف CSR."),
            ),
            CsrParseError::PrivateKey => Localized::new(
                "This file is a PRIVATE KEY, not a CSR. Never send or share it; choose the CSR file instead.",
                "هذا الملف مفتاح خاص وليس طلب توقيع شهادة. لا ترسله ولا تشاركه أبدًا؛ اختر ملف CSR بدلا منه.",
            ),
            CsrParseError::Certificate => Localized::new(
                "This file is a certificate (what ZATCA returns), not a CSR. Choose the CSR file.",
                "هذا الملف شهادة (مما تُصدره الهيئة) وليس طلب توقيع شهادة. اختر ملف CSR.",
            ),
            CsrParseError::WrongPemLabel(label) => Localized::new(
                format!("The PEM block is \"{label}\", not \"CERTIFICATE REQUEST\". Choose the CSR file."),
                format!("كتلة PEM من نوع «{label}» وليست «CERTIFICATE REQUEST». اختر ملف CSR."),
            ),
            CsrParseError::Unrecognized => Localized::new(
                "This is not a CSR: it is neither PEM (-----BEGIN CERTIFICATE REQUEST-----), nor base64, nor DER.",
                "هذا ليس طلب توقيع شهادة: ليس بصيغة PEM ‏(-----BEGIN CERTIFICATE REQUEST-----) ولا base64 ولا DER.",
            ),
            CsrParseError::Der(detail) => Localized::new(
                format!("The content is not a valid PKCS#10 certificate request ({detail}). Generate the CSR again."),
                format!("المحتوى ليس طلب توقيع شهادة PKCS#10 صالحًا ({detail}). أنشئ طلب CSR من جديد.", detail = isolate(detail)),
            ),
        }
    }
}

/// Reads a CSR in any of the forms users bring.
pub fn parse_csr(bytes: &[u8]) -> Result<ParsedCsr, CsrParseError> {
    let (encoding, der) = unwrap_container(bytes)?;
    let request = CertReq::from_der(&der).map_err(|e| CsrParseError::Der(e.to_string()))?;
    let info_der = request.info.to_der().map_err(|e| CsrParseError::Der(e.to_string()))?;

    let spki = &request.info.public_key;
    let key_oid = spki.algorithm.oid;
    let curve_oid = spki.algorithm.parameters.as_ref().and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
    let key_bits = spki.subject_public_key.raw_bytes();
    let is_ec = key_oid == OID_EC_PUBLIC_KEY;
    let is_secp256k1 = is_ec && curve_oid == Some(OID_SECP256K1);
    let public_key = PublicKeyInfo {
        algorithm: layout::describe_oid(&key_oid),
        is_ec,
        is_rsa: key_oid == layout::OID_RSA_ENCRYPTION,
        curve: curve_oid.filter(|_| is_ec).map(|c| layout::curve_name(&c)),
        is_secp256k1,
        uncompressed_point: is_ec.then(|| key_bits.first() == Some(&0x04)),
        fingerprint: spki.to_der().map(|d| fingerprint(&d)).unwrap_or_default(),
    };

    let is_ecdsa_with_sha256 = request.algorithm.oid == OID_ECDSA_WITH_SHA256;
    let signature_valid = (is_secp256k1 && is_ecdsa_with_sha256).then(|| {
        let key = VerifyingKey::from_sec1_bytes(key_bits);
        // OpenSSL and Java sign with "high" S half the time; k256 verifies
        // only the low-S twin, which is the same signature mathematically.
        let signature = request.signature.as_bytes().and_then(|s| Signature::from_der(s).ok()).map(|s| s.normalize_s());
        matches!((key, signature), (Ok(key), Some(sig)) if key.verify(&info_der, &sig).is_ok())
    });

    let mut template = None;
    let mut subject_alt_name = None;
    let mut other_extensions = Vec::new();
    for attribute in request.info.attributes.iter().filter(|a| a.oid == OID_EXTENSION_REQUEST) {
        for value in attribute.values.iter() {
            let extensions = value
                .to_der()
                .and_then(|d| ExtensionReq::from_der(&d))
                .map_err(|e| CsrParseError::Der(format!("extension request: {e}")))?;
            for extension in extensions.0 {
                let content = extension.extn_value.as_bytes();
                if extension.extn_id == OID_CERTIFICATE_TEMPLATE && template.is_none() {
                    let (value, string_type) = match AnyRef::from_der(content) {
                        Ok(any) => (read_string(any.tag(), any.value()), string_type(any.tag())),
                        Err(_) => (None, StringType::Other("not DER".into())),
                    };
                    let environments = value.as_deref().map(layout::environments_for_template).unwrap_or_default();
                    template = Some(TemplateExtension { value, string_type, critical: extension.critical, environments });
                } else if extension.extn_id == OID_SUBJECT_ALT_NAME && subject_alt_name.is_none() {
                    let san = SubjectAltName::from_der(content).map_err(|e| CsrParseError::Der(format!("subjectAltName: {e}")))?;
                    let directories: Vec<&Name> = san
                        .0
                        .iter()
                        .filter_map(|g| match g {
                            GeneralName::DirectoryName(name) => Some(name),
                            _ => None,
                        })
                        .collect();
                    subject_alt_name = Some(SubjectAltNameExtension {
                        directory_names: directories.len(),
                        other_names: san.0.len() - directories.len(),
                        attributes: directories.first().map(|n| attributes(n, &layout::SUBJECT_ALT_NAME)).unwrap_or_default(),
                        critical: extension.critical,
                    });
                } else {
                    other_extensions.push(layout::describe_oid(&extension.extn_id));
                }
            }
        }
    }

    Ok(ParsedCsr {
        encoding,
        subject: attributes(&request.info.subject, &layout::SUBJECT),
        public_key,
        signature_algorithm: layout::describe_oid(&request.algorithm.oid),
        is_ecdsa_with_sha256,
        signature_valid,
        template,
        subject_alt_name,
        other_extensions,
        der,
    })
}

fn unwrap_container(bytes: &[u8]) -> Result<(CsrEncoding, Vec<u8>), CsrParseError> {
    if bytes.len() > MAX_CSR_BYTES {
        return Err(CsrParseError::TooLarge(bytes.len()));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let trimmed = bytes.trim_ascii();
    if trimmed.is_empty() {
        return Err(CsrParseError::Empty);
    }
    if trimmed.first() == Some(&0x30) {
        return Ok((CsrEncoding::Der, trimmed.to_vec()));
    }
    if trimmed.starts_with(b"-----BEGIN") {
        return pem_request(trimmed).map(|der| (CsrEncoding::Pem, der));
    }
    let compact: Vec<u8> = trimmed.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
    let decoded = STANDARD.decode(compact).map_err(|_| CsrParseError::Unrecognized)?;
    let decoded = decoded.trim_ascii();
    if decoded.starts_with(b"-----BEGIN") {
        pem_request(decoded).map(|der| (CsrEncoding::Base64Pem, der))
    } else if decoded.first() == Some(&0x30) {
        Ok((CsrEncoding::Base64Der, decoded.to_vec()))
    } else {
        Err(CsrParseError::Unrecognized)
    }
}

fn pem_request(text: &[u8]) -> Result<Vec<u8>, CsrParseError> {
    let block = pem::parse(text).map_err(|_| CsrParseError::Unrecognized)?;
    match block.tag() {
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => Ok(block.into_contents()),
        tag if tag.contains("PRIVATE KEY") => Err(CsrParseError::PrivateKey),
        "CERTIFICATE" => Err(CsrParseError::Certificate),
        other => Err(CsrParseError::WrongPemLabel(other.to_owned())),
    }
}

fn attributes(name: &Name, slots: &[layout::Slot]) -> Vec<ParsedAttribute> {
    name.iter_rdn()
        .flat_map(|rdn| {
            let size = rdn.len();
            rdn.iter().map(move |atv| {
                let slot = slots.iter().find(|s| s.oid == atv.oid);
                ParsedAttribute {
                    oid: layout::describe_oid(&atv.oid),
                    short_name: slot.map(|s| s.short_name),
                    field: slot.map(|s| s.field),
                    value: read_string(atv.value.tag(), atv.value.value()),
                    string_type: string_type(atv.value.tag()),
                    rdn_size: size,
                    oid_value: atv.oid,
                }
            })
        })
        .collect()
}

fn string_type(tag: Tag) -> StringType {
    match tag {
        Tag::Utf8String => StringType::Utf8String,
        Tag::PrintableString => StringType::PrintableString,
        Tag::BmpString => StringType::BmpString,
        Tag::TeletexString => StringType::TeletexString,
        Tag::Ia5String => StringType::Ia5String,
        other => StringType::Other(other.to_string()),
    }
}

/// The text of a directory string; BMPString is UTF-16BE.
fn read_string(tag: Tag, bytes: &[u8]) -> Option<String> {
    match tag {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String | Tag::TeletexString => {
            std::str::from_utf8(bytes).ok().map(str::to_owned)
        }
        Tag::BmpString if bytes.len().is_multiple_of(2) => {
            let units: Vec<u16> = bytes.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
            String::from_utf16(&units).ok()
        }
        _ => None,
    }
}
