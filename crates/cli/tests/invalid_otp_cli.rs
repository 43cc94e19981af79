//! `onboard` answered `Invalid-OTP` by the simulator: the real binary prints
//! the differential diagnosis (ruled out, still possible, one next step) in
//! English and Arabic, and `support-message` carries the same reasoning.
//! The OTP itself appears in neither.

use std::process::Output;

use fatoora_base::Environment;
use fatoora_simulator::{OtpPurpose, Simulator, SimulatorConfig};

const VAT: &str = "399999999900003";
const COMMON_NAME: &str = "TST-otp-399999999900003";

mod binary;

use binary::said as text;

fn run(home: &std::path::Path, args: &[&str]) -> Output {
    binary::fatoora_onboard(home).args(args).output().expect("the binary runs")
}

/// The OTP as a token of its own, not inside a longer run of digits (a
/// time or a VAT number).
fn holds_otp(haystack: &str, otp: &str) -> bool {
    haystack.match_indices(otp).any(|(at, _)| {
        let before = haystack[..at].chars().next_back();
        let after = haystack[at + otp.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit()) && !after.is_some_and(|c| c.is_ascii_digit())
    })
}


#[tokio::test(flavor = "multi_thread")]
async fn an_otp_of_another_taxpayer_is_diagnosed_in_both_languages_and_in_the_support_message() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    let simulator = Simulator::start(SimulatorConfig::new(home.join("simulator"))).await.unwrap();
    let prepared = run(home, &[
        "csr", "new", "--env", "local", "--vat", VAT, "--common-name", COMMON_NAME, "--org", "Maximum Speed Tech Supply LTD",
        "--unit", "Riyadh Branch", "--serial", "1-TST|2-TST|3-otp", "--invoice-types", "1100", "--address", "RRRD2929",
        "--category", "Supply activities",
    ]);
    assert!(prepared.status.success(), "{}", text(&prepared));

    // A real OTP from the simulator's portal, minted for another VAT number.
    let otp = simulator.admin().mint_otp(Environment::Local, "311111111111113", OtpPurpose::Onboard).unwrap();
    let refused = run(home, &["onboard", "--unit", COMMON_NAME, "--otp", &otp, "--otp-age", "2", "--otp-portal", "local"]);
    let said = text(&refused);
    assert_eq!(refused.status.code(), Some(1), "{said}");
    assert!(said.contains("ZATCA: Invalid-OTP\nZATCA refused the OTP (Invalid-OTP) on POST /compliance.\nRuled out:\n"), "{said}");
    for ruled_out in [
        "- the OTP came from another environment's portal: as stated when it was entered, it came from the local simulator.",
        "- the OTP was more than an hour old: as stated when it was entered, it was generated 2 minutes before it was sent; it is valid for 60 minutes.",
        "- the OTP had already been used: the journal, which keeps a salted hash of every OTP sent, shows it was never sent before",
    ] {
        assert!(said.contains(ruled_out), "missing {ruled_out:?} in {said}");
    }
    assert!(said.contains("Still possible, most likely first:\n1. the OTP was generated under another taxpayer's account:"), "{said}");
    assert!(said.contains("\nمستبعد:\n- أُنشئ رمز التحقق من بوابة بيئة أخرى: بحسب ما ذُكر عند إدخاله، أُنشئ من المحاكي المحلي."), "{said}");
    // Without the tanween fath: محتملًا and محتملا are both in use.
    assert!(said.replace('\u{064B}', "").contains("\nما زال محتملا، الأرجح أولا:\n1. أُنشئ رمز التحقق من حساب مكلَّف آخر:"), "{said}");
    // In local the simulator is the portal: its button and command, no login.
    assert!(
        said.contains(&format!("→ Get a new rehearsal OTP for VAT number {VAT} under \"Onboard new solution unit/device\": in the app, the “Get a rehearsal OTP” button in the OTP step; on the command line, fatoora-onboard simulator otp --env local --vat {VAT}. Use it at once.")),
        "{said}"
    );
    assert!(said.contains(&format!("→ احصل على رمز تحقق تجريبي جديد للرقم الضريبي \u{2066}{VAT}\u{2069}")), "{said}");
    assert!(!holds_otp(&said, &otp), "the OTP was printed: {said}");

    let support = run(home, &["support-message", "--unit", COMMON_NAME]);
    let message = text(&support);
    assert!(support.status.success(), "{message}");
    assert!(message.contains("Our reading of the Invalid-OTP answer, from the records above:\nZATCA refused the OTP (Invalid-OTP) on POST /compliance."), "{message}");
    assert!(message.contains("1. the OTP was generated under another taxpayer's account:"), "{message}");
    assert!(message.contains("قراءتنا لرد Invalid-OTP بناء على السجلات أعلاه:\nرفضت الهيئة رمز التحقق (Invalid-OTP)"), "{message}");
    assert!(!holds_otp(&message, &otp), "the OTP is in the support message: {message}");
    simulator.shutdown().await;
}
