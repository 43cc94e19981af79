//! The FATOORA environments (SPEC.md 1.1) plus `local`, the bundled simulator.
//!
//! `local` follows production's rules (real OTPs, compliance gate, error
//! bodies) but takes CSRs with the sandbox template, so rehearsing can never
//! produce a CSR that production would accept.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::i18n::Localized;

pub const GATEWAY_HOST: &str = "gw-fatoora.zatca.gov.sa";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    #[default]
    Local,
    Sandbox,
    Simulation,
    Production,
}

impl Environment {
    pub const ALL: [Environment; 4] = [
        Environment::Local,
        Environment::Sandbox,
        Environment::Simulation,
        Environment::Production,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Environment::Local => "local",
            Environment::Sandbox => "sandbox",
            Environment::Simulation => "simulation",
            Environment::Production => "production",
        }
    }

    /// The gateway path segment under `/e-invoicing/`. `local` serves the
    /// production rules, so the bundled simulator answers it under `core`.
    pub fn gateway_path(self) -> &'static str {
        match self {
            Environment::Sandbox => "developer-portal",
            Environment::Simulation => "simulation",
            Environment::Production | Environment::Local => "core",
        }
    }

    /// Base URL of the real gateway; `None` for `local`, whose address is
    /// only known once the bundled simulator is listening.
    pub fn zatca_base_url(self) -> Option<String> {
        match self {
            Environment::Local => None,
            _ => Some(format!("https://{GATEWAY_HOST}/e-invoicing/{}", self.gateway_path())),
        }
    }

    /// Value of the certificate-template extension (OID 1.3.6.1.4.1.311.20.2)
    /// that this environment's CA accepts (SPEC.md 2.3).
    pub fn certificate_template(self) -> &'static str {
        match self {
            Environment::Production => "ZATCA-Code-Signing",
            Environment::Simulation => "PREZATCA-Code-Signing",
            Environment::Sandbox | Environment::Local => "TSTZATCA-Code-Signing",
        }
    }

    /// Whether a mistake here costs the taxpayer a real OTP or certificate.
    pub fn reaches_zatca(self) -> bool {
        !matches!(self, Environment::Local)
    }

    pub fn label(self) -> Localized {
        match self {
            Environment::Local => Localized::new(
                "Local rehearsal (nothing is sent to ZATCA)",
                "تدريب محلي (لا يُرسل أي شيء إلى الهيئة)",
            ),
            Environment::Sandbox => Localized::new(
                "Sandbox (developer portal)",
                "البيئة التجريبية للمطوّرين (Sandbox)",
            ),
            Environment::Simulation => Localized::new("Simulation", "بيئة المحاكاة"),
            Environment::Production => Localized::new("Production", "بيئة الإنتاج (البيئة الفعلية)"),
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown environment {given:?}: use local, sandbox, simulation or production")]
pub struct UnknownEnvironment {
    pub given: String,
}

impl FromStr for Environment {
    type Err = UnknownEnvironment;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Environment::ALL
            .into_iter()
            .find(|env| env.id().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownEnvironment { given: s.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_follow_spec_1_1() {
        assert_eq!(
            Environment::Sandbox.zatca_base_url().unwrap(),
            "https://gw-fatoora.zatca.gov.sa/e-invoicing/developer-portal"
        );
        assert_eq!(
            Environment::Simulation.zatca_base_url().unwrap(),
            "https://gw-fatoora.zatca.gov.sa/e-invoicing/simulation"
        );
        assert_eq!(
            Environment::Production.zatca_base_url().unwrap(),
            "https://gw-fatoora.zatca.gov.sa/e-invoicing/core"
        );
        assert_eq!(Environment::Local.zatca_base_url(), None);
    }

    #[test]
    fn local_never_uses_the_production_template() {
        assert_eq!(Environment::Local.certificate_template(), "TSTZATCA-Code-Signing");
        assert_ne!(
            Environment::Local.certificate_template(),
            Environment::Production.certificate_template()
        );
    }

    #[test]
    fn a_fresh_machine_starts_in_local() {
        assert_eq!(Environment::default(), Environment::Local);
    }

    #[test]
    fn parses_ids_and_rejects_others() {
        assert_eq!("Production".parse::<Environment>().unwrap(), Environment::Production);
        assert!("prod".parse::<Environment>().is_err());
    }
}
