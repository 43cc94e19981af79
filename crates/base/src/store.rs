//! The SQLite store: one file in the data directory, WAL mode, versioned
//! migrations (rusqlite_migration, tracked in SQLite's `user_version`).
//!
//! # Adding a migration
//! 1. Drop `crates/base/migrations/NNNN_what.sql` (next free number; the
//!    numbers 0001–0004 were handed out to the skeleton's parts up front).
//! 2. Add its file name as one line at the end of the `migration_files!`
//!    list below, in number order.
//!
//! A file's position in that list is its schema version, so the list has no
//! gaps: a file can only be listed once every lower number exists. The test
//! `migration_list_matches_the_folder` fails when a listable file is missing
//! from the list or the numbers skip.
//!
//! Migrations run inside a transaction and only ever go up. Never edit a
//! migration that has shipped: add a new one.
//!
//! # Protecting the user's file
//! [`Store::open`] inspects the file before writing anything: a file that is
//! not SQLite, is damaged, belongs to another program or was written by a
//! newer version of the app gets a typed error and is left byte for byte as
//! it was. Switching to WAL and migrating happen only after those checks.
//!
//! Secrets never go in here: [`crate::secrets::Sensitive`] has no `ToSql` and
//! no `Serialize`, so it cannot be bound to a statement or stored as a
//! setting without an explicit `expose`.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior};
use rusqlite_migration::{M, Migrations};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::environment::Environment;
use crate::i18n::{Language, Localized, isolate, ltr};
use crate::paths::{DataDir, DataDirError};

pub use rusqlite;

/// Expands a list of file names under `migrations/` into the migrations and
/// the names (kept for the test that the list matches the folder).
macro_rules! migration_files {
    ($($file:literal),+ $(,)?) => {
        #[cfg(test)]
        const MIGRATION_FILES: &[&str] = &[$($file),+];
        const MIGRATION_LIST: &[M<'static>] = &[$(M::up(include_str!(concat!("../migrations/", $file)))),+];
    };
}

// Every migration, oldest first, numbered 0001, 0002, ... without gaps (the
// position in this list is the schema version). See the module docs.
migration_files![
    "0001_settings.sql",
    "0002_units.sql",
    "0003_onboarding.sql",
    "0004_diagnostics.sql",
    "0005_expiry_reminders.sql",
    "0006_preflight_diagnoses.sql",
];

const MIGRATIONS: Migrations<'static> = Migrations::from_slice(MIGRATION_LIST);

/// The schema version this build writes (SQLite `user_version`).
pub const SCHEMA_VERSION: usize = MIGRATION_LIST.len();

/// `PRAGMA application_id` set by migration 0001 ("FTOB").
pub const APPLICATION_ID: i32 = 0x4654_4F42;

const SQLITE_HEADER_LEN: u64 = 100;

/// How long a writer waits for another connection's write lock. This is
/// SQLite's lock wait, not a delay: it only matters when two writers meet.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub mod keys {
    pub const ENVIRONMENT: &str = "environment";
    pub const LANGUAGE: &str = "language";
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database file {path} is damaged or is not an SQLite database ({detail})")]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "the database file {path} was written by a newer version of Fatoora Onboard (schema {found}; this version knows up to {supported})"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: usize,
    },
    #[error("the database file {path} belongs to another program (application id {application_id:#x})")]
    Foreign { path: PathBuf, application_id: i32 },
    #[error("cannot open the database file {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("the database file {path} cannot use write-ahead logging (journal mode stayed {mode})")]
    WalUnavailable { path: PathBuf, mode: String },
    #[error("cannot read the database file {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("upgrading the database file {path} failed: {source}")]
    Migration {
        path: PathBuf,
        source: rusqlite_migration::Error,
    },
    #[error("the stored setting {key:?} cannot be read by this version: {detail}")]
    BadSetting { key: String, detail: String },
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

impl StoreError {
    /// What happened and what to do next, for the user.
    pub fn explain(&self) -> Localized {
        match self {
            StoreError::Corrupt { path, .. } => Localized::new(
                format!(
                    "The database file {} is damaged or is not a Fatoora Onboard database. It was left untouched. Restore it from a backup, or move it away and start again (your keys in the keychain are not affected).",
                    path.display()
                ),
                format!(
                    "ملف قاعدة البيانات {} تالف أو ليس قاعدة بيانات Fatoora Onboard، ولم يُعدَّل. استعده من نسخة احتياطية، أو انقله إلى مكان آخر وابدأ من جديد (مفاتيحك في سلسلة المفاتيح لا تتأثر).",
                    ltr(path.display())
                ),
            ),
            StoreError::TooNew { path, found, supported } => Localized::new(
                format!(
                    "The database file {} was written by a newer version of Fatoora Onboard (schema {found}, this version reads up to {supported}). It was left untouched. Install the newer version again, or point --data-dir at another folder.",
                    path.display()
                ),
                format!(
                    "ملف قاعدة البيانات {} أنشأه إصدار أحدث من Fatoora Onboard (المخطط {found}، وهذا الإصدار يقرأ حتى {supported})، ولم يُعدَّل. ثبّت الإصدار الأحدث مجددًا، أو اختر مجلدًا آخر عبر ‎--data-dir‎.",
                    ltr(path.display())
                ),
            ),
            StoreError::Foreign { path, .. } => Localized::new(
                format!(
                    "The file {} is an SQLite database of another program. It was left untouched. Point --data-dir at a folder of its own.",
                    path.display()
                ),
                format!(
                    "الملف {} قاعدة بيانات SQLite لبرنامج آخر، ولم يُعدَّل. اختر مجلدًا خاصًا عبر ‎--data-dir‎.",
                    ltr(path.display())
                ),
            ),
            StoreError::Open { path, source } => Localized::new(
                format!(
                    "Cannot open the database file {} ({source}). Check that the folder is writable and that no other program holds the file.",
                    path.display()
                ),
                format!(
                    "تعذّر فتح ملف قاعدة البيانات {} ({source}). تحقّق من صلاحية الكتابة في المجلد ومن أن أي برنامج آخر لا يستخدم الملف.",
                    ltr(path.display()),
                    source = isolate(source)
                ),
            ),
            StoreError::WalUnavailable { path, .. } => Localized::new(
                format!(
                    "The database file {} is on a file system that does not support SQLite's write-ahead log (often a network share). Choose a local folder with --data-dir.",
                    path.display()
                ),
                format!(
                    "ملف قاعدة البيانات {} على نظام ملفات لا يدعم سجل الكتابة المسبقة في SQLite (غالبًا مجلد شبكة). اختر مجلدًا محليًا عبر ‎--data-dir‎.",
                    ltr(path.display())
                ),
            ),
            StoreError::Read { path, source } => Localized::new(
                format!(
                    "Cannot read the database file {} ({source}). Check the file's permissions.",
                    path.display()
                ),
                format!(
                    "تعذّرت قراءة ملف قاعدة البيانات {} ({source}). تحقّق من صلاحيات الملف.",
                    ltr(path.display()),
                    source = isolate(source)
                ),
            ),
            StoreError::Migration { path, source } => Localized::new(
                format!(
                    "Upgrading the database file {} failed ({source}); nothing was changed. Report this with the log file.",
                    path.display()
                ),
                format!(
                    "فشل تحديث ملف قاعدة البيانات {} ({source})، ولم يتغيّر شيء. أبلغ عن ذلك مع ملف السجل.",
                    ltr(path.display()),
                    source = isolate(source)
                ),
            ),
            StoreError::BadSetting { key, .. } => Localized::new(
                format!("The saved setting \"{key}\" has a value this version does not understand. Set it again."),
                format!("الإعداد المحفوظ \"{key}\" يحمل قيمة لا يفهمها هذا الإصدار. عيّنه من جديد."),
            ),
            StoreError::DataDir(error) => error.explain(),
            StoreError::Sqlite(source) => Localized::new(
                format!(
                    "A database operation failed ({source}). Try again; if it persists, report it with the log file."
                ),
                format!("فشلت عملية في قاعدة البيانات ({source}). أعد المحاولة، وإن تكرر ذلك فأبلغ عنه مع ملف السجل.", source = isolate(source)),
            ),
        }
    }
}

/// One connection to the store. Not `Sync`: the app keeps it behind a mutex,
/// and other threads or processes open their own (WAL lets readers run while
/// one writer writes).
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the store in the data directory.
    pub fn open(data_dir: &DataDir) -> Result<Self, StoreError> {
        data_dir.ensure()?;
        Self::open_file(&data_dir.database())
    }

    /// Opens a store at an exact file path.
    pub fn open_file(path: &Path) -> Result<Self, StoreError> {
        check_header(path)?;
        let open_error = |source| StoreError::Open {
            path: path.to_owned(),
            source,
        };
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open_error)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
        inspect(&conn, path)?;

        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(open_error)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::WalUnavailable {
                path: path.to_owned(),
                mode,
            });
        }
        // NORMAL is durable across application crashes in WAL mode; only a
        // power cut can lose the last commits, never corrupt the file.
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(open_error)?;
        conn.pragma_update(None, "foreign_keys", true).map_err(open_error)?;
        MIGRATIONS
            .to_latest(&mut conn)
            .map_err(|source| StoreError::Migration {
                path: path.to_owned(),
                source,
            })?;
        tracing::debug!(path = %path.display(), schema = SCHEMA_VERSION, "store opened");
        Ok(Self {
            conn,
            path: path.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Replaces this store's whole content with the database file at
    /// `source`, page by page through SQLite's online backup API. Swapping
    /// the files instead (and deleting the -wal and -shm beside them) pulls
    /// them from under any other connection to the store, in this process
    /// or another: those go on writing into a WAL nobody reads, and a file
    /// created later may reuse the old inode number, which SQLite tracks
    /// locks by. Here they see the new content at their next read.
    pub fn replace_with(&mut self, source: &Path) -> Result<(), StoreError> {
        self.conn.restore(rusqlite::MAIN_DB, source, None::<fn(rusqlite::backup::Progress)>)?;
        Ok(())
    }

    /// For reads and single statements. Several statements that belong
    /// together go through [`Store::transaction`].
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Runs `work` in one transaction: committed if it returns `Ok`, rolled
    /// back otherwise. IMMEDIATE so a writer takes the write lock up front
    /// rather than failing half-way when another writer got there first.
    pub fn transaction<T, E>(&mut self, work: impl FnOnce(&Transaction<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<rusqlite::Error>,
    {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = work(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self.conn.pragma_query_value(None, "user_version", |row| row.get(0))?)
    }

    pub fn setting<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        let raw: Option<String> = self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |row| row.get(0))
            .optional()?;
        raw.map(|raw| {
            serde_json::from_str(&raw).map_err(|error| StoreError::BadSetting {
                key: key.to_owned(),
                detail: error.to_string(),
            })
        })
        .transpose()
    }

    pub fn set_setting<T: Serialize + ?Sized>(&self, key: &str, value: &T) -> Result<(), StoreError> {
        let json = serde_json::to_string(value).map_err(|error| StoreError::BadSetting {
            key: key.to_owned(),
            detail: error.to_string(),
        })?;
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value,
                 updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
            (key, json),
        )?;
        Ok(())
    }

    /// The active environment; `local` until the user picks another.
    pub fn environment(&self) -> Result<Environment, StoreError> {
        Ok(self.setting(keys::ENVIRONMENT)?.unwrap_or_default())
    }

    pub fn set_environment(&self, environment: Environment) -> Result<(), StoreError> {
        self.set_setting(keys::ENVIRONMENT, &environment)
    }

    pub fn language(&self) -> Result<Language, StoreError> {
        Ok(self.setting(keys::LANGUAGE)?.unwrap_or_default())
    }

    pub fn set_language(&self, language: Language) -> Result<(), StoreError> {
        self.set_setting(keys::LANGUAGE, &language)
    }
}

/// Rejects a file that is not SQLite by its first bytes, before SQLite opens
/// it. An empty or missing file is a new database.
fn check_header(path: &Path) -> Result<(), StoreError> {
    let read_error = |source| StoreError::Read {
        path: path.to_owned(),
        source,
    };
    // Metadata only, never open(): closing any descriptor of the file drops
    // every POSIX lock this process holds on it, including those of its open
    // SQLite connections, and another process closing its own connection
    // (the CLI, sqlite3) would then take itself for the last one and delete
    // the WAL under them: their later reads go stale and their writes are
    // lost. SQLite checks the header itself in `inspect` (NotADatabase).
    let length = match std::fs::metadata(path) {
        Ok(metadata) => metadata.len(),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return create_private_file(path).map_err(read_error);
        }
        Err(error) => return Err(read_error(error)),
    };
    if length != 0 && length < SQLITE_HEADER_LEN {
        return Err(StoreError::Corrupt {
            path: path.to_owned(),
            detail: "shorter than an SQLite header".to_owned(),
        });
    }
    Ok(())
}

/// Creates the empty database file readable by its owner only; SQLite gives
/// its -wal and -shm files the same permissions.
fn create_private_file(path: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Err(error) if error.kind() != io::ErrorKind::AlreadyExists => Err(error),
        _ => Ok(()),
    }
}

/// Read-only checks run before the first write to the file.
fn inspect(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let classify = |source: rusqlite::Error| match source.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) => StoreError::Corrupt {
            path: path.to_owned(),
            detail: source.to_string(),
        },
        _ => StoreError::Open {
            path: path.to_owned(),
            source,
        },
    };
    let user_version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(classify)?;
    if user_version > SCHEMA_VERSION as i64 {
        return Err(StoreError::TooNew {
            path: path.to_owned(),
            found: user_version,
            supported: SCHEMA_VERSION,
        });
    }
    let application_id: i32 = conn
        .pragma_query_value(None, "application_id", |row| row.get(0))
        .map_err(classify)?;
    let has_tables: bool = conn
        .query_row("SELECT EXISTS (SELECT 1 FROM sqlite_schema)", [], |row| row.get(0))
        .map_err(classify)?;
    let ours = application_id == APPLICATION_ID || (application_id == 0 && user_version == 0 && !has_tables);
    if !ours {
        return Err(StoreError::Foreign {
            path: path.to_owned(),
            application_id,
        });
    }
    let problems: Vec<String> = conn
        .prepare("PRAGMA quick_check")
        .and_then(|mut statement| statement.query_map([], |row| row.get(0))?.collect())
        .map_err(classify)?;
    if problems.iter().any(|line| line != "ok") {
        return Err(StoreError::Corrupt {
            path: path.to_owned(),
            detail: problems.join("; "),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(file: &str) -> usize {
        file.split('_')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{file}: name must start with NNNN_"))
    }

    #[test]
    fn replace_with_brings_the_new_content_to_connections_already_open() {
        let dir = tempfile::tempdir().unwrap();
        let (path, other) = (dir.path().join("store.sqlite3"), dir.path().join("other.sqlite3"));
        let mut store = Store::open_file(&path).unwrap();
        let reader = Store::open_file(&path).unwrap();
        store.set_setting("language", "en").unwrap();
        Store::open_file(&other).unwrap().set_setting("language", "ar").unwrap();
        assert_eq!(reader.setting::<String>("language").unwrap().as_deref(), Some("en"));

        store.replace_with(&other).unwrap();
        assert_eq!(reader.setting::<String>("language").unwrap().as_deref(), Some("ar"));
        store.set_setting("language", "fr").unwrap();
        assert_eq!(reader.setting::<String>("language").unwrap().as_deref(), Some("fr"), "one database still, not two");
    }

    #[test]
    fn migration_list_matches_the_folder() {
        for (position, file) in MIGRATION_FILES.iter().enumerate() {
            assert_eq!(
                number(file),
                position + 1,
                "{file} is listed at schema version {}",
                position + 1
            );
        }
        let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut on_disk: Vec<String> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".sql"))
            .collect();
        on_disk.sort();
        // Files up to the first missing number must be listed; later ones wait
        // for the gap to fill.
        for (expected, file) in (1..).zip(&on_disk) {
            if number(file) != expected {
                eprintln!("migration {file} waits: {expected:04} does not exist yet");
                break;
            }
            assert!(MIGRATION_FILES.contains(&file.as_str()), "{file} exists but is not in migration_files! (store.rs)");
        }
        MIGRATIONS.validate().unwrap();
    }
}
