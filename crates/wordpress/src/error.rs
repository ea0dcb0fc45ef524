//! Why a WXR file, or one record in it, could not be read.
//!
//! One closed enum, [`WxrError`]. Each message is one line a person understands and says where
//! the file went wrong when the reader knows ([`Position`]: line, column and byte offset of the
//! markup being read). Some errors concern one item only (a field past its bound, too many meta
//! entries, a number that is not one): the reader reports them and goes on with the next
//! record. The others end the reading; [`WxrError::is_fatal`] tells which.

use std::fmt;

/// Where in the file: the start of the markup being read when the problem was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    /// Line, from 1.
    pub line: u64,
    /// Column in characters, from 1.
    pub column: u64,
    /// Byte offset from the start of the file.
    pub byte: u64,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {} (byte {})",
            self.line, self.column, self.byte
        )
    }
}

/// Why a WXR file, or one record in it, could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WxrError {
    /// The file is not a WordPress export at all.
    #[error("not a WordPress export: {reason}")]
    NotWxr { reason: String },
    #[error("the file is in {encoding}; only UTF-8 is read")]
    UnsupportedEncoding { encoding: String },
    #[error("the file is not valid UTF-8 near {at}")]
    NotUtf8 { at: Position },
    #[error("malformed XML at {at}: {detail}")]
    MalformedXml { at: Position, detail: String },
    /// The file ends before the export does: a cut download or a full disk.
    #[error("the file ends at {at} inside <{inside}>: the export is truncated")]
    Truncated { inside: String, at: Position },
    #[error(
        "the file has a DOCTYPE at {at}: entity declarations are refused, nothing is expanded or fetched"
    )]
    DoctypeRefused { at: Position },
    #[error("the file uses the unknown entity &{name}; at {at}; only XML's own five are read")]
    UnknownEntity { name: String, at: Position },
    #[error("elements nest more than {max} deep at {at}")]
    TooDeep { max: usize, at: Position },
    /// One text field (or one run of markup) is longer than the reader's bound.
    #[error("<{field}> at {at} is longer than {max} bytes")]
    FieldTooLarge {
        field: String,
        max: usize,
        at: Position,
    },
    /// An item holds more of something (meta entries, comments, terms) than the bound.
    #[error("item {post_id} at {at} has more than {max} {what}")]
    TooMany {
        what: &'static str,
        max: usize,
        post_id: String,
        at: Position,
    },
    /// An item whose fields together are larger than the bound.
    #[error("item {post_id} at {at} is larger than {max} bytes")]
    RecordTooLarge {
        post_id: String,
        max: usize,
        at: Position,
    },
    /// A field that must be a number or a date is something else.
    #[error("<{field}> at {at} is {value:?}, not {expected}")]
    InvalidField {
        field: String,
        value: String,
        expected: &'static str,
        at: Position,
    },
    /// A record without a field it cannot do without.
    #[error("{record} at {at} has no <{field}>")]
    MissingField {
        record: &'static str,
        field: &'static str,
        at: Position,
    },
    #[error("the file could not be read: {detail}")]
    Io { detail: String },
}

impl WxrError {
    /// Whether reading stops here. A non-fatal error concerns one record, which is left out;
    /// the reader goes on with the next one.
    pub fn is_fatal(&self) -> bool {
        !matches!(
            self,
            WxrError::TooMany { .. }
                | WxrError::RecordTooLarge { .. }
                | WxrError::InvalidField { .. }
                | WxrError::MissingField { .. }
        )
    }
}
