//! The enveloped XAdES B-B block (SPEC.md 3.3 items 3–6). Its layout is
//! ZATCA's SDK layout to the space: the signed-properties digest is taken
//! over the `xades:SignedProperties` text as it stands in the document, so
//! the text is written once here and hashed exactly as written.

use quick_xml::escape::partial_escape;

use crate::credentials::{SigningCertificate, base64_of_hex_sha256};
use crate::ns;

/// Indentation of `xades:SignedProperties` inside the block below.
const SIGNED_PROPERTIES_INDENT: usize = 32;

pub struct SignatureParts<'a> {
    pub invoice_hash: &'a str,
    pub signature_value: &'a str,
    pub certificate: &'a SigningCertificate,
    /// `YYYY-MM-DDTHH:MM:SS`, no zone, as in ZATCA's samples.
    pub signing_time: &'a str,
}

/// The `ext:UBLExtensions` element, ready to be placed right after the
/// document's start tag.
pub fn ubl_extensions(parts: &SignatureParts) -> String {
    let signed_properties = signed_properties(parts.certificate, parts.signing_time, false);
    let signed_properties_digest =
        base64_of_hex_sha256(signed_properties_pre_image(parts.certificate, parts.signing_time).as_bytes());
    format!(
        r##"<ext:UBLExtensions>
    <ext:UBLExtension>
        <ext:ExtensionURI>urn:oasis:names:specification:ubl:dsig:enveloped:xades</ext:ExtensionURI>
        <ext:ExtensionContent>
            <sig:UBLDocumentSignatures xmlns:sig="{sig}" xmlns:sac="{sac}" xmlns:sbc="{sbc}">
                <sac:SignatureInformation>
                    <cbc:ID>urn:oasis:names:specification:ubl:signature:1</cbc:ID>
                    <sbc:ReferencedSignatureID>urn:oasis:names:specification:ubl:signature:Invoice</sbc:ReferencedSignatureID>
                    <ds:Signature xmlns:ds="{ds}" Id="signature">
                        <ds:SignedInfo>
                            <ds:CanonicalizationMethod Algorithm="http://www.w3.org/2006/12/xml-c14n11"/>
                            <ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"/>
                            <ds:Reference Id="invoiceSignedData" URI="">
                                <ds:Transforms>
                                    <ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116">
                                        <ds:XPath>not(//ancestor-or-self::ext:UBLExtensions)</ds:XPath>
                                    </ds:Transform>
                                    <ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116">
                                        <ds:XPath>not(//ancestor-or-self::cac:Signature)</ds:XPath>
                                    </ds:Transform>
                                    <ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116">
                                        <ds:XPath>not(//ancestor-or-self::cac:AdditionalDocumentReference[cbc:ID='QR'])</ds:XPath>
                                    </ds:Transform>
                                    <ds:Transform Algorithm="http://www.w3.org/2006/12/xml-c14n11"/>
                                </ds:Transforms>
                                <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
                                <ds:DigestValue>{invoice_hash}</ds:DigestValue>
                            </ds:Reference>
                            <ds:Reference Type="http://www.w3.org/2000/09/xmldsig#SignatureProperties" URI="#xadesSignedProperties">
                                <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
                                <ds:DigestValue>{signed_properties_digest}</ds:DigestValue>
                            </ds:Reference>
                        </ds:SignedInfo>
                        <ds:SignatureValue>{signature_value}</ds:SignatureValue>
                        <ds:KeyInfo>
                            <ds:X509Data>
                                <ds:X509Certificate>{certificate}</ds:X509Certificate>
                            </ds:X509Data>
                        </ds:KeyInfo>
                        <ds:Object>
                            <xades:QualifyingProperties xmlns:xades="{xades}" Target="signature">
{indent}{signed_properties}
                            </xades:QualifyingProperties>
                        </ds:Object>
                    </ds:Signature>
                </sac:SignatureInformation>
            </sig:UBLDocumentSignatures>
        </ext:ExtensionContent>
    </ext:UBLExtension>
</ext:UBLExtensions>"##,
        sig = ns::SIG,
        sac = ns::SAC,
        sbc = ns::SBC,
        ds = ns::DS,
        xades = ns::XADES,
        invoice_hash = parts.invoice_hash,
        signature_value = parts.signature_value,
        certificate = parts.certificate.base64(),
        indent = " ".repeat(SIGNED_PROPERTIES_INDENT),
    )
}

/// What the `#xadesSignedProperties` digest is taken over: the element as
/// laid out in the document, with the namespace declarations its ancestors
/// provide written onto it and onto each `ds:` element (verified on all 19
/// SDK samples, SPEC.md 3.3 item 5).
pub fn signed_properties_pre_image(certificate: &SigningCertificate, signing_time: &str) -> String {
    signed_properties(certificate, signing_time, true)
}

fn signed_properties(certificate: &SigningCertificate, signing_time: &str, declare_namespaces: bool) -> String {
    let (xades, ds) = if declare_namespaces {
        (format!(r#" xmlns:xades="{}""#, ns::XADES), format!(r#" xmlns:ds="{}""#, ns::DS))
    } else {
        (String::new(), String::new())
    };
    let pad = |depth: usize| " ".repeat(SIGNED_PROPERTIES_INDENT + 4 * depth);
    [
        format!(r#"<xades:SignedProperties{xades} Id="xadesSignedProperties">"#),
        format!("{}<xades:SignedSignatureProperties>", pad(1)),
        format!("{}<xades:SigningTime>{}</xades:SigningTime>", pad(2), partial_escape(signing_time)),
        format!("{}<xades:SigningCertificate>", pad(2)),
        format!("{}<xades:Cert>", pad(3)),
        format!("{}<xades:CertDigest>", pad(4)),
        format!(r#"{}<ds:DigestMethod{ds} Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>"#, pad(5)),
        format!("{}<ds:DigestValue{ds}>{}</ds:DigestValue>", pad(5), certificate.digest()),
        format!("{}</xades:CertDigest>", pad(4)),
        format!("{}<xades:IssuerSerial>", pad(4)),
        format!("{}<ds:X509IssuerName{ds}>{}</ds:X509IssuerName>", pad(5), partial_escape(certificate.issuer_name())),
        format!("{}<ds:X509SerialNumber{ds}>{}</ds:X509SerialNumber>", pad(5), certificate.serial_decimal()),
        format!("{}</xades:IssuerSerial>", pad(4)),
        format!("{}</xades:Cert>", pad(3)),
        format!("{}</xades:SigningCertificate>", pad(2)),
        format!("{}</xades:SignedSignatureProperties>", pad(1)),
        format!("{}</xades:SignedProperties>", pad(0)),
    ]
    .join("\n")
}
