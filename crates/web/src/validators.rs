//! What HTTP validators are made of: a content hash for ETags and versioned asset URLs, and the
//! date format of Last-Modified and If-Modified-Since.

use chrono::{DateTime, Utc};

/// FNV-1a, 64 bits: enough to tell one version of a document from the next.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn http_date(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Reads an HTTP date; `None` for anything else.
pub fn parse_http_date(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
