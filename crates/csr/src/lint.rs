//! Every rule of SPEC.md 2.5 and what the field has taught us since, run on
//! a profile as the user types ([`lint_profile`]) and on any CSR a user
//! brings ([`lint_csr`]). Both return every finding, never only the first,
//! each naming the field, a stable rule id and the fix in English and Arabic.

use fatoora_base::values::{EgsSerial, Field, FieldError, InvoiceTypes, Severity, VatNumber, ascii_digits, check_text};
use fatoora_base::{Environment, Localized};
use serde::Serialize;

use crate::layout;
use crate::parse::{ParsedAttribute, ParsedCsr, StringType, parse_csr};
use crate::profile::{SANDBOX_VAT_NUMBER, UnitProfile};

fn finding(field: Field, rule: &'static str, severity: Severity, en: impl Into<String>, ar: impl Into<String>) -> FieldError {
    FieldError { field, rule, severity, message: Localized::new(en, ar) }
}

fn error(field: Field, rule: &'static str, en: impl Into<String>, ar: impl Into<String>) -> FieldError {
    finding(field, rule, Severity::Error, en, ar)
}

fn warning(field: Field, rule: &'static str, en: impl Into<String>, ar: impl Into<String>) -> FieldError {
    finding(field, rule, Severity::Warning, en, ar)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// Typed by the user: surrounding spaces are dropped and Arabic-Indic
    /// digits become ASCII before anything is written.
    Profile,
    /// Already inside a CSR: ZATCA copies values verbatim, so nothing is
    /// forgiven.
    Csr,
}

/// All findings for a unit profile, in form order. Empty means ready.
pub fn lint_profile(profile: &UnitProfile) -> Vec<FieldError> {
    let lookup = |field: Field| -> Found {
        Found::Value(
            match field {
                Field::VatNumber => &profile.vat_number,
                Field::OrganizationName => &profile.organization_name,
                Field::OrganizationUnit => &profile.organization_unit,
                Field::CommonName => &profile.common_name,
                Field::EgsSerial => &profile.serial,
                Field::InvoiceTypes => &profile.invoice_types,
                Field::Address => &profile.address,
                Field::BusinessCategory => &profile.business_category,
                Field::Country => &profile.country,
                _ => return Found::Absent,
            }
            .clone(),
        )
    };
    lint_values(&lookup, Some(profile.environment), Origin::Profile)
}

/// The verdict on an existing CSR: what it says and what is wrong with it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CsrLint {
    /// `None` when the file is not a readable CSR (the findings say why).
    pub csr: Option<ParsedCsr>,
    pub findings: Vec<FieldError>,
}

impl CsrLint {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// Lints a CSR in any form (PEM, base64 of PEM, base64 of DER, DER) against
/// ZATCA's layout and rules; with `environment`, also against that
/// environment's certificate template.
pub fn lint_csr(bytes: &[u8], environment: Option<Environment>) -> CsrLint {
    match parse_csr(bytes) {
        Ok(csr) => {
            let findings = lint_parsed(&csr, environment);
            CsrLint { csr: Some(csr), findings }
        }
        Err(e) => CsrLint { csr: None, findings: vec![FieldError::error(Field::CsrStructure, e.rule(), e.explain())] },
    }
}

/// The rules applied to a CSR already parsed (the simulator's CA uses this
/// to decide what to refuse).
pub fn lint_parsed(csr: &ParsedCsr, environment: Option<Environment>) -> Vec<FieldError> {
    let mut out = Vec::new();
    key_rules(csr, &mut out);
    subject_rules(csr, &mut out);
    template_rules(csr, environment, &mut out);
    let san_present = san_rules(csr, &mut out);

    let lookup = |field: Field| -> Found {
        let in_san = layout::SUBJECT_ALT_NAME.iter().any(|s| s.field == field);
        match csr.value(field) {
            Some(value) => Found::Value(value.to_owned()),
            None if in_san && !san_present => Found::Reported,
            None if field == Field::EgsSerial && serial_in_wrong_attribute(csr) => Found::Reported,
            None => Found::Absent,
        }
    };
    out.extend(lint_values(&lookup, environment, Origin::Csr));
    out
}

/// What a field's lookup found.
enum Found {
    Value(String),
    /// Absent from the CSR: a `required` finding.
    Absent,
    /// Absent, and already reported (the whole subjectAltName is missing).
    Reported,
}

fn key_rules(csr: &ParsedCsr, out: &mut Vec<FieldError>) {
    let key = &csr.public_key;
    let new_key_en = "Generate a new key and CSR with fatoora-onboard csr new.";
    let new_key_ar = "أنشئ مفتاحًا وطلب CSR جديدين بالأمر fatoora-onboard csr new.";
    if key.is_rsa {
        out.push(error(Field::Key, "ec-secp256k1",
            format!("The CSR carries an RSA key. ZATCA refuses RSA CSRs (Invalid-CSR); it needs an EC key on secp256k1. {new_key_en}"),
            format!("يحمل الطلب مفتاح RSA. ترفض الهيئة طلبات RSA ‏(Invalid-CSR)؛ والمطلوب مفتاح EC على المنحنى secp256k1. {new_key_ar}")));
    } else if !key.is_ec {
        out.push(error(Field::Key, "ec-secp256k1",
            format!("The CSR carries a {} key. ZATCA needs an EC key on secp256k1. {new_key_en}", key.algorithm),
            format!("يحمل الطلب مفتاحًا من نوع {}. تحتاج الهيئة إلى مفتاح EC على المنحنى secp256k1. {new_key_ar}", key.algorithm)));
    } else if !key.is_secp256k1 {
        let curve = key.curve.clone().unwrap_or_else(|| "an unnamed curve".into());
        out.push(error(Field::Key, "curve-secp256k1",
            format!("The EC key is on {curve}. ZATCA uses secp256k1 only (the P-256 in one ZATCA table is a known error there). {new_key_en}"),
            format!("المفتاح على المنحنى {curve}. تستخدم الهيئة المنحنى secp256k1 فقط (وذِكر P-256 في أحد جداول الهيئة خطأ معروف). {new_key_ar}")));
    } else if key.uncompressed_point == Some(false) {
        // [guess] ZATCA documents no rule on compressed points; its samples are all uncompressed.
        out.push(warning(Field::Key, "uncompressed-point",
            "The public key is in compressed form; ZATCA's own CSRs carry the uncompressed point (04||X||Y), and ZATCA does not say whether it accepts the compressed one. To be safe, generate the CSR again with fatoora-onboard.",
            "المفتاح العام بالصيغة المضغوطة، بينما تحمل طلبات الهيئة النقطة غير المضغوطة (04||X||Y)، ولا تذكر الهيئة إن كانت تقبل المضغوطة. للاحتياط أعد إنشاء الطلب بالبرنامج."));
    }
    if !csr.is_ecdsa_with_sha256 {
        out.push(error(Field::Signature, "ecdsa-with-sha256",
            format!("The CSR is signed with {}; ZATCA requires ecdsa-with-SHA256. {new_key_en}", csr.signature_algorithm),
            format!("الطلب موقّع بالخوارزمية {}؛ وتشترط الهيئة ecdsa-with-SHA256. {new_key_ar}", csr.signature_algorithm)));
    }
    if csr.signature_valid == Some(false) {
        out.push(error(Field::Signature, "proof-of-possession",
            "The CSR's signature does not match its own public key: it was altered after signing or signed with another key. Generate it again.",
            "توقيع الطلب لا يطابق مفتاحه العام: عُدّل بعد التوقيع أو وُقّع بمفتاح آخر. أنشئه من جديد."));
    }
}

fn subject_rules(csr: &ParsedCsr, out: &mut Vec<FieldError>) {
    let known: Vec<&ParsedAttribute> = csr.subject.iter().filter(|a| a.field.is_some()).collect();
    let extra: Vec<String> = csr.subject.iter().filter(|a| a.field.is_none()).map(|a| a.oid.clone()).collect();
    if !extra.is_empty() {
        out.push(warning(Field::CsrStructure, "subject-sdk-layout",
            format!("The subject has attributes ZATCA's SDK does not write: {}. Some clients got certificates this way, but the SDK layout is C, OU, O, CN only.", extra.join(", ")),
            format!("يحتوي الموضوع (Subject) على سمات لا تكتبها حزمة SDK الخاصة بالهيئة: {}. حصلت بعض الأنظمة على شهادات بهذا الشكل، لكن ترتيب الحزمة هو C وOU وO وCN فقط.", extra.join("، "))));
    }
    let order: Vec<&str> = known.iter().filter_map(|a| a.short_name).collect();
    let sdk: Vec<&str> = layout::SUBJECT.iter().map(|s| s.short_name).collect();
    if order.len() == sdk.len() && order != sdk {
        // [guess] Nothing ZATCA published says the CA checks the order.
        out.push(warning(Field::CsrStructure, "subject-order",
            format!("The subject is in the order {}; ZATCA's SDK writes C, OU, O, CN. ZATCA does not say whether the order matters, but a CSR in the SDK's order is never questioned.", order.join(", ")),
            format!("ترتيب الموضوع {}؛ وحزمة SDK تكتب C ثم OU ثم O ثم CN. لا تذكر الهيئة إن كان الترتيب مهما، لكن الترتيب المطابق للحزمة لا يُعترض عليه.", order.join("، "))));
    }
    for attribute in &known {
        let short = attribute.short_name.unwrap_or_default();
        let field = attribute.field.expect("known attributes have a field");
        if field == Field::Country && attribute.string_type != StringType::PrintableString {
            out.push(warning(Field::Country, "country-printable-string",
                "C is not a PrintableString as in ZATCA's sample CSR. Generate the CSR again with fatoora-onboard.",
                "الحقل C ليس من نوع PrintableString كما في نموذج الهيئة. أعد إنشاء الطلب بالبرنامج."));
        } else if field != Field::Country && !matches!(attribute.string_type, StringType::Utf8String | StringType::PrintableString) {
            out.push(warning(field, "utf8-string",
                format!("{short} is a {:?}; ZATCA's sample CSR uses UTF8String. Arabic in other string types may come out garbled in the certificate.", attribute.string_type),
                format!("الحقل {short} من نوع {:?}؛ ونموذج الهيئة يستخدم UTF8String. قد يظهر النص العربي مشوّهًا في الشهادة مع الأنواع الأخرى.", attribute.string_type)));
        }
    }
}

fn template_rules(csr: &ParsedCsr, environment: Option<Environment>, out: &mut Vec<FieldError>) {
    let Some(template) = &csr.template else {
        let expected = environment.map(|e| e.certificate_template()).unwrap_or("ZATCA-Code-Signing");
        out.push(error(Field::CertificateTemplate, "template-required",
            format!("The CSR has no certificate-template extension (1.3.6.1.4.1.311.20.2); ZATCA's CA needs one (\"{expected}\" here). Generate the CSR with fatoora-onboard csr new --env <environment>."),
            format!("لا يحتوي الطلب على امتداد قالب الشهادة (1.3.6.1.4.1.311.20.2)، ومُصدر شهادات الهيئة يحتاجه («{expected}» هنا). أنشئ الطلب بالأمر fatoora-onboard csr new --env <البيئة>.")));
        return;
    };
    if template.critical {
        out.push(warning(Field::CertificateTemplate, "not-critical",
            "The certificate-template extension is marked critical; ZATCA's CSRs mark no extension critical.",
            "امتداد قالب الشهادة معلَّم بأنه حرج (critical)، ولا تعلِّم طلبات الهيئة أي امتداد بذلك."));
    }
    if template.string_type == StringType::BmpString {
        out.push(warning(Field::CertificateTemplate, "template-string-type",
            "The template name is a BMPString; ZATCA's sample uses UTF8String (PrintableString also works). A CSR with BMPString was seen refused.",
            "اسم القالب من نوع BMPString؛ ونموذج الهيئة يستخدم UTF8String (ويصلح PrintableString أيضًا). رُصد رفض طلب بنوع BMPString."));
    }
    let Some(value) = template.value.as_deref() else {
        out.push(error(Field::CertificateTemplate, "template-known",
            "The certificate-template extension does not hold a readable name. Generate the CSR again.",
            "امتداد قالب الشهادة لا يحمل اسمًا مقروءًا. أعد إنشاء الطلب."));
        return;
    };
    if template.environments.is_empty() {
        out.push(error(Field::CertificateTemplate, "template-known",
            format!("\"{value}\" is not a FATOORA template. Use ZATCA-Code-Signing (production), PREZATCA-Code-Signing (simulation) or TSTZATCA-Code-Signing (sandbox)."),
            format!("«{value}» ليس قالبًا من قوالب «فاتورة». استخدم ZATCA-Code-Signing للإنتاج، أو PREZATCA-Code-Signing للمحاكاة، أو TSTZATCA-Code-Signing للبيئة التجريبية.")));
        return;
    }
    let Some(environment) = environment else { return };
    let expected = environment.certificate_template();
    if value == expected {
        return;
    }
    let env = environment.label();
    let (en, ar) = (
        format!("The CSR asks for template \"{value}\", but {} takes \"{expected}\". Generate a new CSR for this environment (csr new --env {environment}).", env.en),
        format!("يطلب الطلب القالب «{value}»، بينما تقبل {} القالب «{expected}». أنشئ طلبًا جديدًا لهذه البيئة (csr new --env {environment}).", env.ar),
    );
    // The sandbox does not enforce the template (SPEC.md 1.8); the others
    // refuse with NOT_COMPLIANT or Invalid-Request.
    if environment == Environment::Sandbox {
        out.push(warning(Field::CertificateTemplate, "template-environment", en, ar));
    } else {
        out.push(error(Field::CertificateTemplate, "template-environment", en, ar));
    }
}

/// Returns whether a usable SAN directoryName is there.
fn san_rules(csr: &ParsedCsr, out: &mut Vec<FieldError>) -> bool {
    let regenerate_en = "Generate the CSR again with fatoora-onboard csr new.";
    let regenerate_ar = "أعد إنشاء الطلب بالأمر fatoora-onboard csr new.";
    let Some(san) = csr.subject_alt_name.as_ref().filter(|s| s.directory_names > 0) else {
        out.push(error(Field::CsrStructure, "san-directory-name",
            format!("The CSR has no subjectAltName directoryName, where ZATCA reads the EGS serial (SN), VAT (UID), invoice types (title), address and industry. {regenerate_en}"),
            format!("لا يحتوي الطلب على directoryName في subjectAltName، وهو حيث تقرأ الهيئة الرقم التسلسلي (SN) والرقم الضريبي (UID) وأنواع الفواتير (title) والعنوان والنشاط. {regenerate_ar}")));
        return false;
    };
    if san.directory_names > 1 || san.other_names > 0 {
        out.push(warning(Field::CsrStructure, "san-single-directory-name",
            "The subjectAltName holds more than the one directoryName ZATCA's layout has; only the first directoryName is read.",
            "يحتوي subjectAltName على أكثر من directoryName واحد كما في ترتيب الهيئة؛ ويُقرأ الأول فقط."));
    }
    let attrs = &san.attributes;
    if serial_in_wrong_attribute(csr) {
        out.push(error(Field::EgsSerial, "sn-oid-2.5.4.4",
            format!("The EGS serial is in serialNumber (2.5.4.5); ZATCA reads it from SN, surname (2.5.4.4), and answers Invalid-CSR otherwise. In an OpenSSL config write SN=, not serialNumber=. {regenerate_en}"),
            format!("الرقم التسلسلي موضوع في serialNumber ‏(2.5.4.5)، والهيئة تقرؤه من SN أي surname ‏(2.5.4.4) وترد بـ Invalid-CSR غير ذلك. في إعدادات OpenSSL اكتب SN= لا serialNumber=. {regenerate_ar}")));
    }
    if attrs.iter().any(|a| a.rdn_size > 1) {
        out.push(warning(Field::CsrStructure, "san-single-attribute-rdns",
            "The SAN directoryName groups several attributes in one RDN; ZATCA's SDK writes one attribute per RDN.",
            "يجمع directoryName عدة سمات في RDN واحد؛ وحزمة SDK تكتب سمة واحدة في كل RDN."));
    }
    let order: Vec<&str> = attrs.iter().filter_map(|a| a.short_name).collect();
    let sdk: Vec<&str> = layout::SUBJECT_ALT_NAME.iter().map(|s| s.short_name).collect();
    if order.len() == sdk.len() && order != sdk {
        out.push(warning(Field::CsrStructure, "san-order",
            format!("The SAN attributes are in the order {}; ZATCA's SDK writes SN, UID, title, registeredAddress, businessCategory.", order.join(", ")),
            format!("ترتيب سمات SAN هو {}؛ وحزمة SDK تكتب SN ثم UID ثم title ثم registeredAddress ثم businessCategory.", order.join("، "))));
    }
    for a in attrs.iter().filter(|a| a.field.is_some() && a.string_type != StringType::Utf8String) {
        let short = a.short_name.unwrap_or_default();
        out.push(warning(a.field.expect("filtered"), "utf8-string",
            format!("SAN {short} is a {:?}; ZATCA's sample CSR uses UTF8String for every SAN attribute.", a.string_type),
            format!("السمة {short} في SAN من نوع {:?}؛ ونموذج الهيئة يستخدم UTF8String لكل سمات SAN.", a.string_type)));
    }
    true
}

fn serial_in_wrong_attribute(csr: &ParsedCsr) -> bool {
    let attrs = csr.subject_alt_name.iter().flat_map(|san| san.attributes.iter());
    let has = |oid| attrs.clone().any(|a| a.oid_value == oid);
    has(layout::OID_SERIAL_NUMBER) && !has(layout::OID_SURNAME)
}

/// The value rules shared by profiles and CSRs. `lookup` gives the value
/// of a field (`None`: absent from the CSR).
fn lint_values(lookup: &dyn Fn(Field) -> Found, environment: Option<Environment>, origin: Origin) -> Vec<FieldError> {
    let mut out = Vec::new();
    let vat = vat_rules(lookup(Field::VatNumber), environment, origin, &mut out);

    text_rules(Field::OrganizationName, lookup(Field::OrganizationName), origin, &mut out);
    if let Some(ou) = text_rules(Field::OrganizationUnit, lookup(Field::OrganizationUnit), origin, &mut out)
        && vat.as_ref().is_some_and(VatNumber::is_vat_group)
    {
        let tin = if origin == Origin::Profile { ascii_digits(&ou) } else { ou.clone() };
        if !(tin.len() == 10 && tin.bytes().all(|b| b.is_ascii_digit())) {
            out.push(error(Field::OrganizationUnit, "vat-group-ou-tin",
                "The VAT number's 11th digit is 1, so this is a VAT group: put the 10-digit TIN of the member whose unit this is in the branch (OU) field.",
                "الرقم الحادي عشر في الرقم الضريبي هو 1، أي أنها مجموعة ضريبية: ضع في حقل الوحدة التنظيمية (OU) الرقم المميَّز المكوّن من 10 أرقام لعضو المجموعة صاحب هذه الوحدة."));
        }
    }
    text_rules(Field::CommonName, lookup(Field::CommonName), origin, &mut out);
    serial_rules(lookup(Field::EgsSerial), origin, &mut out);
    invoice_type_rules(lookup(Field::InvoiceTypes), origin, &mut out);
    text_rules(Field::Address, lookup(Field::Address), origin, &mut out);
    if let Some(industry) = text_rules(Field::BusinessCategory, lookup(Field::BusinessCategory), origin, &mut out) {
        let symbols: String = industry.chars().filter(|c| is_symbol(*c)).collect();
        if !symbols.is_empty() {
            out.push(error(Field::BusinessCategory, "no-symbols",
                format!("The industry must be written without symbols; remove {symbols:?} (write \"and\" instead of \"&\"). ZATCA answers Invalid-Industry otherwise [third-party report]."),
                format!("يُكتب النشاط التجاري دون رموز؛ احذف {symbols:?} (اكتب «و» بدل «&»). ترد الهيئة بـ Invalid-Industry غير ذلك [بحسب بلاغ من طرف ثالث].")));
        }
    }
    if let Some(country) = text_rules(Field::Country, lookup(Field::Country), origin, &mut out)
        && country != "SA"
    {
        out.push(error(Field::Country, "country-sa",
            format!("The country (C) must be SA, in capitals; it is {country:?}."),
            format!("يجب أن تكون الدولة (C) هي SA بحروف كبيرة؛ والمُدخل {country:?}.")));
    }
    out
}

/// The rules for a free-text field; returns the value as it will be (or
/// is) written when it passes the hard rules.
fn text_rules(field: Field, value: Found, origin: Origin, out: &mut Vec<FieldError>) -> Option<String> {
    let raw = present(field, value, out)?;
    let value = if origin == Origin::Profile { raw.trim().to_owned() } else { raw };
    if let Err(e) = check_text(field, &value) {
        out.push(e);
        return None;
    }
    soft_text_rules(field, &value, origin, out);
    Some(value)
}

fn soft_text_rules(field: Field, value: &str, origin: Origin, out: &mut Vec<FieldError>) {
    if origin == Origin::Csr && value.trim() != value {
        out.push(warning(field, "surrounding-spaces",
            "The value starts or ends with spaces, and ZATCA copies it into the certificate as is. Generate the CSR again without them.",
            "تبدأ القيمة أو تنتهي بمسافات، والهيئة تنسخها إلى الشهادة كما هي. أعد إنشاء الطلب دونها."));
    }
    if is_mojibake(value) {
        out.push(warning(field, "mojibake",
            "The value looks like Arabic that was decoded with the wrong character set (e.g. \"Ø§Ù„\"), as some older tools did. ZATCA copies it into the certificate as is; type the value again in Arabic.",
            "تبدو القيمة نصًا عربيًا فُك ترميزه بمجموعة محارف خاطئة (مثل «Ø§Ù„»)، كما كانت تفعل بعض الأدوات القديمة. تنسخها الهيئة إلى الشهادة كما هي؛ أعد كتابة القيمة بالعربية."));
    }
    if value.chars().any(is_invisible_format) {
        out.push(warning(field, "invisible-characters",
            "The value has invisible characters (direction marks, zero-width spaces), usually pasted from another program. ZATCA copies them into the certificate; retype the value.",
            "تحتوي القيمة على محارف غير مرئية (علامات اتجاه النص أو مسافات صفرية العرض) تأتي عادة من النسخ واللصق. تنسخها الهيئة إلى الشهادة كما هي؛ أعد كتابة القيمة."));
    }
}

/// A value absent from a CSR becomes a finding; a present value goes on.
fn present(field: Field, value: Found, out: &mut Vec<FieldError>) -> Option<String> {
    match value {
        Found::Value(v) => Some(v),
        Found::Reported => None,
        Found::Absent => {
            let label = field.label();
            out.push(error(field, "required",
                format!("The CSR has no {}; ZATCA requires it. Generate the CSR again with fatoora-onboard csr new.", label.en),
                format!("لا يحتوي الطلب على {}، وهو مطلوب لدى الهيئة. أعد إنشاء الطلب بالأمر fatoora-onboard csr new.", label.ar)));
            None
        }
    }
}

fn vat_rules(value: Found, environment: Option<Environment>, origin: Origin, out: &mut Vec<FieldError>) -> Option<VatNumber> {
    let raw = present(Field::VatNumber, value, out)?;
    let vat = match VatNumber::parse(&raw) {
        Ok(vat) => vat,
        Err(e) => {
            out.push(e);
            return None;
        }
    };
    if origin == Origin::Csr && raw != vat.as_str() {
        out.push(error(Field::VatNumber, "ascii-digits",
            format!("The VAT number in the CSR is written {raw:?}; ZATCA compares it digit by digit, so it must be exactly the 15 ASCII digits {vat}."),
            format!("الرقم الضريبي مكتوب في الطلب هكذا {raw:?}؛ والهيئة تقارنه رقمًا برقم، فيجب أن يكون الأرقام الخمسة عشر {vat} بالأرقام اللاتينية تمامًا.")));
    }
    if environment == Some(Environment::Sandbox) && vat.as_str() != SANDBOX_VAT_NUMBER {
        out.push(warning(Field::VatNumber, "sandbox-vat",
            format!("The sandbox issues its fixed test certificates for VAT {SANDBOX_VAT_NUMBER}; with another number later sandbox steps may not match. Use {SANDBOX_VAT_NUMBER} for sandbox rehearsals."),
            format!("تُصدر البيئة التجريبية شهاداتها الثابتة للرقم الضريبي {SANDBOX_VAT_NUMBER}؛ ومع رقم آخر قد لا تتطابق الخطوات اللاحقة. استخدم {SANDBOX_VAT_NUMBER} للتجارب في البيئة التجريبية.")));
    }
    Some(vat)
}

fn serial_rules(value: Found, origin: Origin, out: &mut Vec<FieldError>) {
    let Some(raw) = present(Field::EgsSerial, value, out) else { return };
    match EgsSerial::parse(&raw) {
        Ok(_) => soft_text_rules(Field::EgsSerial, if origin == Origin::Profile { raw.trim() } else { &raw }, origin, out),
        Err(e) => out.push(e),
    }
}

fn invoice_type_rules(value: Found, origin: Origin, out: &mut Vec<FieldError>) {
    let Some(raw) = present(Field::InvoiceTypes, value, out) else { return };
    if raw.trim().is_empty() {
        out.push(error(Field::InvoiceTypes, "required",
            "Choose the invoice types: 1000 (standard), 0100 (simplified) or 1100 (both).",
            "اختر أنواع الفواتير: 1000 (ضريبية) أو 0100 (مبسطة) أو 1100 (كلتاهما)."));
        return;
    }
    if origin == Origin::Csr && (raw != raw.trim() || ascii_digits(&raw) != raw) {
        out.push(error(Field::InvoiceTypes, "ascii-digits",
            format!("The invoice types in the CSR are written {raw:?}; they must be exactly four ASCII digits such as 1100."),
            format!("أنواع الفواتير مكتوبة في الطلب هكذا {raw:?}؛ ويجب أن تكون أربعة أرقام لاتينية بالضبط مثل 1100.")));
        return;
    }
    if ascii_digits(raw.trim()) == "1111" {
        out.push(warning(Field::InvoiceTypes, "legacy-1111",
            "1111 comes from old SDK examples; ZATCA staff list only 1000, 0100 and 1100, and the last two digits are reserved. Use 1100 for both standard and simplified invoices.",
            "القيمة 1111 مأخوذة من أمثلة قديمة في حزمة SDK؛ وتذكر الهيئة 1000 و0100 و1100 فقط، والرقمان الأخيران محجوزان. استخدم 1100 للفواتير الضريبية والمبسطة معًا."));
        return;
    }
    if let Err(e) = InvoiceTypes::parse(&raw) {
        out.push(e);
    }
}

/// UTF-8 read as Windows-1252: the text maps back to bytes in that code
/// page, and those bytes are valid UTF-8 with non-ASCII characters.
fn is_mojibake(value: &str) -> bool {
    if value.is_ascii() {
        return false;
    }
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(value);
    !unmappable && std::str::from_utf8(&bytes).is_ok_and(|decoded| decoded != value && !decoded.is_ascii())
}

/// Directionality marks, zero-width characters and the BOM: invisible in a
/// form, but they end up in the certificate.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{061C}' | '\u{00AD}')
}

/// What counts as a symbol in the industry: anything but letters (any
/// script, with their diacritics), digits, spaces and the punctuation that
/// sector names use.
fn is_symbol(c: char) -> bool {
    !(c.is_alphanumeric() || c == ' ' || matches!(c, '-' | ',' | '.' | '(' | ')' | '/' | '\'' | '،'))
}
