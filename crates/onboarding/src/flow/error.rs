//! Why the onboarding flow stopped, in plain words and with a next step
//! in both languages.

use fatoora_compliance_docs::DocsError;
use fatoora_base::i18n::ltr;
use fatoora_base::secrets::SecretError;
use fatoora_base::store::rusqlite;
use fatoora_base::{Environment, Localized};
use fatoora_csr::{BuildError, KeyError};

use crate::catalogue::{Endpoint, Explanation};
use crate::client::CallError;
use crate::preflight::{self, PreflightReport};

#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error("pre-flight checks failed")]
    Preflight(PreflightReport),
    #[error("{endpoint}: {error}")]
    Call { endpoint: Endpoint, error: CallError },
    #[error("this OTP was sent in a run that ended without an answer; it may be spent")]
    OtpInDoubt { environment: Environment },
    #[error("unit {unit} has no production CSID in {environment} to renew")]
    NotIssued { unit: String, environment: Environment },
    #[error("unit {unit} is already onboarded in {environment}")]
    AlreadyIssued { unit: String, environment: Environment },
    #[error("unit {unit} is mid-renewal in {environment}; continue with `renew`")]
    RenewalInProgress { unit: String, environment: Environment },
    #[error("the client is for {client}, but the unit's CSR is for {unit}")]
    EnvironmentMismatch { client: Environment, unit: Environment },
    #[error("the private key {name} is missing from the secret store")]
    KeyMissing { name: String },
    #[error("the unit id {0:?} may only use letters, digits, '.', '_' and '-'")]
    BadUnitId(String),
    #[error("the CSR could not be built: {0}")]
    Csr(#[from] BuildError),
    #[error("the key could not be used: {0}")]
    Key(#[from] KeyError),
    #[error("the compliance documents could not be prepared: {0}")]
    Documents(#[from] DocsError),
    #[error("{0}")]
    Field(#[from] fatoora_base::values::FieldError),
    #[error("secret store: {0}")]
    Secret(#[from] SecretError),
    #[error("units: {0}")]
    Units(#[from] fatoora_units::UnitError),
    #[error("database: {0}")]
    Store(#[from] rusqlite::Error),
}

/// Where a new OTP comes from, as a clause that starts with its verb: in
/// `local` the bundled simulator mints rehearsal OTPs (the app's button, the
/// CLI's command), as the wizard's OTP step says; elsewhere the portal.
fn new_otp(environment: Environment) -> Localized {
    match environment {
        Environment::Local => Localized::new(
            "get a new rehearsal OTP with the “Get a rehearsal OTP” button in the OTP step (fatoora-onboard simulator otp on the command line)",
            format!("احصل على رمز تحقق تجريبي جديد بزر «احصل على رمز تحقق تجريبي» في خطوة رمز التحقق (أو الأمر {} في سطر الأوامر)", ltr("fatoora-onboard simulator otp")),
        ),
        // The developer portal mints none: its fixed OTPs go again.
        Environment::Sandbox => Localized::new(
            "send one of the sandbox's fixed OTPs instead: 123345 to onboard, 123456 to renew",
            "أرسل بدلا منه أحد رموز التحقق الثابتة للبيئة التجريبية للمطوّرين: 123345 للربط و123456 للتجديد",
        ),
        _ => Localized::new("generate a new OTP in the FATOORA portal", "أنشئ رمز تحقق جديدًا من بوابة «فاتورة»"),
    }
}

/// One next step after a pre-flight block, matching what blocked: an OTP
/// already sent or past its hour is done for; otherwise nothing was sent and
/// the same OTP is still good once the blocking point is fixed.
fn preflight_next_step(failed: &[&preflight::Check], environment: Environment) -> Localized {
    use preflight::{CheckId, Outcome};
    let failed_check = |id: CheckId| failed.iter().any(|c| c.id == id && c.outcome == Outcome::Failed);
    let new = new_otp(environment);
    if failed_check(CheckId::OtpUnused) {
        // In a rehearsal the simulator refuses it, keeping ZATCA's rule.
        let (refused_en, refused_ar) = match environment {
            Environment::Local => ("the simulator would refuse it, as ZATCA would", "سيرفضه المحاكي كما سترفضه الهيئة"),
            _ => ("ZATCA would refuse it", "سترفضه الهيئة"),
        };
        return Localized::new(
            format!("This OTP was sent before, so {refused_en}: {} and send that one.", new.en),
            format!("أُرسل رمز التحقق هذا من قبل، ف{refused_ar}: {} وأرسله.", new.ar),
        );
    }
    if failed_check(CheckId::OtpAge) {
        return Localized::new(
            format!("By your answer this OTP's hour is over: {}, or correct the minutes if they were wrong.", new.en),
            format!("بحسب إجابتك انتهت ساعة رمز التحقق هذا: {}، أو صحّح عدد الدقائق إن كان خطأ.", new.ar),
        );
    }
    let (en, ar) = if failed_check(CheckId::GatewayReachable) {
        ("run the network diagnostics to see what to fix, then send again", "شغّل تشخيص الشبكة لمعرفة ما يجب إصلاحه، ثم أرسل من جديد")
    } else if failed.iter().any(|c| matches!(c.id, CheckId::CsrTemplate | CheckId::CsrVat | CheckId::CsrLint)) {
        ("correct the unit on the EGS units screen, then send again", "صحّح الوحدة في شاشة وحدات حل الفوترة الإلكترونية، ثم أرسل من جديد")
    } else {
        ("correct the answers above, then send again", "صحّح الإجابات أعلاه، ثم أرسل من جديد")
    };
    Localized::new(
        format!("Nothing was sent, so this OTP stays good until its hour is over: {en} with the same OTP."),
        format!("لم يُرسل شيء، فيبقى رمز التحقق هذا صالحًا حتى تنتهي ساعته: {ar} بالرمز نفسه."),
    )
}

impl FlowError {
    /// Plain words and a next step, in both languages. In `local` the
    /// simulator stands in for ZATCA and mints the OTPs, so the words say so.
    pub fn explain(&self) -> Explanation {
        let plain = |what: Localized, next: Localized| Explanation { what_happened: what, next_step: next, retry_may_help: false };
        match self {
            FlowError::Preflight(report) => {
                let environment = report.environment;
                let failed: Vec<_> = report.checks.iter().filter(|c| c.outcome != preflight::Outcome::Passed).collect();
                let (to_en, to_ar) = if environment == Environment::Local { ("the simulator", "المحاكي") } else { ("ZATCA", "الهيئة") };
                plain(
                    Localized::new(
                        format!("Nothing was sent to {to_en}: {}", failed.iter().map(|c| c.message.en.as_str()).collect::<Vec<_>>().join(" ")),
                        format!("لم يُرسل شيء إلى {to_ar}: {}", failed.iter().map(|c| c.message.ar.as_str()).collect::<Vec<_>>().join(" ")),
                    ),
                    preflight_next_step(&failed, environment),
                )
            }
            FlowError::Call { endpoint, error } => error.explain(*endpoint),
            FlowError::OtpInDoubt { environment } => {
                let new = new_otp(*environment);
                plain(
                    if *environment == Environment::Local {
                        Localized::new(
                            "This OTP was sent to the simulator in an earlier run that stopped before an answer came back, so the simulator may already have used it. The app does not send it again.",
                            "أُرسل رمز التحقق هذا إلى المحاكي في تشغيل سابق توقف قبل وصول الرد، لذا ربما استخدمه المحاكي بالفعل. لن يرسله التطبيق مرة أخرى.",
                        )
                    } else {
                        Localized::new(
                            "This OTP was sent to ZATCA in an earlier run that stopped before an answer came back, so ZATCA may already have used it. The app does not send it again.",
                            "أُرسل رمز التحقق هذا إلى الهيئة في تشغيل سابق توقف قبل وصول الرد، لذا ربما استخدمته الهيئة بالفعل. لن يرسله التطبيق مرة أخرى.",
                        )
                    },
                    Localized::new(
                        format!("To continue, {} and use it; the unit's key and CSR stay the same.", new.en),
                        format!("للمتابعة، {} واستخدمه؛ يبقى مفتاح الوحدة وطلبها كما هما.", new.ar),
                    ),
                )
            }
            FlowError::NotIssued { .. } => plain(
                Localized::new("This unit has no production CSID in this environment, so there is nothing to renew.", "لا تملك هذه الوحدة معرّف ختم تشفيري للإنتاج في هذه البيئة، فلا يوجد ما يُجدَّد."),
                Localized::new("Onboard the unit first.", "اربط الوحدة أولا."),
            ),
            FlowError::AlreadyIssued { .. } => plain(
                Localized::new("This unit is already onboarded in this environment.", "هذه الوحدة مرتبطة بالفعل في هذه البيئة."),
                Localized::new("To get a new certificate, use renewal with a renewal OTP.", "للحصول على شهادة جديدة استخدم التجديد برمز تحقق خاص بالتجديد."),
            ),
            FlowError::RenewalInProgress { .. } => plain(
                Localized::new("A renewal of this unit is under way.", "تجديد هذه الوحدة جار."),
                Localized::new("Continue it with renew.", "تابعه عبر التجديد."),
            ),
            FlowError::EnvironmentMismatch { client, unit } => plain(
                Localized::new(format!("The unit's CSR is made for {unit}, not {client}."), format!("طلب توقيع الشهادة للوحدة مُعد لبيئة {unit} وليس {client}.")),
                Localized::new("Choose the unit's environment, or prepare the unit for this one.", "اختر بيئة الوحدة، أو جهّز الوحدة لهذه البيئة."),
            ),
            FlowError::KeyMissing { name } => plain(
                Localized::new(format!("The unit's private key ({name}) is no longer in the keychain."), format!("المفتاح الخاص بالوحدة ({}) لم يعد موجودًا في سلسلة المفاتيح.", ltr(name))),
                Localized::new("Restore the keychain from a backup; otherwise the unit must be onboarded again with a new OTP.", "استعد سلسلة المفاتيح من نسخة احتياطية؛ وإلا فيجب ربط الوحدة من جديد برمز تحقق جديد."),
            ),
            FlowError::BadUnitId(_) => plain(
                Localized::new("The unit id may only use letters, digits, '.', '_' and '-'.", "يجب أن يتكوّن معرّف الوحدة من حروف لاتينية وأرقام و'.' و'_' و'-' فقط."),
                Localized::new("Choose another unit id.", "اختر معرّفًا آخر للوحدة."),
            ),
            FlowError::Csr(error) => plain(error.explain(), Localized::new("Fix the unit's details.", "أصلح بيانات الوحدة.")),
            FlowError::Key(error) => plain(error.explain(), Localized::new("Check the keychain.", "راجِع سلسلة المفاتيح.")),
            FlowError::Documents(error) => plain(error.message(), Localized::new("Report this with the support message.", "أبلغ عن ذلك مع رسالة الدعم.")),
            FlowError::Field(error) => plain(error.message.clone(), Localized::new("Correct the field.", "صحّح الحقل.")),
            FlowError::Units(error) => plain(error.explain(), Localized::new("Try again; the app resumes where it stopped.", "أعد المحاولة؛ يستأنف التطبيق من حيث توقف.")),
            FlowError::Secret(error) => plain(error.explain(), Localized::new("Check the keychain, then continue; the app resumes where it stopped.", "راجِع سلسلة المفاتيح ثم تابع؛ يستأنف التطبيق من حيث توقف.")),
            FlowError::Store(error) => plain(
                Localized::new(format!("A database operation failed ({error})."), format!("فشلت عملية في قاعدة البيانات ({error}).")),
                Localized::new("Try again; the app resumes where it stopped.", "أعد المحاولة؛ يستأنف التطبيق من حيث توقف."),
            ),
        }
    }

    /// The ZATCA code behind the failure, when the gateway sent one.
    pub fn zatca_code(&self) -> Option<String> {
        match self {
            FlowError::Call { error: CallError::Gateway(error), .. } => Some(error.code.zatca_code()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preflight::{Check, CheckId, Outcome};

    fn blocked_by(id: CheckId, environment: Environment) -> FlowError {
        let check = Check { id, outcome: Outcome::Failed, overridable: false, message: Localized::new("Blocked.", "محجوب.") };
        FlowError::Preflight(PreflightReport { checks: vec![check], otp: None, otp_minutes_left: None, environment })
    }

    /// The three messages that send the user for a new OTP: a spent one, one
    /// past its hour, one in doubt.
    fn new_otp_steps(environment: Environment) -> Vec<Explanation> {
        [blocked_by(CheckId::OtpUnused, environment), blocked_by(CheckId::OtpAge, environment), FlowError::OtpInDoubt { environment }]
            .iter()
            .map(FlowError::explain)
            .collect()
    }

    #[test]
    fn a_rehearsal_sends_for_a_rehearsal_otp_and_zatca_s_environments_to_the_portal() {
        for explanation in new_otp_steps(Environment::Local) {
            let (all_en, all_ar) = (
                format!("{} {}", explanation.what_happened.en, explanation.next_step.en),
                format!("{} {}", explanation.what_happened.ar, explanation.next_step.ar),
            );
            assert!(explanation.next_step.en.contains("new rehearsal OTP") && explanation.next_step.en.contains("Get a rehearsal OTP"), "{all_en}");
            assert!(explanation.next_step.ar.contains("رمز تحقق تجريبي جديد") && explanation.next_step.ar.contains("«احصل على رمز تحقق تجريبي»"), "{all_ar}");
            assert!(!all_en.contains("FATOORA portal") && !all_ar.contains("«فاتورة»"), "{all_en} / {all_ar}");
            assert!(!all_en.contains("sent to ZATCA") && !all_ar.contains("إلى الهيئة"), "in a rehearsal nothing goes to ZATCA: {all_en} / {all_ar}");
        }
        for explanation in new_otp_steps(Environment::Sandbox) {
            let next = explanation.next_step;
            assert!(next.en.contains("123345 to onboard, 123456 to renew") && next.ar.contains("123345 للربط و123456 للتجديد"), "{next:?}");
            assert!(!next.en.contains("FATOORA portal") && !next.ar.contains("«فاتورة»"), "{next:?}");
        }
        for environment in [Environment::Simulation, Environment::Production] {
            for explanation in new_otp_steps(environment) {
                let next = explanation.next_step;
                assert!(next.en.contains("generate a new OTP in the FATOORA portal") && next.ar.contains("من بوابة «فاتورة»"), "{next:?}");
                assert!(!next.en.contains("rehearsal") && !next.ar.contains("تجريبي"), "{next:?}");
            }
        }
    }
}
