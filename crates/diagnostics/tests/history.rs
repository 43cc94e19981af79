//! Diagnosis history in a real SQLite file opened through the app's store.

mod lab;

use fatoora_base::Store;
use fatoora_diagnostics::history::{self, HistoryError};
use fatoora_diagnostics::*;
use lab::*;

/// The app's store, migrated (0004 creates the history table).
fn store(dir: &tempfile::TempDir) -> Store {
    Store::open_file(&dir.path().join("fatoora.sqlite3")).unwrap()
}

#[tokio::test]
async fn runs_are_kept_and_the_latest_summary_feeds_support() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let conn = store.connection();
    assert_eq!(history::latest_summary(conn).unwrap(), None);

    let lab = Lab::new().await;
    let healthy = lab.gateway(Answer::status(405)).await;
    let first = diagnose(&lab.by_address(healthy), None).await;
    let first_id = history::save(conn, &first, &history::Occasion::ByHand).unwrap();
    let blocked = lab.gateway(Answer::status(403)).await;
    let second = diagnose(&lab.by_address(blocked), None).await;
    let renewal = history::Occasion::Preflight(history::Before::Renewal { unit: "POS-1".into() });
    let second_id = history::save(conn, &second, &renewal).unwrap();

    let latest = history::latest_summary(conn).unwrap().unwrap();
    assert_eq!(latest.id, second_id);
    assert_eq!(latest.class, VerdictClass::Http403);
    assert!(latest.problem);
    assert_eq!(latest.headline, second.verdict.headline);
    let message = latest.support_message();
    assert!(message.en.contains("403") && message.en.contains(&second.target.origin));
    assert!(message.ar.contains(&second.verdict.next_step.ar));

    let all = history::recent(conn, 10).unwrap();
    assert_eq!(all.iter().map(|d| d.id).collect::<Vec<_>>(), [second_id, first_id]);
    assert_eq!(all.iter().map(|d| d.occasion.clone()).collect::<Vec<_>>(), [renewal, history::Occasion::ByHand]);
    // Read back whole, a saved run is shown again as it was.
    let reopened = history::report(conn, second_id).unwrap().unwrap();
    assert_eq!(reopened.to_text(), second.to_text());
    assert!(history::report(conn, second_id + 100).unwrap().is_none());
    let json: serde_json::Value = serde_json::from_str(&history::report_json(conn, first_id).unwrap().unwrap()).unwrap();
    assert_eq!(json["verdict"]["class"], "healthy");

    // What sqlite3 itself sees: the summary columns and valid JSON.
    let (class, valid): (String, i64) = conn
        .query_row("SELECT verdict_class, json_valid(report_json) FROM diagnostics_reports WHERE id = ?1", [second_id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((class.as_str(), valid), ("http_403", 1));
}

#[tokio::test]
async fn proxy_credentials_never_reach_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let lab = Lab::new().await;
    let gateway = lab.gateway(Answer::status(405)).await;
    let proxy = connect_proxy(ProxyBehaviour::RequireAuth).await;
    let mut options = lab.by_address(gateway);
    options.proxy = ProxySettings::from_lookup(|name| (name == "https_proxy").then(|| format!("http://bob:hunter2-secret@{proxy}")));
    history::save(store.connection(), &diagnose(&options, None).await, &history::Occasion::ByHand).unwrap();
    drop(store);
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("hunter2-secret") && !text.contains("bob:"), "a proxy credential reached the database files");
    }
}

#[test]
fn a_database_without_the_table_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let conn = fatoora_base::store::rusqlite::Connection::open(dir.path().join("old.sqlite3")).unwrap();
    assert_eq!(history::latest_summary(&conn).unwrap(), None);
    let report = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
        let lab = Lab::new().await;
        diagnose(&lab.by_address(refused_port().await), None).await
    });
    let error = history::save(&conn, &report, &history::Occasion::ByHand).unwrap_err();
    assert!(matches!(error, HistoryError::NotMigrated));
    assert!(error.explain().ar.contains("لم يُحفظ"));
}
