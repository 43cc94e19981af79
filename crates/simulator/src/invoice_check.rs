//! The gateway's own check of a signed UBL document on POST
//! /compliance/invoices (SPEC.md 3.3): hash, signature, certificate, QR,
//! seller and permissions, written independently of the app's signer
//! (fatoora-compliance-docs) so that one cannot hide the other's mistakes.
//!
//! Hash: drop `ext:UBLExtensions`, `cac:Signature` and the QR
//! `cac:AdditionalDocumentReference` (whitespace around them stays, as an
//! XPath filter leaves it), C14N 1.1, SHA-256. Signature: ECDSA secp256k1
//! over the raw 32-byte hash. Certificate digest: base64(hex(SHA-256 of the
//! base64 certificate text)). SignedProperties digest: the element's own
//! text with the `xades`/`ds` declarations added, SHA-256, hex, base64.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use der::{Decode, Encode};
use k256::ecdsa::VerifyingKey;
use serde::Serialize;
use sha2::{Digest, Sha256};
use signature::Verifier;
use xml_sec::c14n::{C14nAlgorithm, C14nMode, canonicalize};
use xml_sec::{XmlDomDocument as Document, XmlDomNode as Node};

use crate::findings::{InvoiceFinding, Severity, schema_invalid};

const NS_INVOICE: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
const NS_EXT: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2";
const NS_CAC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
const NS_CBC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";
const NS_DS: &str = "http://www.w3.org/2000/09/xmldsig#";
const NS_XADES: &str = "http://uri.etsi.org/01903/v1.3.2#";

/// What the document says about itself, once it parsed.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceFacts {
    /// base64 SHA-256 of the canonical document, as recomputed here.
    pub invoice_hash: String,
    pub type_code: String,
    /// `InvoiceTypeCode/@name`, e.g. 0100000 (standard) or 0200000 (simplified).
    pub subtype: String,
    pub seller_vat: Option<String>,
    pub simplified: bool,
}

impl InvoiceFacts {
    /// The compliance step this document satisfies (SPEC.md 3.1).
    pub fn step(&self) -> Option<&'static str> {
        Some(match (self.simplified, self.type_code.as_str()) {
            (false, "388") => "standard-compliant",
            (false, "381") => "standard-credit-note-compliant",
            (false, "383") => "standard-debit-note-compliant",
            (true, "388") => "simplified-compliant",
            (true, "381") => "simplified-credit-note-compliant",
            (true, "383") => "simplified-debit-note-compliant",
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
pub struct InvoiceReport {
    pub facts: Option<InvoiceFacts>,
    pub findings: Vec<InvoiceFinding>,
}

impl InvoiceReport {
    pub fn passed(&self) -> bool {
        self.facts.is_some() && self.findings.iter().all(|f| f.severity != Severity::Error)
    }
}

fn is(node: Node<'_, '_>, ns: &str, local: &str) -> bool {
    node.is_element() && node.tag_name().namespace() == Some(ns) && node.tag_name().name() == local
}

fn child<'a, 'i>(node: Node<'a, 'i>, ns: &str, local: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|c| is(*c, ns, local))
}

fn find<'a, 'i>(doc: &'a Document<'i>, ns: &str, local: &str) -> impl Iterator<Item = Node<'a, 'i>> {
    let (ns, local) = (ns.to_owned(), local.to_owned());
    doc.descendants().filter(move |n| is(*n, &ns, &local))
}

fn text_of(node: Option<Node<'_, '_>>) -> Option<String> {
    node.and_then(|n| n.text()).map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

fn is_qr_reference(node: Node<'_, '_>) -> bool {
    is(node, NS_CAC, "AdditionalDocumentReference") && text_of(child(node, NS_CBC, "ID")).as_deref() == Some("QR")
}

fn left_out_of_hash(node: Node<'_, '_>) -> bool {
    is(node, NS_EXT, "UBLExtensions") || is(node, NS_CAC, "Signature") || is_qr_reference(node)
}

/// The bytes whose SHA-256 is the invoice hash.
pub fn canonical_invoice(xml: &str) -> Result<Vec<u8>, String> {
    let doc = Document::parse(xml).map_err(|e| e.to_string())?;
    canonical_of(&doc)
}

fn canonical_of(doc: &Document<'_>) -> Result<Vec<u8>, String> {
    let visible = |node: Node<'_, '_>| !node.ancestors().any(|a| a.is_element() && left_out_of_hash(a));
    let mut out = Vec::new();
    canonicalize(doc, Some(&visible), &C14nAlgorithm::new(C14nMode::Inclusive1_1, false), &mut out)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

fn reference_digest(doc: &Document<'_>, matches: impl Fn(Node<'_, '_>) -> bool) -> Option<String> {
    find(doc, NS_DS, "Reference").find(|r| matches(*r)).and_then(|r| text_of(child(r, NS_DS, "DigestValue")))
}

/// The SignedProperties pre-image: the element's own text, with the two
/// namespace declarations C14N would have added (verified on the 19 SDK samples).
fn signed_properties_digest(xml: &str, node: Node<'_, '_>) -> Option<String> {
    let raw = xml.get(node.range())?;
    let mut out = String::with_capacity(raw.len() + 512);
    let mut rest = raw;
    let head = "<xades:SignedProperties";
    if !rest.starts_with(head) {
        return None;
    }
    out.push_str(head);
    out.push_str(&format!(r#" xmlns:xades="{NS_XADES}""#));
    rest = &rest[head.len()..];
    while let Some(at) = rest.find("<ds:") {
        let name_end = rest[at..].find(|c: char| c.is_whitespace() || c == '>' || c == '/').map(|i| at + i)?;
        out.push_str(&rest[..name_end]);
        out.push_str(&format!(r#" xmlns:ds="{NS_DS}""#));
        rest = &rest[name_end..];
    }
    out.push_str(rest);
    Some(STANDARD.encode(hex::encode(Sha256::digest(out.as_bytes()))))
}

/// One attribute of the certificate's SAN directory name (UID = VAT, title =
/// invoice types), as ZATCA copies it from the CSR.
fn certificate_san_attribute(cert: &x509_cert::Certificate, attribute: const_oid::ObjectIdentifier) -> Option<String> {
    let san = cert
        .tbs_certificate()
        .extensions()?
        .iter()
        .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME)?;
    let names = x509_cert::ext::pkix::SubjectAltName::from_der(san.extn_value.as_bytes()).ok()?;
    names.0.iter().find_map(|name| match name {
        x509_cert::ext::pkix::name::GeneralName::DirectoryName(dn) => dn
            .iter()
            .find(|atv| atv.oid == attribute)
            .and_then(|atv| crate::csr_check::directory_string(&atv.value)),
        _ => None,
    })
}

/// TLV: one byte tag, one byte length, value (SPEC.md 3.3 item 7).
fn qr_tags(qr_b64: &str) -> Option<Vec<(u8, Vec<u8>)>> {
    let bytes = STANDARD.decode(qr_b64.trim()).ok()?;
    let mut tags = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let tag = bytes[i];
        let len = *bytes.get(i + 1)? as usize;
        let value = bytes.get(i + 2..i + 2 + len)?.to_vec();
        tags.push((tag, value));
        i += 2 + len;
    }
    Some(tags)
}

/// Checks a signed document. `ccsid_der` is the certificate of the
/// authenticated compliance CSID; with it, the signer, the seller VAT and
/// the permitted invoice types are checked against it too.
pub fn verify_invoice(xml_bytes: &[u8], ccsid_der: Option<&[u8]>) -> InvoiceReport {
    let fail = |finding| InvoiceReport { facts: None, findings: vec![finding] };
    let Ok(xml) = std::str::from_utf8(xml_bytes) else { return fail(schema_invalid()) };
    let Ok(doc) = Document::parse(xml) else { return fail(schema_invalid()) };
    let root = doc.root_element();
    if !is(root, NS_INVOICE, "Invoice") {
        return fail(schema_invalid());
    }
    let Ok(canonical) = canonical_of(&doc) else { return fail(schema_invalid()) };
    let hash = Sha256::digest(&canonical);
    let invoice_hash = STANDARD.encode(hash);

    let type_node = child(root, NS_CBC, "InvoiceTypeCode");
    let type_code = text_of(type_node).unwrap_or_default();
    let subtype = type_node.and_then(|n| n.attribute("name")).unwrap_or_default().to_owned();
    let seller_vat = root
        .children()
        .find(|n| is(*n, NS_CAC, "AccountingSupplierParty"))
        .and_then(|n| child(n, NS_CAC, "Party"))
        .and_then(|n| child(n, NS_CAC, "PartyTaxScheme"))
        .and_then(|n| text_of(child(n, NS_CBC, "CompanyID")));
    let facts = InvoiceFacts {
        invoice_hash: invoice_hash.clone(),
        simplified: subtype.starts_with("02"),
        type_code,
        subtype,
        seller_vat,
    };
    let mut findings = Vec::new();
    let issue_timestamp = format!(
        "{}T{}",
        text_of(child(root, NS_CBC, "IssueDate")).unwrap_or_default(),
        text_of(child(root, NS_CBC, "IssueTime")).unwrap_or_default()
    );
    let mut error = |code, category, message: &str| findings.push(InvoiceFinding::error(code, category, message));

    // The schematron's BR-KSA-05 also allows 386 (prepayment), which no
    // compliance step takes; the rule id for it here is [INF]. The subtype
    // (BR-KSA-06) is left to the rules check (rules.rs).
    if facts.step().is_none() {
        error("BR-KSA-05", "KSA", "The invoice type code (BT-3) must be 388, 381 or 383 for these compliance checks.");
    }

    let signed_digest = reference_digest(&doc, |r| r.attribute("Id") == Some("invoiceSignedData"));
    if signed_digest.as_deref() != Some(invoice_hash.as_str()) {
        error(
            "invalid-invoice-hash",
            "INVOICE_HASHING_ERRORS",
            "The invoice hash in the signature does not match the (calculated) Hash of the XML",
        );
    }

    let cert_text = text_of(find(&doc, NS_DS, "X509Certificate").next());
    let cert = cert_text
        .as_deref()
        .and_then(|t| STANDARD.decode(t.split_whitespace().collect::<String>()).ok())
        .and_then(|der| x509_cert::Certificate::from_der(&der).ok());
    let signature_value = text_of(find(&doc, NS_DS, "SignatureValue").next());
    let Some(cert) = cert else {
        error("invalid-signing-certificate", "CERTIFICATE_ERRORS", "The signing certificate (X509Certificate) is missing or is not a certificate");
        return InvoiceReport { facts: Some(facts), findings };
    };
    let spki = cert.tbs_certificate().subject_public_key_info();
    let key = VerifyingKey::from_sec1_bytes(spki.subject_public_key.raw_bytes()).ok();
    let signature_ok = match (&key, signature_value.as_deref().and_then(|s| STANDARD.decode(s).ok())) {
        // ZATCA's signer does not normalise S (BIP 62); k256 only accepts
        // low-S, and (r, n - s) is the same ECDSA signature.
        (Some(key), Some(sig)) => k256::ecdsa::Signature::from_der(&sig)
            .is_ok_and(|sig| key.verify(&hash, &sig.normalize_s()).is_ok()),
        _ => false,
    };
    if !signature_ok {
        error("invalid-digital-signature", "SIGNATURE_ERRORS", "Invalid digital signature");
    }

    let cert_text = cert_text.unwrap_or_default();
    let cert_digest = STANDARD.encode(hex::encode(Sha256::digest(cert_text.as_bytes())));
    let stated_cert_digest = find(&doc, NS_XADES, "CertDigest").next().and_then(|n| text_of(child(n, NS_DS, "DigestValue")));
    if stated_cert_digest.as_deref() != Some(cert_digest.as_str()) {
        // Code, category and text as a live body shows them (sulaman0/zacta-phase2
        // issue #1); that the gateway names the CertDigest check so is [INF].
        error("certificate-hashing", "CERTIFICATE_ERRORS", "Invalid certificate hashing");
    }
    let properties = find(&doc, NS_XADES, "SignedProperties").next().and_then(|n| signed_properties_digest(xml, n));
    let stated_properties = reference_digest(&doc, |r| r.attribute("URI") == Some("#xadesSignedProperties"));
    if properties.is_none() || properties != stated_properties {
        // CERTIFICATE_ERRORS in every live body reported (wes4m/zatca-xml-js
        // #57 and #58, Saleh7/php-zatca-xml #19, SallaApp/ZATCA #50 and #52).
        error(
            "signed-properties-hashing",
            "CERTIFICATE_ERRORS",
            "Invalid signed properties hashing, SignedProperties with id='xadesSignedProperties'",
        );
    }

    let qr = root
        .children()
        .find(|n| is_qr_reference(*n))
        .and_then(|n| child(n, NS_CAC, "Attachment"))
        .and_then(|n| text_of(child(n, NS_CBC, "EmbeddedDocumentBinaryObject")));
    let mut qr_time_differs = false;
    match (qr.as_deref().map(qr_tags), facts.simplified) {
        (None, false) => {}
        (None, true) | (Some(None), _) => error(
            "QRCODE_INVALID",
            "QRCODE_VALIDATION",
            "Invalid QR code format, Please follow the ZATCA QR code specifications",
        ),
        (Some(Some(tags)), _) => {
            let tag = |t: u8| tags.iter().find(|(k, _)| *k == t).map(|(_, v)| v.as_slice());
            qr_time_differs = tag(3) != Some(issue_timestamp.as_bytes());
            if tag(6) != Some(invoice_hash.as_bytes()) {
                error("invoiceHash_QRCODE_INVALID", "QRCODE_VALIDATION", "Invoice xml hash does not match with qr code invoice xml hash");
            }
            let public_key = spki.to_der().ok();
            let seller_matches = tag(2).map(|v| String::from_utf8_lossy(v).into_owned()) == facts.seller_vat;
            if tag(7) != signature_value.as_deref().map(str::as_bytes) || tag(8) != public_key.as_deref() || !seller_matches {
                error("QRCODE_INVALID", "QRCODE_VALIDATION", "Failed to validate QR code");
            }
            if facts.simplified && tag(9) != Some(cert.signature().raw_bytes()) {
                error(
                    "CERTIFICATE_SIGNATURE_QRCODE_INVALID",
                    "QRCODE_VALIDATION",
                    "certificate signature does not match with qr certificate signature value",
                );
            }
        }
    }

    if let Some(ccsid_der) = ccsid_der {
        let ccsid = x509_cert::Certificate::from_der(ccsid_der).ok();
        let same_key = ccsid.as_ref().map(|c| c.tbs_certificate().subject_public_key_info()) == Some(spki);
        if !same_key {
            // Observed as a WARNING on reporting; a compliance check is
            // meant to prove the CCSID's key signs, so here it fails [INF].
            error(
                "invalid-signing-certificate",
                "CERTIFICATE_ERRORS",
                "X509Certificate (CCSID / PCSID) used for signing is not valid certificate (CCSID / PCSID) for this VAT Registration Number.",
            );
        }
        let vat = ccsid.as_ref().and_then(|cert| certificate_san_attribute(cert, const_oid::db::rfc4519::UID));
        if vat.is_none() || vat != facts.seller_vat {
            error(
                "certificate-permissions",
                "CERTIFICATE_ERRORS",
                "User only allowed to use the vat number that exists in the authentication certificate",
            );
        }
        let types = ccsid.as_ref().and_then(|cert| certificate_san_attribute(cert, const_oid::db::rfc4519::TITLE)).unwrap_or_default();
        let allowed = if facts.simplified { types.as_bytes().get(1) } else { types.as_bytes().first() } == Some(&b'1');
        if !allowed {
            // [INF] wording, after the observed "Production CSID does not cover Simplified documents".
            let kind = if facts.simplified { "Simplified" } else { "Standard" };
            error("certificate-permissions", "CERTIFICATE_ERRORS", &format!("Compliance CSID does not cover {kind} documents"));
        }
    }
    if qr_time_differs {
        // Live: a tag 3 with `Z` beside a zone-less IssueTime, or the reverse,
        // draws this warning (odoo/odoo#143379, Saleh7/php-zatca-xml#34); that
        // the gateway compares the two texts exactly is [INF].
        findings.push(InvoiceFinding::warning(
            "invoiceTimeStamp_QRCODE_INVALID",
            "QRCODE_VALIDATION",
            "Time on QR Code does not match with Invoice Issue Time (KSA-25). If ZATCA's SDK was used to generate QR Code, kindly use the latest version of SDK",
        ));
    }
    InvoiceReport { facts: Some(facts), findings }
}
