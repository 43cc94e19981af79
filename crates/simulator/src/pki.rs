//! The simulator's certificate authorities, kept in the data directory:
//!
//! * an HTTPS CA (P-256, rcgen) that signs the loopback server certificate;
//!   the app trusts it for the `local` environment only;
//! * `CN=eInvoicing`, which issues compliance CSIDs as ZATCA's does
//!   (SPEC.md 1.3: serial = epoch ms, five years ending 21:00 UTC, subject and
//!   SAN copied, basicConstraints CA:FALSE);
//! * a second CA for production CSIDs (keyUsage digitalSignature, EKU code
//!   signing + client auth, subject in C, O, OU, CN order, as the sandbox PCSID).
//!
//! ZATCA keys are secp256k1 and rcgen cannot carry them, so the two CSID CAs
//! use RustCrypto's x509-cert builder with k256 (PLATFORM-NOTES).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Datelike, NaiveTime, TimeZone, Utc};
use der::asn1::OctetString;
use der::{Decode, DecodePem, Encode, EncodePem};
use k256::ecdsa::{DerSignature, SigningKey};
use k256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use sha2::{Digest, Sha256};
use spki::{EncodePublicKey, SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::certificate::TbsCertificate;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectKeyIdentifier,
};
use x509_cert::ext::Extension;
use x509_cert::name::{Name, RdnSequence};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};
use x509_cert::Certificate;

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("could not read or write {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the simulator's CA files in the data directory are damaged ({0}); delete the ca folder to make new ones")]
    Damaged(String),
    #[error("could not build a certificate: {0}")]
    Build(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PkiError + '_ {
    move |source| PkiError::Io { path: path.to_owned(), source }
}

/// Writes a file readable by its owner only: the CA keys are the simulator's
/// own (no taxpayer's), but nothing else on the machine should sign with them.
fn write_private(path: &Path, contents: &[u8]) -> Result<(), PkiError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io(path))?;
    file.write_all(contents).map_err(io(path))
}

// ---------------------------------------------------------------- HTTPS

const HTTPS_CA_NAME: &str = "Fatoora Onboard local simulator CA";

pub struct HttpsIdentity {
    pub ca_cert_pem: String,
    pub ca_cert_path: PathBuf,
    pub server_cert_der: Vec<u8>,
    pub server_key_der: Vec<u8>,
}

fn https_ca_params() -> rcgen::CertificateParams {
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name.push(rcgen::DnType::CommonName, HTTPS_CA_NAME);
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
    params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
    let now = time_now();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(3650);
    params
}

fn time_now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

/// Loads the HTTPS CA from `dir` (making it on first start) and signs a fresh
/// loopback server certificate with it.
pub fn https_identity(dir: &Path) -> Result<HttpsIdentity, PkiError> {
    let cert_path = dir.join("https-ca.pem");
    let key_path = dir.join("https-ca.key.pem");
    let ca_key = if key_path.exists() && cert_path.exists() {
        let pem = fs::read_to_string(&key_path).map_err(io(&key_path))?;
        rcgen::KeyPair::from_pem(&pem).map_err(|e| PkiError::Damaged(e.to_string()))?
    } else {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(|e| PkiError::Build(e.to_string()))?;
        let cert = https_ca_params().self_signed(&key).map_err(|e| PkiError::Build(e.to_string()))?;
        write_private(&key_path, key.serialize_pem().as_bytes())?;
        fs::write(&cert_path, cert.pem()).map_err(io(&cert_path))?;
        key
    };
    let ca_cert_pem = fs::read_to_string(&cert_path).map_err(io(&cert_path))?;
    let issuer = rcgen::Issuer::new(https_ca_params(), ca_key);

    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .map_err(|e| PkiError::Build(e.to_string()))?;
    params.subject_alt_names.push(rcgen::SanType::IpAddress([127, 0, 0, 1].into()));
    params.subject_alt_names.push(rcgen::SanType::IpAddress(std::net::Ipv6Addr::LOCALHOST.into()));
    params.distinguished_name.push(rcgen::DnType::CommonName, "localhost");
    let now = time_now();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(365);
    let server_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .map_err(|e| PkiError::Build(e.to_string()))?;
    let server_cert = params.signed_by(&server_key, &issuer).map_err(|e| PkiError::Build(e.to_string()))?;
    Ok(HttpsIdentity {
        ca_cert_pem,
        ca_cert_path: cert_path,
        server_cert_der: server_cert.der().to_vec(),
        server_key_der: server_key.serialize_der(),
    })
}

// ---------------------------------------------------------------- CSID CAs

/// One secp256k1 CA that issues CSIDs.
pub struct CsidCa {
    key: SigningKey,
    pub cert: Certificate,
    pub cert_pem: String,
}

impl CsidCa {
    fn load_or_create(dir: &Path, file_stem: &str, subject: &str) -> Result<Self, PkiError> {
        let cert_path = dir.join(format!("{file_stem}.pem"));
        let key_path = dir.join(format!("{file_stem}.key.pem"));
        if cert_path.exists() && key_path.exists() {
            let key_pem = fs::read_to_string(&key_path).map_err(io(&key_path))?;
            let key = SigningKey::from_pkcs8_pem(&key_pem).map_err(|e| PkiError::Damaged(e.to_string()))?;
            let cert_pem = fs::read_to_string(&cert_path).map_err(io(&cert_path))?;
            let cert = Certificate::from_pem(cert_pem.as_bytes()).map_err(|e| PkiError::Damaged(e.to_string()))?;
            return Ok(Self { key, cert, cert_pem });
        }
        let key = <SigningKey as k256::elliptic_curve::Generate>::generate();
        let name = Name::from_str(subject).map_err(|e| PkiError::Build(e.to_string()))?;
        let spki = spki_of(&key)?;
        let ski = key_identifier(&spki);
        let profile = FixedProfile {
            issuer: name.clone(),
            subject: name,
            extensions: vec![
                extension(true, &BasicConstraints { ca: true, path_len_constraint: Some(0) })?,
                extension(true, &KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign))?,
                extension(false, &SubjectKeyIdentifier(octets(ski.clone())?))?,
            ],
        };
        let now = SystemTime::now();
        let validity = Validity::new(to_time(now - Duration::from_secs(86_400))?, to_time(now + Duration::from_secs(20 * 365 * 86_400))?);
        let cert = CertificateBuilder::new(profile, SerialNumber::from(1u32), validity, spki)
            .map_err(|e| PkiError::Build(e.to_string()))?
            .build::<_, DerSignature>(&key)
            .map_err(|e| PkiError::Build(e.to_string()))?;
        let cert_pem = cert.to_pem(LineEnding::LF).map_err(|e| PkiError::Build(e.to_string()))?;
        let key_pem = key.to_pkcs8_pem(LineEnding::LF).map_err(|e| PkiError::Build(e.to_string()))?;
        write_private(&key_path, key_pem.as_bytes())?;
        fs::write(&cert_path, &cert_pem).map_err(io(&cert_path))?;
        Ok(Self { key, cert, cert_pem })
    }

    fn issue(
        &self,
        subject: Name,
        spki: SubjectPublicKeyInfoOwned,
        serial: SerialNumber,
        validity: Validity,
        mut extensions: Vec<Extension>,
        with_key_ids: bool,
    ) -> Result<Vec<u8>, PkiError> {
        if with_key_ids {
            extensions.push(extension(false, &SubjectKeyIdentifier(octets(key_identifier(&spki))?))?);
            let issuer_spki = spki_of(&self.key)?;
            extensions.push(extension(
                false,
                &AuthorityKeyIdentifier {
                    key_identifier: Some(octets(key_identifier(&issuer_spki))?),
                    authority_cert_issuer: None,
                    authority_cert_serial_number: None,
                },
            )?);
        }
        let profile = FixedProfile { issuer: self.cert.tbs_certificate().subject().clone(), subject, extensions };
        let cert = CertificateBuilder::new(profile, serial, validity, spki)
            .map_err(|e| PkiError::Build(e.to_string()))?
            .build::<_, DerSignature>(&self.key)
            .map_err(|e| PkiError::Build(e.to_string()))?;
        cert.to_der().map_err(|e| PkiError::Build(e.to_string()))
    }
}

pub struct CsidAuthorities {
    pub compliance: CsidCa,
    pub production: CsidCa,
}

/// What the CA copies from a checked CSR.
pub struct CertificateRequest {
    pub subject: Name,
    pub spki: SubjectPublicKeyInfoOwned,
    /// The subjectAltName extension exactly as requested.
    pub san: Extension,
}

impl CsidAuthorities {
    pub fn load_or_create(dir: &Path) -> Result<Self, PkiError> {
        Ok(Self {
            compliance: CsidCa::load_or_create(dir, "einvoicing-ca", "CN=eInvoicing")?,
            production: CsidCa::load_or_create(
                dir,
                "pcsid-ca",
                "CN=SIMEINVOICESCA1-CA,DC=fatoora-onboard,DC=local",
            )?,
        })
    }

    /// A compliance CSID: serial = epoch milliseconds, valid until 21:00 UTC
    /// (midnight in Riyadh) five years on, subject and SAN copied.
    pub fn issue_compliance(&self, request: &CertificateRequest, now: DateTime<Utc>) -> Result<Vec<u8>, PkiError> {
        let serial = SerialNumber::from(u64::try_from(now.timestamp_millis()).unwrap_or_default());
        let validity = Validity::new(to_time(whole_seconds(now).into())?, to_time(compliance_not_after(now).into())?);
        let extensions = vec![
            extension(true, &BasicConstraints { ca: false, path_len_constraint: None })?,
            request.san.clone(),
        ];
        self.compliance.issue(request.subject.clone(), request.spki.clone(), serial, validity, extensions, false)
    }

    /// A production CSID: random serial (AD CS style), 1825 days like the
    /// sandbox PCSID, subject reordered to C, O, OU, CN.
    pub fn issue_production(&self, request: &CertificateRequest, now: DateTime<Utc>) -> Result<Vec<u8>, PkiError> {
        let mut serial = [0u8; 16];
        rand::Rng::fill(&mut rand::rng(), &mut serial[..]);
        serial[0] = (serial[0] & 0x7f) | 0x10;
        let serial = SerialNumber::new(&serial).map_err(|e| PkiError::Build(e.to_string()))?;
        let start = whole_seconds(now);
        let validity = Validity::new(to_time(start.into())?, to_time((start + chrono::Duration::days(1825)).into())?);
        let extensions = vec![
            request.san.clone(),
            extension(true, &KeyUsage(KeyUsages::DigitalSignature.into()))?,
            extension(
                false,
                &ExtendedKeyUsage(vec![
                    const_oid::db::rfc5280::ID_KP_CODE_SIGNING,
                    const_oid::db::rfc5280::ID_KP_CLIENT_AUTH,
                ]),
            )?,
        ];
        let subject = production_subject(&request.subject)?;
        self.production.issue(subject, request.spki.clone(), serial, validity, extensions, true)
    }
}

/// notAfter of a compliance CSID: the start of the Riyadh (UTC+3) day five
/// years after issue, i.e. 21:00 UTC the evening before (SPEC.md 1.3).
pub fn compliance_not_after(now: DateTime<Utc>) -> DateTime<Utc> {
    let riyadh_date = (now + chrono::Duration::hours(3)).date_naive();
    let target = riyadh_date
        .with_year(riyadh_date.year() + 5)
        .or_else(|| riyadh_date.with_day(28).and_then(|d| d.with_year(riyadh_date.year() + 5)))
        .unwrap_or(riyadh_date);
    Utc.from_utc_datetime(&target.and_time(NaiveTime::MIN)) - chrono::Duration::hours(3)
}

fn whole_seconds(at: DateTime<Utc>) -> DateTime<Utc> {
    Utc.timestamp_opt(at.timestamp(), 0).single().unwrap_or(at)
}

fn production_subject(subject: &Name) -> Result<Name, PkiError> {
    use const_oid::db::rfc4519::{C, CN, O, OU};
    let rank = |rdn: &x509_cert::name::RelativeDistinguishedName| {
        let oid = rdn.iter().next().map(|atv| atv.oid);
        [C, O, OU, CN].iter().position(|o| Some(*o) == oid).unwrap_or(4)
    };
    let mut rdns: Vec<_> = subject.iter_rdn().cloned().collect();
    rdns.sort_by_key(|rdn| rank(rdn));
    let mut sequence = RdnSequence::default();
    for rdn in rdns {
        sequence.push(rdn);
    }
    let der = sequence.to_der().map_err(|e| PkiError::Build(e.to_string()))?;
    Name::from_der(&der).map_err(|e| PkiError::Build(e.to_string()))
}

fn to_time(at: SystemTime) -> Result<Time, PkiError> {
    Time::try_from(at).map_err(|e| PkiError::Build(e.to_string()))
}

fn octets(bytes: Vec<u8>) -> Result<OctetString, PkiError> {
    OctetString::new(bytes).map_err(|e| PkiError::Build(e.to_string()))
}

fn extension<T: Encode + const_oid::AssociatedOid>(critical: bool, value: &T) -> Result<Extension, PkiError> {
    Ok(Extension {
        extn_id: T::OID,
        critical,
        extn_value: octets(value.to_der().map_err(|e| PkiError::Build(e.to_string()))?)?,
    })
}

fn spki_of(key: &SigningKey) -> Result<SubjectPublicKeyInfoOwned, PkiError> {
    let der = key.verifying_key().to_public_key_der().map_err(|e| PkiError::Build(e.to_string()))?;
    SubjectPublicKeyInfoOwned::from_der(der.as_bytes()).map_err(|e| PkiError::Build(e.to_string()))
}

/// RFC 7093 method 1 (SHA-256, leftmost 160 bits) over the public key bits.
fn key_identifier(spki: &SubjectPublicKeyInfoOwned) -> Vec<u8> {
    Sha256::digest(spki.subject_public_key.raw_bytes())[..20].to_vec()
}

/// A profile that adds exactly the given extensions.
struct FixedProfile {
    issuer: Name,
    subject: Name,
    extensions: Vec<Extension>,
}

impl BuilderProfile for FixedProfile {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        _spk: SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: SubjectPublicKeyInfoRef<'_>,
        _tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        Ok(self.extensions.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compliance_validity_ends_at_midnight_riyadh_like_the_swagger_ccsid() {
        // samples/certs/swagger_compliance_csid_example: 2024-01-10 13:11:54 -> 2029-01-09 21:00:00.
        let issued = Utc.with_ymd_and_hms(2024, 1, 10, 13, 11, 54).unwrap();
        assert_eq!(compliance_not_after(issued), Utc.with_ymd_and_hms(2029, 1, 9, 21, 0, 0).unwrap());
        // After 21:00 UTC it is already the next day in Riyadh.
        let late = Utc.with_ymd_and_hms(2024, 1, 10, 22, 0, 0).unwrap();
        assert_eq!(compliance_not_after(late), Utc.with_ymd_and_hms(2029, 1, 10, 21, 0, 0).unwrap());
    }
}
