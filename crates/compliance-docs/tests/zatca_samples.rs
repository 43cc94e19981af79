//! Round trip on ZATCA's own signed samples.

use std::path::{Path, PathBuf};

use fatoora_compliance_docs::invoice_hash;
use fatoora_core::reference::zatca_reference_dir_or_skip;

fn sample_files(reference: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![reference.join("sdk/Samples")];
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

fn digest_value_of_invoice(xml: &str) -> String {
    let start = xml.find(r#"Id="invoiceSignedData""#).unwrap();
    let rest = &xml[start..];
    let open = rest.find("<ds:DigestValue>").unwrap() + "<ds:DigestValue>".len();
    let close = rest.find("</ds:DigestValue>").unwrap();
    rest[open..close].to_string()
}

#[test]
fn hash_matches_the_digest_value_of_every_sdk_sample() {
    let Some(reference) = zatca_reference_dir_or_skip("hash_matches_the_digest_value_of_every_sdk_sample") else { return };
    let files = sample_files(&reference);
    assert_eq!(files.len(), 19);
    for file in files {
        let xml = std::fs::read_to_string(&file).unwrap();
        assert_eq!(invoice_hash(&xml).unwrap().base64(), digest_value_of_invoice(&xml), "{}", file.display());
    }
}
