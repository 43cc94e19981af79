//! The catalogue's words: for each code, what happened and the next step in
//! English and Arabic, tuned to the call that failed.

use fatoora_base::Localized;
use fatoora_units::state::RecordedExplanation;
use serde::Serialize;

use super::{Endpoint, ErrorCode, GatewayError};

/// A plain-language explanation and the next step, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    pub what_happened: Localized,
    pub next_step: Localized,
    /// Sending the same request again, unchanged, can succeed.
    pub retry_may_help: bool,
}

fn explanation(what_en: &str, what_ar: &str, next_en: &str, next_ar: &str, retry: bool) -> Explanation {
    Explanation {
        what_happened: Localized::new(what_en, what_ar),
        next_step: Localized::new(next_en, next_ar),
        retry_may_help: retry,
    }
}

impl GatewayError {
    /// The catalogue: plain words and a next step for each code, tuned to the
    /// call that failed where the cause differs.
    pub fn explain(&self, endpoint: Endpoint) -> Explanation {
        match &self.code {
            // Without the store's evidence; the flow's callers explain it
            // from the evidence (`crate::otp_diagnosis`).
            ErrorCode::InvalidOtp => super::otp::without_evidence(endpoint),
            ErrorCode::MissingOtp => explanation(
                "ZATCA received no OTP with the request.",
                "لم تتلق الهيئة رمز التحقق مع الطلب.",
                "Enter the 6-digit OTP again. If it keeps happening, a proxy may be removing the OTP header: run the network diagnostics.",
                "أدخل رمز التحقق المكوّن من 6 أرقام مرة أخرى. إذا تكرر ذلك فقد يكون خادم وكيل يحذف ترويسة OTP: شغّل تشخيص الاتصال.",
                false,
            ),
            ErrorCode::InvalidCsr | ErrorCode::MissingCsr => explanation(
                "ZATCA rejected the certificate signing request (CSR) as invalid.",
                "رفضت الهيئة طلب توقيع الشهادة (CSR) لأنه غير صالح.",
                "Open the unit, fix what the CSR check reports, create a new CSR and use a new OTP (the old one may be spent).",
                "افتح الوحدة وأصلح ما يُظهره فحص طلب توقيع الشهادة، ثم أنشئ طلبًا جديدًا واستخدم رمز تحقق جديدًا (فقد يكون الرمز السابق مستخدمًا).",
                false,
            ),
            ErrorCode::MissingComplianceSteps(steps) => {
                let list = if steps.is_empty() { String::new() } else { format!(" Missing: {}.", steps.join(", ")) };
                let list_ar = if steps.is_empty() { String::new() } else { format!(" الناقصة: {}.", steps.join("، ")) };
                Explanation {
                    what_happened: Localized::new(
                        format!("ZATCA will not issue the production CSID yet: not every compliance check for this unit's invoice types has passed under this compliance CSID.{list}"),
                        format!("لن تصدر الهيئة معرّف الختم التشفيري للإنتاج بعد: لم تنجح كل فحوصات الامتثال لأنواع فواتير هذه الوحدة بمعرّف الامتثال الحالي.{list_ar}"),
                    ),
                    next_step: Localized::new(
                        "Run the compliance checks again (only the missing ones are sent), then request the production CSID.",
                        "أعد تشغيل فحوصات الامتثال (تُرسل الناقصة فقط)، ثم اطلب معرّف الختم التشفيري للإنتاج.",
                    ),
                    retry_may_help: false,
                }
            }
            ErrorCode::InvalidCurrentCcsid | ErrorCode::MissingCurrentCcsid => explanation(
                "ZATCA did not recognise the compliance CSID sent with the request. This happens when a compliance CSID from another environment (for example simulation) is used after switching to production, or when it was replaced by a newer one.",
                "لم تتعرف الهيئة على معرّف الختم التشفيري للامتثال المرسل مع الطلب. يحدث هذا عند استخدام معرّف امتثال من بيئة أخرى (مثل المحاكاة) بعد الانتقال إلى الإنتاج، أو عند استبداله بمعرّف أحدث.",
                "Start onboarding for this environment again with a new OTP; the compliance CSID of one environment cannot be used in another.",
                "ابدأ الربط لهذه البيئة من جديد برمز تحقق جديد؛ لا يصلح معرّف الامتثال من بيئة في بيئة أخرى.",
                false,
            ),
            ErrorCode::InvalidCurrentCsid => explanation(
                "ZATCA did not accept the current production CSID sent for renewal.",
                "لم تقبل الهيئة معرّف الختم التشفيري للإنتاج الحالي المرسل للتجديد.",
                "Check that the unit's production CSID was issued in this environment and has not been revoked; if it was, onboard the unit again.",
                "تأكد من أن معرّف الإنتاج الحالي للوحدة صادر في هذه البيئة ولم يُبطل؛ وإن كان قد أُبطل فأعد ربط الوحدة.",
                false,
            ),
            ErrorCode::InvalidComplianceRequestId => explanation(
                "ZATCA did not recognise the compliance request ID sent to obtain the production CSID.",
                "لم تتعرف الهيئة على معرّف طلب الامتثال المرسل للحصول على معرّف الإنتاج.",
                "Start onboarding again with a new OTP to get a fresh compliance CSID.",
                "ابدأ الربط من جديد برمز تحقق جديد للحصول على معرّف امتثال جديد.",
                false,
            ),
            ErrorCode::InvalidRequest => explanation(
                "ZATCA failed to process the request (\"Invalid-Request\"). In simulation this is usually a CSR made for another environment (the wrong certificate template); otherwise it is a fault on ZATCA's side.",
                "تعذر على الهيئة معالجة الطلب («Invalid-Request»). في بيئة المحاكاة يكون السبب عادة طلب توقيع شهادة أُنشئ لبيئة أخرى (قالب شهادة خاطئ)؛ وإلا فهو عطل لدى الهيئة.",
                "Check that the CSR was made for this environment. If it was, try again later; if it persists, send the support message to ZATCA.",
                "تأكد من أن طلب توقيع الشهادة أُنشئ لهذه البيئة. إن كان كذلك فأعد المحاولة لاحقًا، وإذا استمر الخطأ فأرسل رسالة الدعم إلى الهيئة.",
                true,
            ),
            ErrorCode::TemplateDenied(template) => {
                let named = template.as_deref().map(|t| format!(" ({t})")).unwrap_or_default();
                Explanation {
                    what_happened: Localized::new(
                        format!("ZATCA's certificate authority refused the CSR because its certificate template{named} belongs to another environment."),
                        format!("رفضت جهة إصدار الشهادات لدى الهيئة طلب توقيع الشهادة لأن قالب الشهادة فيه{named} يخص بيئة أخرى."),
                    ),
                    next_step: Localized::new(
                        "Create a new CSR for this environment (production: ZATCA-Code-Signing, simulation: PREZATCA-Code-Signing) and use a new OTP.",
                        "أنشئ طلب توقيع شهادة جديدًا لهذه البيئة (الإنتاج: ZATCA-Code-Signing، المحاكاة: PREZATCA-Code-Signing) واستخدم رمز تحقق جديدًا.",
                    ),
                    retry_may_help: false,
                }
            }
            ErrorCode::NotCompliant => explanation(
                "ZATCA answered NOT_COMPLIANT: it would not issue a certificate for this CSR.",
                "ردّت الهيئة بأن الطلب غير ممتثل (NOT_COMPLIANT): لن تصدر شهادة لطلب توقيع الشهادة هذا.",
                "Read ZATCA's message below (often the invoice types in the CSR), create a corrected CSR and use a new OTP.",
                "اقرأ رسالة الهيئة أدناه (غالبًا بسبب أنواع الفواتير في الطلب)، ثم أنشئ طلبًا مصححًا واستخدم رمز تحقق جديدًا.",
                false,
            ),
            ErrorCode::DocumentRejected(rules) => Explanation {
                what_happened: Localized::new(
                    format!("ZATCA rejected the sample document in the compliance check (rules: {}).", rules.join(", ")),
                    format!("رفضت الهيئة المستند التجريبي في فحص الامتثال (القواعد: {}).", rules.join("، ")),
                ),
                next_step: Localized::new(
                    "This is a fault in the sample document, not in your data: send the support message to the app's maintainers.",
                    "هذا خلل في المستند التجريبي وليس في بياناتك: أرسل رسالة الدعم إلى مطوّري التطبيق.",
                ),
                retry_may_help: false,
            },
            ErrorCode::SubmittedBefore => explanation(
                "ZATCA says this compliance check was already passed with this compliance CSID.",
                "تفيد الهيئة بأن فحص الامتثال هذا اجتيز من قبل بمعرّف الامتثال نفسه.",
                "Nothing to do: the step counts as passed.",
                "لا شيء مطلوب: تُحتسب الخطوة ناجحة.",
                false,
            ),
            ErrorCode::Unauthorized => explanation(
                "ZATCA refused the certificate and secret sent with the request (HTTP 401). Typical causes: a compliance CSID used where the production CSID is needed (renewal), or credentials from another environment.",
                "رفضت الهيئة الشهادة والرمز السري المرسلين مع الطلب (HTTP 401). الأسباب المعتادة: استخدام معرّف الامتثال حيث يلزم معرّف الإنتاج (في التجديد)، أو بيانات اعتماد من بيئة أخرى.",
                "Check that the unit was onboarded in this environment. If it was, send the support message to ZATCA.",
                "تأكد من أن الوحدة رُبطت في هذه البيئة. إن كانت كذلك فأرسل رسالة الدعم إلى الهيئة.",
                false,
            ),
            ErrorCode::EndpointNotAuthorized => explanation(
                "ZATCA says these credentials may not use this service.",
                "تفيد الهيئة بأن بيانات الاعتماد هذه غير مصرّح لها باستخدام هذه الخدمة.",
                "Check that the environment is right and that the unit's CSIDs were issued there; then send the support message to ZATCA.",
                "تأكد من صحة البيئة ومن أن معرّفات الوحدة صادرة فيها، ثم أرسل رسالة الدعم إلى الهيئة.",
                false,
            ),
            ErrorCode::UnsupportedVersion => explanation(
                "ZATCA refused the API version header (HTTP 406). The app always sends V2, so something between you and ZATCA changed the request.",
                "رفضت الهيئة ترويسة إصدار الواجهة (HTTP 406). يرسل التطبيق دائمًا V2، لذا فهناك ما يعدّل الطلب بينك وبين الهيئة.",
                "Run the network diagnostics and check the proxy settings.",
                "شغّل تشخيص الاتصال وراجع إعدادات الخادم الوكيل.",
                false,
            ),
            ErrorCode::TooManyRequests => explanation(
                "ZATCA is limiting the number of requests (HTTP 429).",
                "تحد الهيئة من عدد الطلبات (HTTP 429).",
                "Wait a few minutes and try again; the app resumes where it stopped.",
                "انتظر بضع دقائق ثم أعد المحاولة؛ يستأنف التطبيق من حيث توقف.",
                true,
            ),
            ErrorCode::ServerError(status) => Explanation {
                what_happened: Localized::new(
                    format!("ZATCA's gateway had an internal problem (HTTP {status})."),
                    format!("حدث خلل داخلي في بوابة الهيئة (HTTP {status})."),
                ),
                next_step: Localized::new(
                    "Try again later; the app resumes where it stopped. If it persists, send the support message to ZATCA.",
                    "أعد المحاولة لاحقًا؛ يستأنف التطبيق من حيث توقف. وإذا استمر الخطأ فأرسل رسالة الدعم إلى الهيئة.",
                ),
                retry_may_help: true,
            },
            ErrorCode::NotFromGateway => Explanation {
                what_happened: Localized::new(
                    format!("The answer (HTTP {}) did not come from ZATCA's service: something in between (a proxy, firewall or web filter) answered instead.", self.status),
                    format!("الرد (HTTP {}) لم يأت من خدمة الهيئة: رد بدلا منها جهاز وسيط (خادم وكيل أو جدار حماية أو مرشّح ويب).", self.status),
                ),
                next_step: Localized::new(
                    "Run the network diagnostics and show the report to whoever manages your network.",
                    "شغّل تشخيص الاتصال واعرض التقرير على مسؤول الشبكة لديك.",
                ),
                retry_may_help: true,
            },
            ErrorCode::Other(code) => Explanation {
                what_happened: Localized::new(
                    format!("ZATCA refused the request with code \"{code}\" (HTTP {}).", self.status),
                    format!("رفضت الهيئة الطلب بالرمز «{code}» (HTTP {}).", self.status),
                ),
                next_step: Localized::new(
                    "Read ZATCA's message below; if it is unclear, send the support message to ZATCA.",
                    "اقرأ رسالة الهيئة أدناه؛ وإن لم تكن واضحة فأرسل رسالة الدعم إلى الهيئة.",
                ),
                retry_may_help: false,
            },
        }
    }
}

/// As the onboarding record keeps it.
impl From<Explanation> for RecordedExplanation {
    fn from(explanation: Explanation) -> Self {
        Self { what_happened: explanation.what_happened, next_step: explanation.next_step, retry_may_help: explanation.retry_may_help }
    }
}

impl From<RecordedExplanation> for Explanation {
    fn from(recorded: RecordedExplanation) -> Self {
        Self { what_happened: recorded.what_happened, next_step: recorded.next_step, retry_may_help: recorded.retry_may_help }
    }
}
