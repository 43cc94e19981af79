//! Runs every probe at once: DNS first (the others need its addresses), then
//! for each address TCP and TLS, and in parallel the HTTP probes per
//! environment, the proxy path and the control host. Each probe has its own
//! deadline, so the whole run lasts about as long as the slowest probe.

use std::net::{IpAddr, SocketAddr};

use chrono::Utc;
use fatoora_base::Environment;
use futures_util::future::join_all;
use serde::Serialize;
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;
use url::Url;

use crate::dns::{self, Resolvers};
use crate::http::{self, Via};
use crate::model::*;
use crate::options::DiagnoseOptions;
use crate::proxy::redact_url;
use crate::tls::{self, LazyTrust};
use crate::{system, tcp, verdict};

/// One probe starting or finishing, for a UI that fills in as results arrive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProgressEvent {
    /// Stable id, e.g. `dns/system/A`, `tcp/1.2.3.4:443`, `tls1.3/1.2.3.4:443`, `http/simulation/direct`, `control`.
    pub probe: String,
    #[serde(flatten)]
    pub state: ProbeState,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ProbeState {
    Started,
    Finished { ok: bool, summary: String },
}

pub type Progress = UnboundedSender<ProgressEvent>;

struct Run<'a> {
    options: &'a DiagnoseOptions,
    trust: LazyTrust,
    resolvers: Resolvers,
    progress: Option<Progress>,
}

impl Run<'_> {
    /// A GET with this run's trust store and resolvers.
    fn get<'g>(&'g self, host: &'g str, port: u16, path: &'g str, via: Via<'g>) -> http::Get<'g> {
        http::Get { trust: &self.trust, resolvers: &self.resolvers, host, port, path, via }
    }

    fn started(&self, probe: &str) {
        self.emit(probe, ProbeState::Started);
    }

    fn finished(&self, probe: &str, ok: bool, summary: impl Into<String>) {
        self.emit(probe, ProbeState::Finished { ok, summary: summary.into() });
    }

    fn emit(&self, probe: &str, state: ProbeState) {
        if let Some(progress) = &self.progress {
            // A closed receiver means nobody watches any more; the run goes on.
            let _ = progress.send(ProgressEvent { probe: probe.to_owned(), state });
        }
    }
}

/// The full diagnosis. Never fails: every problem is a finding in the report.
pub async fn diagnose(options: &DiagnoseOptions, progress: Option<Progress>) -> Report {
    let started_at = Utc::now();
    let started = Instant::now();
    let run = Run {
        options,
        trust: LazyTrust::new(&options.extra_roots),
        resolvers: Resolvers::new(options.use_system_resolver, options.user_resolver, options.timeout),
        progress,
    };
    let target = &options.target;
    // `lsb_release` and the trust store take tens of milliseconds: read them
    // while the network probes run.
    let os = tokio::task::spawn_blocking(system::os_description);
    let gateway_proxy = options.proxy.proxy_for(&target.host).cloned();

    let direct = async {
        let (dns, addresses) = resolve_target(&run).await;
        let sockets: Vec<SocketAddr> = addresses.iter().map(|ip| SocketAddr::new(*ip, target.port)).collect();
        let per_address = join_all(sockets.iter().map(|address| address_probes(&run, *address)));
        let per_environment = join_all(
            target.environments.iter().map(|environment| http_probe(&run, *environment, Via::Direct(&sockets))),
        );
        let (per_address, http) = tokio::join!(per_address, per_environment);
        (dns, per_address, http)
    };
    let proxied = async {
        match (&gateway_proxy, target.environments.first()) {
            (Some(proxy), Some(environment)) => Some(http_probe(&run, *environment, Via::Proxy(proxy)).await),
            _ => None,
        }
    };
    let ((dns, per_address, http), proxied, control, _) = tokio::join!(direct, proxied, control_probe(&run), run.trust.get());
    let os = os.await.unwrap_or_else(|e| format!("unknown ({e})"));
    let configuration = system::configuration(options, os, &run.resolvers, run.trust.get().await);

    let mut tcp = Vec::new();
    let mut tls = Vec::new();
    for (tcp_probe, tls_probes) in per_address {
        tcp.push(tcp_probe);
        tls.extend(tls_probes);
    }
    let mut probes = Vec::new();
    let mut dates = Vec::new();
    for (probe, dated) in http.into_iter().chain(proxied) {
        probes.push(probe);
        dates.push(dated);
    }
    let http = probes;
    let clock = clock_check(&run, dates, control.as_ref());

    let verdict = verdict::decide(&verdict::Evidence {
        target,
        proxy: gateway_proxy.as_ref().map(|p| redact_url(p.as_str())),
        proxy_origin: options.proxy.origin(),
        dns: &dns,
        tcp: &tcp,
        tls: &tls,
        http: &http,
        control: control.as_ref().map(|(probe, _)| probe),
        clock: clock.as_ref(),
    });
    Report {
        schema_version: SCHEMA_VERSION,
        tool: format!("fatoora-onboard {}", options.app_version),
        started_at,
        duration_ms: started.elapsed().as_millis() as u64,
        target: TargetSummary {
            origin: target.origin(),
            host: target.host.clone(),
            port: target.port,
            environments: target.environments.clone(),
            timeout_ms: options.timeout.as_millis() as u64,
        },
        verdict,
        configuration,
        dns,
        tcp,
        tls,
        http,
        control: control.map(|(probe, _)| probe),
        clock,
    }
}

async fn resolve_target(run: &Run<'_>) -> (Vec<DnsProbe>, Vec<IpAddr>) {
    let host = &run.options.target.host;
    if let Some(ip) = run.options.target.ip_literal() {
        return (Vec::new(), vec![ip]);
    }
    let lookups = run.resolvers.list.iter().flat_map(|resolver| {
        [RecordKind::A, RecordKind::AAAA].map(|record| async move {
            let id = format!("dns/{}/{record:?}", resolver_id(resolver.kind));
            run.started(&id);
            let probe = dns::lookup(resolver, host, record, run.options.timeout).await;
            let ok = matches!(probe.outcome, DnsOutcome::Resolved { .. } | DnsOutcome::NoRecords);
            run.finished(&id, ok, probe.outcome.describe());
            probe
        })
    });
    let probes = join_all(lookups).await;
    let mut addresses: Vec<IpAddr> = Vec::new();
    for probe in &probes {
        if let DnsOutcome::Resolved { addresses: found } = &probe.outcome {
            for ip in found {
                if !addresses.contains(ip) {
                    addresses.push(*ip);
                }
            }
        }
    }
    (probes, addresses)
}

fn resolver_id(kind: ResolverKind) -> &'static str {
    match kind {
        ResolverKind::System => "system",
        ResolverKind::User => "user",
    }
}

async fn address_probes(run: &Run<'_>, address: SocketAddr) -> (TcpProbe, Vec<TlsProbe>) {
    let timeout = run.options.timeout;
    let id = format!("tcp/{address}");
    run.started(&id);
    let (tcp_probe, stream) = tcp::probe(address, timeout).await;
    run.finished(&id, stream.is_some(), tcp_probe.outcome.describe());
    drop(stream);
    if tcp_probe.outcome != TcpOutcome::Connected {
        return (tcp_probe, Vec::new());
    }
    let handshake = |version: TlsVersion| async move {
        let id = format!("{}/{address}", version.label().replace(' ', "").to_lowercase());
        run.started(&id);
        let probe = tls::probe(&run.trust, &run.options.target.host, address, version, timeout).await;
        let ok = matches!(probe.outcome, TlsOutcome::Established { trusted: true, .. });
        run.finished(&id, ok, tls_summary(&probe.outcome));
        probe
    };
    let (tls13, tls12) = tokio::join!(handshake(TlsVersion::Tls13), handshake(TlsVersion::Tls12));
    (tcp_probe, vec![tls13, tls12])
}

fn tls_summary(outcome: &TlsOutcome) -> String {
    match outcome {
        TlsOutcome::Established { version, trusted, .. } => {
            format!("{version}, {}", if *trusted { "trusted chain" } else { "UNTRUSTED chain" })
        }
        TlsOutcome::Stalled => "handshake stalled".into(),
        TlsOutcome::VersionRefused { detail } => format!("version refused: {detail}"),
        TlsOutcome::Failed { detail } | TlsOutcome::ConnectFailed { detail } => detail.clone(),
    }
}

type Dated = Option<(chrono::DateTime<Utc>, chrono::DateTime<Utc>)>;

async fn http_probe(run: &Run<'_>, environment: Environment, via: Via<'_>) -> (HttpProbe, Dated) {
    let target = &run.options.target;
    let path = target.probe_path(environment);
    let route = match &via {
        Via::Direct(_) => Route::Direct,
        Via::Proxy(proxy) => Route::Proxy { proxy: redact_url(proxy.as_str()) },
    };
    let id = format!("http/{environment}/{}", if route == Route::Direct { "direct" } else { "proxy" });
    run.started(&id);
    let answer = http::get(run.get(&target.host, target.port, &path, via), run.options.timeout).await;
    run.finished(&id, answer.outcome.status().is_some_and(|s| !matches!(s, 403 | 429 | 500..)), http_summary(&answer.outcome, true));
    let probe = HttpProbe {
        environment,
        url: format!("{}{path}", target.origin()),
        route,
        expected: EXPECTED_ONBOARDING_GET.to_owned(),
        outcome: answer.outcome,
        elapsed_ms: answer.elapsed_ms,
    };
    (probe, answer.dates)
}

/// A probe's progress line. ZATCA's onboarding routes take POST, so a 4xx
/// to the probe's GET (`onboarding_get`) is the gateway answering: say so,
/// or "HTTP 405" next to "OK" reads as a contradiction.
fn http_summary(outcome: &HttpOutcome, onboarding_get: bool) -> String {
    match outcome {
        HttpOutcome::Answered { status, .. } if onboarding_get && (400..500).contains(status) && !matches!(status, 403 | 429) => {
            format!("HTTP {status}: the answer expected to a GET here, so the gateway is reachable")
        }
        HttpOutcome::Answered { status, .. } => format!("HTTP {status}"),
        HttpOutcome::Failed { stage, detail, .. } => format!("failed at {}: {detail}", stage.label().en),
    }
}

async fn control_probe(run: &Run<'_>) -> Option<(ControlProbe, Dated)> {
    let raw = run.options.control_url.as_deref()?;
    run.started("control");
    let started = Instant::now();
    let (route, answer) = match Url::parse(raw) {
        Err(e) => {
            let outcome = HttpOutcome::Failed { stage: Stage::Dns, kind: FailureKind::Other, detail: format!("bad control URL: {e}") };
            (Route::Direct, http::Answer { outcome, elapsed_ms: 0, dates: None })
        }
        Ok(url) => {
            let host = match url.host() {
                Some(url::Host::Ipv6(ip)) => ip.to_string(),
                Some(host) => host.to_string(),
                None => String::new(),
            };
            let port = url.port_or_known_default().unwrap_or(443);
            let path = url.path().to_owned();
            let timeout = run.options.timeout;
            match run.options.proxy.proxy_for(&host) {
                Some(proxy) => {
                    let answer = http::get(run.get(&host, port, &path, Via::Proxy(proxy)), timeout).await;
                    (Route::Proxy { proxy: redact_url(proxy.as_str()) }, answer)
                }
                None => {
                    let answer = match run.resolvers.resolve_any(&host, started + timeout).await {
                        Ok(ips) => {
                            let sockets: Vec<SocketAddr> = ips.into_iter().map(|ip| SocketAddr::new(ip, port)).collect();
                            http::get(run.get(&host, port, &path, Via::Direct(&sockets)), timeout).await
                        }
                        Err(e) => http::Answer {
                            outcome: HttpOutcome::Failed { stage: Stage::Dns, kind: FailureKind::NoAddress, detail: e },
                            elapsed_ms: started.elapsed().as_millis() as u64,
                            dates: None,
                        },
                    };
                    (Route::Direct, answer)
                }
            }
        }
    };
    run.finished("control", answer.outcome.status().is_some(), http_summary(&answer.outcome, false));
    let probe = ControlProbe {
        url: redact_url(raw),
        route,
        outcome: answer.outcome,
        elapsed_ms: started.elapsed().as_millis() as u64,
    };
    Some((probe, answer.dates))
}

fn clock_check(run: &Run<'_>, gateway_dates: Vec<Dated>, control: Option<&(ControlProbe, Dated)>) -> Option<ClockCheck> {
    let tolerance_seconds = run.options.clock_tolerance.as_secs();
    let from_gateway = gateway_dates.into_iter().flatten().next().map(|d| (run.options.target.origin(), d));
    let from_control = control.and_then(|(probe, dates)| dates.map(|d| (probe.url.clone(), d)));
    let (source, (server_time, local_time)) = from_gateway.or(from_control)?;
    Some(ClockCheck {
        source,
        server_time,
        local_time,
        skew_seconds: (local_time - server_time).num_seconds(),
        tolerance_seconds,
    })
}
