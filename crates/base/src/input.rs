//! Reading bytes we did not write (files a user picks, answers from a
//! gateway or a proxy) with a size cap enforced while reading, so a huge or
//! endless input is refused with a message instead of filling memory.
//!
//! Each reader names its input and its limit once, as a [`Cap`] constant, and
//! reads through [`read_capped`] (a file), [`read_capped_from`] (any
//! `Read`) or, for bytes arriving in pieces (an HTTP body), [`CappedBuffer`].

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::i18n::{Localized, isolate, ltr};

pub const KIB: u64 = 1024;
pub const MIB: u64 = 1024 * KIB;

/// What an input is, in both languages, for the messages that name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputKind {
    pub en: &'static str,
    pub ar: &'static str,
}

/// An input's name and the most bytes we accept of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cap {
    pub what: InputKind,
    pub bytes: u64,
}

impl Cap {
    pub const fn new(en: &'static str, ar: &'static str, bytes: u64) -> Self {
        Self { what: InputKind { en, ar }, bytes }
    }

    /// Refuses a length over the cap (a `Content-Length`, a slice handed in).
    pub fn check(&self, len: u64, path: Option<&Path>) -> Result<(), InputError> {
        if len > self.bytes {
            return Err(self.too_large(path.map(Path::to_owned)));
        }
        Ok(())
    }

    fn too_large(&self, path: Option<PathBuf>) -> InputError {
        InputError::TooLarge { what: self.what, limit: self.bytes, path }
    }

    /// The bytes read under this cap from `path`, as UTF-8 text; the message
    /// names the input and the path, never its content (it may be an OTP
    /// list or a passphrase).
    pub fn text(&self, bytes: Vec<u8>, path: &Path) -> Result<String, InputError> {
        String::from_utf8(bytes).map_err(|_| InputError::NotText { what: self.what, path: path.to_owned() })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("the {} is larger than the {} allowed", .what.en, human_size(*.limit))]
    TooLarge { what: InputKind, limit: u64, path: Option<PathBuf> },
    #[error("cannot read the {} {}: {source}", .what.en, .path.display())]
    Io { what: InputKind, path: PathBuf, source: std::io::Error },
    #[error("the {} {} is not UTF-8 text", .what.en, .path.display())]
    NotText { what: InputKind, path: PathBuf },
}

impl InputError {
    pub fn explain(&self) -> Localized {
        match self {
            InputError::TooLarge { what, limit, path } => {
                let (en_file, ar_file) = match path {
                    Some(path) => (format!(" {}", path.display()), format!(" {}", ltr(path.display()))),
                    None => (String::new(), String::new()),
                };
                Localized::new(
                    format!(
                        "The {}{en_file} is larger than {} allowed for it, so it was not read. Check that this is the right file; a real one is far smaller.",
                        what.en,
                        human_size(*limit)
                    ),
                    format!(
                        "حجم {}{ar_file} يتجاوز الحد المسموح ({})، فلم يُقرأ. تحقّق من أنه الملف الصحيح؛ فالملف الحقيقي أصغر بكثير.",
                        what.ar,
                        human_size(*limit)
                    ),
                )
            }
            InputError::Io { what, path, source } => Localized::new(
                format!("Cannot read the {} {} ({source}). Check the path and the file's permissions.", what.en, path.display()),
                format!("تعذّرت قراءة {} {} ({source}). تحقّق من المسار ومن صلاحيات الملف.", what.ar, ltr(path.display()), source = isolate(source)),
            ),
            InputError::NotText { what, path } => Localized::new(
                format!("The {} {} is not UTF-8 text. Save it as plain text (UTF-8) and try again.", what.en, path.display()),
                format!("ليس في {} {} نص بترميز UTF-8. احفظ الملف نصًّا عاديًا (UTF-8) ثم أعد المحاولة.", what.ar, ltr(path.display())),
            ),
        }
    }
}

/// "64 KiB", "1 MiB", "300 bytes".
pub fn human_size(bytes: u64) -> String {
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// Reads the file at `path`, refusing it once it passes `cap.bytes` (the
/// length is checked as read, not taken from the metadata, so a growing file
/// or a device cannot get round it).
pub fn read_capped(path: &Path, cap: Cap) -> Result<Vec<u8>, InputError> {
    let io = |source| InputError::Io { what: cap.what, path: path.to_owned(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    if let Ok(metadata) = file.metadata()
        && metadata.is_file()
    {
        cap.check(metadata.len(), Some(path))?;
    }
    read_capped_from(file, cap).map_err(|error| match error {
        InputError::TooLarge { what, limit, .. } => InputError::TooLarge { what, limit, path: Some(path.to_owned()) },
        InputError::Io { source, .. } => io(source),
        not_text @ InputError::NotText { .. } => not_text,
    })
}

/// Reads `reader` to its end, refusing more than `cap.bytes`.
pub fn read_capped_from(reader: impl Read, cap: Cap) -> Result<Vec<u8>, InputError> {
    let mut bytes = Vec::new();
    reader
        .take(cap.bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| InputError::Io { what: cap.what, path: PathBuf::from("<input>"), source })?;
    cap.check(bytes.len() as u64, None)?;
    Ok(bytes)
}

/// Collects pieces of one input (the chunks of an HTTP body) and refuses
/// the piece that takes it over the cap, before that piece is kept.
#[derive(Debug)]
pub struct CappedBuffer {
    cap: Cap,
    bytes: Vec<u8>,
}

impl CappedBuffer {
    pub fn new(cap: Cap) -> Self {
        Self { cap, bytes: Vec::new() }
    }

    pub fn extend(&mut self, piece: &[u8]) -> Result<(), InputError> {
        self.cap.check(self.bytes.len() as u64 + piece.len() as u64, None)?;
        self.bytes.extend_from_slice(piece);
        Ok(())
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Cap = Cap::new("test file", "ملف الاختبار", 16);

    #[test]
    fn text_that_is_not_utf8_is_refused_naming_the_input_and_path_not_the_content() {
        let path = Path::new("/tmp/otps.txt");
        assert_eq!(SMALL.text(b"123456".to_vec(), path).unwrap(), "123456");
        let message = SMALL.text(b"123456\xff".to_vec(), path).unwrap_err().explain();
        assert!(message.en.contains("The test file /tmp/otps.txt is not UTF-8 text"), "{}", message.en);
        assert!(message.ar.contains("ملف الاختبار \u{2066}/tmp/otps.txt\u{2069}") && message.ar.contains("UTF-8"), "{}", message.ar);
        assert!(!message.en.contains("123456") && !message.ar.contains("123456"));
    }

    #[test]
    fn exactly_the_cap_is_read_one_more_byte_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("input");
        std::fs::write(&path, [7u8; 16]).unwrap();
        assert_eq!(read_capped(&path, SMALL).unwrap().len(), 16);
        std::fs::write(&path, [7u8; 17]).unwrap();
        let error = read_capped(&path, SMALL).unwrap_err();
        assert!(matches!(&error, InputError::TooLarge { limit: 16, path: Some(p), .. } if p == &path), "{error:?}");
        let explained = error.explain();
        assert!(explained.en.contains("test file") && explained.en.contains("16 bytes"), "{}", explained.en);
        assert!(explained.ar.contains("ملف الاختبار") && explained.ar.contains("16 bytes"), "{}", explained.ar);
    }

    #[test]
    fn an_endless_reader_is_cut_at_the_cap() {
        let error = read_capped_from(std::io::repeat(0), SMALL).unwrap_err();
        assert!(matches!(error, InputError::TooLarge { limit: 16, path: None, .. }), "{error:?}");
    }

    #[test]
    fn a_missing_file_names_what_was_expected() {
        let error = read_capped(Path::new("/nonexistent/fatoora-input"), SMALL).unwrap_err();
        assert!(matches!(error, InputError::Io { .. }));
        assert!(error.explain().en.contains("test file /nonexistent/fatoora-input"));
    }

    #[test]
    fn pieces_over_the_cap_are_refused_before_they_are_kept() {
        let mut buffer = CappedBuffer::new(SMALL);
        buffer.extend(&[1; 10]).unwrap();
        assert!(buffer.extend(&[1; 7]).is_err());
        buffer.extend(&[1; 6]).unwrap();
        assert_eq!(buffer.into_bytes().len(), 16);
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_size(MIB), "1 MiB");
        assert_eq!(human_size(64 * KIB), "64 KiB");
        assert_eq!(human_size(1000), "1000 bytes");
    }
}
