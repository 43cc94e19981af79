//! `Invalid-OTP`'s causes (SPEC.md 4.1) and the catalogue's entry for it
//! when no evidence is at hand; `crate::otp_diagnosis` weighs the same
//! causes against the store's evidence.

use fatoora_base::Localized;
use serde::Serialize;

use super::{Endpoint, Explanation};

/// The causes SPEC.md 4.1 lists for `Invalid-OTP`, plus the two the app's
/// own checks always exclude (encoding, template), so the user sees them
/// ruled out too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    /// 4.1 (1): a simulation OTP on production, or the reverse; (5) in the sandbox.
    WrongPortal,
    /// 4.1 (2): more than an hour old.
    Expired,
    /// 4.1 (3): single use.
    AlreadyUsed,
    /// 4.1 (4): generated under another taxpayer's account than the CSR's VAT.
    OtherTaxpayer,
    /// 4.1 (6) [INF]: a renewal OTP for onboarding, or the reverse.
    WrongTile,
    /// A digit typed or read wrong ("incorrect", Daftra [3P]).
    Mistyped,
    /// 4.1 (10): ZATCA-side, as in forum topic 9506 [V-obs].
    ZatcaSide,
    /// 4.1 (7) [INF]: digits, spaces or a leading zero lost on the way.
    Encoding,
    /// 4.1 (9): a wrong template is NOT_COMPLIANT, not Invalid-OTP.
    CsrTemplate,
}

impl Cause {
    pub fn label(self, endpoint: Endpoint) -> Localized {
        match self {
            Cause::WrongPortal => Localized::new("the OTP came from another environment's portal", "أُنشئ رمز التحقق من بوابة بيئة أخرى"),
            Cause::Expired => Localized::new("the OTP was more than an hour old", "مضت على رمز التحقق أكثر من ساعة"),
            Cause::AlreadyUsed => Localized::new("the OTP had already been used", "استُخدم رمز التحقق من قبل"),
            Cause::OtherTaxpayer => Localized::new("the OTP was generated under another taxpayer's account", "أُنشئ رمز التحقق من حساب مكلَّف آخر"),
            Cause::WrongTile if endpoint == Endpoint::RenewProductionCsids => {
                Localized::new("it is an onboarding OTP, not a renewal one", "الرمز خاص بالربط لا بالتجديد")
            }
            Cause::WrongTile => Localized::new("it is a renewal OTP, not an onboarding one", "الرمز خاص بالتجديد لا بالربط"),
            Cause::Mistyped => Localized::new("a digit was typed or read wrong", "أُدخل أحد أرقامه خطأ"),
            Cause::ZatcaSide => Localized::new("a fault on ZATCA's side", "خلل لدى الهيئة"),
            Cause::Encoding => Localized::new(
                "the OTP was changed on the way (Arabic-Indic digits, spaces, a lost leading zero)",
                "تغيّر رمز التحقق في الطريق (أرقام هندية أو مسافات أو صفر بادئ محذوف)",
            ),
            Cause::CsrTemplate => Localized::new("the CSR's certificate template", "قالب الشهادة في طلب توقيع الشهادة"),
        }
    }
}

/// The portal entry ("tile") an OTP for `endpoint` comes from (SPEC.md 5).
pub(crate) fn tile(endpoint: Endpoint) -> Localized {
    match endpoint {
        Endpoint::RenewProductionCsids => Localized::new("\"Renewing Existing CSID\"", "«تجديد معرّف الختم التشفيري»"),
        _ => Localized::new("\"Onboard new solution unit/device\"", "«ربط وحدة حل/جهاز جديد»"),
    }
}

/// `Invalid-OTP` explained without the store's evidence (the catalogue's
/// entry): every cause open, in SPEC.md 4.1's order.
pub fn without_evidence(endpoint: Endpoint) -> Explanation {
    let causes = [Cause::WrongPortal, Cause::Expired, Cause::AlreadyUsed, Cause::OtherTaxpayer, Cause::WrongTile, Cause::Mistyped];
    let labels: Vec<Localized> = causes.iter().map(|c| c.label(endpoint)).collect();
    let tile = tile(endpoint);
    Explanation {
        what_happened: Localized::new(
            format!("ZATCA did not accept the OTP (Invalid-OTP). Possible causes: {}.", labels.iter().map(|l| l.en.as_str()).collect::<Vec<_>>().join("; ")),
            format!("لم تقبل الهيئة رمز التحقق (Invalid-OTP). الأسباب المحتملة: {}.", labels.iter().map(|l| l.ar.as_str()).collect::<Vec<_>>().join("؛ ")),
        ),
        next_step: Localized::new(
            format!("Generate a new OTP under {} in the portal of this environment, logged in as the taxpayer whose VAT number is in the CSR, and use it within the hour.", tile.en),
            format!("أنشئ رمز تحقق جديدًا من خيار {} في بوابة هذه البيئة بحساب المكلَّف صاحب الرقم الضريبي الوارد في طلب توقيع الشهادة، واستخدمه خلال ساعة.", tile.ar),
        ),
        retry_may_help: false,
    }
}
