//! `fatoora-onboard csr lint FILE` and the simulator's CSR check: any bytes,
//! any environment. A CSR that cannot be read must say why.
#![no_main]

use fatoora_fuzz::{assert_explained, split_environment};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (environment, bytes) = split_environment(data);
    let lint = fatoora_csr::lint_csr(bytes, environment);
    if lint.csr.is_none() {
        assert!(lint.has_errors(), "an unreadable CSR got no error");
    }
    for finding in &lint.findings {
        assert!(!finding.rule.is_empty(), "a finding names no rule");
        assert_explained(&finding.message, finding.rule);
    }
    if let Err(error) = fatoora_csr::parse_csr(bytes) {
        assert_explained(&error.explain(), error.rule());
    }
});
