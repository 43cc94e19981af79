//! Every message a user can see exists in English and Arabic at once, so a
//! missing translation is a compile error rather than a blank label.

use std::fmt;

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
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

    /// The writing direction, as HTML's `dir` attribute takes it.
    pub fn dir(self) -> &'static str {
        match self {
            Language::En => "ltr",
            Language::Ar => "rtl",
        }
    }

    /// The other of the two languages (a page in one shows the verdict in
    /// the other too).
    pub fn other(self) -> Language {
        match self {
            Language::En => Language::Ar,
            Language::Ar => Language::En,
        }
    }

    /// One of two fixed labels, for text that is not a whole [`Localized`]
    /// message (a column name, a heading).
    pub fn pick(self, en: &'static str, ar: &'static str) -> &'static str {
        match self {
            Language::En => en,
            Language::Ar => ar,
        }
    }
}

/// CLDR's plural categories for Arabic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArabicPlural {
    Zero,
    One,
    Two,
    Few,
    Many,
    Other,
}

/// The category of a whole number under CLDR's Arabic rule (zero: 0; one: 1;
/// two: 2; few: n % 100 in 3..=10; many: n % 100 in 11..=99; other: the
/// rest). Written out rather than taken from icu_plurals or
/// intl_pluralrules: messages count whole things only, and those crates
/// bring CLDR's data for every locale (or a tree of ICU4X crates) into a
/// workspace that needs this one rule.
pub fn arabic_plural(n: u64) -> ArabicPlural {
    match (n, n % 100) {
        (0, _) => ArabicPlural::Zero,
        (1, _) => ArabicPlural::One,
        (2, _) => ArabicPlural::Two,
        (_, 3..=10) => ArabicPlural::Few,
        (_, 11..=99) => ArabicPlural::Many,
        _ => ArabicPlural::Other,
    }
}

/// An Arabic noun's forms after a number, in the oblique case (after a
/// preposition, a verb or a noun), so a message puts the count there.
pub struct ArabicNoun {
    /// «رقم واحد»: one, with the number in words.
    pub one: &'static str,
    /// «رقمين»: the dual.
    pub two: &'static str,
    /// «أرقام»: the plural, after 3 to 10.
    pub few: &'static str,
    /// «رقمًا»: the accusative singular, after 11 to 99.
    pub many: &'static str,
    /// «رقم»: the genitive singular, after 0, 100, 101, ….
    pub other: &'static str,
}

pub const DIGITS: ArabicNoun = ArabicNoun { one: "رقم واحد", two: "رقمين", few: "أرقام", many: "رقمًا", other: "رقم" };
pub const CHARACTERS: ArabicNoun = ArabicNoun { one: "حرف واحد", two: "حرفين", few: "أحرف", many: "حرفًا", other: "حرف" };
pub const DAYS: ArabicNoun = ArabicNoun { one: "يوم واحد", two: "يومين", few: "أيام", many: "يومًا", other: "يوم" };
// A mark on a word's last letter (the accusative tanween of «دقيقة», «خطأ»,
// «مرة», the kasratan of «ثوان») is drawn off the line by WebKitGTK
// (docs/front-end.md), so those forms go without it.
pub const MINUTES: ArabicNoun = ArabicNoun { one: "دقيقة واحدة", two: "دقيقتين", few: "دقائق", many: "دقيقة", other: "دقيقة" };

pub const SECONDS: ArabicNoun = ArabicNoun { one: "ثانية واحدة", two: "ثانيتين", few: "ثوان", many: "ثانية", other: "ثانية" };
pub const ERRORS: ArabicNoun = ArabicNoun { one: "خطأ واحد", two: "خطأين", few: "أخطاء", many: "خطأ", other: "خطأ" };
pub const TIMES: ArabicNoun = ArabicNoun { one: "مرة واحدة", two: "مرتين", few: "مرات", many: "مرة", other: "مرة" };

/// `n` of `noun` in Arabic, agreeing with the number: «يومين»,
/// «7 أيام», «30 يومًا», «100 يوم».
pub fn count_ar(n: u64, noun: &ArabicNoun) -> String {
    match arabic_plural(n) {
        ArabicPlural::One => noun.one.to_string(),
        ArabicPlural::Two => noun.two.to_string(),
        ArabicPlural::Few => format!("{n} {}", noun.few),
        ArabicPlural::Many => format!("{n} {}", noun.many),
        ArabicPlural::Zero | ArabicPlural::Other => format!("{n} {}", noun.other),
    }
}

/// A left-to-right run (a file path, URL, host name, address) inside an
/// Arabic sentence, wrapped in a left-to-right isolate (U+2066 … U+2069).
/// Without it the bidi algorithm reorders the run's own pieces
/// (`C:\Users\...` or `/home/x/a.fobak` come out scrambled) and lets its
/// neutral characters pull the Arabic around it. A path is left to right by
/// structure even when its folder names are Arabic, so the isolate's
/// direction is fixed rather than guessed from the first letter (U+2068).
pub fn ltr<T: fmt::Display>(text: T) -> Isolated<T> {
    Isolated { text, opener: '\u{2066}' }
}

/// A run of unknown direction inside an Arabic sentence, such as an error
/// text from the operating system (English on Linux, the system's language
/// on Windows), in a first-strong isolate (U+2068 … U+2069): it takes the
/// direction of its own first letter and leaves the sentence's order alone.
pub fn isolate<T: fmt::Display>(text: T) -> Isolated<T> {
    Isolated { text, opener: '\u{2068}' }
}

/// Displays its text between an isolate opener and U+2069 (pop directional isolate).
#[derive(Debug, Clone, Copy)]
pub struct Isolated<T> {
    text: T,
    opener: char,
}

impl<T: fmt::Display> fmt::Display for Isolated<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}\u{2069}", self.opener, self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn a_path_inside_arabic_is_one_left_to_right_isolate() {
        let path = Path::new("/home/user/مستندات/backup.fobak");
        let message = format!("تعذّرت قراءة الملف {}.", ltr(path.display()));
        assert_eq!(message, "تعذّرت قراءة الملف \u{2066}/home/user/مستندات/backup.fobak\u{2069}.");
    }

    #[test]
    fn an_os_error_keeps_its_own_direction_in_a_first_strong_isolate() {
        let error = std::io::Error::from(std::io::ErrorKind::NotFound);
        let message = format!("تعذّر الحفظ ({}).", isolate(&error));
        assert_eq!(message, format!("تعذّر الحفظ (\u{2068}{error}\u{2069})."));
    }

    #[test]
    fn arabic_plural_categories_follow_cldr() {
        use ArabicPlural::*;
        let cases = [(0, Zero), (1, One), (2, Two), (3, Few), (10, Few), (11, Many), (99, Many), (100, Other), (101, Other), (102, Other), (103, Few), (111, Many), (1000, Other)];
        for (n, category) in cases {
            assert_eq!(arabic_plural(n), category, "{n}");
        }
    }

    #[test]
    fn a_count_agrees_with_its_noun() {
        let days: Vec<String> = [0, 1, 2, 3, 10, 11, 99, 100, 101, 102].into_iter().map(|n| count_ar(n, &DAYS)).collect();
        assert_eq!(days, ["0 يوم", "يوم واحد", "يومين", "3 أيام", "10 أيام", "11 يومًا", "99 يومًا", "100 يوم", "101 يوم", "102 يوم"]);
    }

    #[test]
    fn every_opener_is_closed() {
        let text = format!("{}{}", ltr("https://gw-fatoora.zatca.gov.sa"), isolate("a"));
        let openers = text.chars().filter(|c| matches!(c, '\u{2066}'..='\u{2068}')).count();
        assert_eq!(openers, text.chars().filter(|&c| c == '\u{2069}').count());
    }
}
