//! `compliance-docs`: writes the signed sample documents of the compliance
//! step, one XML file per document type and the request body that submits it.

use std::path::{Path, PathBuf};

use fatoora_compliance_docs::{
    DocsError, SellerProfile, SigningCertificate, SigningKey, UnitProfile, generate_documents, signing_key_from_file,
    unit_for_documents,
};
use fatoora_base::input::{Cap, KIB, read_capped};
use fatoora_base::values::InvoiceTypes;
use fatoora_base::{DataDir, Environment, Localized, Session, Store};
use fatoora_csr::{KeyError, SDK_PROPERTIES_FILE};

use crate::{Cli, exit};

#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("seller").required(true).args(["unit", "from_sdk_config"]))]
pub struct ComplianceDocsArgs {
    /// A unit prepared with `csr` (id or common name): its seller data, and its key from the secret store unless --key is given
    #[arg(long, value_name = "ID")]
    pub unit: Option<String>,
    /// ZATCA SDK csr-config properties file: seller name, VAT number and invoice types
    #[arg(long, value_name = "FILE")]
    pub from_sdk_config: Option<PathBuf>,
    /// The compliance CSID certificate: PEM, or one-line base64 as in the SDK's cert.pem
    #[arg(long, value_name = "CERT")]
    pub cert: PathBuf,
    /// The secp256k1 private key: PEM (EC or PKCS#8), or headerless base64 as in the SDK [required with --from-sdk-config]
    #[arg(long, value_name = "KEY")]
    pub key: Option<PathBuf>,
    /// 1000 (standard), 0100 (simplified) or 1100 (both) [default: the unit's or the config's invoice types]
    #[arg(long, value_name = "TYPES")]
    pub invoice_types: Option<String>,
    /// Folder for the XML files and request bodies (created if missing)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

pub fn run(cli: &Cli, args: &ComplianceDocsArgs) -> anyhow::Result<u8> {
    let inputs = match read_inputs(cli, args) {
        Ok(inputs) => inputs,
        Err(message) => return Ok(fail(cli, &message, exit::BAD_INPUT)),
    };
    let (profile, certificate, key, invoice_types) = inputs;
    let documents = match generate_documents(&profile, &certificate, &key, invoice_types) {
        Ok(documents) => documents,
        Err(error @ (DocsError::KeyCertificateMismatch | DocsError::Field(_) | DocsError::Qr(_))) => {
            return Ok(fail(cli, &error.message(), exit::BAD_INPUT));
        }
        Err(error) => return Ok(fail(cli, &error.message(), exit::FAILURE)),
    };
    std::fs::create_dir_all(&args.out)?;
    let mut written = Vec::with_capacity(documents.len());
    for document in &documents {
        let xml_path = args.out.join(format!("{}.xml", document.kind.slug()));
        let request_path = args.out.join(format!("{}.request.json", document.kind.slug()));
        std::fs::write(&xml_path, &document.xml)?;
        std::fs::write(&request_path, serde_json::to_string_pretty(&document.request)?)?;
        written.push(serde_json::json!({
            "kind": document.kind,
            "complianceStep": document.kind.compliance_step(),
            "xml": xml_path,
            "request": request_path,
            "invoiceHash": document.request.invoice_hash,
            "uuid": document.request.uuid,
        }));
    }
    if cli.json {
        println!("{}", serde_json::json!({ "invoiceTypes": invoice_types.code(), "documents": written }));
    } else {
        println!("{} signed documents for invoice types {} in {}", documents.len(), invoice_types.code(), args.out.display());
        for document in &documents {
            println!("  {:<24} {}", document.kind.slug(), document.request.invoice_hash);
        }
    }
    Ok(exit::OK)
}

type Inputs = (SellerProfile, SigningCertificate, SigningKey, InvoiceTypes);

/// A certificate is about 1 KiB as PEM; the cap leaves room for a chain
/// pasted around it and keeps a wrongly chosen file from being read whole.
const CERTIFICATE_FILE: Cap = Cap::new("certificate file", "ملف الشهادة", 64 * KIB);

fn read_inputs(cli: &Cli, args: &ComplianceDocsArgs) -> Result<Inputs, Localized> {
    let (unit, stored_key) = match (&args.unit, &args.from_sdk_config) {
        (Some(reference), _) => unit_from_store(cli, reference, args.key.is_none())?,
        (None, Some(config)) => {
            let text = read_capped(config, SDK_PROPERTIES_FILE).map_err(|error| error.explain())?;
            let profile = UnitProfile::from_sdk_properties(&text, Environment::default()).map_err(|error| error.explain())?;
            (profile, None)
        }
        (None, None) => unreachable!("clap requires --unit or --from-sdk-config"),
    };
    let profile = SellerProfile::from_unit_profile(&unit).map_err(|error| error.message())?;
    let certificate = read_certificate(&args.cert)?;
    let key = match (&args.key, stored_key) {
        (Some(path), _) => signing_key_from_file(path).map_err(|error| match error {
            // Already names the file and the cap in both languages.
            DocsError::Key(KeyError::Input(explained)) => explained,
            other => other.message(),
        })?,
        (None, Some(key)) => key,
        (None, None) => {
            return Err(Localized::new(
                "Give --key: with --from-sdk-config the private key comes from a file.",
                "حدّد --key: مع --from-sdk-config يُقرأ المفتاح الخاص من ملف.",
            ));
        }
    };
    let types_text = args.invoice_types.as_deref().unwrap_or(&unit.invoice_types);
    let invoice_types = InvoiceTypes::parse(types_text).map_err(|error| DocsError::Field(error).message())?;
    Ok((profile, certificate, key, invoice_types))
}

/// The unit from the data folder and, when `with_key`, its key from the
/// secret store.
fn unit_from_store(cli: &Cli, reference: &str, with_key: bool) -> Result<(UnitProfile, Option<SigningKey>), Localized> {
    let data_dir = DataDir::resolve(cli.data_dir.as_deref()).map_err(|error| error.explain())?;
    let found = if with_key {
        let session = Session::open(&data_dir).map_err(|error| error.explain())?;
        unit_for_documents(&session.store, Some(session.secrets.as_ref()), reference)
    } else {
        unit_for_documents(&Store::open(&data_dir).map_err(|error| error.explain())?, None, reference)
    };
    found.map_err(|error| error.message())
}

/// PEM or base64 text, or DER as the bytes are not text.
fn read_certificate(path: &Path) -> Result<SigningCertificate, Localized> {
    let bytes = read_capped(path, CERTIFICATE_FILE).map_err(|error| error.explain())?;
    match String::from_utf8(bytes) {
        Ok(text) => SigningCertificate::from_text(&text),
        Err(not_text) => SigningCertificate::from_der(not_text.as_bytes()),
    }
    .map_err(|error| error.message())
}

fn fail(cli: &Cli, message: &Localized, code: u8) -> u8 {
    if cli.json {
        println!("{}", serde_json::json!({ "error": message }));
    } else {
        eprintln!("error: {}", message.en);
        eprintln!("خطأ: {}", message.ar);
    }
    code
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use fatoora_compliance_docs::{ComplianceRequest, verify_signed_document};
    use fatoora_base::reference::zatca_reference_dir_or_skip;

    use super::*;

    fn cli(reference: &Path, out: &Path, extra: &[&str]) -> Cli {
        let sdk = reference.join("sdk");
        let mut arguments = vec![
            "fatoora-onboard".to_string(),
            "compliance-docs".into(),
            "--from-sdk-config".into(),
            sdk.join("Input/csr-config-example-AR.properties").display().to_string(),
            "--cert".into(),
            sdk.join("Certificates/cert.pem").display().to_string(),
            "--out".into(),
            out.display().to_string(),
        ];
        arguments.extend(extra.iter().map(|argument| argument.to_string()));
        Cli::try_parse_from(arguments).unwrap()
    }

    fn args(cli: &Cli) -> &ComplianceDocsArgs {
        match &cli.command {
            crate::Command::ComplianceDocs(args) => args,
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn writes_one_verified_document_and_request_per_type() {
        let Some(reference) = zatca_reference_dir_or_skip("writes_one_verified_document_and_request_per_type") else { return };
        let out = tempfile::tempdir().unwrap();
        let key = reference.join("sdk/Certificates/ec-secp256k1-priv-key.pem").display().to_string();
        let cli = cli(&reference, out.path(), &["--key", &key, "--invoice-types", "0100"]);
        assert_eq!(run(&cli, args(&cli)).unwrap(), exit::OK);
        let mut names: Vec<String> =
            std::fs::read_dir(out.path()).unwrap().map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        assert_eq!(names.len(), 6, "{names:?}");
        for kind in ["simplified-credit-note", "simplified-debit-note", "simplified-invoice"] {
            let xml = std::fs::read_to_string(out.path().join(format!("{kind}.xml"))).unwrap();
            let request: ComplianceRequest =
                serde_json::from_str(&std::fs::read_to_string(out.path().join(format!("{kind}.request.json"))).unwrap()).unwrap();
            let verification = verify_signed_document(&xml).unwrap();
            assert!(verification.all_passed(), "{kind}: {verification:?}");
            assert_eq!(request.invoice_hash, verification.computed_hash);
        }
    }

    #[test]
    fn takes_the_invoice_types_from_the_config_when_not_given() {
        let Some(reference) = zatca_reference_dir_or_skip("takes_the_invoice_types_from_the_config") else { return };
        let out = tempfile::tempdir().unwrap();
        let key = reference.join("sdk/Certificates/ec-secp256k1-priv-key.pem").display().to_string();
        let cli = cli(&reference, out.path(), &["--key", &key]);
        assert_eq!(run(&cli, args(&cli)).unwrap(), exit::OK);
        assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 12, "1100 in the SDK config: six documents, six bodies");
    }

    #[test]
    fn a_key_of_another_certificate_is_bad_input_and_writes_nothing() {
        let Some(reference) = zatca_reference_dir_or_skip("a_key_of_another_certificate_is_bad_input") else { return };
        let out = tempfile::tempdir().unwrap();
        let other_key = out.path().join("other.key");
        let secret = k256::SecretKey::from_slice(&[7u8; 32]).unwrap();
        let der = k256::pkcs8::EncodePrivateKey::to_pkcs8_der(&secret).unwrap();
        std::fs::write(&other_key, base64::Engine::encode(&base64::engine::general_purpose::STANDARD, der.as_bytes())).unwrap();
        let target = out.path().join("docs");
        let cli = cli(&reference, &target, &["--key", &other_key.display().to_string(), "--invoice-types", "1100"]);
        assert!(read_inputs(&cli, args(&cli)).is_ok(), "the key itself is readable");
        assert_eq!(run(&cli, args(&cli)).unwrap(), exit::BAD_INPUT);
        assert!(!target.exists());
    }
}
