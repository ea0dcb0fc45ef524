//! The wire readers' tests, in one binary: the IPTC examples, inline feeds and messages, bad
//! input of every kind, and properties over arbitrary bytes.

mod bad_input;
mod feeds;
mod fixtures;
mod properties;

use std::path::PathBuf;

use dateline_wire::{Read, ReadError, read};

/// `shared/standards/...`, beside the checkout.
pub fn standards(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/standards")
        .join(path)
}

pub fn read_file(path: &str) -> Read {
    let bytes = std::fs::read(standards(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    read(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn read_str(text: &str) -> Result<Read, ReadError> {
    read(text.as_bytes())
}

/// The text a reader sees in HTML, whitespace collapsed.
pub fn visible_text(html: &str) -> String {
    let stripped = ammonia_free_strip(html);
    stripped.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn ammonia_free_strip(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&nbsp;", "\u{a0}")
}
