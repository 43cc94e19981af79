//! The report in three forms: JSON for machines, plain text for a terminal
//! or an email body, and one self-contained HTML page (no external assets,
//! so it survives being attached to a ticket) with the verdict first.

use std::fmt::Write as _;

use fatoora_base::Localized;
use fatoora_base::i18n::{Language, ltr};

use crate::model::*;

impl Report {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the report is plain data")
    }

    /// One line per language for a support message.
    pub fn summary(&self) -> String {
        format!(
            "{} — {}\n{}",
            self.verdict.headline.en,
            self.verdict.next_step.en,
            self.verdict.headline.ar
        )
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let v = &self.verdict;
        let _ = writeln!(out, "Fatoora Onboard network diagnosis of {} ({})", self.target.origin, self.started_at.to_rfc3339());
        // Words first; the verdict's id after them, labelled, for tools and
        // for support staff who search for it.
        let status = status(v);
        let _ = writeln!(out, "\nRESULT: {}. {}\nNext step: {}", status.en, v.headline.en, v.next_step.en);
        let _ = writeln!(out, "\u{200F}النتيجة: {}. {}\n\u{200F}{}", status.ar, v.headline.ar, v.next_step.ar);
        let _ = writeln!(out, "Verdict code (for tools and support): {}", v.class.id());
        let _ = writeln!(out, "\nFinished in {} ms (each probe's deadline {} ms)", self.duration_ms, self.target.timeout_ms);
        for section in sections(self, Language::En) {
            let _ = writeln!(out, "\n{}", section.title);
            for row in section.rows {
                let _ = writeln!(out, "  {:<34} {:<28} {:>7}", row.what, row.result, row.time);
                if !row.detail.is_empty() {
                    let _ = writeln!(out, "      {}", row.detail);
                }
            }
        }
        out
    }

    /// The page in English, as the CLI writes it.
    pub fn to_html(&self) -> String {
        self.to_html_in(Language::En)
    }

    /// The page in `language` (the app saves it in the UI's): `lang` and
    /// `dir`, the verdict in that language first and the other below it,
    /// headings, column names, configuration labels and outcome words. The
    /// evidence stays as measured: probe names, addresses, header values,
    /// certificate subjects and the error texts of the OS and the TLS
    /// library are what a network engineer or ZATCA's support searches for,
    /// so a translation would turn them into paraphrase. Each cell takes
    /// its direction from its own text (`dir="auto"`), so English evidence
    /// reads and wraps left to right in the Arabic page.
    pub fn to_html_in(&self, language: Language) -> String {
        let v = &self.verdict;
        let l = |en: &'static str, ar: &'static str| language.pick(en, ar);
        let mut body = String::new();
        let status_class = if v.problem { "bad" } else { "good" };
        let verdict_in = |lang: Language| {
            format!(
                "<h1>{}</h1><p><b>{}</b> {}</p>",
                esc(v.headline.get(lang)),
                lang.pick("Next step:", "الخطوة التالية:"),
                esc(v.next_step.get(lang))
            )
        };
        let other = language.other();
        let _ = write!(
            body,
            // The verdict's id is for tools (data-verdict); the reader gets words.
            r#"<section class="verdict {status_class}" data-verdict="{class}"><p class="class">{status}</p>{first}<div dir="{dir}" lang="{code}">{second}</div></section>"#,
            class = esc(&v.class.id()),
            status = status(v).get(language),
            first = verdict_in(language),
            dir = other.dir(),
            code = other.code(),
            second = verdict_in(other),
        );
        let meta = match language {
            Language::En => format!(
                "Target {} · started {} · finished in {} ms · each probe's deadline {} ms · report schema {}",
                self.target.origin,
                self.started_at.to_rfc3339(),
                self.duration_ms,
                self.target.timeout_ms,
                self.schema_version
            ),
            Language::Ar => format!(
                "الهدف {} · البدء {} · انتهى خلال {} ملّي ثانية · مهلة كل فحص {} ملّي ثانية · إصدار مخطط التقرير {}",
                ltr(&self.target.origin),
                ltr(self.started_at.to_rfc3339()),
                ltr(self.duration_ms),
                ltr(self.target.timeout_ms),
                ltr(self.schema_version)
            ),
        };
        let _ = write!(body, "<p class=\"meta\">{}</p>", esc(&meta));
        for section in sections(self, language) {
            let _ = write!(
                body,
                "<h2>{}</h2><table><colgroup><col style=\"width:38%\"><col style=\"width:22%\"><col style=\"width:8%\"><col style=\"width:32%\"></colgroup><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
                esc(section.title),
                l("Probe", "الفحص"),
                l("Result", "النتيجة"),
                l("Time", "المدة"),
                l("Evidence", "الدليل")
            );
            for row in section.rows {
                let _ = write!(
                    body,
                    "<tr class=\"{}\"><td dir=\"auto\">{}</td><td dir=\"auto\">{}</td><td class=\"num\"><bdi>{}</bdi></td><td dir=\"auto\">{}</td></tr>",
                    if row.ok { "ok" } else { "ko" },
                    esc(&row.what),
                    esc(&row.result),
                    esc(&row.time),
                    esc(&row.detail)
                );
            }
            body.push_str("</table>");
        }
        format!(
            "<!DOCTYPE html><html lang=\"{}\" dir=\"{}\"><head><meta charset=\"utf-8\"><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"><title>{} — {}</title><style>{CSS}</style></head><body>{body}</body></html>\n",
            language.code(),
            language.dir(),
            l("FATOORA connectivity report", "تقرير الاتصال ببوابة «فاتورة»"),
            esc(&self.target.host)
        )
    }
}

// Side padding: a narrow window (or a mail client's pane) otherwise puts the
// text against its edges and cuts the first letter of an Arabic heading.
const CSS: &str = "body{font-family:system-ui,'Segoe UI','Noto Sans Arabic',sans-serif;margin:2rem auto;padding:0 1.5rem;max-width:64rem;color:#1b1b1b}\
.verdict{border-radius:8px;padding:1rem 1.5rem;margin-bottom:1rem}.verdict h1{font-size:1.25rem;margin:.3rem 0}\
.bad{background:#fdecea;border:2px solid #c62828}.good{background:#e8f5e9;border:2px solid #2e7d32}\
.class{margin:0;color:#555;font-weight:700}.meta{color:#555;font-size:.9rem}\
h2{font-size:1.05rem;margin-top:1.5rem;border-bottom:1px solid #ccc}table{border-collapse:collapse;width:100%;font-size:.9rem;table-layout:fixed}td{overflow-wrap:anywhere}\
td,th{text-align:start;padding:.25rem .5rem;vertical-align:top;border-bottom:1px solid #eee}td.num{text-align:end;white-space:nowrap}\
tr.ko td:nth-child(2){color:#c62828;font-weight:600}tr.ok td:nth-child(2){color:#2e7d32}\
[dir=rtl] td{text-align:right}[dir=rtl] td.num{text-align:left}";

/// HTML escaping for text nodes and attribute values. Five replacements do
/// not justify a dependency.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

struct Section {
    title: &'static str,
    rows: Vec<Row>,
}

struct Row {
    what: String,
    result: String,
    time: String,
    detail: String,
    ok: bool,
}

fn ms(elapsed: u64) -> String {
    format!("{elapsed} ms")
}

/// The evidence by section; labels and outcome words in `language`, the
/// measured values as they are.
fn sections(report: &Report, language: Language) -> Vec<Section> {
    let l = |en: &'static str, ar: &'static str| language.pick(en, ar);
    let c = &report.configuration;
    let mut config = vec![
        row(l("Operating system", "نظام التشغيل"), &c.os, "", "", true),
        row(l("App version", "إصدار التطبيق"), &c.app_version, "", "", true),
        row(l("Local clock (UTC)", "ساعة هذا الجهاز (UTC)"), &c.local_time.to_rfc3339(), "", &format!("UTC offset {}", c.local_utc_offset), true),
        row(
            l("System resolvers", "خوادم DNS في النظام"),
            &if c.system_resolvers.is_empty() { l("none", "لا يوجد").to_owned() } else { c.system_resolvers.join(", ") },
            "",
            c.system_resolver_problem.as_deref().unwrap_or_default(),
            c.system_resolver_problem.is_none(),
        ),
        row(
            l("OS trust store", "مخزن الشهادات الموثوقة في النظام"),
            if c.trust_store_problem.is_some() { l("problem", "فيه مشكلة") } else { l("loaded", "مُحمَّل") },
            "",
            c.trust_store_problem.as_deref().unwrap_or_default(),
            c.trust_store_problem.is_none(),
        ),
        row(
            l("Proxy for the gateway", "الخادم الوكيل للبوابة"),
            c.proxy_for_gateway.as_deref().unwrap_or(l("none (direct)", "لا يوجد (اتصال مباشر)")),
            "",
            c.system_proxy_note.as_deref().unwrap_or_default(),
            true,
        ),
    ];
    if let Some(resolver) = c.user_resolver {
        config.push(row(l("Resolver named by the user", "خادم DNS الذي حدّده المستخدم"), &resolver.to_string(), "", "", true));
    }
    for (name, value) in &c.proxy_variables {
        config.push(row(&format!("${name}"), value, "", "", true));
    }

    let mut dns: Vec<Row> = report
        .dns
        .iter()
        .map(|p| {
            let (result, detail, ok) = match &p.outcome {
                DnsOutcome::Resolved { addresses } => {
                    (l("resolved", "حُل الاسم").to_owned(), addresses.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", "), true)
                }
                DnsOutcome::NoRecords => (l("no records of this type", "لا سجلات من هذا النوع").to_owned(), String::new(), true),
                DnsOutcome::Error { detail } => (l("error", "خطأ").to_owned(), detail.clone(), false),
                other => (serde_json::to_value(other).ok().and_then(|v| v["outcome"].as_str().map(str::to_owned)).unwrap_or_default(), String::new(), false),
            };
            row(&format!("{:?} {:?} via {:?} ({})", p.record, p.name, p.resolver, p.server), &result, &ms(p.elapsed_ms), &detail, ok)
        })
        .collect();

    if dns.is_empty() {
        dns.push(row(&report.target.host, l("an address: no lookup needed", "عنوان IP: لا حاجة إلى البحث"), "", "", true));
    }

    let tcp = report
        .tcp
        .iter()
        .map(|p| row(&format!("TCP {}", p.address), &p.outcome.describe(), &ms(p.elapsed_ms), "", p.outcome == TcpOutcome::Connected))
        .collect();

    let tls = report
        .tls
        .iter()
        .map(|p| {
            let what = format!("{} only, {}", p.offered.label(), p.address);
            let (result, detail, ok) = match &p.outcome {
                TlsOutcome::Established { version, cipher, chain, trusted, trust_problem } => {
                    let chain_text = chain
                        .iter()
                        .enumerate()
                        .map(|(i, c)| format!("[{i}] subject: {}; issuer: {}; valid {} – {}", c.subject, c.issuer, c.not_before, c.not_after))
                        .collect::<Vec<_>>()
                        .join(" | ");
                    let trust = match trust_problem {
                        Some(problem) => format!("NOT trusted: {problem}. "),
                        None => "chains to the trust store. ".to_owned(),
                    };
                    (format!("{version}, {cipher}"), format!("{trust}{chain_text}"), *trusted)
                }
                TlsOutcome::Stalled => (l("stalled (no handshake answer)", "توقّف (لا رد على المصافحة)").to_owned(), String::new(), false),
                TlsOutcome::VersionRefused { detail } => (l("version refused", "رُفض الإصدار").to_owned(), detail.clone(), false),
                TlsOutcome::Failed { detail } => (l("failed", "فشل").to_owned(), detail.clone(), false),
                TlsOutcome::ConnectFailed { detail } => (l("TCP failed", "فشل اتصال TCP").to_owned(), detail.clone(), false),
            };
            row(&what, &result, &ms(p.elapsed_ms), &detail, ok)
        })
        .collect();

    let http_row = |what: String, outcome: &HttpOutcome, elapsed: u64, expected: &str| match outcome {
        HttpOutcome::Answered { status, server, waf_hints, date } => {
            let mut detail = vec![];
            if let Some(server) = server {
                detail.push(format!("server: {server}"));
            }
            if let Some(date) = date {
                detail.push(format!("date: {date}"));
            }
            detail.extend(waf_hints.iter().cloned());
            if !expected.is_empty() {
                detail.push(format!("expected {expected}"));
            }
            let ok = !matches!(status, 403 | 429 | 500..);
            row(&what, &format!("HTTP {status}"), &ms(elapsed), &detail.join("; "), ok)
        }
        // The stage in words; the failure's kind is for the verdict, not a reader.
        HttpOutcome::Failed { stage, detail, .. } => {
            row(&what, &format!("{} {}", l("failed at", "فشل في مرحلة"), stage.label().get(language)), &ms(elapsed), detail, false)
        }
    };
    let mut http: Vec<Row> = report
        .http
        .iter()
        .map(|p| {
            let route = match &p.route {
                Route::Direct => "direct".to_owned(),
                Route::Proxy { proxy } => format!("via {proxy}"),
            };
            http_row(format!("GET {} ({}, {route})", p.url, p.environment), &p.outcome, p.elapsed_ms, &p.expected)
        })
        .collect();
    if let Some(control) = &report.control {
        http.push(http_row(format!("Control site {}", control.url), &control.outcome, control.elapsed_ms, ""));
    }
    let clock = report
        .clock
        .iter()
        .map(|c| {
            row(
                &format!("Clock vs Date header of {}", c.source),
                &format!("{:+} s", c.skew_seconds),
                "",
                &format!("server {} · local {} · tolerance ±{} s", c.server_time.to_rfc3339(), c.local_time.to_rfc3339(), c.tolerance_seconds),
                !c.is_skewed(),
            )
        })
        .collect();
    let placeholder = |rows: Vec<Row>, why: &str| {
        if rows.is_empty() { vec![row("—", l("not run", "لم يُجر"), "", why, true)] } else { rows }
    };
    let tls = placeholder(
        tls,
        l(
            "no TCP connection succeeded, or the target is reached only through the proxy",
            "لم ينجح أي اتصال TCP، أو أن الوصول إلى الهدف عبر الخادم الوكيل فقط",
        ),
    );
    let clock = placeholder(clock, l("no HTTP answer with a Date header", "لا رد HTTP يحمل ترويسة Date"));
    vec![
        Section { title: l("Configuration", "إعدادات هذا الجهاز"), rows: config },
        Section { title: l("DNS", "نظام أسماء النطاقات (DNS)"), rows: dns },
        Section { title: l("TCP (port per target)", "TCP (منفذ كل هدف)"), rows: tcp },
        Section { title: "TLS", rows: tls },
        Section { title: "HTTP", rows: http },
        Section { title: l("Clock", "الساعة"), rows: clock },
    ]
}

fn row(what: &str, result: &str, time: &str, detail: &str, ok: bool) -> Row {
    Row { what: what.to_owned(), result: result.to_owned(), time: time.to_owned(), detail: detail.to_owned(), ok }
}

/// The report's first words, in the text and on the page.
fn status(verdict: &Verdict) -> Localized {
    if verdict.problem { Localized::new("Problem found", "اكتُشفت مشكلة") } else { Localized::new("No problem found", "لم تُكتشف مشكلة") }
}
