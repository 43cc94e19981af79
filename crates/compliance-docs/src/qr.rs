//! The QR code (SPEC.md 3.3 item 7): TLV with a one-byte tag and a one-byte
//! length counted in UTF-8 bytes, then base64. Every document carries one:
//! the 14 standard SDK samples with tags 1 to 8, the 5 simplified ones with
//! tag 9 as well.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use crate::error::{DocsError, Result};

/// ZATCA's schematron (KSA-14) refuses a QR longer than this.
pub const MAX_QR_CHARS: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrCode {
    pub seller_name: String,
    pub vat_number: String,
    /// `IssueDate` `T` `IssueTime`, KSA local time with no zone, as the SDK
    /// samples write it.
    pub timestamp: String,
    pub total_with_vat: String,
    pub vat_total: String,
    /// The base64 text of the invoice hash (44 bytes), not the raw digest.
    pub invoice_hash: String,
    /// The base64 text of `ds:SignatureValue`.
    pub signature: String,
    /// DER SubjectPublicKeyInfo of the signing certificate.
    pub public_key: Vec<u8>,
    /// The CA's signature over the signing certificate; simplified documents only.
    pub certificate_signature: Option<Vec<u8>>,
}

impl QrCode {
    pub fn to_base64(&self) -> Result<String> {
        let mut tlv = Vec::with_capacity(512);
        let fields: [(u8, &[u8]); 8] = [
            (1, self.seller_name.as_bytes()),
            (2, self.vat_number.as_bytes()),
            (3, self.timestamp.as_bytes()),
            (4, self.total_with_vat.as_bytes()),
            (5, self.vat_total.as_bytes()),
            (6, self.invoice_hash.as_bytes()),
            (7, self.signature.as_bytes()),
            (8, &self.public_key),
        ];
        let optional = self.certificate_signature.as_deref().map(|value| (9u8, value));
        for (tag, value) in fields.into_iter().chain(optional) {
            let length = u8::try_from(value.len()).map_err(|_| {
                DocsError::Qr(format!("tag {tag} is {} bytes long; a QR field holds at most 255 bytes (UTF-8)", value.len()))
            })?;
            tlv.extend_from_slice(&[tag, length]);
            tlv.extend_from_slice(value);
        }
        let encoded = B64.encode(tlv);
        if encoded.len() > MAX_QR_CHARS {
            return Err(DocsError::Qr(format!(
                "the QR code is {} characters; ZATCA accepts at most {MAX_QR_CHARS} (shorten the seller name)",
                encoded.len()
            )));
        }
        Ok(encoded)
    }

    pub fn from_base64(encoded: &str) -> Result<Self> {
        let bytes = B64.decode(encoded.trim()).map_err(|error| DocsError::Qr(format!("not base64: {error}")))?;
        let mut tags: [Option<&[u8]>; 10] = [None; 10];
        let mut rest = bytes.as_slice();
        while let [tag, length, tail @ ..] = rest {
            let length = usize::from(*length);
            if tail.len() < length {
                return Err(DocsError::Qr(format!("tag {tag} claims {length} bytes but only {} remain", tail.len())));
            }
            let slot = tags.get_mut(usize::from(*tag)).filter(|_| *tag != 0).ok_or_else(|| DocsError::Qr(format!("unknown tag {tag}")))?;
            if slot.replace(&tail[..length]).is_some() {
                return Err(DocsError::Qr(format!("tag {tag} appears twice")));
            }
            rest = &tail[length..];
        }
        if !rest.is_empty() {
            return Err(DocsError::Qr("a tag without its length byte at the end".into()));
        }
        let required = |tag: usize| tags[tag].ok_or_else(|| DocsError::Qr(format!("tag {tag} is missing")));
        let text = |tag: usize| {
            required(tag).and_then(|value| {
                String::from_utf8(value.to_vec()).map_err(|_| DocsError::Qr(format!("tag {tag} is not UTF-8")))
            })
        };
        Ok(Self {
            seller_name: text(1)?,
            vat_number: text(2)?,
            timestamp: text(3)?,
            total_with_vat: text(4)?,
            vat_total: text(5)?,
            invoice_hash: text(6)?,
            signature: text(7)?,
            public_key: required(8)?.to_vec(),
            certificate_signature: tags[9].map(<[u8]>::to_vec),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> QrCode {
        QrCode {
            seller_name: "شركة توريد التكنولوجيا".into(),
            vat_number: "399999999900003".into(),
            timestamp: "2022-08-17T17:41:08".into(),
            total_with_vat: "231.15".into(),
            vat_total: "30.15".into(),
            invoice_hash: "z5F9qsS6oWyDhehD8u8S0DaxV+2CUiUz9Y+UsR61JgQ=".into(),
            signature: "MEYCIQ".into(),
            public_key: vec![0x30, 0x56],
            certificate_signature: Some(vec![0x30, 0x45]),
        }
    }

    #[test]
    fn lengths_count_utf8_bytes_not_characters() {
        let encoded = sample().to_base64().unwrap();
        let bytes = B64.decode(&encoded).unwrap();
        let name = "شركة توريد التكنولوجيا";
        assert_eq!((bytes[0], usize::from(bytes[1])), (1, name.len()));
        assert!(name.len() > name.chars().count());
        assert_eq!(QrCode::from_base64(&encoded).unwrap(), sample());
    }

    #[test]
    fn a_field_over_255_bytes_is_refused() {
        let mut qr = sample();
        qr.seller_name = "م".repeat(128);
        assert!(matches!(qr.to_base64(), Err(DocsError::Qr(message)) if message.contains("tag 1")));
    }

    #[test]
    fn truncated_and_unknown_tags_are_refused() {
        let encoded = sample().to_base64().unwrap();
        let mut bytes = B64.decode(&encoded).unwrap();
        bytes.pop();
        assert!(QrCode::from_base64(&B64.encode(&bytes)).is_err());
        assert!(QrCode::from_base64(&B64.encode([12u8, 1, b'x'])).is_err());
    }
}
