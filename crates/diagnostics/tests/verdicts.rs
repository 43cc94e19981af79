//! One test per verdict class, each against a lab server on loopback that
//! misbehaves in that one way. No traffic leaves the machine: the system
//! resolver is off, names go to a lab DNS server, the control site is a
//! lab server.

mod lab;

use fatoora_diagnostics::*;
use lab::*;

async fn verdict_of(options: &DiagnoseOptions) -> Report {
    let report = diagnose(options, None).await;
    eprintln!("{}", report.to_text());
    report
}

#[tokio::test]
async fn healthy_gateway_by_name() {
    let lab = Lab::new().await;
    let gateway = lab.gateway(Answer::status(405)).await;
    let report = verdict_of(&lab.by_name(gateway.port(), DnsBehaviour::Resolve(LOOPBACK)).await).await;

    assert_eq!(report.verdict.class, VerdictClass::Healthy);
    assert!(!report.verdict.problem);
    assert!(report.dns.iter().any(|p| p.outcome == DnsOutcome::Resolved { addresses: vec![LOOPBACK.into()] }));
    assert!(report.dns.iter().any(|p| p.record == RecordKind::AAAA && p.outcome == DnsOutcome::NoRecords));
    assert_eq!(report.tcp.len(), 1);
    assert_eq!(report.tcp[0].outcome, TcpOutcome::Connected);
    for tls in &report.tls {
        let TlsOutcome::Established { trusted, chain, .. } = &tls.outcome else { panic!("{tls:?}") };
        assert!(trusted);
        assert!(chain[0].subject.contains(GATEWAY), "{chain:?}");
        assert!(chain[0].issuer.contains("Fatoora Lab Root CA"));
    }
    let versions: Vec<_> = report.tls.iter().map(|p| p.offered).collect();
    assert_eq!(versions, [TlsVersion::Tls13, TlsVersion::Tls12]);
    assert_eq!(report.http.len(), 3);
    assert!(report.http.iter().all(|p| p.outcome.status() == Some(405)));
    let urls: Vec<_> = report.http.iter().map(|p| p.url.as_str()).collect();
    assert!(urls.iter().any(|u| u.ends_with("/e-invoicing/developer-portal/compliance")), "{urls:?}");
    assert!(report.control.as_ref().unwrap().outcome.status() == Some(200));
    assert!(!report.clock.as_ref().unwrap().is_skewed());
}

#[tokio::test]
async fn dns_nxdomain() {
    let lab = Lab::new().await;
    let report = verdict_of(&lab.by_name(443, DnsBehaviour::NxDomain).await).await;
    assert_eq!(report.verdict.class, VerdictClass::DnsNxdomain);
    assert!(report.dns.iter().all(|p| p.outcome == DnsOutcome::NxDomain));
    assert!(report.tcp.is_empty(), "no address, no TCP probe");
}

#[tokio::test]
async fn dns_servfail() {
    let lab = Lab::new().await;
    let report = verdict_of(&lab.by_name(443, DnsBehaviour::ServFail).await).await;
    assert_eq!(report.verdict.class, VerdictClass::DnsServfail);
}

#[tokio::test]
async fn dns_timeout() {
    let lab = Lab::new().await;
    let report = verdict_of(&lab.by_name(443, DnsBehaviour::Silent).await).await;
    assert_eq!(report.verdict.class, VerdictClass::DnsTimeout);
    assert!(report.dns.iter().all(|p| p.outcome == DnsOutcome::Timeout));
    assert!(report.verdict.headline.en.contains("while other HTTPS sites answer"));
}

#[tokio::test]
async fn tcp_refused() {
    let lab = Lab::new().await;
    let closed = refused_port().await;
    let report = verdict_of(&lab.by_name(closed.port(), DnsBehaviour::Resolve(LOOPBACK)).await).await;
    assert_eq!(report.verdict.class, VerdictClass::TcpRefused);
    assert_eq!(report.tcp[0].outcome, TcpOutcome::Refused);
    assert!(report.tls.is_empty());
}

#[tokio::test]
async fn no_internet_when_the_control_site_fails_too() {
    let lab = Lab::new().await;
    let closed = refused_port().await;
    let mut options = lab.by_address(closed);
    options.control_url = Some(format!("https://{}/", refused_port().await));
    let report = verdict_of(&options).await;
    assert_eq!(report.verdict.class, VerdictClass::NoInternet);
}

#[tokio::test]
async fn tls_stall_after_connect() {
    let lab = Lab::new().await;
    let silent = silent_server().await;
    let report = verdict_of(&lab.by_address(silent)).await;
    assert_eq!(report.verdict.class, VerdictClass::TlsStall);
    assert_eq!(report.tcp[0].outcome, TcpOutcome::Connected);
    assert!(report.tls.iter().all(|p| p.outcome == TlsOutcome::Stalled));
}

#[tokio::test]
async fn intercepting_proxy_certificate_is_untrusted() {
    let lab = Lab::new().await;
    let interceptor = LabCa::new("Corporate SSL Inspection CA");
    let gateway = https_server(interceptor.server_config(rustls::DEFAULT_VERSIONS), Answer::status(405)).await;
    let report = verdict_of(&lab.by_name(gateway.port(), DnsBehaviour::Resolve(LOOPBACK)).await).await;
    assert_eq!(report.verdict.class, VerdictClass::UntrustedChain);
    assert!(report.verdict.headline.en.contains("Corporate SSL Inspection CA"), "{}", report.verdict.headline.en);
    let TlsOutcome::Established { trusted: false, trust_problem: Some(_), chain, .. } = &report.tls[0].outcome else {
        panic!("{:?}", report.tls[0])
    };
    assert!(chain.iter().any(|c| c.issuer.contains("Corporate SSL Inspection CA")));
}

#[tokio::test]
async fn tls_versions_refused() {
    let lab = Lab::new().await;
    let old = old_tls_server().await;
    let report = verdict_of(&lab.by_address(old)).await;
    assert_eq!(report.verdict.class, VerdictClass::TlsVersionRefused);
    assert!(report.tls.iter().all(|p| matches!(p.outcome, TlsOutcome::VersionRefused { .. })));
}

#[tokio::test]
async fn tls13_only_gateway_is_healthy_and_reports_tls12_refused() {
    let lab = Lab::new().await;
    let gateway = https_server(lab.ca.server_config(&[&rustls::version::TLS13]), Answer::status(405)).await;
    let report = verdict_of(&lab.by_address(gateway)).await;
    assert_eq!(report.verdict.class, VerdictClass::Healthy);
    let tls12 = report.tls.iter().find(|p| p.offered == TlsVersion::Tls12).unwrap();
    assert!(matches!(tls12.outcome, TlsOutcome::VersionRefused { .. }), "{tls12:?}");
}

#[tokio::test]
async fn http_403_from_a_waf() {
    let lab = Lab::new().await;
    let gateway = lab.gateway(Answer::status(403).header("Set-Cookie", "TS0106293e=01abcdef; Path=/")).await;
    let report = verdict_of(&lab.by_name(gateway.port(), DnsBehaviour::Resolve(LOOPBACK)).await).await;
    assert_eq!(report.verdict.class, VerdictClass::Http403);
    let HttpOutcome::Answered { waf_hints, .. } = &report.http[0].outcome else { panic!() };
    assert!(waf_hints.iter().any(|h| h.contains("F5 BIG-IP ASM")), "{waf_hints:?}");
    assert!(!report.to_json().contains("01abcdef"), "cookie values are not evidence");
}

#[tokio::test]
async fn http_429_rate_limited() {
    let lab = Lab::new().await;
    let gateway = lab.gateway(Answer::status(429)).await;
    let report = verdict_of(&lab.by_address(gateway)).await;
    assert_eq!(report.verdict.class, VerdictClass::Http429);
}

#[tokio::test]
async fn http_503_is_zatca_side() {
    let lab = Lab::new().await;
    let gateway = lab.gateway(Answer::status(503)).await;
    let report = verdict_of(&lab.by_address(gateway)).await;
    assert_eq!(report.verdict.class, VerdictClass::Http5xx);
    assert!(report.verdict.headline.en.contains("503"));
}

#[tokio::test]
async fn clock_skew_from_the_date_header() {
    let lab = Lab::new().await;
    let mut answer = Answer::status(405);
    answer.clock_offset = chrono::Duration::hours(-1);
    let gateway = lab.gateway(answer).await;
    let report = verdict_of(&lab.by_address(gateway)).await;
    assert_eq!(report.verdict.class, VerdictClass::ClockSkew);
    let clock = report.clock.unwrap();
    assert!(clock.skew_seconds > 3000, "this machine is ahead of the server: {}", clock.skew_seconds);
    assert!(report.verdict.headline.en.contains("ahead"));
}

#[tokio::test]
async fn proxy_required_when_only_the_proxy_gets_through() {
    let lab = Lab::new().await;
    let gateway = lab.gateway(Answer::status(405)).await;
    let closed = refused_port().await;
    let proxy = connect_proxy(ProxyBehaviour::TunnelTo(gateway)).await;
    let mut options = lab.by_name(closed.port(), DnsBehaviour::Resolve(LOOPBACK)).await;
    options.proxy = ProxySettings::entered(&format!("http://{proxy}")).unwrap();
    let report = verdict_of(&options).await;
    assert_eq!(report.verdict.class, VerdictClass::ProxyRequired);
    let proxied = report.http.iter().find(|p| matches!(p.route, Route::Proxy { .. })).unwrap();
    assert_eq!(proxied.outcome.status(), Some(405));
    assert!(report.http.iter().filter(|p| p.route == Route::Direct).all(|p| p.outcome.status().is_none()));
}

#[tokio::test]
async fn proxy_misconfigured_credentials_are_named_and_never_shown() {
    let lab = Lab::new().await;
    let gateway = lab.gateway(Answer::status(405)).await;
    let proxy = connect_proxy(ProxyBehaviour::RequireAuth).await;
    let mut options = lab.by_address(gateway);
    options.proxy = ProxySettings::from_lookup(|name| {
        (name == "HTTPS_PROXY").then(|| format!("http://alice:s3cret-pass@{proxy}"))
    });
    let report = verdict_of(&options).await;
    assert_eq!(report.verdict.class, VerdictClass::ProxyMisconfigured);
    assert!(report.verdict.headline.en.contains("407"));
    assert!(report.verdict.headline.en.contains("A direct connection works"));
    assert!(report.verdict.next_step.en.contains("in the HTTPS_PROXY environment variable"), "{}", report.verdict.next_step.en);
    for rendered in [report.to_json(), report.to_text(), report.to_html()] {
        assert!(!rendered.contains("s3cret-pass"), "a proxy password leaked");
        assert!(!rendered.contains("alice"), "a proxy user name leaked");
    }
}

#[tokio::test]
async fn proxy_that_cannot_be_reached_is_misconfigured() {
    let lab = Lab::new().await;
    let gateway = lab.gateway(Answer::status(405)).await;
    let mut options = lab.by_address(gateway);
    options.proxy = ProxySettings::entered(&format!("http://{}", refused_port().await)).unwrap();
    let report = verdict_of(&options).await;
    assert_eq!(report.verdict.class, VerdictClass::ProxyMisconfigured);
    // Typed into the diagnosis: the verdict says so, and names no variable.
    let (headline, next) = (&report.verdict.headline, &report.verdict.next_step);
    assert!(headline.en.contains("entered for this diagnosis") && next.en.contains("the Proxy box of this diagnosis"), "{headline:?} {next:?}");
    assert!(next.ar.contains("حقل الخادم الوكيل في هذا التشخيص"), "{}", next.ar);
    assert!(!next.en.contains("HTTPS_PROXY") && !next.ar.contains("HTTPS_PROXY"), "{next:?}");
}
