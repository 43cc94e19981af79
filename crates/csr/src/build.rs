//! Building the CSR with RustCrypto's request builder. The subject and the
//! SAN directoryName are assembled RDN by RDN from [`crate::layout`], because
//! a `Name` parsed from an RFC 4514 string comes out in reverse order and
//! with types of the parser's choosing, not the SDK's.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use der::asn1::{Any, OctetString};
use der::{Decode, Encode, Tag};
use fatoora_base::values::{FieldError, Severity};
use fatoora_base::Localized;
use fatoora_base::i18n::isolate;
use serde::{Deserialize, Serialize};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::builder::{Builder, RequestBuilder};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::request::CertReq;

use crate::key::UnitKey;
use crate::layout::{self, Encoding, OID_CERTIFICATE_TEMPLATE, Slot};
use crate::lint::lint_profile;
use crate::profile::UnitProfile;

const PEM_LABEL: &str = "CERTIFICATE REQUEST";

/// A signed CSR, DER inside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Csr {
    der: Vec<u8>,
}

/// How a CSR is handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CsrFormat {
    /// `-----BEGIN CERTIFICATE REQUEST-----`, what `openssl req` reads.
    #[default]
    Pem,
    /// Base64 of the PEM text: the `csr` value of `POST /compliance` and
    /// what the SDK writes without `-pem`.
    Base64,
}

impl Csr {
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    pub fn to_pem(&self) -> String {
        der::pem::encode_string(PEM_LABEL, der::pem::LineEnding::LF, &self.der)
            .expect("PEM encoding of a DER buffer cannot fail")
    }

    pub fn to_base64_pem(&self) -> String {
        STANDARD.encode(self.to_pem())
    }

    pub fn render(&self, format: CsrFormat) -> String {
        match format {
            CsrFormat::Pem => self.to_pem(),
            CsrFormat::Base64 => self.to_base64_pem(),
        }
    }

    /// The signed part, CertificationRequestInfo, as DER.
    pub fn certification_request_info_der(&self) -> Vec<u8> {
        CertReq::from_der(&self.der)
            .and_then(|req| req.info.to_der())
            .expect("a CSR built here decodes")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("the unit profile has {} error(s); fix them first", .0.iter().filter(|f| f.severity == Severity::Error).count())]
    Invalid(Vec<FieldError>),
    #[error("the CSR could not be encoded: {0}")]
    Encoding(String),
}

impl BuildError {
    pub fn explain(&self) -> Localized {
        match self {
            BuildError::Invalid(findings) => {
                let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
                Localized::new(
                    format!("The unit's details break {errors} rule(s); each one is listed with its fix. Nothing was generated."),
                    format!("بيانات الوحدة تخالف {errors} من القواعد؛ كل مخالفة مذكورة مع طريقة تصحيحها. لم يُنشأ أي شيء."),
                )
            }
            BuildError::Encoding(detail) => Localized::new(
                format!("The CSR could not be encoded ({detail}). This is a bug in fatoora-onboard; please report it with the unit's details (never the key)."),
                format!("تعذّر ترميز طلب توقيع الشهادة ({detail}). هذا خلل في البرنامج؛ أبلغ عنه مع بيانات الوحدة (دون المفتاح أبدًا).", detail = isolate(detail)),
            ),
        }
    }
}

/// Lints the profile and, when no rule is broken (warnings allowed), signs a
/// CSR in the SDK's exact layout with the unit's key.
pub fn build_csr(profile: &UnitProfile, key: &UnitKey) -> Result<Csr, BuildError> {
    let findings = lint_profile(profile);
    if findings.iter().any(|f| f.severity == Severity::Error) {
        return Err(BuildError::Invalid(findings));
    }
    encode(profile, key).map_err(|e| BuildError::Encoding(e.to_string()))
}

fn encode(profile: &UnitProfile, key: &UnitKey) -> Result<Csr, x509_cert::builder::Error> {
    let subject = name(profile, &layout::SUBJECT)?;
    let san_directory = name(profile, &layout::SUBJECT_ALT_NAME)?;
    let template = Extension {
        extn_id: OID_CERTIFICATE_TEMPLATE,
        critical: false,
        extn_value: OctetString::new(Any::new(Tag::Utf8String, profile.certificate_template().as_bytes())?.to_der()?)?,
    };
    let mut builder = RequestBuilder::new(subject)?;
    builder.add_extension(template)?;
    builder.add_extension(&SubjectAltName(vec![GeneralName::DirectoryName(san_directory)]))?;
    let request = builder.build::<_, k256::ecdsa::DerSignature>(key.signing_key())?;
    Ok(Csr { der: request.to_der()? })
}

/// One single-attribute RDN per slot, in the slots' order.
fn name(profile: &UnitProfile, slots: &[Slot]) -> der::Result<Name> {
    let mut rdns = RdnSequence::default();
    for slot in slots {
        let tag = match slot.encoding {
            Encoding::Printable => Tag::PrintableString,
            Encoding::Utf8 => Tag::Utf8String,
        };
        let value = Any::new(tag, profile.csr_value(slot).into_bytes())?;
        let rdn = RelativeDistinguishedName::try_from(vec![AttributeTypeAndValue { oid: slot.oid, value }])?;
        rdns.push(rdn);
    }
    Ok(Name::hazmat_from_rdn_sequence(rdns))
}
