//! Hostile diagnostics reports (the PHP page's JSON or `diagnose --json`
//! from another machine): the invariants of the `report_import` fuzz target,
//! run in CI. No panic; a refusal explained in English and Arabic; a file
//! over the cap refused before it is parsed, naming the limit.

use fatoora_base::input::{InputError, human_size};
use fatoora_probe_kit::{DIAGNOSTICS_REPORT, ImportError, ImportedRun};
use proptest::prelude::*;

const MINIMAL: &str = r#"{"tool":"fatoora-onboard probe.php","source":"php","target":{"host":"gw-fatoora.zatca.gov.sa","port":443},"dns":[],"tcp":[{"address":"127.0.0.1:443","outcome":"connected","elapsed_ms":3}]}"#;

fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    std::fs::write(&path, bytes).unwrap();
    match ImportedRun::from_file(&path) {
        Ok(run) => {
            // What the comparison reads must be usable.
            let _ = (run.class(), run.is_php(), run.answer_ms(), run.untrusted_issuer());
        }
        Err(error) => {
            let message = error.explain();
            prop_assert!(!message.en.trim().is_empty() && !message.ar.trim().is_empty(), "{error:?}");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check(&bytes)?;
    }

    /// A real report with one byte changed or cut short.
    #[test]
    fn corrupted_reports_never_panic(at in 0usize..MINIMAL.len(), byte in any::<u8>(), cut in any::<bool>()) {
        let mut bytes = MINIMAL.as_bytes().to_vec();
        if cut { bytes.truncate(at) } else { bytes[at] = byte }
        check(&bytes)?;
    }
}

#[test]
fn the_minimal_report_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    std::fs::write(&path, MINIMAL).unwrap();
    assert!(ImportedRun::from_file(&path).unwrap().is_php());
}

#[test]
fn a_report_over_the_cap_is_refused_before_parsing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.json");
    // Valid JSON up to the cap, then one more byte: only the size is wrong.
    let prefix = format!("{},\"x\":\"", &MINIMAL[..MINIMAL.len() - 1]);
    let text = format!("{prefix}{}\"}}", "a".repeat(DIAGNOSTICS_REPORT.bytes as usize + 1 - prefix.len() - 2));
    assert_eq!(text.len() as u64, DIAGNOSTICS_REPORT.bytes + 1);
    std::fs::write(&path, &text).unwrap();
    let limit = human_size(DIAGNOSTICS_REPORT.bytes);
    for error in [ImportedRun::from_file(&path).unwrap_err(), ImportedRun::from_json(&text, "huge.json").unwrap_err()] {
        assert!(matches!(error, ImportError::Input(InputError::TooLarge { .. })), "{error:?}");
        let message = error.explain();
        assert!(message.en.contains("diagnostics report") && message.en.contains(&limit), "{}", message.en);
        assert!(message.ar.contains("تقرير التشخيص") && message.ar.contains(&limit), "{}", message.ar);
    }
    // One byte less is read and parsed.
    let text = format!("{prefix}{}\"}}", "a".repeat(DIAGNOSTICS_REPORT.bytes as usize - prefix.len() - 2));
    std::fs::write(&path, &text).unwrap();
    assert!(ImportedRun::from_file(&path).unwrap().is_php());
}
