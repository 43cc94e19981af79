//! The window may only ever show the app's own bundled pages. CSP does not
//! govern top-level navigation, so without this an injected script could send
//! the page (or data in a URL) to another origin, or load remote content into
//! a window that holds IPC access.

use tauri::plugin::TauriPlugin;
use tauri::{Runtime, Url};

/// The origins under which Tauri serves the bundled UI: `tauri://localhost`
/// on Linux and macOS, `http(s)://tauri.localhost` on Windows.
fn is_app_origin(url: &Url) -> bool {
    match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => url.host_str() == Some("tauri.localhost") && url.port().is_none(),
        _ => false,
    }
}

pub fn guard<R: Runtime>() -> TauriPlugin<R> {
    tauri::plugin::Builder::new("navigation-guard")
        .on_navigation(|_webview, url| {
            let allowed = is_app_origin(url);
            if !allowed {
                tracing::warn!(scheme = url.scheme(), host = url.host_str(), "navigation away from the app refused");
            }
            allowed
        })
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_bundled_ui_origins_are_allowed() {
        for allowed in ["tauri://localhost/", "tauri://localhost/index.html#units", "http://tauri.localhost/", "https://tauri.localhost/x"] {
            assert!(is_app_origin(&Url::parse(allowed).unwrap()), "{allowed}");
        }
        for refused in [
            "http://127.0.0.1:8080/navigate?stolen=1",
            "https://gw-fatoora.zatca.gov.sa/",
            "tauri://evil.example/",
            "http://tauri.localhost:8080/",
            "https://tauri.localhost.evil.example/",
            "file:///etc/passwd",
            "data:text/html,hi",
            "javascript:alert(1)",
        ] {
            assert!(!is_app_origin(&Url::parse(refused).unwrap()), "{refused}");
        }
    }
}
