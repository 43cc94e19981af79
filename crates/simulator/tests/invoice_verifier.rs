//! The simulator's own invoice verifier, proved on ZATCA's 19 signed SDK
//! samples: the recomputed hash equals each DigestValue, the signature
//! verifies with the SDK certificate, and one changed byte fails.

use std::path::PathBuf;
#[cfg(target_os = "linux")]
use std::path::Path;
#[cfg(target_os = "linux")]
use std::process::Command;

use fatoora_simulator::{Severity, verify_invoice};
#[cfg(target_os = "linux")]
use fatoora_simulator::canonical_invoice;

fn samples(test: &str) -> Option<(PathBuf, Vec<PathBuf>)> {
    let dir = fatoora_base::reference::zatca_reference_dir_or_skip(test)?;
    let mut files = Vec::new();
    let mut stack = vec![dir.join("sdk/Samples")];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "xml") {
                files.push(path);
            }
        }
    }
    files.sort();
    Some((dir, files))
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).unwrap_or_else(|| panic!("{start} not found")) + start.len();
    let to = from + text[from..].find(end).unwrap();
    &text[from..to]
}

fn invoice_signed_data_digest(xml: &str) -> String {
    let reference = &xml[xml.find(r#"Id="invoiceSignedData""#).unwrap()..];
    between(reference, "<ds:DigestValue>", "</ds:DigestValue>").trim().to_owned()
}

#[test]
fn all_nineteen_sdk_samples_verify() {
    let Some((dir, files)) = samples("all_nineteen_sdk_samples_verify") else { return };
    assert_eq!(files.len(), 19, "{files:?}");
    let sdk_cert = std::fs::read_to_string(dir.join("sdk/Certificates/cert.pem")).unwrap();
    for file in &files {
        let xml = std::fs::read_to_string(file).unwrap();
        let report = verify_invoice(xml.as_bytes(), None);
        let facts = report.facts.as_ref().unwrap_or_else(|| panic!("{}: {:?}", file.display(), report.findings));
        assert_eq!(facts.invoice_hash, invoice_signed_data_digest(&xml), "{}", file.display());
        assert!(report.passed(), "{}: {:?}", file.display(), report.findings);
        assert!(report.findings.is_empty(), "{}: {:?}", file.display(), report.findings);
        let embedded = between(&xml, "<ds:X509Certificate>", "</ds:X509Certificate>").trim();
        assert_eq!(embedded, sdk_cert.trim(), "{} is signed with the SDK certificate", file.display());
        assert!(facts.step().is_some(), "{}", file.display());
    }
}

#[test]
fn one_changed_byte_fails() {
    let Some((_, files)) = samples("one_changed_byte_fails") else { return };
    for file in files.iter().take(6) {
        let xml = std::fs::read_to_string(file).unwrap();
        // A byte of the signed content: the invoice's own ID (the first
        // cbc:ID after the extensions, which are outside the hash).
        let signed_from = xml.find("</ext:UBLExtensions>").unwrap();
        let at = signed_from + xml[signed_from..].find("<cbc:ID>").unwrap() + "<cbc:ID>".len();
        let mut changed = xml.clone().into_bytes();
        changed[at] = if changed[at] == b'X' { b'Y' } else { b'X' };
        let report = verify_invoice(&changed, None);
        let codes: Vec<_> = report.findings.iter().filter(|f| f.severity == Severity::Error).map(|f| f.code.as_str()).collect();
        assert!(codes.contains(&"invalid-invoice-hash"), "{}: {codes:?}", file.display());
        assert!(codes.contains(&"invalid-digital-signature"), "{}: {codes:?}", file.display());

        // A byte of the signature value.
        let sig_at = xml.find("<ds:SignatureValue>").unwrap() + "<ds:SignatureValue>".len() + 10;
        let mut changed = xml.clone().into_bytes();
        changed[sig_at] = if changed[sig_at] == b'A' { b'B' } else { b'A' };
        let report = verify_invoice(&changed, None);
        assert!(report.findings.iter().any(|f| f.code == "invalid-digital-signature"), "{}", file.display());
    }
}

/// Removes the first element that starts with `open` and ends with `close`.
#[cfg(target_os = "linux")]
fn cut(xml: &str, open: &str, close: &str) -> String {
    let start = xml.find(open).unwrap();
    let end = start + xml[start..].find(close).unwrap() + close.len();
    format!("{}{}", &xml[..start], &xml[end..])
}

#[cfg(target_os = "linux")]
fn xmllint_c14n11(xml: &str, work: &Path) -> Vec<u8> {
    let path = work.join("doc.xml");
    std::fs::write(&path, xml).unwrap();
    let output = Command::new("xmllint").arg("--c14n11").arg(&path).output().expect("xmllint (Debian libxml2-utils) runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    output.stdout
}

// Linux-only: Debian's xmllint, which the Windows run under Wine cannot start.
#[cfg(target_os = "linux")]
#[test]
fn canonical_form_matches_xmllint_c14n11() {
    let Some((_, files)) = samples("canonical_form_matches_xmllint_c14n11") else { return };
    let work = tempfile::tempdir().unwrap();
    for file in &files {
        let xml = std::fs::read_to_string(file).unwrap();
        let mut stripped = cut(&xml, "<ext:UBLExtensions>", "</ext:UBLExtensions>");
        stripped = cut(&stripped, "<cac:Signature>", "</cac:Signature>");
        let qr_id = stripped.find("<cbc:ID>QR</cbc:ID>");
        if let Some(qr_id) = qr_id {
            let start = stripped[..qr_id].rfind("<cac:AdditionalDocumentReference>").unwrap();
            let end = qr_id + stripped[qr_id..].find("</cac:AdditionalDocumentReference>").unwrap()
                + "</cac:AdditionalDocumentReference>".len();
            stripped = format!("{}{}", &stripped[..start], &stripped[end..]);
        }
        let ours = canonical_invoice(&xml).unwrap();
        let theirs = xmllint_c14n11(&stripped, work.path());
        assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&theirs), "{}", file.display());
    }
}

/// `xml` with its QR payload replaced by the same tags, tag 3 set to `time`.
/// The QR is outside the signed hash, so the document stays validly signed.
fn with_qr_time(xml: &str, time: &str) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    let open = r#"<cbc:EmbeddedDocumentBinaryObject mimeCode="text/plain">"#;
    let anchor = xml.find("<cbc:ID>QR</cbc:ID>").unwrap();
    let start = anchor + xml[anchor..].find(open).unwrap() + open.len();
    let end = start + xml[start..].find('<').unwrap();
    let tlv = STANDARD.decode(xml[start..end].trim()).unwrap();
    let (mut rewritten, mut at) = (Vec::new(), 0);
    while at < tlv.len() {
        let (tag, length) = (tlv[at], usize::from(tlv[at + 1]));
        let value = if tag == 3 { time.as_bytes() } else { &tlv[at + 2..at + 2 + length] };
        rewritten.extend([tag, u8::try_from(value.len()).unwrap()]);
        rewritten.extend_from_slice(value);
        at += 2 + length;
    }
    format!("{}{}{}", &xml[..start], STANDARD.encode(rewritten), &xml[end..])
}

/// The live gateway warns when QR tag 3 is not `IssueDate`T`IssueTime`,
/// e.g. a `Z` on one side only (odoo/odoo#143379); standard documents'
/// QR is checked as well.
#[test]
fn a_qr_time_other_than_the_issue_time_is_a_warning() {
    let Some((dir, _)) = samples("a_qr_time_other_than_the_issue_time_is_a_warning") else { return };
    for (sample, issued) in [
        ("Simplified/Invoice/Simplified_Invoice.xml", "2022-08-17T17:41:08"),
        ("Standard/Invoice/Standard_Invoice.xml", "2022-09-07T12:21:28"),
    ] {
        let xml = std::fs::read_to_string(dir.join("sdk/Samples").join(sample)).unwrap();
        assert!(verify_invoice(with_qr_time(&xml, issued).as_bytes(), None).findings.is_empty(), "{sample}: same time, no finding");
        let report = verify_invoice(with_qr_time(&xml, &format!("{issued}Z")).as_bytes(), None);
        assert!(report.passed(), "{sample}: a warning does not fail the document: {:?}", report.findings);
        let found: Vec<_> = report.findings.iter().map(|f| (f.severity, f.code.as_str(), f.category)).collect();
        assert_eq!(found, [(Severity::Warning, "invoiceTimeStamp_QRCODE_INVALID", "QRCODE_VALIDATION")], "{sample}");
    }
}

/// Categories as live bodies carry them: `signed-properties-hashing` and
/// `certificate-hashing` are CERTIFICATE_ERRORS (simulator README).
#[test]
fn signed_properties_and_certificate_digest_errors_are_certificate_errors() {
    let Some((dir, _)) = samples("signed_properties_and_certificate_digest_errors_are_certificate_errors") else { return };
    let xml = std::fs::read_to_string(dir.join("sdk/Samples/Simplified/Invoice/Simplified_Invoice.xml")).unwrap();
    let change_after = |anchor: &str, open: &str| {
        let from = xml.find(anchor).unwrap();
        let at = from + xml[from..].find(open).unwrap() + open.len() + 5;
        let mut changed = xml.clone().into_bytes();
        changed[at] = if changed[at] == b'1' { b'2' } else { b'1' };
        changed
    };
    for (anchor, open, code) in [
        ("<xades:SignedSignatureProperties>", "<xades:SigningTime>", "signed-properties-hashing"),
        ("<xades:CertDigest>", "<ds:DigestValue>", "certificate-hashing"),
    ] {
        let report = verify_invoice(&change_after(anchor, open), None);
        let found: Vec<_> = report.findings.iter().map(|f| (f.severity, f.code.as_str(), f.category)).collect();
        assert!(found.contains(&(Severity::Error, code, "CERTIFICATE_ERRORS")), "{anchor}: {found:?}");
    }
}
