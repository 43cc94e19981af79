//! Windows draws the app's window with Microsoft Edge WebView2. Without its
//! runtime, Tauri fails deep inside window creation with nothing a user can
//! act on; so the app asks for the runtime's version first and, when there
//! is none, says in both languages what to install, then exits.

use fatoora_base::Localized;
use windows_sys::Win32::UI::WindowsAndMessaging::{MB_ICONERROR, MB_OK, MessageBoxW};

/// Microsoft's download page for the Evergreen Runtime.
const DOWNLOAD: &str = "https://developer.microsoft.com/microsoft-edge/webview2/";

/// What the user reads; `detail` is the loader's own error, for support.
pub fn missing_runtime(detail: &str) -> Localized {
    Localized::new(
        format!(
            "Fatoora Onboard cannot open its window: Microsoft Edge WebView2 Runtime is not installed ({detail}). \
             Windows 10 (21H2 and later) and Windows 11 include it. Install the Evergreen Runtime from {DOWNLOAD}, then open the app again."
        ),
        format!(
            "تعذّر على Fatoora Onboard فتح نافذته: Microsoft Edge WebView2 Runtime غير مثبّت (\u{2066}{detail}\u{2069}). \
             يتضمّنه Windows 10 (الإصدار 21H2 وما بعده) وWindows 11. ثبّت Evergreen Runtime من \u{2066}{DOWNLOAD}\u{2069} ثم افتح التطبيق من جديد."
        ),
    )
}

/// Exits with code 3 after telling the user (a message box, and standard
/// error for a console) when no WebView2 runtime can be found.
pub fn require_runtime() {
    let Err(error) = tauri::webview_version() else { return };
    let message = missing_runtime(&error.to_string());
    let text = format!("{}\n\n{}", message.en, message.ar);
    eprintln!("{text}");
    let wide = |s: &str| s.encode_utf16().chain(Some(0)).collect::<Vec<u16>>();
    // SAFETY: both strings are NUL-terminated UTF-16 that outlive the call;
    // a null owner window is allowed.
    #[allow(unsafe_code)]
    unsafe { MessageBoxW(std::ptr::null_mut(), wide(&text).as_ptr(), wide("Fatoora Onboard").as_ptr(), MB_OK | MB_ICONERROR) };
    std::process::exit(3);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_missing_runtime_is_explained_in_both_languages_with_the_download() {
        let message = missing_runtime("0x80070002");
        for text in [&message.en, &message.ar] {
            assert!(text.contains("WebView2 Runtime") && text.contains(DOWNLOAD) && text.contains("0x80070002"), "{text}");
        }
        assert!(message.ar.contains("غير مثبّت"));
    }
}
