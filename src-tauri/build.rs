fn main() {
    // Declaring the app's commands makes Tauri generate one permission per
    // command, so a capability must name each command the webview may call.
    // Keep this list in step with `collect_commands!` in src/lib.rs.
    let commands = tauri_build::AppManifest::new().commands(&["app_info", "set_language", "check_unit", "save_unit", "list_units"]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(commands))
        .expect("tauri-build failed");
}
