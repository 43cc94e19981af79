//! CSV import of EGS units.
//!
//! The whole file is checked first: the header, then every row against the
//! same lint as the CSR form (fatoora_csr::lint_profile), duplicates of a
//! serial or common name for one VAT number (in the file and on this
//! machine). A finding names the line, the column and the rule, in English
//! and Arabic. Nothing is imported from a file with errors unless the user
//! asks for the valid rows only; then each imported unit gets its key (into
//! the secret store) and CSR.

use std::collections::HashMap;

use fatoora_base::input::{self, Cap, InputError, MIB};
use fatoora_base::secrets::SecretStore;
use fatoora_base::values::{Field, FieldError, Severity};
use fatoora_base::i18n::{ERRORS, count_ar, isolate};
use fatoora_base::{Environment, Localized, Store};
use fatoora_csr::UnitProfile;
use fatoora_units::{KeyChoice, UnitError, list_units, prepare_csr};
use serde::Serialize;

/// The columns, in template order, and the field each one fills.
pub const COLUMNS: [(&str, Field); 9] = [
    ("organization_name", Field::OrganizationName),
    ("vat_number", Field::VatNumber),
    ("organization_unit", Field::OrganizationUnit),
    ("common_name", Field::CommonName),
    ("serial", Field::EgsSerial),
    ("invoice_types", Field::InvoiceTypes),
    ("address", Field::Address),
    ("business_category", Field::BusinessCategory),
    ("country", Field::Country),
];

/// The downloadable template: the header and one example row (ZATCA's
/// sandbox VAT number, so it cannot be mistaken for a real taxpayer).
pub fn template() -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(COLUMNS.iter().map(|(name, _)| *name)).expect("in memory");
    writer
        .write_record(["مؤسسة المثال التجارية", "399999999900003", "الفرع الرئيسي", "TST-886431145-399999999900003", "1-TST|2-TST|3-ed22f1d8-e6a2-1118-9b58-d9a8f11e445f", "1100", "RRRD2929", "Supply activities", "SA"])
        .expect("in memory");
    String::from_utf8(writer.into_inner().expect("in memory")).expect("UTF-8")
}

/// One problem in one cell (or a whole row when `column` is `None`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RowFinding {
    /// Line in the file (the header is line 1).
    pub line: u64,
    pub column: Option<&'static str>,
    pub rule: &'static str,
    pub severity: Severity,
    pub message: Localized,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckedRow {
    pub line: u64,
    pub profile: UnitProfile,
    pub valid: bool,
}

/// The verdict on a file before anything is imported.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportCheck {
    pub rows: Vec<CheckedRow>,
    pub findings: Vec<RowFinding>,
}

impl ImportCheck {
    pub fn errors(&self) -> usize {
        self.findings.iter().filter(|f| f.severity == Severity::Error).count()
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportedUnit {
    pub line: u64,
    pub unit_id: String,
    pub common_name: String,
    pub public_key_sha256: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    pub imported: Vec<ImportedUnit>,
    /// Lines left out because they have errors (with `valid_rows_only`).
    pub skipped_lines: Vec<u64>,
}

/// A row is about 300 bytes: thousands of units fit many times over.
pub const UNITS_CSV: Cap = Cap::new("unit CSV file", "ملف الوحدات بصيغة CSV", 8 * MIB);

/// A units CSV for [`check_csv`], read no further than [`UNITS_CSV`].
pub fn read_units_csv(path: &std::path::Path) -> Result<Vec<u8>, ImportError> {
    Ok(input::read_capped(path, UNITS_CSV)?)
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Unreadable, or over [`UNITS_CSV`]'s cap.
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("the file is not UTF-8 text")]
    NotUtf8,
    #[error("the header lacks column(s) {missing:?}")]
    MissingColumns { missing: Vec<&'static str>, unknown: Vec<String> },
    #[error("the file has no unit rows")]
    Empty,
    #[error("line {line}: {detail}")]
    Csv { line: u64, detail: String },
    #[error("{errors} error(s) in the file; nothing was imported")]
    HasErrors { errors: usize },
    #[error("line {line}: {source}")]
    Unit { line: u64, source: UnitError },
}

impl ImportError {
    pub fn is_bad_input(&self) -> bool {
        match self {
            ImportError::Unit { source, .. } => source.is_bad_input(),
            _ => true,
        }
    }

    pub fn explain(&self) -> Localized {
        match self {
            ImportError::Input(error) => error.explain(),
            ImportError::NotUtf8 => Localized::new(
                "The file is not UTF-8 text, so Arabic names would be garbled. In Excel choose \"Save as → CSV UTF-8 (comma delimited)\". Nothing was imported.",
                "الملف ليس نصًا بترميز UTF-8، فستظهر الأسماء العربية مشوَّهة. في Excel اختر «حفظ باسم ← CSV UTF-8 (محدد بفاصلة)». لم يُستورد شيء.",
            ),
            ImportError::MissingColumns { missing, unknown } => Localized::new(
                format!("The first line must name the columns; missing: {}{}. Start from the template (fatoora-onboard import-units --template). Nothing was imported.", missing.join(", "), if unknown.is_empty() { String::new() } else { format!("; not known: {}", unknown.join(", ")) }),
                format!("يجب أن يسمّي السطر الأول الأعمدة؛ الأعمدة الناقصة: {}{}. ابدأ من القالب (fatoora-onboard import-units --template). لم يُستورد شيء.", missing.join("، "), if unknown.is_empty() { String::new() } else { format!("؛ أعمدة غير معروفة: {}", unknown.join("، ")) }),
            ),
            ImportError::Empty => Localized::new("The file has a header but no unit rows. Nothing was imported.", "يحتوي الملف على سطر العناوين فقط دون أي وحدة. لم يُستورد شيء."),
            ImportError::Csv { line, detail } => Localized::new(
                format!("Line {line} cannot be read as CSV ({detail}). Check its quotes and commas. Nothing was imported."),
                format!("تعذّرت قراءة السطر {line} بصيغة CSV ({detail}). تحقّق من علامات الاقتباس والفواصل. لم يُستورد شيء.", detail = isolate(detail)),
            ),
            ImportError::HasErrors { errors } => Localized::new(
                format!("The file has {errors} error(s), listed above by line and column. Nothing was imported. Fix them, or import only the valid rows with --valid-rows-only."),
                format!("عُثر في الملف على {}، مذكورة أعلاه بالسطر والعمود. لم يُستورد شيء. صحّحها، أو استورد الصفوف السليمة فقط عبر ‎--valid-rows-only‎.", count_ar(*errors as u64, &ERRORS)),
            ),
            ImportError::Unit { line, source } => {
                let inner = source.explain();
                Localized::new(format!("Line {line}: {}", inner.en), format!("السطر {line}: {}", inner.ar))
            }
        }
    }
}

fn column_of(field: Field) -> Option<&'static str> {
    COLUMNS.iter().find(|(_, f)| *f == field).map(|(name, _)| *name)
}

fn finding(line: u64, error: &FieldError) -> RowFinding {
    let column = column_of(error.field);
    let label = error.field.label();
    RowFinding {
        line,
        column,
        rule: error.rule,
        severity: error.severity,
        message: Localized::new(
            format!("line {line}, column {} ({}): {}", column.unwrap_or("-"), label.en, error.message.en),
            format!("السطر {line}، العمود {} ({}): {}", column.unwrap_or("-"), label.ar, error.message.ar),
        ),
    }
}

/// Reads and checks the whole file; imports nothing.
pub fn check_csv(bytes: &[u8], environment: Environment, store: &Store) -> Result<ImportCheck, ImportError> {
    UNITS_CSV.check(bytes.len() as u64, None)?;
    let text = std::str::from_utf8(bytes).map_err(|_| ImportError::NotUtf8)?;
    // Excel's "CSV UTF-8" starts with a byte order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| ImportError::Csv { line: 1, detail: e.to_string() })?.clone();
    let names: Vec<String> = headers.iter().map(|h| h.to_ascii_lowercase().replace([' ', '-'], "_")).collect();
    let positions: Vec<Option<usize>> = COLUMNS.iter().map(|(name, _)| names.iter().position(|n| n == name)).collect();
    let missing: Vec<&'static str> = COLUMNS.iter().zip(&positions).filter(|(_, p)| p.is_none()).map(|((name, _), _)| *name).collect();
    let unknown: Vec<String> = names.iter().filter(|n| !n.is_empty() && !COLUMNS.iter().any(|(c, _)| c == n)).cloned().collect();
    if !missing.is_empty() {
        return Err(ImportError::MissingColumns { missing, unknown });
    }

    let existing = list_units(store).map_err(|source| ImportError::Unit { line: 0, source })?;
    let mut serials: HashMap<(String, String), String> = HashMap::new();
    let mut names_seen: HashMap<(String, String), String> = HashMap::new();
    for unit in &existing {
        serials.insert((unit.profile.vat_number.clone(), unit.profile.serial.clone()), format!("unit {} on this machine", unit.id));
        names_seen.insert((unit.profile.vat_number.clone(), unit.profile.common_name.clone()), format!("unit {} on this machine", unit.id));
    }

    let mut rows = Vec::new();
    let mut findings = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ImportError::Csv { line: e.position().map_or(0, |p| p.line()), detail: e.to_string() })?;
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        let mut row_findings = Vec::new();
        if record.len() != headers.len() {
            row_findings.push(RowFinding {
                line,
                column: None,
                rule: "row-width",
                severity: Severity::Error,
                message: Localized::new(
                    format!("line {line}: {} value(s) where the header has {} columns (a comma inside a value needs quotes)", record.len(), headers.len()),
                    format!("السطر {line}: {} قيمة بينما في سطر العناوين {} عمودًا (الفاصلة داخل القيمة تحتاج إلى علامات اقتباس)", record.len(), headers.len()),
                ),
            });
        }
        let cell = |i: usize| positions[i].and_then(|p| record.get(p)).unwrap_or_default().to_owned();
        let profile = UnitProfile {
            organization_name: cell(0),
            vat_number: cell(1),
            organization_unit: cell(2),
            common_name: cell(3),
            serial: cell(4),
            invoice_types: cell(5),
            address: cell(6),
            business_category: cell(7),
            country: cell(8),
            environment,
        };
        row_findings.extend(fatoora_csr::lint_profile(&profile).iter().map(|e| finding(line, e)));
        for (seen, value, column, rule, en, ar) in [
            (&mut serials, &profile.serial, "serial", "duplicate-serial", "serial number", "الرقم التسلسلي"),
            (&mut names_seen, &profile.common_name, "common_name", "duplicate-common-name", "common name", "الاسم الشائع"),
        ] {
            if value.is_empty() {
                continue;
            }
            let key = (profile.vat_number.clone(), value.clone());
            match seen.get(&key) {
                Some(first) => row_findings.push(RowFinding {
                    line,
                    column: Some(column),
                    rule,
                    severity: Severity::Error,
                    message: Localized::new(
                        format!("line {line}, column {column}: the {en} {value:?} is already used for VAT {} by {first}; each unit of a taxpayer needs its own", profile.vat_number),
                        format!("السطر {line}، العمود {column}: {ar} {value:?} مستخدم بالفعل للرقم الضريبي {} في {}؛ لكل وحدة من وحدات المكلّف قيمة خاصة بها", profile.vat_number, first.replace("line", "السطر").replace("unit", "الوحدة").replace("on this machine", "على هذا الجهاز")),
                    ),
                }),
                None => {
                    seen.insert(key, format!("line {line}"));
                }
            }
        }
        let valid = !row_findings.iter().any(|f| f.severity == Severity::Error);
        findings.extend(row_findings);
        rows.push(CheckedRow { line, profile, valid });
    }
    findings.extend(crate::mismatch::name_mismatches(rows.iter().map(|row| (row.line, &row.profile)), &existing).into_iter().map(|found| RowFinding { line: found.line, column: Some(crate::mismatch::COLUMN), rule: crate::mismatch::RULE, severity: Severity::Warning, message: found.message }));
    if rows.is_empty() {
        return Err(ImportError::Empty);
    }
    Ok(ImportCheck { rows, findings })
}

/// Imports the checked rows: each unit's profile, a new key in the secret
/// store and its CSR. Refuses a file with errors unless `valid_rows_only`.
pub fn import_units(store: &mut Store, secrets: &dyn SecretStore, check: &ImportCheck, valid_rows_only: bool) -> Result<ImportReport, ImportError> {
    import_units_reporting(store, secrets, check, valid_rows_only, &mut |_, _| ())
}

/// [`import_units`], calling `on_unit(unit, to_import)` after each unit's
/// key and CSR are made (`to_import`: the rows that will be imported).
pub fn import_units_reporting(
    store: &mut Store,
    secrets: &dyn SecretStore,
    check: &ImportCheck,
    valid_rows_only: bool,
    on_unit: &mut dyn FnMut(&ImportedUnit, usize),
) -> Result<ImportReport, ImportError> {
    let errors = check.errors();
    if errors > 0 && !valid_rows_only {
        return Err(ImportError::HasErrors { errors });
    }
    let mut report = ImportReport { imported: Vec::new(), skipped_lines: Vec::new() };
    let to_import = check.rows.iter().filter(|row| row.valid).count();
    for row in &check.rows {
        if !row.valid {
            report.skipped_lines.push(row.line);
            continue;
        }
        let prepared = prepare_csr(store, secrets, &row.profile, KeyChoice::Generate, false).map_err(|source| ImportError::Unit { line: row.line, source })?;
        report.imported.push(ImportedUnit { line: row.line, unit_id: prepared.unit_id, common_name: row.profile.common_name.clone(), public_key_sha256: prepared.public_key_sha256 });
        on_unit(report.imported.last().expect("just pushed"), to_import);
    }
    tracing::info!(imported = report.imported.len(), skipped = report.skipped_lines.len(), "units imported from CSV");
    Ok(report)
}
