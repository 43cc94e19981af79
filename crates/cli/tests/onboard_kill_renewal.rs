//! `fatoora-onboard renew` killed with SIGKILL after the new key is made,
//! while the renewal request is in flight, and after the new PCSID is kept;
//! then resumed with the same command. Each time: the old key stays the
//! unit's (bytes unchanged) until the new PCSID is stored, the new key is
//! made once and is the one the new PCSID certifies, the renewal OTP
//! reaches the simulator once, the unit ends issued, and the journal has
//! one row per request the simulator received.

// Linux-only: the store is read back with Debian's sqlite3 command (software
// we did not write), which the Windows run under Wine cannot start.
#![cfg(target_os = "linux")]

mod binary;
mod kill_harness;

use fatoora_simulator::OtpPurpose;
use kill_harness::{Bench, Hold, KillPoint, otp_command, text};

/// The reachability probe, which the CLI runs after making the new key and
/// before sending anything.
const PROBE: Hold = Hold { method: "GET", path: "/compliance", skip: 0 };
const RENEWAL: Hold = Hold { method: "PATCH", path: "/production/csids", skip: 0 };

/// Where the renewal stood when it was killed, and so what the same
/// command does next.
enum Killed {
    /// New key made and recorded, OTP not sent: the same OTP finishes.
    KeyMade,
    /// The OTP may be spent: refused, and a new renewal OTP finishes.
    OtpInDoubt,
    /// Renewed already: the spent OTP is refused, nothing changes.
    Renewed,
}

/// A unit onboarded without interruption.
async fn onboarded() -> Bench {
    let bench = Bench::new().await;
    let otp = bench.mint(OtpPurpose::Onboard);
    let onboarded = bench.run(&otp_command("onboard", &otp));
    assert!(onboarded.status.success(), "{}", text(&onboarded));
    bench
}

async fn kill_then_resume(point: KillPoint, killed: Killed) {
    let bench = onboarded().await;
    let old_name = bench.state().column("key_name");
    let old_key = bench.key_fingerprint(&old_name);
    let otp = bench.mint(OtpPurpose::Renew);
    let command = otp_command("renew", &otp);
    bench.run_killed(&command, &point);

    let at_kill = bench.state();
    let new_name = match killed {
        Killed::Renewed => at_kill.column("key_name"),
        Killed::KeyMade | Killed::OtpInDoubt => {
            assert_eq!(at_kill.column("key_name"), old_name, "the old key signs until the new PCSID is stored");
            assert_eq!(at_kill.column("pcsid_key_name"), old_name);
            at_kill.column("renewal_key_name")
        }
    };
    assert_ne!(new_name, old_name, "a renewal makes a new key");
    let new_key = bench.key_fingerprint(&new_name);
    assert_eq!(at_kill.otp_in_doubt(), matches!(killed, Killed::OtpInDoubt));
    assert_eq!(bench.times_presented(&otp), usize::from(!matches!(killed, Killed::KeyMade)));

    let again = bench.run(&command);
    let said = text(&again);
    assert!(!said.contains(&otp), "the OTP is never echoed");
    match killed {
        Killed::KeyMade => assert!(again.status.success(), "{said}"),
        Killed::OtpInDoubt => {
            assert_eq!(again.status.code(), Some(1), "{said}");
            assert!(said.contains("the simulator may already have used it") && said.contains("ربما استخدمه المحاكي"), "{said}");
            let new_otp = bench.mint(OtpPurpose::Renew);
            let finished = bench.run(&otp_command("renew", &new_otp));
            assert!(finished.status.success(), "{}", text(&finished));
            assert_eq!(bench.times_presented(&new_otp), 1);
        }
        Killed::Renewed => {
            assert_eq!(again.status.code(), Some(2), "{said}");
            assert!(said.contains("already sent") && said.contains("أُرسل رمز التحقق هذا من قبل"), "{said}");
        }
    }

    assert_eq!(bench.times_presented(&otp), 1, "the renewal OTP reached the simulator once");
    let issued = bench.state();
    assert_eq!(issued.step(), "issued");
    assert_eq!(issued.column("pcsid_key_name"), new_name, "the new key signs from now on");
    assert_eq!(bench.key_fingerprint(&new_name), new_key, "the new key is the one made before the kill");
    assert_eq!(bench.latest_pcsid_key_fingerprint(), new_key, "the new PCSID certifies it");
    assert_eq!(bench.key_fingerprint(&old_name), old_key, "the old key is still in the keychain, unchanged");
    bench.assert_journal_tells_the_story(point.hold);
}

/// One test per kill point: name, progress line to kill at, request held
/// at the simulator, where the renewal stood.
macro_rules! kill_points {
    ($($name:ident: $line:literal, $hold:expr => $killed:expr;)*) => {$(
        #[tokio::test(flavor = "multi_thread")]
        async fn $name() {
            kill_then_resume(KillPoint { line: $line, hold: $hold }, $killed).await;
        }
    )*};
}

kill_points! {
    renewal_key_made: "» New key ready", Some(PROBE) => Killed::KeyMade;
    renewal_in_flight: "» Renewal /", Some(RENEWAL) => Killed::OtpInDoubt;
    renewal_pcsid_stored: "» Onboarded", None => Killed::Renewed;
}
