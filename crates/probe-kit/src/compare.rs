//! Laptop against server: which side the block is on, in the words a
//! hosting provider needs, in English and Arabic.

use std::fmt::Write as _;

use fatoora_base::Localized;
use fatoora_base::i18n::ltr;
use fatoora_diagnostics::VerdictClass;
use fatoora_diagnostics::Stage;
use serde::Serialize;

use crate::import::ImportedRun;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ComparisonClass {
    BothFine,
    /// Both reach the internet but not ZATCA, or ZATCA answers both with an error.
    BothFailZatca,
    /// Neither machine reaches even the control site.
    BothFailInternet,
    /// The laptop reaches ZATCA; the server does not.
    ServerPathBlocked,
    /// The server reaches ZATCA with a trusted certificate; the laptop sees
    /// a certificate nobody trusts: something on the laptop's network intercepts HTTPS.
    LaptopIntercepted,
    /// The server reaches ZATCA; the laptop fails for another reason.
    LaptopSide,
}

#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub class: ComparisonClass,
    pub local: VerdictClass,
    pub server: VerdictClass,
    pub headline: Localized,
    pub next_step: Localized,
}

/// What went wrong on one side, as a clause: "TCP times out on both addresses".
pub fn finding(run: &ImportedRun) -> Localized {
    let n = run.tcp.len();
    match run.class() {
        VerdictClass::Healthy => match run.answer_ms() {
            Some(ms) => Localized::new(format!("ZATCA answers in {ms} ms"), format!("تستجيب الهيئة خلال {} ملّي ثانية", ltr(ms))),
            None => Localized::new("ZATCA answers", "تستجيب الهيئة"),
        },
        VerdictClass::TcpBlackHole => Localized::new(
            format!("TCP times out on all {n} address(es)"),
            format!("تنتهي مهلة اتصال TCP على جميع العناوين ({})", ltr(n)),
        ),
        VerdictClass::TcpRefused => Localized::new("TCP connections are refused", "تُرفض اتصالات TCP"),
        VerdictClass::NetworkUnreachable => Localized::new("there is no route to ZATCA's addresses", "لا يوجد مسار إلى عناوين الهيئة"),
        VerdictClass::NoInternet => Localized::new(
            "neither ZATCA nor the control site answers",
            "لا تستجيب الهيئة ولا موقع المقارنة",
        ),
        VerdictClass::DnsNxdomain | VerdictClass::DnsServfail | VerdictClass::DnsTimeout | VerdictClass::DnsFailed => {
            Localized::new("the gateway's name cannot be resolved (DNS)", "تعذّر تحليل اسم البوابة في نظام أسماء النطاقات (DNS)")
        }
        VerdictClass::TlsStall => Localized::new("the TLS handshake stalls", "تتوقف مصافحة TLS"),
        VerdictClass::TlsVersionRefused => Localized::new("TLS 1.2 and 1.3 are both refused", "يُرفض كلا الإصدارين TLS 1.2 وTLS 1.3"),
        VerdictClass::TlsFailed => Localized::new("the TLS handshake fails", "تفشل مصافحة TLS"),
        VerdictClass::UntrustedChain => {
            let issuer = run.untrusted_issuer().unwrap_or("an unknown issuer").to_owned();
            Localized::new(
                format!("the certificate presented is not trusted (issued by \"{issuer}\")"),
                format!("الشهادة المقدّمة غير موثوقة (صادرة من «{}»)", ltr(issuer)),
            )
        }
        VerdictClass::Http403 => Localized::new("ZATCA's firewall answers 403 Forbidden", "يجيب جدار حماية الهيئة بالرمز 403 (ممنوع)"),
        VerdictClass::Http429 => Localized::new("ZATCA answers 429 Too Many Requests", "تجيب الهيئة بالرمز 429 (طلبات كثيرة جدًا)"),
        VerdictClass::Http5xx => Localized::new("ZATCA answers with a server error (5xx)", "تجيب الهيئة بخطأ في الخادم (5xx)"),
        VerdictClass::ClockSkew => Localized::new("ZATCA answers but the clock is wrong", "تستجيب الهيئة لكن الساعة غير مضبوطة"),
        VerdictClass::ProxyMisconfigured => Localized::new("the configured proxy fails", "يفشل الخادم الوكيل المضبوط"),
        VerdictClass::ProxyRequired => Localized::new("ZATCA answers only through the proxy", "لا تستجيب الهيئة إلا عبر الخادم الوكيل"),
        VerdictClass::Inconclusive => Localized::new("connections open but no HTTP answer comes back", "تُفتح الاتصالات لكن لا يصل أي رد HTTP"),
    }
}

/// Whether a side reaches ZATCA well enough to onboard. A wrong clock is
/// the machine's own problem, not the path's, so it counts as reaching.
fn reaches(class: VerdictClass) -> bool {
    matches!(class, VerdictClass::Healthy | VerdictClass::ClockSkew | VerdictClass::ProxyRequired)
}

pub fn compare(local: &ImportedRun, server: &ImportedRun) -> Comparison {
    let (lc, sc) = (local.class(), server.class());
    let (lf, sf) = (finding(local), finding(server));
    let both = |en: &str, ar: &str| {
        Localized::new(format!("From your laptop {}; from the server {}: {en}", lf.en, sf.en), format!("من جهازك {}؛ ومن الخادم {}: {ar}", lf.ar, sf.ar))
    };
    let (class, headline, next_step) = match (reaches(lc), reaches(sc)) {
        (true, true) => (
            ComparisonClass::BothFine,
            both("both machines reach ZATCA.", "يصل الجهازان كلاهما إلى الهيئة."),
            Localized::new(
                "The network is not the problem. Compare your invoicing system's settings (URL, proxy, timeout, CA file) with these reports.",
                "الشبكة ليست سبب المشكلة. قارن إعدادات نظام الفوترة (العنوان، الخادم الوكيل، المهلة، ملف الشهادات) بهذين التقريرين.",
            ),
        ),
        (true, false) => (
            ComparisonClass::ServerPathBlocked,
            both("the block is on the server's path.", "الحظر في الطريق من الخادم."),
            Localized::new(
                "Send this report to your hosting provider: ZATCA answers from elsewhere, so they need to check the firewall and routing from this server (its outbound IP) to ZATCA.",
                "أرسل هذا التقرير إلى مزوّد الاستضافة: الهيئة تستجيب من مكان آخر، لذا عليه فحص جدار الحماية والتوجيه من هذا الخادم (عنوان IP الصادر منه) إلى الهيئة.",
            ),
        ),
        (false, true) if lc == VerdictClass::UntrustedChain => (
            ComparisonClass::LaptopIntercepted,
            both(
                "something on your laptop's network intercepts HTTPS (a proxy or security product); the server's path is fine.",
                "هناك ما يعترض اتصالات HTTPS على شبكة جهازك (خادم وكيل أو برنامج حماية)؛ والطريق من الخادم سليم.",
            ),
            Localized::new(
                "Onboard from the server, or ask your network administrator to exempt gw-fatoora.zatca.gov.sa from HTTPS inspection; never disable certificate checks.",
                "أكمل التسجيل من الخادم، أو اطلب من مسؤول الشبكة استثناء ‎gw-fatoora.zatca.gov.sa‏ من فحص اتصالات HTTPS؛ ولا تعطّل التحقق من الشهادات أبدًا.",
            ),
        ),
        (false, true) => (
            ComparisonClass::LaptopSide,
            both("the problem is on your laptop's side; the server's path is fine.", "المشكلة من جهة جهازك؛ والطريق من الخادم سليم."),
            Localized::new(
                "Nothing to ask your hosting provider. Fix this machine's network (see its report), or run the onboarding from the server.",
                "لا حاجة لمراجعة مزوّد الاستضافة. أصلح شبكة هذا الجهاز (انظر تقريره)، أو أكمل التسجيل من الخادم.",
            ),
        ),
        (false, false) if lc == VerdictClass::NoInternet && sc == VerdictClass::NoInternet => (
            ComparisonClass::BothFailInternet,
            both("neither machine reaches the wider internet.", "لا يصل أي من الجهازين إلى الإنترنت عمومًا."),
            Localized::new(
                "Fix the internet connection of each machine first; the problem is not specific to ZATCA.",
                "أصلح أولا اتصال كل جهاز بالإنترنت؛ المشكلة ليست خاصة بالهيئة.",
            ),
        ),
        (false, false) => (
            ComparisonClass::BothFailZatca,
            both(
                "ZATCA fails from both places, so the cause is most likely on ZATCA's side or common to both networks.",
                "تفشل الهيئة من المكانين، فالسبب على الأرجح من جهة الهيئة أو مشترك بين الشبكتين.",
            ),
            Localized::new(
                "Check ZATCA's service status and retry later; if it lasts, send both reports to ZATCA support.",
                "تحقق من حالة خدمة الهيئة وأعد المحاولة لاحقًا؛ وإذا استمرت المشكلة فأرسل التقريرين إلى الدعم الفني للهيئة.",
            ),
        ),
    };
    Comparison { class, local: lc, server: sc, headline, next_step }
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn run_section(out: &mut String, title: &str, run: &ImportedRun) {
    let f = finding(run);
    let _ = write!(
        out,
        "<h2>{}</h2><p>Source: {} · target {}:{} · verdict <code>{}</code>: {} <span dir=\"rtl\" lang=\"ar\">({})</span></p><table><tr><th>Probe</th><th>Result</th><th>Time</th></tr>",
        esc(title),
        esc(&run.tool),
        esc(&run.target.host),
        run.target.port,
        esc(&run.class().id()),
        esc(&f.en),
        esc(&f.ar)
    );
    let mut row = |what: String, result: String, ms: Option<u64>| {
        let _ = write!(out, "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", esc(&what), esc(&result), ms.map(|m| format!("{m} ms")).unwrap_or_default());
    };
    for d in &run.dns {
        row(format!("DNS {}", d.record), format!("{} {}", d.outcome, d.addresses.join(", ")), None);
    }
    for t in &run.tcp {
        row(format!("TCP {}", t.address), t.outcome.clone(), Some(t.elapsed_ms));
    }
    for t in &run.tls {
        let mut result = t.outcome.clone();
        if t.trusted == Some(false) {
            result.push_str(&format!(", NOT trusted (issuer {})", t.chain.first().map(|c| c.issuer.as_str()).unwrap_or("?")));
        }
        if let Some(detail) = &t.detail {
            result.push_str(&format!(": {detail}"));
        }
        row(format!("{} {}", t.offered, t.address), result, Some(t.elapsed_ms));
    }
    for h in run.http.iter().chain(run.control.as_ref()) {
        let result = match h.status {
            Some(status) => format!("HTTP {status}"),
            None => format!("failed at {}: {}", stage_words(h.stage.as_deref()), h.detail.as_deref().unwrap_or_default()),
        };
        row(format!("GET {}", h.url), result, Some(h.elapsed_ms));
    }
    for d in &run.degraded {
        row(format!("LIMITED: {}", d.function), format!("{}; {}", d.reason, d.effect), None);
    }
    let _ = write!(out, "</table><details><summary>Raw JSON</summary><pre>{}</pre></details>", esc(&run.raw));
}

/// One self-contained page (no external assets, strict CSP) with the
/// comparison first and both runs below, for the hosting provider.
pub fn comparison_html(comparison: &Comparison, local: &ImportedRun, server: &ImportedRun) -> String {
    let mut body = String::new();
    let status = if comparison.class == ComparisonClass::BothFine { "good" } else { "bad" };
    let _ = write!(
        body,
        "<section class=\"verdict {status}\"><p class=\"class\">{}</p><h1>{}</h1><p><b>Next step:</b> {}</p><div dir=\"rtl\" lang=\"ar\"><h1>{}</h1><p><b>الخطوة التالية:</b> {}</p></div></section>",
        esc(&serde_json::to_value(comparison.class).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()),
        esc(&comparison.headline.en),
        esc(&comparison.next_step.en),
        esc(&comparison.headline.ar),
        esc(&comparison.next_step.ar),
    );
    run_section(&mut body, "From this machine (laptop)", local);
    run_section(&mut body, "From the server", server);
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"><title>FATOORA connectivity: laptop and server</title><style>{CSS}</style></head><body>{body}</body></html>\n"
    )
}

// Side padding, as the diagnostics report has: in a narrow window the text
// otherwise touches the edges.
const CSS: &str = "body{font-family:system-ui,'Segoe UI','Noto Sans Arabic',sans-serif;margin:2rem auto;padding:0 1.5rem;max-width:64rem}\
.verdict{border-radius:8px;padding:1rem 1.5rem}.verdict h1{font-size:1.25rem;margin:.3rem 0}h2{font-size:1.05rem;margin-top:1.5rem;border-bottom:1px solid #ccc}.bad{background:#fdecea;border:2px solid #c62828}.good{background:#e8f5e9;border:2px solid #2e7d32}\
.class{font-family:monospace;margin:0}table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #eee;overflow-wrap:anywhere}pre{white-space:pre-wrap}";

/// The probe's stage token (`dns`, `tls`, …) in the words the app's own
/// report uses, so a row never shows an internal name.
fn stage_words(stage: Option<&str>) -> String {
    let stage = match stage {
        Some("dns") => Stage::Dns,
        Some("proxy") => Stage::Proxy,
        Some("tcp") => Stage::Tcp,
        Some("tls") => Stage::Tls,
        Some("http") => Stage::Http,
        Some(other) => return format!("step {other:?}"),
        None => return "an unnamed step".to_owned(),
    };
    stage.label().en
}
