//! The CSR layout of ZATCA's SDK (SPEC.md 2.2, 2.3), as data: the builder,
//! the parser, the preview and the lint all read these tables, so the order
//! and the attribute types are written down once.

use const_oid::ObjectIdentifier;
use fatoora_base::values::Field;
use fatoora_base::Environment;

pub const OID_COUNTRY: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.6");
pub const OID_ORGANIZATION_UNIT: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.11");
pub const OID_ORGANIZATION: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");
pub const OID_COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
/// `SN` is surname (2.5.4.4). ZATCA puts the EGS serial there, not in
/// serialNumber (2.5.4.5); CSRs using 2.5.4.5 are refused (SPEC.md 2.3).
pub const OID_SURNAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.4");
pub const OID_SERIAL_NUMBER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.5");
pub const OID_UID: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.9.2342.19200300.100.1.1");
pub const OID_TITLE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.12");
pub const OID_REGISTERED_ADDRESS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.26");
pub const OID_BUSINESS_CATEGORY: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.15");

/// Microsoft's certificateTemplateName, which ZATCA's AD CS policy reads.
pub const OID_CERTIFICATE_TEMPLATE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.20.2");
pub const OID_SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
pub const OID_EXTENSION_REQUEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.14");

pub const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
pub const OID_SECP256K1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.10");
pub const OID_ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
pub const OID_RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// How a value is written in the CSR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Printable,
    Utf8,
}

/// One attribute of the SDK layout.
#[derive(Debug, Clone, Copy)]
pub struct Slot {
    /// OpenSSL's short name, the one users see in `openssl req -text`.
    pub short_name: &'static str,
    pub oid: ObjectIdentifier,
    pub field: Field,
    pub encoding: Encoding,
}

const fn slot(short_name: &'static str, oid: ObjectIdentifier, field: Field, encoding: Encoding) -> Slot {
    Slot { short_name, oid, field, encoding }
}

/// Subject RDNs, in the SDK's order.
pub const SUBJECT: [Slot; 4] = [
    slot("C", OID_COUNTRY, Field::Country, Encoding::Printable),
    slot("OU", OID_ORGANIZATION_UNIT, Field::OrganizationUnit, Encoding::Utf8),
    slot("O", OID_ORGANIZATION, Field::OrganizationName, Encoding::Utf8),
    slot("CN", OID_COMMON_NAME, Field::CommonName, Encoding::Utf8),
];

/// The single-attribute RDNs of the SAN directoryName, in the SDK's order.
pub const SUBJECT_ALT_NAME: [Slot; 5] = [
    slot("SN", OID_SURNAME, Field::EgsSerial, Encoding::Utf8),
    slot("UID", OID_UID, Field::VatNumber, Encoding::Utf8),
    slot("title", OID_TITLE, Field::InvoiceTypes, Encoding::Utf8),
    slot("registeredAddress", OID_REGISTERED_ADDRESS, Field::Address, Encoding::Utf8),
    slot("businessCategory", OID_BUSINESS_CATEGORY, Field::BusinessCategory, Encoding::Utf8),
];

/// The environments whose CA accepts `template` (`local` and `sandbox`
/// share one); empty for a template no FATOORA environment knows.
pub fn environments_for_template(template: &str) -> Vec<Environment> {
    Environment::ALL.into_iter().filter(|env| env.certificate_template() == template).collect()
}

/// Names of curves users bring by mistake, for messages.
pub fn curve_name(oid: &ObjectIdentifier) -> String {
    match oid.to_string().as_str() {
        "1.3.132.0.10" => "secp256k1".into(),
        "1.2.840.10045.3.1.7" => "P-256 (prime256v1, secp256r1)".into(),
        "1.3.132.0.34" => "P-384 (secp384r1)".into(),
        "1.3.132.0.35" => "P-521 (secp521r1)".into(),
        other => oid_name(oid).unwrap_or_else(|| other.to_owned()),
    }
}

/// The registered name of an OID, when const-oid knows it.
pub fn oid_name(oid: &ObjectIdentifier) -> Option<String> {
    // Odoo puts organizationIdentifier in the subject; const-oid's table lacks it.
    if oid.to_string() == "2.5.4.97" {
        return Some("organizationIdentifier".into());
    }
    const_oid::db::DB.by_oid(oid).map(str::to_owned)
}

pub fn describe_oid(oid: &ObjectIdentifier) -> String {
    match oid_name(oid) {
        Some(name) => format!("{name} ({oid})"),
        None => oid.to_string(),
    }
}
