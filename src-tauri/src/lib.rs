//! The desktop shell: one window, and commands that hand the web UI what the
//! library crates compute. No domain logic lives here.

mod commands;
mod custody;
mod diagnostics;
mod fleet;
mod navigation;
mod onboarding;
mod settings;
mod shell;
mod units;

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
        // onboarding
        onboarding::onboarding_setup,
        onboarding::run_onboarding,
        onboarding::onboarding_support_message,
        onboarding::start_rehearsal,
        // fleet
        fleet::fleet_overview,
        fleet::expiry_reminders,
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
        diagnostics::diagnostics_history,
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
    let builder = specta_builder();
    tauri::Builder::default()
        .plugin(navigation::guard())
        // CSID expiry reminders, sent from Rust only: the webview gets none
        // of the plugin's permissions.
        .plugin(tauri_plugin_notification::init())
        .manage(shell::Shell::start())
        .manage(diagnostics::Diagnostics::default())
        .invoke_handler(builder.invoke_handler())
        .run(tauri::generate_context!())
        .expect("the Fatoora Onboard window could not start");
}

#[cfg(test)]
mod bindings_tests;
