//! `Invalid-OTP` as a differential diagnosis. ZATCA sends one code for
//! every OTP refusal (SPEC.md 1.5); SPEC.md 4.1 lists what is behind it.
//! The app holds the evidence to rule most of those out: the OTP's age and
//! portal as the user stated them, whether our journal sent it before, the
//! VAT number and template in the CSR, the purpose of the request, and what
//! the unit's other environments say. [`diagnose`] is pure: evidence in,
//! typed diagnosis out; [`gather`] reads the evidence from the store. The
//! OTP itself is never part of either (the journal keeps only a salted
//! hash and the last digit).

use std::fmt::Write as _;

use fatoora_base::i18n::{MINUTES, TIMES, count_ar, ltr};
use fatoora_base::store::rusqlite::{self, Connection, params};
use fatoora_base::{Environment, Localized};
use serde::Serialize;

use crate::catalogue::otp::tile;
pub use crate::catalogue::otp::Cause;
use crate::catalogue::{Endpoint, Explanation, ZATCA_SUPPORT_PHONE};
use crate::flow::FlowError;
use crate::journal;
use crate::preflight::{OTP_VALIDITY, portal_name};
use fatoora_units::state::{self, OnboardingState};

const INVALID_OTP: &str = "Invalid-OTP";

/// Minutes before the hour at which a stated age no longer rules expiry
/// out: the user's "N minutes ago" is an estimate, ZATCA's clock decides.
const AGE_MARGIN_MINUTES: i64 = 10;

/// What the app knows about one `Invalid-OTP` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    pub environment: Environment,
    /// The refused request.
    pub endpoint: Endpoint,
    /// How old the user said the OTP was when the request left.
    pub otp_age_minutes: Option<i64>,
    /// The portal the user said it came from.
    pub portal_stated: Option<Environment>,
    /// How often our journal had sent this same OTP before this request.
    pub earlier_sends: usize,
    /// The OTP's last digit, for the user to compare with the portal.
    pub otp_last_digit: Option<char>,
    pub csr_vat: Option<String>,
    pub csr_template: Option<String>,
    /// Different OTPs refused with `Invalid-OTP` for this unit here.
    pub refused_otps: usize,
    /// `Invalid-OTP` was also the answer to `POST /production/csids`, a
    /// request that carries no OTP.
    pub refused_without_otp: bool,
    /// ZATCA environments where this unit holds a production CSID.
    pub onboarded_in: Vec<Environment>,
}

/// What rules a cause out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// The app's own records (journal, CSR, what it sent).
    Record,
    /// What the user told the app; as good as their word.
    Statement,
    /// How ZATCA's API works (SPEC.md).
    Rule,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuledOut {
    pub cause: Cause,
    pub basis: Basis,
    pub by: Localized,
}

/// Most likely first when sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Likelihood {
    /// The evidence points at it.
    Indicated,
    /// What is left once the common causes are ruled out.
    Likely,
    Possible,
    Unlikely,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Remaining {
    pub cause: Cause,
    pub likelihood: Likelihood,
    pub why: Localized,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnosis {
    pub endpoint: Endpoint,
    pub ruled_out: Vec<RuledOut>,
    /// Most likely first.
    pub remaining: Vec<Remaining>,
    /// The one step that tells the remaining causes apart.
    pub next_step: Localized,
}

fn text(en: impl Into<String>, ar: impl Into<String>) -> Localized {
    Localized::new(en, ar)
}

/// The CSR's VAT number inside a sentence, or a stand-in.
fn vat(evidence: &Evidence) -> Localized {
    match &evidence.csr_vat {
        Some(vat) => text(vat.clone(), ltr(vat).to_string()),
        None => text("the VAT number in the CSR", "الرقم الضريبي في طلب توقيع الشهادة"),
    }
}

/// Everything ruled out and still possible for one `Invalid-OTP` answer.
pub fn diagnose(evidence: &Evidence) -> Diagnosis {
    if evidence.endpoint.sends_otp() { with_otp(evidence) } else { without_otp(evidence.endpoint) }
}

/// `Invalid-OTP` to `POST /production/csids`. ZATCA's API sends no OTP
/// there, only the compliance CSID (SPEC.md 1.2, Swagger), and neither does
/// this app; topic 9506 reports exactly this answer in production [V-obs].
fn without_otp(endpoint: Endpoint) -> Diagnosis {
    let by = text(
        "this request carries no OTP: ZATCA's API sends only the compliance CSID with it (SPEC.md 1.2), and the app sent none",
        "هذا الطلب لا يحمل رمز تحقق: لا ترسل واجهة الهيئة معه إلا معرّف الامتثال (SPEC.md 1.2)، ولم يرسل التطبيق أي رمز",
    );
    let ruled_out = [Cause::WrongPortal, Cause::Expired, Cause::AlreadyUsed, Cause::WrongTile, Cause::Mistyped, Cause::Encoding]
        .into_iter()
        .map(|cause| RuledOut { cause, basis: Basis::Rule, by: by.clone() })
        .collect();
    let remaining = vec![Remaining {
        cause: Cause::ZatcaSide,
        likelihood: Likelihood::Indicated,
        why: text(
            "ZATCA answers a code about an OTP that was not sent. The same answer in production is reported publicly (ZATCA forum topic 9506) without an explanation from ZATCA. A guess, documented nowhere: the gateway checks again the OTP or the taxpayer account that obtained the compliance CSID.",
            "ترد الهيئة برمز يخص رمز تحقق لم يُرسل. وقد أُبلغ علنًا عن الرد نفسه في بيئة الإنتاج (منتدى الهيئة، الموضوع 9506) دون تفسير منها. تخمين غير موثّق: تعيد البوابة فحص رمز التحقق أو حساب المكلَّف الذي صدر به معرّف الامتثال.",
        ),
    }];
    Diagnosis {
        endpoint,
        ruled_out,
        remaining,
        next_step: text(
            format!("Send the support message to ZATCA (phone {ZATCA_SUPPORT_PHONE}): no new OTP can change this answer, since none is sent with this request. Ask what their side recorded for the compliance request ID it lists."),
            format!("أرسل رسالة الدعم إلى الهيئة (الهاتف {}): لا يغيّر رمز تحقق جديد هذا الرد لأن الطلب لا يحمل رمزًا. اسألهم عمّا سجّلوه لمعرّف طلب الامتثال المذكور فيها.", ltr(ZATCA_SUPPORT_PHONE)),
        ),
    }
}

/// Collects the verdict on each cause, then orders what remains.
struct Verdicts {
    endpoint: Endpoint,
    ruled_out: Vec<RuledOut>,
    remaining: Vec<Remaining>,
}

impl Verdicts {
    fn out(&mut self, cause: Cause, basis: Basis, by: Localized) {
        self.ruled_out.push(RuledOut { cause, basis, by });
    }

    fn open(&mut self, cause: Cause, likelihood: Likelihood, why: Localized) {
        self.remaining.push(Remaining { cause, likelihood, why });
    }

    fn is_out(&self, cause: Cause) -> bool {
        self.ruled_out.iter().any(|r| r.cause == cause)
    }
}

fn with_otp(evidence: &Evidence) -> Diagnosis {
    let env = evidence.environment;
    let portal = portal_name(env);
    let mut v = Verdicts { endpoint: evidence.endpoint, ruled_out: Vec::new(), remaining: Vec::new() };

    match evidence.portal_stated {
        Some(stated) if stated == env => v.out(
            Cause::WrongPortal,
            Basis::Statement,
            text(format!("as stated when it was entered, it came from {}", portal.en), format!("بحسب ما ذُكر عند إدخاله، أُنشئ من {}", portal.ar)),
        ),
        Some(stated) => v.open(
            Cause::WrongPortal,
            Likelihood::Indicated,
            text(
                format!("as stated when it was entered, it came from {}, but this is the {env} gateway, which needs one from {}", portal_name(stated).en, portal.en),
                format!("بحسب ما ذُكر عند إدخاله، أُنشئ من {}، لكن هذه بوابة {} وتحتاج إلى رمز من {}", portal_name(stated).ar, env.label().ar, portal.ar),
            ),
        ),
        None => v.open(
            Cause::WrongPortal,
            Likelihood::Possible,
            text("the portal it came from was not stated", "لم تُذكر البوابة التي أُنشئ منها"),
        ),
    }

    let validity = OTP_VALIDITY.num_minutes();
    match evidence.otp_age_minutes {
        Some(age) if age >= validity => v.open(
            Cause::Expired,
            Likelihood::Indicated,
            text(
                format!("as stated when it was entered, it was {age} minutes old when sent; ZATCA accepts an OTP for {validity} minutes"),
                format!("بحسب ما ذُكر عند إدخاله، أُنشئ قبل {} من إرساله؛ تقبل الهيئة الرمز مدة {}", count_ar(age.unsigned_abs(), &MINUTES), count_ar(validity.unsigned_abs(), &MINUTES)),
            ),
        ),
        Some(age) if age > validity - AGE_MARGIN_MINUTES => v.open(
            Cause::Expired,
            Likelihood::Possible,
            text(
                format!("as stated when it was entered, it was {age} minutes old when sent, close to the {validity} minutes ZATCA's clock allows"),
                format!("بحسب ما ذُكر عند إدخاله، أُنشئ قبل {} من إرساله، قريبًا من الدقائق الـ{validity} التي تسمح بها ساعة الهيئة", count_ar(age.unsigned_abs(), &MINUTES)),
            ),
        ),
        Some(age) => v.out(
            Cause::Expired,
            Basis::Statement,
            text(
                format!("as stated when it was entered, it was generated {} minutes before it was sent; it is valid for {validity} minutes", age.max(0)),
                format!("بحسب ما ذُكر عند إدخاله، أُنشئ قبل {} من إرساله؛ وهو صالح مدة {}", count_ar(age.max(0).unsigned_abs(), &MINUTES), count_ar(validity.unsigned_abs(), &MINUTES)),
            ),
        ),
        None => v.open(Cause::Expired, Likelihood::Possible, text("when it was generated was not stated", "لم يُذكر وقت إنشائه")),
    }

    // The sandbox's fixed OTPs are meant to be sent again (SPEC.md 1.8).
    if evidence.earlier_sends > 0 && env != Environment::Sandbox {
        v.open(
            Cause::AlreadyUsed,
            Likelihood::Indicated,
            text(
                format!("the journal shows this OTP sent {} time(s) before; ZATCA accepts each OTP once", evidence.earlier_sends),
                format!("يُظهر السجل أن هذا الرمز أُرسل {} من قبل؛ تقبل الهيئة كل رمز مرة واحدة", count_ar(evidence.earlier_sends as u64, &TIMES)),
            ),
        );
    } else {
        v.out(
            Cause::AlreadyUsed,
            Basis::Record,
            text(
                "the journal, which keeps a salted hash of every OTP sent, shows it was never sent before (a use by another program is beyond what it can see)",
                "يُظهر السجل، الذي يحفظ بصمة مملّحة لكل رمز أُرسل، أنه لم يُرسل من قبل (ولا يرى استخدامه في برنامج آخر)",
            ),
        );
    }

    v.out(
        Cause::Encoding,
        Basis::Record,
        text(
            "the app sent it as six ASCII digits in text, after converting Arabic-Indic digits and removing spaces, so a leading zero is kept",
            "أرسله التطبيق ستة أرقام لاتينية نصًا بعد تحويل الأرقام الهندية وحذف المسافات، فلا يضيع الصفر البادئ",
        ),
    );
    let expected = env.certificate_template();
    let template = match evidence.csr_template.as_deref() {
        Some(t) if t == expected => text(format!("; the CSR asks for {t}, as {env} expects"), format!("؛ ويطلب طلب توقيع الشهادة القالب {} كما تتوقع البيئة", ltr(t))),
        Some(t) => text(
            format!("; but the CSR asks for {t} where {env} expects {expected}: fix that before the next attempt"),
            format!("؛ لكن الطلب يحمل القالب {} والبيئة تتوقع {}: أصلح ذلك قبل المحاولة التالية", ltr(t), ltr(expected)),
        ),
        None => text("", ""),
    };
    v.out(
        Cause::CsrTemplate,
        Basis::Rule,
        text(
            format!("ZATCA answers a wrong template with NOT_COMPLIANT, not Invalid-OTP (SPEC.md 4.1){}", template.en),
            format!("ترد الهيئة على القالب الخاطئ بـ NOT_COMPLIANT لا بـ Invalid-OTP (SPEC.md 4.1){}", template.ar),
        ),
    );

    let common_out = [Cause::WrongPortal, Cause::Expired, Cause::AlreadyUsed].iter().all(|c| v.is_out(*c));
    let several = evidence.refused_otps >= 2;
    let vat = vat(evidence);
    let mut why = text(
        format!("ZATCA ties each OTP to the taxpayer logged in to the portal and checks it against the VAT number in the CSR, {} (SPEC.md 4.1)", vat.en),
        format!("تربط الهيئة كل رمز بالمكلَّف الذي سجّل الدخول إلى البوابة وتطابقه مع الرقم الضريبي في طلب توقيع الشهادة {} (SPEC.md 4.1)", vat.ar),
    );
    let elsewhere: Vec<Environment> = evidence.onboarded_in.iter().copied().filter(|e| *e != env).collect();
    if !elsewhere.is_empty() {
        let en: Vec<String> = elsewhere.iter().map(|e| e.to_string()).collect();
        let ar: Vec<String> = elsewhere.iter().map(|e| e.label().ar).collect();
        why.en.push_str(&format!("; the same unit was onboarded in {}, so the CSR's data is not at fault", en.join(", ")));
        why.ar.push_str(&format!("؛ ورُبطت الوحدة نفسها في {}، فلا خلل في بيانات الطلب", ar.join("، ")));
    }
    v.open(Cause::OtherTaxpayer, if common_out { Likelihood::Likely } else { Likelihood::Possible }, why);

    let tile_of = tile(evidence.endpoint);
    v.open(
        Cause::WrongTile,
        if several { Likelihood::Unlikely } else { Likelihood::Possible },
        text(
            format!("the portal has separate entries for onboarding and renewal; this request needs one from {} (an inference, SPEC.md 4.1)", tile_of.en),
            format!("للبوابة خياران منفصلان للربط والتجديد؛ ويحتاج هذا الطلب إلى رمز من {} (استنتاج، SPEC.md 4.1)", tile_of.ar),
        ),
    );

    let digit = evidence.otp_last_digit.map(|d| text(format!(" (the one sent ended in {d})"), format!(" (الرمز المرسل ينتهي بالرقم {d})"))).unwrap_or_else(|| text("", ""));
    v.open(
        Cause::Mistyped,
        if several { Likelihood::Unlikely } else { Likelihood::Possible },
        if several {
            text(format!("{} different OTPs were refused; a typo in each is unlikely{}", evidence.refused_otps, digit.en), format!("رُفضت رموز مختلفة عددها {}؛ ويُستبعد خطأ في كل منها{}", evidence.refused_otps, digit.ar))
        } else {
            text(format!("a six-digit code is easy to misread{}", digit.en), format!("يسهل الخطأ في قراءة رمز من ستة أرقام{}", digit.ar))
        },
    );

    let zatca_side = if evidence.refused_without_otp {
        Likelihood::Indicated
    } else if several && common_out {
        Likelihood::Likely
    } else {
        Likelihood::Unlikely
    };
    let mut why = text(
        "Invalid-OTP with fresh OTPs from the right portal is reported publicly in production (ZATCA forum topic 9506), unexplained",
        "أُبلغ علنًا عن Invalid-OTP برموز جديدة من البوابة الصحيحة في بيئة الإنتاج (منتدى الهيئة، الموضوع 9506) دون تفسير",
    );
    if evidence.refused_without_otp {
        why.en.push_str("; here ZATCA also answered Invalid-OTP to the production-CSID request, which carries no OTP");
        why.ar.push_str("؛ وهنا ردّت الهيئة بـ Invalid-OTP أيضًا على طلب معرّف الإنتاج الذي لا يحمل رمز تحقق");
    } else if several {
        why.en.push_str(&format!("; {} different OTPs were refused here", evidence.refused_otps));
        why.ar.push_str(&format!("؛ ورُفضت هنا رموز مختلفة عددها {}", evidence.refused_otps));
    }
    v.open(Cause::ZatcaSide, zatca_side, why);

    let mut remaining = v.remaining;
    // Stable: equal likelihood keeps SPEC.md 4.1's order, most common first.
    remaining.sort_by_key(|r| r.likelihood);
    // The first cause the user can act on settles it; when none is left,
    // only ZATCA can.
    let actionable = remaining.iter().find(|r| r.cause != Cause::ZatcaSide && r.likelihood <= Likelihood::Possible);
    let next_step = next_step(evidence, actionable.map_or(Cause::ZatcaSide, |r| r.cause));
    Diagnosis { endpoint: v.endpoint, ruled_out: v.ruled_out, remaining, next_step }
}

/// The step that settles `top` and, failing that, points at ZATCA.
fn next_step(evidence: &Evidence, top: Cause) -> Localized {
    let env = evidence.environment;
    let portal = portal_name(env);
    let tile = tile(evidence.endpoint);
    let vat = vat(evidence);
    let support = text(
        format!(" If ZATCA refuses that one too, send the support message to ZATCA (phone {ZATCA_SUPPORT_PHONE})."),
        format!(" وإن رفضته الهيئة أيضًا فأرسل رسالة الدعم إلى الهيئة (الهاتف {}).", ltr(ZATCA_SUPPORT_PHONE)),
    );
    if env == Environment::Sandbox && top != Cause::ZatcaSide {
        let fixed = if evidence.endpoint == Endpoint::RenewProductionCsids { "123456" } else { "123345" };
        return text(
            format!("Use the sandbox's fixed OTP {fixed}: the developer portal's sandbox accepts no other (SPEC.md 1.8)."),
            format!("استخدم رمز التحقق الثابت للبيئة التجريبية {}: لا تقبل البيئة التجريبية غيره (SPEC.md 1.8).", ltr(fixed)),
        );
    }
    if env == Environment::Local && top != Cause::ZatcaSide {
        // The local simulator is the portal here: no login, one button (or one command).
        let purpose = if matches!(evidence.endpoint, Endpoint::RenewProductionCsids) { " --purpose renew" } else { "" };
        let command = format!("fatoora-onboard simulator otp --env local --vat {}{purpose}", evidence.csr_vat.as_deref().unwrap_or("<VAT>"));
        return text(
            format!("Get a new rehearsal OTP for VAT number {} under {}: in the app, the “Get a rehearsal OTP” button in the OTP step; on the command line, {command}. Use it at once.", vat.en, tile.en),
            format!("احصل على رمز تحقق تجريبي جديد للرقم الضريبي {} من خيار {}: في التطبيق بزر «احصل على رمز تحقق تجريبي» في خطوة رمز التحقق، وفي سطر الأوامر بالأمر {}. واستخدمه فورا.", vat.ar, tile.ar, ltr(&command)),
        );
    }
    let fresh = match top {
        Cause::ZatcaSide => {
            return text(
                format!("Send the support message to ZATCA (phone {ZATCA_SUPPORT_PHONE}): the OTP, the portal and the CSR check out, so a new OTP is unlikely to fare better."),
                format!("أرسل رسالة الدعم إلى الهيئة (الهاتف {}): رمز التحقق والبوابة والطلب سليمة، فلا يُرجّح أن ينجح رمز جديد.", ltr(ZATCA_SUPPORT_PHONE)),
            );
        }
        Cause::OtherTaxpayer => text(
            format!("Log in to {} as the taxpayer whose VAT number is {}, generate a new OTP under {} and use it at once.", portal.en, vat.en, tile.en),
            format!("سجّل الدخول إلى {} بحساب المكلَّف صاحب الرقم الضريبي {}، وأنشئ رمز تحقق جديدًا من {} واستخدمه فورًا.", portal.ar, vat.ar, tile.ar),
        ),
        Cause::Mistyped => text(
            format!("Generate a new OTP in {} under {} and paste it rather than typing it.", portal.en, tile.en),
            format!("أنشئ رمز تحقق جديدًا من {} من خيار {} والصقه بدل كتابته.", portal.ar, tile.ar),
        ),
        _ => text(
            format!("Generate a new OTP in {} under {}, logged in as the taxpayer whose VAT number is {}, and use it within the hour.", portal.en, tile.en, vat.en),
            format!("أنشئ رمز تحقق جديدًا من {} من خيار {} بحساب المكلَّف صاحب الرقم الضريبي {}، واستخدمه خلال ساعة.", portal.ar, tile.ar, vat.ar),
        ),
    };
    text(format!("{}{}", fresh.en, support.en), format!("{}{}", fresh.ar, support.ar))
}

impl Diagnosis {
    /// The diagnosis as the CLI prints it and the app shows it: what is
    /// ruled out and by what, what remains (most likely first), the step.
    pub fn explanation(&self) -> Explanation {
        let mut en = String::new();
        let mut ar = String::new();
        let call = format!("{} {}", self.endpoint.method(), self.endpoint.path());
        if self.endpoint.sends_otp() {
            let _ = write!(en, "ZATCA refused the OTP (Invalid-OTP) on {call}.");
            let _ = write!(ar, "رفضت الهيئة رمز التحقق (Invalid-OTP) في الطلب {}.", ltr(&call));
        } else {
            let _ = write!(en, "ZATCA answered Invalid-OTP to {call}, the production-CSID request, which carries no OTP.");
            let _ = write!(ar, "ردّت الهيئة بـ Invalid-OTP على {}، طلب معرّف الختم التشفيري للإنتاج، وهو لا يحمل رمز تحقق.", ltr(&call));
        }
        en.push_str("\nRuled out:");
        ar.push_str("\nمستبعد:");
        for r in &self.ruled_out {
            let label = r.cause.label(self.endpoint);
            let _ = write!(en, "\n- {}: {}.", label.en, r.by.en);
            let _ = write!(ar, "\n- {}: {}.", label.ar, r.by.ar);
        }
        en.push_str("\nStill possible, most likely first:");
        ar.push_str("\nما زال محتملا، الأرجح أولا:");
        for (n, r) in self.remaining.iter().enumerate() {
            let label = r.cause.label(self.endpoint);
            let _ = write!(en, "\n{}. {}: {}.", n + 1, label.en, r.why.en);
            let _ = write!(ar, "\n{}. {}: {}.", n + 1, label.ar, r.why.ar);
        }
        Explanation { what_happened: Localized::new(en, ar), next_step: self.next_step.clone(), retry_may_help: false }
    }
}

/// The evidence behind the unit's latest `Invalid-OTP` in `environment`,
/// from the journal, the onboarding record and its CSR; `None` when the
/// journal holds no such answer.
pub fn gather(conn: &Connection, unit_id: &str, environment: Environment) -> rusqlite::Result<Option<Evidence>> {
    let entries: Vec<_> = journal::entries(conn, Some(unit_id))?.into_iter().filter(|e| e.environment == environment).collect();
    let refused = |e: &&journal::JournalEntry| e.zatca_codes.iter().any(|c| c == INVALID_OTP);
    let Some(latest) = entries.iter().rev().find(refused) else { return Ok(None) };
    let earlier_sends = match latest.otp_hash() {
        Some(hash) => conn.query_row(
            "SELECT count(*) FROM onboarding_journal WHERE otp_hash = ?1 AND id < ?2 AND reach <> 'not-sent'",
            params![hash, latest.id],
            |row| row.get::<_, i64>(0),
        )? as usize,
        None => 0,
    };
    let mut hashes: Vec<&str> = entries.iter().filter(refused).filter_map(|e| e.otp_hash()).collect();
    hashes.sort_unstable();
    hashes.dedup();
    let record = state::load(conn, unit_id, environment)?;
    let pem = record.and_then(|s| if latest.endpoint == Endpoint::RenewProductionCsids { s.renewal_csr_pem.or(s.csr_pem) } else { s.csr_pem });
    let csr = pem.and_then(|pem| fatoora_csr::parse_csr(pem.as_bytes()).ok());
    let mut onboarded_in = Vec::new();
    for other in [Environment::Simulation, Environment::Production] {
        if other != environment && state::load(conn, unit_id, other)?.is_some_and(|s| s.pcsid.is_some()) {
            onboarded_in.push(other);
        }
    }
    Ok(Some(Evidence {
        environment,
        endpoint: latest.endpoint,
        otp_age_minutes: latest.otp_age_seconds.map(|s| s / 60),
        portal_stated: latest.otp_portal,
        earlier_sends,
        otp_last_digit: latest.otp_last_digit,
        csr_vat: csr.as_ref().and_then(|c| c.vat_number()).map(|v| v.as_str().to_owned()),
        csr_template: csr.as_ref().and_then(|c| c.certificate_template()).map(str::to_owned),
        refused_otps: hashes.len(),
        refused_without_otp: entries.iter().filter(refused).any(|e| !e.endpoint.sends_otp()),
        onboarded_in,
    }))
}

/// `error` explained for the user: an `Invalid-OTP` as the diagnosis from
/// the store's evidence, anything else as the catalogue says.
pub fn explain_failure(conn: &Connection, unit_id: &str, environment: Environment, error: &FlowError) -> Explanation {
    if error.zatca_code().as_deref() == Some(INVALID_OTP)
        && let Ok(Some(evidence)) = gather(conn, unit_id, environment)
    {
        return diagnose(&evidence).explanation();
    }
    error.explain()
}

/// The record's last failure: the catalogue's words it kept, or for an
/// Invalid-OTP the diagnosis from the journal's evidence as it is now.
pub fn explain_recorded(conn: &Connection, record: &OnboardingState) -> Option<Explanation> {
    let failure = record.last_error.as_ref()?;
    if failure.code.as_deref() == Some(INVALID_OTP)
        && let Ok(Some(evidence)) = gather(conn, &record.unit_id, record.environment)
    {
        return Some(diagnose(&evidence).explanation());
    }
    Some(failure.explanation.clone().into())
}
