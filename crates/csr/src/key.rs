//! The unit's secp256k1 key: generated in process or imported from another
//! tool, and handed to the secret store as PKCS#8 PEM. It has no `Display`,
//! no `Serialize`, and its `Debug` shows only the public key's fingerprint.

use std::fmt;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use der::Decode;
use fatoora_base::Localized;
use fatoora_base::input::{self, Cap, KIB};
use k256::ecdsa::{SigningKey, VerifyingKey};
use k256::elliptic_curve::Generate;
use k256::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::layout::{self, OID_EC_PUBLIC_KEY, OID_RSA_ENCRYPTION, OID_SECP256K1};

/// A key file is under 1 KiB in every form we read (PEM with an `EC
/// PARAMETERS` block included); 64 KiB leaves room for comments and chains
/// pasted around it, and bounds what the PEM and base64 decoders get.
pub const KEY_FILE: Cap = Cap::new("key file", "ملف المفتاح", 64 * KIB);

pub struct UnitKey(SigningKey);

impl UnitKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<Self, KeyError> {
        SigningKey::try_generate().map(Self).map_err(|_| KeyError::Randomness)
    }

    /// Reads a private key other tools write: PEM (`EC PRIVATE KEY` SEC1,
    /// `PRIVATE KEY` PKCS#8, with or without a leading `EC PARAMETERS`
    /// block), the SDK's headerless base64, or raw DER. Anything that is not
    /// a secp256k1 key is refused with the reason.
    pub fn import(bytes: &[u8]) -> Result<Self, KeyError> {
        KEY_FILE.check(bytes.len() as u64, None).map_err(|error| KeyError::Input(error.explain()))?;
        let text = std::str::from_utf8(bytes).ok().map(str::trim);
        let der = match text {
            Some(text) if text.contains("-----BEGIN") => pem_key_der(text)?,
            Some(text) if !text.is_empty() => {
                let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
                Zeroizing::new(STANDARD.decode(compact).map_err(|_| KeyError::Unreadable)?)
            }
            _ => Zeroizing::new(bytes.to_vec()),
        };
        Self::from_der(&der)
    }

    /// [`UnitKey::import`] of the file at `path`, read no further than
    /// [`KEY_FILE`]'s cap. The bytes are zeroized once read.
    pub fn import_file(path: &Path) -> Result<Self, KeyError> {
        let bytes = Zeroizing::new(input::read_capped(path, KEY_FILE).map_err(|error| KeyError::Input(error.explain()))?);
        Self::import(&bytes)
    }

    fn from_der(der: &[u8]) -> Result<Self, KeyError> {
        if let Ok(sec1) = sec1::EcPrivateKey::from_der(der) {
            if let Some(curve) = sec1.parameters.and_then(|p| p.named_curve())
                && curve != OID_SECP256K1
            {
                return Err(KeyError::WrongCurve { curve: layout::curve_name(&curve) });
            }
            return k256::SecretKey::from_sec1_der(der)
                .map(|secret| Self(SigningKey::from(secret)))
                .map_err(|_| KeyError::Unreadable);
        }
        if let Ok(info) = pkcs8::PrivateKeyInfoRef::from_der(der) {
            let algorithm = info.algorithm.oid;
            if algorithm == OID_RSA_ENCRYPTION {
                return Err(KeyError::Rsa);
            }
            if algorithm != OID_EC_PUBLIC_KEY {
                return Err(KeyError::NotEc { algorithm: layout::describe_oid(&algorithm) });
            }
            if let Ok(curve) = info.algorithm.parameters_oid()
                && curve != OID_SECP256K1
            {
                return Err(KeyError::WrongCurve { curve: layout::curve_name(&curve) });
            }
            return SigningKey::from_pkcs8_der(der).map(Self).map_err(|_| KeyError::Unreadable);
        }
        if pkcs1_rsa_private_key(der) {
            return Err(KeyError::Rsa);
        }
        Err(KeyError::Unreadable)
    }

    /// The form kept in the secret store.
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        self.0.to_pkcs8_pem(LineEnding::LF).expect("a valid secp256k1 key always encodes as PKCS#8")
    }

    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, KeyError> {
        SigningKey::from_pkcs8_pem(pem).map(Self).map_err(|_| KeyError::Unreadable)
    }

    /// DER SubjectPublicKeyInfo of the public half.
    pub fn public_key_der(&self) -> Vec<u8> {
        self.verifying_key().to_public_key_der().expect("a secp256k1 public key always encodes").into_vec()
    }

    /// SHA-256 of the SubjectPublicKeyInfo, hex: safe to show, log and store,
    /// and enough to tell which key a CSR or certificate belongs to.
    pub fn public_key_fingerprint(&self) -> String {
        fingerprint(&self.public_key_der())
    }

    pub fn verifying_key(&self) -> &VerifyingKey {
        self.0.verifying_key()
    }

    pub fn signing_key(&self) -> &SigningKey {
        &self.0
    }
}

pub(crate) fn fingerprint(spki_der: &[u8]) -> String {
    Sha256::digest(spki_der).iter().map(|b| format!("{b:02x}")).collect()
}

impl fmt::Debug for UnitKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UnitKey(secp256k1, public {})", &self.public_key_fingerprint()[..16])
    }
}

fn pem_key_der(text: &str) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let blocks = pem::parse_many(text).map_err(|_| KeyError::Unreadable)?;
    let mut labels = Vec::new();
    for block in blocks {
        match block.tag() {
            "EC PRIVATE KEY" | "PRIVATE KEY" => return Ok(Zeroizing::new(block.into_contents())),
            "RSA PRIVATE KEY" => return Err(KeyError::Rsa),
            "ENCRYPTED PRIVATE KEY" => return Err(KeyError::Encrypted),
            other => labels.push(other.to_owned()),
        }
    }
    Err(KeyError::NoPrivateKey { labels })
}

/// PKCS#1 `RSAPrivateKey` is a SEQUENCE of nine INTEGERs starting with
/// version 0; recognising it is enough to name the problem.
fn pkcs1_rsa_private_key(der: &[u8]) -> bool {
    Vec::<der::asn1::Int>::from_der(der).is_ok_and(|ints| ints.len() == 9 && ints[0].as_bytes() == [0])
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the operating system's random source failed")]
    Randomness,
    #[error("not a private key this program can read")]
    Unreadable,
    #[error("the file holds no private key (found PEM blocks: {labels:?})")]
    NoPrivateKey { labels: Vec<String> },
    #[error("the private key is encrypted")]
    Encrypted,
    #[error("RSA key: ZATCA accepts only EC secp256k1 keys")]
    Rsa,
    #[error("{algorithm} key: ZATCA accepts only EC secp256k1 keys")]
    NotEc { algorithm: String },
    #[error("EC key on curve {curve}: ZATCA accepts only secp256k1")]
    WrongCurve { curve: String },
    /// The file could not be read, or is over [`KEY_FILE`]'s cap; never
    /// holds the file's content.
    #[error("{}", .0.en)]
    Input(Localized),
}

impl KeyError {
    /// What happened and what to do, for the user.
    pub fn explain(&self) -> Localized {
        let new_key_en = "Let fatoora-onboard generate a new key (leave out --import-key).";
        let new_key_ar = "دع البرنامج يُنشئ مفتاحًا جديدًا (بدون الخيار ‎--import-key).";
        match self {
            KeyError::Randomness => Localized::new(
                "The operating system could not provide random numbers for a new key. Try again; if it persists, restart the computer.",
                "تعذّر على نظام التشغيل توفير أرقام عشوائية لإنشاء مفتاح جديد. أعد المحاولة، وإن تكرّر ذلك فأعد تشغيل الجهاز.",
            ),
            KeyError::Unreadable => Localized::new(
                format!("This is not a private key in a form we read (PEM \"EC PRIVATE KEY\" or \"PRIVATE KEY\", the SDK's base64 key file, or DER). {new_key_en}"),
                format!("هذا ليس مفتاحًا خاصًا بصيغة مقروءة (PEM ‏«EC PRIVATE KEY» أو «PRIVATE KEY»، أو ملف المفتاح بصيغة base64 من حزمة SDK، أو DER). {new_key_ar}"),
            ),
            KeyError::NoPrivateKey { labels } => Localized::new(
                format!("The file has PEM blocks ({}) but no private key. Choose the key file, not the CSR or the certificate.", labels.join(", ")),
                format!("يحتوي الملف على كتل PEM ‏({}) لكن ليس فيه مفتاح خاص. اختر ملف المفتاح، لا ملف CSR ولا الشهادة.", labels.join("، ")),
            ),
            KeyError::Encrypted => Localized::new(
                "The key is password-protected. Decrypt it first (openssl pkcs8 -in key.pem -out plain.pem), import plain.pem, then delete plain.pem.",
                "المفتاح محمي بكلمة مرور. فُك تشفيره أولا (openssl pkcs8 -in key.pem -out plain.pem)، ثم استورد plain.pem واحذفه بعد ذلك.",
            ),
            KeyError::Rsa => Localized::new(
                format!("This is an RSA key. ZATCA refuses CSRs with RSA keys (Invalid-CSR); it needs an EC key on the secp256k1 curve. {new_key_en}"),
                format!("هذا مفتاح RSA. ترفض الهيئة طلبات CSR بمفاتيح RSA ‏(Invalid-CSR)؛ والمطلوب مفتاح EC على المنحنى secp256k1. {new_key_ar}"),
            ),
            KeyError::NotEc { algorithm } => Localized::new(
                format!("This is a {algorithm} key. ZATCA needs an EC key on the secp256k1 curve. {new_key_en}"),
                format!("هذا مفتاح {algorithm}. تحتاج الهيئة إلى مفتاح EC على المنحنى secp256k1. {new_key_ar}"),
            ),
            KeyError::Input(explained) => explained.clone(),
            KeyError::WrongCurve { curve } => Localized::new(
                format!("This EC key is on {curve}. ZATCA uses secp256k1 (the P-256 in one ZATCA table is a known error there). {new_key_en}"),
                format!("هذا المفتاح على المنحنى {curve}. تستخدم الهيئة المنحنى secp256k1 (وذِكر P-256 في أحد جداول الهيئة خطأ معروف). {new_key_ar}"),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkcs8_round_trip_keeps_the_key() {
        let key = UnitKey::generate().unwrap();
        let again = UnitKey::from_pkcs8_pem(&key.to_pkcs8_pem()).unwrap();
        assert_eq!(key.public_key_der(), again.public_key_der());
    }

    #[test]
    fn debug_shows_only_the_public_fingerprint() {
        let key = UnitKey::generate().unwrap();
        let pem = key.to_pkcs8_pem();
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let debug = format!("{key:?}");
        assert!(!debug.contains(&body[..20]));
        assert_eq!(debug, format!("UnitKey(secp256k1, public {})", &key.public_key_fingerprint()[..16]));
    }

    #[test]
    fn every_form_of_the_same_key_imports() {
        let key = UnitKey::generate().unwrap();
        let secret = k256::SecretKey::from(key.0.as_nonzero_scalar());
        let pkcs8_der = key.0.to_pkcs8_der().unwrap();
        let sec1_der = secret.to_sec1_der().unwrap();
        let forms: Vec<Vec<u8>> = vec![
            pkcs8_der.as_bytes().to_vec(),
            STANDARD.encode(pkcs8_der.as_bytes()).into_bytes(),
            sec1_der.to_vec(),
            STANDARD.encode(&sec1_der).into_bytes(),
            secret.to_sec1_pem(LineEnding::CRLF).unwrap().as_bytes().to_vec(),
            key.to_pkcs8_pem().as_bytes().to_vec(),
            format!("-----BEGIN EC PARAMETERS-----\nBgUrgQQACg==\n-----END EC PARAMETERS-----\n{}", secret.to_sec1_pem(LineEnding::LF).unwrap().as_str()).into_bytes(),
        ];
        for form in forms {
            assert_eq!(UnitKey::import(&form).unwrap().public_key_der(), key.public_key_der());
        }
    }

    #[test]
    fn refusals_name_the_reason() {
        assert_eq!(UnitKey::import(b"").unwrap_err(), KeyError::Unreadable);
        assert_eq!(UnitKey::import(b"not a key").unwrap_err(), KeyError::Unreadable);
        assert_eq!(UnitKey::import(b"-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n").unwrap_err(), KeyError::Rsa);
        assert_eq!(UnitKey::import(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n").unwrap_err(), KeyError::Encrypted);
        assert!(matches!(
            UnitKey::import(b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n").unwrap_err(),
            KeyError::NoPrivateKey { .. }
        ));
    }
}
