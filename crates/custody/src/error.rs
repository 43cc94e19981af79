use std::path::PathBuf;

use fatoora_base::i18n::{isolate, ltr};
use fatoora_base::input::{InputError, KIB, human_size};
use fatoora_base::secrets::SecretError;
use fatoora_base::secrets::envelope::KdfWindow;
use fatoora_base::store::{StoreError, rusqlite};
use fatoora_base::{Environment, Localized};

#[derive(Debug, thiserror::Error)]
pub enum CustodyError {
    #[error("wrong passphrase for the backup, or the backup file was altered")]
    WrongPassphrase,
    #[error("not a Fatoora Onboard backup: {detail}")]
    NotABackup { detail: String },
    #[error("the backup was written by a newer version (format {found})")]
    TooNew { found: u32 },
    /// The header asks the KDF for more than fatoora-base's `KdfWindow::ACCEPTED`;
    /// refused before the KDF runs.
    #[error("the backup asks the key derivation for {memory_kib} KiB, {iterations} passes and {parallelism} lanes, more than this version accepts")]
    KdfTooCostly { memory_kib: u32, iterations: u32, parallelism: u32 },
    #[error("the passphrase is too short: at least {min} characters")]
    WeakPassphrase { min: usize },
    #[error("the data directory {path} already holds units; pass replace to overwrite it")]
    TargetNotEmpty { path: PathBuf },
    #[error("no unit {0:?}")]
    UnitNotFound(String),
    #[error("unit {unit} has no production CSID in {environment}")]
    NotIssued { unit: String, environment: Environment },
    #[error("the secret {name} named in the database is missing from the secret store")]
    SecretMissing { name: String },
    #[error("the private key in the secret store cannot be read")]
    Key,
    #[error("cannot read or write {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secret(#[from] SecretError),
}

impl From<rusqlite::Error> for CustodyError {
    fn from(error: rusqlite::Error) -> Self {
        CustodyError::Store(StoreError::Sqlite(error))
    }
}

impl CustodyError {
    /// Whether the user can fix it by what they typed or chose (CLI exit 2).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            CustodyError::WrongPassphrase
                | CustodyError::NotABackup { .. }
                | CustodyError::TooNew { .. }
                | CustodyError::KdfTooCostly { .. }
                | CustodyError::WeakPassphrase { .. }
                | CustodyError::TargetNotEmpty { .. }
                | CustodyError::UnitNotFound(_)
                | CustodyError::NotIssued { .. }
                | CustodyError::Input(InputError::TooLarge { .. })
        )
    }

    pub fn explain(&self) -> Localized {
        match self {
            CustodyError::WrongPassphrase => Localized::new(
                "The passphrase does not open this backup, or the file was altered after it was made. Nothing was restored or overwritten. Check the passphrase (it is case-sensitive) or use another copy of the backup.",
                "عبارة المرور لا تفتح هذه النسخة الاحتياطية، أو أن الملف عُدِّل بعد إنشائه. لم يُستعد أو يُستبدل أي شيء. تحقّق من عبارة المرور (تميّز بين الأحرف الكبيرة والصغيرة) أو استخدم نسخة أخرى.",
            ),
            CustodyError::NotABackup { detail } => Localized::new(
                format!("This file is not a Fatoora Onboard backup ({detail}). Nothing was changed. Choose the .fobak file made by the backup command."),
                format!("هذا الملف ليس نسخة احتياطية من Fatoora Onboard ({detail}). لم يتغيّر شيء. اختر ملف ‎.fobak‎ الذي أنشأه أمر النسخ الاحتياطي.", detail = isolate(detail)),
            ),
            CustodyError::TooNew { found } => Localized::new(
                format!("The backup was made by a newer version of Fatoora Onboard (format {found}). Nothing was changed; install the newer version to restore it."),
                format!("أُنشئت النسخة الاحتياطية بإصدار أحدث من Fatoora Onboard (الصيغة {found}). لم يتغيّر شيء؛ ثبّت الإصدار الأحدث لاستعادتها."),
            ),
            CustodyError::KdfTooCostly { memory_kib, iterations, parallelism } => {
                let window = KdfWindow::ACCEPTED;
                let asked = human_size(u64::from(*memory_kib) * KIB);
                let (ours, most) = (human_size(u64::from(KdfWindow::WRITTEN_MEMORY_KIB) * KIB), human_size(u64::from(window.max_memory_kib) * KIB));
                let (passes, max_passes, max_lanes, factor) = (KdfWindow::WRITTEN_ITERATIONS, window.max_iterations, window.max_parallelism, KdfWindow::FACTOR);
                Localized::new(
                    format!(
                        "This backup asks its key derivation for {asked} of memory, {iterations} passes and {parallelism} lanes. Fatoora Onboard writes {ours} and {passes} passes, and accepts at most {most}, {max_passes} passes, {max_lanes} lanes and {factor} times its usual work, so the file was refused before the passphrase was tried. Nothing was changed. Choose a .fobak file made by Fatoora Onboard's backup command."
                    ),
                    format!(
                        "تطلب هذه النسخة الاحتياطية لاشتقاق المفتاح ذاكرة قدرها {asked}، وعدد تمريرات {iterations}، وعدد مسارات {parallelism}. يكتب Fatoora Onboard ذاكرة قدرها {ours} وعدد تمريرات {passes}، ولا يقبل أكثر من {most}، وعدد تمريرات {max_passes}، وعدد مسارات {max_lanes}، و{factor} أضعاف عمله المعتاد؛ لذلك رُفض الملف قبل تجربة عبارة المرور. لم يتغيّر شيء. اختر ملف ‎.fobak‎ أنشأه أمر النسخ الاحتياطي في Fatoora Onboard."
                    ),
                )
            }
            CustodyError::WeakPassphrase { min } => Localized::new(
                format!("The backup passphrase must have at least {min} characters: it is all that protects the keys inside. Choose a longer one."),
                format!("يجب ألا تقل عبارة مرور النسخة الاحتياطية عن {min} حرفًا، فهي كل ما يحمي المفاتيح بداخلها. اختر عبارة أطول."),
            ),
            CustodyError::TargetNotEmpty { path } => Localized::new(
                format!("The data folder {} already holds units. Nothing was changed. Restore into an empty folder with --data-dir, or pass --replace to overwrite this one.", path.display()),
                format!("مجلد البيانات {} يحتوي على وحدات بالفعل. لم يتغيّر شيء. استعد النسخة إلى مجلد فارغ عبر ‎--data-dir‎، أو مرّر ‎--replace‎ لاستبداله.", ltr(path.display())),
            ),
            CustodyError::UnitNotFound(reference) => Localized::new(
                format!("No unit {reference:?}. Run fatoora-onboard units list to see the units and their ids."),
                format!("لا توجد وحدة {reference:?}. شغّل fatoora-onboard units list لعرض الوحدات ومعرّفاتها."),
            ),
            CustodyError::NotIssued { unit, environment } => Localized::new(
                format!("Unit {unit} has no production CSID in {environment}, so there is nothing for invoicing software yet. Onboard it first."),
                format!("لا تملك الوحدة {} معرّف ختم تشفيري للإنتاج في {}، فلا يوجد ما يُصدَّر لبرنامج الفوترة بعد. اربطها أولا.", ltr(unit), environment.label().ar),
            ),
            CustodyError::SecretMissing { name } => Localized::new(
                format!("The secret {name} is recorded here but is not in the secret store (was the keychain reset, or is another store selected?). Select the store that holds it, or restore a backup."),
                format!("السر {name} مسجَّل هنا لكنه غير موجود في مخزن الأسرار (هل أُعيد ضبط سلسلة المفاتيح أو اختير مخزن آخر؟). اختر المخزن الذي يحتويه أو استعد نسخة احتياطية.", name = ltr(name)),
            ),
            CustodyError::Key => Localized::new(
                "The private key in the secret store cannot be read. Restore it from a backup.",
                "تعذّرت قراءة المفتاح الخاص في مخزن الأسرار. استعده من نسخة احتياطية.",
            ),
            CustodyError::Io { path, source } => Localized::new(
                format!("Cannot read or write {} ({source}). Check the folder's permissions and free space.", path.display()),
                format!("تعذّرت القراءة من {} أو الكتابة إليه ({source}). تحقّق من صلاحيات المجلد والمساحة المتاحة.", ltr(path.display()), source = isolate(source)),
            ),
            CustodyError::Input(error) => error.explain(),
            CustodyError::Store(error) => error.explain(),
            CustodyError::Secret(error) => error.explain(),
        }
    }
}

pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> CustodyError + '_ {
    move |source| CustodyError::Io { path: path.to_owned(), source }
}
