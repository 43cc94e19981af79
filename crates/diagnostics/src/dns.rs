//! A and AAAA lookups through the system resolver and a resolver the user
//! names, telling NXDOMAIN, SERVFAIL and silence apart.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::RData;
use tokio::time::Instant;

use crate::model::{DnsOutcome, DnsProbe, RecordKind, ResolverKind};

pub(crate) struct Resolver {
    pub kind: ResolverKind,
    pub server: String,
    inner: TokioResolver,
}

/// The configured resolvers, or why the system one could not be read.
pub(crate) struct Resolvers {
    pub list: Vec<Resolver>,
    pub system_servers: Vec<String>,
    pub system_problem: Option<String>,
}

fn options(timeout: Duration) -> ResolverOpts {
    let mut opts = ResolverOpts::default();
    // One attempt per probe: the deadline is ours to report, not hidden retries.
    opts.timeout = timeout;
    opts.attempts = 1;
    opts.cache_size = 0;
    opts
}

impl DnsOutcome {
    /// One line for live progress: what was found, in the terms DNS tools use.
    pub(crate) fn describe(&self) -> String {
        match self {
            DnsOutcome::Resolved { addresses } => {
                format!("resolved: {}", addresses.iter().map(IpAddr::to_string).collect::<Vec<_>>().join(", "))
            }
            DnsOutcome::NoRecords => "no records of this type".into(),
            DnsOutcome::NxDomain => "NXDOMAIN (no such name)".into(),
            DnsOutcome::ServFail => "SERVFAIL (the resolver failed)".into(),
            DnsOutcome::Refused => "REFUSED by the resolver".into(),
            DnsOutcome::Timeout => "timed out (no answer)".into(),
            DnsOutcome::Error { detail } => detail.clone(),
        }
    }
}

impl Resolvers {
    pub fn new(use_system: bool, user: Option<SocketAddr>, timeout: Duration) -> Self {
        let mut list = Vec::new();
        let (mut system_servers, mut system_problem) = (Vec::new(), None);
        match hickory_resolver::system_conf::read_system_conf() {
            Ok((config, sys_opts)) => {
                system_servers = config
                    .name_servers()
                    .iter()
                    .flat_map(|ns| ns.connections.iter().map(|c| SocketAddr::new(ns.ip, c.port).to_string()))
                    .collect();
                system_servers.dedup();
                if use_system {
                    let mut opts = options(timeout);
                    opts.ndots = sys_opts.ndots;
                    match TokioResolver::builder_with_config(config, TokioRuntimeProvider::default()).with_options(opts).build() {
                        Ok(inner) => list.push(Resolver { kind: ResolverKind::System, server: system_servers.join(", "), inner }),
                        Err(e) => system_problem = Some(e.to_string()),
                    }
                }
            }
            Err(e) => system_problem = Some(e.to_string()),
        }
        if let Some(addr) = user {
            let mut udp = ConnectionConfig::udp();
            udp.port = addr.port();
            let config = ResolverConfig::from_name_servers(vec![NameServerConfig::new(addr.ip(), true, vec![udp])]);
            let mut opts = options(timeout);
            // The user asked for this server precisely: no /etc/hosts shortcut.
            opts.use_hosts_file = ResolveHosts::Never;
            // Building fails only for encrypted transports (a TLS set-up), which plain UDP does not use.
            if let Ok(inner) = TokioResolver::builder_with_config(config, TokioRuntimeProvider::default()).with_options(opts).build() {
                list.push(Resolver { kind: ResolverKind::User, server: addr.to_string(), inner });
            }
        }
        Resolvers { list, system_servers, system_problem }
    }

    /// First addresses any resolver finds; used for the proxy and control hosts.
    pub async fn resolve_any(&self, host: &str, deadline: Instant) -> Result<Vec<IpAddr>, String> {
        if let Ok(ip) = host.parse() {
            return Ok(vec![ip]);
        }
        let mut last = "no resolver configured".to_owned();
        for resolver in &self.list {
            match tokio::time::timeout_at(deadline, resolver.inner.lookup_ip(host)).await {
                Ok(Ok(lookup)) => return Ok(lookup.iter().collect()),
                Ok(Err(e)) => last = e.to_string(),
                Err(_) => last = "timed out".to_owned(),
            }
        }
        Err(last)
    }
}

pub(crate) async fn lookup(resolver: &Resolver, name: &str, record: RecordKind, timeout: Duration) -> DnsProbe {
    let started = Instant::now();
    let query = async {
        match record {
            RecordKind::A => resolver.inner.ipv4_lookup(name).await.map(|l| addresses(&l)),
            RecordKind::AAAA => resolver.inner.ipv6_lookup(name).await.map(|l| addresses(&l)),
        }
    };
    let outcome = match tokio::time::timeout(timeout, query).await {
        Err(_) => DnsOutcome::Timeout,
        Ok(Ok(addresses)) => DnsOutcome::Resolved { addresses },
        Ok(Err(e)) => classify(&e),
    };
    DnsProbe {
        resolver: resolver.kind,
        server: resolver.server.clone(),
        name: name.to_owned(),
        record,
        outcome,
        elapsed_ms: started.elapsed().as_millis() as u64,
    }
}

/// The A or AAAA answers (a CNAME chain's own records are skipped).
fn addresses(lookup: &hickory_resolver::lookup::Lookup) -> Vec<IpAddr> {
    lookup
        .answers()
        .iter()
        .filter_map(|record| match &record.data {
            RData::A(a) => Some(IpAddr::V4(a.0)),
            RData::AAAA(aaaa) => Some(IpAddr::V6(aaaa.0)),
            _ => None,
        })
        .collect()
}

fn classify(error: &NetError) -> DnsOutcome {
    let code = match error {
        NetError::Dns(DnsError::NoRecordsFound(no_records)) => no_records.response_code,
        NetError::Dns(DnsError::ResponseCode(code)) => *code,
        NetError::Timeout => return DnsOutcome::Timeout,
        _ => return DnsOutcome::Error { detail: error.to_string() },
    };
    match code {
        ResponseCode::NXDomain => DnsOutcome::NxDomain,
        ResponseCode::NoError => DnsOutcome::NoRecords,
        ResponseCode::ServFail => DnsOutcome::ServFail,
        ResponseCode::Refused => DnsOutcome::Refused,
        other => DnsOutcome::Error { detail: format!("response code {other}") },
    }
}
