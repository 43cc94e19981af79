//! Every message a user can see exists in English and Arabic at once, so a
//! missing translation is a compile error rather than a blank label.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Localized {
    pub en: String,
    pub ar: String,
}

impl Localized {
    pub fn new(en: impl Into<String>, ar: impl Into<String>) -> Self {
        Self { en: en.into(), ar: ar.into() }
    }

    pub fn get(&self, language: Language) -> &str {
        match language {
            Language::En => &self.en,
            Language::Ar => &self.ar,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    Ar,
}

impl Language {
    /// The value FATOORA expects in `Accept-Language` (SPEC.md 1.2).
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Ar => "ar",
        }
    }
}
