//! Shared by the integration tests: ZATCA's reference files, read in place.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use fatoora_compliance_docs::{SigningCertificate, signing_key_from_text};
use k256::ecdsa::SigningKey;

pub fn xml_files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "xml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

pub fn sdk_samples(reference: &Path) -> Vec<(PathBuf, String)> {
    xml_files_under(&reference.join("sdk/Samples"))
        .into_iter()
        .map(|path| {
            let xml = std::fs::read_to_string(&path).unwrap();
            (path, xml)
        })
        .collect()
}

pub fn sdk_certificate(reference: &Path) -> SigningCertificate {
    SigningCertificate::from_text(&std::fs::read_to_string(reference.join("sdk/Certificates/cert.pem")).unwrap()).unwrap()
}

pub fn sdk_key(reference: &Path) -> SigningKey {
    signing_key_from_text(&std::fs::read_to_string(reference.join("sdk/Certificates/ec-secp256k1-priv-key.pem")).unwrap()).unwrap()
}

/// The text between `<open>` and the next `</`, after `anchor`.
pub fn text_after(xml: &str, anchor: &str, open: &str) -> String {
    let rest = &xml[xml.find(anchor).unwrap()..];
    let start = rest.find(open).unwrap() + open.len();
    let end = start + rest[start..].find("</").unwrap();
    rest[start..end].to_string()
}

/// `xml` with the character at `offset` bytes into the text after `open`
/// (found after `anchor`) replaced by a different one of the same class.
pub fn break_byte(xml: &str, anchor: &str, open: &str, offset: usize) -> String {
    let rest_start = xml.find(anchor).unwrap();
    let position = rest_start + xml[rest_start..].find(open).unwrap() + open.len() + offset;
    let original = xml.as_bytes()[position];
    let replacement = match original {
        b'0'..=b'8' | b'a'..=b'y' | b'A'..=b'Y' => original + 1,
        b'9' => b'0',
        b'z' => b'a',
        b'Z' => b'A',
        _ => b'A',
    };
    let mut bytes = xml.as_bytes().to_vec();
    bytes[position] = replacement;
    String::from_utf8(bytes).unwrap()
}
