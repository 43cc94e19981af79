//! The schema and business-rule steps of POST /compliance/invoices: ZATCA's
//! answers for a schema error and a broken rule, and the rules' verdicts
//! cross-checked against ZATCA's own schematrons run by Saxon-HE on the 19
//! SDK samples, the 6 error samples, our own documents and broken copies.

mod support;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use fatoora_base::Environment;
use fatoora_simulator::OtpPurpose;
use serde_json::{Value, json};
use support::resign::{issued_today, sign, submit};
use support::*;

const SCHEMA_INVALID: &str =
    "Schema validation failed; XML does not comply with UBL 2.1 standards in line with ZATCA specifications";
const STANDARD_INVOICE: &str = "sdk/Samples/Standard/Invoice/Standard_Invoice.xml";
const BUYER_NAME: &str = "<cbc:RegistrationName>شركة نماذج فاتورة المحدودة | Fatoora Samples LTD</cbc:RegistrationName>";

/// Copies of the standard SDK invoice that each break rules, by name.
fn broken_invoices(xml: &str) -> Vec<(&'static str, String)> {
    let changed = |from: &str, to: &str| {
        assert!(xml.contains(from), "{from}");
        xml.replacen(from, to, 1)
    };
    vec![
        (
            "wrong-total",
            changed(
                r#"<cbc:TaxInclusiveAmount currencyID="SAR">4.60</cbc:TaxInclusiveAmount>"#,
                r#"<cbc:TaxInclusiveAmount currencyID="SAR">5.60</cbc:TaxInclusiveAmount>"#,
            ),
        ),
        ("no-buyer-name", changed(BUYER_NAME, "")),
        ("unknown-vat-category", changed("<cbc:ID>S</cbc:ID>", "<cbc:ID>X</cbc:ID>")),
        ("zero-rated-line-without-reason", changed("<cbc:ID>S</cbc:ID>", "<cbc:ID>Z</cbc:ID>")),
        ("bad-seller-vat", changed("<cbc:CompanyID>399999999900003</cbc:CompanyID>", "<cbc:CompanyID>39999999990000</cbc:CompanyID>")),
    ]
}

/// A CCSID for [`VAT`] on `local`: its Basic auth, key and token.
async fn ccsid(s: &Sim) -> (String, k256::ecdsa::SigningKey, String) {
    let core = s.sim.base_url(Environment::Local);
    let otp = s.sim.admin().mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();
    let (ccsid, key) = onboard(s, &core, &otp, &CsrSpec::new("TSTZATCA-Code-Signing")).await;
    let token = ccsid["binarySecurityToken"].as_str().unwrap().to_owned();
    (basic(&token, ccsid["secret"].as_str().unwrap()), key, token)
}

fn entries(body: &Value, list: &str) -> Vec<(String, String, String)> {
    body["validationResults"][list]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["code"].as_str().unwrap().to_owned(), e["category"].as_str().unwrap().to_owned(), e["type"].as_str().unwrap().to_owned()))
        .collect()
}

#[tokio::test]
async fn a_renamed_element_gets_zatcas_schema_error_alone() {
    let Some(reference) = fatoora_base::reference::zatca_reference_dir_or_skip("a_renamed_element_gets_zatcas_schema_error_alone") else {
        return;
    };
    let s = start().await;
    let (auth, _key, _token) = ccsid(&s).await;
    let xml = std::fs::read_to_string(reference.join(STANDARD_INVOICE)).unwrap().replace("cbc:PriceAmount", "cbc:PriceAmt");
    let response = submit(&s, &s.sim.base_url(Environment::Local), &auth, &xml, &STANDARD.encode([7u8; 32])).await;
    assert_eq!(response.status, 400, "{}", response.text);
    let body = response.json();

    // ZATCA's documented XSD failure: one error, no INFO entry, no other check.
    let documented = sample("api-examples/reporting.07.400-XML-Schema-Error.json").unwrap();
    assert!(same_shape(&body["validationResults"], &documented["validationResults"]), "{body}");
    assert_eq!(entries(&body, "errorMessages"), [("XSD_ZATCA_INVALID".into(), "XSD validation".into(), "ERROR".into())]);
    let message = body["validationResults"]["errorMessages"][0]["message"].as_str().unwrap();
    assert!(message.starts_with(&format!("{SCHEMA_INVALID}. ERROR: ")), "{message}");
    assert!(message.contains("PriceAmt"), "names the element: {message}");
    assert_eq!(body["validationResults"]["infoMessages"], json!([]));
    assert_eq!(body["clearanceStatus"], "NOT_CLEARED");
    assert!(s.sim.admin().issued_csids().unwrap()[0].steps_passed.is_empty(), "no step recorded");
}

/// A correctly signed document that breaks rules: refused with each rule's
/// code, its file's category and its flag, beside ZATCA's XSD pass; one that
/// only draws a warning passes its step with 202.
#[tokio::test]
async fn a_broken_rule_is_refused_with_its_code_category_and_type() {
    let Some(reference) = fatoora_base::reference::zatca_reference_dir_or_skip("a_broken_rule_is_refused") else { return };
    let s = start().await;
    let core = s.sim.base_url(Environment::Local);
    let (auth, key, token) = ccsid(&s).await;
    let xml = issued_today(&std::fs::read_to_string(reference.join(STANDARD_INVOICE)).unwrap());
    let broken = broken_invoices(&xml);

    let (signed, hash) = sign(&broken[0].1, &key, &token);
    let response = submit(&s, &core, &auth, &signed, &hash).await;
    assert_eq!(response.status, 400, "{}", response.text);
    let body = response.json();
    assert_eq!(entries(&body, "errorMessages"), [("BR-CO-15".into(), "EN_16931".into(), "ERROR".into())], "{body}");
    assert_eq!(entries(&body, "warningMessages"), [("BR-CO-16".into(), "EN_16931".into(), "WARNING".into())], "{body}");
    // ZATCA's wording drops the schematron's leading "[BR-CO-15]-" (api-examples reporting.08).
    assert_eq!(
        body["validationResults"]["errorMessages"][0]["message"],
        "Invoice total amount with VAT (BT-112) = Invoice total amount without VAT (BT-109) + Invoice total VAT amount (BT-110)."
    );
    assert_eq!(body["validationResults"]["infoMessages"][0]["code"], "XSD_ZATCA_VALID");
    let documented = sample("api-examples/compliance_invoice.03.400-KSA-Rules-Violation.json").unwrap();
    assert!(same_shape(&body["validationResults"], &documented["validationResults"]), "{body}");
    assert_eq!(body["clearanceStatus"], "NOT_CLEARED");
    assert!(s.sim.admin().issued_csids().unwrap()[0].steps_passed.is_empty(), "no step recorded");

    let (signed, hash) = sign(&broken[2].1, &key, &token);
    let body = submit(&s, &core, &auth, &signed, &hash).await.json();
    let errors = entries(&body, "errorMessages");
    assert!(errors.contains(&("BR-KSA-18".into(), "KSA".into(), "ERROR".into())), "{body}");
    assert!(errors.contains(&("BR-CL-18".into(), "EN_16931".into(), "ERROR".into())), "{body}");

    // BR-KSA-42 (buyer name on a standard invoice) is a warning in ZATCA's file.
    let (signed, hash) = sign(&broken[1].1, &key, &token);
    let response = submit(&s, &core, &auth, &signed, &hash).await;
    assert_eq!(response.status, 202, "{}", response.text);
    let body = response.json();
    assert_eq!(entries(&body, "warningMessages"), [("BR-KSA-42".into(), "KSA".into(), "WARNING".into())], "{body}");
    assert_eq!(body["validationResults"]["status"], "WARNING");
    assert_eq!(body["clearanceStatus"], "CLEARED");
    assert_eq!(s.sim.admin().issued_csids().unwrap()[0].steps_passed, ["standard-compliant"]);
}

/// Saxon-HE with ZATCA's two schematron files, the oracle. Linux-only: it
/// runs Debian's Java, which the Windows test run under Wine cannot start.
#[cfg(target_os = "linux")]
mod against_saxon {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::{Path, PathBuf};
    use std::process::Command;

    use fatoora_base::values::InvoiceTypes;
    use fatoora_compliance_docs::profile::{Address, PartyIdentification};
    use fatoora_compliance_docs::{SellerProfile, SigningCertificate, generate_documents, signing_key_from_text};
    use fatoora_simulator::Severity;

    use super::broken_invoices;

/// The failed rules as (id, severity), without the order or repeats.
    type Verdict = BTreeSet<(String, Severity)>;

    fn simulator_verdict(xml: &[u8], now_ms: i64) -> Verdict {
        match fatoora_simulator::check_rules(xml, now_ms) {
            fatoora_simulator::RulesVerdict::Checked(findings) => findings.into_iter().map(|f| (f.code, f.severity)).collect(),
            other => panic!("the rules did not run: {other:?}"),
        }
    }

    const RULE_FILES: [&str; 2] =
        ["sdk/Rules/Schematrons/CEN-EN16931-UBL.xsl", "sdk/Rules/Schematrons/20210819_ZATCA_E-invoice_Validation_Rules.xsl"];

    fn saxon_or_skip() -> Option<PathBuf> {
        let jar = std::env::var_os("SAXON_JAR").map_or_else(|| PathBuf::from("/usr/share/java/Saxon-HE.jar"), PathBuf::from);
        let java = Command::new("java").arg("-version").output().is_ok_and(|out| out.status.success());
        if !java || !jar.is_file() {
            fatoora_base::skip::skip(format_args!(
                "rules against Saxon: needs java and Saxon-HE at {} (apt-get install default-jre-headless libsaxonhe-java, or set SAXON_JAR)",
                jar.display()
            ));
            return None;
        }
        Some(jar)
    }

    /// Every failed assertion of both rule files per file of `folder`, as
    /// (rule id, severity); a flag of `error` or `fatal` is an error. The JVM
    /// runs on Riyadh time, as the simulator evaluates dates [INF].
    fn saxon_verdicts(jar: &Path, reference: &Path, folder: &Path) -> BTreeMap<String, Verdict> {
        let mut verdicts: BTreeMap<String, Verdict> = BTreeMap::new();
        for rules in RULE_FILES {
            let reports = tempfile::tempdir().unwrap();
            let output = Command::new("java")
                .arg("-Duser.timezone=Asia/Riyadh")
                .arg("-jar")
                .arg(jar)
                .arg(format!("-s:{}", folder.display()))
                .arg(format!("-o:{}", reports.path().display()))
                .arg(format!("-xsl:{}", reference.join(rules).display()))
                .output()
                .unwrap();
            assert!(output.status.success(), "Saxon: {}", String::from_utf8_lossy(&output.stderr));
            for entry in std::fs::read_dir(folder).unwrap() {
                let name = entry.unwrap().file_name().to_string_lossy().into_owned();
                let report = std::fs::read_to_string(reports.path().join(&name)).unwrap();
                let svrl = parse_svrl(&report);
                assert!(svrl.fired, "{name}: no rule fired in {rules}");
                verdicts.entry(name).or_default().extend(svrl.failed);
            }
        }
        verdicts
    }

    struct Svrl {
        fired: bool,
        failed: Verdict,
    }

    fn parse_svrl(report: &str) -> Svrl {
        let document = xml_sec::XmlDomDocument::parse(report).unwrap();
        let svrl = |node: &xml_sec::XmlDomNode, local: &str| {
            node.is_element()
                && node.tag_name().name() == local
                && node.tag_name().namespace() == Some("http://purl.oclc.org/dsdl/svrl")
        };
        Svrl {
            fired: document.descendants().any(|node| svrl(&node, "fired-rule")),
            failed: document
                .descendants()
                .filter(|node| svrl(node, "failed-assert"))
                .map(|node| {
                    let severity = if node.attribute("flag") == Some("warning") { Severity::Warning } else { Severity::Error };
                    (node.attribute("id").unwrap_or("?").to_owned(), severity)
                })
                .collect(),
        }
    }

    fn copy_into(folder: &Path, files: &[PathBuf]) {
        for file in files {
            std::fs::copy(file, folder.join(file.file_name().unwrap())).unwrap();
        }
    }

    fn xml_under(dir: &Path) -> Vec<PathBuf> {
        let mut found = Vec::new();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                } else if path.extension().is_some_and(|ext| ext == "xml") {
                    found.push(path);
                }
            }
        }
        found
    }

    fn write_our_documents(reference: &Path, folder: &Path) -> usize {
        let read = |relative: &str| std::fs::read_to_string(reference.join(relative)).unwrap();
        let certificate = SigningCertificate::from_text(&read("sdk/Certificates/cert.pem")).unwrap();
        let key = signing_key_from_text(&read("sdk/Certificates/ec-secp256k1-priv-key.pem")).unwrap();
        let seller = SellerProfile::new(
            "شركة توريد التكنولوجيا بأقصى سرعة المحدودة",
            "399999999900003",
            PartyIdentification::sample(),
            Address::sample(),
        )
        .unwrap();
        let documents = generate_documents(&seller, &certificate, &key, InvoiceTypes::Both).unwrap();
        for document in &documents {
            std::fs::write(folder.join(format!("ours-{}.xml", document.kind.slug())), &document.xml).unwrap();
        }
        documents.len()
    }

    /// Same failed rules, errors and warnings, on every document: the SDK's
    /// 19 samples and 6 error samples, our 6 documents, and broken copies.
    #[test]
    fn the_simulator_fails_the_same_rules_as_zatcas_schematrons() {
        let test = "the_simulator_fails_the_same_rules_as_zatcas_schematrons";
        let Some(reference) = fatoora_base::reference::zatca_reference_dir_or_skip(test) else { return };
        let Some(jar) = saxon_or_skip() else { return };
        let folder = tempfile::tempdir().unwrap();
        let samples = xml_under(&reference.join("sdk/Samples"));
        let error_samples = xml_under(&reference.join("sdk/ErrorSamples"));
        assert_eq!((samples.len(), error_samples.len()), (19, 6));
        copy_into(folder.path(), &samples);
        copy_into(folder.path(), &error_samples);
        assert_eq!(write_our_documents(&reference, folder.path()), 6);
        let standard = std::fs::read_to_string(reference.join(super::STANDARD_INVOICE)).unwrap();
        for (name, xml) in broken_invoices(&standard) {
            std::fs::write(folder.path().join(format!("broken-{name}.xml")), xml).unwrap();
        }

        let oracle = saxon_verdicts(&jar, &reference, folder.path());
        assert_eq!(oracle.len(), 19 + 6 + 6 + 5);
        let now = chrono::Utc::now().timestamp_millis();
        for (name, expected) in &oracle {
            let xml = std::fs::read(folder.path().join(name)).unwrap();
            assert_eq!(&simulator_verdict(&xml, now), expected, "{name}");
            let has_error = expected.iter().any(|(_, severity)| *severity == Severity::Error);
            let should_fail = name.ends_with("_Error.xml") || (name.starts_with("broken-") && !name.contains("buyer-name"));
            assert_eq!(has_error, should_fail, "{name}: {expected:?}");
        }
        // What each error sample was made to break (crates/compliance-docs/tests/zatca_validation.rs).
        let errors_of = |name: &str| -> BTreeSet<&str> {
            oracle[name].iter().filter(|(_, s)| *s == Severity::Error).map(|(id, _)| id.as_str()).collect()
        };
        assert_eq!(errors_of("Standard_Invoice_Error.xml"), BTreeSet::from(["BR-KSA-84", "BR-KSA-EN16931-06"]));
        assert_eq!(errors_of("Simplified_Invoice_Error.xml"), BTreeSet::from(["BR-CO-04", "BR-KSA-EN16931-06"]));
    }
}
