//! Turning a [`DocumentSpec`] into the signed document FATOORA's compliance
//! check expects, and the request body that carries it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{NaiveDateTime, Timelike};
use fatoora_base::values::InvoiceTypes;
use k256::ecdsa::signature::Signer;
use k256::ecdsa::{Signature, SigningKey};
use serde::{Deserialize, Serialize};

use crate::credentials::SigningCertificate;
use crate::document::{Buyer, DocumentKind, DocumentSpec, Line, format_halalas};
use crate::error::Result;
use crate::hash::invoice_hash;
use crate::profile::SellerProfile;
use crate::qr::QrCode;
use crate::xades::{SignatureParts, ubl_extensions};

/// The PIH of a unit's first document: base64 of the hex SHA-256 of "0"
/// (the SDK's `pih.txt`, SPEC.md 3.1).
pub const INITIAL_PREVIOUS_HASH: &str = "NWZlY2ViNjZmZmM4NmYzOGQ5NTI3ODZjNmQ2OTZjNzljMmRiYzIzOWRkNGU5MWI0NjcyOWQ3M2EyN2ZiNTdlOQ==";

/// Body of `POST /compliance/invoices` (SPEC.md 3.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplianceRequest {
    #[serde(rename = "invoiceHash")]
    pub invoice_hash: String,
    pub uuid: String,
    /// The signed XML, base64.
    pub invoice: String,
}

#[derive(Debug, Clone)]
pub struct SignedDocument {
    pub kind: DocumentKind,
    pub xml: String,
    pub request: ComplianceRequest,
}

impl SignedDocument {
    /// The base64 invoice hash: the next document's PIH.
    pub fn invoice_hash(&self) -> &str {
        &self.request.invoice_hash
    }
}

/// Where the unit's invoice chain stands: the next counter (ICV) and the
/// hash of the previous document (PIH).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainStart {
    pub counter: u64,
    pub previous_hash: String,
}

impl Default for ChainStart {
    fn default() -> Self {
        Self { counter: 1, previous_hash: INITIAL_PREVIOUS_HASH.to_string() }
    }
}

/// The documents the compliance step needs for `invoice_types`, issued now,
/// chained from the SDK's initial PIH.
pub fn generate_documents(
    profile: &SellerProfile,
    certificate: &SigningCertificate,
    key: &SigningKey,
    invoice_types: InvoiceTypes,
) -> Result<Vec<SignedDocument>> {
    generate_documents_at(profile, certificate, key, invoice_types, chrono::Utc::now().naive_utc(), ChainStart::default())
}

pub fn generate_documents_at(
    profile: &SellerProfile,
    certificate: &SigningCertificate,
    key: &SigningKey,
    invoice_types: InvoiceTypes,
    issued_at: NaiveDateTime,
    chain: ChainStart,
) -> Result<Vec<SignedDocument>> {
    certificate.check_key(key)?;
    let issued_at = issued_at.with_nanosecond(0).unwrap_or(issued_at);
    let mut documents: Vec<SignedDocument> = Vec::new();
    let mut previous_hash = chain.previous_hash;
    let mut invoice_ids: Vec<(bool, String)> = Vec::new();
    for (offset, kind) in DocumentKind::for_invoice_types(invoice_types).into_iter().enumerate() {
        let counter = chain.counter + offset as u64;
        let id = format!("CMP-{counter:05}");
        let billing_reference = kind.is_note().then(|| {
            invoice_ids.iter().find(|(simplified, _)| *simplified == kind.is_simplified()).map(|(_, id)| id.clone())
        });
        if !kind.is_note() {
            invoice_ids.push((kind.is_simplified(), id.clone()));
        }
        let spec = DocumentSpec {
            kind,
            id,
            uuid: uuid::Uuid::new_v4().to_string(),
            issued_at,
            counter,
            previous_hash: previous_hash.clone(),
            billing_reference: billing_reference.flatten(),
            note_reason: kind.is_note().then(|| note_reason(kind).to_string()),
            seller: profile.clone(),
            buyer: if kind.is_simplified() { Buyer::sample_consumer() } else { Buyer::sample_business() },
            lines: Line::samples(),
        };
        let document = sign_document(&spec, certificate, key)?;
        previous_hash = document.request.invoice_hash.clone();
        documents.push(document);
    }
    Ok(documents)
}

fn note_reason(kind: DocumentKind) -> &'static str {
    if kind.type_code() == "381" {
        "Goods returned by the customer | إرجاع البضاعة من العميل"
    } else {
        "Price adjustment after delivery | تعديل السعر بعد التوريد"
    }
}


/// Hash, sign and add the QR code: tags 1 to 8 on every document, tag 9
/// (the CA's signature of the certificate) on simplified ones only, as in
/// the SDK samples. The key must belong to `certificate`;
/// [`generate_documents`] checks that once.
pub fn sign_document(spec: &DocumentSpec, certificate: &SigningCertificate, key: &SigningKey) -> Result<SignedDocument> {
    let hash = invoice_hash(&spec.render("", ""))?;
    let hash_base64 = hash.base64();
    let signature: Signature = key.sign(&hash.0);
    let signature_base64 = B64.encode(signature.to_der().as_bytes());
    let totals = spec.totals();
    let timestamp = spec.issue_timestamp();
    let qr = QrCode {
        seller_name: spec.seller.name.clone(),
        vat_number: spec.seller.vat_number.as_str().to_string(),
        timestamp: timestamp.clone(),
        total_with_vat: format_halalas(totals.with_vat_halalas()),
        vat_total: format_halalas(totals.vat_halalas),
        invoice_hash: hash_base64.clone(),
        signature: signature_base64.clone(),
        public_key: certificate.public_key_der()?,
        certificate_signature: spec.kind.is_simplified().then(|| certificate.signature_der().to_vec()),
    }
    .to_base64()?;
    let block = ubl_extensions(&SignatureParts {
        invoice_hash: &hash_base64,
        signature_value: &signature_base64,
        certificate,
        signing_time: &timestamp,
    });
    let xml = spec.render(&block, &qr);
    let request = ComplianceRequest { invoice_hash: hash_base64, uuid: spec.uuid.clone(), invoice: B64.encode(xml.as_bytes()) };
    Ok(SignedDocument { kind: spec.kind, xml, request })
}
