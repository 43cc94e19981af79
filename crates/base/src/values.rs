//! Validated domain values. Each constructor either returns a value that
//! satisfies ZATCA's rules (SPEC.md 2.5, 5) or a [`FieldError`] that names the
//! field and the rule, in English and Arabic. Nothing is silently "fixed"
//! except what users cannot see: surrounding whitespace and Arabic-Indic
//! digits typed on an Arabic keyboard, which are the same digits.

use std::fmt;

use serde::Serialize;

use crate::i18n::Localized;

/// A form field a user fills in; the name the UI and the CLI show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Field {
    VatNumber,
    OrganizationName,
    OrganizationUnit,
    CommonName,
    EgsSerial,
    InvoiceTypes,
    Address,
    BusinessCategory,
    Country,
    CertificateTemplate,
    Otp,
    /// The CSR's public key: algorithm, curve, point format.
    Key,
    /// The CSR's signature: algorithm and proof of possession.
    Signature,
    /// The CSR as a whole: encoding, version, subject and extension layout.
    CsrStructure,
}

impl Field {
    pub fn label(self) -> Localized {
        let (en, ar) = match self {
            Field::VatNumber => ("VAT registration number", "رقم تسجيل ضريبة القيمة المضافة"),
            Field::OrganizationName => ("Organization name (O)", "اسم المنشأة (O)"),
            Field::OrganizationUnit => ("Branch / organization unit (OU)", "الوحدة التنظيمية (اسم الفرع) (OU)"),
            Field::CommonName => ("Common name (CN)", "الاسم الشائع (CN)"),
            Field::EgsSerial => ("EGS serial number", "الرقم التسلسلي لوحدة الحل"),
            Field::InvoiceTypes => ("Invoice types", "أنواع الفواتير المشمولة"),
            Field::Address => ("Address", "العنوان"),
            Field::BusinessCategory => ("Industry / business category", "النشاط التجاري (فئة النشاط)"),
            Field::Country => ("Country (C)", "الدولة (C)"),
            Field::CertificateTemplate => ("Certificate template", "قالب الشهادة"),
            Field::Otp => ("OTP", "رمز التحقق (OTP)"),
            Field::Key => ("Key", "المفتاح"),
            Field::Signature => ("Signature", "التوقيع"),
            Field::CsrStructure => ("CSR structure", "بنية طلب توقيع الشهادة (CSR)"),
        };
        Localized::new(en, ar)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// ZATCA will refuse it; nothing is sent.
    Error,
    /// ZATCA may accept it, but it is probably not what the user meant.
    Warning,
}

/// One broken rule: which field, which rule (a stable id for tests and
/// scripts), and what to do about it in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}: {}", field.label().en, message.en)]
pub struct FieldError {
    pub field: Field,
    pub rule: &'static str,
    pub severity: Severity,
    pub message: Localized,
}

impl FieldError {
    pub fn error(field: Field, rule: &'static str, message: Localized) -> Self {
        Self { field, rule, severity: Severity::Error, message }
    }

    pub fn warning(field: Field, rule: &'static str, message: Localized) -> Self {
        Self { field, rule, severity: Severity::Warning, message }
    }
}

/// Arabic-Indic (U+0660..) and Eastern Arabic-Indic (U+06F0..) digits become
/// ASCII; any other character is kept so that validation can name it.
pub fn ascii_digits(input: &str) -> String {
    input
        .chars()
        .map(|c| match c {
            '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
            '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
            other => other,
        })
        .collect()
}

fn digits_only(input: &str) -> String {
    ascii_digits(input).chars().filter(|c| !c.is_whitespace()).collect()
}

/// A 15-digit VAT registration number that starts and ends with 3.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct VatNumber(String);

impl VatNumber {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let vat = digits_only(input);
        let rule = |rule, en: String, ar: String| Err(FieldError::error(Field::VatNumber, rule, Localized::new(en, ar)));
        if vat.is_empty() {
            return rule("required", "Enter the 15-digit VAT registration number.".into(), "أدخل رقم تسجيل ضريبة القيمة المضافة المكوّن من 15 رقمًا.".into());
        }
        if !vat.chars().all(|c| c.is_ascii_digit()) {
            return rule("digits-only", "A VAT number has digits only; remove letters and symbols.".into(), "الرقم الضريبي أرقام فقط؛ احذف الحروف والرموز.".into());
        }
        if vat.len() != 15 {
            return rule(
                "length-15",
                format!("A VAT number has 15 digits; this one has {}.", vat.len()),
                format!("الرقم الضريبي مكوّن من 15 رقمًا، والمُدخل مكوّن من {}.", crate::i18n::count_ar(vat.len() as u64, &crate::i18n::DIGITS)),
            );
        }
        if !vat.starts_with('3') || !vat.ends_with('3') {
            return rule("starts-and-ends-with-3", "A Saudi VAT number starts and ends with 3; check it against the VAT certificate.".into(), "الرقم الضريبي السعودي يبدأ بالرقم 3 وينتهي به؛ راجِعه في شهادة التسجيل الضريبي.".into());
        }
        Ok(Self(vat))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// SecStd: the 11th digit is 1 for a VAT group, whose members put their
    /// 10-digit TIN in the OU field.
    pub fn is_vat_group(&self) -> bool {
        self.0.as_bytes()[10] == b'1'
    }
}

impl fmt::Display for VatNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A FATOORA one-time password: 6 digits kept as text, since leading zeros
/// are part of it. Not a secret once spent, but treated as one until then, so
/// it has no `Display` and its `Debug` hides the digits.
#[derive(Clone, PartialEq, Eq)]
pub struct Otp(String);

impl Otp {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let otp = digits_only(input);
        if otp.is_empty() {
            return Err(FieldError::error(Field::Otp, "required", Localized::new(
                "Enter the 6-digit OTP from the FATOORA portal.",
                "أدخل رمز التحقق المكوّن من 6 أرقام من بوابة «فاتورة».",
            )));
        }
        if !otp.chars().all(|c| c.is_ascii_digit()) || otp.len() != 6 {
            return Err(FieldError::error(Field::Otp, "six-digits", Localized::new(
                "An OTP is exactly 6 digits (leading zeros included); copy it again from the FATOORA portal.",
                "رمز التحقق 6 أرقام بالضبط (بما فيها الأصفار في أوله)؛ انسخه مرة أخرى من بوابة «فاتورة».",
            )));
        }
        // Until it is spent the OTP is a secret: masked should it reach a log.
        crate::logging::redact(otp.as_bytes());
        Ok(Self(otp))
    }

    /// The digits, for the `OTP` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Otp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Otp(******)")
    }
}

/// Which documents a unit issues, the CSR `title` "TSCZ" map (SPEC.md 2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum InvoiceTypes {
    /// `1000`: standard (B2B) tax invoices only.
    Standard,
    /// `0100`: simplified (B2C) invoices only.
    Simplified,
    /// `1100`: both.
    Both,
}

impl InvoiceTypes {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        match ascii_digits(input.trim()).as_str() {
            "1000" => Ok(Self::Standard),
            "0100" => Ok(Self::Simplified),
            "1100" => Ok(Self::Both),
            other => Err(FieldError::error(Field::InvoiceTypes, "one-of-1000-0100-1100", Localized::new(
                format!("Invoice types must be 1000 (standard), 0100 (simplified) or 1100 (both); {other:?} is not one of them."),
                format!("أنواع الفواتير يجب أن تكون 1000 (ضريبية) أو 0100 (مبسطة) أو 1100 (كلتاهما)؛ القيمة «{other}» ليست منها."),
            ))),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Standard => "1000",
            Self::Simplified => "0100",
            Self::Both => "1100",
        }
    }

    pub fn standard(self) -> bool {
        matches!(self, Self::Standard | Self::Both)
    }

    pub fn simplified(self) -> bool {
        matches!(self, Self::Simplified | Self::Both)
    }
}

/// The EGS serial `1-<maker>|2-<model>|3-<serial>` that goes into the SAN `SN`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct EgsSerial(String);

impl EgsSerial {
    /// Arabic-Indic digits become ASCII, as in the VAT number: the user sees
    /// the value as written in the CSR preview.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let serial = ascii_digits(input.trim());
        let serial = serial.as_str();
        check_text(Field::EgsSerial, serial)?;
        let parts: Vec<&str> = serial.split('|').collect();
        let well_formed = parts.len() == 3
            && parts.iter().zip(["1-", "2-", "3-"]).all(|(part, prefix)| {
                part.strip_prefix(prefix).is_some_and(|rest| !rest.trim().is_empty())
            });
        if !well_formed {
            return Err(FieldError::error(Field::EgsSerial, "format-1-2-3", Localized::new(
                "The serial must be three non-empty parts: 1-<maker or solution>|2-<model or version>|3-<serial>, e.g. 1-TST|2-TST|3-ed22f1d8.",
                "يجب أن يتكوّن الرقم التسلسلي من ثلاثة أجزاء غير فارغة: 1-<الشركة المصنّعة أو الحل>|2-<الطراز أو الإصدار>|3-<الرقم التسلسلي>، مثل 1-TST|2-TST|3-ed22f1d8.",
            )));
        }
        Ok(Self(serial.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Longest value accepted in any CSR text field. [INF] ZATCA does not publish
/// one; 64 is the X.520 upper bound for CN/O/OU that most CAs enforce.
pub const MAX_FIELD_CHARS: usize = 64;

/// The rules every free-text CSR field shares: present, not over
/// [`MAX_FIELD_CHARS`] characters (not bytes: Arabic is welcome), no control
/// characters.
pub fn check_text(field: Field, value: &str) -> Result<(), FieldError> {
    if value.trim().is_empty() {
        return Err(FieldError::error(field, "required", Localized::new(
            "This field is required.",
            "هذا الحقل مطلوب.",
        )));
    }
    let chars = value.chars().count();
    if chars > MAX_FIELD_CHARS {
        return Err(FieldError::error(field, "max-64-chars", Localized::new(
            format!("At most {MAX_FIELD_CHARS} characters; this has {chars}. Shorten it."),
            format!("الحد الأقصى {MAX_FIELD_CHARS} حرفًا، والمُدخل مكوّن من {}. اختصِره.", crate::i18n::count_ar(chars as u64, &crate::i18n::CHARACTERS)),
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(FieldError::error(field, "no-control-characters", Localized::new(
            "Remove line breaks, tabs and other invisible control characters.",
            "احذف فواصل الأسطر وعلامات الجدولة وغيرها من محارف التحكم غير المرئية.",
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vat_rules_name_the_broken_rule() {
        assert_eq!(VatNumber::parse("399999999900003").unwrap().as_str(), "399999999900003");
        assert_eq!(VatNumber::parse(" ٣٩٩٩٩٩٩٩٩٩٠٠٠٠٣ ").unwrap().as_str(), "399999999900003");
        for (input, rule) in [
            ("", "required"),
            ("39999999990000A", "digits-only"),
            ("39999999990003", "length-15"),
            ("299999999900003", "starts-and-ends-with-3"),
            ("399999999900002", "starts-and-ends-with-3"),
        ] {
            assert_eq!(VatNumber::parse(input).unwrap_err().rule, rule, "{input}");
        }
    }

    #[test]
    fn vat_group_is_the_eleventh_digit() {
        assert!(VatNumber::parse("311111111111113").unwrap().is_vat_group());
        assert!(!VatNumber::parse("311111111101113").unwrap().is_vat_group());
    }

    #[test]
    fn otp_keeps_leading_zeros_and_hides_itself() {
        let otp = Otp::parse("٠١٢ 345").unwrap();
        assert_eq!(otp.expose(), "012345");
        assert!(!format!("{otp:?}").contains("012345"));
        assert_eq!(Otp::parse("12345").unwrap_err().rule, "six-digits");
        assert_eq!(Otp::parse("1234567").unwrap_err().rule, "six-digits");
    }

    #[test]
    fn invoice_types_accept_only_the_three_codes() {
        assert_eq!(InvoiceTypes::parse("0100").unwrap(), InvoiceTypes::Simplified);
        assert!(InvoiceTypes::parse("1111").is_err());
        assert!(InvoiceTypes::parse("100").is_err());
    }

    #[test]
    fn serial_needs_three_non_empty_parts() {
        assert!(EgsSerial::parse("1-TST|2-TST|3-ed22f1d8-e6a2-1118-9b58-d9a8f11e445f").is_ok());
        // Typed on an Arabic keyboard: the same digits, written as the VAT number's are.
        assert_eq!(EgsSerial::parse(" ١-TST|٢-TST|3-٤٥۶ ").unwrap().as_str(), "1-TST|2-TST|3-456");
        for bad in ["1-TST|2-TST", "1-|2-TST|3-x", "1-a|3-b|2-c", "1-a|2-b|3-c|4-d"] {
            assert_eq!(EgsSerial::parse(bad).unwrap_err().rule, "format-1-2-3", "{bad}");
        }
    }

    #[test]
    fn text_limit_counts_characters_not_bytes() {
        let arabic_64 = "ش".repeat(64);
        assert!(check_text(Field::OrganizationName, &arabic_64).is_ok());
        assert_eq!(check_text(Field::OrganizationName, &"a".repeat(65)).unwrap_err().rule, "max-64-chars");
        assert_eq!(check_text(Field::OrganizationName, "a\nb").unwrap_err().rule, "no-control-characters");
    }

    proptest::proptest! {
        #[test]
        fn no_input_panics(s in "\\PC*") {
            let _ = VatNumber::parse(&s);
            let _ = Otp::parse(&s);
            let _ = InvoiceTypes::parse(&s);
            let _ = EgsSerial::parse(&s);
        }
    }
}
