//! The XSD step of a compliance check: each submitted document against ZATCA's
//! UBL 2.1 schemas (SDK `Schemas/xsds/UBL2.1`), read at run time from a
//! folder outside the project, since ZATCA's files may not be shipped.
//!
//! libxml2 does the validation (feature `xsd`). Its objects may not cross
//! threads, so one thread per process owns every compiled schema and
//! validates the documents handed to it over a channel: a schema is compiled
//! once (about 0.1 s), a document then takes milliseconds.

use std::path::{Path, PathBuf};

/// Where the Invoice schema sits inside the configured folder.
pub const INVOICE_XSD: &str = "xsd/maindoc/UBL-Invoice-2.1.xsd";
/// The schema folder inside ZATCA's reference material (`../shared/zatca`).
pub const SCHEMAS_IN_REFERENCE: &str = "sdk/Schemas/xsds/UBL2.1";

/// The schema folder used unless the configuration names one: the SDK's,
/// under `ZATCA_REFERENCE_DIR` or `../shared/zatca`, when it is there.
pub fn default_schema_dir() -> Option<PathBuf> {
    fatoora_base::reference::zatca_reference_dir()
        .map(|reference| reference.join(SCHEMAS_IN_REFERENCE))
        .filter(|dir| dir.join(INVOICE_XSD).is_file())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XsdOutcome {
    Valid,
    /// ZATCA stops at the first schema error and names it; `None` when the
    /// bytes are not even well-formed XML.
    Invalid(Option<String>),
    /// Nothing was validated; the reason is said in the answer and the log.
    NotChecked(String),
}

/// Validates documents against the schemas of one folder, or says why it cannot.
#[derive(Debug, Clone)]
pub struct XsdValidator {
    invoice_xsd: Result<PathBuf, String>,
}

impl XsdValidator {
    pub fn new(schema_dir: Option<&Path>) -> Self {
        let invoice_xsd = match schema_dir {
            _ if !cfg!(feature = "xsd") => {
                Err("XSD not checked: this build has no schema validator (cargo feature `xsd`)".to_owned())
            }
            None => Err(
                "XSD not checked: no schemas (set ZATCA_REFERENCE_DIR to ZATCA's reference folder, or name the UBL 2.1 schema folder in the simulator's configuration)"
                    .to_owned(),
            ),
            Some(dir) if !dir.join(INVOICE_XSD).is_file() => {
                Err(format!("XSD not checked: no schemas ({} is missing)", dir.join(INVOICE_XSD).display()))
            }
            Some(dir) => Ok(dir.join(INVOICE_XSD)),
        };
        match &invoice_xsd {
            Ok(path) => tracing::info!(schema = %path.display(), "compliance checks validate documents against the UBL 2.1 XSD"),
            Err(reason) => tracing::warn!("{reason}"),
        }
        Self { invoice_xsd }
    }

    /// Why documents are not validated, if they are not.
    pub fn not_checked_reason(&self) -> Option<&str> {
        self.invoice_xsd.as_ref().err().map(String::as_str)
    }

    pub async fn check(&self, xml: Vec<u8>) -> XsdOutcome {
        match &self.invoice_xsd {
            Err(reason) => XsdOutcome::NotChecked(reason.clone()),
            Ok(schema) => engine::validate(schema.clone(), xml).await,
        }
    }
}

/// libxml2 keeps an `xs:integer` in a fixed-size decimal and so refuses every
/// `ds:X509SerialNumber` of ZATCA's certificates (about 45 digits; all 19 SDK
/// samples carry one) that Java's validator, ZATCA's, accepts. Such an error
/// is set aside when the value is a decimal integer, which the schema asks.
#[cfg_attr(not(feature = "xsd"), allow(dead_code))]
fn is_libxml2_big_integer_limit(message: &str) -> bool {
    let marker = "Element '{http://www.w3.org/2000/09/xmldsig#}X509SerialNumber': '";
    message
        .split_once(marker)
        .and_then(|(_, rest)| rest.split_once("' is not a valid value of the atomic type 'xs:integer'."))
        .is_some_and(|(value, _)| {
            let digits = value.strip_prefix(['+', '-']).unwrap_or(value);
            digits.len() > 18 && digits.bytes().all(|byte| byte.is_ascii_digit())
        })
}

#[cfg(feature = "xsd")]
mod engine {
    use std::collections::HashMap;
    use std::path::PathBuf;
    use std::sync::OnceLock;
    use std::sync::mpsc;

    use libxml::error::StructuredError;
    use libxml::parser::{Parser, ParserOptions};
    use libxml::schemas::{SchemaParserContext, SchemaValidationContext};
    use tokio::sync::oneshot;

    use super::{XsdOutcome, is_libxml2_big_integer_limit};

    struct Job {
        schema: PathBuf,
        xml: Vec<u8>,
        reply: oneshot::Sender<XsdOutcome>,
    }

    static WORKER: OnceLock<Result<mpsc::Sender<Job>, String>> = OnceLock::new();

    fn worker() -> &'static Result<mpsc::Sender<Job>, String> {
        WORKER.get_or_init(|| {
            let (sender, jobs) = mpsc::channel::<Job>();
            std::thread::Builder::new()
                .name("xsd-validator".into())
                .spawn(move || {
                    let mut compiled = HashMap::new();
                    for job in jobs {
                        let schema = compiled.entry(job.schema.clone()).or_insert_with(|| compile(&job.schema));
                        let outcome = match schema {
                            Ok(schema) => validate_with(schema, &job.xml),
                            Err(reason) => XsdOutcome::NotChecked(reason.clone()),
                        };
                        let _ = job.reply.send(outcome);
                    }
                })
                .map(|_| sender)
                .map_err(|error| format!("XSD not checked: the validator thread did not start ({error})"))
        })
    }

    pub async fn validate(schema: PathBuf, xml: Vec<u8>) -> XsdOutcome {
        let sender = match worker() {
            Ok(sender) => sender,
            Err(reason) => return XsdOutcome::NotChecked(reason.clone()),
        };
        let (reply, answer) = oneshot::channel();
        if sender.send(Job { schema, xml, reply }).is_err() {
            return XsdOutcome::NotChecked("XSD not checked: the validator thread stopped".to_owned());
        }
        answer
            .await
            .unwrap_or_else(|_| XsdOutcome::NotChecked("XSD not checked: the validator thread stopped".to_owned()))
    }

    fn first_message(errors: &[StructuredError]) -> String {
        errors.iter().find_map(|error| error.message.as_deref()).unwrap_or("unknown error").trim().to_owned()
    }

    fn compile(path: &std::path::Path) -> Result<SchemaValidationContext, String> {
        let mut parser = SchemaParserContext::from_file(&path.to_string_lossy());
        SchemaValidationContext::from_parser(&mut parser).map_err(|errors| {
            let reason = format!("XSD not checked: the schemas at {} do not load: {}", path.display(), first_message(&errors));
            tracing::error!("{reason}");
            reason
        })
    }

    fn validate_with(schema: &mut SchemaValidationContext, xml: &[u8]) -> XsdOutcome {
        // Strict (no recovery) and offline: a document never makes the
        // simulator fetch anything.
        let options = ParserOptions { recover: false, no_net: true, ..ParserOptions::default() };
        let Ok(document) = Parser::default().parse_string_with_options(xml, options) else {
            return XsdOutcome::Invalid(None);
        };
        let Err(errors) = schema.validate_document(&document) else { return XsdOutcome::Valid };
        let first = errors
            .iter()
            .find(|error| !error.message.as_deref().is_some_and(is_libxml2_big_integer_limit));
        match first {
            None => XsdOutcome::Valid,
            Some(error) => {
                let mut detail = String::new();
                if let Some(line) = error.line.filter(|line| *line > 0) {
                    detail.push_str(&format!("lineNumber: {line}; "));
                }
                if let Some(column) = error.col.filter(|column| *column > 0) {
                    detail.push_str(&format!("columnNumber: {column}; "));
                }
                detail.push_str(error.message.as_deref().unwrap_or("schema error").trim());
                XsdOutcome::Invalid(Some(detail))
            }
        }
    }
}

#[cfg(not(feature = "xsd"))]
mod engine {
    use std::path::PathBuf;

    use super::XsdOutcome;

    /// Unreachable in practice: without the feature `XsdValidator::new`
    /// never holds a schema path.
    pub async fn validate(_schema: PathBuf, _xml: Vec<u8>) -> XsdOutcome {
        XsdOutcome::NotChecked("XSD not checked: this build has no schema validator (cargo feature `xsd`)".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::is_libxml2_big_integer_limit;

    #[test]
    fn only_long_decimal_serial_numbers_are_set_aside() {
        let message = |value: &str| {
            format!("Element '{{http://www.w3.org/2000/09/xmldsig#}}X509SerialNumber': '{value}' is not a valid value of the atomic type 'xs:integer'.\n")
        };
        assert!(is_libxml2_big_integer_limit(&message("379112742831380471835263969587287663520528387")));
        assert!(!is_libxml2_big_integer_limit(&message("3791127428313804718352639695872876635205283x7")));
        assert!(!is_libxml2_big_integer_limit(&message("12ab")));
        assert!(!is_libxml2_big_integer_limit(
            "Element '{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}ID': '379112742831380471835263969587287663520528387' is not a valid value of the atomic type 'xs:integer'."
        ));
    }
}
