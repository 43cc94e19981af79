//! The pre-flight's reachability check: the diagnostics crate's quick probe
//! of the gateway the OTP is about to be sent to. Its latest verdict is kept
//! in the store for the support message, and its full report in the
//! diagnosis history, named as a pre-flight.

use fatoora_base::{Environment, Localized, Store};
use fatoora_diagnostics::history::{self, Before, Occasion};
use fatoora_diagnostics::{DiagnoseOptions, Report, Target};

use crate::local::LocalGateway;
use crate::preflight::Reachability;

/// Settings key of the latest reachability verdict.
pub const LATEST_DIAGNOSTICS: &str = "onboarding.latest-diagnostics";

/// What the probe found: the verdict the flow's pre-flight checks, and the
/// report behind it (none when no target could be made to probe).
#[derive(Debug, Clone)]
pub struct Probed {
    pub reachability: Reachability,
    pub report: Option<Report>,
}

/// Probes `environment`'s gateway: ZATCA's, or for `local` the simulator
/// (its CA trusted, no proxy, no control URL: everything stays on loopback).
pub async fn reachability(environment: Environment, local: Option<&LocalGateway>) -> Probed {
    let target = match local {
        Some(gateway) => Target::from_url(&gateway.origin, vec![environment]),
        None => Target::gateway(vec![environment]),
    };
    let target = match target {
        Ok(target) => target,
        Err(error) => return Probed { reachability: Reachability { ready: false, summary: error.message() }, report: None },
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
    Probed { reachability: Reachability { ready: result.ready, summary }, report: Some(result.report) }
}

/// Keeps what `probed` found: its verdict as the latest, for the support
/// message, and its report in the diagnosis history as the pre-flight
/// `before` one unit's run or a batch. Called after the probe's await, so no
/// connection waits on the network. A failure to keep either is logged: the
/// onboarding itself does not need them.
pub fn remember(store: &Store, probed: &Probed, before: Before) {
    let reachability = &probed.reachability;
    if let Some(Err(error)) = probed.report.as_ref().map(|report| history::save(store.connection(), report, &Occasion::Preflight(before))) {
        tracing::warn!(%error, "the pre-flight's report was not kept in the history");
    }
    let value = serde_json::json!({
        "en": reachability.summary.en,
        "ar": reachability.summary.ar,
        "at": chrono::Utc::now().to_rfc3339(),
    });
    if let Err(error) = store.set_setting(LATEST_DIAGNOSTICS, &value) {
        tracing::warn!(%error, "the latest reachability verdict was not kept");
    }
}

/// [`reachability`] then [`remember`], for a caller that holds the store
/// across the probe (the app's batch cannot, and calls them apart).
pub async fn reachability_remembered(store: &Store, environment: Environment, local: Option<&LocalGateway>, before: Before) -> Reachability {
    let probed = reachability(environment, local).await;
    remember(store, &probed, before);
    probed.reachability
}

/// The latest verdict kept by [`remember`].
pub fn latest(store: &Store) -> Option<Localized> {
    let value = store.setting::<serde_json::Value>(LATEST_DIAGNOSTICS).ok().flatten()?;
    Some(Localized::new(value.get("en")?.as_str()?, value.get("ar")?.as_str()?))
}
