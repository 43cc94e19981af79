//! A and AAAA lookups through the system resolver and a resolver the user
//! names, telling NXDOMAIN, SERVFAIL and silence apart.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::ProtoErrorKind;
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::xfer::Protocol;
use hickory_resolver::{ResolveError, TokioResolver};
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

impl Resolvers {
    pub fn new(use_system: bool, user: Option<SocketAddr>, timeout: Duration) -> Self {
        let mut list = Vec::new();
        let (mut system_servers, mut system_problem) = (Vec::new(), None);
        match hickory_resolver::system_conf::read_system_conf() {
            Ok((config, sys_opts)) => {
                system_servers = config.name_servers().iter().map(|ns| ns.socket_addr.to_string()).collect();
                system_servers.dedup();
                if use_system {
                    let mut opts = options(timeout);
                    opts.ndots = sys_opts.ndots;
                    let inner = TokioResolver::builder_with_config(config, TokioConnectionProvider::default())
                        .with_options(opts)
                        .build();
                    list.push(Resolver { kind: ResolverKind::System, server: system_servers.join(", "), inner });
                }
            }
            Err(e) => system_problem = Some(e.to_string()),
        }
        if let Some(addr) = user {
            let mut config = ResolverConfig::new();
            config.add_name_server(NameServerConfig::new(addr, Protocol::Udp));
            let mut opts = options(timeout);
            // The user asked for this server precisely: no /etc/hosts shortcut.
            opts.use_hosts_file = ResolveHosts::Never;
            let inner = TokioResolver::builder_with_config(config, TokioConnectionProvider::default())
                .with_options(opts)
                .build();
            list.push(Resolver { kind: ResolverKind::User, server: addr.to_string(), inner });
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
            RecordKind::A => resolver.inner.ipv4_lookup(name).await.map(|l| l.iter().map(|a| IpAddr::V4(a.0)).collect()),
            RecordKind::AAAA => {
                resolver.inner.ipv6_lookup(name).await.map(|l| l.iter().map(|a| IpAddr::V6(a.0)).collect())
            }
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

fn classify(error: &ResolveError) -> DnsOutcome {
    let Some(proto) = error.proto() else {
        return DnsOutcome::Error { detail: error.to_string() };
    };
    match proto.kind() {
        ProtoErrorKind::NoRecordsFound { response_code, .. } => match *response_code {
            ResponseCode::NXDomain => DnsOutcome::NxDomain,
            ResponseCode::NoError => DnsOutcome::NoRecords,
            ResponseCode::ServFail => DnsOutcome::ServFail,
            ResponseCode::Refused => DnsOutcome::Refused,
            other => DnsOutcome::Error { detail: format!("response code {other}") },
        },
        ProtoErrorKind::Timeout => DnsOutcome::Timeout,
        _ => DnsOutcome::Error { detail: error.to_string() },
    }
}
