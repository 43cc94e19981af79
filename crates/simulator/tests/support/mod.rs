//! Shared test helpers: a simulator on loopback, a plain reqwest client that
//! trusts its CA, and CSRs built here (independently of fatoora-csr).
#![allow(dead_code)]

pub mod resign;

use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use der::asn1::{ObjectIdentifier, PrintableStringRef, SetOfVec, Utf8StringRef};
use der::{Any, Decode, Encode, EncodePem};
use fatoora_simulator::{RunningSimulator, Simulator, SimulatorConfig};
use k256::ecdsa::{DerSignature, SigningKey};
use k256::pkcs8::LineEnding;
use serde_json::{Value, json};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::builder::{Builder, RequestBuilder};
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};

pub const VAT: &str = "399999999900003";

pub struct Sim {
    pub dir: tempfile::TempDir,
    pub sim: RunningSimulator,
    pub http: reqwest::Client,
}

pub async fn start() -> Sim {
    let dir = tempfile::tempdir().expect("temp dir");
    start_in(dir).await
}

pub async fn start_in(dir: tempfile::TempDir) -> Sim {
    start_with(dir, |config| config).await
}

pub async fn start_with(dir: tempfile::TempDir, configure: impl FnOnce(SimulatorConfig) -> SimulatorConfig) -> Sim {
    let sim = Simulator::start(configure(SimulatorConfig::new(dir.path()))).await.expect("simulator starts");
    let http = client_for(&sim);
    Sim { dir, sim, http }
}

pub fn client_for(sim: &RunningSimulator) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(sim.ca_cert_pem().as_bytes()).expect("CA parses");
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(ca)
        .no_proxy()
        .build()
        .expect("client")
}

#[derive(Clone)]
pub struct CsrSpec {
    pub vat: String,
    pub template: String,
    pub title: String,
    pub serial: String,
    pub ou: String,
    pub cn: String,
    pub country: String,
    pub printable_template: bool,
}

impl CsrSpec {
    pub fn new(template: &str) -> Self {
        Self {
            vat: VAT.into(),
            template: template.into(),
            title: "1100".into(),
            serial: "1-TST|2-TST|3-ed22f1d8-e6a2-1118-9b58-d9a8f11e445f".into(),
            ou: "Riyadh Branch".into(),
            cn: "TST-886431145-399999999900003".into(),
            country: "SA".into(),
            printable_template: false,
        }
    }
}

fn utf8(value: &str) -> Any {
    Any::encode_from(&Utf8StringRef::new(value).unwrap()).unwrap()
}

fn rdn(oid: &str, value: Any) -> RelativeDistinguishedName {
    let atv = AttributeTypeAndValue { oid: ObjectIdentifier::new_unwrap(oid), value };
    let der = SetOfVec::try_from(vec![atv]).unwrap().to_der().unwrap();
    RelativeDistinguishedName::from_der(&der).unwrap()
}

fn name(rdns: Vec<RelativeDistinguishedName>) -> Name {
    let mut sequence = RdnSequence::default();
    for r in rdns {
        sequence.push(r);
    }
    Name::from_der(&sequence.to_der().unwrap()).unwrap()
}

/// A CSR in the SDK's layout; returns (PEM, key).
pub fn csr_pem(spec: &CsrSpec) -> (String, SigningKey) {
    let key = <SigningKey as k256::elliptic_curve::Generate>::generate();
    (csr_pem_with_key(spec, &key), key)
}

pub fn csr_pem_with_key(spec: &CsrSpec, key: &SigningKey) -> String {
    let subject = name(vec![
        rdn("2.5.4.6", Any::encode_from(&PrintableStringRef::new(&spec.country).unwrap()).unwrap()),
        rdn("2.5.4.11", utf8(&spec.ou)),
        rdn("2.5.4.10", utf8("Maximum Speed Tech Supply LTD")),
        rdn("2.5.4.3", utf8(&spec.cn)),
    ]);
    let directory = name(vec![
        rdn("2.5.4.4", utf8(&spec.serial)),
        rdn("0.9.2342.19200300.100.1.1", utf8(&spec.vat)),
        rdn("2.5.4.12", utf8(&spec.title)),
        rdn("2.5.4.26", utf8("RRRD2929")),
        rdn("2.5.4.15", utf8("Supply activities")),
    ]);
    let mut builder = RequestBuilder::new(subject).unwrap();
    let template_oid = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.20.2");
    if spec.printable_template {
        let value = PrintableStringRef::new(&spec.template).unwrap();
        builder.add_extension((template_oid, false, &value)).unwrap();
    } else {
        let value = Utf8StringRef::new(&spec.template).unwrap();
        builder.add_extension((template_oid, false, &value)).unwrap();
    }
    builder
        .add_extension((false, &SubjectAltName(vec![GeneralName::DirectoryName(directory)])))
        .unwrap();
    let request = builder.build::<_, DerSignature>(key).unwrap();
    request.to_pem(LineEnding::LF).unwrap()
}

pub fn b64(text: &str) -> String {
    STANDARD.encode(text)
}

pub fn csr_field(spec: &CsrSpec) -> String {
    b64(&csr_pem(spec).0)
}

pub fn basic(token: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{token}:{secret}")))
}

pub struct Response {
    pub status: u16,
    pub content_type: String,
    pub text: String,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

pub async fn send(request: reqwest::RequestBuilder) -> Response {
    let response = request.send().await.expect("request reaches the simulator");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = response.text().await.unwrap();
    Response { status, content_type, text }
}

pub async fn post_compliance(s: &Sim, base: &str, otp: Option<&str>, body: Value) -> Response {
    let mut request = s.http.post(format!("{base}/compliance")).header("Accept-Version", "V2").json(&body);
    if let Some(otp) = otp {
        request = request.header("OTP", otp);
    }
    send(request).await
}

pub async fn onboard(s: &Sim, base: &str, otp: &str, spec: &CsrSpec) -> (Value, SigningKey) {
    let (pem, key) = csr_pem(spec);
    let response = post_compliance(s, base, Some(otp), json!({ "csr": b64(&pem) })).await;
    assert_eq!(response.status, 200, "{}", response.text);
    (response.json(), key)
}

/// A shared sample from ../shared/zatca/samples, parsed; `None` when the
/// reference folder is absent (the caller then skips).
pub fn sample(relative: &str) -> Option<Value> {
    let dir = fatoora_base::reference::zatca_reference_dir_or_skip(relative)?;
    let text = std::fs::read_to_string(dir.join("samples").join(relative)).expect("sample readable");
    Some(serde_json::from_str(&text).expect("sample is JSON"))
}

pub fn sample_text(relative: &str) -> Option<String> {
    let dir = fatoora_base::reference::zatca_reference_dir_or_skip(relative)?;
    Some(std::fs::read_to_string(dir.join("samples").join(relative)).expect("sample readable"))
}

/// Same keys at every level and same JSON types; string values not compared.
pub fn same_shape(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_shape(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => match (x.first(), y.first()) {
            (Some(v), Some(w)) => same_shape(v, w),
            _ => true,
        },
        (Value::Null, Value::Null) => true,
        (Value::String(_), Value::String(_)) | (Value::Number(_), Value::Number(_)) | (Value::Bool(_), Value::Bool(_)) => true,
        _ => false,
    }
}

pub fn name_from_str(s: &str) -> Name {
    Name::from_str(s).unwrap()
}
