//! The invariants every fuzz target checks, shared so each parser is held to
//! the same rules: no panic (libFuzzer reports one as a crash), every error a
//! user can see is explained in both languages, and nothing read from a key
//! file is echoed back in an error.

use fatoora_base::{Environment, Localized};

/// Bytes the targets hand to a parser: at most what a user could plausibly
/// drop on the app, so an input-size cap in the parser is exercised but the
/// fuzzer does not waste time on megabyte inputs.
pub const MAX_INPUT: usize = 256 * 1024;

/// Fails (so libFuzzer keeps the input) when a message is blank in either
/// language.
pub fn assert_explained(message: &Localized, context: &str) {
    assert!(!message.en.trim().is_empty(), "{context}: empty English message");
    assert!(!message.ar.trim().is_empty(), "{context}: empty Arabic message");
}

/// An error about a secret-bearing file must not quote the file: a key pasted
/// into the wrong field would otherwise end up in a log or on screen. Key
/// material is base64 (or hex), so every run of 16+ base64 characters outside
/// the PEM armour lines must be absent from what is shown. (Comparing the
/// whole input instead flags inputs that are fragments of our own messages.)
pub fn assert_not_echoed(input: &[u8], texts: &[&str]) {
    let Ok(input) = std::str::from_utf8(input) else { return };
    let is_base64 = |c: char| c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '=';
    let runs = input
        .lines()
        .filter(|line| !line.trim_start().starts_with("-----"))
        .flat_map(|line| line.split(|c: char| !is_base64(c)))
        .filter(|run| run.len() >= 16);
    for run in runs {
        for text in texts {
            assert!(!text.contains(run), "an error quotes key material from the input");
        }
    }
}

/// The first byte picks an environment (or none), the rest is the input.
pub fn split_environment(data: &[u8]) -> (Option<Environment>, &[u8]) {
    match data.split_first() {
        Some((&pick, rest)) => (Environment::ALL.get(usize::from(pick) % (Environment::ALL.len() + 1)).copied(), rest),
        None => (None, data),
    }
}
