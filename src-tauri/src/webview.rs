//! How WebKitGTK draws the window on Linux.
//!
//! By default WebKitGTK composites the page with OpenGL in its web process.
//! Where there is no GPU for it (Xvfb, virtual machines, remote desktops)
//! Mesa does that in software, and the web process held 156 MB (PSS) at the
//! home screen and 234 MB after every screen had been opened; drawn on the
//! CPU without compositing, 113 and 130 MB (README, "measures"). The app's
//! pages are forms and tables without animation, video or WebGL, so nothing
//! it shows needs the GPU. WebKit's other memory settings (the document-viewer
//! cache model, no page cache, no offline application cache, no media or
//! WebGL) were measured too and changed nothing beyond 3 MB: not set.

use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};

/// Applies the settings to every window's webview; run from the app's setup,
/// before the first page has been drawn.
pub fn draw_without_gpu(app: &tauri::App) {
    use tauri::Manager;
    for (label, window) in app.webview_windows() {
        let applied = window.with_webview(|webview| {
            if let Some(settings) = WebViewExt::settings(&webview.inner()) {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            }
        });
        if let Err(error) = applied {
            // The window still works, drawn as WebKit chooses.
            tracing::warn!(%label, %error, "WebKit settings not applied");
        }
    }
}
