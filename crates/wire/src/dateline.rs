//! Agency datelines at the start of a story: `ISLAMABAD, Nov 19 (APP):`, `KARACHI (APP) -`,
//! `LONDON, Dec. 2 (Reuters) -`, `WASHINGTON (AP) —`, `PARIS, 2 December (AFP) –`, `OSLO (NTB):`.
//!
//! The form: a place in capitals (one to four words), then optionally a comma and a date or
//! region, then optionally the agency in brackets, then a colon or a dash. A colon needs the date
//! or the agency as well, so "UN: talks resume" and "The PM said: ..." are left alone.

use crate::text::{clean_line, decode_entities, escape_html};

const MAX_PLACE_WORDS: usize = 4;
const MAX_DETAIL_CHARS: usize = 40;
const MAX_AGENCY_CHARS: usize = 40;
/// The longest dateline recognised, in characters.
pub const MAX_DATELINE_CHARS: usize = 120;

/// Splits an agency dateline off the start of `text`: `"ISLAMABAD, Nov 19 (APP): rest"` gives
/// `("ISLAMABAD, Nov 19 (APP)", "rest")`. The rest is a suffix of `text`.
pub fn split_dateline(text: &str) -> Option<(String, &str)> {
    let start = text.len() - text.trim_start().len();
    let mut p = Cursor { s: text, at: start };
    let place_words = p.place()?;
    if place_words == 0 {
        return None;
    }
    let mut detail = false;
    let before_detail = p.at;
    if p.eat(',') {
        p.spaces();
        if p.detail() {
            detail = true;
        } else {
            p.at = before_detail;
        }
    }
    let before_agency = p.at;
    p.spaces();
    let agency = p.agency();
    if !agency {
        p.at = before_agency;
    }
    let end = p.at;
    p.spaces();
    let colon = p.eat(':');
    if !colon && !p.dash() {
        return None;
    }
    if colon && !detail && !agency {
        return None;
    }
    if !(p.done() || p.whitespace() > 0) {
        return None;
    }
    let dateline = clean_line(&text[start..end], MAX_DATELINE_CHARS + 1);
    if dateline.chars().count() > MAX_DATELINE_CHARS {
        return None;
    }
    Some((dateline, &text[p.at..]))
}

struct Cursor<'a> {
    s: &'a str,
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.s[self.at..].chars().next()
    }

    fn done(&self) -> bool {
        self.at >= self.s.len()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.at += c.len_utf8();
            true
        } else {
            false
        }
    }

    /// Skips spaces (not line breaks), returning how many.
    fn spaces(&mut self) -> usize {
        let mut n = 0;
        while let Some(c) = self
            .peek()
            .filter(|c| *c == ' ' || *c == '\u{a0}' || *c == '\t')
        {
            self.at += c.len_utf8();
            n += 1;
        }
        n
    }

    /// Skips any whitespace, line breaks included, returning how many characters.
    fn whitespace(&mut self) -> usize {
        let mut n = 0;
        while let Some(c) = self.peek().filter(|c| c.is_whitespace()) {
            self.at += c.len_utf8();
            n += 1;
        }
        n
    }

    /// The place: one to four words in capitals. Returns the number of words.
    fn place(&mut self) -> Option<usize> {
        let mut words = 0;
        let mut letters = 0;
        loop {
            let word_start = self.at;
            let mut word_letters = 0;
            while let Some(c) = self.peek() {
                if c.is_alphabetic() {
                    if c.is_lowercase() || !c.is_uppercase() {
                        return None;
                    }
                    word_letters += 1;
                } else if !matches!(c, '-' | '.' | '\'' | '’') {
                    break;
                }
                self.at += c.len_utf8();
            }
            if word_letters == 0 {
                self.at = word_start;
                break;
            }
            words += 1;
            letters += word_letters;
            let after_word = self.at;
            if words == MAX_PLACE_WORDS || !self.eat(' ') {
                break;
            }
            // Another word only if it starts with a capital.
            if !self.peek().is_some_and(char::is_uppercase) {
                self.at = after_word;
                break;
            }
        }
        if letters < 2 {
            return None;
        }
        Some(words)
    }

    /// A date or region after the comma: "Nov 19", "Dec. 2", "2 December", "Italy".
    fn detail(&mut self) -> bool {
        let start = self.at;
        if !self
            .peek()
            .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
        {
            return false;
        }
        let mut chars = 0;
        let mut letters_or_digits = 0;
        while let Some(c) = self.peek() {
            if c.is_alphanumeric() {
                letters_or_digits += 1;
            } else if !matches!(c, ' ' | '.' | ',' | '\'' | '/') {
                break;
            }
            chars += 1;
            if chars > MAX_DETAIL_CHARS {
                self.at = start;
                return false;
            }
            self.at += c.len_utf8();
        }
        // Give back trailing spaces.
        while self.at > start && self.s[..self.at].ends_with(' ') {
            self.at -= 1;
        }
        if letters_or_digits == 0 {
            self.at = start;
            return false;
        }
        true
    }

    /// The agency in brackets: "(APP)", "(Reuters)".
    fn agency(&mut self) -> bool {
        let start = self.at;
        if !self.eat('(') {
            return false;
        }
        let mut chars = 0;
        let mut letters = 0;
        while let Some(c) = self.peek() {
            if c == ')' {
                self.at += 1;
                if letters == 0 {
                    break;
                }
                return true;
            }
            if !(c.is_alphanumeric() || matches!(c, ' ' | '.' | '-' | '&' | '/' | '\'')) {
                break;
            }
            if c.is_alphabetic() {
                letters += 1;
            }
            chars += 1;
            if chars > MAX_AGENCY_CHARS {
                break;
            }
            self.at += c.len_utf8();
        }
        self.at = start;
        false
    }

    /// A dash: `-`, `--`, `–`, `—`, `―`.
    fn dash(&mut self) -> bool {
        let mut any = false;
        while let Some(c) = self.peek().filter(|c| matches!(c, '-' | '–' | '—' | '―')) {
            self.at += c.len_utf8();
            any = true;
        }
        any
    }
}

/// Takes an agency dateline off the start of the first text in sanitised HTML. Returns the
/// dateline and the HTML without it.
pub(crate) fn strip_from_html(html: &str) -> Option<(String, String)> {
    // The first text that is not whitespace, outside tags.
    let mut at = 0;
    let (start, end) = loop {
        let rest = &html[at..];
        if rest.is_empty() {
            return None;
        }
        if rest.starts_with('<') {
            at += rest.find('>')? + 1;
            continue;
        }
        let len = rest.find('<').unwrap_or(rest.len());
        if rest[..len].trim().is_empty() || rest[..len].trim() == "&nbsp;" {
            at += len;
            continue;
        }
        break (at, at + len);
    };
    let text = decode_entities(&html[start..end]);
    let (dateline, rest) = split_dateline(&text)?;
    let mut out = String::with_capacity(html.len());
    out.push_str(&html[..start]);
    out.push_str(&escape_html(rest));
    out.push_str(&html[end..]);
    Some((dateline, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> Option<(String, &str)> {
        split_dateline(s)
    }

    #[test]
    fn agency_datelines_in_their_usual_forms() {
        for (text, dateline) in [
            ("ISLAMABAD, Nov 19 (APP): rest", "ISLAMABAD, Nov 19 (APP)"),
            ("KARACHI (APP) - rest", "KARACHI (APP)"),
            (
                "LONDON, Dec. 2 (Reuters) - rest",
                "LONDON, Dec. 2 (Reuters)",
            ),
            ("WASHINGTON (AP) — rest", "WASHINGTON (AP)"),
            ("PARIS, 2 December (AFP) – rest", "PARIS, 2 December (AFP)"),
            ("OSLO (NTB): rest", "OSLO (NTB)"),
            ("GROSSETO, Italy (AP) -- rest", "GROSSETO, Italy (AP)"),
            (
                "RIO DE JANEIRO (Reuters) - rest",
                "RIO DE JANEIRO (Reuters)",
            ),
            (
                "ST. JOHN'S, Newfoundland (CP) - rest",
                "ST. JOHN'S, Newfoundland (CP)",
            ),
            (
                "WINSTON-SALEM, N.C. (AP) — rest",
                "WINSTON-SALEM, N.C. (AP)",
            ),
            ("  NEW DELHI, Nov 19: rest", "NEW DELHI, Nov 19"),
            ("WASHINGTON — rest", "WASHINGTON"),
        ] {
            assert_eq!(split(text), Some((dateline.to_owned(), "rest")), "{text}");
        }
    }

    #[test]
    fn ordinary_sentences_are_not_datelines() {
        for text in [
            "The PM said: we will win.",
            "UN: talks resume",
            "PM said: no",
            "A - b",
            "BREAKING, the market fell - sharply",
            "ISLAMABAD is the capital - of Pakistan",
            "Islamabad (APP): lower case",
            "ISLAMABAD (APP):no space",
            "ISLAMABAD (APP) rest",
            "",
            "(APP): rest",
            "ONE TWO THREE FOUR FIVE (APP): too many words",
        ] {
            assert_eq!(split(text), None, "{text}");
        }
    }

    #[test]
    fn the_dateline_comes_off_the_first_paragraph() {
        let (dateline, html) =
            strip_from_html("<p><b></b>KARACHI (APP) - Prices &amp; wages rose.</p><p>More.</p>")
                .unwrap();
        assert_eq!(dateline, "KARACHI (APP)");
        assert_eq!(html, "<p><b></b>Prices &amp; wages rose.</p><p>More.</p>");
        assert_eq!(strip_from_html("<p>The PM said: no.</p>"), None);
    }
}
