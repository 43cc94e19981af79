//! One onboarding run as the CLI and the app start it (`run::run`, probing
//! now), against the simulator over HTTPS on loopback with a real SQLite
//! store: the pre-flight's full diagnosis lands in the diagnosis history,
//! once per run, named by its unit and purpose, with the verdict it found,
//! and the OTP nowhere in it.

mod support;

use fatoora_base::Environment;
use fatoora_base::store::rusqlite::types::Value;
use fatoora_diagnostics::VerdictClass;
use fatoora_diagnostics::history::{self, Before, Occasion};
use fatoora_onboarding::local::LocalGateway;
use fatoora_onboarding::preflight::Overrides;
use fatoora_onboarding::run::{Probe, Purpose, RunOutcome, RunRequest, run};
use fatoora_simulator::OtpPurpose;
use fatoora_units::KeyChoice;
use support::*;

/// The lab with one unit saved as the Units screen saves it; its common name.
fn saved_unit(lab: &mut Lab) -> String {
    let profile = unit("u-history", "1100").profile;
    fatoora_units::prepare_csr(&mut lab.store, &lab.secrets, &profile, KeyChoice::Generate, false).expect("unit saved");
    profile.common_name
}

fn gateway(lab: &Lab) -> LocalGateway {
    LocalGateway::from_runtime_file(&lab.dir.path().join("sim")).expect("the simulator's runtime file")
}

async fn run_with(lab: &Lab, unit: &str, purpose: Purpose, otp: &str, gateway: &LocalGateway) -> RunOutcome {
    let request = RunRequest { unit, purpose, otp_text: otp, answers: answers(), overrides: Overrides::default(), probe: Probe::Now(Some(gateway)) };
    run(&lab.store, &lab.secrets, &lab.client, request, &|_| {}).await
}

/// Every column of every history row, as text.
fn history_rows(lab: &Lab) -> Vec<String> {
    let conn = lab.store.connection();
    let mut statement = conn.prepare("SELECT * FROM diagnostics_reports").unwrap();
    let columns = statement.column_count();
    statement
        .query_map([], |row| {
            (0..columns)
                .map(|i| {
                    Ok(match row.get::<_, Value>(i)? {
                        Value::Text(text) => text,
                        other => format!("{other:?}"),
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(|values| values.join("\u{1f}"))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Six digits standing alone, as an OTP is written.
fn holds_otp(text: &str, otp: &str) -> bool {
    text.match_indices(otp).any(|(at, _)| {
        let digit_before = text[..at].chars().next_back().is_some_and(|c| c.is_ascii_digit());
        let digit_after = text[at + otp.len()..].chars().next().is_some_and(|c| c.is_ascii_digit());
        !digit_before && !digit_after
    })
}

#[tokio::test]
async fn each_run_keeps_its_preflight_once_named_by_unit_and_purpose() {
    let mut lab = lab().await;
    let unit = saved_unit(&mut lab);
    let gateway = gateway(&lab);

    let onboarded = run_with(&lab, &unit, Purpose::Onboard, &mint(&lab, OtpPurpose::Onboard), &gateway).await;
    assert!(matches!(onboarded, RunOutcome::Issued(_)), "{onboarded:?}");
    let runs = history::recent(lab.store.connection(), 10).unwrap();
    assert_eq!(runs.len(), 1, "one run, one pre-flight: {runs:?}");
    assert_eq!(runs[0].occasion, Occasion::Preflight(Before::Onboarding { unit: unit.clone() }));
    assert_eq!((runs[0].class, runs[0].problem), (VerdictClass::Healthy, false));
    assert_eq!(runs[0].target_origin, gateway.origin);
    // The whole report is kept, to be opened as any other diagnosis.
    let report = history::report(lab.store.connection(), runs[0].id).unwrap().expect("the report");
    assert_eq!(report.verdict.class, VerdictClass::Healthy);
    assert_eq!(report.target.environments, [Environment::Local]);

    let renewed = run_with(&lab, &unit, Purpose::Renew, &mint(&lab, OtpPurpose::Renew), &gateway).await;
    assert!(matches!(renewed, RunOutcome::Issued(_)), "{renewed:?}");
    let runs = history::recent(lab.store.connection(), 10).unwrap();
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert_eq!(runs[0].occasion, Occasion::Preflight(Before::Renewal { unit }));
}

#[tokio::test]
async fn an_unreachable_gateway_is_kept_as_the_problem_it_was() {
    let mut lab = lab().await;
    let unit = saved_unit(&mut lab);
    // A port nobody listens on: the probe is refused, the run stops before the OTP.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let down = LocalGateway { origin: format!("https://127.0.0.1:{closed}"), ..gateway(&lab) };

    let outcome = run_with(&lab, &unit, Purpose::Onboard, &mint(&lab, OtpPurpose::Onboard), &down).await;
    let RunOutcome::Failed(failure) = outcome else { panic!("{outcome:?}") };
    assert!(failure.preflight().is_some(), "stopped by the pre-flight: {:?}", failure.error);
    let runs = history::recent(lab.store.connection(), 10).unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].occasion, Occasion::Preflight(Before::Onboarding { unit }));
    assert_eq!((runs[0].class, runs[0].problem), (VerdictClass::TcpRefused, true));
}

#[tokio::test]
async fn a_canary_otp_sent_to_the_gateway_is_in_no_history_row() {
    let mut lab = lab().await;
    let unit = saved_unit(&mut lab);
    // Never minted, so the simulator answers Invalid-OTP: the OTP went out
    // and came back refused, through every path a refusal takes.
    let canary = "804617";
    let outcome = run_with(&lab, &unit, Purpose::Onboard, canary, &gateway(&lab)).await;
    let RunOutcome::Failed(failure) = outcome else { panic!("{outcome:?}") };
    assert_eq!(failure.zatca_code().as_deref(), Some("Invalid-OTP"), "{:?}", failure.error);

    let rows = history_rows(&lab);
    assert_eq!(rows.len(), 1, "the pre-flight is kept");
    for row in rows {
        assert!(!holds_otp(&row, canary), "the OTP is in a history row: {row}");
    }
}
