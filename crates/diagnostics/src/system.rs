//! The configuration finding: what this machine is and how it is set up to
//! reach the gateway. Read, never changed.

use chrono::{Local, Utc};

use crate::dns::Resolvers;
use crate::model::Configuration;
use crate::tls::Trust;
use crate::options::DiagnoseOptions;
use crate::proxy::redact_url;

pub(crate) fn os_description() -> String {
    format!("{} ({})", os_name(), std::env::consts::ARCH)
}

/// On Linux, /etc/os-release directly: `os_info` would run `lsb_release`
/// (a shell script and four processes, tens of milliseconds).
#[cfg(target_os = "linux")]
fn os_name() -> String {
    std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|text| {
            text.lines().find_map(|line| line.strip_prefix("PRETTY_NAME=").map(|v| v.trim_matches('"').to_owned()))
        })
        .unwrap_or_else(|| "Linux (no /etc/os-release)".to_owned())
}

#[cfg(not(target_os = "linux"))]
fn os_name() -> String {
    let os = os_info::get();
    format!("{} {}", os.os_type(), os.version())
}

pub(crate) fn configuration(options: &DiagnoseOptions, os: String, resolvers: &Resolvers, trust: &Trust) -> Configuration {
    Configuration {
        os,
        app_version: options.app_version.clone(),
        proxy_variables: options.proxy.variables.clone(),
        proxy_for_gateway: options.proxy.proxy_for(&options.target.host).map(|p| redact_url(p.as_str())),
        system_proxy_note: options.proxy.system_note(),
        system_resolvers: resolvers.system_servers.clone(),
        system_resolver_problem: resolvers.system_problem.clone(),
        user_resolver: options.user_resolver,
        trust_store_problem: trust.problem.clone(),
        local_time: Utc::now(),
        local_utc_offset: Local::now().offset().to_string(),
    }
}
