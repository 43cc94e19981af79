//! Pre-flight: everything that can be checked before an OTP is spent
//! (SPEC.md 4.1 lists why ZATCA refuses OTPs). Each failed check blocks with
//! its reason. Only the two checks that rest on what the user tells us —
//! when the OTP was generated, and in which portal — can be overridden: the
//! app cannot know better than the user there, everywhere else it can.

use chrono::{DateTime, Duration, Utc};
use fatoora_base::store::rusqlite::{self, Connection};
use fatoora_base::values::{FieldError, Otp, VatNumber};
use fatoora_base::i18n::{MINUTES, count_ar};
use fatoora_base::{Environment, Localized};
use serde::Serialize;

use crate::journal::{self, OtpHasher};

/// ZATCA: "Currently, OTPs are valid for 1 hour" (SPEC.md 5).
pub const OTP_VALIDITY: Duration = Duration::hours(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    /// 6 ASCII digits after normalising Arabic-Indic digits and whitespace.
    OtpFormat,
    /// Not sent before (our journal).
    OtpUnused,
    /// Less than an hour since the user says it was generated. (ask)
    OtpAge,
    /// The portal the user says it came from matches the environment. (ask)
    OtpPortal,
    /// The CSR's certificate template is this environment's.
    CsrTemplate,
    /// The CSR's VAT number is the unit's.
    CsrVat,
    /// The CSR passes the lint.
    CsrLint,
    /// A quick diagnostics probe reaches the gateway.
    GatewayReachable,
}

impl CheckId {
    /// Whether the user may proceed despite this check.
    pub fn overridable(self) -> bool {
        matches!(self, CheckId::OtpAge | CheckId::OtpPortal)
    }

    pub fn label(self) -> Localized {
        match self {
            CheckId::OtpFormat => Localized::new("OTP format", "صيغة رمز التحقق"),
            CheckId::OtpUnused => Localized::new("OTP not used before", "رمز التحقق غير مستخدم من قبل"),
            CheckId::OtpAge => Localized::new("OTP less than an hour old", "مضى على رمز التحقق أقل من ساعة"),
            CheckId::OtpPortal => Localized::new("OTP from this environment's portal", "رمز التحقق من بوابة هذه البيئة"),
            CheckId::CsrTemplate => Localized::new("CSR template fits the environment", "قالب الشهادة في الطلب يناسب البيئة"),
            CheckId::CsrVat => Localized::new("VAT number in the CSR", "الرقم الضريبي في طلب توقيع الشهادة"),
            CheckId::CsrLint => Localized::new("CSR content", "محتوى طلب توقيع الشهادة"),
            CheckId::GatewayReachable => Localized::new("Gateway reachable", "إمكانية الوصول إلى البوابة"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Passed,
    /// Failed; blocks unless the check is overridable and overridden.
    Failed,
    /// The user has not answered the question this check asks.
    Unanswered,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    pub id: CheckId,
    pub outcome: Outcome,
    pub overridable: bool,
    pub message: Localized,
}

/// What the user told us about the OTP; both questions are asked by the UI.
#[derive(Debug, Clone, Copy, Default)]
pub struct OtpAnswers {
    pub generated_at: Option<DateTime<Utc>>,
    pub portal: Option<Environment>,
}

/// The user's decision to go ahead despite an "ask" check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overrides {
    pub otp_age: bool,
    pub otp_portal: bool,
}

impl Overrides {
    fn covers(self, id: CheckId) -> bool {
        match id {
            CheckId::OtpAge => self.otp_age,
            CheckId::OtpPortal => self.otp_portal,
            _ => false,
        }
    }
}

/// What the CSR says, read by the csr crate.
#[derive(Debug, Clone)]
pub struct CsrFacts {
    pub vat_number: Option<String>,
    pub template: Option<String>,
    /// Lint findings of severity error.
    pub lint_errors: Vec<FieldError>,
}

/// The quick reachability probe's result.
#[derive(Debug, Clone)]
pub struct Reachability {
    pub ready: bool,
    pub summary: Localized,
}

pub struct PreflightInput<'a> {
    pub environment: Environment,
    pub unit_vat: &'a VatNumber,
    pub otp_text: &'a str,
    pub answers: OtpAnswers,
    pub csr: &'a CsrFacts,
    pub reachability: Option<&'a Reachability>,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreflightReport {
    pub checks: Vec<Check>,
    /// The normalised OTP, when its format passed.
    #[serde(skip)]
    pub otp: Option<Otp>,
    /// Minutes left before the OTP expires, by the user's account.
    pub otp_minutes_left: Option<i64>,
    /// Where the OTP was to go: it decides where a new one comes from.
    pub environment: Environment,
}

impl PreflightReport {
    /// The checks that stop the flow given the user's overrides.
    pub fn blocking(&self, overrides: Overrides) -> Vec<&Check> {
        self.checks
            .iter()
            .filter(|c| c.outcome != Outcome::Passed && !(c.overridable && overrides.covers(c.id)))
            .collect()
    }

    pub fn passed(&self, overrides: Overrides) -> bool {
        self.blocking(overrides).is_empty()
    }
}

fn check(id: CheckId, outcome: Outcome, en: impl Into<String>, ar: impl Into<String>) -> Check {
    Check { id, outcome, overridable: id.overridable(), message: Localized::new(en, ar) }
}

pub(crate) fn portal_name(environment: Environment) -> Localized {
    match environment {
        Environment::Production => Localized::new("the FATOORA production portal", "بوابة «فاتورة» (الإنتاج)"),
        Environment::Simulation => Localized::new("the FATOORA simulation portal", "بوابة «فاتورة» للمحاكاة"),
        Environment::Sandbox => Localized::new("the developer portal (its fixed sandbox OTPs)", "بوابة المطوّرين (رموزها الثابتة)"),
        Environment::Local => Localized::new("the local simulator", "المحاكي المحلي"),
    }
}

/// The developer portal mints no OTP: it takes its fixed ones (SPEC.md 1.8).
pub(crate) const SANDBOX_OTPS: (&str, &str) = (
    "Use one of the sandbox's fixed OTPs: 123345 to onboard, 123456 to renew.",
    "استخدم أحد رموز التحقق الثابتة للبيئة التجريبية للمطوّرين: 123345 للربط و123456 للتجديد.",
);

/// Where to get an OTP for `environment`, as a sentence: in `local` the
/// bundled simulator mints it (the app's button, or the CLI's command).
fn where_to_get_otp(environment: Environment) -> Localized {
    match environment {
        Environment::Local => Localized::new(
            "Get one from the local simulator: the “Get a rehearsal OTP” button in the OTP step (fatoora-onboard simulator otp on the command line).",
            "احصل على رمز من المحاكي المحلي: زر «احصل على رمز تحقق تجريبي» في خطوة رمز التحقق (أو الأمر fatoora-onboard simulator otp في سطر الأوامر).",
        ),
        Environment::Sandbox => Localized::new(SANDBOX_OTPS.0, SANDBOX_OTPS.1),
        other => {
            let portal = portal_name(other);
            Localized::new(format!("Generate one in {}.", portal.en), format!("أنشئ رمزا من {}.", portal.ar))
        }
    }
}

/// The developer portal does not mint OTPs: everyone shares 123345
/// (onboarding) and 123456 (renewal), SPEC.md 1.8 and 5 [V-code], so our own
/// single-use rule must not refuse them there.
fn is_sandbox_fixed_otp(environment: Environment, otp: &Otp) -> bool {
    environment == Environment::Sandbox && matches!(otp.expose(), "123345" | "123456")
}

/// Runs every check; never stops at the first failure, so the user sees all
/// that is wrong at once.
pub fn run(conn: &Connection, hasher: &OtpHasher, input: &PreflightInput<'_>) -> rusqlite::Result<PreflightReport> {
    let mut checks = Vec::new();
    let otp = match Otp::parse(input.otp_text) {
        Ok(otp) => {
            checks.push(check(CheckId::OtpFormat, Outcome::Passed, "The OTP has 6 digits.", "رمز التحقق مكوّن من 6 أرقام."));
            Some(otp)
        }
        Err(error) => {
            checks.push(Check { id: CheckId::OtpFormat, outcome: Outcome::Failed, overridable: false, message: error.message });
            None
        }
    };

    if let Some(otp) = &otp {
        let uses = journal::otp_uses(conn, &hasher.fingerprint(otp))?;
        checks.push(match uses.first() {
            _ if is_sandbox_fixed_otp(input.environment, otp) => check(
                CheckId::OtpUnused,
                Outcome::Passed,
                "This is one of the sandbox's fixed OTPs, which it accepts again and again.",
                "هذا أحد رموز التحقق الثابتة للبيئة التجريبية، وهي تقبله مرات عديدة.",
            ),
            None => check(CheckId::OtpUnused, Outcome::Passed, "This OTP has not been sent before.", "لم يُرسل رمز التحقق هذا من قبل."),
            Some(earlier) => {
                // Riyadh time, as the app shows every time (expiry too).
                let when = earlier.started_at.with_timezone(&crate::riyadh::offset()).format("%Y-%m-%d %H:%M");
                check(
                    CheckId::OtpUnused,
                    Outcome::Failed,
                    format!("This OTP was already sent on {when} Riyadh time ({} {}); ZATCA accepts each OTP once. Generate a new one.", earlier.endpoint, earlier.environment),
                    // U+2066…U+2069 isolate the left-to-right time and endpoint inside Arabic.
                    format!("أُرسل رمز التحقق هذا من قبل في \u{2066}{when}\u{2069} بتوقيت الرياض (\u{2066}{} {}\u{2069})؛ تقبل الهيئة كل رمز مرة واحدة. أنشئ رمزًا جديدًا.", earlier.endpoint, earlier.environment),
                )
            }
        });
    }

    let mut minutes_left = None;
    checks.push(match input.answers.generated_at {
        None => check(
            CheckId::OtpAge,
            Outcome::Unanswered,
            "When was the OTP generated? It is valid for one hour.",
            "متى أُنشئ رمز التحقق؟ صلاحيته ساعة واحدة.",
        ),
        Some(generated_at) if generated_at > input.now + Duration::minutes(5) => check(
            CheckId::OtpAge,
            Outcome::Failed,
            "The stated generation time is in the future; check it (and this computer's clock).",
            "وقت الإنشاء المذكور في المستقبل؛ راجِعه (وراجِع ساعة هذا الجهاز).",
        ),
        Some(generated_at) => {
            let age = input.now - generated_at;
            let left = OTP_VALIDITY - age;
            minutes_left = Some(left.num_minutes().max(0));
            if left > Duration::zero() {
                check(
                    CheckId::OtpAge,
                    Outcome::Passed,
                    format!("The OTP is {} minutes old; about {} minutes left.", age.num_minutes().max(0), left.num_minutes()),
                    format!("أُنشئ رمز التحقق قبل {}؛ يتبقى منه نحو {}.", count_ar(age.num_minutes().max(0).unsigned_abs(), &MINUTES), count_ar(left.num_minutes().unsigned_abs(), &MINUTES)),
                )
            } else {
                check(
                    CheckId::OtpAge,
                    Outcome::Failed,
                    format!("The OTP is {} minutes old; OTPs expire after 60 minutes. Generate a new one.", age.num_minutes()),
                    format!("أُنشئ رمز التحقق قبل {}؛ تنتهي صلاحية الرمز بعد 60 دقيقة. أنشئ رمزًا جديدًا.", count_ar(age.num_minutes().unsigned_abs(), &MINUTES)),
                )
            }
        }
    });

    let expected_portal = portal_name(input.environment);
    checks.push(match input.answers.portal {
        None => check(
            CheckId::OtpPortal,
            Outcome::Unanswered,
            format!("Which portal did the OTP come from? This environment needs an OTP from {}.", expected_portal.en),
            format!("من أي بوابة أُنشئ رمز التحقق؟ تحتاج هذه البيئة إلى رمز من {}.", expected_portal.ar),
        ),
        Some(portal) if portal == input.environment => check(
            CheckId::OtpPortal,
            Outcome::Passed,
            format!("The OTP comes from {}.", expected_portal.en),
            format!("رمز التحقق من {}.", expected_portal.ar),
        ),
        Some(portal) => {
            let given = portal_name(portal);
            check(
                CheckId::OtpPortal,
                Outcome::Failed,
                format!("An OTP from {} is refused by the {} gateway (Invalid-OTP). {}", given.en, input.environment, where_to_get_otp(input.environment).en),
                format!("ترفض بوابة {} رمز تحقق من {} (Invalid-OTP). {}", input.environment.label().ar, given.ar, where_to_get_otp(input.environment).ar),
            )
        }
    });

    let expected_template = input.environment.certificate_template();
    checks.push(match input.csr.template.as_deref() {
        Some(template) if template == expected_template => check(
            CheckId::CsrTemplate,
            Outcome::Passed,
            format!("The CSR asks for the {template} template, as {} requires.", input.environment),
            format!("يطلب طلب توقيع الشهادة القالب {template} كما تتطلب البيئة."),
        ),
        Some(template) => check(
            CheckId::CsrTemplate,
            Outcome::Failed,
            format!("The CSR asks for the {template} template, but {} needs {expected_template}; ZATCA would refuse it. Create the CSR for this environment.", input.environment),
            format!("يطلب طلب توقيع الشهادة القالب {template} لكن البيئة تحتاج إلى {expected_template}، وسترفضه الهيئة. أنشئ الطلب لهذه البيئة."),
        ),
        None => check(
            CheckId::CsrTemplate,
            Outcome::Failed,
            "The CSR names no certificate template; create it again.",
            "لا يحدد طلب توقيع الشهادة قالب شهادة؛ أنشئه من جديد.",
        ),
    });

    checks.push(match input.csr.vat_number.as_deref() {
        Some(vat) if vat == input.unit_vat.as_str() => check(
            CheckId::CsrVat,
            Outcome::Passed,
            format!("The CSR carries the unit's VAT number {vat}; the OTP must be generated by the account of this VAT number."),
            format!("يحمل طلب توقيع الشهادة الرقم الضريبي للوحدة {vat}؛ ويجب أن يُنشأ رمز التحقق من حساب هذا الرقم الضريبي."),
        ),
        Some(vat) => check(
            CheckId::CsrVat,
            Outcome::Failed,
            format!("The CSR carries VAT number {vat}, but the unit's is {}; ZATCA ties the OTP to the VAT number and would refuse it.", input.unit_vat),
            format!("يحمل طلب توقيع الشهادة الرقم الضريبي {vat} بينما رقم الوحدة {}؛ تربط الهيئة رمز التحقق بالرقم الضريبي وسترفضه.", input.unit_vat),
        ),
        None => check(CheckId::CsrVat, Outcome::Failed, "The CSR carries no VAT number.", "لا يحمل طلب توقيع الشهادة رقمًا ضريبيًا."),
    });

    checks.push(if input.csr.lint_errors.is_empty() {
        check(CheckId::CsrLint, Outcome::Passed, "The CSR passes every check.", "اجتاز طلب توقيع الشهادة كل الفحوصات.")
    } else {
        let en: Vec<String> = input.csr.lint_errors.iter().map(|f| format!("{}: {}", f.field.label().en, f.message.en)).collect();
        let ar: Vec<String> = input.csr.lint_errors.iter().map(|f| format!("{}: {}", f.field.label().ar, f.message.ar)).collect();
        check(CheckId::CsrLint, Outcome::Failed, en.join(" "), ar.join(" "))
    });

    checks.push(match input.reachability {
        Some(reach) if reach.ready => check(
            CheckId::GatewayReachable,
            Outcome::Passed,
            format!("The gateway answers. {}", reach.summary.en),
            format!("البوابة تستجيب. {}", reach.summary.ar),
        ),
        Some(reach) => Check { id: CheckId::GatewayReachable, outcome: Outcome::Failed, overridable: false, message: reach.summary.clone() },
        None => check(
            CheckId::GatewayReachable,
            Outcome::Failed,
            "The gateway could not be probed; run the network diagnostics.",
            "تعذر فحص البوابة؛ شغّل تشخيص الاتصال.",
        ),
    });

    Ok(PreflightReport { checks, otp, otp_minutes_left: minutes_left, environment: input.environment })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{CallRecord, Reach};
    use crate::journal::{OtpUse, tests::database};
    use crate::catalogue::Endpoint;

    fn facts(vat: &str, template: &str) -> CsrFacts {
        CsrFacts { vat_number: Some(vat.into()), template: Some(template.into()), lint_errors: vec![] }
    }

    fn ready() -> Reachability {
        Reachability { ready: true, summary: Localized::new("ok", "سليم") }
    }

    fn run_with(conn: &Connection, otp: &str, answers: OtpAnswers, csr: &CsrFacts, env: Environment) -> PreflightReport {
        let vat = VatNumber::parse("300000000000003").unwrap();
        let hasher = OtpHasher::new(vec![9; 32]);
        let reach = ready();
        run(conn, &hasher, &PreflightInput { environment: env, unit_vat: &vat, otp_text: otp, answers, csr, reachability: Some(&reach), now: Utc::now() }).unwrap()
    }

    fn failed(report: &PreflightReport) -> Vec<CheckId> {
        report.blocking(Overrides::default()).iter().map(|c| c.id).collect()
    }

    fn fresh() -> OtpAnswers {
        OtpAnswers { generated_at: Some(Utc::now() - Duration::minutes(5)), portal: Some(Environment::Simulation) }
    }

    #[test]
    fn a_good_setup_passes_and_keeps_leading_zeros() {
        let conn = database();
        let report = run_with(&conn, " ٠١٢٣٤٥ ", fresh(), &facts("300000000000003", "PREZATCA-Code-Signing"), Environment::Simulation);
        assert_eq!(failed(&report), vec![]);
        assert_eq!(report.otp.unwrap().expose(), "012345");
        assert_eq!(report.otp_minutes_left, Some(54));
    }

    #[test]
    fn each_invalid_otp_cause_is_caught() {
        let conn = database();
        let good = facts("300000000000003", "PREZATCA-Code-Signing");
        // Wrong portal.
        let wrong_portal = OtpAnswers { portal: Some(Environment::Production), ..fresh() };
        assert_eq!(failed(&run_with(&conn, "123456", wrong_portal, &good, Environment::Simulation)), vec![CheckId::OtpPortal]);
        // VAT mismatch.
        assert_eq!(failed(&run_with(&conn, "123456", fresh(), &facts("311111111111113", "PREZATCA-Code-Signing"), Environment::Simulation)), vec![CheckId::CsrVat]);
        // Expired.
        let old = OtpAnswers { generated_at: Some(Utc::now() - Duration::minutes(61)), ..fresh() };
        assert_eq!(failed(&run_with(&conn, "123456", old, &good, Environment::Simulation)), vec![CheckId::OtpAge]);
        // Wrong template for the environment.
        assert_eq!(failed(&run_with(&conn, "123456", fresh(), &facts("300000000000003", "ZATCA-Code-Signing"), Environment::Simulation)), vec![CheckId::CsrTemplate]);
        // Bad format (a dropped leading zero).
        assert_eq!(failed(&run_with(&conn, "12345", fresh(), &good, Environment::Simulation)), vec![CheckId::OtpFormat]);
        // Reused.
        let hasher = OtpHasher::new(vec![9; 32]);
        let otp = Otp::parse("654321").unwrap();
        let record = CallRecord {
            environment: Environment::Simulation, endpoint: Endpoint::Compliance, url: "u".into(), started_at: Utc::now(),
            duration_ms: 1, attempts: 1, status: Some(200), zatca_codes: vec![], request_id: None, reach: Reach::Answered, failure: None,
        };
        journal::record(&conn, "u", &record, Some(&OtpUse { fingerprint: hasher.fingerprint(&otp), generated_at: None, portal: None }), None).unwrap();
        assert_eq!(failed(&run_with(&conn, "654321", fresh(), &good, Environment::Simulation)), vec![CheckId::OtpUnused]);
    }

    #[test]
    fn the_sandbox_fixed_otps_may_be_sent_again_but_only_in_the_sandbox() {
        let conn = database();
        let hasher = OtpHasher::new(vec![9; 32]);
        let record = CallRecord {
            environment: Environment::Sandbox, endpoint: Endpoint::Compliance, url: "u".into(), started_at: Utc::now(),
            duration_ms: 1, attempts: 1, status: Some(200), zatca_codes: vec![], request_id: None, reach: Reach::Answered, failure: None,
        };
        let fixed = Otp::parse("123345").unwrap();
        journal::record(&conn, "u", &record, Some(&OtpUse { fingerprint: hasher.fingerprint(&fixed), generated_at: None, portal: None }), None).unwrap();
        let sandbox = OtpAnswers { portal: Some(Environment::Sandbox), ..fresh() };
        let sandbox_csr = facts("300000000000003", "TSTZATCA-Code-Signing");
        assert_eq!(failed(&run_with(&conn, "123345", sandbox, &sandbox_csr, Environment::Sandbox)), vec![]);
        let simulation_csr = facts("300000000000003", "PREZATCA-Code-Signing");
        assert_eq!(failed(&run_with(&conn, "123345", fresh(), &simulation_csr, Environment::Simulation)), vec![CheckId::OtpUnused]);

        // An OTP from another portal: the sandbox's own are named, not a portal to generate one in.
        let elsewhere = OtpAnswers { portal: Some(Environment::Simulation), ..fresh() };
        let report = run_with(&conn, "654321", elsewhere, &sandbox_csr, Environment::Sandbox);
        let portal = report.checks.iter().find(|c| c.id == CheckId::OtpPortal).unwrap();
        assert_eq!(portal.outcome, Outcome::Failed);
        assert!(portal.message.en.ends_with(SANDBOX_OTPS.0) && portal.message.ar.ends_with(SANDBOX_OTPS.1), "{:?}", portal.message);
    }

    #[test]
    fn only_the_questions_to_the_user_can_be_overridden() {
        let conn = database();
        let report = run_with(&conn, "123456", OtpAnswers::default(), &facts("311111111111113", "PREZATCA-Code-Signing"), Environment::Simulation);
        let all = Overrides { otp_age: true, otp_portal: true };
        assert_eq!(failed(&report), vec![CheckId::OtpAge, CheckId::OtpPortal, CheckId::CsrVat]);
        assert_eq!(report.blocking(all).iter().map(|c| c.id).collect::<Vec<_>>(), vec![CheckId::CsrVat]);
    }

    #[test]
    fn an_unreachable_gateway_blocks() {
        let conn = database();
        let vat = VatNumber::parse("300000000000003").unwrap();
        let down = Reachability { ready: false, summary: Localized::new("DNS fails", "فشل DNS") };
        let csr = facts("300000000000003", "PREZATCA-Code-Signing");
        let report = run(&conn, &OtpHasher::new(vec![1; 32]), &PreflightInput {
            environment: Environment::Simulation, unit_vat: &vat, otp_text: "123456", answers: fresh(), csr: &csr,
            reachability: Some(&down), now: Utc::now(),
        }).unwrap();
        assert_eq!(failed(&report), vec![CheckId::GatewayReachable]);
        assert_eq!(report.blocking(Overrides { otp_age: true, otp_portal: true }).len(), 1);
    }
}
