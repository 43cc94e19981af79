//! The UBL 2.1 document itself: which kinds exist, what goes on them, and
//! totals computed in halalas so they add up exactly.

use chrono::{NaiveDateTime, TimeDelta};
use fatoora_base::values::InvoiceTypes;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use serde::Serialize;

use crate::ns;
use crate::profile::{Address, SellerProfile};

/// The six documents of the compliance step (SPEC.md 3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentKind {
    StandardInvoice,
    StandardCreditNote,
    StandardDebitNote,
    SimplifiedInvoice,
    SimplifiedCreditNote,
    SimplifiedDebitNote,
}

impl DocumentKind {
    /// Invoices first so the notes can reference one of their own set.
    pub fn for_invoice_types(types: InvoiceTypes) -> Vec<Self> {
        let mut kinds = Vec::with_capacity(6);
        if types.standard() {
            kinds.extend([Self::StandardInvoice, Self::StandardCreditNote, Self::StandardDebitNote]);
        }
        if types.simplified() {
            kinds.extend([Self::SimplifiedInvoice, Self::SimplifiedCreditNote, Self::SimplifiedDebitNote]);
        }
        kinds
    }

    pub fn is_simplified(self) -> bool {
        matches!(self, Self::SimplifiedInvoice | Self::SimplifiedCreditNote | Self::SimplifiedDebitNote)
    }

    pub fn is_note(self) -> bool {
        !matches!(self, Self::StandardInvoice | Self::SimplifiedInvoice)
    }

    /// `cbc:InvoiceTypeCode`: 388 invoice, 381 credit note, 383 debit note.
    pub fn type_code(self) -> &'static str {
        match self {
            Self::StandardInvoice | Self::SimplifiedInvoice => "388",
            Self::StandardCreditNote | Self::SimplifiedCreditNote => "381",
            Self::StandardDebitNote | Self::SimplifiedDebitNote => "383",
        }
    }

    /// The `name` attribute of `cbc:InvoiceTypeCode` (KSA-2).
    pub fn transaction_code(self) -> &'static str {
        if self.is_simplified() { "0200000" } else { "0100000" }
    }

    /// File name stem, and the word used on the command line.
    pub fn slug(self) -> &'static str {
        match self {
            Self::StandardInvoice => "standard-invoice",
            Self::StandardCreditNote => "standard-credit-note",
            Self::StandardDebitNote => "standard-debit-note",
            Self::SimplifiedInvoice => "simplified-invoice",
            Self::SimplifiedCreditNote => "simplified-credit-note",
            Self::SimplifiedDebitNote => "simplified-debit-note",
        }
    }

    /// The step name FATOORA reports in `Missing-ComplianceSteps` [V-obs].
    pub fn compliance_step(self) -> &'static str {
        match self {
            Self::StandardInvoice => "standard-compliant",
            Self::StandardCreditNote => "standard-credit-note-compliant",
            Self::StandardDebitNote => "standard-debit-note-compliant",
            Self::SimplifiedInvoice => "simplified-compliant",
            Self::SimplifiedCreditNote => "simplified-credit-note-compliant",
            Self::SimplifiedDebitNote => "simplified-debit-note-compliant",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VatCategory {
    /// `S`, 15 %.
    Standard,
    /// `Z`, 0 %, with the exemption reason code and text ZATCA's list gives
    /// (BR-KSA-69, BR-KSA-83).
    ZeroRated { reason_code: String, reason: String },
}

impl VatCategory {
    pub fn medicines() -> Self {
        Self::ZeroRated {
            reason_code: "VATEX-SA-35".into(),
            reason: "Medicines and medical equipment | الأدوية والمعدات الطبية".into(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Standard => "S",
            Self::ZeroRated { .. } => "Z",
        }
    }

    fn percent(&self) -> i64 {
        match self {
            Self::Standard => 15,
            Self::ZeroRated { .. } => 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub name: String,
    pub quantity: i64,
    pub unit_price_halalas: i64,
    pub vat: VatCategory,
}

impl Line {
    pub fn net_halalas(&self) -> i64 {
        self.quantity * self.unit_price_halalas
    }

    /// VAT of the line, rounded half up to the halala.
    pub fn vat_halalas(&self) -> i64 {
        percent_of(self.net_halalas(), self.vat.percent())
    }

    /// The default lines: one at 15 % with halalas, one zero-rated.
    pub fn samples() -> Vec<Self> {
        vec![
            Line { name: "قلم حبر | Ink pen".into(), quantity: 3, unit_price_halalas: 1235, vat: VatCategory::Standard },
            Line { name: "ضمادات طبية | Medical bandages".into(), quantity: 2, unit_price_halalas: 1025, vat: VatCategory::medicines() },
        ]
    }
}

fn percent_of(halalas: i64, percent: i64) -> i64 {
    (halalas * percent + 50) / 100
}

/// One row of the VAT breakdown (BG-23).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VatSubtotal {
    pub category: VatCategory,
    pub taxable_halalas: i64,
    pub vat_halalas: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    pub line_extension_halalas: i64,
    pub vat_halalas: i64,
    pub subtotals: Vec<VatSubtotal>,
}

impl Totals {
    /// VAT per category is taken over the category's taxable sum (EN 16931
    /// BR-CO-17), and the document VAT is the sum of the categories.
    pub fn of(lines: &[Line]) -> Self {
        let mut subtotals: Vec<VatSubtotal> = Vec::new();
        for line in lines {
            match subtotals.iter_mut().find(|subtotal| subtotal.category == line.vat) {
                Some(subtotal) => subtotal.taxable_halalas += line.net_halalas(),
                None => subtotals.push(VatSubtotal { category: line.vat.clone(), taxable_halalas: line.net_halalas(), vat_halalas: 0 }),
            }
        }
        for subtotal in &mut subtotals {
            subtotal.vat_halalas = percent_of(subtotal.taxable_halalas, subtotal.category.percent());
        }
        Self {
            line_extension_halalas: lines.iter().map(Line::net_halalas).sum(),
            vat_halalas: subtotals.iter().map(|subtotal| subtotal.vat_halalas).sum(),
            subtotals,
        }
    }

    pub fn with_vat_halalas(&self) -> i64 {
        self.line_extension_halalas + self.vat_halalas
    }
}

/// `12345` → `"123.45"`.
pub fn format_halalas(halalas: i64) -> String {
    let sign = if halalas < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", halalas.abs() / 100, halalas.abs() % 100)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buyer {
    pub name: String,
    /// Present for standard documents (B2B); simplified buyers may be anonymous.
    pub vat_number: Option<String>,
    pub address: Option<Address>,
}

impl Buyer {
    pub fn sample_business() -> Self {
        Self {
            name: "شركة نماذج فاتورة المحدودة | Fatoora Samples LTD".into(),
            vat_number: Some("399999999800003".into()),
            address: Some(Address {
                street: "صلاح الدين | Salah Al-Din".into(),
                building_number: "1111".into(),
                district: "المروج | Al-Murooj".into(),
                city: "الرياض | Riyadh".into(),
                postal_zone: "12222".into(),
                country: "SA".into(),
            }),
        }
    }

    pub fn sample_consumer() -> Self {
        Self { name: "عميل نقدي | Walk-in customer".into(), vat_number: None, address: None }
    }
}

/// Arabia Standard Time, the KSA local time of ZATCA's documents.
pub const KSA_UTC_OFFSET_HOURS: i64 = 3;

/// Everything that goes into one document before it is signed.
#[derive(Debug, Clone)]
pub struct DocumentSpec {
    pub kind: DocumentKind,
    pub id: String,
    pub uuid: String,
    /// The instant of issue in UTC. The document states it in KSA local
    /// time with no zone, as the SDK does (see [`DocumentSpec::issued_local`]).
    pub issued_at: NaiveDateTime,
    /// Invoice counter value (ICV).
    pub counter: u64,
    /// Previous invoice hash (PIH), base64.
    pub previous_hash: String,
    /// For notes: the ID of the invoice they correct, and why (KSA-10).
    pub billing_reference: Option<String>,
    pub note_reason: Option<String>,
    pub seller: SellerProfile,
    pub buyer: Buyer,
    pub lines: Vec<Line>,
}

impl DocumentSpec {
    /// The issue instant in KSA local time (AST, UTC+03:00 all year; the
    /// kingdom keeps no daylight saving). ZATCA's XML Implementation Standard
    /// (data type "Time") says times "shall not include time zone information
    /// if the time is local in the KSA", with `Z` only as the UTC
    /// alternative; BR-KSA-70 reads `hh:mm:ss` as AST. All 19 SDK samples
    /// write `IssueTime` that way, and QR tag 3 as `IssueDate`T`IssueTime`
    /// with no zone (as does the QR in ZATCA's compliance-invoice API
    /// example), so a parser that follows the samples accepts the document.
    /// Odoo writes both in Asia/Riyadh time after the live gateway warned
    /// `invoiceTimeStamp_QRCODE_INVALID` on a `Z` in the QR only
    /// (odoo/odoo#143379, #241075) [V-code].
    pub fn issued_local(&self) -> NaiveDateTime {
        self.issued_at + TimeDelta::hours(KSA_UTC_OFFSET_HOURS)
    }

    /// `cbc:IssueDate`, the KSA local date.
    pub fn issue_date(&self) -> String {
        self.issued_local().format("%Y-%m-%d").to_string()
    }

    /// `cbc:IssueTime`: `hh:mm:ss`, KSA local, no zone designator.
    pub fn issue_time(&self) -> String {
        self.issued_local().format("%H:%M:%S").to_string()
    }

    /// `IssueDate`T`IssueTime`: QR tag 3, and `xades:SigningTime` (the SDK
    /// samples write that one with no zone too; that it is local time as
    /// well is our reading [INF]).
    pub fn issue_timestamp(&self) -> String {
        format!("{}T{}", self.issue_date(), self.issue_time())
    }

    pub fn totals(&self) -> Totals {
        Totals::of(&self.lines)
    }

    /// The document text. `signature_block` is the whole `ext:UBLExtensions`
    /// element and `qr` the QR payload; both are left out of the invoice hash,
    /// so rendering with them empty gives the same hash as the final text.
    pub fn render(&self, signature_block: &str, qr: &str) -> String {
        let mut writer = Writer::new_with_indent(Vec::with_capacity(12 * 1024), b' ', 4);
        self.write(&mut writer, signature_block, qr).expect("writing to a Vec cannot fail");
        String::from_utf8(writer.into_inner()).expect("the writer only receives UTF-8")
    }

    fn write(&self, w: &mut Writer<Vec<u8>>, signature_block: &str, qr: &str) -> std::io::Result<()> {
        let totals = self.totals();
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        w.write_event(Event::Start(BytesStart::new("Invoice").with_attributes([
            ("xmlns", ns::INVOICE),
            ("xmlns:cac", ns::CAC),
            ("xmlns:cbc", ns::CBC),
            ("xmlns:ext", ns::EXT),
        ])))?;
        w.write_event(Event::Text(BytesText::from_escaped(signature_block)))?;
        w.write_indent()?;
        text(w, "cbc:ProfileID", "reporting:1.0")?;
        text(w, "cbc:ID", &self.id)?;
        text(w, "cbc:UUID", &self.uuid)?;
        text(w, "cbc:IssueDate", &self.issue_date())?;
        text(w, "cbc:IssueTime", &self.issue_time())?;
        w.create_element("cbc:InvoiceTypeCode")
            .with_attribute(("name", self.kind.transaction_code()))
            .write_text_content(BytesText::new(self.kind.type_code()))?;
        text(w, "cbc:DocumentCurrencyCode", "SAR")?;
        text(w, "cbc:TaxCurrencyCode", "SAR")?;
        if let Some(reference) = &self.billing_reference {
            w.create_element("cac:BillingReference").write_inner_content(|w| {
                w.create_element("cac:InvoiceDocumentReference").write_inner_content(|w| text(w, "cbc:ID", reference))?;
                Ok(())
            })?;
        }
        w.create_element("cac:AdditionalDocumentReference").write_inner_content(|w| {
            text(w, "cbc:ID", "ICV")?;
            text(w, "cbc:UUID", &self.counter.to_string())
        })?;
        attachment(w, "PIH", &self.previous_hash)?;
        // Standard documents too: all 14 standard SDK samples and the
        // request example of ZATCA's compliance-invoice API carry one.
        attachment(w, "QR", qr)?;
        w.create_element("cac:Signature").write_inner_content(|w| {
            text(w, "cbc:ID", "urn:oasis:names:specification:ubl:signature:Invoice")?;
            text(w, "cbc:SignatureMethod", "urn:oasis:names:specification:ubl:dsig:enveloped:xades")
        })?;
        self.write_seller(w)?;
        self.write_buyer(w)?;
        if !self.kind.is_simplified() {
            w.create_element("cac:Delivery").write_inner_content(|w| text(w, "cbc:ActualDeliveryDate", &self.issue_date()))?;
        }
        w.create_element("cac:PaymentMeans").write_inner_content(|w| {
            text(w, "cbc:PaymentMeansCode", "10")?;
            if let Some(reason) = &self.note_reason {
                text(w, "cbc:InstructionNote", reason)?;
            }
            Ok(())
        })?;
        w.create_element("cac:TaxTotal").write_inner_content(|w| amount(w, "cbc:TaxAmount", totals.vat_halalas))?;
        w.create_element("cac:TaxTotal").write_inner_content(|w| {
            amount(w, "cbc:TaxAmount", totals.vat_halalas)?;
            for subtotal in &totals.subtotals {
                w.create_element("cac:TaxSubtotal").write_inner_content(|w| {
                    amount(w, "cbc:TaxableAmount", subtotal.taxable_halalas)?;
                    amount(w, "cbc:TaxAmount", subtotal.vat_halalas)?;
                    tax_category(w, "cac:TaxCategory", &subtotal.category, true)
                })?;
            }
            Ok(())
        })?;
        w.create_element("cac:LegalMonetaryTotal").write_inner_content(|w| {
            amount(w, "cbc:LineExtensionAmount", totals.line_extension_halalas)?;
            amount(w, "cbc:TaxExclusiveAmount", totals.line_extension_halalas)?;
            amount(w, "cbc:TaxInclusiveAmount", totals.with_vat_halalas())?;
            amount(w, "cbc:PayableAmount", totals.with_vat_halalas())
        })?;
        for (number, line) in self.lines.iter().enumerate() {
            w.create_element("cac:InvoiceLine").write_inner_content(|w| {
                text(w, "cbc:ID", &(number + 1).to_string())?;
                w.create_element("cbc:InvoicedQuantity")
                    .with_attribute(("unitCode", "PCE"))
                    .write_text_content(BytesText::new(&format!("{}.000000", line.quantity)))?;
                amount(w, "cbc:LineExtensionAmount", line.net_halalas())?;
                w.create_element("cac:TaxTotal").write_inner_content(|w| {
                    amount(w, "cbc:TaxAmount", line.vat_halalas())?;
                    amount(w, "cbc:RoundingAmount", line.net_halalas() + line.vat_halalas())
                })?;
                w.create_element("cac:Item").write_inner_content(|w| {
                    text(w, "cbc:Name", &line.name)?;
                    tax_category(w, "cac:ClassifiedTaxCategory", &line.vat, false)
                })?;
                w.create_element("cac:Price").write_inner_content(|w| amount(w, "cbc:PriceAmount", line.unit_price_halalas))?;
                Ok(())
            })?;
        }
        w.write_event(Event::End(BytesEnd::new("Invoice")))
    }

    fn write_seller(&self, w: &mut Writer<Vec<u8>>) -> std::io::Result<()> {
        let seller = &self.seller;
        w.create_element("cac:AccountingSupplierParty").write_inner_content(|w| {
            w.create_element("cac:Party").write_inner_content(|w| {
                w.create_element("cac:PartyIdentification").write_inner_content(|w| {
                    w.create_element("cbc:ID")
                        .with_attribute(("schemeID", seller.identification.scheme.as_str()))
                        .write_text_content(BytesText::new(&seller.identification.value))?;
                    Ok(())
                })?;
                postal_address(w, &seller.address)?;
                party_tax_scheme(w, seller.vat_number.as_str())?;
                party_legal_entity(w, &seller.name)
            })?;
            Ok(())
        })?;
        Ok(())
    }

    fn write_buyer(&self, w: &mut Writer<Vec<u8>>) -> std::io::Result<()> {
        let buyer = &self.buyer;
        w.create_element("cac:AccountingCustomerParty").write_inner_content(|w| {
            w.create_element("cac:Party").write_inner_content(|w| {
                if let Some(address) = &buyer.address {
                    postal_address(w, address)?;
                }
                if let Some(vat_number) = &buyer.vat_number {
                    party_tax_scheme(w, vat_number)?;
                }
                party_legal_entity(w, &buyer.name)
            })?;
            Ok(())
        })?;
        Ok(())
    }
}

type W = Writer<Vec<u8>>;

fn text(w: &mut W, name: &str, value: &str) -> std::io::Result<()> {
    w.create_element(name).write_text_content(BytesText::new(value))?;
    Ok(())
}

fn amount(w: &mut W, name: &str, halalas: i64) -> std::io::Result<()> {
    w.create_element(name).with_attribute(("currencyID", "SAR")).write_text_content(BytesText::new(&format_halalas(halalas)))?;
    Ok(())
}

fn attachment(w: &mut W, id: &str, content: &str) -> std::io::Result<()> {
    w.create_element("cac:AdditionalDocumentReference").write_inner_content(|w| {
        text(w, "cbc:ID", id)?;
        w.create_element("cac:Attachment").write_inner_content(|w| {
            w.create_element("cbc:EmbeddedDocumentBinaryObject")
                .with_attribute(("mimeCode", "text/plain"))
                .write_text_content(BytesText::new(content))?;
            Ok(())
        })?;
        Ok(())
    })?;
    Ok(())
}

fn tax_category(w: &mut W, element: &str, category: &VatCategory, with_reason: bool) -> std::io::Result<()> {
    w.create_element(element).write_inner_content(|w| {
        text(w, "cbc:ID", category.code())?;
        text(w, "cbc:Percent", &format!("{}.00", category.percent()))?;
        if let (true, VatCategory::ZeroRated { reason_code, reason }) = (with_reason, category) {
            text(w, "cbc:TaxExemptionReasonCode", reason_code)?;
            text(w, "cbc:TaxExemptionReason", reason)?;
        }
        w.create_element("cac:TaxScheme").write_inner_content(|w| text(w, "cbc:ID", "VAT"))?;
        Ok(())
    })?;
    Ok(())
}

fn postal_address(w: &mut W, address: &Address) -> std::io::Result<()> {
    w.create_element("cac:PostalAddress").write_inner_content(|w| {
        text(w, "cbc:StreetName", &address.street)?;
        text(w, "cbc:BuildingNumber", &address.building_number)?;
        text(w, "cbc:CitySubdivisionName", &address.district)?;
        text(w, "cbc:CityName", &address.city)?;
        text(w, "cbc:PostalZone", &address.postal_zone)?;
        w.create_element("cac:Country").write_inner_content(|w| text(w, "cbc:IdentificationCode", &address.country))?;
        Ok(())
    })?;
    Ok(())
}

fn party_tax_scheme(w: &mut W, vat_number: &str) -> std::io::Result<()> {
    w.create_element("cac:PartyTaxScheme").write_inner_content(|w| {
        text(w, "cbc:CompanyID", vat_number)?;
        w.create_element("cac:TaxScheme").write_inner_content(|w| text(w, "cbc:ID", "VAT"))?;
        Ok(())
    })?;
    Ok(())
}

fn party_legal_entity(w: &mut W, name: &str) -> std::io::Result<()> {
    w.create_element("cac:PartyLegalEntity").write_inner_content(|w| text(w, "cbc:RegistrationName", name))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_add_up_in_halalas() {
        let totals = Totals::of(&Line::samples());
        // 3 × 12.35 = 37.05 at 15 % → 5.5575 → 5.56; 2 × 10.25 = 20.50 at 0 %.
        assert_eq!(totals.line_extension_halalas, 3705 + 2050);
        assert_eq!(totals.vat_halalas, 556);
        assert_eq!(totals.with_vat_halalas(), 6311);
        assert_eq!(totals.subtotals.iter().map(|subtotal| subtotal.taxable_halalas).sum::<i64>(), totals.line_extension_halalas);
        assert_eq!(format_halalas(6311), "63.11");
        assert_eq!(format_halalas(5), "0.05");
    }

    #[test]
    fn kinds_follow_the_invoice_types_of_the_csr() {
        assert_eq!(DocumentKind::for_invoice_types(InvoiceTypes::Standard).len(), 3);
        assert!(DocumentKind::for_invoice_types(InvoiceTypes::Simplified).iter().all(|kind| kind.is_simplified()));
        assert_eq!(DocumentKind::for_invoice_types(InvoiceTypes::Both).len(), 6);
    }
}
