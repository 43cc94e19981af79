//! What `POST /compliance` and `PATCH /production/csids` check in a CSR
//! before the CA signs it (SPEC.md 2.1–2.5, Appendix A).
//!
//! This is the gateway's side, written independently of the app's CSR
//! builder so that a mistake in one is caught by the other.

use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use der::asn1::ObjectIdentifier;
use der::{Decode, DecodePem, Encode, Tag, Tagged};
use k256::ecdsa::{Signature, VerifyingKey};
use regex::Regex;
use signature::Verifier;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::Name;
use x509_cert::request::CertReq;

use crate::pki::CertificateRequest;

const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256K1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.10");
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const EXTENSION_REQUEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.14");
const CERTIFICATE_TEMPLATE_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.20.2");
const SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const SURNAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.4");
const UID: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.9.2342.19200300.100.1.1");
const TITLE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.12");
const REGISTERED_ADDRESS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.26");
const BUSINESS_CATEGORY: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.15");
const COUNTRY: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.6");
const ORGANIZATION: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");
const ORGANIZATIONAL_UNIT: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.11");
const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");

/// A CSR far larger than any real one is refused before parsing.
pub const MAX_CSR_BASE64_BYTES: usize = 64 * 1024;

static VAT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^3[0-9]{13}3$").expect("valid regex"));
static GROUP_MEMBER_TIN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[0-9]{10}$").expect("valid regex"));
static EGS_SERIAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^1-[^|]+\|2-[^|]+\|3-[^|]+$").expect("valid regex"));
static INVOICE_TYPES: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[01]{4}$").expect("valid regex"));

/// A CSR that passed every check.
pub struct CheckedCsr {
    pub request: CertificateRequest,
    pub template: String,
    pub vat: String,
    pub invoice_types: String,
    pub common_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsrRejection {
    /// Answered with the `Invalid-CSR` envelope. The reason is for the
    /// simulator's log and tests only; the gateway does not say why.
    #[error("invalid CSR: {0}")]
    Invalid(&'static str),
    /// The functionality map is not a valid TSCZ value (SPEC.md 2.3, [V-obs]
    /// `NOT_COMPLIANT "Invoice type is …"`).
    #[error("invalid invoice type {0:?}")]
    InvoiceType(String),
}

use CsrRejection::Invalid;

/// Decodes the `csr` field (base64 of the PEM text, SPEC.md 1.2) and checks it.
pub fn check(csr_field: &str) -> Result<CheckedCsr, CsrRejection> {
    if csr_field.len() > MAX_CSR_BASE64_BYTES {
        return Err(Invalid("the csr field is larger than any real CSR"));
    }
    let compact: String = csr_field.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let pem = STANDARD.decode(compact).map_err(|_| Invalid("the csr field is not base64"))?;
    let pem = String::from_utf8(pem).map_err(|_| Invalid("the decoded csr is not PEM text"))?;
    if !pem.trim_start().starts_with("-----BEGIN CERTIFICATE REQUEST-----") {
        // Base64 of bare DER was never seen accepted (SPEC.md 1.2): refuse it.
        return Err(Invalid("the decoded csr is not a PEM certificate request"));
    }
    let request = CertReq::from_pem(pem.trim().replace("\r\n", "\n").as_bytes())
        .map_err(|_| Invalid("the PEM block is not a PKCS#10 request"))?;
    check_request(&request)
}

fn check_request(request: &CertReq) -> Result<CheckedCsr, CsrRejection> {
    let info = &request.info;
    if info.version != x509_cert::request::Version::V1 {
        return Err(Invalid("PKCS#10 version is not 1"));
    }
    let algorithm = &info.public_key.algorithm;
    if algorithm.oid != ID_EC_PUBLIC_KEY {
        return Err(Invalid("the key is not an EC key"));
    }
    let curve = algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
        .ok_or(Invalid("the EC key names no curve"))?;
    if curve != SECP256K1 {
        return Err(Invalid("the key is not on secp256k1"));
    }
    if request.algorithm.oid != ECDSA_WITH_SHA256 {
        return Err(Invalid("the signature algorithm is not ecdsa-with-SHA256"));
    }
    let key = VerifyingKey::from_sec1_bytes(info.public_key.subject_public_key.raw_bytes())
        .map_err(|_| Invalid("the public key is not a valid secp256k1 point"))?;
    // OpenSSL and Java do not normalise S; k256 verifies low-S only, and
    // (r, n - s) is the same ECDSA signature.
    let signature = Signature::from_der(request.signature.raw_bytes())
        .map_err(|_| Invalid("the signature is not DER ECDSA"))?
        .normalize_s();
    let signed = info.to_der().map_err(|_| Invalid("the request info cannot be re-encoded"))?;
    key.verify(&signed, &signature).map_err(|_| Invalid("proof of possession failed: bad signature"))?;

    let extensions = requested_extensions(request)?;
    let template_ext = extensions
        .iter()
        .find(|e| e.extn_id == CERTIFICATE_TEMPLATE_NAME)
        .ok_or(Invalid("no certificate template extension"))?;
    let template = der::Any::from_der(template_ext.extn_value.as_bytes())
        .ok()
        .and_then(|any| directory_string(&any))
        .ok_or(Invalid("the certificate template is not a string"))?;
    let san = extensions
        .iter()
        .find(|e| e.extn_id == SUBJECT_ALT_NAME)
        .ok_or(Invalid("no subjectAltName extension"))?
        .clone();
    let alt_names = SubjectAltName::from_der(san.extn_value.as_bytes())
        .map_err(|_| Invalid("the subjectAltName does not parse"))?;
    let directory = alt_names
        .0
        .iter()
        .find_map(|name| match name {
            GeneralName::DirectoryName(name) => Some(name),
            _ => None,
        })
        .ok_or(Invalid("the subjectAltName has no directoryName"))?;

    let serial = attribute(directory, SURNAME).ok_or(Invalid("SAN SN (2.5.4.4) is missing"))?;
    let vat = attribute(directory, UID).ok_or(Invalid("SAN UID is missing"))?;
    let invoice_types = attribute(directory, TITLE).ok_or(Invalid("SAN title is missing"))?;
    attribute(directory, REGISTERED_ADDRESS).ok_or(Invalid("SAN registeredAddress is missing"))?;
    attribute(directory, BUSINESS_CATEGORY).ok_or(Invalid("SAN businessCategory is missing"))?;

    let subject = &info.subject;
    let country = attribute(subject, COUNTRY).ok_or(Invalid("subject C is missing"))?;
    attribute(subject, ORGANIZATION).ok_or(Invalid("subject O is missing"))?;
    let unit = attribute(subject, ORGANIZATIONAL_UNIT).ok_or(Invalid("subject OU is missing"))?;
    let common_name = attribute(subject, COMMON_NAME).ok_or(Invalid("subject CN is missing"))?;

    if country != "SA" {
        return Err(Invalid("subject C is not SA"));
    }
    if !VAT.is_match(&vat) {
        return Err(Invalid("SAN UID is not 15 digits starting and ending with 3"));
    }
    if vat.as_bytes()[10] == b'1' && !GROUP_MEMBER_TIN.is_match(&unit) {
        return Err(Invalid("VAT group: OU is not the member's 10-digit TIN"));
    }
    if !EGS_SERIAL.is_match(&serial) {
        return Err(Invalid("SAN SN is not 1-...|2-...|3-..."));
    }
    let types = invoice_types.as_bytes();
    if !INVOICE_TYPES.is_match(&invoice_types) || (types[0] == b'0' && types[1] == b'0') {
        return Err(CsrRejection::InvoiceType(invoice_types));
    }

    Ok(CheckedCsr {
        request: CertificateRequest { subject: subject.clone(), spki: info.public_key.clone(), san },
        template,
        vat,
        invoice_types,
        common_name,
    })
}

fn requested_extensions(request: &CertReq) -> Result<Vec<Extension>, CsrRejection> {
    let attribute = request
        .info
        .attributes
        .iter()
        .find(|a| a.oid == EXTENSION_REQUEST)
        .ok_or(Invalid("no extensionRequest attribute"))?;
    let value = attribute.values.iter().next().ok_or(Invalid("empty extensionRequest"))?;
    let bytes = value.to_der().map_err(|_| Invalid("extensionRequest does not encode"))?;
    Vec::<Extension>::from_der(&bytes).map_err(|_| Invalid("extensionRequest does not parse"))
}

/// The first value of `oid` in `name`, as text; `None` when absent or blank.
fn attribute(name: &Name, oid: ObjectIdentifier) -> Option<String> {
    name.iter().find(|atv| atv.oid == oid).and_then(|atv| directory_string(&atv.value)).filter(|v| !v.trim().is_empty())
}

/// Text of a DirectoryString-like value. AD CS accepted UTF8String and
/// PrintableString templates (SPEC.md 2.3); BMPString is decoded too.
pub fn directory_string(any: &der::Any) -> Option<String> {
    let bytes = any.value();
    match any.tag() {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String | Tag::TeletexString => {
            String::from_utf8(bytes.to_vec()).ok()
        }
        Tag::BmpString => {
            let units: Vec<u16> = bytes.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
            String::from_utf16(&units).ok()
        }
        _ => None,
    }
}

