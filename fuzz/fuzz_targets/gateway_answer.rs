//! Whatever comes back from a FATOORA gateway (or a proxy in front of it):
//! every status, every endpoint, any body. Reading never fails, keeps ZATCA's
//! messages clipped, and every refusal gets an explanation.
#![no_main]

use fatoora_fuzz::assert_explained;
use fatoora_onboarding::catalogue::{self, Endpoint, MAX_MESSAGE_CHARS};
use fatoora_onboarding::client::{Answer, read_answer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [high, low, pick, body @ ..] = data else { return };
    // Mostly real HTTP statuses, sometimes anything a broken proxy sends.
    let raw = u16::from_be_bytes([*high, *low]);
    let status = if raw & 0x8000 == 0 { 100 + raw % 500 } else { raw };
    let endpoint = Endpoint::ALL[usize::from(*pick) % Endpoint::ALL.len()];

    let refusal = catalogue::parse(status, body);
    for message in &refusal.messages {
        assert!(message.chars().count() <= MAX_MESSAGE_CHARS + 1, "a gateway message is not clipped");
    }
    let explanation = refusal.explain(endpoint);
    assert_explained(&explanation.what_happened, "what_happened");
    assert_explained(&explanation.next_step, "next_step");

    if let Answer::Refused(error) = read_answer(endpoint, status, body) {
        let explanation = error.explain(endpoint);
        assert_explained(&explanation.what_happened, "what_happened");
        assert_explained(&explanation.next_step, "next_step");
    }
});
