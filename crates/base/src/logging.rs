//! Tracing to a daily-rotated log file in the data directory, with two
//! redaction guards so a secret never reaches the file:
//!
//! 1. Field names: a field whose name contains a word such as `password`,
//!    `passphrase`, `secret`, `otp`, `token`, `private` or `authorization`
//!    is written as `[REDACTED]` whatever its value (see [`is_secret_field`]).
//! 2. Known values: every secret registered with [`redact`] (the secret stores
//!    register each one they see; other code registers OTPs and the like) is
//!    masked in the finished line, as raw text, Rust-escaped text, base64 and
//!    hex, and line by line for multi-line secrets such as PEM.
//!
//! `Sensitive` values print as `[REDACTED]` through `Debug` on their own;
//! these guards catch a secret that was exposed and then logged by mistake.
//!
//! The level comes from `FATOORA_ONBOARD_LOG` (tracing's filter syntax,
//! default `info`).

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{PoisonError, RwLock};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use tracing::Subscriber;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::field::MakeExt;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::debug_fn;
use zeroize::Zeroizing;

use crate::i18n::{Localized, isolate, ltr};
use crate::paths::DataDir;

pub const LOG_VAR: &str = "FATOORA_ONBOARD_LOG";
pub const LOG_FILE_PREFIX: &str = "fatoora-onboard";
pub const LOG_FILE_SUFFIX: &str = "log";
/// Two weeks of daily files: enough to cover an onboarding that went wrong
/// and was reported days later.
const KEPT_LOG_FILES: usize = 14;
const MASK: &[u8] = b"[REDACTED]";
/// Shorter values are not secrets worth the name (the shortest real one is a
/// 6-digit OTP), and masking them would garble every line: one letter, say.
const MIN_SECRET: usize = 4;
/// Shorter fragments of a secret (such as one PEM line) are not masked on
/// their own: they would mask ordinary words.
const MIN_FRAGMENT: usize = 16;

const SECRET_FIELD_WORDS: &[&str] = &[
    "password",
    "passphrase",
    "secret",
    "otp",
    "token",
    "private",
    "authorization",
    "credential",
    "pin",
];

#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    #[error("cannot create the log folder {path}: {source}")]
    Folder { path: PathBuf, source: io::Error },
    #[error("cannot open a log file in {path}: {detail}")]
    File { path: PathBuf, detail: String },
    #[error("a global logger is already installed")]
    AlreadyInstalled,
}

impl LoggingError {
    pub fn explain(&self) -> Localized {
        match self {
            LoggingError::Folder { path, .. } | LoggingError::File { path, .. } => Localized::new(
                format!(
                    "Cannot write logs to {} ({self}). Check the data folder's permissions, or choose another with --data-dir.",
                    path.display()
                ),
                format!(
                    "تعذّرت كتابة السجلات في {} ({error}). تحقّق من صلاحيات مجلد البيانات أو اختر مجلدًا آخر عبر ‎--data-dir‎.",
                    ltr(path.display()),
                    error = isolate(self)
                ),
            ),
            LoggingError::AlreadyInstalled => Localized::new(
                "Logging was set up twice. This is a bug; please report it.",
                "تمت تهيئة السجلات مرتين. هذا خطأ برمجي؛ يُرجى الإبلاغ عنه.",
            ),
        }
    }
}

/// Whether a field with this name is never written, whatever its value:
/// any of its `_`/`-`/`.`-separated words is a secret's name.
pub fn is_secret_field(name: &str) -> bool {
    name.split(['_', '-', '.']).any(|word| {
        SECRET_FIELD_WORDS
            .iter()
            .any(|secret| word.eq_ignore_ascii_case(secret))
    })
}

static SECRETS: RwLock<Vec<Zeroizing<Vec<u8>>>> = RwLock::new(Vec::new());

/// Registers a secret so it is masked in every later log line, in the forms
/// it is likely to take there. Cheap to call again with the same secret.
pub fn redact(secret: &[u8]) {
    if secret.len() < MIN_SECRET {
        return;
    }
    let mut forms: Vec<Zeroizing<Vec<u8>>> = vec![Zeroizing::new(secret.to_vec())];
    forms.push(Zeroizing::new(BASE64.encode(secret).into_bytes()));
    forms.push(Zeroizing::new(hex(secret).into_bytes()));
    if let Ok(text) = std::str::from_utf8(secret) {
        let escaped = Zeroizing::new(format!("{text:?}"));
        forms.push(Zeroizing::new(escaped.trim_matches('"').as_bytes().to_vec()));
        forms.extend(
            text.lines()
                .map(str::trim)
                .filter(|line| line.len() >= MIN_FRAGMENT && line.len() < text.len())
                .map(|line| Zeroizing::new(line.as_bytes().to_vec())),
        );
    }
    let mut secrets = SECRETS.write().unwrap_or_else(PoisonError::into_inner);
    for form in forms {
        if !secrets.iter().any(|known| **known == *form) {
            secrets.push(form);
        }
    }
    // Longest first, so a secret is masked whole before its fragments.
    secrets.sort_by_key(|form| std::cmp::Reverse(form.len()));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// `line` with every registered secret replaced by `[REDACTED]`.
pub fn mask(line: &[u8]) -> Vec<u8> {
    let secrets = SECRETS.read().unwrap_or_else(PoisonError::into_inner);
    let mut current = Zeroizing::new(line.to_vec());
    for secret in secrets.iter() {
        if find(&current, secret).is_none() {
            continue;
        }
        let mut masked = Vec::with_capacity(current.len());
        let mut rest = current.as_slice();
        while let Some(at) = find(rest, secret) {
            masked.extend_from_slice(&rest[..at]);
            masked.extend_from_slice(MASK);
            rest = &rest[at + secret.len()..];
        }
        masked.extend_from_slice(rest);
        current = Zeroizing::new(masked);
    }
    std::mem::take(&mut *current)
}

/// A plain scan: log lines are short and the registered secrets few, and
/// unlike a prebuilt automaton it keeps no unzeroized copy of them.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|window| window == needle)
}

/// Wraps a writer factory so each finished event is masked before it is
/// written. tracing's fmt layer formats a whole event, then writes it
/// through one writer, so masking per writer sees whole lines.
#[derive(Debug)]
pub struct Redacting<M>(pub M);

pub struct RedactingWriter<W: Write> {
    inner: W,
    buffer: Zeroizing<Vec<u8>>,
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Redacting<M> {
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter {
            inner: self.0.make_writer(),
            buffer: Zeroizing::new(Vec::new()),
        }
    }
}

impl<W: Write> RedactingWriter<W> {
    fn drain(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let masked = Zeroizing::new(mask(&self.buffer));
        self.buffer.clear();
        self.inner.write_all(&masked)
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.drain()?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        // Nowhere to report a failed log write; the event is lost, not leaked.
        let _ = self.flush();
    }
}

/// A subscriber writing redacted lines to a daily-rotated file in `log_dir`.
/// For tests and embedders; the app calls [`init`].
pub fn file_subscriber(log_dir: &Path) -> Result<impl Subscriber + Send + Sync + 'static, LoggingError> {
    crate::paths::create_private_dir(log_dir).map_err(|source| LoggingError::Folder {
        path: log_dir.to_owned(),
        source,
    })?;
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(LOG_FILE_PREFIX)
        .filename_suffix(LOG_FILE_SUFFIX)
        .max_log_files(KEPT_LOG_FILES)
        .build(log_dir)
        .map_err(|error| LoggingError::File {
            path: log_dir.to_owned(),
            detail: error.to_string(),
        })?;
    let fields = debug_fn(|writer, field, value| {
        let name = field.name();
        if is_secret_field(name) {
            write!(writer, "{name}=[REDACTED]")
        } else if name == "message" {
            write!(writer, "{value:?}")
        } else {
            write!(writer, "{name}={value:?}")
        }
    })
    .delimited(" ");
    let filter = EnvFilter::try_from_env(LOG_VAR).unwrap_or_else(|_| EnvFilter::new("info"));
    Ok(tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_target(true)
        .fmt_fields(fields)
        .with_writer(Redacting(appender))
        .finish())
}

/// Sends this process's tracing events to `<data dir>/logs/`.
pub fn init(data_dir: &DataDir) -> Result<PathBuf, LoggingError> {
    let log_dir = data_dir.logs();
    let subscriber = file_subscriber(&log_dir)?;
    tracing::subscriber::set_global_default(subscriber).map_err(|_| LoggingError::AlreadyInstalled)?;
    Ok(log_dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_that_hold_secrets() {
        for name in [
            "password",
            "private_key",
            "otp",
            "csid_secret",
            "binary-security-token",
            "Authorization",
        ] {
            assert!(is_secret_field(name), "{name} not treated as secret");
        }
        for name in ["name", "environment", "path", "vat_number", "keychain", "status"] {
            assert!(!is_secret_field(name), "{name} treated as secret");
        }
    }

    #[test]
    fn masks_a_registered_secret_in_all_its_forms() {
        let secret = "line-one-of-a-secret-key\nline-two-of-a-secret-key";
        redact(secret.as_bytes());
        let line = format!(
            "raw={secret} debug={secret:?} b64={} hex={} fragment=line-two-of-a-secret-key end",
            BASE64.encode(secret),
            hex(secret.as_bytes())
        );
        let masked = String::from_utf8(mask(line.as_bytes())).unwrap();
        assert!(!masked.contains("secret-key"), "{masked}");
        assert!(!masked.contains(&BASE64.encode(secret)), "{masked}");
        assert!(masked.starts_with("raw=[REDACTED] debug=\"[REDACTED]\""), "{masked}");
        assert!(masked.ends_with("fragment=[REDACTED] end"), "{masked}");
    }
}
