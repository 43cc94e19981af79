//! The desktop shell: one window, and commands that hand the web UI what the
//! library crates compute. No domain logic lives here.
#![cfg_attr(all(not(test), target_os = "linux"), deny(unused_crate_dependencies))]

mod commands;
mod custody;
mod diagnosis_history;
mod diagnostics;
mod expiry;
mod fleet;
mod navigation;
mod onboarding;
mod rehearsal;
mod settings;
mod shell;
mod units;
#[cfg(windows)]
mod webview2;

use tauri_specta::{Builder, collect_commands};

/// The typed command set; `ui/src/bindings.ts` is generated from it.
pub fn specta_builder() -> Builder<tauri::Wry> {
    Builder::<tauri::Wry>::new().commands(collect_commands![
        // home
        commands::app_info,
        commands::set_language,
        // units
        units::check_unit,
        units::save_unit,
        units::list_units,
        units::delete_unit,
        // onboarding
        onboarding::onboarding_setup,
        onboarding::run_onboarding,
        onboarding::onboarding_support_message,
        rehearsal::start_rehearsal,
        rehearsal::rehearsal_otp,
        // fleet
        fleet::fleet_overview,
        expiry::expiry_reminders,
        fleet::units_csv_template,
        fleet::check_units_csv,
        fleet::import_units_csv,
        fleet::batch_setup,
        fleet::mint_rehearsal_otps,
        fleet::run_batch_onboarding,
        // diagnostics
        diagnostics::diagnostics_setup,
        diagnostics::run_diagnostics,
        diagnostics::cancel_diagnostics,
        diagnosis_history::diagnostics_history,
        diagnosis_history::open_past_diagnosis,
        diagnostics::save_diagnostics_report,
        diagnostics::write_probe_page,
        diagnostics::compare_server_run,
        diagnostics::save_comparison_report,
        // custody
        custody::custody_setup,
        custody::backup_everything,
        custody::restore_backup,
        custody::export_credentials,
        // settings
        settings::settings,
        settings::switch_environment,
    ])
}

pub fn run() {
    #[cfg(target_os = "linux")]
    paint_tiles_on_the_cpu();
    #[cfg(windows)]
    webview2::require_runtime();
    let builder = specta_builder();
    // The Custody screen's "Choose…" buttons: the capability grants only
    // the open and save dialogs, which hand the page the path the user picked.
    let app = tauri::Builder::default().plugin(navigation::guard()).plugin(tauri_plugin_dialog::init());
    // CSID expiry reminders, sent from Rust only: the webview gets none of
    // the plugin's permissions. Linux sends over D-Bus itself (expiry.rs).
    #[cfg(not(target_os = "linux"))]
    let app = app.plugin(tauri_plugin_notification::init());
    app.manage(shell::Shell::start())
        .manage(diagnostics::Diagnostics::default())
        .invoke_handler(builder.invoke_handler())
        .run(tauri::generate_context!())
        .expect("the Fatoora Onboard window could not start");
}

/// WebKitGTK paints the page's tiles with Skia on the GPU by default, and
/// where there is no GPU for it (Xvfb, virtual machines, remote desktops)
/// Mesa emulates one in software. Painted on the CPU (still composited, so
/// WebDriver's screenshots keep working, which they do not with compositing
/// off), the app and its WebKit processes held 212 instead of 240 MB (PSS) at
/// the home screen, 240 instead of 295 MB after every screen, and the home
/// screen showed in 0.71 instead of 1.06 s (README, "measures"). The app's
/// pages are forms and tables: nothing in them needs GPU painting. A value
/// the user set is left alone.
#[cfg(target_os = "linux")]
fn paint_tiles_on_the_cpu() {
    const SKIA_CPU: &str = "WEBKIT_SKIA_ENABLE_CPU_RENDERING";
    if std::env::var_os(SKIA_CPU).is_none() {
        // SAFETY: called first thing from main, before Tauri, GTK or any
        // other thread exists, so nothing reads the environment concurrently.
        #[allow(unsafe_code)]
        unsafe { std::env::set_var(SKIA_CPU, "1") };
    }
}

#[cfg(test)]
mod bindings_tests;
