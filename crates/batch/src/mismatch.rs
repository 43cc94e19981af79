//! One VAT number, one taxpayer: a CSV row whose organisation name differs
//! from the name already used for its VAT number (by a unit on this machine,
//! or an earlier row of the file) gets a warning. The Fleet screen groups
//! units by VAT number, so without it the second name would vanish under the
//! first without a word.

use std::collections::HashMap;

use fatoora_base::i18n::isolate;
use fatoora_base::Localized;
use fatoora_csr::UnitProfile;
use fatoora_units::Unit;

/// The rule's id, as the UI and tests read it.
pub const RULE: &str = "organization-name-mismatch";
/// The column a mismatch is about.
pub const COLUMN: &str = "organization_name";

/// A row whose organisation name is not its VAT number's first one: a
/// warning, never an error (the user may mean it).
#[derive(Debug, Clone)]
pub struct NameMismatch {
    /// Line in the file.
    pub line: u64,
    pub message: Localized,
}

/// Each row (line, profile) whose organisation name is not the first one
/// seen for its VAT number: the units on this machine first, then the file
/// in order. Names are compared as written, spaces at either end aside: a
/// different spelling is a different name in the certificate too.
pub fn name_mismatches<'a>(rows: impl IntoIterator<Item = (u64, &'a UnitProfile)>, existing: &'a [Unit]) -> Vec<NameMismatch> {
    let mut first: HashMap<&str, (&str, String)> = HashMap::new();
    for unit in existing {
        first
            .entry(unit.profile.vat_number.as_str())
            .or_insert((unit.profile.organization_name.trim(), format!("unit {}", unit.profile.common_name)));
    }
    let mut findings = Vec::new();
    for (line, profile) in rows {
        let (vat, name) = (profile.vat_number.as_str(), profile.organization_name.trim());
        if vat.is_empty() || name.is_empty() {
            continue;
        }
        match first.get(vat) {
            Some((known, _)) if *known == name => {}
            Some((known, source)) => findings.push(mismatch(line, vat, name, known, source)),
            None => {
                first.insert(vat, (name, format!("line {line}")));
            }
        }
    }
    findings
}

fn mismatch(line: u64, vat: &str, name: &str, known: &str, source: &str) -> NameMismatch {
    let source_ar = source.replacen("unit", "الوحدة", 1).replacen("line", "السطر", 1);
    NameMismatch {
        line,
        message: Localized::new(
            format!(
                "line {line}, column organization_name: VAT {vat} is {known} in {source}, here {name}. One VAT number is one taxpayer: write its name the same way on every row, or check the VAT number",
                known = isolate(format!("\"{known}\"")),
                source = isolate(source),
                name = isolate(format!("\"{name}\"")),
            ),
            format!(
                "السطر {line}، العمود organization_name: الرقم الضريبي {vat} باسم {known} في {source}، وهنا باسم {name}. الرقم الضريبي الواحد لمكلّف واحد: اكتب اسمه بالطريقة نفسها في كل سطر، أو تحقّق من الرقم الضريبي",
                known = isolate(format!("«{known}»")),
                source = isolate(source_ar),
                name = isolate(format!("«{name}»")),
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use fatoora_base::Environment;

    use super::*;

    fn row(line: u64, vat: &str, name: &str) -> (u64, UnitProfile) {
        (line, UnitProfile { vat_number: vat.into(), organization_name: name.into(), ..UnitProfile::sdk_example(Environment::Local) })
    }

    fn check(rows: &[(u64, UnitProfile)], existing: &[Unit]) -> Vec<NameMismatch> {
        name_mismatches(rows.iter().map(|(line, profile)| (*line, profile)), existing)
    }

    fn unit(vat: &str, name: &str) -> Unit {
        let profile = UnitProfile { vat_number: vat.into(), organization_name: name.into(), common_name: "POS-1".into(), ..UnitProfile::sdk_example(Environment::Local) };
        Unit { id: "u1".into(), profile, created_at: String::new(), updated_at: String::new(), keys: Vec::new() }
    }

    #[test]
    fn a_second_name_for_a_vat_number_is_a_warning_on_its_row() {
        let rows = [row(2, "310122393500003", "مؤسسة النخبة"), row(3, "310122393500003", "مؤسسة النخبة "), row(4, "310122393500003", "النخبة للتجارة")];
        let findings = check(&rows, &[]);
        assert_eq!(findings.iter().map(|f| f.line).collect::<Vec<_>>(), [4]);
        let finding = &findings[0];
        assert!(finding.message.en.contains("in \u{2068}line 2\u{2069}"), "{}", finding.message.en);
        assert!(finding.message.ar.contains("«النخبة للتجارة»") && finding.message.ar.contains("السطر 2"), "{}", finding.message.ar);
    }

    #[test]
    fn the_name_on_this_machine_comes_first_and_other_vat_numbers_are_apart() {
        let rows = [row(2, "310122393500003", "Elite Trading"), row(3, "399999999900003", "Elite Trading")];
        let findings = check(&rows, &[unit("310122393500003", "مؤسسة النخبة")]);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].line, 2);
        assert!(findings[0].message.en.contains("unit POS-1"), "{}", findings[0].message.en);
        assert!(findings[0].message.ar.contains("الوحدة POS-1"), "{}", findings[0].message.ar);
    }
}
