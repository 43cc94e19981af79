//! `fatoora-onboard onboard` killed with SIGKILL at every step boundary and
//! inside every request (the request held at the simulator), then resumed
//! with the same command. Each time: the private key is the same (its public
//! key read back from the secrets file, and found in the issued PCSID), no
//! OTP reaches the simulator twice (a run killed while it was in flight
//! refuses it in English and Arabic; a new one finishes), the unit ends
//! issued, and the journal has one row per request the simulator received.

// Linux-only: the store is read back with Debian's sqlite3 command (software
// we did not write), which the Windows run under Wine cannot start.
#![cfg(target_os = "linux")]

mod binary;
mod kill_harness;

use fatoora_simulator::OtpPurpose;
use kill_harness::{Bench, Hold, KillPoint, otp_command, text};

const CCSID: Hold = Hold { method: "POST", path: "/compliance", skip: 0 };
const PCSID: Hold = Hold { method: "POST", path: "/production/csids", skip: 0 };

/// The compliance check after `passed` documents went through.
const fn check(passed: u32) -> Hold {
    Hold { method: "POST", path: "/compliance/invoices", skip: passed }
}

/// What the same command does after the kill.
enum Resumed {
    /// The OTP may be spent: refused, and a new OTP finishes.
    RefusesOtpInDoubt,
    /// Goes on without the OTP, skipping the documents already passed.
    Finishes { passed_earlier: usize },
    /// Nothing left to do.
    AlreadyOnboarded,
}

async fn kill_then_resume(point: KillPoint, resumed: Resumed) {
    let bench = Bench::new().await;
    let otp = bench.mint(OtpPurpose::Onboard);
    let command = otp_command("onboard", &otp);
    bench.run_killed(&command, &point);

    let killed = bench.state();
    let key_name = killed.column("key_name");
    let key = bench.key_fingerprint(&key_name);
    assert_eq!(killed.otp_in_doubt(), matches!(resumed, Resumed::RefusesOtpInDoubt), "in doubt only while the CCSID request was cut off");

    let again = bench.run(&command);
    let said = text(&again);
    assert!(!said.contains(&otp), "the OTP is never echoed");
    match resumed {
        Resumed::RefusesOtpInDoubt => {
            assert_eq!(again.status.code(), Some(1), "{said}");
            assert!(said.contains("the simulator may already have used it") && said.contains("ربما استخدمه المحاكي"), "{said}");
            assert!(said.contains("get a new rehearsal OTP"), "{said}");
            let new_otp = bench.mint(OtpPurpose::Onboard);
            let finished = bench.run(&otp_command("onboard", &new_otp));
            assert!(finished.status.success(), "{}", text(&finished));
            assert_eq!(bench.times_presented(&new_otp), 1);
        }
        Resumed::Finishes { passed_earlier } => {
            assert!(again.status.success(), "{said}");
            assert_eq!(said.matches("(passed earlier)").count(), passed_earlier, "{said}");
        }
        Resumed::AlreadyOnboarded => {
            assert_eq!(again.status.code(), Some(1), "{said}");
            assert!(said.contains("already onboarded") && said.contains("مرتبطة بالفعل"), "{said}");
        }
    }

    assert_eq!(bench.times_presented(&otp), 1, "the first OTP reached the simulator once");
    let issued = bench.state();
    assert_eq!(issued.step(), "issued");
    assert_eq!(issued.column("key_name"), key_name, "the same key throughout");
    assert_eq!(bench.key_fingerprint(&key_name), key, "the key's bytes are unchanged");
    assert_eq!(bench.latest_pcsid_key_fingerprint(), key, "the PCSID certifies that key");
    bench.assert_journal_tells_the_story(point.hold);
}

/// One test per kill point: name, progress line to kill at, request held
/// at the simulator (if any), what the resumed command does.
macro_rules! kill_points {
    ($($name:ident: $line:literal, $hold:expr => $resumed:expr;)*) => {$(
        #[tokio::test(flavor = "multi_thread")]
        async fn $name() {
            kill_then_resume(KillPoint { line: $line, hold: $hold }, $resumed).await;
        }
    )*};
}

kill_points! {
    ccsid_in_flight: "» Compliance CSID", Some(CCSID) => Resumed::RefusesOtpInDoubt;
    ccsid_stored: "» Compliance checks", Some(check(0)) => Resumed::Finishes { passed_earlier: 0 };
    after_document_1: "  1/6 ", Some(check(1)) => Resumed::Finishes { passed_earlier: 1 };
    after_document_2: "  2/6 ", Some(check(2)) => Resumed::Finishes { passed_earlier: 2 };
    after_document_3: "  3/6 ", Some(check(3)) => Resumed::Finishes { passed_earlier: 3 };
    after_document_4: "  4/6 ", Some(check(4)) => Resumed::Finishes { passed_earlier: 4 };
    after_document_5: "  5/6 ", Some(check(5)) => Resumed::Finishes { passed_earlier: 5 };
    after_document_6: "  6/6 ", Some(PCSID) => Resumed::Finishes { passed_earlier: 0 };
    pcsid_in_flight: "» Production CSID", Some(PCSID) => Resumed::Finishes { passed_earlier: 0 };
    pcsid_stored: "» Onboarded", None => Resumed::AlreadyOnboarded;
}
