//! Conformance of the onboarding endpoints, driven with plain reqwest and
//! compared with the shared ZATCA samples (SPEC.md 1, 5, Appendix A).

mod support;

#[cfg(target_os = "linux")]
use std::process::Command;
use std::time::Duration;

#[cfg(target_os = "linux")]
use base64::Engine;
#[cfg(target_os = "linux")]
use base64::engine::general_purpose::STANDARD;
use fatoora_base::Environment;
use fatoora_simulator::{CoreTemplates, Gateway, OtpPurpose, Simulator, SimulatorConfig};
use serde_json::{Value, json};
use support::*;

fn sample_or_skip(path: &str) -> Option<Value> {
    sample(path)
}

#[cfg(target_os = "linux")]
fn cert_pem_of_token(token: &str) -> String {
    let inner = String::from_utf8(STANDARD.decode(token).unwrap()).unwrap();
    let body: Vec<String> = inner.as_bytes().chunks(64).map(|c| String::from_utf8(c.to_vec()).unwrap()).collect();
    format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", body.join("\n"))
}

// Linux-only: Debian's openssl command, which the Windows run under Wine cannot start.
#[cfg(target_os = "linux")]
fn openssl(args: &[&str], dir: &std::path::Path) -> String {
    let output = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl runs");
    assert!(output.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn accept_version_other_than_v2_is_406_plain_text() {
    let s = start().await;
    let base = s.sim.base_url(Environment::Local);
    let expected = sample_text("api/common-406-swagger.txt");
    for version in [None, Some("V1"), Some("V3"), Some("")] {
        let mut request = s.http.post(format!("{base}/compliance")).header("OTP", "123456").json(&json!({"csr": "x"}));
        if let Some(v) = version {
            request = request.header("Accept-Version", v);
        }
        let response = send(request).await;
        assert_eq!(response.status, 406, "{version:?}");
        assert!(response.content_type.starts_with("text/plain"), "{}", response.content_type);
        assert_eq!(response.text, "This Version is not supported or not provided in the header.");
        if let Some(expected) = &expected {
            assert_eq!(response.text, expected.trim_end());
        }
    }
    // A lower-case v2 got past the check live (topic 8636).
    let response = send(s.http.post(format!("{base}/compliance")).header("Accept-Version", "v2").json(&json!({}))).await;
    assert_eq!(response.status, 400);
}

#[tokio::test]
async fn missing_otp_and_missing_csr_bodies_match_the_samples() {
    let s = start().await;
    let base = s.sim.base_url(Environment::Local);
    let response = post_compliance(&s, &base, None, json!({ "csr": csr_field(&CsrSpec::new("TSTZATCA-Code-Signing")) })).await;
    assert_eq!(response.status, 400);
    if let Some(expected) = sample_or_skip("api/01-compliance-400-missing-otp-swagger.json") {
        assert_eq!(response.json(), expected);
    }
    let otp = s.sim.admin().mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();
    for body in [json!({}), json!({"csr": null}), json!({"csr": ""})] {
        let response = post_compliance(&s, &base, Some(&otp), body).await;
        assert_eq!(response.status, 400);
        if let Some(expected) = sample_or_skip("api-examples/compliance_csid.05.400-Missing-CSR.json") {
            assert_eq!(response.json(), expected);
        }
    }
}

#[tokio::test]
async fn every_otp_violation_answers_the_exact_invalid_otp_body() {
    let s = start().await;
    let admin = s.sim.admin();
    let core = s.sim.base_url(Environment::Local);
    let expected = json!({"errors":[{"code":"Invalid-OTP","message":"The provided OTP is invalid"}]});
    if let Some(sample) = sample_or_skip("api/01-compliance-400-invalid-otp-observed.json") {
        assert_eq!(sample, expected);
    }
    let spec = CsrSpec::new("TSTZATCA-Code-Signing");
    let csr = json!({ "csr": csr_field(&spec) });

    let from_simulation = admin.mint_otp(Environment::Simulation, VAT, OtpPurpose::Onboard).unwrap();
    let for_renewal = admin.mint_otp(Environment::Local, VAT, OtpPurpose::Renew).unwrap();
    let other_vat = admin.mint_otp(Environment::Local, "311111111101113", OtpPurpose::Onboard).unwrap();
    let expired = admin.mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();
    let cases = [
        ("unknown", "000000".to_owned()),
        ("five digits", "12345".to_owned()),
        ("not digits", "12a456".to_owned()),
        ("other environment", from_simulation),
        ("renewal OTP on /compliance", for_renewal),
        ("other VAT", other_vat),
    ];
    for (why, otp) in &cases {
        let response = post_compliance(&s, &core, Some(otp), csr.clone()).await;
        assert_eq!(response.status, 400, "{why}");
        assert_eq!(response.json(), expected, "{why}");
    }

    admin.advance_clock(Duration::from_secs(3601));
    let response = post_compliance(&s, &core, Some(&expired), csr.clone()).await;
    assert_eq!(response.json(), expected, "expired after 3600 s");

    let fresh = admin.mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();
    admin.advance_clock(Duration::from_secs(3599));
    let response = post_compliance(&s, &core, Some(&fresh), json!({ "csr": csr_field(&spec) })).await;
    assert_eq!(response.status, 200, "still valid at 3599 s: {}", response.text);
    let response = post_compliance(&s, &core, Some(&fresh), json!({ "csr": csr_field(&spec) })).await;
    assert_eq!(response.json(), expected, "single use");
}

#[tokio::test]
async fn minted_otps_keep_leading_zeros_and_work() {
    let s = start().await;
    let admin = s.sim.admin();
    let core = s.sim.base_url(Environment::Local);
    let mut with_zero = None;
    for _ in 0..2000 {
        let otp = admin.mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();
        assert!(otp.len() == 6 && otp.bytes().all(|b| b.is_ascii_digit()), "{otp}");
        if otp.starts_with('0') {
            with_zero = Some(otp);
            break;
        }
    }
    let otp = with_zero.expect("one in ten OTPs starts with 0");
    let response = post_compliance(&s, &core, Some(&otp), json!({ "csr": csr_field(&CsrSpec::new("TSTZATCA-Code-Signing")) })).await;
    assert_eq!(response.status, 200, "{}", response.text);
}

// Linux-only: Debian's openssl command, which the Windows run under Wine cannot start.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn compliance_csid_is_a_real_certificate_from_cn_einvoicing() {
    let s = start().await;
    let admin = s.sim.admin();
    let core = s.sim.base_url(Environment::Local);
    let otp = admin.mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();
    let before_ms = admin.clock().now_ms();
    let (body, _key) = onboard(&s, &core, &otp, &CsrSpec::new("TSTZATCA-Code-Signing")).await;
    if let Some(sample) = sample_or_skip("api/odoo-demo-ccsid-response.json") {
        assert!(same_shape(&body, &sample), "{body}");
    }
    assert_eq!(body["dispositionMessage"], "ISSUED");
    assert_ne!(body["requestID"], json!(1_234_567_890_123i64), "fixed id is the sandbox's only");
    let secret = STANDARD.decode(body["secret"].as_str().unwrap()).unwrap();
    assert_eq!(secret.len(), 32);

    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("ccsid.pem"), cert_pem_of_token(body["binarySecurityToken"].as_str().unwrap())).unwrap();
    std::fs::write(work.path().join("ca.pem"), s.sim.compliance_ca_pem()).unwrap();
    let verified = openssl(&["verify", "-CAfile", "ca.pem", "ccsid.pem"], work.path());
    assert!(verified.contains("ccsid.pem: OK"), "{verified}");
    let text = openssl(&["x509", "-in", "ccsid.pem", "-noout", "-text"], work.path());
    assert!(text.contains("Issuer: CN = eInvoicing"), "{text}");
    assert!(text.contains("DirName:/SN=1-TST|2-TST|3-ed22f1d8-e6a2-1118-9b58-d9a8f11e445f/UID=399999999900003/title=1100/registeredAddress=RRRD2929/businessCategory=Supply activities"), "{text}");
    assert!(text.contains("Subject: C = SA, OU = Riyadh Branch, O = Maximum Speed Tech Supply LTD, CN = TST-886431145-399999999900003"), "{text}");
    assert!(text.contains("CA:FALSE"), "{text}");
    assert!(text.contains("21:00:00"), "notAfter at 21:00 UTC: {text}");
    let serial = openssl(&["x509", "-in", "ccsid.pem", "-noout", "-serial"], work.path());
    let serial = i64::from_str_radix(serial.trim().trim_start_matches("serial="), 16).unwrap();
    assert!(serial >= before_ms && serial <= admin.clock().now_ms(), "serial {serial} is the epoch ms of issue");
    let dates = openssl(&["x509", "-in", "ccsid.pem", "-noout", "-startdate", "-enddate"], work.path());
    let years = |line: &str| line.split_whitespace().nth(3).unwrap().parse::<i32>().unwrap();
    let mut lines = dates.lines();
    let (start, end) = (lines.next().unwrap(), lines.next().unwrap());
    assert!((years(end) - years(start) - 5).abs() <= 1 && years(end) >= years(start) + 4, "{dates}");
}

// Linux-only: Debian's openssl command, which the Windows run under Wine cannot start.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn an_openssl_made_secp256k1_csr_is_accepted() {
    let s = start().await;
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        work.path().join("csr.cnf"),
        "oid_section = OIDs\n[OIDs]\ncertificateTemplateName = 1.3.6.1.4.1.311.20.2\n\
         [req]\nprompt = no\ndistinguished_name = dn\nreq_extensions = v3_req\nutf8 = yes\nstring_mask = utf8only\n\
         [dn]\nC = SA\nOU = Riyadh Branch\nO = Maximum Speed Tech Supply LTD\nCN = TST-886431145-399999999900003\n\
         [v3_req]\ncertificateTemplateName = ASN1:UTF8STRING:TSTZATCA-Code-Signing\nsubjectAltName = dirName:alt_names\n\
         [alt_names]\nSN = 1-TST|2-TST|3-ed22f1d8-e6a2-1118-9b58-d9a8f11e445f\nUID = 399999999900003\ntitle = 1100\n\
         registeredAddress = RRRD2929\nbusinessCategory = Supply activities\n",
    )
    .unwrap();
    openssl(&["ecparam", "-name", "secp256k1", "-genkey", "-noout", "-out", "key.pem"], work.path());
    // OpenSSL's ECDSA S is high half the time; k256 alone would refuse those.
    // Twenty CSRs make a refused high-S signature all but certain to show.
    for _ in 0..20 {
        openssl(&["req", "-new", "-sha256", "-key", "key.pem", "-config", "csr.cnf", "-out", "csr.pem"], work.path());
        let pem = std::fs::read_to_string(work.path().join("csr.pem")).unwrap();
        let otp = s.sim.admin().mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();
        let response = post_compliance(&s, &s.sim.base_url(Environment::Local), Some(&otp), json!({ "csr": b64(&pem) })).await;
        assert_eq!(response.status, 200, "{}", response.text);
    }
}

#[tokio::test]
async fn templates_follow_each_environment() {
    let s = start().await;
    let admin = s.sim.admin();
    let denied_sample = sample_or_skip("api/01-compliance-not-compliant-template-denied-observed.json");
    // /core (the app's local): production's template and the sandbox's; PREZATCA is denied.
    let core = s.sim.base_url(Environment::Local);
    for template in ["ZATCA-Code-Signing", "TSTZATCA-Code-Signing"] {
        let otp = admin.mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();
        onboard(&s, &core, &otp, &CsrSpec::new(template)).await;
    }
    let otp = admin.mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();
    let response = post_compliance(&s, &core, Some(&otp), json!({ "csr": csr_field(&CsrSpec::new("PREZATCA-Code-Signing")) })).await;
    assert_eq!(response.status, 400);
    if let Some(expected) = &denied_sample {
        assert_eq!(&response.json(), expected, "byte-for-byte the observed body");
    }
    // The denied request did not burn the OTP [3P: consumed on success only].
    onboard(&s, &core, &otp, &CsrSpec::new("ZATCA-Code-Signing")).await;

    // Simulation takes PREZATCA only.
    let sim = s.sim.base_url(Environment::Simulation);
    let otp = admin.mint_otp(Environment::Simulation, VAT, OtpPurpose::Onboard).unwrap();
    let response = post_compliance(&s, &sim, Some(&otp), json!({ "csr": csr_field(&CsrSpec::new("ZATCA-Code-Signing")) })).await;
    assert_eq!(response.json()["dispositionMessage"], "NOT_COMPLIANT");
    assert!(response.json()["errors"][0].as_str().unwrap().contains("policy: ZATCA-Code-Signing.\r\n"));
    onboard(&s, &sim, &otp, &CsrSpec::new("PREZATCA-Code-Signing")).await;

    // The sandbox takes anything, with its fixed OTP and request id, and a PrintableString template.
    let sandbox = s.sim.base_url(Environment::Sandbox);
    for template in ["TSTZATCA-Code-Signing", "PREZATCA-Code-Signing", "TESTZATCA-Code-Signing"] {
        let mut spec = CsrSpec::new(template);
        spec.printable_template = true;
        let (body, _) = onboard(&s, &sandbox, "123345", &spec).await;
        assert_eq!(body["requestID"], json!(1_234_567_890_123i64));
    }
    let response = post_compliance(&s, &sandbox, Some("123456"), json!({ "csr": csr_field(&CsrSpec::new("X")) })).await;
    assert_eq!(response.json()["errors"][0]["code"], "Invalid-OTP", "123456 is the renewal OTP");
}

#[tokio::test]
async fn core_can_be_strictly_production() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Simulator::start(SimulatorConfig::new(dir.path()).core_templates(CoreTemplates::ProductionOnly)).await.unwrap();
    let s = Sim { http: client_for(&sim), sim, dir: tempfile::tempdir().unwrap() };
    let otp = s.sim.admin().mint_otp(Environment::Production, VAT, OtpPurpose::Onboard).unwrap();
    let core = s.sim.base_url(Environment::Production);
    let response = post_compliance(&s, &core, Some(&otp), json!({ "csr": csr_field(&CsrSpec::new("TSTZATCA-Code-Signing")) })).await;
    assert_eq!(response.json()["requestID"], -2);
}

// Linux-only: Debian's openssl command, which the Windows run under Wine cannot start.
#[cfg(target_os = "linux")]
async fn rsa_and_p256_csrs() -> Vec<(&'static str, String)> {
    let work = tempfile::tempdir().unwrap();
    let subj = "/C=SA/OU=Riyadh Branch/O=Maximum Speed Tech Supply LTD/CN=TST-886431145-399999999900003";
    let ext = "subjectAltName=dirName:alt\n";
    let _ = ext;
    openssl(&["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "rsa.key", "-subj", subj, "-out", "rsa.csr"], work.path());
    openssl(&["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "p256.key"], work.path());
    openssl(&["req", "-new", "-sha256", "-key", "p256.key", "-subj", subj, "-out", "p256.csr"], work.path());
    vec![
        ("RSA key", std::fs::read_to_string(work.path().join("rsa.csr")).unwrap()),
        ("P-256 key", std::fs::read_to_string(work.path().join("p256.csr")).unwrap()),
    ]
}

// Linux-only: Debian's openssl command, which the Windows run under Wine cannot start.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn bad_csrs_get_the_invalid_csr_envelope_never_a_panic() {
    let s = start().await;
    let admin = s.sim.admin();
    let core = s.sim.base_url(Environment::Local);
    let expected = json!({
        "errorCode": "400",
        "errorCategory": "Invalid-CSR",
        "errorMessage": "The provided Certificate Signing Request (CSR) is invalid."
    });
    if let Some(sample) = sample_or_skip("api/01-compliance-400-invalid-csr-observed.json") {
        assert_eq!(sample, expected);
    }
    let good_pem = csr_pem(&CsrSpec::new("TSTZATCA-Code-Signing")).0;
    let mut tampered = good_pem.clone().into_bytes();
    let at = tampered.len() - 40;
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    let der = {
        let body: String = good_pem.lines().filter(|l| !l.starts_with("-----")).collect();
        STANDARD.decode(body).unwrap()
    };
    let mut bad_vat = CsrSpec::new("TSTZATCA-Code-Signing");
    bad_vat.vat = "39999999990000".into();
    let mut bad_serial = CsrSpec::new("TSTZATCA-Code-Signing");
    bad_serial.serial = "TST-1".into();
    let mut bad_country = CsrSpec::new("TSTZATCA-Code-Signing");
    bad_country.country = "AE".into();
    let mut group = CsrSpec::new("TSTZATCA-Code-Signing");
    group.vat = "311111111111113".into();

    let mut cases: Vec<(&str, Value)> = vec![
        ("garbage base64", json!({"csr": "%%%not base64%%%"})),
        ("base64 of junk", json!({"csr": b64("hello")})),
        ("1 MB csr", json!({"csr": "A".repeat(1024 * 1024)})),
        ("number", json!({"csr": 12345})),
        ("array", json!({"csr": ["a"]})),
        ("object", json!({"csr": {"pem": "x"}})),
        ("signature tampered", json!({"csr": b64(&String::from_utf8(tampered).unwrap())})),
        ("bare DER", json!({"csr": STANDARD.encode(&der)})),
        ("VAT 14 digits", json!({"csr": csr_field(&bad_vat)})),
        ("EGS serial format", json!({"csr": csr_field(&bad_serial)})),
        ("country", json!({"csr": csr_field(&bad_country)})),
        ("VAT group without TIN in OU", json!({"csr": csr_field(&group)})),
    ];
    let foreign = rsa_and_p256_csrs().await;
    for (why, pem) in &foreign {
        cases.push((why, json!({"csr": b64(pem)})));
    }
    for (why, body) in cases {
        let otp = admin.mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();
        let response = post_compliance(&s, &core, Some(&otp), body).await;
        assert_eq!(response.status, 400, "{why}: {}", response.text);
        assert_eq!(response.json(), expected, "{why}");
    }
    let mut bad_title = CsrSpec::new("TSTZATCA-Code-Signing");
    bad_title.title = "0011".into();
    let otp = admin.mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();
    let response = post_compliance(&s, &core, Some(&otp), json!({"csr": csr_field(&bad_title)})).await;
    assert_eq!(response.status, 400);
    assert_eq!(response.json()["dispositionMessage"], "NOT_COMPLIANT");
    assert_eq!(response.json()["requestID"], -1);

    // Not JSON at all, or a 5 MB body: gateway shapes, not a crash.
    let response = send(s.http.post(format!("{core}/compliance")).header("Accept-Version", "V2").header("OTP", "123456").body("{{{")).await;
    assert_eq!(response.json()["errors"][0]["code"], "Missing-CSR");
    let response = send(
        s.http.post(format!("{core}/compliance")).header("Accept-Version", "V2").header("OTP", "123456").body(vec![b'a'; 5 * 1024 * 1024]),
    )
    .await;
    assert_eq!(response.status, 413);
}

async fn production(s: &Sim, base: &str, auth: Option<String>, body: Value) -> Response {
    let mut request = s.http.post(format!("{base}/production/csids")).header("Accept-Version", "V2").json(&body);
    if let Some(auth) = auth {
        request = request.header("Authorization", auth);
    }
    send(request).await
}

#[tokio::test]
async fn production_csid_gate_auth_and_cross_environment_rules() {
    let s = start().await;
    let admin = s.sim.admin();
    let core = s.sim.base_url(Environment::Local);
    let otp = admin.mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();
    let (ccsid, _) = onboard(&s, &core, &otp, &CsrSpec::new("TSTZATCA-Code-Signing")).await;
    let token = ccsid["binarySecurityToken"].as_str().unwrap();
    let secret = ccsid["secret"].as_str().unwrap();
    let request_id = ccsid["requestID"].to_string();

    for auth in [None, Some(basic(token, "wrong")), Some("Bearer x".to_owned()), Some(basic("nobody", secret))] {
        let response = production(&s, &core, auth, json!({"compliance_request_id": request_id})).await;
        assert_eq!(response.status, 401);
        let body = response.json();
        if let Some(sample) = sample_or_skip("api/common-401-swagger.json") {
            assert!(same_shape(&body, &sample), "{body}");
        }
        assert_eq!(body["error"], "Unauthorized");
        assert_eq!(body["message"], "");
    }
    let auth = Some(basic(token, secret));
    let response = production(&s, &core, auth.clone(), json!({})).await;
    assert_eq!(response.json(), sample_or_skip("api-examples/onboarding.06.400-Missing-compliance-request-id.json").unwrap_or(response.json()));
    assert_eq!(response.json()["errors"][0]["code"], "Missing-compliance_request_id");
    let response = production(&s, &core, auth.clone(), json!({"compliance_request_id": "42"})).await;
    assert_eq!(response.json()["errors"][0]["code"], "Invalid-ComplianceRequestId");

    let response = production(&s, &core, auth.clone(), json!({"compliance_request_id": request_id})).await;
    assert_eq!(response.status, 400);
    assert_eq!(
        response.json(),
        json!({"code": "Missing-ComplianceSteps", "message": "The compliance certificate is not done with the following compliance steps yet [standard-compliant,standard-credit-note-compliant,standard-debit-note-compliant,simplified-compliant,simplified-credit-note-compliant,simplified-debit-note-compliant]"})
    );
    if let Some(sample) = sample_or_skip("api/03-production-csids-missing-compliance-steps-observed.json") {
        assert!(same_shape(&response.json(), &sample));
    }

    // A compliance CSID from simulation, used on core.
    let sim_otp = admin.mint_otp(Environment::Simulation, VAT, OtpPurpose::Onboard).unwrap();
    let (sim_ccsid, _) = onboard(&s, &s.sim.base_url(Environment::Simulation), &sim_otp, &CsrSpec::new("PREZATCA-Code-Signing")).await;
    let response = production(
        &s,
        &core,
        Some(basic(sim_ccsid["binarySecurityToken"].as_str().unwrap(), sim_ccsid["secret"].as_str().unwrap())),
        json!({"compliance_request_id": sim_ccsid["requestID"].to_string()}),
    )
    .await;
    if let Some(sample) = sample_or_skip("api/03-production-csids-invalid-current-ccsid-observed.json") {
        assert_eq!(response.json(), sample);
    }
    assert_eq!(response.json()["code"], "Invalid-CurrentCCSID");
}

// Linux-only: Debian's openssl command, which the Windows run under Wine cannot start.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn sandbox_issues_without_the_gate_and_renewal_works() {
    let s = start().await;
    let admin = s.sim.admin();
    let sandbox = s.sim.base_url(Environment::Sandbox);
    let mut spec = CsrSpec::new("TSTZATCA-Code-Signing");
    spec.vat = "311111111101113".into();
    let (ccsid, _) = onboard(&s, &sandbox, "123345", &spec).await;
    let auth = basic(ccsid["binarySecurityToken"].as_str().unwrap(), ccsid["secret"].as_str().unwrap());
    let response = production(&s, &sandbox, Some(auth.clone()), json!({"compliance_request_id": "1234567890123"})).await;
    assert_eq!(response.status, 200, "{}", response.text);
    let pcsid = response.json();
    if let Some(sample) = sample_or_skip("api/odoo-demo-pcsid-response.json") {
        assert!(same_shape(&pcsid, &sample), "{pcsid}");
    }
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("pcsid.pem"), cert_pem_of_token(pcsid["binarySecurityToken"].as_str().unwrap())).unwrap();
    std::fs::write(work.path().join("ca.pem"), s.sim.production_ca_pem()).unwrap();
    assert!(openssl(&["verify", "-CAfile", "ca.pem", "pcsid.pem"], work.path()).contains("OK"));
    let text = openssl(&["x509", "-in", "pcsid.pem", "-noout", "-text"], work.path());
    assert!(text.contains("Subject: C = SA, O = Maximum Speed Tech Supply LTD, OU = Riyadh Branch, CN = "), "{text}");
    assert!(text.contains("Code Signing, TLS Web Client Authentication"), "{text}");
    assert!(text.contains("UID=311111111101113"), "{text}");

    // PATCH: a compliance CSID is refused; the PCSID + renewal OTP renews.
    let pcsid_auth = basic(pcsid["binarySecurityToken"].as_str().unwrap(), pcsid["secret"].as_str().unwrap());
    let renew = |auth: String, otp: Option<&'static str>, spec: &CsrSpec| {
        let mut request = s
            .http
            .patch(format!("{sandbox}/production/csids"))
            .header("Accept-Version", "V2")
            .header("Authorization", auth)
            .json(&json!({"csr": csr_field(spec)}));
        if let Some(otp) = otp {
            request = request.header("OTP", otp);
        }
        send(request)
    };
    assert_eq!(renew(auth.clone(), Some("123456"), &spec).await.status, 401);
    let response = renew(pcsid_auth.clone(), None, &spec).await;
    if let Some(sample) = sample_or_skip("api/04-renewal-patch-400-missing-otp-swagger.json") {
        assert_eq!(response.json(), sample);
    }
    assert_eq!(renew(pcsid_auth.clone(), Some("123345"), &spec).await.json()["errors"][0]["code"], "Invalid-OTP");
    let response = renew(pcsid_auth.clone(), Some("123456"), &spec).await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json()["tokenType"], fatoora_simulator_token_type());
    if let Some(sample) = sample_or_skip("api/04-renewal-patch-200-swagger.json") {
        assert!(same_shape(&response.json(), &sample), "{}", response.text);
    }

    admin.set_renewal_requires_compliance(true);
    let response = renew(pcsid_auth.clone(), Some("123456"), &spec).await;
    assert_eq!(response.status, 428, "{}", response.text);
    if let Some(sample) = sample_or_skip("api/04-renewal-patch-428-not-compliant-swagger.json") {
        assert!(same_shape(&response.json(), &sample), "{}", response.text);
    }
    // The 428 CCSID is a compliance certificate that can continue the flow.
    let renewed = response.json();
    let auth = basic(renewed["binarySecurityToken"].as_str().unwrap(), renewed["secret"].as_str().unwrap());
    let response = production(&s, &sandbox, Some(auth), json!({"compliance_request_id": renewed["requestID"].to_string()})).await;
    assert_eq!(response.status, 200, "{}", response.text);
}

#[cfg(target_os = "linux")]
fn fatoora_simulator_token_type() -> &'static str {
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
}

#[tokio::test]
async fn sandbox_hands_one_fixed_pcsid_for_the_shared_test_vat() {
    let s = start().await;
    let sandbox = s.sim.base_url(Environment::Sandbox);
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let (ccsid, _) = onboard(&s, &sandbox, "123345", &CsrSpec::new("ZATCA-Code-Signing")).await;
        let auth = basic(ccsid["binarySecurityToken"].as_str().unwrap(), ccsid["secret"].as_str().unwrap());
        let response = production(&s, &sandbox, Some(auth), json!({"compliance_request_id": "1234567890123"})).await;
        assert_eq!(response.status, 200);
        tokens.push((response.json()["binarySecurityToken"].clone(), response.json()["secret"].clone()));
    }
    assert_eq!(tokens[0], tokens[1]);
}

#[tokio::test]
async fn state_and_cas_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = Simulator::start(SimulatorConfig::new(dir.path())).await.unwrap();
    let otp = first.admin().mint_otp(Environment::Local, VAT, OtpPurpose::Onboard).unwrap();
    let ca = first.ca_cert_pem().to_owned();
    let einvoicing = first.compliance_ca_pem().to_owned();
    assert!(dir.path().join(fatoora_simulator::RUNTIME_FILE).exists());
    first.shutdown().await;
    assert!(!dir.path().join(fatoora_simulator::RUNTIME_FILE).exists());

    let s = start_in(dir).await;
    assert_eq!(s.sim.ca_cert_pem(), ca);
    assert_eq!(s.sim.compliance_ca_pem(), einvoicing);
    let core = s.sim.base_url(Environment::Local);
    let (ccsid, _) = onboard(&s, &core, &otp, &CsrSpec::new("TSTZATCA-Code-Signing")).await;
    let csids = s.sim.admin().issued_csids().unwrap();
    assert_eq!(csids.len(), 1);
    assert_eq!(csids[0].gateway, Gateway::Core);
    assert_eq!(csids[0].request_id, ccsid["requestID"].as_i64().unwrap());
}
