//! The evidence pack for ZATCA support: the facts the seed user listed by
//! hand (VAT in the CSR = VAT of the OTP, OTP under an hour old, from the
//! right portal, never reused, the right endpoints, the CSR template), each
//! filled in from the journal and the CSR, plus the latest network
//! diagnostics. Built only from public data: the journal holds no OTP and no
//! secret, and the CSR is a public document.

use chrono::{DateTime, Utc};
use fatoora_base::store::rusqlite::{self, Connection};
use fatoora_base::i18n::{MINUTES, TIMES, count_ar};
use fatoora_base::{Environment, Localized};
use serde::Serialize;

use crate::client::Reach;
use crate::journal::{self, JournalEntry};
use crate::otp_diagnosis::{self, Diagnosis};
use fatoora_units::state;


/// One request as the support message lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestFact {
    pub time: DateTime<Utc>,
    pub method_and_url: String,
    pub http_status: Option<u16>,
    /// The answer arrived but could not be read (cut short, not JSON).
    pub answer_unreadable: bool,
    pub zatca_codes: Vec<String>,
    pub request_id: Option<String>,
    pub duration_ms: u64,
    pub may_have_reached_without_answer: bool,
    pub otp_last_digit: Option<char>,
    pub otp_age_minutes: Option<i64>,
    /// How many requests, in all units, carried this same OTP.
    pub otp_times_sent: Option<usize>,
    pub otp_portal_stated: Option<Environment>,
    pub document: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SupportFacts {
    pub unit_id: String,
    pub environment: Environment,
    pub step: Option<String>,
    pub csr_vat_number: Option<String>,
    pub csr_template: Option<String>,
    pub template_expected: String,
    pub csr_invoice_types: Option<String>,
    pub csr_common_name: Option<String>,
    pub csr_serial: Option<String>,
    pub requests: Vec<RequestFact>,
    /// Why ZATCA answered `Invalid-OTP`, when it did: the same reasoning
    /// the user was shown.
    pub otp_diagnosis: Option<Diagnosis>,
    pub diagnostics: Option<Localized>,
    pub prepared_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SupportMessage {
    pub facts: SupportFacts,
    pub subject: Localized,
    /// Copy-ready email bodies.
    pub body: Localized,
}

/// Gathers the facts for `unit_id` in `environment` and writes the message.
/// `diagnostics` is the latest diagnostics verdict, when one was run.
pub fn support_message(
    conn: &Connection,
    unit_id: &str,
    environment: Environment,
    diagnostics: Option<Localized>,
) -> rusqlite::Result<SupportMessage> {
    let state = state::load(conn, unit_id, environment)?;
    let csr_pem = state.as_ref().and_then(|s| s.renewal_csr_pem.clone().or_else(|| s.csr_pem.clone()));
    let csr = csr_pem.and_then(|pem| fatoora_csr::parse_csr(pem.as_bytes()).ok());
    let entries: Vec<JournalEntry> =
        journal::entries(conn, Some(unit_id))?.into_iter().filter(|e| e.environment == environment).collect();
    let mut requests = Vec::new();
    for entry in &entries {
        let otp_times_sent = match entry.otp_hash() {
            Some(hash) => Some(conn.query_row(
                "SELECT count(*) FROM onboarding_journal WHERE otp_hash = ?1 AND reach <> 'not-sent'",
                [hash],
                |row| row.get::<_, i64>(0),
            )? as usize),
            None => None,
        };
        requests.push(RequestFact {
            time: entry.started_at,
            method_and_url: format!("{} {}", entry.endpoint.method(), entry.url),
            http_status: entry.http_status,
            answer_unreadable: entry.answer_unreadable(),
            zatca_codes: entry.zatca_codes.clone(),
            request_id: entry.request_id.clone(),
            duration_ms: entry.duration_ms,
            may_have_reached_without_answer: entry.reach == Reach::MayHaveReached,
            otp_last_digit: entry.otp_last_digit,
            otp_age_minutes: entry.otp_age_seconds.map(|s| s / 60),
            otp_times_sent,
            otp_portal_stated: entry.otp_portal,
            document: entry.document.clone(),
        });
    }
    let facts = SupportFacts {
        unit_id: unit_id.to_owned(),
        environment,
        step: state.as_ref().map(|s| s.step.id().to_owned()),
        csr_vat_number: csr.as_ref().and_then(|c| c.vat_number()).map(|v| v.as_str().to_owned()),
        csr_template: csr.as_ref().and_then(|c| c.certificate_template()).map(str::to_owned),
        template_expected: environment.certificate_template().to_owned(),
        csr_invoice_types: csr.as_ref().and_then(|c| c.invoice_types()).map(str::to_owned),
        csr_common_name: csr.as_ref().and_then(|c| c.common_name()).map(str::to_owned),
        csr_serial: csr.as_ref().and_then(|c| c.egs_serial()).map(str::to_owned),
        requests,
        otp_diagnosis: otp_diagnosis::gather(conn, unit_id, environment)?.as_ref().map(otp_diagnosis::diagnose),
        diagnostics,
        prepared_at: Utc::now(),
    };
    Ok(write(facts))
}

fn or_unknown(value: &Option<String>, unknown: &str) -> String {
    value.clone().unwrap_or_else(|| unknown.to_owned())
}

fn write(facts: SupportFacts) -> SupportMessage {
    let env = facts.environment;
    let vat = or_unknown(&facts.csr_vat_number, "?");
    let last = facts.requests.last();
    let subject = match last {
        Some(r) if !r.zatca_codes.is_empty() => Localized::new(
            format!("FATOORA onboarding ({env}) refused for VAT {vat}: {}", r.zatca_codes.join(", ")),
            format!("رفض طلب ربط على منصة «فاتورة» ({}) للرقم الضريبي {vat}: {}", env.label().ar, r.zatca_codes.join("، ")),
        ),
        Some(r) if r.answer_unreadable => Localized::new(
            format!("FATOORA onboarding ({env}) for VAT {vat}: the gateway's answer could not be read"),
            format!("طلب ربط على منصة «فاتورة» ({}) للرقم الضريبي {vat}: تعذّرت قراءة رد البوابة", env.label().ar),
        ),
        Some(r) if r.http_status.is_none() => Localized::new(
            format!("FATOORA onboarding ({env}) for VAT {vat}: no answer from the gateway"),
            format!("طلب ربط على منصة «فاتورة» ({}) للرقم الضريبي {vat}: لا رد من البوابة", env.label().ar),
        ),
        _ => Localized::new(
            format!("FATOORA onboarding ({env}) for VAT {vat}: our records"),
            format!("طلب ربط على منصة «فاتورة» ({}) للرقم الضريبي {vat}: سجلاتنا", env.label().ar),
        ),
    };

    // A rehearsal talked to the app's own simulator: the message shows what
    // ZATCA's support would get, and addresses no one.
    let rehearsal = env == Environment::Local;
    let subject = if rehearsal {
        Localized::new(
            subject.en.replacen(&format!("FATOORA onboarding ({env})"), "Onboarding rehearsal (local simulator)", 1),
            subject.ar.replacen(&format!("على منصة «فاتورة» ({})", env.label().ar), "تجريبي مع المحاكي المحلي", 1),
        )
    } else {
        subject
    };
    let mut en = String::new();
    let mut ar = String::new();
    if rehearsal {
        en.push_str("Rehearsal with the app's local simulator: nothing below reached ZATCA, so there is nothing to send. After a real failure, this is the message the app prepares for ZATCA's e-invoicing support, with the same facts.\n\n");
        ar.push_str("تدريب مع المحاكي المحلي في التطبيق: لم يصل شيء مما يلي إلى الهيئة، فلا شيء يُرسل. بعد إخفاق حقيقي يجهّز التطبيق هذه الرسالة لفريق دعم الفوترة الإلكترونية في الهيئة، بالمعلومات نفسها.\n\n");
    } else {
        en.push_str("Dear ZATCA e-invoicing support,\n\nWe cannot complete the onboarding of an EGS unit. Everything below was recorded by our onboarding tool at the time of each request.\n\n");
        ar.push_str("فريق الدعم الفني للفوترة الإلكترونية في هيئة الزكاة والضريبة والجمارك،\n\nتعذّر علينا إكمال ربط وحدة حل الفوترة الإلكترونية. كل ما يلي سجّلته أداة الربط لدينا وقت كل طلب.\n\n");
    }

    let template_ok = facts.csr_template.as_deref() == Some(facts.template_expected.as_str());
    en.push_str(&format!(
        "Unit and CSR\n- Environment: {} ({})\n- VAT number in the CSR: {}\n- Certificate template in the CSR: {} (this environment expects {}: {})\n- Invoice types (title): {}\n- Common name (CN): {}\n- EGS serial (SN): {}\n\n",
        env.label().en,
        env,
        or_unknown(&facts.csr_vat_number, "unknown"),
        or_unknown(&facts.csr_template, "unknown"),
        facts.template_expected,
        if template_ok { "matches" } else { "DOES NOT MATCH" },
        or_unknown(&facts.csr_invoice_types, "unknown"),
        or_unknown(&facts.csr_common_name, "unknown"),
        or_unknown(&facts.csr_serial, "unknown"),
    ));
    ar.push_str(&format!(
        "الوحدة وطلب توقيع الشهادة (CSR)\n- البيئة: {}\n- الرقم الضريبي في الطلب: \u{2066}{}\u{2069}\n- قالب الشهادة في الطلب: \u{2066}{}\u{2069} (القالب المتوقع لهذه البيئة \u{2066}{}\u{2069}: {})\n- أنواع الفواتير المشمولة: \u{2066}{}\u{2069}\n- الاسم الشائع (CN): \u{2066}{}\u{2069}\n- الرقم التسلسلي لوحدة الحل: \u{2066}{}\u{2069}\n\n",
        env.label().ar,
        or_unknown(&facts.csr_vat_number, "غير معروف"),
        or_unknown(&facts.csr_template, "غير معروف"),
        facts.template_expected,
        if template_ok { "مطابق" } else { "غير مطابق" },
        or_unknown(&facts.csr_invoice_types, "غير معروف"),
        or_unknown(&facts.csr_common_name, "غير معروف"),
        or_unknown(&facts.csr_serial, "غير معروف"),
    ));

    en.push_str("Requests (times in UTC)\n");
    ar.push_str("الطلبات (الأوقات بالتوقيت العالمي المنسق UTC)\n");
    for (n, r) in facts.requests.iter().enumerate() {
        let status = r.http_status.map(|s| s.to_string());
        en.push_str(&format!(
            "{}. {} {} → HTTP {}{}{}{}; {} ms{}\n",
            n + 1,
            r.time.format("%Y-%m-%d %H:%M:%S"),
            r.method_and_url,
            status.clone().unwrap_or_else(|| "none".into()),
            if r.answer_unreadable { ", but the answer's body could not be read (not in the form ZATCA documents)" } else { "" },
            if r.zatca_codes.is_empty() { String::new() } else { format!(" {}", r.zatca_codes.join(", ")) },
            r.request_id.as_ref().map(|id| format!(", requestID {id}")).unwrap_or_default(),
            r.duration_ms,
            if r.may_have_reached_without_answer { " (sent, no answer received)" } else { "" },
        ));
        ar.push_str(&format!(
            "{}. \u{2066}{} {} → HTTP {}\u{2069}{}\u{2066}{}{}\u{2069}؛ {} ملّي ثانية{}\n",
            n + 1,
            r.time.format("%Y-%m-%d %H:%M:%S"),
            r.method_and_url,
            status.unwrap_or_else(|| "-".into()),
            if r.answer_unreadable { "، لكن تعذّرت قراءة نص الرد (ليس بالصيغة التي توثّقها الهيئة)" } else { "" },
            if r.zatca_codes.is_empty() { String::new() } else { format!(" {}", r.zatca_codes.join(", ")) },
            r.request_id.as_ref().map(|id| format!(", requestID {id}")).unwrap_or_default(),
            r.duration_ms,
            if r.may_have_reached_without_answer { " (أُرسل ولم يصل رد)" } else { "" },
        ));
        if let Some(digit) = r.otp_last_digit {
            let age = r.otp_age_minutes.map(|m| format!("{m} minutes after it was generated")).unwrap_or_else(|| "generation time not recorded".into());
            let age_ar = r.otp_age_minutes.map(|m| format!("بعد {} من إنشائه", count_ar(m.unsigned_abs(), &MINUTES))).unwrap_or_else(|| "وقت الإنشاء غير مسجّل".into());
            let times = r.otp_times_sent.unwrap_or(1);
            let portal = r.otp_portal_stated.map(|p| p.label().en).unwrap_or_else(|| "not stated".into());
            let portal_ar = r.otp_portal_stated.map(|p| p.label().ar).unwrap_or_else(|| "غير مذكورة".into());
            en.push_str(&format!(
                "   OTP ending in {digit}: used {age}; sent {times} time(s) in total; portal stated by the user: {portal}\n"
            ));
            ar.push_str(&format!(
                "   رمز التحقق المنتهي بالرقم {digit}: استُخدم {age_ar}؛ أُرسل {times_ar} إجمالا؛ البوابة بحسب المستخدم: {portal_ar}\n",
                times_ar = count_ar(times as u64, &TIMES)
            ));
        }
        if let Some(document) = &r.document {
            en.push_str(&format!("   compliance document: {document}\n"));
            ar.push_str(&format!("   مستند الامتثال: \u{2066}{document}\u{2069}\n"));
        }
    }
    if facts.requests.is_empty() {
        en.push_str("(no request has been sent yet)\n");
        ar.push_str("(لم يُرسل أي طلب بعد)\n");
    }
    let mut endpoints: Vec<String> = Vec::new();
    for r in &facts.requests {
        let path = r.method_and_url.split_once(' ').map(|(m, url)| format!("{m} {}", url.split("/e-invoicing/").nth(1).map(|p| format!("/e-invoicing/{p}")).unwrap_or_else(|| url.to_owned()))).unwrap_or_default();
        if !endpoints.contains(&path) {
            endpoints.push(path);
        }
    }
    en.push_str(&format!("\nOnly these endpoints of the {env} gateway were called: {}.\n", endpoints.join(", ")));
    ar.push_str(&format!("\nلم تُستدع إلا نقاط الاتصال هذه في بوابة {}: \u{2066}{}\u{2069}.\n", env.label().ar, endpoints.join(", ")));

    // The reasoning only: the next step is addressed to the user.
    if let Some(diagnosis) = &facts.otp_diagnosis {
        let reasoning = diagnosis.explanation().what_happened;
        en.push_str(&format!("\nOur reading of the Invalid-OTP answer, from the records above:\n{}\n", reasoning.en));
        ar.push_str(&format!("\nقراءتنا لرد Invalid-OTP بناء على السجلات أعلاه:\n{}\n", reasoning.ar));
    }
    if let Some(diagnostics) = &facts.diagnostics {
        en.push_str(&format!("\nLatest network diagnostics: {}\n", diagnostics.en));
        ar.push_str(&format!("\nآخر تشخيص للاتصال: {}\n", diagnostics.ar));
    }
    en.push_str(&format!(
        "\nNo OTP, secret or private key is included in this message. Prepared {} UTC.\n{}",
        facts.prepared_at.format("%Y-%m-%d %H:%M"),
        if rehearsal { "" } else { "Please tell us what ZATCA's side recorded for these requests.\n" },
    ));
    ar.push_str(&format!(
        "\nلا تتضمن هذه الرسالة أي رمز تحقق أو رمز سري أو مفتاح خاص. أُعدّت في \u{2066}{} UTC\u{2069}.\n{}",
        facts.prepared_at.format("%Y-%m-%d %H:%M"),
        if rehearsal { "" } else { "نرجو إفادتنا بما سجّلته الهيئة لهذه الطلبات.\n" },
    ));
    SupportMessage { facts, subject, body: Localized::new(en, ar) }
}
