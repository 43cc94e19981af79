//! The SDK's `csr-config-*.properties`, read by `csr prepare --from-sdk` and
//! by `compliance-docs --from-sdk-config`.
#![no_main]

use fatoora_base::Environment;
use fatoora_fuzz::{assert_explained, split_environment};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (environment, bytes) = split_environment(data);
    match fatoora_csr::UnitProfile::from_sdk_properties(bytes, environment.unwrap_or(Environment::Local)) {
        Ok(profile) => {
            for finding in fatoora_csr::lint_profile(&profile) {
                assert_explained(&finding.message, finding.rule);
            }
            let _ = profile.preview();
        }
        Err(error) => assert_explained(&error.explain(), "from_sdk_properties"),
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        if let Err(error) = fatoora_compliance_docs::SellerProfile::from_sdk_config(text) {
            assert_explained(&error.message(), "from_sdk_config");
        }
    }
});
