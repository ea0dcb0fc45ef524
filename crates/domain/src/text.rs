//! Small validated text values: slugs, headlines, names and language tags, and the one rule for
//! which characters typed text may hold.
//!
//! Text reaches feeds (XML 1.0, which forbids most control characters), PostgreSQL (which refuses
//! NUL) and HTML pages. A control character in a headline or a section name is never meant, so
//! it is refused where the text enters, with the form kept, rather than found later by a feed
//! reader that gives up on the whole feed.

use std::fmt;

/// A value a person typed that does not fit the field it was meant for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InvalidValue {
    /// The field, in the words a form would use ("headline", "slug").
    pub field: &'static str,
    /// What is wrong, in a sentence a person understands.
    pub message: String,
}

impl InvalidValue {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// The last part of a URL path: lower-case letters and digits of any script, joined by single
/// hyphens. Urdu headlines keep their letters (`کراچی-میں-بارش`), they are not transliterated.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slug(String);

impl Slug {
    /// Longest slug we make or accept, in characters.
    pub const MAX_CHARS: usize = 120;

    /// Accepts a slug exactly as given, or says why it is not one.
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let bad = |m: &str| Err(InvalidValue::new("slug", m));
        if s.is_empty() {
            return bad("must not be empty");
        }
        if s.chars().count() > Self::MAX_CHARS {
            return bad("is longer than 120 characters");
        }
        if s.starts_with('-') || s.ends_with('-') || s.contains("--") {
            return bad("must not start or end with a hyphen or contain two in a row");
        }
        let fits = |c: char| c == '-' || is_slug_char(c);
        if !s.chars().all(fits) {
            return bad("may contain only lower-case letters, digits and hyphens");
        }
        Ok(Self(s.to_owned()))
    }

    /// Derives a slug from a headline or name: letters and digits kept (lower-cased),
    /// apostrophes dropped, everything else a word break. `None` when nothing is left.
    pub fn from_title(title: &str) -> Option<Self> {
        let mut out = String::with_capacity(title.len());
        let mut pending_hyphen = false;
        for c in title.chars() {
            if matches!(c, '\'' | '’' | '‘' | 'ʼ') {
                continue;
            }
            if c.is_alphanumeric() || is_combining_mark(c) {
                if pending_hyphen && !out.is_empty() {
                    out.push('-');
                }
                pending_hyphen = false;
                out.extend(c.to_lowercase());
            } else {
                pending_hyphen = true;
            }
        }
        let mut slug = String::new();
        for word in out.split('-') {
            let needed = word.chars().count() + usize::from(!slug.is_empty());
            if slug.chars().count() + needed > Self::MAX_CHARS {
                break;
            }
            if !slug.is_empty() {
                slug.push('-');
            }
            slug.push_str(word);
        }
        if slug.is_empty() {
            // A single word longer than the limit: cut it.
            slug = out.chars().take(Self::MAX_CHARS).collect();
        }
        let slug = Self::parse(&slug).ok()?;
        if Self::RESERVED.contains(&slug.as_str()) {
            return Some(slug.numbered(1));
        }
        Some(slug)
    }

    /// Top-level path segments the site's own routes use: an article whose headline would
    /// make one of these gets `-1` appended, so that `/{slug}` is never shadowed by a route.
    /// `metrics` is kept free so that `/metrics` on the public site is always a 404 (the
    /// metrics are served on an address of their own).
    pub const RESERVED: &[&str] = &[
        "admin", "api", "author", "feed", "healthz", "metrics", "newsroom", "search", "section",
        "sitemaps", "static", "tag",
    ];

    /// The same slug with `-n` appended, for the n-th article that wanted this one.
    pub fn numbered(&self, n: u32) -> Self {
        let suffix = format!("-{n}");
        let keep = Self::MAX_CHARS - suffix.len();
        let base: String = self.0.chars().take(keep).collect();
        Self(format!("{}{suffix}", base.trim_end_matches('-')))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_slug_char(c: char) -> bool {
    (c.is_alphanumeric() && !c.is_uppercase()) || is_combining_mark(c)
}

/// Marks that belong to the letter before them (Urdu and Arabic vowel signs, Hindi matras).
fn is_combining_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x0610..=0x061A | 0x064B..=0x065F | 0x0670 | 0x06D6..=0x06ED | 0x0900..=0x0903 | 0x093A..=0x094F)
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An article's headline: one line of text, neither empty nor absurdly long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Headline(String);

impl Headline {
    pub const MAX_CHARS: usize = 300;

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let s = s.trim();
        if s.is_empty() {
            return Err(InvalidValue::new("headline", "must not be empty"));
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(InvalidValue::new(
                "headline",
                "is longer than 300 characters",
            ));
        }
        if s.chars().any(is_forbidden_char) {
            return Err(InvalidValue::new(
                "headline",
                "must be a single line of text",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Whether `c` may never appear in text a person typed: the C0 controls (NUL included), DEL, the
/// C1 controls, and U+FFFE and U+FFFF, which XML 1.0 forbids. Line breaks and tabs are controls
/// too: one-line fields refuse them, [`check_multiline`] lets them through.
pub fn is_forbidden_char(c: char) -> bool {
    c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}'
}

/// Checks text that may run over several lines (a standfirst, a body): tabs and line breaks are
/// kept, every other character [`is_forbidden_char`] refuses is an invalid value of `field`.
pub fn check_multiline(field: &'static str, s: &str) -> Result<(), InvalidValue> {
    let bad = |c: char| is_forbidden_char(c) && !matches!(c, '\t' | '\n' | '\r');
    match s.chars().find(|c| bad(*c)) {
        Some(c) => Err(InvalidValue::new(
            field,
            format!(
                "contains an invisible control character (U+{:04X}); remove it and save again",
                u32::from(c)
            ),
        )),
        None => Ok(()),
    }
}

/// Search words and filter values as typed in a query string, with the control characters
/// dropped (a tab or line break becomes a space) and the ends trimmed: nothing a person means to
/// search for is lost, and nothing a database refuses (NUL) reaches it.
pub fn query_text(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\r' => Some(' '),
            c if is_forbidden_char(c) => None,
            c => Some(c),
        })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// The name of a section, tag, author or news agency, or of the publication: one line of 1 to
/// [`Name::MAX_CHARS`] characters, trimmed, without control characters. One rule for every
/// door a name comes in by: the editor's save, the sections-and-tags forms, the settings, the
/// demo publication.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Name(String);

impl Name {
    /// Longest name, in characters.
    pub const MAX_CHARS: usize = 100;

    /// Accepts `s`, trimmed, as the name in `field` ("section", "tags", "source"), or says why
    /// it is not one. The message never repeats the refused characters.
    pub fn parse(field: &'static str, s: &str) -> Result<Self, InvalidValue> {
        Self::parse_within(field, s, Self::MAX_CHARS)
    }

    /// [`Name::parse`] with a shorter limit (the publication's short name).
    pub fn parse_within(field: &'static str, s: &str, max: usize) -> Result<Self, InvalidValue> {
        let s = s.trim();
        if s.is_empty() {
            return Err(InvalidValue::new(
                field,
                format!("must be one line of 1 to {max} characters"),
            ));
        }
        if s.chars().any(is_forbidden_char) {
            return Err(InvalidValue::new(
                field,
                format!(
                    "must be one line of 1 to {max} characters, without invisible control characters"
                ),
            ));
        }
        let count = s.chars().count();
        if count > max {
            return Err(InvalidValue::new(
                field,
                format!("must be one line of 1 to {max} characters (this is {count})"),
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which way a script runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ltr,
    Rtl,
}

impl Direction {
    /// The value of an HTML `dir` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ltr => "ltr",
            Direction::Rtl => "rtl",
        }
    }
}

/// A BCP 47 language tag such as `en`, `ur` or `en-GB`, stored as written (primary subtag lower case).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Language(String);

impl Language {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let s = s.trim();
        let mut parts = s.split('-');
        let primary = parts.next().unwrap_or_default();
        let primary_ok =
            (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_alphabetic());
        let rest_ok = parts
            .all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
        if !primary_ok || !rest_ok {
            return Err(InvalidValue::new(
                "language",
                format!("'{s}' is not a language tag such as en or ur"),
            ));
        }
        let mut tag = primary.to_ascii_lowercase();
        tag.push_str(&s[primary.len()..]);
        Ok(Self(tag))
    }

    pub fn english() -> Self {
        Self("en".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The primary subtag: `en` for `en-GB`.
    pub fn primary(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }

    /// Right to left for Urdu, Arabic, Persian, Pashto, Sindhi, Hebrew and the like.
    pub fn direction(&self) -> Direction {
        match self.primary() {
            "ar" | "ckb" | "dv" | "fa" | "he" | "ks" | "ps" | "sd" | "ug" | "ur" | "yi" => {
                Direction::Rtl
            }
            _ => Direction::Ltr,
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_from_headline_drops_apostrophes_and_punctuation() {
        let slug = Slug::from_title(
            "How do Russia, Pakistan, China, Iran and India view the Taliban’s rise in Afghanistan?",
        );
        assert_eq!(
            slug.unwrap().as_str(),
            "how-do-russia-pakistan-china-iran-and-india-view-the-talibans-rise-in-afghanistan"
        );
        let slug =
            Slug::from_title("Interview: Russia’s blank cheque to Pakistan – fact or fiction?");
        assert_eq!(
            slug.unwrap().as_str(),
            "interview-russias-blank-cheque-to-pakistan-fact-or-fiction"
        );
    }

    #[test]
    fn urdu_slug_keeps_its_letters() {
        let slug = Slug::from_title("کراچی میں بارش").unwrap();
        assert_eq!(slug.as_str(), "کراچی-میں-بارش");
        assert_eq!(Slug::parse(slug.as_str()), Ok(slug));
    }

    #[test]
    fn slug_is_cut_at_a_word_boundary() {
        let long = "word ".repeat(60);
        let slug = Slug::from_title(&long).unwrap();
        assert!(slug.as_str().chars().count() <= Slug::MAX_CHARS);
        assert!(slug.as_str().ends_with("word"));
    }

    #[test]
    fn headline_never_makes_a_reserved_slug() {
        assert_eq!(Slug::from_title("Search").unwrap().as_str(), "search-1");
        assert_eq!(Slug::from_title("Static!").unwrap().as_str(), "static-1");
        assert_eq!(Slug::from_title("Metrics").unwrap().as_str(), "metrics-1");
        assert_eq!(
            Slug::from_title("Search engines").unwrap().as_str(),
            "search-engines"
        );
        assert!(
            Slug::parse("search").is_ok(),
            "an explicit slug is still a slug"
        );
    }

    #[test]
    fn title_without_letters_has_no_slug() {
        assert_eq!(Slug::from_title("?!— …"), None);
    }

    #[test]
    fn slug_parse_rejects_upper_case_spaces_and_hyphen_runs() {
        for bad in ["", "Abc", "a b", "-a", "a-", "a--b", "a/b", "a.b"] {
            assert!(Slug::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn numbered_slug_stays_within_limit() {
        let slug = Slug::parse(&"a".repeat(120)).unwrap();
        let n = slug.numbered(12);
        assert!(n.as_str().ends_with("-12"));
        assert_eq!(n.as_str().chars().count(), 120);
    }

    #[test]
    fn empty_or_multiline_headline_is_rejected() {
        assert!(Headline::parse("   ").is_err());
        assert!(Headline::parse("one\ntwo").is_err());
        assert_eq!(
            Headline::parse("  Putin calls Khan ").unwrap().as_str(),
            "Putin calls Khan"
        );
    }

    #[test]
    fn urdu_is_right_to_left() {
        assert_eq!(Language::parse("ur").unwrap().direction(), Direction::Rtl);
        assert_eq!(
            Language::parse("en-GB").unwrap().direction(),
            Direction::Ltr
        );
        assert_eq!(Language::parse("EN").unwrap().as_str(), "en");
        assert!(Language::parse("english").is_err());
        assert!(Language::parse("").is_err());
    }

    #[test]
    fn names_refuse_control_characters_and_are_trimmed() {
        assert_eq!(
            Name::parse("section", "  World ").unwrap().as_str(),
            "World"
        );
        for bad in [
            "",
            "   ",
            "Wor\u{0}ld",
            "Wor\u{7}ld",
            "two\nlines",
            "tab\tbed",
            "del\u{7F}",
            "c1\u{85}x",
            "c1\u{9B}",
            "non\u{FFFE}char",
            "non\u{FFFF}char",
        ] {
            let err = Name::parse("section", bad).unwrap_err();
            assert_eq!(err.field, "section");
            assert!(!err.message.contains('\u{0}'), "{err}");
        }
        assert!(Name::parse("tags", &"n".repeat(100)).is_ok());
        assert!(Name::parse("tags", &"n".repeat(101)).is_err());
        assert!(Name::parse("section", "کراچی").is_ok());
        assert!(Name::parse_within("short name", &"n".repeat(31), 30).is_err());
    }

    #[test]
    fn multiline_text_keeps_tabs_and_line_breaks_but_not_nul() {
        assert!(check_multiline("body", "one\r\n\ttwo\n").is_ok());
        let err = check_multiline("body", "one\u{0}two").unwrap_err();
        assert!(err.message.contains("U+0000"), "{err}");
        assert!(check_multiline("standfirst", "bell\u{7}").is_err());
        assert!(check_multiline("standfirst", "c1\u{80}").is_err());
    }

    #[test]
    fn query_text_drops_control_characters() {
        assert_eq!(query_text("\u{0}"), "");
        assert_eq!(query_text(" kar\u{0}achi\tflood\u{1B} "), "karachi flood");
        assert_eq!(query_text("کراچی"), "کراچی");
    }

    #[test]
    fn headline_refuses_characters_xml_forbids() {
        assert!(Headline::parse("Putin\u{FFFF} calls").is_err());
        assert!(Headline::parse("Putin\u{0} calls").is_err());
    }
}
