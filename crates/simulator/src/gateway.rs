//! The three gateway paths the simulator serves and the rules of each
//! (SPEC.md 1.1, 1.8, 2.3 and Appendix A).

use std::fmt;
use std::str::FromStr;

use fatoora_base::Environment;
use serde::{Deserialize, Serialize};

/// A gateway path under `/e-invoicing/`. The app's `local` environment is
/// served by [`Gateway::Core`] (see [`CoreTemplates`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gateway {
    /// `/e-invoicing/developer-portal`: lenient, fixed OTPs and request id.
    Sandbox,
    /// `/e-invoicing/simulation`: production's rules, `PREZATCA-Code-Signing`.
    Simulation,
    /// `/e-invoicing/core`: production's rules.
    Core,
}

pub const SANDBOX_ONBOARDING_OTP: &str = "123345";
pub const SANDBOX_RENEWAL_OTP: &str = "123456";
pub const SANDBOX_REQUEST_ID: i64 = 1_234_567_890_123;
/// The VAT number the real sandbox answers with one hard-coded PCSID (SPEC.md 1.8).
pub const SANDBOX_FIXED_PCSID_VAT: &str = "399999999900003";

impl Gateway {
    pub const ALL: [Gateway; 3] = [Gateway::Sandbox, Gateway::Simulation, Gateway::Core];

    pub fn path_segment(self) -> &'static str {
        match self {
            Gateway::Sandbox => "developer-portal",
            Gateway::Simulation => "simulation",
            Gateway::Core => "core",
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Gateway::Sandbox => "sandbox",
            Gateway::Simulation => "simulation",
            Gateway::Core => "core",
        }
    }

    pub fn for_environment(env: Environment) -> Self {
        match env {
            Environment::Sandbox => Gateway::Sandbox,
            Environment::Simulation => Gateway::Simulation,
            Environment::Production | Environment::Local => Gateway::Core,
        }
    }

    /// Whether POST /production/csids requires every compliance step first.
    /// The sandbox issues without them (SPEC.md 1.8, [V-obs]).
    pub fn enforces_compliance_gate(self) -> bool {
        !matches!(self, Gateway::Sandbox)
    }

    /// Certificate templates this gateway's CA accepts.
    pub fn accepts_template(self, template: &str, core: CoreTemplates) -> bool {
        match self {
            // SPEC.md 1.8: clients use four different names against the sandbox and all work.
            Gateway::Sandbox => true,
            Gateway::Simulation => template == "PREZATCA-Code-Signing",
            Gateway::Core => {
                template == "ZATCA-Code-Signing"
                    || (core == CoreTemplates::ProductionAndLocal && template == "TSTZATCA-Code-Signing")
            }
        }
    }
}

impl fmt::Display for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Gateway {
    type Err = fatoora_base::environment::UnknownEnvironment;

    /// Accepts the app's environment names as well as the gateway ids.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "core" => Ok(Gateway::Core),
            "developer-portal" => Ok(Gateway::Sandbox),
            other => other.parse::<Environment>().map(Gateway::for_environment),
        }
    }
}

/// Which templates `/core` accepts.
///
/// Decision: the app's `local` environment follows production's rules but its
/// CSRs carry the sandbox template `TSTZATCA-Code-Signing` (fatoora-base's
/// `Environment::Local`), and `local` is served under `/core`. So by default
/// the simulator's `/core` accepts `ZATCA-Code-Signing` *and*
/// `TSTZATCA-Code-Signing`; `ProductionOnly` gives the real core's rule for
/// tests that check a client against production strictness. `PREZATCA` is
/// refused either way, as on the real core.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CoreTemplates {
    #[default]
    ProductionAndLocal,
    ProductionOnly,
}

/// What an OTP was generated for in the portal (SPEC.md 4.1 item 6, 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OtpPurpose {
    Onboard,
    Renew,
}

impl OtpPurpose {
    pub fn id(self) -> &'static str {
        match self {
            OtpPurpose::Onboard => "onboard",
            OtpPurpose::Renew => "renew",
        }
    }

    pub fn sandbox_otp(self) -> &'static str {
        match self {
            OtpPurpose::Onboard => SANDBOX_ONBOARDING_OTP,
            OtpPurpose::Renew => SANDBOX_RENEWAL_OTP,
        }
    }
}

impl FromStr for OtpPurpose {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "onboard" | "onboarding" => Ok(OtpPurpose::Onboard),
            "renew" | "renewal" => Ok(OtpPurpose::Renew),
            other => Err(format!("unknown OTP purpose {other:?}: use onboard or renew")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_is_served_under_core_and_takes_the_sandbox_template() {
        let gateway = Gateway::for_environment(Environment::Local);
        assert_eq!(gateway.path_segment(), Environment::Local.gateway_path());
        let template = Environment::Local.certificate_template();
        assert!(gateway.accepts_template(template, CoreTemplates::ProductionAndLocal));
        assert!(!gateway.accepts_template(template, CoreTemplates::ProductionOnly));
        assert!(!gateway.accepts_template("PREZATCA-Code-Signing", CoreTemplates::ProductionAndLocal));
    }

    #[test]
    fn every_environment_maps_to_its_real_path() {
        for env in [Environment::Sandbox, Environment::Simulation, Environment::Production] {
            assert_eq!(Gateway::for_environment(env).path_segment(), env.gateway_path());
        }
    }
}
