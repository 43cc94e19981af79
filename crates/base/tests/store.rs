//! The SQLite store on real files: migrations, reopening, concurrent readers,
//! and the promise never to touch a file it cannot safely own.

use std::path::Path;
use std::sync::{Arc, Barrier};

use fatoora_base::i18n::Language;
use fatoora_base::store::{SCHEMA_VERSION, StoreError};
use fatoora_base::{DataDir, Environment, Store};

fn file_bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn migrates_an_empty_folder_to_the_latest_schema_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = DataDir::at(dir.path().join("data"));
    let store = Store::open(&data_dir).unwrap();

    assert_eq!(store.path(), data_dir.database());
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION as i64);
    let mode: String = store
        .connection()
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(
        store.environment().unwrap(),
        Environment::Local,
        "a fresh store starts in local"
    );
    assert_eq!(store.language().unwrap(), Language::En);
    #[cfg(unix)]
    for suffix in ["", "-wal", "-shm"] {
        use std::os::unix::fs::PermissionsExt;
        let file = format!("{}{suffix}", data_dir.database().display());
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{file} readable by others: {mode:o}");
    }
}

#[test]
fn settings_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = DataDir::at(dir.path());
    {
        let store = Store::open(&data_dir).unwrap();
        store.set_environment(Environment::Simulation).unwrap();
        store.set_language(Language::Ar).unwrap();
        store.set_environment(Environment::Sandbox).unwrap();
    }
    let store = Store::open(&data_dir).unwrap();
    assert_eq!(store.environment().unwrap(), Environment::Sandbox);
    assert_eq!(store.language().unwrap(), Language::Ar);
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION as i64);
}

#[test]
fn a_failed_transaction_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&DataDir::at(dir.path())).unwrap();
    let result: Result<(), StoreError> = store.transaction(|tx| {
        tx.execute("INSERT INTO settings (key, value) VALUES ('probe', '1')", [])?;
        Err(StoreError::BadSetting {
            key: "probe".into(),
            detail: "abandon".into(),
        })
    });
    assert!(result.is_err());
    assert_eq!(store.setting::<i64>("probe").unwrap(), None);

    store
        .transaction(|tx| {
            tx.execute("INSERT INTO settings (key, value) VALUES ('probe', '2')", [])
                .map(drop)
        })
        .unwrap();
    assert_eq!(store.setting::<i64>("probe").unwrap(), Some(2));
}

/// Readers hold open read transactions while a writer commits: in WAL mode
/// the commit succeeds at once and each reader keeps its snapshot (in the
/// old rollback-journal mode the commit would fail with SQLITE_BUSY).
#[test]
fn readers_keep_their_snapshot_while_a_writer_commits() {
    const READERS: usize = 4;
    let dir = tempfile::tempdir().unwrap();
    let data_dir = DataDir::at(dir.path());
    Store::open(&data_dir)
        .unwrap()
        .set_environment(Environment::Sandbox)
        .unwrap();

    let reading = Arc::new(Barrier::new(READERS + 1));
    let committed = Arc::new(Barrier::new(READERS + 1));
    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let (data_dir, reading, committed) = (data_dir.clone(), reading.clone(), committed.clone());
            std::thread::spawn(move || {
                let store = Store::open(&data_dir).unwrap();
                let inside = {
                    let tx = store.connection().unchecked_transaction().unwrap();
                    let before: String = tx
                        .query_row("SELECT value FROM settings WHERE key = 'environment'", [], |r| r.get(0))
                        .unwrap();
                    reading.wait();
                    committed.wait();
                    let still: String = tx
                        .query_row("SELECT value FROM settings WHERE key = 'environment'", [], |r| r.get(0))
                        .unwrap();
                    assert_eq!(before, still, "a reader's snapshot changed under it");
                    still
                };
                let after = store.environment().unwrap();
                (inside, after)
            })
        })
        .collect();

    let writer = Store::open(&data_dir).unwrap();
    reading.wait();
    writer
        .set_environment(Environment::Production)
        .expect("WAL lets the writer commit beside open readers");
    committed.wait();

    for reader in readers {
        let (inside, after) = reader.join().unwrap();
        assert_eq!(inside, "\"sandbox\"");
        assert_eq!(after, Environment::Production);
    }
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = DataDir::at(dir.path());
    let path = data_dir.database();
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();

    let error = Store::open(&data_dir).unwrap_err();
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error:?}");
    let explained = error.explain();
    assert!(explained.en.contains("left untouched"), "{}", explained.en);
    assert!(explained.ar.contains("لم يُعدَّل"), "{}", explained.ar);
    assert_eq!(file_bytes(&path), garbage);
}

#[test]
fn a_damaged_page_is_refused_and_the_file_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = DataDir::at(dir.path());
    let path = data_dir.database();
    {
        let store = Store::open(&data_dir).unwrap();
        // Make the file several pages long and fully checkpointed.
        for n in 0..200 {
            store.set_setting(&format!("filler-{n}"), &"x".repeat(200)).unwrap();
        }
        store
            .connection()
            .pragma_update(None, "wal_checkpoint", "TRUNCATE")
            .unwrap();
        store
            .connection()
            .pragma_update(None, "journal_mode", "DELETE")
            .unwrap();
    }
    let mut bytes = file_bytes(&path);
    let page_size = u16::from_be_bytes([bytes[16], bytes[17]]) as usize;
    assert!(bytes.len() >= 3 * page_size, "test needs a multi-page file");
    // Scribble over the second page: the settings table's b-tree.
    for byte in &mut bytes[page_size..2 * page_size] {
        *byte = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();

    let error = Store::open(&data_dir).unwrap_err();
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error:?}");
    assert_eq!(file_bytes(&path), bytes);
}

#[test]
fn a_file_from_a_newer_version_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = DataDir::at(dir.path());
    let path = data_dir.database();
    {
        let store = Store::open(&data_dir).unwrap();
        store.set_environment(Environment::Simulation).unwrap();
        store
            .connection()
            .pragma_update(None, "user_version", SCHEMA_VERSION as i64 + 1)
            .unwrap();
        store
            .connection()
            .pragma_update(None, "wal_checkpoint", "TRUNCATE")
            .unwrap();
    }
    let before = file_bytes(&path);
    let wal = path.with_extension("sqlite3-wal");
    let wal_before = std::fs::read(&wal).ok();

    let error = Store::open(&data_dir).unwrap_err();
    match &error {
        StoreError::TooNew { found, supported, .. } => {
            assert_eq!(*found, SCHEMA_VERSION as i64 + 1);
            assert_eq!(*supported, SCHEMA_VERSION);
        }
        other => panic!("expected TooNew, got {other:?}"),
    }
    assert!(error.explain().en.contains("newer version"));
    assert!(error.explain().ar.contains("إصدار أحدث"));
    assert_eq!(file_bytes(&path), before, "the newer file was modified");
    assert_eq!(
        std::fs::read(&wal).ok().filter(|w| !w.is_empty()),
        wal_before.filter(|w| !w.is_empty())
    );
}

#[test]
fn another_programs_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = DataDir::at(dir.path());
    let path = data_dir.database();
    {
        let other = fatoora_base::store::rusqlite::Connection::open(&path).unwrap();
        other
            .execute_batch("CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('x');")
            .unwrap();
    }
    let before = file_bytes(&path);
    let error = Store::open(&data_dir).unwrap_err();
    assert!(matches!(error, StoreError::Foreign { .. }), "{error:?}");
    assert_eq!(file_bytes(&path), before);
}

/// A file left by the first release (schema 1) is upgraded in place and
/// keeps what the user had set.
#[test]
fn an_older_database_is_upgraded_keeping_its_settings() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = DataDir::at(dir.path());
    {
        let old = fatoora_base::store::rusqlite::Connection::open(data_dir.database()).unwrap();
        old.execute_batch(include_str!("../migrations/0001_settings.sql")).unwrap();
        old.execute_batch(
            "PRAGMA user_version = 1;
             INSERT INTO settings (key, value) VALUES ('environment', '\"simulation\"'), ('language', '\"ar\"');",
        )
        .unwrap();
    }
    let store = Store::open(&data_dir).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION as i64);
    assert_eq!(store.environment().unwrap(), Environment::Simulation);
    assert_eq!(store.language().unwrap(), Language::Ar);
}
