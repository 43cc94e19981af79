//! The Diagnostics screen's commands: run the network diagnosis with each
//! probe streamed to the UI as it starts and finishes, cancel it, keep it in
//! the history (listed by `diagnosis_history`), save its report (HTML + JSON) and, for "Test from my
//! server", write the PHP probe page and compare a server's run with this
//! machine's.
//!
//! Reports are written to `reports/` in the data directory and the path is
//! shown, instead of a save dialog: the dialog plugin's permissions stay
//! with Custody's paths, and the end-to-end test can check the very file a
//! user gets. Server JSON is read by the webview (paste or
//! `<input type=file>`), so no file-system access is granted either.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use fatoora_base::{DataDir, Environment, Localized};
use fatoora_diagnostics::{
    ALL_ZATCA_ENVIRONMENTS, DiagnoseOptions, ProbeState, ProgressEvent, ProxySettings, Report,
    Target, diagnose, history, parse_resolver, redact_url,
};
use fatoora_probe_kit::{Comparison, ImportedRun, PhpProbeOptions};
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::State;
use tauri::ipc::Channel;
use tokio::sync::oneshot;

use crate::shell::{CommandError, LocalizedText, Shell};

/// Each probe's deadline in the app: the CLI's default.
const PROBE_TIMEOUT: Duration = fatoora_diagnostics::DEFAULT_TIMEOUT;
const PROBE_PAGE_NAME: &str = "fatoora-probe.php";

fn error(en: impl Into<String>, ar: impl Into<String>) -> CommandError {
    CommandError { message: LocalizedText { en: en.into(), ar: ar.into() } }
}

fn localized(message: Localized) -> CommandError {
    CommandError { message: message.into() }
}

/// What the window remembers between commands: the run that can be
/// cancelled, the last report (for "Save report" and the comparison) and
/// the last comparison (for its report).
#[derive(Default)]
pub struct Diagnostics {
    cancel: Mutex<Option<oneshot::Sender<()>>>,
    last_report: Mutex<Option<Report>>,
    last_comparison: Mutex<Option<(Comparison, ImportedRun, ImportedRun)>>,
}

impl Diagnostics {
    /// Makes `report` the one "Save report" and the comparison use.
    pub fn keep(&self, report: Report) {
        *lock(&self.last_report) = Some(report);
    }

    /// The diagnosis with each probe's start and finish handed to
    /// `on_probe`; `None` when cancelled, or replaced by a newer run.
    async fn run(&self, options: &DiagnoseOptions, on_probe: impl Fn(ProbeUpdate)) -> Option<Report> {
        let (cancel, cancelled) = oneshot::channel();
        *lock(&self.cancel) = Some(cancel);
        let (sender, mut events) = tokio::sync::mpsc::unbounded_channel();
        let forward = async {
            while let Some(event) = events.recv().await {
                on_probe(ProbeUpdate::from(event));
            }
        };
        let run = async { tokio::join!(diagnose(options, Some(sender)), forward).0 };
        tokio::select! {
            report = run => Some(report),
            // Dropping the run's future stops every probe still waiting.
            _ = cancelled => None,
        }
    }

    fn cancel(&self) {
        if let Some(cancel) = lock(&self.cancel).take() {
            let _ = cancel.send(());
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Plain values behind the locks: a panic elsewhere leaves them whole.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What the user chose on the screen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Type)]
pub struct DiagnoseRequest {
    /// Environment ids: `local` alone, or any of sandbox/simulation/production.
    pub environments: Vec<String>,
    /// A DNS server to ask besides the system's, `IP[:PORT]`.
    pub resolver: Option<String>,
    /// A proxy to go through instead of the one configured (`HTTPS_PROXY`, or the system's).
    pub proxy: Option<String>,
}

/// One probe starting or finishing, as the engine reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct ProbeUpdate {
    /// e.g. `dns/system/A`, `tcp/127.0.0.1:443`, `tls1.3/…`, `http/core/direct`, `http/core/proxy`, `control`.
    pub probe: String,
    pub finished: bool,
    pub ok: bool,
    /// The engine's short technical result (English, shown left-to-right as evidence).
    pub summary: String,
}

impl From<ProgressEvent> for ProbeUpdate {
    fn from(event: ProgressEvent) -> Self {
        match event.state {
            ProbeState::Started => Self { probe: event.probe, finished: false, ok: false, summary: String::new() },
            ProbeState::Finished { ok, summary } => Self { probe: event.probe, finished: true, ok, summary },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct VerdictView {
    /// The rule that decided, e.g. `healthy`, `tcp_black_hole`.
    pub class: String,
    pub problem: bool,
    pub headline: LocalizedText,
    pub next_step: LocalizedText,
}

impl From<&fatoora_diagnostics::Verdict> for VerdictView {
    fn from(verdict: &fatoora_diagnostics::Verdict) -> Self {
        Self {
            class: verdict.class.id(),
            problem: verdict.problem,
            headline: verdict.headline.clone().into(),
            next_step: verdict.next_step.clone().into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct ClockView {
    pub source: String,
    /// Positive when this machine's clock is ahead.
    pub skew_seconds: i32,
    pub tolerance_seconds: u32,
    pub skewed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct DiagnosisView {
    pub started_at: String,
    pub duration_ms: u32,
    pub target: String,
    pub environments: Vec<String>,
    pub verdict: VerdictView,
    /// The proxy the gateway traffic went through, credentials redacted.
    pub proxy: Option<String>,
    pub clock: Option<ClockView>,
    /// The plain-text report for a hosting provider ("Copy summary").
    pub summary: String,
    /// Why the run is missing from the history, when it is.
    pub history_problem: Option<LocalizedText>,
}

impl DiagnosisView {
    pub fn of(report: &Report, history_problem: Option<LocalizedText>) -> Self {
        Self {
            started_at: report.started_at.to_rfc3339(),
            duration_ms: u32::try_from(report.duration_ms).unwrap_or(u32::MAX),
            target: report.target.origin.clone(),
            environments: report.target.environments.iter().map(|e| e.id().to_owned()).collect(),
            verdict: (&report.verdict).into(),
            proxy: report.configuration.proxy_for_gateway.clone(),
            clock: report.clock.as_ref().map(|clock| ClockView {
                source: clock.source.clone(),
                skew_seconds: i32::try_from(clock.skew_seconds).unwrap_or(i32::MAX),
                tolerance_seconds: u32::try_from(clock.tolerance_seconds).unwrap_or(u32::MAX),
                skewed: clock.is_skewed(),
            }),
            summary: report.to_text(),
            history_problem,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct EnvironmentChoice {
    pub id: String,
    pub label: LocalizedText,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct DiagnosticsSetup {
    pub active_environment: String,
    pub environments: Vec<EnvironmentChoice>,
    /// The proxy configured for this app (`HTTPS_PROXY` or the system's), credentials redacted.
    pub environment_proxy: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct SavedReport {
    pub html: String,
    pub json: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct ProbePage {
    pub path: String,
    pub file_name: String,
    /// Goes in the page's address as `?token=`; without it the page answers 403.
    pub token: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct ServerFinding {
    pub function: String,
    pub reason: String,
    pub effect: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct ComparisonView {
    /// e.g. `server_path_blocked`, `both_fine`.
    pub class: String,
    pub headline: LocalizedText,
    pub next_step: LocalizedText,
    /// This machine's run and the server's, each as one clause with its verdict class.
    pub local: RunSide,
    pub server: RunSide,
    /// Probes the server's PHP could not run, and why.
    pub server_limits: Vec<ServerFinding>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct RunSide {
    pub tool: String,
    pub target: String,
    pub class: String,
    pub finding: LocalizedText,
}

impl RunSide {
    fn of(run: &ImportedRun) -> Self {
        Self {
            tool: run.tool.clone(),
            target: format!("{}:{}", run.target.host, run.target.port),
            class: run.class().id(),
            finding: fatoora_probe_kit::finding(run).into(),
        }
    }
}

fn reports_dir() -> Result<PathBuf, CommandError> {
    Ok(DataDir::resolve(None)?.root().join("reports"))
}

fn write_file(path: &Path, contents: &str) -> Result<(), CommandError> {
    let written = path.parent().map_or(Ok(()), std::fs::create_dir_all).and_then(|()| std::fs::write(path, contents));
    written.map_err(|e| {
        error(
            format!("Could not write {}: {e}. Check that the folder exists and is writable.", path.display()),
            format!("تعذّرت كتابة الملف \u{2066}{}\u{2069}: \u{2066}{e}\u{2069}. تأكد من وجود المجلد وإمكانية الكتابة فيه.", path.display()),
        )
    })
}

fn parse_environments(ids: &[String]) -> Result<Vec<Environment>, CommandError> {
    let mut environments = Vec::new();
    for id in ids {
        let environment: Environment = id.parse().map_err(|_| {
            error(format!("Unknown environment {id:?}."), format!("بيئة غير معروفة: «\u{2066}{id}\u{2069}»."))
        })?;
        if !environments.contains(&environment) {
            environments.push(environment);
        }
    }
    if environments.is_empty() {
        return Err(error("Choose at least one environment to diagnose.", "اختر بيئة واحدة على الأقل لتشخيصها."));
    }
    if environments.contains(&Environment::Local) && environments.len() > 1 {
        return Err(error(
            "The local simulator is diagnosed on its own: choose either it or ZATCA's environments.",
            "يُشخَّص المحاكي المحلي وحده: اختر إما المحاكي أو بيئات الهيئة.",
        ));
    }
    Ok(environments)
}

fn proxy_settings(given: Option<&str>, local: bool) -> Result<ProxySettings, CommandError> {
    match given.map(str::trim).filter(|p| !p.is_empty()) {
        Some(raw) => ProxySettings::entered(raw).ok_or_else(|| {
            let shown = redact_url(raw);
            error(
                format!("The proxy {shown:?} is not an address such as http://proxy.example:3128."),
                format!("الخادم الوكيل «\u{2066}{shown}\u{2069}» ليس عنوانًا مثل \u{2066}http://proxy.example:3128\u{2069}."),
            )
        }),
        // The simulator runs inside this app: a system proxy is not on its path.
        None if local => Ok(ProxySettings::from_lookup(|_| None)),
        // The environment's variables, else the Windows/macOS system proxy.
        None => Ok(ProxySettings::detect()),
    }
}

/// The simulator's origin and CA when the local environment is diagnosed:
/// probes then go to this app's own loopback listener and nowhere else.
async fn local_options(shell: &Shell, environments: Vec<Environment>) -> Result<DiagnoseOptions, CommandError> {
    let gateway = shell.local_gateway().await?;
    let target = Target::from_url(gateway.origin(), environments).map_err(|e| localized(e.message()))?;
    let mut options = DiagnoseOptions::new(target);
    options.extra_roots =
        fatoora_diagnostics::parse_ca_pem(gateway.ca_cert_pem(), "the local simulator's CA").map_err(|e| localized(e.message()))?;
    // The control site tells "no internet" from "ZATCA unreachable": it means
    // nothing for a simulator on this machine, and would leave the machine.
    options.control_url = None;
    Ok(options)
}

async fn options(shell: &Shell, request: &DiagnoseRequest) -> Result<DiagnoseOptions, CommandError> {
    let environments = parse_environments(&request.environments)?;
    let local = environments == [Environment::Local];
    let mut options = if local {
        local_options(shell, environments).await?
    } else {
        DiagnoseOptions::new(Target::gateway(environments).map_err(|e| localized(e.message()))?)
    };
    options.timeout = PROBE_TIMEOUT;
    options.proxy = proxy_settings(request.proxy.as_deref(), local)?;
    options.user_resolver = request
        .resolver
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(parse_resolver)
        .transpose()
        .map_err(|e| localized(e.message()))?;
    options.app_version = env!("CARGO_PKG_VERSION").to_owned();
    Ok(options)
}

/// The environments the screen offers, the active one first chosen.
#[tauri::command]
#[specta::specta]
pub fn diagnostics_setup(shell: State<'_, Shell>) -> Result<DiagnosticsSetup, CommandError> {
    let active = shell.with_store(|store| store.environment())?;
    let proxy = ProxySettings::detect();
    Ok(DiagnosticsSetup {
        active_environment: active.id().to_owned(),
        environments: std::iter::once(Environment::Local)
            .chain(ALL_ZATCA_ENVIRONMENTS)
            .map(|e| EnvironmentChoice { id: e.id().to_owned(), label: e.label().into() })
            .collect(),
        environment_proxy: proxy.https_proxy.as_ref().map(|url| redact_url(url.as_str())),
    })
}

/// Runs every probe at once, sending each start and finish to `on_probe`;
/// `None` when cancelled. The finished run goes into the history.
#[tauri::command]
#[specta::specta]
pub async fn run_diagnostics(
    shell: State<'_, Shell>,
    state: State<'_, Diagnostics>,
    request: DiagnoseRequest,
    on_probe: Channel<ProbeUpdate>,
) -> Result<Option<DiagnosisView>, CommandError> {
    let options = options(&shell, &request).await?;
    // A closed window stops listening; the run itself goes on.
    let Some(report) = state.run(&options, |update| drop(on_probe.send(update))).await else {
        return Ok(None);
    };

    let saved = shell.with_store(|store| Ok(history::save(store.connection(), &report, &history::Occasion::ByHand)));
    let history_problem = match saved {
        Ok(Ok(_)) => None,
        Ok(Err(e)) => Some(e.explain().into()),
        Err(e) => Some(e.message),
    };
    let view = DiagnosisView::of(&report, history_problem);
    state.keep(report);
    Ok(Some(view))
}

#[tauri::command]
#[specta::specta]
pub fn cancel_diagnostics(state: State<'_, Diagnostics>) {
    state.cancel();
}

fn last_report(state: &Diagnostics) -> Result<Report, CommandError> {
    lock(&state.last_report).clone().ok_or_else(|| {
        error("Run the diagnosis from this machine first.", "شغّل التشخيص من هذا الجهاز أولا.")
    })
}

/// Writes the last run's report as HTML (for people, in the UI's language)
/// and JSON (for tools) into `reports/` in the data directory.
#[tauri::command]
#[specta::specta]
pub fn save_diagnostics_report(shell: State<'_, Shell>, state: State<'_, Diagnostics>) -> Result<SavedReport, CommandError> {
    let report = last_report(&state)?;
    let language = shell.with_store(|store| store.language())?;
    let stem = reports_dir()?.join(format!("diagnosis-{}", report.started_at.format("%Y%m%d-%H%M%S")));
    let (html, json) = (stem.with_extension("html"), stem.with_extension("json"));
    write_file(&html, &report.to_html_in(language))?;
    write_file(&json, &report.to_json())?;
    Ok(SavedReport { html: html.display().to_string(), json: json.display().to_string() })
}

/// Writes the PHP probe page for the real gateway, with a fresh token.
#[tauri::command]
#[specta::specta]
pub fn write_probe_page() -> Result<ProbePage, CommandError> {
    let probe = fatoora_probe_kit::generate(&PhpProbeOptions::gateway());
    let path = reports_dir()?.join(PROBE_PAGE_NAME);
    write_file(&path, &probe.source)?;
    Ok(ProbePage { path: path.display().to_string(), file_name: PROBE_PAGE_NAME.to_owned(), token: probe.token })
}

/// Sets a server's probe JSON beside this machine's last run. Both must have
/// probed the same host and port, or the comparison would mean nothing.
#[tauri::command]
#[specta::specta]
pub fn compare_server_run(
    state: State<'_, Diagnostics>,
    server_json: String,
    source: String,
) -> Result<ComparisonView, CommandError> {
    let server = ImportedRun::from_json(&server_json, &source).map_err(|e| localized(e.explain()))?;
    let report = last_report(&state)?;
    let local = ImportedRun::from_json(&report.to_json(), "this machine's diagnosis")
        .map_err(|e| localized(e.explain()))?;
    let (here, there) = (RunSide::of(&local), RunSide::of(&server));
    if here.target != there.target {
        return Err(error(
            format!(
                "The server probed {} but this machine's last run probed {}. Run the diagnosis here for the same environment first.",
                there.target, here.target
            ),
            format!(
                "فحص الخادم \u{2066}{}\u{2069} بينما فحص آخر تشخيص على هذا الجهاز \u{2066}{}\u{2069}. شغّل التشخيص هنا للبيئة نفسها أولا.",
                there.target, here.target
            ),
        ));
    }
    let comparison = fatoora_probe_kit::compare(&local, &server);
    let view = ComparisonView {
        class: serde_json::to_value(comparison.class).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
        headline: comparison.headline.clone().into(),
        next_step: comparison.next_step.clone().into(),
        local: here,
        server: there,
        server_limits: server
            .degraded
            .iter()
            .map(|d| ServerFinding { function: d.function.clone(), reason: d.reason.clone(), effect: d.effect.clone() })
            .collect(),
    };
    *lock(&state.last_comparison) = Some((comparison, local, server));
    Ok(view)
}

/// Writes the report holding both runs, for the hosting provider.
#[tauri::command]
#[specta::specta]
pub fn save_comparison_report(state: State<'_, Diagnostics>) -> Result<String, CommandError> {
    let guard = lock(&state.last_comparison);
    let (comparison, local, server) = guard.as_ref().ok_or_else(|| {
        error("Import the server's result first.", "استورد نتيجة الخادم أولا.")
    })?;
    let path = reports_dir()?.join(format!("comparison-{}.html", chrono::Utc::now().format("%Y%m%d-%H%M%S")));
    write_file(&path, &fatoora_probe_kit::comparison_html(comparison, local, server))?;
    Ok(path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn local_is_diagnosed_alone_and_unknown_environments_are_named() {
        assert_eq!(parse_environments(&ids(&["local"])).unwrap(), vec![Environment::Local]);
        assert_eq!(
            parse_environments(&ids(&["sandbox", "production", "sandbox"])).unwrap(),
            vec![Environment::Sandbox, Environment::Production]
        );
        let mixed = parse_environments(&ids(&["local", "sandbox"])).unwrap_err();
        assert!(mixed.message.en.contains("on its own"), "{mixed:?}");
        let unknown = parse_environments(&ids(&["staging"])).unwrap_err();
        assert!(unknown.message.en.contains("\"staging\"") && unknown.message.ar.contains("staging"), "{unknown:?}");
        assert!(parse_environments(&[]).is_err());
    }

    fn closed_loopback_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
    }

    /// The password of a proxy the user typed reaches neither the screen
    /// (the view, its summary) nor any saved form of the report. Loopback only.
    #[tokio::test]
    async fn a_proxy_password_is_in_no_view_and_no_report() {
        let password = "pw-9f3c1e";
        let proxy = format!("http://carol:{password}@127.0.0.1:{}", closed_loopback_port());
        let target = Target::from_url(&format!("https://127.0.0.1:{}", closed_loopback_port()), vec![Environment::Local]).unwrap();
        let mut options = DiagnoseOptions::new(target);
        options.control_url = None;
        options.timeout = Duration::from_secs(5);
        options.proxy = proxy_settings(Some(&proxy), true).unwrap();
        let report = diagnose(&options, None).await;

        let view = DiagnosisView::of(&report, None);
        assert_eq!(view.proxy.as_deref().map(|p| p.contains("REDACTED@127.0.0.1")), Some(true), "{:?}", view.proxy);
        for (form, text) in [
            ("view", serde_json::to_string(&view).unwrap()),
            ("json", report.to_json()),
            ("html", report.to_html()),
            ("text", report.to_text()),
        ] {
            assert!(!text.contains(password) && !text.contains("carol"), "{form} shows the proxy's credentials");
        }
    }

    /// A server that accepts TCP and never answers TLS keeps the probes
    /// waiting for their deadline; cancelling as soon as a TLS probe starts
    /// ends the run without a report. Loopback only.
    #[tokio::test]
    async fn cancelling_ends_a_run_whose_probes_are_still_waiting() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                held.push(stream);
            }
        });
        let target = Target::from_url(&format!("https://127.0.0.1:{port}"), vec![Environment::Local]).unwrap();
        let mut options = DiagnoseOptions::new(target);
        options.control_url = None;
        options.proxy = proxy_settings(None, true).unwrap();
        options.timeout = Duration::from_secs(600);
        let state = Diagnostics::default();
        let seen = Mutex::new(Vec::new());
        let report = state
            .run(&options, |update| {
                if update.probe.starts_with("tls") && !update.finished {
                    state.cancel();
                }
                lock(&seen).push(update);
            })
            .await;
        assert!(report.is_none(), "the run went on after cancel");
        let seen = lock(&seen);
        assert!(seen.iter().any(|u| u.probe.starts_with("tcp/127.0.0.1:") && u.finished && u.ok), "{seen:?}");
        assert!(!seen.iter().any(|u| u.probe.starts_with("tls") && u.finished), "{seen:?}");
    }

    #[test]
    fn a_proxy_that_is_not_an_address_is_refused_without_echoing_its_password() {
        let error = proxy_settings(Some("carol:pw-9f3c1e@"), false).unwrap_err();
        assert!(!error.message.en.contains("pw-9f3c1e") && !error.message.ar.contains("pw-9f3c1e"), "{error:?}");
        assert!(proxy_settings(Some("  "), true).unwrap().https_proxy.is_none());
    }
}
