//! What can go wrong while building, signing or checking a compliance
//! document, each with a message the user can act on in both languages.

use fatoora_base::Localized;
use fatoora_base::i18n::isolate;

#[derive(Debug, thiserror::Error)]
pub enum DocsError {
    #[error("the XML is not well-formed: {0}")]
    Xml(String),
    #[error("the signed document has no {0}")]
    Missing(&'static str),
    #[error("canonicalization (C14N 1.1) failed: {0}")]
    Canonicalization(String),
    #[error("the certificate cannot be read: {0}")]
    Certificate(String),
    /// Never carries key bytes: only why the key was refused.
    #[error("the private key cannot be read: {0}")]
    Key(fatoora_csr::KeyError),
    #[error("the private key does not belong to the certificate")]
    KeyCertificateMismatch,
    #[error("{}", .0.en)]
    SdkConfig(Localized),
    #[error("{}", .0.en)]
    Unit(Localized),
    #[error(transparent)]
    Field(#[from] fatoora_base::values::FieldError),
    #[error("QR code: {0}")]
    Qr(String),
}

impl DocsError {
    /// The explanation and the next step, for the UI and the CLI.
    pub fn message(&self) -> Localized {
        match self {
            DocsError::Xml(detail) => Localized::new(
                format!("The XML document is not well-formed ({detail}). Check that the file is a complete UBL invoice."),
                format!("مستند XML غير سليم البنية ({detail}). تأكد من أن الملف فاتورة UBL كاملة.", detail = isolate(detail)),
            ),
            DocsError::Missing(what) => Localized::new(
                format!("The signed document has no {what}. Sign it again with the compliance certificate."),
                format!("المستند الموقّع لا يحتوي على {what}. أعد توقيعه بشهادة الامتثال."),
            ),
            DocsError::Canonicalization(detail) => Localized::new(
                format!("The document could not be canonicalized with C14N 1.1 ({detail})."),
                format!("تعذّرت معالجة المستند بخوارزمية C14N 1.1 ({detail}).", detail = isolate(detail)),
            ),
            DocsError::Certificate(detail) => Localized::new(
                format!("The certificate cannot be read ({detail}). Give the compliance CSID certificate as PEM or as the one-line base64 text ZATCA returns."),
                format!("تعذّرت قراءة الشهادة ({detail}). أدخل شهادة الامتثال (CCSID) بصيغة PEM أو كنص base64 في سطر واحد كما تعيده الهيئة.", detail = isolate(detail)),
            ),
            DocsError::Key(detail) => Localized::new(
                format!("The private key cannot be read ({detail}). Give the secp256k1 key as PEM (EC PRIVATE KEY or PRIVATE KEY) or as headerless base64."),
                format!("تعذّرت قراءة المفتاح الخاص ({detail}). أدخل مفتاح secp256k1 بصيغة PEM أو كنص base64 دون ترويسة.", detail = isolate(detail)),
            ),
            DocsError::KeyCertificateMismatch => Localized::new(
                "The private key does not match the certificate's public key. Use the key the CSR was made with and the certificate ZATCA issued for that CSR.",
                "المفتاح الخاص لا يطابق المفتاح العام في الشهادة. استخدم المفتاح الذي أُنشئ به طلب توقيع الشهادة (CSR) والشهادة التي أصدرتها الهيئة له.",
            ),
            DocsError::SdkConfig(message) | DocsError::Unit(message) => message.clone(),
            DocsError::Field(error) => {
                let label = error.field.label();
                Localized::new(format!("{}: {}", label.en, error.message.en), format!("{}: {}", label.ar, error.message.ar))
            }
            DocsError::Qr(detail) => Localized::new(
                format!("The QR code cannot be built or read ({detail})."),
                format!("تعذّر إنشاء رمز الاستجابة السريعة (QR) أو قراءته ({detail}).", detail = isolate(detail)),
            ),
        }
    }
}

pub type Result<T, E = DocsError> = std::result::Result<T, E>;
