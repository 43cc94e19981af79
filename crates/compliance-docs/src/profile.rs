//! Who issues the documents: the seller data that must match the CSID
//! (name and VAT number, SPEC.md 3.1) plus the address and identifier
//! ZATCA's rules require on every document.

use fatoora_base::values::{Field, FieldError, VatNumber, check_text};
use fatoora_base::{Environment, Localized};
use fatoora_csr::UnitProfile;

use crate::error::{DocsError, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub street: String,
    /// Four digits (BR-KSA-37).
    pub building_number: String,
    /// District (KSA-3).
    pub district: String,
    pub city: String,
    /// Five digits (BR-KSA-66).
    pub postal_zone: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyIdentification {
    /// CRN, MOM, MLS, SAG, OTH or 700 for the seller (BR-KSA-08).
    pub scheme: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SellerProfile {
    /// `RegistrationName`: the certificate's organization name (O).
    pub name: String,
    pub vat_number: VatNumber,
    pub identification: PartyIdentification,
    pub address: Address,
}

impl SellerProfile {
    /// The seller of a unit as its CSR describes it. The CSR has no postal
    /// address or registration number, so the sample address and CRN of
    /// ZATCA's SDK documents stand in: ZATCA staff say compliance documents
    /// may be dummies as long as structure, VAT number and name are right
    /// (SPEC.md 3.1, forum topic 657).
    pub fn from_unit_profile(unit: &UnitProfile) -> Result<Self> {
        Self::new(&unit.organization_name, &unit.vat_number, PartyIdentification::sample(), Address::sample())
    }

    /// The seller of an SDK `csr-config` properties file, read as the CSR
    /// preparation reads it.
    pub fn from_sdk_config(text: &str) -> Result<Self> {
        Self::from_unit_profile(&unit_profile_from_sdk_config(text)?)
    }

    pub fn new(name: &str, vat_number: &str, identification: PartyIdentification, address: Address) -> Result<Self> {
        let name = name.trim();
        check_text(Field::OrganizationName, name)?;
        let profile = Self { name: name.to_string(), vat_number: VatNumber::parse(vat_number)?, identification, address };
        profile.address.check()?;
        profile.identification.check()?;
        Ok(profile)
    }
}

/// The whole unit profile of an SDK `csr-config` file (environment: the
/// default one; only the seller fields and invoice types matter here).
pub fn unit_profile_from_sdk_config(text: &str) -> Result<UnitProfile> {
    UnitProfile::from_sdk_properties(text.as_bytes(), Environment::default())
        .map_err(|error| DocsError::SdkConfig(error.explain()))
}

impl Address {
    /// The seller address of ZATCA's SDK samples (Riyadh).
    pub fn sample() -> Self {
        Self {
            street: "الامير سلطان | Prince Sultan".into(),
            building_number: "2322".into(),
            district: "المربع | Al-Murabba".into(),
            city: "الرياض | Riyadh".into(),
            postal_zone: "23333".into(),
            country: "SA".into(),
        }
    }

    fn check(&self) -> Result<()> {
        for (value, what) in [(&self.street, "street"), (&self.district, "district"), (&self.city, "city")] {
            check_text(Field::Address, value).map_err(|error| with_part(error, what))?;
        }
        let digits = |value: &str, count: usize| value.len() == count && value.bytes().all(|byte| byte.is_ascii_digit());
        if !digits(&self.building_number, 4) {
            return Err(address_rule("building-number-4-digits", Localized::new(
                "The building number must be exactly 4 digits (ZATCA rule BR-KSA-37).",
                "رقم المبنى يجب أن يتكون من 4 أرقام بالضبط (قاعدة الهيئة BR-KSA-37).",
            )));
        }
        if !digits(&self.postal_zone, 5) {
            return Err(address_rule("postal-code-5-digits", Localized::new(
                "The postal code must be exactly 5 digits (ZATCA rule BR-KSA-66).",
                "الرمز البريدي يجب أن يتكون من 5 أرقام بالضبط (قاعدة الهيئة BR-KSA-66).",
            )));
        }
        if !(self.country.len() == 2 && self.country.bytes().all(|byte| byte.is_ascii_uppercase())) {
            return Err(address_rule("country-alpha-2", Localized::new(
                "The country must be a two-letter ISO code such as SA.",
                "رمز الدولة يجب أن يكون من حرفين وفق ISO مثل SA.",
            )));
        }
        Ok(())
    }
}

fn with_part(mut error: FieldError, part: &str) -> DocsError {
    error.message.en = format!("{part}: {}", error.message.en);
    error.message.ar = format!("{part}: {}", error.message.ar);
    DocsError::Field(error)
}

fn address_rule(rule: &'static str, message: Localized) -> DocsError {
    DocsError::Field(FieldError::error(Field::Address, rule, message))
}

impl PartyIdentification {
    /// The commercial registration number of ZATCA's SDK samples.
    pub fn sample() -> Self {
        Self { scheme: "CRN".into(), value: "1010010000".into() }
    }

    fn check(&self) -> Result<()> {
        let scheme_ok = ["CRN", "MOM", "MLS", "SAG", "OTH", "700"].contains(&self.scheme.as_str());
        let value_ok = !self.value.is_empty() && self.value.bytes().all(|byte| byte.is_ascii_alphanumeric());
        if scheme_ok && value_ok {
            return Ok(());
        }
        Err(DocsError::Field(FieldError::error(Field::OrganizationName, "seller-identification", Localized::new(
            "The seller identification needs a scheme (CRN, MOM, MLS, SAG, OTH or 700) and a value of letters and digits only (ZATCA rule BR-KSA-08).",
            "معرّف البائع يحتاج إلى نوع (CRN أو MOM أو MLS أو SAG أو OTH أو 700) وقيمة من حروف وأرقام فقط (قاعدة الهيئة BR-KSA-08).",
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_sdk_config_and_refuses_a_bad_vat_number() {
        let config = "csr.organization.identifier=399999999900003\ncsr.organization.name=شركة توريد التكنولوجيا بأقصى سرعة المحدودة\n";
        let profile = SellerProfile::from_sdk_config(config).unwrap();
        assert_eq!(profile.vat_number.as_str(), "399999999900003");
        assert_eq!(profile.name, "شركة توريد التكنولوجيا بأقصى سرعة المحدودة");

        let bad = config.replace("399999999900003", "123");
        assert!(matches!(SellerProfile::from_sdk_config(&bad), Err(DocsError::Field(error)) if error.field == Field::VatNumber));
        let missing = "csr.organization.identifier=399999999900003\n";
        assert!(matches!(SellerProfile::from_sdk_config(missing), Err(DocsError::Field(error)) if error.field == Field::OrganizationName));
    }

    #[test]
    fn address_rules_name_the_broken_rule() {
        let mut address = Address::sample();
        address.building_number = "23".into();
        let error = SellerProfile::new("Seller", "399999999900003", PartyIdentification::sample(), address).unwrap_err();
        assert!(matches!(error, DocsError::Field(error) if error.rule == "building-number-4-digits"));
    }
}
