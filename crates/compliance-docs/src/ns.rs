//! Namespace URIs of UBL 2.1, XMLDSig and XAdES as ZATCA's documents use them.

pub const INVOICE: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
pub const CAC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
pub const CBC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";
pub const EXT: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2";
pub const SIG: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonSignatureComponents-2";
pub const SAC: &str = "urn:oasis:names:specification:ubl:schema:xsd:SignatureAggregateComponents-2";
pub const SBC: &str = "urn:oasis:names:specification:ubl:schema:xsd:SignatureBasicComponents-2";
pub const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
pub const XADES: &str = "http://uri.etsi.org/01903/v1.3.2#";
