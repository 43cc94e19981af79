//! The invoice hash (SPEC.md 3.3 item 1): the document without
//! `ext:UBLExtensions`, `cac:Signature` and the QR `AdditionalDocumentReference`,
//! canonicalized with C14N 1.1, SHA-256. It is the `invoiceSignedData`
//! digest, the API's `invoiceHash`, QR tag 6 and the next document's PIH.

use std::ops::Range;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256};
use xml_sec::c14n::{C14nAlgorithm, C14nMode, canonicalize};
use xml_sec::{Document, Node};

use crate::error::{DocsError, Result};
use crate::ns;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvoiceHash(pub [u8; 32]);

impl InvoiceHash {
    pub fn base64(&self) -> String {
        B64.encode(self.0)
    }
}

pub fn invoice_hash(xml: &str) -> Result<InvoiceHash> {
    Ok(InvoiceHash(Sha256::digest(hash_pre_image(xml)?).into()))
}

/// The canonical bytes the hash is taken over. Only the three element
/// subtrees leave; the whitespace text around them stays, as an XPath
/// filter transform leaves it.
pub fn hash_pre_image(xml: &str) -> Result<Vec<u8>> {
    let document = Document::parse(xml).map_err(|error| DocsError::Xml(error.to_string()))?;
    // The canonicalizer asks once per node, attribute and namespace node, so
    // the test is a byte-range lookup rather than a walk up the ancestors.
    let excluded: Vec<Range<usize>> =
        document.descendants().filter(|node| excluded_from_hash(*node)).map(|node| node.range()).collect();
    let visible = |node: Node| {
        let start = node.range().start;
        !excluded.iter().any(|range| range.contains(&start))
    };
    let mut output = Vec::with_capacity(xml.len());
    canonicalize(&document, Some(&visible), &C14nAlgorithm::new(C14nMode::Inclusive1_1, false), &mut output)
        .map_err(|error| DocsError::Canonicalization(error.to_string()))?;
    Ok(output)
}

fn excluded_from_hash(node: Node) -> bool {
    if !node.is_element() {
        return false;
    }
    let name = node.tag_name();
    match (name.namespace(), name.name()) {
        (Some(ns::EXT), "UBLExtensions") | (Some(ns::CAC), "Signature") => true,
        (Some(ns::CAC), "AdditionalDocumentReference") => node.children().any(|child| {
            child.is_element()
                && child.tag_name().namespace() == Some(ns::CBC)
                && child.tag_name().name() == "ID"
                && child.text() == Some("QR")
        }),
        _ => false,
    }
}
