//! A bounded reader for PHP's `serialize()` format, as WordPress stores some meta values
//! (`_wp_attachment_metadata`, `_menu_item_classes`, plugins' arrays).
//!
//! Only data is read: `N;` null, `b:` booleans, `i:` integers, `d:` floats, `s:` strings and
//! `a:` arrays (nested at most [`MAX_PHP_DEPTH`] deep). Objects, custom serialisations and
//! references are refused with an error, never instantiated or followed. String lengths are
//! counted in bytes, as PHP counts them, so a length that cuts a multibyte character or does not
//! end at the closing quote is an error. Nothing here panics on any input.

use std::fmt;

/// How deep arrays may nest.
pub const MAX_PHP_DEPTH: usize = 32;

/// A value PHP serialised.
#[derive(Debug, Clone, PartialEq)]
pub enum PhpValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    /// An array: ordered keys and values, as PHP keeps them.
    Array(Vec<(PhpKey, PhpValue)>),
}

/// An array key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PhpKey {
    Int(i64),
    String(String),
}

impl fmt::Display for PhpKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PhpKey::Int(i) => write!(f, "{i}"),
            PhpKey::String(s) => f.write_str(s),
        }
    }
}

impl PhpValue {
    /// The value under a string key, for an array.
    pub fn get(&self, key: &str) -> Option<&PhpValue> {
        match self {
            PhpValue::Array(entries) => entries
                .iter()
                .find(|(k, _)| matches!(k, PhpKey::String(s) if s == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The text of a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            PhpValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// An integer, or a string holding one (plugins store both).
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            PhpValue::Int(i) => u64::try_from(*i).ok(),
            PhpValue::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

/// Why a serialised value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a PHP serialised value we read: {reason} (at byte {offset})")]
pub struct PhpError {
    pub offset: usize,
    pub reason: String,
}

/// Reads one serialised value; anything after it but whitespace is an error.
pub fn unserialize(input: &str) -> Result<PhpValue, PhpError> {
    let mut parser = Parser { input, pos: 0 };
    let value = parser.value(0)?;
    if !input[parser.pos..].trim().is_empty() {
        return Err(parser.error("something follows the value"));
    }
    Ok(value)
}

/// Whether a meta value looks serialised, as WordPress's `is_serialized()` decides.
pub fn is_serialized(value: &str) -> bool {
    let value = value.trim();
    if value == "N;" {
        return true;
    }
    let bytes = value.as_bytes();
    bytes.len() >= 4
        && bytes[1] == b':'
        && matches!(bytes[0], b'a' | b'O' | b's' | b'i' | b'd' | b'b' | b'C')
        && matches!(bytes[bytes.len() - 1], b';' | b'}')
}

struct Parser<'a> {
    input: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, reason: &str) -> PhpError {
        PhpError {
            offset: self.pos,
            reason: reason.to_owned(),
        }
    }

    fn rest(&self) -> &[u8] {
        &self.input.as_bytes()[self.pos..]
    }

    fn expect(&mut self, token: &str) -> Result<(), PhpError> {
        if self.rest().starts_with(token.as_bytes()) {
            self.pos += token.len();
            Ok(())
        } else {
            Err(self.error(&format!("expected `{token}`")))
        }
    }

    /// The text up to (not including) `end`, which is then skipped.
    fn until(&mut self, end: u8, max: usize) -> Result<&str, PhpError> {
        let rest = self.rest();
        let Some(len) = rest.iter().take(max).position(|b| *b == end) else {
            return Err(self.error(&format!("expected `{}`", end as char)));
        };
        let text = &self.input[self.pos..self.pos + len];
        self.pos += len + 1;
        Ok(text)
    }

    fn integer(&mut self, end: u8) -> Result<i64, PhpError> {
        let start = self.pos;
        let text = self.until(end, 24)?;
        text.parse().map_err(|_| PhpError {
            offset: start,
            reason: format!("{text:?} is not an integer"),
        })
    }

    fn value(&mut self, depth: usize) -> Result<PhpValue, PhpError> {
        let Some(&kind) = self.rest().first() else {
            return Err(self.error("the value ends early"));
        };
        match kind {
            b'N' => {
                self.expect("N;")?;
                Ok(PhpValue::Null)
            }
            b'b' => {
                self.expect("b:")?;
                match self.integer(b';')? {
                    0 => Ok(PhpValue::Bool(false)),
                    1 => Ok(PhpValue::Bool(true)),
                    _ => Err(self.error("a boolean that is neither 0 nor 1")),
                }
            }
            b'i' => {
                self.expect("i:")?;
                Ok(PhpValue::Int(self.integer(b';')?))
            }
            b'd' => {
                self.expect("d:")?;
                let start = self.pos;
                let text = self.until(b';', 64)?;
                let value = match text {
                    "INF" => f64::INFINITY,
                    "-INF" => f64::NEG_INFINITY,
                    "NAN" => f64::NAN,
                    _ => text.parse().map_err(|_| PhpError {
                        offset: start,
                        reason: format!("{text:?} is not a number"),
                    })?,
                };
                Ok(PhpValue::Float(value))
            }
            b's' => {
                self.expect("s:")?;
                Ok(PhpValue::String(self.string()?))
            }
            b'a' => {
                if depth >= MAX_PHP_DEPTH {
                    return Err(self.error(&format!("arrays nest more than {MAX_PHP_DEPTH} deep")));
                }
                self.expect("a:")?;
                let count = self.integer(b':')?;
                // Each entry takes at least four bytes (`i:0;` and `N;`), which bounds what a
                // declared count can make us allocate.
                let count = usize::try_from(count)
                    .ok()
                    .filter(|n| n.saturating_mul(6) <= self.rest().len())
                    .ok_or_else(|| self.error("an array count larger than the value"))?;
                self.expect("{")?;
                let mut entries = Vec::with_capacity(count.min(1024));
                for _ in 0..count {
                    let key = match self.value(depth + 1)? {
                        PhpValue::Int(i) => PhpKey::Int(i),
                        PhpValue::String(s) => PhpKey::String(s),
                        _ => return Err(self.error("an array key that is not an int or a string")),
                    };
                    let value = self.value(depth + 1)?;
                    entries.push((key, value));
                }
                self.expect("}")?;
                Ok(PhpValue::Array(entries))
            }
            b'O' | b'C' => Err(self.error("objects are refused")),
            b'r' | b'R' => Err(self.error("references are not read")),
            _ => Err(self.error("an unknown type")),
        }
    }

    /// `N:"…";` after `s:`: N bytes between the quotes.
    fn string(&mut self) -> Result<String, PhpError> {
        let declared = self.integer(b':')?;
        self.expect("\"")?;
        let len = usize::try_from(declared)
            .ok()
            .filter(|n| *n <= self.rest().len())
            .ok_or_else(|| self.error("a string length past the end of the value"))?;
        let end = self.pos + len;
        let Some(text) = self.input.get(self.pos..end) else {
            return Err(
                self.error("a string length that cuts a character (lengths are counted in bytes)")
            );
        };
        let text = text.to_owned();
        self.pos = end;
        self.expect("\";")
            .map_err(|_| self.error("a string length that does not end at the closing quote"))?;
        Ok(text)
    }
}

/// What WordPress knows about an uploaded file (`_wp_attachment_metadata`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AttachmentMetadata {
    pub width: Option<u64>,
    pub height: Option<u64>,
    /// The original's path under the uploads folder.
    pub file: Option<String>,
    pub filesize: Option<u64>,
    /// The resized copies WordPress made, in stored order.
    pub sizes: Vec<ImageSize>,
    /// From the image's embedded metadata (`image_meta`), when not empty.
    pub credit: Option<String>,
    pub caption: Option<String>,
    pub copyright: Option<String>,
    pub title: Option<String>,
}

/// One resized copy of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSize {
    /// `thumbnail`, `medium`, `large`…
    pub name: String,
    /// The file name, in the original's folder.
    pub file: String,
    pub width: Option<u64>,
    pub height: Option<u64>,
    pub mime_type: Option<String>,
}

/// Reads `_wp_attachment_metadata`.
pub fn attachment_metadata(value: &str) -> Result<AttachmentMetadata, PhpError> {
    let parsed = unserialize(value)?;
    if !matches!(parsed, PhpValue::Array(_)) {
        return Err(PhpError {
            offset: 0,
            reason: "attachment metadata that is not an array".to_owned(),
        });
    }
    let text = |v: Option<&PhpValue>| {
        v.and_then(PhpValue::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let mut sizes = Vec::new();
    if let Some(PhpValue::Array(entries)) = parsed.get("sizes") {
        for (name, size) in entries {
            let Some(file) = text(size.get("file")) else {
                continue;
            };
            sizes.push(ImageSize {
                name: name.to_string(),
                file,
                width: size.get("width").and_then(PhpValue::as_u64),
                height: size.get("height").and_then(PhpValue::as_u64),
                mime_type: text(size.get("mime-type")),
            });
        }
    }
    let image_meta = parsed.get("image_meta");
    let from_image = |key: &str| text(image_meta.and_then(|m| m.get(key)));
    Ok(AttachmentMetadata {
        width: parsed.get("width").and_then(PhpValue::as_u64),
        height: parsed.get("height").and_then(PhpValue::as_u64),
        file: text(parsed.get("file")),
        filesize: parsed.get("filesize").and_then(PhpValue::as_u64),
        sizes,
        credit: from_image("credit"),
        caption: from_image("caption"),
        copyright: from_image("copyright"),
        title: from_image("title"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> PhpValue {
        PhpValue::String(text.to_owned())
    }

    #[test]
    fn scalars_are_read() {
        assert_eq!(unserialize("N;"), Ok(PhpValue::Null));
        assert_eq!(unserialize("b:1;"), Ok(PhpValue::Bool(true)));
        assert_eq!(unserialize("i:-42;"), Ok(PhpValue::Int(-42)));
        assert_eq!(unserialize("d:0.5;"), Ok(PhpValue::Float(0.5)));
        assert_eq!(unserialize("s:0:\"\";"), Ok(s("")));
        assert_eq!(unserialize("s:5:\"a\"b;c\";"), Ok(s("a\"b;c")));
    }

    #[test]
    fn string_lengths_are_bytes_not_characters() {
        // "اردو" is four characters and eight bytes.
        assert_eq!(unserialize("s:8:\"اردو\";"), Ok(s("اردو")));
        assert!(unserialize("s:4:\"اردو\";").is_err());
        assert!(unserialize("s:3:\"اردو\";").is_err());
        assert_eq!(unserialize("s:4:\"📈\";"), Ok(s("📈")));
    }

    #[test]
    fn nested_arrays_keep_their_order_and_keys() {
        let value = unserialize("a:2:{i:0;a:1:{s:1:\"k\";b:0;}s:3:\"two\";i:2;}").unwrap();
        assert_eq!(
            value,
            PhpValue::Array(vec![
                (
                    PhpKey::Int(0),
                    PhpValue::Array(vec![(PhpKey::String("k".into()), PhpValue::Bool(false))])
                ),
                (PhpKey::String("two".into()), PhpValue::Int(2)),
            ])
        );
    }

    #[test]
    fn depth_is_bounded() {
        let ok = format!(
            "{}N;{}",
            "a:1:{i:0;".repeat(MAX_PHP_DEPTH),
            "}".repeat(MAX_PHP_DEPTH)
        );
        assert!(unserialize(&ok).is_ok());
        let deep = format!(
            "{}N;{}",
            "a:1:{i:0;".repeat(MAX_PHP_DEPTH + 1),
            "}".repeat(MAX_PHP_DEPTH + 1)
        );
        let error = unserialize(&deep).unwrap_err();
        assert!(error.reason.contains("nest more than 32"), "{error}");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for garbage in [
            "",
            "x",
            "s:",
            "s:99999999999999999999:\"a\";",
            "s:-1:\"\";",
            "s:2:\"a\";",
            "a:99999999:{}",
            "a:1:{i:0;}",
            "a:1:{d:1.0;i:1;}",
            "i:12",
            "i:1x;",
            "b:2;",
            "O:8:\"stdClass\":0:{}",
            "r:1;",
            "N;trailing",
        ] {
            assert!(unserialize(garbage).is_err(), "{garbage:?}");
        }
    }

    #[test]
    fn attachment_metadata_is_typed() {
        let meta = attachment_metadata(
            "a:5:{s:5:\"width\";i:1200;s:6:\"height\";i:800;s:4:\"file\";s:9:\"a/b/c.jpg\";\
             s:5:\"sizes\";a:1:{s:6:\"medium\";a:4:{s:4:\"file\";s:11:\"c-300x2.jpg\";\
             s:5:\"width\";i:300;s:6:\"height\";s:3:\"200\";s:9:\"mime-type\";s:10:\"image/jpeg\";}}\
             s:10:\"image_meta\";a:2:{s:6:\"credit\";s:3:\"AFP\";s:7:\"caption\";s:0:\"\";}}",
        )
        .unwrap();
        assert_eq!(meta.width, Some(1200));
        assert_eq!(meta.height, Some(800));
        assert_eq!(meta.file.as_deref(), Some("a/b/c.jpg"));
        assert_eq!(meta.sizes.len(), 1);
        assert_eq!(meta.sizes[0].name, "medium");
        assert_eq!(meta.sizes[0].height, Some(200));
        assert_eq!(meta.credit.as_deref(), Some("AFP"));
        assert_eq!(meta.caption, None);
        assert!(attachment_metadata("s:1:\"x\";").is_err());
    }

    #[test]
    fn serialised_values_are_recognised() {
        assert!(is_serialized("a:1:{i:0;s:0:\"\";}"));
        assert!(is_serialized("N;"));
        assert!(!is_serialized("plain text"));
        assert!(!is_serialized("#8a1c1c"));
    }
}
