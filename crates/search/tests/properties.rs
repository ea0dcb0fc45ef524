//! Property tests for what readers type into the search box and what the index reads: every
//! input is a valid query (possibly empty), bounded in size, and tokens are normalised words.

use dateline_search::text::{Clause, parse_query, plain_text, tokens};
use proptest::prelude::*;

/// Query-like text: words of several scripts, quotes, operators, prefixes, exclusions, controls.
fn query_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-zA-Z]{1,10}",
        "[0-9]{1,5}",
        Just(" ".to_owned()),
        Just("\"".to_owned()),
        Just("*".to_owned()),
        Just("-".to_owned()),
        Just("AND".to_owned()),
        Just("OR".to_owned()),
        Just("||".to_owned()),
        Just("(".to_owned()),
        Just(":".to_owned()),
        Just("کراچی".to_owned()),
        Just("كراچي".to_owned()),
        Just("\u{64e}".to_owned()),
        Just("\u{640}".to_owned()),
        Just("Ünïcödé".to_owned()),
        Just("\u{0}".to_owned()),
        Just("\u{1b}[31m".to_owned()),
        Just("\u{202e}".to_owned()),
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..80).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any query parses; the number of clauses is bounded whatever its length; every word is a
    /// normalised token (no spaces, no control characters, never empty).
    #[test]
    fn every_query_parses_into_bounded_clean_clauses(text in query_text()) {
        let query = parse_query(&text);
        prop_assert!(query.required.len() <= 12 && query.excluded.len() <= 12);
        for clause in query.required.iter().chain(&query.excluded) {
            let words: Vec<&String> = match clause {
                Clause::Word(w) | Clause::Prefix(w) => vec![w],
                Clause::Phrase(ws) => {
                    prop_assert!(ws.len() >= 2);
                    ws.iter().collect()
                }
            };
            for w in words {
                prop_assert!(!w.is_empty());
                prop_assert!(!w.chars().any(|c| c.is_whitespace() || c.is_control()), "{w:?}");
            }
        }
    }

    /// Queries are cut to a bounded length before they are read, so a huge query costs no more
    /// than a long one.
    #[test]
    fn huge_queries_read_as_their_beginning(text in query_text(), repeat in 1usize..50) {
        let huge = text.repeat(repeat * 20);
        let query = parse_query(&huge);
        let head: String = huge.chars().take(400).collect();
        prop_assert_eq!(query, parse_query(&head));
    }

    /// Tokens point into the text they came from, in order.
    #[test]
    fn tokens_point_into_their_text(text in query_text()) {
        let mut last = 0;
        for token in tokens(&text) {
            prop_assert!(token.offset_from <= token.offset_to && token.offset_to <= text.len());
            prop_assert!(text.is_char_boundary(token.offset_from) && text.is_char_boundary(token.offset_to));
            prop_assert!(token.offset_from >= last);
            last = token.offset_from;
        }
    }

    /// Stripping the tags and comments of sanitised HTML never panics and leaves none behind.
    #[test]
    fn plain_text_of_html_keeps_no_markup(html in "(<[a-z]{1,5}( [a-z]+=\"[^\"<>]{0,5}\")?>|</[a-z]{1,5}>|<!--[^<>]{0,5}-->|[^<>&]{0,8})*") {
        let text = plain_text(&html);
        prop_assert!(!text.contains('<') && !text.contains('>'), "{text:?}");
    }
}
