//! The rule table: findings in, one headline and one next step out, in
//! English and Arabic. Rules are tried in order and the first that matches
//! wins, so a cause is named before its symptoms (no DNS answer explains
//! why TCP never ran; a dead proxy explains why the proxied GET failed).

use fatoora_base::Localized;
use fatoora_base::i18n::{SECONDS, count_ar, ltr};

use crate::model::*;
use crate::options::Target;
use crate::proxy::ProxyOrigin;

pub(crate) struct Evidence<'a> {
    pub target: &'a Target,
    pub proxy: Option<String>,
    /// Where that proxy was set, which is where the user corrects it.
    pub proxy_origin: Option<ProxyOrigin>,
    pub dns: &'a [DnsProbe],
    pub tcp: &'a [TcpProbe],
    pub tls: &'a [TlsProbe],
    pub http: &'a [HttpProbe],
    pub control: Option<&'a ControlProbe>,
    pub clock: Option<&'a ClockCheck>,
}

type Rule = fn(&Evidence) -> Option<Verdict>;

/// In order; the first rule that returns a verdict decides.
const RULES: &[Rule] = &[
    proxy_misconfigured,
    proxy_required,
    dns_failure,
    tcp_failure,
    tls_failure,
    untrusted_chain,
    http_status,
    http_no_answer,
    clock_skew,
];

pub(crate) fn decide(evidence: &Evidence) -> Verdict {
    RULES.iter().find_map(|rule| rule(evidence)).unwrap_or_else(|| healthy(evidence))
}

fn problem(class: VerdictClass, headline: Localized, next_step: Localized) -> Option<Verdict> {
    Some(Verdict { class, problem: true, headline, next_step })
}

impl Evidence<'_> {
    fn host(&self) -> &str {
        &self.target.host
    }

    fn control_failed(&self) -> bool {
        self.control.is_some_and(|c| matches!(c.outcome, HttpOutcome::Failed { .. }))
    }

    fn control_answered(&self) -> bool {
        self.control.is_some_and(|c| matches!(c.outcome, HttpOutcome::Answered { .. }))
    }

    fn proxied(&self) -> Option<&HttpProbe> {
        self.http.iter().find(|p| matches!(p.route, Route::Proxy { .. }))
    }

    fn direct(&self) -> impl Iterator<Item = &HttpProbe> {
        self.http.iter().filter(|p| p.route == Route::Direct)
    }

    fn has_addresses(&self) -> bool {
        self.target.ip_literal().is_some()
            || self.dns.iter().any(|p| matches!(&p.outcome, DnsOutcome::Resolved { addresses } if !addresses.is_empty()))
    }

    /// Words for the control probe's result, to put after the main finding.
    fn control_clause(&self) -> (&'static str, &'static str) {
        if self.control_answered() {
            (" while other HTTPS sites answer", " بينما تستجيب مواقع HTTPS الأخرى")
        } else {
            ("", "")
        }
    }
}

fn no_internet(e: &Evidence, what_en: &str, what_ar: &str) -> Option<Verdict> {
    problem(
        VerdictClass::NoInternet,
        Localized::new(
            format!("{what_en}, and the control site does not answer either: this machine has no working internet connection."),
            format!("{what_ar}، ولا يستجيب موقع المقارنة أيضًا: لا يوجد اتصال بالإنترنت يعمل على هذا الجهاز."),
        ),
        Localized::new(
            format!("Check this machine's network, firewall and proxy settings first; the problem is not specific to ZATCA ({}).", e.host()),
            format!("افحص أولا إعدادات الشبكة وجدار الحماية والخادم الوكيل على هذا الجهاز؛ المشكلة ليست خاصة بالهيئة ({})."
                , ltr(e.host())),
        ),
    )
}

fn proxy_misconfigured(e: &Evidence) -> Option<Verdict> {
    let proxied = e.proxied()?;
    let HttpOutcome::Failed { stage: Stage::Proxy, kind, detail } = &proxied.outcome else { return None };
    let proxy = e.proxy.clone().unwrap_or_default();
    let (why_en, why_ar) = match kind {
        FailureKind::ProxyRejected if detail.contains(" 407") => (
            "asks for credentials (407) that are missing or wrong".to_owned(),
            "يطلب بيانات دخول (407) غير موجودة أو غير صحيحة".to_owned(),
        ),
        FailureKind::ProxyRejected => (format!("refuses the tunnel ({detail})"), format!("يرفض إنشاء النفق ({})", ltr(detail))),
        FailureKind::TimedOut => ("does not answer".to_owned(), "لا يستجيب".to_owned()),
        _ => (format!("cannot be reached ({detail})"), format!("لا يمكن الوصول إليه ({})", ltr(detail))),
    };
    let direct_works = e.direct().any(|p| p.outcome.status().is_some());
    let (also_en, also_ar) = if direct_works {
        (" A direct connection works.", " الاتصال المباشر يعمل.")
    } else {
        ("", "")
    };
    let (set_en, set_ar) = match e.proxy_origin {
        Some(ProxyOrigin::Entered) => ("entered for this diagnosis", "المُدخل لهذا التشخيص"),
        _ => ("configured on this machine", "المضبوط على هذا الجهاز"),
    };
    let (where_en, where_ar) = proxy_origin_words(e.proxy_origin.as_ref());
    problem(
        VerdictClass::ProxyMisconfigured,
        Localized::new(
            format!("The proxy {proxy} {set_en} {why_en}.{also_en}"),
            format!("الخادم الوكيل {} {set_ar} {why_ar}.{also_ar}", ltr(&proxy)),
        ),
        Localized::new(
            format!("Correct the proxy address or credentials in {where_en} (or remove it if this network does not need one), then run the diagnosis again."),
            format!("صحّح عنوان الخادم الوكيل أو بيانات الدخول في {where_ar} (أو احذفه إذا كانت الشبكة لا تحتاج إليه)، ثم أعد التشخيص."),
        ),
    )
}

/// Where the user changes the proxy, in both languages.
fn proxy_origin_words(origin: Option<&ProxyOrigin>) -> (String, String) {
    match origin {
        Some(ProxyOrigin::Variable(name)) => (format!("the {name} environment variable"), format!("متغير البيئة {}", ltr(name))),
        Some(ProxyOrigin::System(source)) => (format!("the system's proxy settings: {source}"), format!("إعدادات الخادم الوكيل في النظام: {}", ltr(source))),
        Some(ProxyOrigin::Entered) => ("the Proxy box of this diagnosis".to_owned(), "حقل الخادم الوكيل في هذا التشخيص".to_owned()),
        None => ("the proxy settings".to_owned(), "إعدادات الخادم الوكيل".to_owned()),
    }
}

fn proxy_required(e: &Evidence) -> Option<Verdict> {
    let proxied = e.proxied()?;
    proxied.outcome.status()?;
    let mut direct = e.direct().peekable();
    direct.peek()?;
    if direct.any(|p| p.outcome.status().is_some()) {
        return None;
    }
    let proxy = e.proxy.clone().unwrap_or_default();
    problem(
        VerdictClass::ProxyRequired,
        Localized::new(
            format!("{} answers only through the proxy {proxy}; direct connections fail.", e.host()),
            format!("لا يستجيب {} إلا عبر الخادم الوكيل {}؛ الاتصالات المباشرة تفشل.", ltr(e.host()), ltr(&proxy)),
        ),
        Localized::new(
            "Make sure your invoicing system sends its ZATCA calls through this proxy (HTTPS_PROXY or its own proxy setting).",
            "تأكد من أن نظام الفوترة لديك يرسل طلباته إلى الهيئة عبر هذا الخادم الوكيل (HTTPS_PROXY أو إعداد الخادم الوكيل الخاص به).",
        ),
    )
}

fn dns_failure(e: &Evidence) -> Option<Verdict> {
    if e.has_addresses() {
        return None;
    }
    if e.control_failed() {
        return no_internet(e, &format!("{} cannot be resolved", e.host()), &format!("تعذّر تحليل الاسم {}", ltr(e.host())));
    }
    let any = |wanted: fn(&DnsOutcome) -> bool| e.dns.iter().any(|p| wanted(&p.outcome));
    let servers = e.dns.iter().map(|p| p.server.as_str()).collect::<std::collections::BTreeSet<_>>().into_iter().collect::<Vec<_>>().join(", ");
    let host = e.host();
    let ask_en = format!("Ask your network or hosting provider why the DNS servers ({servers}) cannot resolve {host}; to compare, run the diagnosis with --resolver set to another DNS server.");
    let ask_ar = format!("اسأل مزوّد الشبكة أو الاستضافة لماذا لا تستطيع خوادم نظام أسماء النطاقات (DNS) ({}) تحليل {}؛ وللمقارنة أعد التشخيص مع ‎--resolver‏ وخادم DNS آخر.", ltr(&servers), ltr(host));
    if any(|o| *o == DnsOutcome::NxDomain) {
        return problem(
            VerdictClass::DnsNxdomain,
            Localized::new(
                format!("DNS says {host} does not exist (NXDOMAIN)."),
                format!("يفيد نظام أسماء النطاقات (DNS) بأن {} غير موجود (NXDOMAIN).", ltr(host)),
            ),
            Localized::new(
                format!("Check the host name for typos or an outdated address (gw-fatoora.zatca.gov.sa is current). {ask_en}"),
                format!("تحقق من اسم الخادم من الأخطاء أو من عنوان قديم (العنوان الحالي ‎gw-fatoora.zatca.gov.sa‏). {ask_ar}"),
            ),
        );
    }
    if any(|o| *o == DnsOutcome::ServFail) {
        return problem(
            VerdictClass::DnsServfail,
            Localized::new(
                format!("The DNS server failed to look up {host} (SERVFAIL)."),
                format!("أخفق خادم نظام أسماء النطاقات (DNS) في البحث عن {} (SERVFAIL).", ltr(host)),
            ),
            Localized::new(ask_en, ask_ar),
        );
    }
    if any(|o| *o == DnsOutcome::Timeout) {
        let (c_en, c_ar) = e.control_clause();
        return problem(
            VerdictClass::DnsTimeout,
            Localized::new(
                format!("DNS lookups for {host} time out{c_en}."),
                format!("انتهت مهلة الاتصال عند البحث عن {} في نظام أسماء النطاقات (DNS){c_ar}.", ltr(host)),
            ),
            Localized::new(ask_en, ask_ar),
        );
    }
    problem(
        VerdictClass::DnsFailed,
        Localized::new(format!("No address could be found for {host}."), format!("تعذّر العثور على عنوان لـ {}.", ltr(host))),
        Localized::new(ask_en, ask_ar),
    )
}

fn tcp_failure(e: &Evidence) -> Option<Verdict> {
    if e.tcp.is_empty() || e.tcp.iter().any(|p| p.outcome == TcpOutcome::Connected) {
        return None;
    }
    let host = e.host();
    let n = e.tcp.len();
    let port = e.target.port;
    if e.control_failed() {
        return no_internet(e, &format!("TCP connections to {host} fail"), &format!("تفشل اتصالات TCP إلى {}", ltr(host)));
    }
    let (c_en, c_ar) = e.control_clause();
    let timed_out = e.tcp.iter().filter(|p| p.outcome == TcpOutcome::TimedOut).count();
    let refused = e.tcp.iter().filter(|p| p.outcome == TcpOutcome::Refused).count();
    if timed_out == n || (timed_out > 0 && refused == 0) {
        let (which_en, which_ar) = if n == 1 {
            (format!("the address of {host}"), format!("عنوان {}", ltr(host)))
        } else {
            (format!("all {n} addresses of {host}"), format!("جميع عناوين {} ({})", ltr(host), ltr(n)))
        };
        let (dns_en, dns_ar) =
            if e.dns.is_empty() { ("", "") } else { (" while DNS works", " مع أن نظام أسماء النطاقات (DNS) يعمل") };
        return problem(
            VerdictClass::TcpBlackHole,
            Localized::new(
                format!("TCP connections to {which_en} on port {port} time out{dns_en}{c_en}: packets are dropped between this machine and ZATCA."),
                format!("انتهت مهلة الاتصال عبر TCP بـ{which_ar} على المنفذ {}{dns_ar}{c_ar}: الحزم تُسقط في الطريق بين هذا الجهاز والهيئة.", ltr(port)),
            ),
            Localized::new(
                "Ask your hosting provider to test from this server's public IP with the attached report; if they see no block on their side, send the report to ZATCA support.",
                "اطلب من مزوّد الاستضافة الاختبار من عنوان IP العام لهذا الخادم مع إرفاق التقرير؛ وإذا لم يجد أي حظر من جهته فأرسل التقرير إلى الدعم الفني للهيئة في تذكرة دعم فني.",
            ),
        );
    }
    if refused > 0 {
        return problem(
            VerdictClass::TcpRefused,
            Localized::new(
                format!("Connections to {host} on port {port} are refused (reset){c_en}: something actively rejects them."),
                format!("تُرفض الاتصالات إلى {} على المنفذ {}{c_ar}: هناك ما يرفضها بشكل صريح.", ltr(host), ltr(port)),
            ),
            Localized::new(
                "Check the URL and port; if they are right, ask your network administrator or hosting provider whether a firewall rejects outgoing HTTPS to this address, and attach the report.",
                "تحقق من العنوان والمنفذ؛ وإذا كانا صحيحين فاسأل مسؤول الشبكة أو مزوّد الاستضافة هل يرفض جدار الحماية اتصالات HTTPS الصادرة إلى هذا العنوان، مع إرفاق التقرير.",
            ),
        );
    }
    problem(
        VerdictClass::NetworkUnreachable,
        Localized::new(
            format!("This machine has no route to any address of {host}."),
            format!("لا يوجد لدى هذا الجهاز مسار إلى أي عنوان من عناوين {}.", ltr(host)),
        ),
        Localized::new(
            "Check the network configuration (default route, IPv6 without IPv4) or ask your network administrator, with the attached report.",
            "افحص إعدادات الشبكة (المسار الافتراضي، أو IPv6 دون IPv4) أو اسأل مسؤول الشبكة مع إرفاق التقرير.",
        ),
    )
}

fn tls_failure(e: &Evidence) -> Option<Verdict> {
    if e.tls.is_empty() || e.tls.iter().any(|p| matches!(p.outcome, TlsOutcome::Established { .. })) {
        return None;
    }
    let host = e.host();
    if e.tls.iter().any(|p| p.outcome == TlsOutcome::Stalled) {
        return problem(
            VerdictClass::TlsStall,
            Localized::new(
                format!("TCP connections to {host} open, but the TLS handshake stalls: a middlebox (firewall, DPI) or an MTU problem swallows the handshake."),
                format!("تُفتح اتصالات TCP إلى {} لكن مصافحة TLS تتوقف: جهاز وسيط (جدار حماية أو فحص عميق للحزم) أو مشكلة في حجم الحزم (MTU) يمنع إكمالها.", ltr(host)),
            ),
            Localized::new(
                "Send the report to your network administrator or hosting provider: ask them to check TLS inspection and the path MTU towards this address.",
                "أرسل التقرير إلى مسؤول الشبكة أو مزوّد الاستضافة واطلب منهم فحص أي تفتيش لاتصالات TLS وحجم الحزم (MTU) في الطريق إلى هذا العنوان.",
            ),
        );
    }
    if e.tls.iter().all(|p| matches!(p.outcome, TlsOutcome::VersionRefused { .. })) {
        return problem(
            VerdictClass::TlsVersionRefused,
            Localized::new(
                format!("{host} refuses both TLS 1.3 and TLS 1.2."),
                format!("يرفض {} كلا الإصدارين TLS 1.3 وTLS 1.2.", ltr(host)),
            ),
            Localized::new(
                "Something between this machine and ZATCA only accepts other TLS versions: ask your network administrator whether a proxy or firewall rewrites TLS, and attach the report.",
                "هناك ما يقبل إصدارات TLS أخرى فقط بين هذا الجهاز والهيئة: اسأل مسؤول الشبكة هل يعيد خادم وكيل أو جدار حماية كتابة اتصالات TLS، مع إرفاق التقرير.",
            ),
        );
    }
    problem(
        VerdictClass::TlsFailed,
        Localized::new(
            format!("The TLS handshake with {host} fails."),
            format!("تفشل مصافحة TLS مع {}.", ltr(host)),
        ),
        Localized::new(
            "Send the attached report to your network administrator; the TLS section shows the exact error.",
            "أرسل التقرير المرفق إلى مسؤول الشبكة؛ يبيّن قسم TLS الخطأ بالتحديد.",
        ),
    )
}

fn untrusted_chain(e: &Evidence) -> Option<Verdict> {
    let established: Vec<_> = e
        .tls
        .iter()
        .filter_map(|p| match &p.outcome {
            TlsOutcome::Established { trusted, chain, .. } => Some((trusted, chain)),
            _ => None,
        })
        .collect();
    if established.is_empty() || established.iter().any(|(trusted, _)| **trusted) {
        return None;
    }
    let issuer = established.iter().find_map(|(_, chain)| chain.first().map(|c| c.issuer.clone())).unwrap_or_default();
    let host = e.host();
    problem(
        VerdictClass::UntrustedChain,
        Localized::new(
            format!("The certificate presented for {host} is not trusted by this machine (issued by \"{issuer}\"): a proxy or security product is probably intercepting HTTPS."),
            format!("الشهادة المقدمة لـ {} غير موثوقة على هذا الجهاز (صادرة من «{}»): يبدو أن خادمًا وكيلا أو برنامج حماية يعترض اتصالات HTTPS.", ltr(host), ltr(&issuer)),
        ),
        Localized::new(
            "Ask your network administrator to exempt gw-fatoora.zatca.gov.sa from HTTPS inspection; never disable certificate checks in your invoicing system.",
            "اطلب من مسؤول الشبكة استثناء ‎gw-fatoora.zatca.gov.sa‏ من فحص اتصالات HTTPS؛ ولا تعطّل أبدًا التحقق من الشهادات في نظام الفوترة.",
        ),
    )
}

fn http_status(e: &Evidence) -> Option<Verdict> {
    let statuses: Vec<u16> = e.http.iter().filter_map(|p| p.outcome.status()).collect();
    let host = e.host();
    let waf: Vec<String> = e
        .http
        .iter()
        .filter_map(|p| match &p.outcome {
            HttpOutcome::Answered { waf_hints, .. } => Some(waf_hints.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    if statuses.contains(&403) {
        let hint = waf.first().map(|w| format!(" ({w})")).unwrap_or_default();
        return problem(
            VerdictClass::Http403,
            Localized::new(
                format!("{host} answers 403 Forbidden{hint}: a web application firewall in front of the gateway refuses requests from this machine or its IP."),
                format!("يجيب {} بالرمز 403 (ممنوع){}: جدار حماية تطبيقات الويب أمام البوابة يرفض الطلبات الواردة من هذا الجهاز أو من عنوان IP الخاص به.", ltr(host), ltr(&hint)),
            ),
            Localized::new(
                "Send the attached report to ZATCA support with this server's public IP; on shared hosting, ask your provider whether the IP is shared with others.",
                "أرسل التقرير المرفق إلى الدعم الفني للهيئة مع عنوان IP العام لهذا الخادم؛ وفي الاستضافة المشتركة اسأل المزوّد هل يشترك العنوان مع آخرين.",
            ),
        );
    }
    if statuses.contains(&429) {
        return problem(
            VerdictClass::Http429,
            Localized::new(
                format!("{host} answers 429 Too Many Requests: calls from this machine or its IP are being rate-limited."),
                format!("يجيب {} بالرمز 429: الطلبات من هذا الجهاز أو من عنوان IP الخاص به محدودة لكثرتها.", ltr(host)),
            ),
            Localized::new(
                "Wait a few minutes before retrying and make sure no other program on this IP floods the gateway.",
                "انتظر بضع دقائق قبل إعادة المحاولة، وتأكد من أن أي برنامج آخر على هذا العنوان لا يرسل طلبات كثيرة إلى البوابة.",
            ),
        );
    }
    if let Some(status) = statuses.iter().find(|s| **s >= 500) {
        return problem(
            VerdictClass::Http5xx,
            Localized::new(
                format!("{host} is reachable but answers {status}: the problem is on ZATCA's side."),
                format!("يمكن الوصول إلى {} لكنه يجيب بالرمز {}: المشكلة من جهة الهيئة.", ltr(host), ltr(status)),
            ),
            Localized::new(
                "Nothing to fix on this machine. Retry later; if it lasts, send the attached report to ZATCA support.",
                "لا يوجد ما يُصلح على هذا الجهاز. أعد المحاولة لاحقًا؛ وإذا استمرت المشكلة فأرسل التقرير المرفق إلى الدعم الفني للهيئة.",
            ),
        );
    }
    None
}

fn http_no_answer(e: &Evidence) -> Option<Verdict> {
    if e.http.is_empty() || e.http.iter().any(|p| p.outcome.status().is_some()) {
        return None;
    }
    let detail = e
        .http
        .iter()
        .find_map(|p| match &p.outcome {
            HttpOutcome::Failed { stage, detail, .. } => Some(format!("{stage:?}: {detail}")),
            _ => None,
        })
        .unwrap_or_default();
    problem(
        VerdictClass::Inconclusive,
        Localized::new(
            format!("{} accepts connections but gave no HTTP answer ({detail}).", e.host()),
            format!("يقبل {} الاتصالات لكنه لم يُرجع أي رد HTTP ({}).", ltr(e.host()), ltr(&detail)),
        ),
        Localized::new(
            "Run the diagnosis again; if the result stays the same, send the attached report to ZATCA support.",
            "أعد التشخيص؛ وإذا بقيت النتيجة نفسها فأرسل التقرير المرفق إلى الدعم الفني للهيئة.",
        ),
    )
}

fn clock_skew(e: &Evidence) -> Option<Verdict> {
    let clock = e.clock.filter(|c| c.is_skewed())?;
    let (direction_en, direction_ar) = if clock.skew_seconds > 0 { ("ahead", "متقدّمة") } else { ("behind", "متأخرة") };
    let seconds = clock.skew_seconds.unsigned_abs();
    problem(
        VerdictClass::ClockSkew,
        Localized::new(
            format!("ZATCA is reachable, but this machine's clock is {seconds} s {direction_en} of the server's."),
            format!("يمكن الوصول إلى الهيئة، لكن ساعة هذا الجهاز {direction_ar} بمقدار {} عن ساعة الخادم.", count_ar(seconds, &SECONDS)),
        ),
        Localized::new(
            "Turn on automatic time synchronisation (NTP) and check the time zone; wrong clocks make certificates and invoice timestamps fail.",
            "فعّل مزامنة الوقت التلقائية (NTP) وتحقق من المنطقة الزمنية؛ فالساعة الخاطئة تُفشل الشهادات وطوابع وقت الفواتير.",
        ),
    )
}

fn healthy(e: &Evidence) -> Verdict {
    if let Some(verdict) = ipv6_broken(e) {
        return verdict;
    }
    Verdict {
        class: VerdictClass::Healthy,
        problem: false,
        headline: Localized::new(
            format!("{} is reachable: DNS, TCP, TLS and HTTP all work from this machine.", e.host()),
            format!("يمكن الوصول إلى {}: نظام أسماء النطاقات (DNS) وTCP وTLS وHTTP كلها تعمل من هذا الجهاز.", ltr(e.host())),
        ),
        next_step: Localized::new(
            "Nothing to fix. If your invoicing system still fails, compare its settings (URL, proxy, timeout) with this report.",
            "لا يوجد ما يُصلح. وإذا استمر فشل نظام الفوترة فقارن إعداداته (العنوان، الخادم الوكيل، المهلة) بهذا التقرير.",
        ),
    }
}

/// Everything works over IPv4 while the IPv6 addresses do not connect. This
/// app falls back to IPv4, but a client that tries IPv6 first (many PHP/curl
/// and Java setups) waits for its connect timeout on every call.
fn ipv6_broken(e: &Evidence) -> Option<Verdict> {
    let connected = |ipv6: bool| e.tcp.iter().any(|p| p.address.is_ipv6() == ipv6 && p.outcome == TcpOutcome::Connected);
    let broken: Vec<String> =
        e.tcp.iter().filter(|p| p.address.is_ipv6() && p.outcome != TcpOutcome::Connected).map(|p| p.address.ip().to_string()).collect();
    if broken.is_empty() || connected(true) || !connected(false) {
        return None;
    }
    let host = e.host();
    let list = broken.join(", ");
    Some(Verdict {
        class: VerdictClass::Healthy,
        problem: false,
        headline: Localized::new(
            format!("{host} is reachable over IPv4 (DNS, TCP, TLS and HTTP work), but IPv6 is broken: connections to its IPv6 address {list} fail."),
            format!("يمكن الوصول إلى {} عبر IPv4، إذ يعمل نظام أسماء النطاقات (DNS) وTCP وTLS وHTTP، لكن IPv6 معطّل: تفشل الاتصالات بعنوان IPv6 {}.", ltr(host), ltr(&list)),
        ),
        next_step: Localized::new(
            "This app falls back to IPv4, so onboarding can go ahead. If your invoicing system times out, make it use IPv4 (e.g. curl --ipv4, CURLOPT_IPRESOLVE) or ask your hosting provider to fix IPv6 routing, with the attached report.",
            "يعود هذا التطبيق إلى IPv4 تلقائيًا، لذا يمكن متابعة الربط. وإذا انتهت مهلة نظام الفوترة لديك فاجعله يستخدم IPv4 (مثل ‎curl --ipv4 أو CURLOPT_IPRESOLVE) أو اطلب من مزوّد الاستضافة إصلاح توجيه IPv6، مع إرفاق التقرير.",
        ),
    })
}
