//! The configuration finding: what this machine is and how it is set up to
//! reach the gateway. Read, never changed.

use chrono::{Local, Utc};

use crate::dns::Resolvers;
use crate::model::Configuration;
use crate::tls::Trust;
use crate::options::{DiagnoseOptions, redact_url};

pub(crate) fn os_description() -> String {
    let os = os_info::get();
    format!("{} {} ({})", os.os_type(), os.version(), std::env::consts::ARCH)
}

pub(crate) fn configuration(options: &DiagnoseOptions, os: String, resolvers: &Resolvers, trust: &Trust) -> Configuration {
    Configuration {
        os,
        app_version: options.app_version.clone(),
        proxy_variables: options.proxy.variables.clone(),
        proxy_for_gateway: options.proxy.proxy_for(&options.target.host).map(|p| redact_url(p.as_str())),
        system_proxy_note: (cfg!(windows) || cfg!(target_os = "macos"))
            .then(|| "system proxy settings (Windows/macOS) are not read yet: only environment variables".to_owned()),
        system_resolvers: resolvers.system_servers.clone(),
        system_resolver_problem: resolvers.system_problem.clone(),
        user_resolver: options.user_resolver,
        trust_store_problem: trust.problem.clone(),
        local_time: Utc::now(),
        local_utc_offset: Local::now().offset().to_string(),
    }
}
