//! `fatoora-onboard probe-kit compare --server FILE` and the app's import of
//! a server's probe result: any bytes as the report, then, when it reads,
//! the comparison with itself and its HTML page. Every refusal must be
//! explained in both languages; nothing may panic.
#![no_main]

use fatoora_probe_kit::{ImportedRun, compare, comparison_html};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match ImportedRun::from_json(text, "fuzz.json") {
        Ok(run) => {
            let _ = (run.class(), run.answer_ms(), run.untrusted_issuer());
            let comparison = compare(&run, &run);
            let page = comparison_html(&comparison, &run, &run);
            assert!(!page.contains("<script"), "the comparison page carries a script");
        }
        Err(error) => fatoora_fuzz::assert_explained(&error.explain(), "report import"),
    }
});
