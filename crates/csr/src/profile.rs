//! The EGS unit profile: what a user types in the form or brings in the
//! SDK's `.properties` file, kept as typed so the lint can name every
//! mistake, and the exact values that go into the CSR.

use std::collections::HashMap;

use fatoora_base::values::{VatNumber, ascii_digits};
use fatoora_base::{Environment, Localized};
use serde::{Deserialize, Serialize};

use crate::layout::{self, Slot};

/// One EGS unit as the user describes it, for one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnitProfile {
    /// Taxpayer or organisation name as in the commercial registration (O).
    pub organization_name: String,
    /// 15-digit VAT registration number (SAN UID).
    pub vat_number: String,
    /// Branch name, or a VAT group member's 10-digit TIN (OU).
    pub organization_unit: String,
    /// Unique name or asset tracking number of the unit (CN).
    pub common_name: String,
    /// `1-<maker>|2-<model>|3-<serial>` (SAN SN).
    pub serial: String,
    /// `1000`, `0100` or `1100` (SAN title).
    pub invoice_types: String,
    /// Branch location, preferably the short national address (SAN registeredAddress).
    pub address: String,
    /// Industry or sector (SAN businessCategory).
    pub business_category: String,
    /// Always `SA`; kept so an imported SDK config saying otherwise is shown, not fixed.
    #[serde(default = "saudi_arabia")]
    pub country: String,
    pub environment: Environment,
}

fn saudi_arabia() -> String {
    "SA".to_owned()
}

/// ZATCA's `csr-config` files are under 1 KiB.
pub const SDK_PROPERTIES_FILE: fatoora_base::input::Cap =
    fatoora_base::input::Cap::new("SDK CSR config file", "ملف إعدادات CSR الخاص بحزمة SDK", 64 * fatoora_base::input::KIB);

/// An SDK `csr-config` file for [`UnitProfile::from_sdk_properties`], read
/// no further than [`SDK_PROPERTIES_FILE`].
pub fn read_sdk_properties_file(path: &std::path::Path) -> Result<Vec<u8>, fatoora_base::input::InputError> {
    fatoora_base::input::read_capped(path, SDK_PROPERTIES_FILE)
}

/// The VAT number ZATCA's sandbox issues its fixed certificates for (SPEC.md 1.8).
pub const SANDBOX_VAT_NUMBER: &str = "399999999900003";

impl UnitProfile {
    /// The unit of ZATCA's SDK sample `csr-config-example-EN.properties`,
    /// whose VAT number is the one the sandbox issues its fixed certificates
    /// for: the rehearsal's demo unit starts from it, and tests use it as
    /// the profile known to be valid.
    pub fn sdk_example(environment: Environment) -> Self {
        Self {
            organization_name: "Maximum Speed Tech Supply LTD".into(),
            vat_number: SANDBOX_VAT_NUMBER.into(),
            organization_unit: "Riyadh Branch".into(),
            common_name: "TST-886431145-399999999900003".into(),
            serial: "1-TST|2-TST|3-ed22f1d8-e6a2-1118-9b58-d9a8f11e445f".into(),
            invoice_types: "1100".into(),
            address: "RRRD2929".into(),
            business_category: "Supply activities".into(),
            country: saudi_arabia(),
            environment,
        }
    }

    /// Reads the SDK's `csr-config-*.properties` (UTF-8, as ZATCA ships
    /// them, Arabic included). Missing keys become empty fields, which the
    /// lint then reports; unknown keys are ignored as the SDK ignores them.
    pub fn from_sdk_properties(text: &[u8], environment: Environment) -> Result<Self, PropertiesError> {
        // java-properties panics inside its decoder on invalid UTF-8, and
        // ZATCA's files are UTF-8: anything else (Windows-1256 from an old
        // editor, usually) is refused with that reason.
        if let Err(error) = SDK_PROPERTIES_FILE.check(text.len() as u64, None) {
            return Err(PropertiesError { line: None, detail: error.to_string() });
        }
        let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
        if let Err(error) = std::str::from_utf8(text) {
            let line = text[..error.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
            return Err(PropertiesError { line: Some(line), detail: "not UTF-8 text".into() });
        }
        let mut map = HashMap::new();
        java_properties::PropertiesIter::new_with_encoding(text, encoding_rs::UTF_8)
            .read_into(|key, value| {
                map.insert(key, value);
            })
            .map_err(|error| PropertiesError { line: error.line_number(), detail: error.to_string() })?;
        let mut take = |key: &str| map.remove(key).unwrap_or_default();
        Ok(Self {
            common_name: take("csr.common.name"),
            serial: take("csr.serial.number"),
            vat_number: take("csr.organization.identifier"),
            organization_unit: take("csr.organization.unit.name"),
            organization_name: take("csr.organization.name"),
            country: take("csr.country.name"),
            invoice_types: take("csr.invoice.type"),
            address: take("csr.location.address"),
            business_category: take("csr.industry.business.category"),
            environment,
        })
    }

    /// The value a slot of the layout gets, exactly as it will be written:
    /// trimmed (surrounding spaces are invisible in a form), and digits
    /// typed on an Arabic keyboard made ASCII where the field is a number.
    pub fn csr_value(&self, slot: &Slot) -> String {
        use fatoora_base::values::Field;
        match slot.field {
            Field::Country => self.country.trim().to_owned(),
            Field::OrganizationUnit if self.is_vat_group() => ascii_digits(self.organization_unit.trim()),
            Field::OrganizationUnit => self.organization_unit.trim().to_owned(),
            Field::OrganizationName => self.organization_name.trim().to_owned(),
            Field::CommonName => self.common_name.trim().to_owned(),
            Field::EgsSerial => ascii_digits(self.serial.trim()),
            Field::VatNumber => match VatNumber::parse(&self.vat_number) {
                Ok(vat) => vat.as_str().to_owned(),
                Err(_) => self.vat_number.trim().to_owned(),
            },
            Field::InvoiceTypes => ascii_digits(self.invoice_types.trim()),
            Field::Address => self.address.trim().to_owned(),
            Field::BusinessCategory => self.business_category.trim().to_owned(),
            Field::CertificateTemplate => self.certificate_template().to_owned(),
            _ => String::new(),
        }
    }

    pub fn certificate_template(&self) -> &'static str {
        self.environment.certificate_template()
    }

    pub(crate) fn is_vat_group(&self) -> bool {
        VatNumber::parse(&self.vat_number).is_ok_and(|vat| vat.is_vat_group())
    }

    /// What the CSR will say, line by line, for the form's preview. Works
    /// on an unfinished profile too: the preview shows what is there.
    pub fn preview(&self) -> CsrPreview {
        let line = |slot: &Slot| PreviewLine {
            short_name: slot.short_name,
            oid: slot.oid.to_string(),
            label: slot.field.label(),
            value: self.csr_value(slot),
        };
        CsrPreview {
            subject: layout::SUBJECT.iter().map(line).collect(),
            subject_alt_name: layout::SUBJECT_ALT_NAME.iter().map(line).collect(),
            certificate_template: self.certificate_template(),
            environment: self.environment,
            key: Localized::new(
                "EC secp256k1, signed with ecdsa-with-SHA256; the private key stays in the keychain",
                "منحنى EC secp256k1، والتوقيع ecdsa-with-SHA256؛ ويبقى المفتاح الخاص في سلسلة المفاتيح",
            ),
        }
    }
}

/// The CSR's fields as the GUI shows them before anything is generated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CsrPreview {
    pub subject: Vec<PreviewLine>,
    pub subject_alt_name: Vec<PreviewLine>,
    pub certificate_template: &'static str,
    pub environment: Environment,
    pub key: Localized,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewLine {
    pub short_name: &'static str,
    pub oid: String,
    pub label: Localized,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the SDK CSR config could not be read (line {line:?}): {detail}")]
pub struct PropertiesError {
    pub line: Option<usize>,
    pub detail: String,
}

impl PropertiesError {
    pub fn explain(&self) -> Localized {
        let Some(line) = self.line else {
            return Localized::new(
                format!("The SDK CSR config could not be read ({}). Choose the csr-config .properties file from the SDK.", self.detail),
                format!("تعذّرت قراءة ملف إعدادات CSR الخاص بحزمة SDK ‏({}). اختر ملف csr-config ذا الامتداد ‎.properties‎ من حزمة SDK.", self.detail),
            );
        };
        Localized::new(
            format!("The SDK CSR config could not be read near line {line} ({}). Open it in a text editor, save it as UTF-8 (not Windows-1256/ANSI) with one key=value per line, and try again.", self.detail),
            format!("تعذّرت قراءة ملف إعدادات CSR الخاص بحزمة SDK قرب السطر {line} ({}). افتحه في محرر نصوص واحفظه بترميز UTF-8 (لا Windows-1256/ANSI) بحيث يكون كل سطر على صورة مفتاح=قيمة، ثم أعد المحاولة.", self.detail),
        )
    }
}
