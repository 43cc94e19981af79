//! Table-driven: every rule fires on its bad input, names the field and
//! the rule, and speaks both languages; good input passes clean.

use fatoora_base::Environment;
use fatoora_base::values::{Field, FieldError, Severity};
use fatoora_csr::{UnitProfile, lint_profile};

fn good() -> UnitProfile {
    UnitProfile::sdk_example(Environment::Production)
}

fn with(change: impl FnOnce(&mut UnitProfile)) -> UnitProfile {
    let mut profile = good();
    change(&mut profile);
    profile
}

fn assert_bilingual(finding: &FieldError) {
    assert!(!finding.message.en.is_empty() && !finding.message.ar.is_empty(), "{finding:?}");
    assert!(finding.message.ar.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)), "Arabic text: {finding:?}");
}

#[test]
fn good_profiles_pass_clean_in_every_environment_and_language() {
    for environment in [Environment::Local, Environment::Simulation, Environment::Production, Environment::Sandbox] {
        assert_eq!(lint_profile(&with(|p| p.environment = environment)), vec![], "{environment}");
    }
    let arabic = with(|p| {
        p.organization_name = "شركة توريد التكنولوجيا بأقصى سرعة المحدودة".into();
        p.organization_unit = "فرع الرياض".into();
        p.business_category = "أنشطة توريدات".into();
    });
    assert_eq!(lint_profile(&arabic), vec![]);
    // A VAT group member: the 10-digit TIN in OU.
    let group = with(|p| {
        p.vat_number = "399999999910003".into();
        p.organization_unit = "3999999999".into();
    });
    assert_eq!(lint_profile(&group), vec![]);
}

type Case = (&'static str, fn(&mut UnitProfile), Field, &'static str, Severity);

#[test]
fn each_rule_fires_on_its_bad_input() {
    use Severity::{Error as E, Warning as W};
    let cases: &[Case] = &[
        ("empty VAT", |p| p.vat_number = "".into(), Field::VatNumber, "required", E),
        ("letters in VAT", |p| p.vat_number = "39999999990000A".into(), Field::VatNumber, "digits-only", E),
        ("14-digit VAT", |p| p.vat_number = "39999999990003".into(), Field::VatNumber, "length-15", E),
        ("16-digit VAT", |p| p.vat_number = "3999999999000033".into(), Field::VatNumber, "length-15", E),
        ("VAT not starting with 3", |p| p.vat_number = "299999999900003".into(), Field::VatNumber, "starts-and-ends-with-3", E),
        ("VAT not ending with 3", |p| p.vat_number = "399999999900001".into(), Field::VatNumber, "starts-and-ends-with-3", E),
        ("sandbox with a real VAT", |p| { p.environment = Environment::Sandbox; p.vat_number = "311111111101113".into() }, Field::VatNumber, "sandbox-vat", W),
        ("VAT group with a branch name", |p| p.vat_number = "399999999910003".into(), Field::OrganizationUnit, "vat-group-ou-tin", E),
        ("VAT group with a 9-digit TIN", |p| { p.vat_number = "399999999910003".into(); p.organization_unit = "399999999".into() }, Field::OrganizationUnit, "vat-group-ou-tin", E),
        ("empty OU", |p| p.organization_unit = "  ".into(), Field::OrganizationUnit, "required", E),
        ("empty O", |p| p.organization_name = "".into(), Field::OrganizationName, "required", E),
        ("O over 64", |p| p.organization_name = "a".repeat(65), Field::OrganizationName, "max-64-chars", E),
        ("Arabic O over 64", |p| p.organization_name = "ش".repeat(65), Field::OrganizationName, "max-64-chars", E),
        ("line break in O", |p| p.organization_name = "ABCD\nLimited".into(), Field::OrganizationName, "no-control-characters", E),
        ("tab in CN", |p| p.common_name = "TST\t1".into(), Field::CommonName, "no-control-characters", E),
        ("empty CN", |p| p.common_name = "".into(), Field::CommonName, "required", E),
        ("CN over 64", |p| p.common_name = "c".repeat(65), Field::CommonName, "max-64-chars", E),
        ("CP1252 mojibake in O", |p| p.organization_name = "Ø´Ø±ÙƒØ©".into(), Field::OrganizationName, "mojibake", W),
        ("RLM pasted in O", |p| p.organization_name = "\u{200F}شركة".into(), Field::OrganizationName, "invisible-characters", W),
        ("serial with two parts", |p| p.serial = "1-TST|2-TST".into(), Field::EgsSerial, "format-1-2-3", E),
        ("serial with empty part", |p| p.serial = "1-TST|2-|3-x".into(), Field::EgsSerial, "format-1-2-3", E),
        ("serial out of order", |p| p.serial = "2-TST|1-TST|3-x".into(), Field::EgsSerial, "format-1-2-3", E),
        ("empty serial", |p| p.serial = "".into(), Field::EgsSerial, "required", E),
        ("serial over 64", |p| p.serial = format!("1-TST|2-TST|3-{}", "x".repeat(52)), Field::EgsSerial, "max-64-chars", E),
        ("empty invoice types", |p| p.invoice_types = "".into(), Field::InvoiceTypes, "required", E),
        ("invoice types 1111", |p| p.invoice_types = "1111".into(), Field::InvoiceTypes, "legacy-1111", W),
        ("invoice types 1011", |p| p.invoice_types = "1011".into(), Field::InvoiceTypes, "one-of-1000-0100-1100", E),
        ("invoice types 100", |p| p.invoice_types = "100".into(), Field::InvoiceTypes, "one-of-1000-0100-1100", E),
        ("invoice types words", |p| p.invoice_types = "standard".into(), Field::InvoiceTypes, "one-of-1000-0100-1100", E),
        ("empty address", |p| p.address = "".into(), Field::Address, "required", E),
        ("address over 64", |p| p.address = "a".repeat(65), Field::Address, "max-64-chars", E),
        ("industry with &", |p| p.business_category = "Wholesale & retail".into(), Field::BusinessCategory, "no-symbols", E),
        ("industry with emoji", |p| p.business_category = "Retail 🛒".into(), Field::BusinessCategory, "no-symbols", E),
        ("industry with $", |p| p.business_category = "Money$".into(), Field::BusinessCategory, "no-symbols", E),
        ("empty industry", |p| p.business_category = "".into(), Field::BusinessCategory, "required", E),
        ("country KSA", |p| p.country = "KSA".into(), Field::Country, "country-sa", E),
        ("country lowercase", |p| p.country = "sa".into(), Field::Country, "country-sa", E),
        ("empty country", |p| p.country = "".into(), Field::Country, "required", E),
    ];
    for (name, change, field, rule, severity) in cases {
        let mut profile = good();
        change(&mut profile);
        let findings = lint_profile(&profile);
        let hit = findings
            .iter()
            .find(|f| f.field == *field && f.rule == *rule)
            .unwrap_or_else(|| panic!("{name}: expected {field:?}/{rule}, got {findings:#?}"));
        assert_eq!(hit.severity, *severity, "{name}");
        assert_bilingual(hit);
        assert_eq!(findings.len(), 1, "{name}: exactly one finding, got {findings:#?}");
    }
}

#[test]
fn sixty_four_characters_is_the_last_that_passes() {
    for field in ["O", "OU", "CN", "address", "industry"] {
        let set = |p: &mut UnitProfile, v: String| match field {
            "O" => p.organization_name = v,
            "OU" => p.organization_unit = v,
            "CN" => p.common_name = v,
            "address" => p.address = v,
            _ => p.business_category = v,
        };
        for letter in ["a", "ش"] {
            let mut ok = good();
            set(&mut ok, letter.repeat(64));
            assert_eq!(lint_profile(&ok), vec![], "{field} 64 × {letter}");
            let mut long = good();
            set(&mut long, letter.repeat(65));
            assert_eq!(lint_profile(&long).iter().map(|f| f.rule).collect::<Vec<_>>(), ["max-64-chars"], "{field} 65 × {letter}");
        }
    }
}

#[test]
fn arabic_indic_digits_are_the_same_digits() {
    let profile = with(|p| {
        p.vat_number = "٣٩٩٩٩٩٩٩٩٩١٠٠٠٣".into();
        p.organization_unit = "۳۹۹۹۹۹۹۹۹۹".into();
        p.invoice_types = "١١٠٠".into();
    });
    assert_eq!(lint_profile(&profile), vec![]);
    let preview = profile.preview();
    let san: Vec<&str> = preview.subject_alt_name.iter().map(|l| l.value.as_str()).collect();
    assert_eq!(san[1], "399999999910003");
    assert_eq!(san[2], "1100");
    assert_eq!(preview.subject[1].value, "3999999999");
}

#[test]
fn every_finding_is_reported_not_only_the_first() {
    let blank = UnitProfile {
        organization_name: String::new(),
        vat_number: String::new(),
        organization_unit: String::new(),
        common_name: String::new(),
        serial: String::new(),
        invoice_types: String::new(),
        address: String::new(),
        business_category: String::new(),
        country: String::new(),
        environment: Environment::Production,
    };
    let findings = lint_profile(&blank);
    let fields: Vec<Field> = findings.iter().map(|f| f.field).collect();
    assert_eq!(findings.len(), 9, "{findings:#?}");
    for field in [Field::VatNumber, Field::OrganizationName, Field::OrganizationUnit, Field::CommonName, Field::EgsSerial, Field::InvoiceTypes, Field::Address, Field::BusinessCategory, Field::Country] {
        assert!(fields.contains(&field), "{field:?}");
    }
    assert!(findings.iter().all(|f| f.rule == "required"));
}

#[test]
fn findings_and_preview_serialize_for_the_gui() {
    let findings = lint_profile(&with(|p| p.vat_number = "1".into()));
    let json = serde_json::to_value(&findings).unwrap();
    assert_eq!(json[0]["field"], "vatNumber");
    assert_eq!(json[0]["rule"], "length-15");
    assert_eq!(json[0]["severity"], "error");
    assert!(json[0]["message"]["ar"].as_str().unwrap().contains("15"));
    let preview = serde_json::to_value(good().preview()).unwrap();
    assert_eq!(preview["certificateTemplate"], "ZATCA-Code-Signing");
    assert_eq!(preview["subject"][0]["shortName"], "C");
    assert_eq!(preview["subjectAltName"][0]["oid"], "2.5.4.4");
    let round: UnitProfile = serde_json::from_value(serde_json::to_value(good()).unwrap()).unwrap();
    assert_eq!(round, good());
}

proptest::proptest! {
    #[test]
    fn no_profile_makes_lint_or_preview_panic(values in proptest::collection::vec("\\PC{0,80}|[0-9٠-٩ |-]{0,20}", 9)) {
        let profile = UnitProfile {
            organization_name: values[0].clone(),
            vat_number: values[1].clone(),
            organization_unit: values[2].clone(),
            common_name: values[3].clone(),
            serial: values[4].clone(),
            invoice_types: values[5].clone(),
            address: values[6].clone(),
            business_category: values[7].clone(),
            country: values[8].clone(),
            environment: Environment::Production,
        };
        let findings = lint_profile(&profile);
        let _ = profile.preview();
        if findings.iter().all(|f| f.severity == Severity::Warning) {
            let key = fatoora_csr::UnitKey::generate().unwrap();
            let csr = fatoora_csr::build_csr(&profile, &key).unwrap();
            let back = fatoora_csr::lint_csr(csr.der(), Some(Environment::Production));
            proptest::prop_assert!(!back.has_errors(), "{:?}", back.findings);
        }
    }
}
