//! Secret custody: private keys, CSID secrets and OTPs.
//!
//! A secret in memory is a [`Sensitive`]: it cannot be displayed, its `Debug`
//! says `[REDACTED]`, it has no `Serialize` and no `ToSql` (so it cannot reach
//! the UI state or the database by accident), and it is zeroized on drop.
//!
//! At rest a secret lives in a [`SecretStore`] under a [`SecretName`] that
//! the owning crate builds, e.g. `unit/<id>/<env>/private-key`:
//! - [`KeyringStore`], the default: the OS keychain (the Secret Service on
//!   Linux, one D-Bus session per process; Credential Manager on Windows and
//!   Keychain on macOS through `keyring` 3);
//! - [`EncryptedFileStore`], opt-in for headless servers without a keychain:
//!   one file in the data directory, Argon2id + XChaCha20-Poly1305, the
//!   [`envelope`] the backup file uses too.
//!
//! A [`SecretCache`] in front of either serves one unit's run, so each of
//! its secrets crosses to the store once.
//!
//! Every secret that passes through a store is registered with
//! [`crate::logging::redact`], so it is masked should it ever reach a log line.

mod cache;
pub mod envelope;
mod file;
mod keychain;
#[cfg(any(test, feature = "test-support"))]
mod memory;

use std::fmt;
use std::io::IsTerminal;
use std::path::PathBuf;

use secrecy::{ExposeSecret, ExposeSecretMut, SecretBox};
use zeroize::Zeroize;

use crate::i18n::{Localized, isolate, ltr};
use crate::paths::DataDir;

pub use cache::SecretCache;
pub use file::EncryptedFileStore;
pub use keychain::KeyringStore;
#[cfg(any(test, feature = "test-support"))]
pub use memory::MemorySecretStore;

/// Chooses the store: `keychain` (default) or `file`.
pub const BACKEND_VAR: &str = "FATOORA_ONBOARD_SECRET_STORE";
/// The encrypted-file store's passphrase, for unattended servers.
pub const PASSPHRASE_VAR: &str = "FATOORA_ONBOARD_PASSPHRASE";

/// The installation's salt for the journal's OTP hashes (onboarding makes it,
/// custody backs it up with the units' secrets).
pub const OTP_SALT_SECRET: &str = "onboarding/otp-salt";

/// A value that must never be shown, logged or stored in the clear.
pub struct Sensitive<T: Zeroize>(SecretBox<T>);

impl<T: Zeroize> Sensitive<T> {
    pub fn new(value: T) -> Self {
        Self(SecretBox::new(Box::new(value)))
    }

    /// The one way to read the value. Callers pass it straight to the code
    /// that needs it (a signer, a keychain) and keep no copy.
    pub fn expose(&self) -> &T {
        self.0.expose_secret()
    }

    /// For filling a secret in place (a derived key), so no copy is left
    /// on the stack.
    pub(crate) fn expose_mut(&mut self) -> &mut T {
        self.0.expose_secret_mut()
    }
}

impl<T: Zeroize + Clone> Clone for Sensitive<T> {
    fn clone(&self) -> Self {
        Self::new(self.expose().clone())
    }
}

impl<T: Zeroize> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sensitive([REDACTED])")
    }
}

impl<T: Zeroize> From<T> for Sensitive<T> {
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

/// The secret bytes a [`SecretStore`] keeps.
pub type SecretBytes = Sensitive<Vec<u8>>;

/// Where a secret is kept, e.g. `unit/3f2a/simulation/private-key`: segments
/// of ASCII letters, digits, `.`, `_` and `-`, separated by `/`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SecretName(String);

impl SecretName {
    pub const MAX_LEN: usize = 200;

    pub fn new(name: impl Into<String>) -> Result<Self, SecretError> {
        let name = name.into();
        let rule = if name.is_empty() || name.len() > Self::MAX_LEN {
            Some("1 to 200 characters")
        } else if name
            .split('/')
            .any(|segment| segment.is_empty() || segment == "." || segment == "..")
        {
            Some("no empty, \".\" or \"..\" segments")
        } else if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-/".contains(&b)) {
            Some("only ASCII letters, digits, '.', '_', '-' and '/'")
        } else {
            None
        };
        match rule {
            Some(rule) => Err(SecretError::InvalidName { name, rule }),
            None => Ok(Self(name)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SecretName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Keeps secrets by name. Implementations register every secret they see
/// with the log redactor.
pub trait SecretStore: Send + Sync {
    /// Stores `secret` under `name`, replacing any previous one.
    fn put(&self, name: &SecretName, secret: &SecretBytes) -> Result<(), SecretError>;
    /// `None` when nothing is stored under `name`.
    fn get(&self, name: &SecretName) -> Result<Option<SecretBytes>, SecretError>;
    /// Whether something was there to delete.
    fn delete(&self, name: &SecretName) -> Result<bool, SecretError>;
    /// Which kind of store this is, for `info` and the evidence pack.
    fn backend(&self) -> SecretBackend;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecretBackend {
    #[default]
    Keychain,
    EncryptedFile,
    /// Tests only: nothing leaves memory.
    Memory,
}

impl SecretBackend {
    /// From [`BACKEND_VAR`]: unset or `keychain` for the OS keychain, `file`
    /// for the encrypted file.
    pub fn from_env() -> Result<Self, SecretError> {
        match std::env::var(BACKEND_VAR).ok().as_deref().map(str::trim) {
            None | Some("") | Some("keychain") => Ok(Self::Keychain),
            Some("file") => Ok(Self::EncryptedFile),
            Some(other) => Err(SecretError::UnknownBackend {
                given: other.to_owned(),
            }),
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Self::Keychain => "keychain",
            Self::EncryptedFile => "file",
            Self::Memory => "memory",
        }
    }
}

/// The encrypted-file store's passphrase.
#[derive(Debug)]
pub struct Passphrase(Sensitive<String>);

impl Passphrase {
    /// At least this many characters for a new file: it is the only thing
    /// between a copied file and the keys inside it.
    pub const MIN_CHARS: usize = 12;

    pub fn new(passphrase: String) -> Self {
        crate::logging::redact(passphrase.as_bytes());
        Self(Sensitive::new(passphrase))
    }

    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// [`PASSPHRASE_VAR`] if set, else a prompt on the terminal; an error when
    /// there is neither (a service without a terminal must set the variable).
    pub fn from_env_or_prompt() -> Result<Self, SecretError> {
        if let Some(value) = std::env::var_os(PASSPHRASE_VAR) {
            let value = value.into_string().map_err(|_| SecretError::PassphraseMissing)?;
            return Ok(Self::new(value));
        }
        if !std::io::stdin().is_terminal() {
            return Err(SecretError::PassphraseMissing);
        }
        rpassword::prompt_password("Passphrase for the secrets file / عبارة المرور لملف الأسرار: ")
            .map(Self::new)
            .map_err(|source| SecretError::Io {
                path: PathBuf::from("<terminal>"),
                source,
            })
    }
}

/// Opens the store the user chose with [`BACKEND_VAR`]; the file store asks
/// for its passphrase with [`Passphrase::from_env_or_prompt`].
pub fn open_secret_store(data_dir: &DataDir, backend: SecretBackend) -> Result<Box<dyn SecretStore>, SecretError> {
    match backend {
        SecretBackend::Keychain => Ok(Box::new(KeyringStore::default())),
        SecretBackend::EncryptedFile => {
            let passphrase = Passphrase::from_env_or_prompt()?;
            Ok(Box::new(EncryptedFileStore::open(
                data_dir.secrets_file(),
                &passphrase,
            )?))
        }
        SecretBackend::Memory => Err(SecretError::UnknownBackend { given: "memory".into() }),
    }
}

/// For a command that will use the secret store at once and opens the
/// database first: starts reaching the keychain on another thread. On Linux
/// that is the D-Bus connection and the Secret Service session, whose
/// Diffie-Hellman exchange costs a few milliseconds in this process and in
/// the daemon; `csr new` overlaps it with opening and checking the database
/// (issue 16). Asks nothing of the user: a locked keychain is unlocked only
/// when a secret is written or read, and a failure here is left for that
/// first use to report. Nothing for Windows and macOS, which have no
/// session, nor for the file store, whose passphrase is asked in order.
pub fn open_ahead() {
    if matches!(SecretBackend::from_env(), Ok(SecretBackend::Keychain)) {
        keychain::open_ahead();
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("invalid secret name {name:?}: {rule}")]
    InvalidName { name: String, rule: &'static str },
    #[error("unknown secret store {given:?}: use keychain or file")]
    UnknownBackend { given: String },
    #[error("the OS keychain is not reachable: {detail}")]
    KeychainUnavailable { detail: String },
    #[error("the OS keychain is locked or refused access: {detail}")]
    KeychainLocked { detail: String },
    #[error("the OS keychain failed: {detail}")]
    Keychain { detail: String },
    #[error("the secret {name} is {size} bytes; a keychain item holds at most {limit}")]
    TooLargeForKeychain { name: String, size: usize, limit: usize },
    #[error("wrong passphrase for the secrets file {path} (or the file was altered)")]
    WrongPassphrase { path: PathBuf },
    #[error("no passphrase for the secrets file: set {PASSPHRASE_VAR} or run from a terminal")]
    PassphraseMissing,
    #[error("the passphrase is too short: at least {min} characters")]
    WeakPassphrase { min: usize },
    #[error("the secrets file {path} is damaged: {detail}")]
    FileCorrupt { path: PathBuf, detail: String },
    #[error("the secrets file {path} was written by a newer version (format {found})")]
    FileTooNew { path: PathBuf, found: u32 },
    #[error("cannot read or write {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

impl SecretError {
    /// What happened and what to do next, for the user. Never contains a
    /// secret: no variant carries one.
    pub fn explain(&self) -> Localized {
        match self {
            SecretError::InvalidName { name, rule } => Localized::new(
                format!("The secret name {name:?} breaks the rule: {rule}. This is a bug; please report it."),
                format!("اسم السر «{}» يخالف القاعدة: {rule}. هذا خطأ برمجي؛ يُرجى الإبلاغ عنه.", ltr(name)),
            ),
            SecretError::UnknownBackend { given } => Localized::new(
                format!("{BACKEND_VAR}={given:?} is not a secret store. Use keychain (the default) or file."),
                format!("القيمة {given:?} في {BACKEND_VAR} ليست مخزنًا للأسرار. استخدم keychain (الافتراضي) أو file."),
            ),
            SecretError::KeychainUnavailable { detail } => Localized::new(
                format!(
                    "The operating system's keychain cannot be reached ({detail}). On a desktop, log in to a graphical session with a keyring (GNOME Keyring, KWallet). On a headless server, use the encrypted-file store instead: set {BACKEND_VAR}=file and {PASSPHRASE_VAR}, or enter the passphrase when asked."
                ),
                format!(
                    "تعذّر الوصول إلى سلسلة مفاتيح نظام التشغيل ({detail}). على سطح المكتب، سجّل الدخول إلى جلسة رسومية فيها سلسلة مفاتيح (GNOME Keyring أو KWallet). على خادم بلا واجهة، استخدم مخزن الملف المشفّر بدلا منها: عيّن {BACKEND_VAR}=file و{PASSPHRASE_VAR}، أو أدخل عبارة المرور عند طلبها.",
                    detail = isolate(detail)
                ),
            ),
            SecretError::KeychainLocked { detail } => Localized::new(
                format!(
                    "The keychain is locked or refused access ({detail}). Unlock it (log in again, or unlock the \"login\" keyring) and retry; on a headless server use {BACKEND_VAR}=file."
                ),
                format!(
                    "سلسلة المفاتيح مقفلة أو رفضت الوصول ({detail}). افتح قفلها (سجّل الدخول من جديد أو افتح سلسلة \"login\") ثم أعد المحاولة؛ وعلى خادم بلا واجهة استخدم {BACKEND_VAR}=file.",
                    detail = isolate(detail)
                ),
            ),
            SecretError::Keychain { detail } => Localized::new(
                format!(
                    "The keychain reported an error ({detail}). Retry; if it persists, report it with the log file."
                ),
                format!("أبلغت سلسلة المفاتيح عن خطأ ({detail}). أعد المحاولة، وإن تكرر فأبلغ عنه مع ملف السجل.", detail = isolate(detail)),
            ),
            SecretError::TooLargeForKeychain { name, size, limit } => Localized::new(
                format!(
                    "The secret {name} is {size} bytes, more than the {limit} bytes a Windows Credential Manager item can hold, so it was not stored (nothing was changed). Keep it in the encrypted-file store instead: set {BACKEND_VAR}=file and {PASSPHRASE_VAR}."
                ),
                format!(
                    "حجم السر {name} هو {size} بايت، وهذا أكبر من {limit} بايت التي يتسع لها عنصر واحد في مدير بيانات الاعتماد في Windows، لذا لم يُخزَّن (ولم يتغير شيء). احفظه في مخزن الملف المشفّر بدلا من ذلك: عيّن {BACKEND_VAR}=file و{PASSPHRASE_VAR}.",
                    name = ltr(name)
                ),
            ),
            SecretError::WrongPassphrase { path } => Localized::new(
                format!(
                    "The passphrase does not open the secrets file {} (or the file was altered). Check {PASSPHRASE_VAR} or retype it. Without the right passphrase the keys inside cannot be recovered; the file was left untouched.",
                    path.display()
                ),
                format!(
                    "عبارة المرور لا تفتح ملف الأسرار {} (أو أن الملف عُدِّل). تحقّق من {PASSPHRASE_VAR} أو أعد كتابتها. لا يمكن استعادة المفاتيح بدون عبارة المرور الصحيحة؛ ولم يُعدَّل الملف.",
                    ltr(path.display())
                ),
            ),
            SecretError::PassphraseMissing => Localized::new(
                format!(
                    "The encrypted secrets file needs a passphrase. Set {PASSPHRASE_VAR} (for services) or run the command in a terminal to type it."
                ),
                format!(
                    "ملف الأسرار المشفّر يحتاج إلى عبارة مرور. عيّن {PASSPHRASE_VAR} (للخدمات) أو شغّل الأمر في طرفية لكتابتها."
                ),
            ),
            SecretError::WeakPassphrase { min } => Localized::new(
                format!("The passphrase must have at least {min} characters. Choose a longer one."),
                format!("يجب ألا تقل عبارة المرور عن {min} حرفًا. اختر عبارة أطول."),
            ),
            SecretError::FileCorrupt { path, detail } => Localized::new(
                format!(
                    "The secrets file {} is damaged ({detail}). It was left untouched; restore it from a backup.",
                    path.display()
                ),
                format!(
                    "ملف الأسرار {} تالف ({detail})، ولم يُعدَّل. استعده من نسخة احتياطية.",
                    ltr(path.display()),
                    detail = isolate(detail)
                ),
            ),
            SecretError::FileTooNew { path, found } => Localized::new(
                format!(
                    "The secrets file {} was written by a newer version of Fatoora Onboard (format {found}). It was left untouched; install the newer version again.",
                    path.display()
                ),
                format!(
                    "ملف الأسرار {} أنشأه إصدار أحدث من Fatoora Onboard (الصيغة {found})، ولم يُعدَّل. ثبّت الإصدار الأحدث مجددًا.",
                    ltr(path.display())
                ),
            ),
            SecretError::Io { path, source } => Localized::new(
                format!(
                    "Cannot read or write {} ({source}). Check the folder's permissions and free space.",
                    path.display()
                ),
                format!(
                    "تعذّرت القراءة من {} أو الكتابة إليه ({source}). تحقّق من صلاحيات المجلد والمساحة المتاحة.",
                    ltr(path.display()),
                    source = isolate(source)
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_rule() {
        assert!(SecretName::new("unit/3f2a/simulation/private-key").is_ok());
        for bad in [
            "",
            "unit//key",
            "unit/../key",
            "unit/key/",
            "unit/ключ",
            "unit key",
            &"a".repeat(201),
        ] {
            assert!(SecretName::new(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Sensitive::new(String::from("hunter2-marker"));
        assert_eq!(format!("{secret:?}"), "Sensitive([REDACTED])");
        assert_eq!(
            format!("{:?}", Passphrase::new("hunter2-marker".into())),
            "Passphrase(Sensitive([REDACTED]))"
        );
    }
}
