//! Checking a signed document the way FATOORA does: invoice hash, ECDSA
//! signature, certificate digest, issuer and serial, signed-properties
//! digest and QR code, each reported on its own so a failure says which.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use k256::ecdsa::Signature;
use k256::ecdsa::signature::Verifier;
use serde::Serialize;
use xml_sec::{Document, Node};

use crate::credentials::{SigningCertificate, base64_of_hex_sha256};
use crate::error::{DocsError, Result};
use crate::hash::invoice_hash;
use crate::ns;
use crate::qr::QrCode;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", content = "reason", rename_all = "lowercase")]
pub enum Check {
    Passed,
    Failed(String),
}

impl Check {
    fn expect(condition: bool, reason: impl FnOnce() -> String) -> Self {
        if condition { Check::Passed } else { Check::Failed(reason()) }
    }

    pub fn passed(&self) -> bool {
        *self == Check::Passed
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// Our hash of the document, base64.
    pub computed_hash: String,
    pub invoice_hash: Check,
    pub signature: Check,
    pub certificate_digest: Check,
    pub issuer_serial: Check,
    pub signed_properties: Check,
    /// `None` when the document carries no QR code.
    pub qr: Option<Check>,
    /// The certificate in `ds:KeyInfo`, when it can be read.
    #[serde(skip)]
    pub certificate: Option<SigningCertificate>,
}

impl Verification {
    pub fn all_passed(&self) -> bool {
        [&self.invoice_hash, &self.signature, &self.certificate_digest, &self.issuer_serial, &self.signed_properties]
            .into_iter()
            .chain(self.qr.as_ref())
            .all(Check::passed)
    }
}

/// Errors only when the document cannot be read or lacks a signature part;
/// wrong values come back as failed checks.
pub fn verify_signed_document(xml: &str) -> Result<Verification> {
    let document = Document::parse(xml).map_err(|error| DocsError::Xml(error.to_string()))?;
    let root = document.root_element();
    let signature = find(root, ns::DS, "Signature").ok_or(DocsError::Missing("ds:Signature"))?;
    let reference = |id_attribute: (&str, &str)| {
        descendants(signature, ns::DS, "Reference")
            .find(|node| node.attribute(id_attribute.0) == Some(id_attribute.1))
            .and_then(|node| find(node, ns::DS, "DigestValue"))
            .and_then(|node| node.text())
            .map(str::trim)
    };
    let claimed_hash = reference(("Id", "invoiceSignedData")).ok_or(DocsError::Missing("invoiceSignedData DigestValue"))?;
    let claimed_properties_digest =
        reference(("URI", "#xadesSignedProperties")).ok_or(DocsError::Missing("#xadesSignedProperties DigestValue"))?;
    let signature_value = text_of(signature, ns::DS, "SignatureValue").ok_or(DocsError::Missing("ds:SignatureValue"))?;
    let certificate_text: String = text_of(signature, ns::DS, "X509Certificate")
        .ok_or(DocsError::Missing("ds:X509Certificate"))?
        .split_whitespace()
        .collect();
    let signed_properties = find(signature, ns::XADES, "SignedProperties").ok_or(DocsError::Missing("xades:SignedProperties"))?;
    let cert_digest = find(signed_properties, ns::XADES, "CertDigest")
        .and_then(|node| text_of(node, ns::DS, "DigestValue"))
        .ok_or(DocsError::Missing("xades:CertDigest"))?;

    let hash = invoice_hash(xml)?;
    let computed_hash = hash.base64();
    let certificate = SigningCertificate::from_text(&certificate_text).ok();

    let invoice_hash_check = Check::expect(claimed_hash == computed_hash, || {
        format!("the document hashes to {computed_hash}, the signature says {claimed_hash}")
    });
    let signature_check = match &certificate {
        None => Check::Failed("the certificate in ds:KeyInfo cannot be read".into()),
        Some(certificate) => check_signature(certificate, signature_value, &hash.0),
    };
    let expected_cert_digest = base64_of_hex_sha256(certificate_text.as_bytes());
    let certificate_digest = Check::expect(cert_digest == expected_cert_digest, || {
        format!("xades:CertDigest is {cert_digest}, the certificate in ds:KeyInfo digests to {expected_cert_digest}")
    });
    let issuer_serial = match &certificate {
        None => Check::Failed("the certificate in ds:KeyInfo cannot be read".into()),
        Some(certificate) => {
            let issuer = text_of(signed_properties, ns::DS, "X509IssuerName").unwrap_or_default();
            let serial = text_of(signed_properties, ns::DS, "X509SerialNumber").unwrap_or_default();
            Check::expect(issuer == certificate.issuer_name() && serial == certificate.serial_decimal(), || {
                format!(
                    "IssuerSerial says {issuer:?} / {serial}, the certificate has {:?} / {}",
                    certificate.issuer_name(),
                    certificate.serial_decimal()
                )
            })
        }
    };
    let properties_digest = base64_of_hex_sha256(signed_properties_pre_image(xml, signed_properties).as_bytes());
    let signed_properties_check = Check::expect(properties_digest == claimed_properties_digest, || {
        format!("xades:SignedProperties digests to {properties_digest}, SignedInfo says {claimed_properties_digest}")
    });
    let qr = qr_payload(root).map(|payload| match (QrCode::from_base64(payload), &certificate) {
        (Err(error), _) => Check::Failed(error.to_string()),
        (Ok(_), None) => Check::Failed("the certificate in ds:KeyInfo cannot be read".into()),
        (Ok(qr), Some(certificate)) => check_qr(&qr, root, &computed_hash, signature_value, certificate),
    });
    Ok(Verification {
        computed_hash,
        invoice_hash: invoice_hash_check,
        signature: signature_check,
        certificate_digest,
        issuer_serial,
        signed_properties: signed_properties_check,
        qr,
        certificate,
    })
}

/// ECDSA over the 32-byte hash of the document as it is, not over the
/// claimed digest, so a changed body fails here too. ZATCA's signer may emit
/// a high S, which k256 would refuse unless normalized.
fn check_signature(certificate: &SigningCertificate, signature_value: &str, hash: &[u8; 32]) -> Check {
    let Ok(key) = certificate.verifying_key() else {
        return Check::Failed("the certificate's key is not a secp256k1 key".into());
    };
    let Ok(der) = B64.decode(signature_value) else {
        return Check::Failed("ds:SignatureValue is not base64".into());
    };
    let Ok(signature) = Signature::from_der(&der) else {
        return Check::Failed("ds:SignatureValue is not a DER ECDSA signature".into());
    };
    Check::expect(key.verify(hash, &signature.normalize_s()).is_ok(), || {
        "ds:SignatureValue does not verify with the certificate's key over the document's hash".into()
    })
}

fn check_qr(qr: &QrCode, root: Node, computed_hash: &str, signature_value: &str, certificate: &SigningCertificate) -> Check {
    let supplier = find(root, ns::CAC, "AccountingSupplierParty");
    let seller_name = supplier.and_then(|party| text_of(party, ns::CBC, "RegistrationName")).unwrap_or_default();
    let vat_number = supplier.and_then(|party| text_of(party, ns::CBC, "CompanyID")).unwrap_or_default();
    let timestamp = format!("{}T{}", child_text(root, ns::CBC, "IssueDate"), child_text(root, ns::CBC, "IssueTime"));
    // The SDK writes PayableAmount into tag 4 (its advance-payment samples
    // differ from TaxInclusiveAmount there) and the first VAT total into tag 5.
    let payable = find(root, ns::CAC, "LegalMonetaryTotal").and_then(|node| text_of(node, ns::CBC, "PayableAmount")).unwrap_or_default();
    let vat_total = children(root, ns::CAC, "TaxTotal").next().map(|node| child_text(node, ns::CBC, "TaxAmount")).unwrap_or_default();
    let public_key = certificate.public_key_der().unwrap_or_default();
    let mismatches: Vec<&str> = [
        (qr.seller_name == seller_name, "1 (seller name)"),
        (qr.vat_number == vat_number, "2 (VAT number)"),
        (qr.timestamp == timestamp, "3 (timestamp)"),
        (same_amount(&qr.total_with_vat, payable), "4 (total with VAT)"),
        (same_amount(&qr.vat_total, vat_total), "5 (VAT total)"),
        (qr.invoice_hash == computed_hash, "6 (invoice hash)"),
        (qr.signature == signature_value, "7 (signature)"),
        (qr.public_key == public_key, "8 (public key)"),
        (qr.certificate_signature.as_deref().is_none_or(|value| value == certificate.signature_der()), "9 (certificate signature)"),
    ]
    .into_iter()
    .filter_map(|(ok, tag)| (!ok).then_some(tag))
    .collect();
    Check::expect(mismatches.is_empty(), || format!("QR tags that do not match the document: {}", mismatches.join(", ")))
}

/// Amounts as numbers: the SDK writes `0.6` in one place and `0.60` in another.
fn same_amount(left: &str, right: &str) -> bool {
    fn normal(amount: &str) -> String {
        let amount = amount.trim();
        let (whole, fraction) = amount.split_once('.').unwrap_or((amount, ""));
        let whole = whole.trim_start_matches('0');
        let fraction = fraction.trim_end_matches('0');
        format!("{}.{fraction}", if whole.is_empty() { "0" } else { whole })
    }
    normal(left) == normal(right)
}

/// The signed-properties pre-image taken from the document's own text: the
/// element's bytes with `xmlns` declarations written onto it and onto each
/// XMLDSig element inside, as ZATCA's SDK serializes it (SPEC.md 3.3 item 5).
fn signed_properties_pre_image(xml: &str, signed_properties: Node) -> String {
    let range = signed_properties.range();
    let mut insertions: Vec<(usize, String)> = signed_properties
        .descendants()
        .filter(|node| node.is_element())
        .filter_map(|node| {
            let uri = node.tag_name().namespace()?;
            let is_apex = node.id() == signed_properties.id();
            (is_apex || uri == ns::DS).then(|| {
                let tag_start = node.range().start + 1;
                let qualified_name: &str = xml[tag_start..]
                    .split(|c: char| c.is_whitespace() || c == '>' || c == '/')
                    .next()
                    .unwrap_or_default();
                let declaration = match qualified_name.split_once(':') {
                    Some((prefix, _)) => format!(r#" xmlns:{prefix}="{uri}""#),
                    None => format!(r#" xmlns="{uri}""#),
                };
                (tag_start + qualified_name.len(), declaration)
            })
        })
        .collect();
    insertions.sort_by_key(|(position, _)| *position);
    let mut pre_image = String::with_capacity(range.len() + 64 * insertions.len());
    let mut cursor = range.start;
    for (position, declaration) in insertions {
        pre_image.push_str(&xml[cursor..position]);
        pre_image.push_str(&declaration);
        cursor = position;
    }
    pre_image.push_str(&xml[cursor..range.end]);
    pre_image
}

fn qr_payload<'a>(root: Node<'a, 'a>) -> Option<&'a str> {
    children(root, ns::CAC, "AdditionalDocumentReference")
        .find(|reference| child_text(*reference, ns::CBC, "ID") == "QR")
        .and_then(|reference| text_of(reference, ns::CBC, "EmbeddedDocumentBinaryObject"))
}

fn is(node: &Node, namespace: &str, name: &str) -> bool {
    node.is_element() && node.tag_name().namespace() == Some(namespace) && node.tag_name().name() == name
}

fn descendants<'a, 'input>(node: Node<'a, 'input>, namespace: &'static str, name: &'static str) -> impl Iterator<Item = Node<'a, 'input>> {
    node.descendants().filter(move |candidate| is(candidate, namespace, name))
}

fn children<'a, 'input>(node: Node<'a, 'input>, namespace: &'static str, name: &'static str) -> impl Iterator<Item = Node<'a, 'input>> {
    node.children().filter(move |candidate| is(candidate, namespace, name))
}

fn find<'a, 'input>(node: Node<'a, 'input>, namespace: &'static str, name: &'static str) -> Option<Node<'a, 'input>> {
    descendants(node, namespace, name).next()
}

fn text_of<'a>(node: Node<'a, 'a>, namespace: &'static str, name: &'static str) -> Option<&'a str> {
    find(node, namespace, name).and_then(|found| found.text()).map(str::trim)
}

fn child_text<'a>(node: Node<'a, 'a>, namespace: &'static str, name: &'static str) -> &'a str {
    children(node, namespace, name).next().and_then(|found| found.text()).map(str::trim).unwrap_or_default()
}
