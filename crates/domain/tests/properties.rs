//! Property tests for the values parsed from outside input — slugs from URLs and headlines,
//! cursors from query strings, headlines, e-mail addresses and language tags from forms: no
//! input panics, what is accepted keeps the type's promise, and what we write we read back.

use chrono::DateTime;
use dateline_domain::{ArticleId, Cursor, Email, Headline, Language, Slug};
use proptest::prelude::*;

/// Headline-like text: words of several scripts, punctuation, apostrophes, marks and controls.
fn title() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[A-Za-z]{1,12}",
        "[0-9]{1,6}",
        Just(" ".to_owned()),
        Just("  ".to_owned()),
        Just("-".to_owned()),
        Just("--".to_owned()),
        Just("'".to_owned()),
        Just("’".to_owned()),
        Just(",".to_owned()),
        Just("…".to_owned()),
        Just("کراچی".to_owned()),
        Just("میں".to_owned()),
        Just("\u{64e}".to_owned()),
        Just("हिन्दी".to_owned()),
        Just("İSTANBUL".to_owned()),
        Just("ß".to_owned()),
        Just("admin".to_owned()),
        Just("search".to_owned()),
        Just("\u{0}".to_owned()),
        Just("\n".to_owned()),
        Just("\u{200d}".to_owned()),
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..60).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, failure_persistence: None, ..ProptestConfig::default() })]

    /// A slug made from any headline is a valid slug, within the length limit, and never one of
    /// the site's own top-level routes.
    #[test]
    fn slugs_from_titles_parse_and_are_never_reserved(text in title()) {
        if let Some(slug) = Slug::from_title(&text) {
            prop_assert!(Slug::parse(slug.as_str()).is_ok(), "{slug}");
            prop_assert!(slug.as_str().chars().count() <= Slug::MAX_CHARS);
            prop_assert!(!Slug::RESERVED.contains(&slug.as_str()));
            prop_assert_eq!(Slug::from_title(slug.as_str()), Some(slug.clone()), "a slug is its own title's slug");
            for n in [1, 2, 99, u32::MAX] {
                prop_assert!(Slug::parse(slug.numbered(n).as_str()).is_ok());
            }
        }
    }

    /// Any path segment at all: parsing says yes or no, and yes means the slug alphabet.
    #[test]
    fn slug_parsing_never_panics_and_keeps_its_alphabet(text in any::<String>()) {
        if let Ok(slug) = Slug::parse(&text) {
            prop_assert_eq!(slug.as_str(), text.as_str());
            prop_assert!(!text.chars().any(|c| c.is_control() || c.is_whitespace() || c == '/'));
        }
    }

    /// Cursors we write are cursors we read.
    #[test]
    fn cursors_round_trip(millis in -8_000_000_000_000i64..8_000_000_000_000, id in 1i64..i64::MAX) {
        let cursor = Cursor {
            published_at: DateTime::from_timestamp_millis(millis).expect("in range"),
            id: ArticleId(id),
        };
        prop_assert_eq!(Cursor::parse(&cursor.encode()), Some(cursor));
    }

    /// A cursor from a query string is ours or nothing; anything else is the first page.
    #[test]
    fn cursor_parsing_never_panics(text in "[-0-9.eE+ ]{0,40}|\\PC{0,40}") {
        if let Some(cursor) = Cursor::parse(&text) {
            prop_assert!(cursor.id.0 > 0);
        }
    }

    /// A headline is one trimmed line of at most 300 characters.
    #[test]
    fn accepted_headlines_are_one_trimmed_line(text in title()) {
        if let Ok(headline) = Headline::parse(&text) {
            let h = headline.as_str();
            prop_assert!(!h.is_empty() && h.chars().count() <= Headline::MAX_CHARS);
            prop_assert!(!h.chars().any(char::is_control));
            prop_assert_eq!(h, h.trim());
        }
    }

    /// E-mail addresses from the sign-in form: one line, lower case, within 254 bytes.
    #[test]
    fn accepted_email_addresses_are_plain(text in "\\PC{0,20}@?\\PC{0,20}|[a-z.]{1,10}@[a-z]{1,10}\\.[a-z]{2,3}") {
        if let Ok(email) = Email::parse(&text) {
            let e = email.as_str();
            prop_assert!(e.len() <= 254 && e.contains('@'));
            prop_assert!(!e.chars().any(|c| c.is_control() || c.is_whitespace()));
            prop_assert_eq!(Email::parse(e).map(|x| x.as_str().to_owned()), Ok(e.to_owned()));
        }
    }

    /// Language tags from forms and import files: ASCII subtags only, stable when re-read.
    #[test]
    fn accepted_language_tags_are_ascii_and_stable(text in "[a-zA-Z]{0,4}(-[a-zA-Z0-9]{0,9}){0,3}|\\PC{0,12}") {
        if let Ok(language) = Language::parse(&text) {
            let tag = language.as_str();
            prop_assert!(tag.is_ascii());
            prop_assert_eq!(Language::parse(tag), Ok(language.clone()));
            prop_assert!(matches!(language.primary().len(), 2 | 3));
        }
    }
}
