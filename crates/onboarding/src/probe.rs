//! The pre-flight's reachability check: the diagnostics crate's quick probe
//! of the gateway the OTP is about to be sent to. Its latest verdict is kept
//! in the store for the support message.

use fatoora_base::{Environment, Localized, Store};
use fatoora_diagnostics::{DiagnoseOptions, Target};

use crate::local::LocalGateway;
use crate::preflight::Reachability;

/// Settings key of the latest reachability verdict.
pub const LATEST_DIAGNOSTICS: &str = "onboarding.latest-diagnostics";

/// Probes `environment`'s gateway: ZATCA's, or for `local` the simulator
/// (its CA trusted, no proxy, no control URL: everything stays on loopback).
pub async fn reachability(environment: Environment, local: Option<&LocalGateway>) -> Reachability {
    let target = match local {
        Some(gateway) => Target::from_url(&gateway.origin, vec![environment]),
        None => Target::gateway(vec![environment]),
    };
    let target = match target {
        Ok(target) => target,
        Err(error) => return Reachability { ready: false, summary: error.message() },
    };
    let mut options = DiagnoseOptions::new(target);
    if let Some(gateway) = local {
        options.control_url = None;
        options.extra_roots = fatoora_diagnostics::load_ca_file(&gateway.ca_cert_path).unwrap_or_default();
        options.proxy = fatoora_diagnostics::ProxySettings::from_lookup(|_| None);
    }
    let result = fatoora_diagnostics::preflight(&options).await;
    // The headline alone: the quick probe's next step speaks of a report,
    // and here there is none. A blocked run points to the full diagnosis.
    let headline = result.verdict.headline;
    let summary = if result.ready {
        headline
    } else {
        Localized::new(
            format!("{} The network diagnostics check every step and make a report to send.", headline.en),
            format!("{} يفحص تشخيص الشبكة كل خطوة ويُعد تقريرا يمكن إرساله.", headline.ar),
        )
    };
    Reachability { ready: result.ready, summary }
}

/// Keeps `reachability` as the latest verdict, for the support message. A
/// failure to keep it is logged: the onboarding itself does not need it.
pub fn remember(store: &Store, reachability: &Reachability) {
    let value = serde_json::json!({
        "en": reachability.summary.en,
        "ar": reachability.summary.ar,
        "at": chrono::Utc::now().to_rfc3339(),
    });
    if let Err(error) = store.set_setting(LATEST_DIAGNOSTICS, &value) {
        tracing::warn!(%error, "the latest reachability verdict was not kept");
    }
}

/// The latest verdict kept by [`remember`].
pub fn latest(store: &Store) -> Option<Localized> {
    let value = store.setting::<serde_json::Value>(LATEST_DIAGNOSTICS).ok().flatten()?;
    Some(Localized::new(value.get("en")?.as_str()?, value.get("ar")?.as_str()?))
}
