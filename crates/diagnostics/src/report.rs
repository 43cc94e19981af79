//! The report in three forms: JSON for machines, plain text for a terminal
//! or an email body, and one self-contained HTML page (no external assets,
//! so it survives being attached to a ticket) with the verdict first.

use std::fmt::Write as _;

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
        let _ = writeln!(out, "\nVERDICT [{}]: {}\nNext step: {}", v.class.id(), v.headline.en, v.next_step.en);
        let _ = writeln!(out, "\u{200F}{}\n\u{200F}{}", v.headline.ar, v.next_step.ar);
        let _ = writeln!(out, "\nFinished in {} ms (each probe's deadline {} ms)", self.duration_ms, self.target.timeout_ms);
        for section in sections(self) {
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

    pub fn to_html(&self) -> String {
        let v = &self.verdict;
        let mut body = String::new();
        let status_class = if v.problem { "bad" } else { "good" };
        let _ = write!(
            body,
            r#"<section class="verdict {status_class}"><p class="class">{class}</p><h1>{he}</h1><p><b>Next step:</b> {ne}</p><div dir="rtl" lang="ar"><h1>{ha}</h1><p><b>الخطوة التالية:</b> {na}</p></div></section>"#,
            class = esc(&v.class.id()),
            he = esc(&v.headline.en),
            ne = esc(&v.next_step.en),
            ha = esc(&v.headline.ar),
            na = esc(&v.next_step.ar),
        );
        let _ = write!(
            body,
            "<p class=\"meta\">Target {} · started {} · finished in {} ms · each probe's deadline {} ms · report schema {}</p>",
            esc(&self.target.origin),
            esc(&self.started_at.to_rfc3339()),
            self.duration_ms,
            self.target.timeout_ms,
            self.schema_version
        );
        for section in sections(self) {
            let _ = write!(body, "<h2>{}</h2><table><colgroup><col style=\"width:38%\"><col style=\"width:22%\"><col style=\"width:8%\"><col style=\"width:32%\"></colgroup><tr><th>Probe</th><th>Result</th><th>Time</th><th>Evidence</th></tr>", esc(section.title));
            for row in section.rows {
                let _ = write!(
                    body,
                    "<tr class=\"{}\"><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
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
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"><title>FATOORA connectivity report — {}</title><style>{CSS}</style></head><body>{body}</body></html>\n",
            esc(&self.target.host)
        )
    }
}

const CSS: &str = "body{font-family:system-ui,'Segoe UI','Noto Sans Arabic',sans-serif;margin:2rem auto;max-width:64rem;color:#1b1b1b}\
.verdict{border-radius:8px;padding:1rem 1.5rem;margin-bottom:1rem}.verdict h1{font-size:1.25rem;margin:.3rem 0}\
.bad{background:#fdecea;border:2px solid #c62828}.good{background:#e8f5e9;border:2px solid #2e7d32}\
.class{font-family:monospace;margin:0;color:#555}.meta{color:#555;font-size:.9rem}\
h2{font-size:1.05rem;margin-top:1.5rem;border-bottom:1px solid #ccc}table{border-collapse:collapse;width:100%;font-size:.9rem;table-layout:fixed}td{overflow-wrap:anywhere}\
td,th{text-align:left;padding:.25rem .5rem;vertical-align:top;border-bottom:1px solid #eee}td.num{text-align:right;white-space:nowrap}\
tr.ko td:nth-child(2){color:#c62828;font-weight:600}tr.ok td:nth-child(2){color:#2e7d32}";

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

fn sections(report: &Report) -> Vec<Section> {
    let c = &report.configuration;
    let mut config = vec![
        row("Operating system", &c.os, "", "", true),
        row("App version", &c.app_version, "", "", true),
        row("Local clock (UTC)", &c.local_time.to_rfc3339(), "", &format!("UTC offset {}", c.local_utc_offset), true),
        row(
            "System resolvers",
            &if c.system_resolvers.is_empty() { "none".to_owned() } else { c.system_resolvers.join(", ") },
            "",
            c.system_resolver_problem.as_deref().unwrap_or_default(),
            c.system_resolver_problem.is_none(),
        ),
        row("OS trust store", if c.trust_store_problem.is_some() { "problem" } else { "loaded" }, "", c.trust_store_problem.as_deref().unwrap_or_default(), c.trust_store_problem.is_none()),
        row("Proxy for the gateway", c.proxy_for_gateway.as_deref().unwrap_or("none (direct)"), "", c.system_proxy_note.as_deref().unwrap_or_default(), true),
    ];
    if let Some(resolver) = c.user_resolver {
        config.push(row("Resolver named by the user", &resolver.to_string(), "", "", true));
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
                    ("resolved".to_owned(), addresses.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", "), true)
                }
                DnsOutcome::NoRecords => ("no records of this type".to_owned(), String::new(), true),
                DnsOutcome::Error { detail } => ("error".to_owned(), detail.clone(), false),
                other => (serde_json::to_value(other).ok().and_then(|v| v["outcome"].as_str().map(str::to_owned)).unwrap_or_default(), String::new(), false),
            };
            row(&format!("{:?} {:?} via {:?} ({})", p.record, p.name, p.resolver, p.server), &result, &ms(p.elapsed_ms), &detail, ok)
        })
        .collect();

    if dns.is_empty() {
        dns.push(row(&report.target.host, "an address: no lookup needed", "", "", true));
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
                TlsOutcome::Stalled => ("stalled (no handshake answer)".to_owned(), String::new(), false),
                TlsOutcome::VersionRefused { detail } => ("version refused".to_owned(), detail.clone(), false),
                TlsOutcome::Failed { detail } => ("failed".to_owned(), detail.clone(), false),
                TlsOutcome::ConnectFailed { detail } => ("TCP failed".to_owned(), detail.clone(), false),
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
        HttpOutcome::Failed { stage, kind, detail } => {
            row(&what, &format!("failed at {stage:?} ({kind:?})"), &ms(elapsed), detail, false)
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
        if rows.is_empty() { vec![row("—", "not run", "", why, true)] } else { rows }
    };
    let tls = placeholder(tls, "no TCP connection succeeded, or the target is reached only through the proxy");
    let clock = placeholder(clock, "no HTTP answer with a Date header");
    vec![
        Section { title: "Configuration", rows: config },
        Section { title: "DNS", rows: dns },
        Section { title: "TCP (port per target)", rows: tcp },
        Section { title: "TLS", rows: tls },
        Section { title: "HTTP", rows: http },
        Section { title: "Clock", rows: clock },
    ]
}

fn row(what: &str, result: &str, time: &str, detail: &str, ok: bool) -> Row {
    Row { what: what.to_owned(), result: result.to_owned(), time: time.to_owned(), detail: detail.to_owned(), ok }
}
