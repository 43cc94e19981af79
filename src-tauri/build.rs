fn main() {
    // Declaring the app's commands makes Tauri generate one permission per
    // command, so a capability must name each command the webview may call.
    // Keep this list in step with `collect_commands!` in src/lib.rs.
    let commands = tauri_build::AppManifest::new().commands(&[
        // home
        "app_info",
        "set_language",
        // units
        "check_unit",
        "save_unit",
        "list_units",
        "delete_unit",
        // onboarding
        "onboarding_setup",
        "run_onboarding",
        "onboarding_support_message",
        "start_rehearsal",
        "rehearsal_otp",
        // fleet
        "fleet_overview",
        "expiry_reminders",
        "units_csv_template",
        "check_units_csv",
        "import_units_csv",
        "batch_setup",
        "mint_rehearsal_otps",
        "run_batch_onboarding",
        // diagnostics
        "diagnostics_setup",
        "run_diagnostics",
        "cancel_diagnostics",
        "diagnostics_history",
        "open_past_diagnosis",
        "save_diagnostics_report",
        "write_probe_page",
        "compare_server_run",
        "save_comparison_report",
        // custody
        "custody_setup",
        "backup_everything",
        "restore_backup",
        "export_credentials",
        // settings
        "settings",
        "switch_environment",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(commands))
        .expect("tauri-build failed");
}
