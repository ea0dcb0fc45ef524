//! Property tests for the body format: whatever a writer (or an attacker with a newsroom account,
//! or an import file) puts in a body, parsing and rendering never panic, the HTML that reaches
//! readers is sanitised, Read More markers cannot be forged, and the fast path that skips the
//! sanitiser for plain prose gives exactly what the sanitiser would.

use dateline_domain::ArticleId;
use dateline_services::body::{self, Block, Rendered};
use proptest::prelude::*;
use pulldown_cmark::{Options, Parser};
use scraper::{Html, Selector};

/// Text built from the pieces that matter to CommonMark, HTML and our own blocks, so that
/// random inputs reach the interesting paths far more often than uniformly random characters.
fn body_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("\n".to_owned()),
        Just("\n\n".to_owned()),
        Just("::: read-more 7\n".to_owned()),
        Just("::: read-more /a-story/\n".to_owned()),
        Just(":::read-more\n".to_owned()),
        Just("::: embed https://youtu.be/dQw4w9WgXcQ A <b>title</b>\n".to_owned()),
        Just("::: embed https://x.com/a/status/1\n".to_owned()),
        Just("```\n".to_owned()),
        Just("```rust\n".to_owned()),
        Just("~~~\n".to_owned()),
        Just("# ".to_owned()),
        Just("> ".to_owned()),
        Just("- ".to_owned()),
        Just("1. ".to_owned()),
        Just("| a | b |\n|---|:-:|\n| 1 | 2 |\n".to_owned()),
        Just("*".to_owned()),
        Just("**".to_owned()),
        Just("_".to_owned()),
        Just("`".to_owned()),
        Just("~~".to_owned()),
        Just("[".to_owned()),
        Just("](".to_owned()),
        Just(")".to_owned()),
        Just("![".to_owned()),
        Just("[^1]".to_owned()),
        Just("[^1]: note\n".to_owned()),
        Just("<".to_owned()),
        Just(">".to_owned()),
        Just("&".to_owned()),
        Just("&amp;".to_owned()),
        Just("&#x3C;".to_owned()),
        Just("\"".to_owned()),
        Just("'".to_owned()),
        Just("<script>alert(1)</script>".to_owned()),
        Just("<img src=x onerror=alert(1)>".to_owned()),
        Just("<a href=\"javascript:alert(1)\">x</a>".to_owned()),
        Just("javascript:alert(1)".to_owned()),
        Just("JaVaScRiPt:alert(1)".to_owned()),
        Just("data:text/html,<b>x</b>".to_owned()),
        Just("<!--dateline:read-more:5-->".to_owned()),
        Just("<!--".to_owned()),
        Just("-->".to_owned()),
        Just("<b onclick=x>".to_owned()),
        Just("<svg><script>x</script></svg>".to_owned()),
        Just("<iframe src=x>".to_owned()),
        Just("<style>*{}</style>".to_owned()),
        Just("https://example.com/a?b=c".to_owned()),
        Just("\u{0}".to_owned()),
        Just("\t".to_owned()),
        Just("\r\n".to_owned()),
        Just("کراچی میں بارش".to_owned()),
        Just("\u{200f}".to_owned()),
        "[a-zA-Z0-9 .,]{0,12}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

fn markdown_options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_FOOTNOTES
}

/// Every element and attribute of `html` that could run script or load a frame.
fn active_content(html: &str) -> Vec<String> {
    let fragment = Html::parse_fragment(html);
    let all = Selector::parse("*").expect("selector");
    let mut found = Vec::new();
    for element in fragment.select(&all) {
        let name = element.value().name();
        if matches!(
            name,
            "script" | "iframe" | "frame" | "object" | "embed" | "style" | "form" | "meta" | "base"
        ) {
            found.push(format!("<{name}>"));
        }
        for (attribute, value) in element.value().attrs() {
            if attribute.to_ascii_lowercase().starts_with("on") {
                found.push(format!("{name} {attribute}"));
            }
            let compact: String = value
                .chars()
                .filter(|c| !c.is_whitespace() && !c.is_control())
                .collect::<String>()
                .to_ascii_lowercase();
            if matches!(
                attribute,
                "href" | "src" | "action" | "formaction" | "srcset"
            ) && ["javascript:", "vbscript:", "data:text/html"]
                .iter()
                .any(|s| compact.starts_with(s))
            {
                found.push(format!("{name} {attribute}={value}"));
            }
        }
    }
    found
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 768, failure_persistence: None, ..ProptestConfig::default() })]

    /// The fast path is an optimisation, never a difference: for any text, the result is what
    /// CommonMark's output through the sanitiser would be.
    #[test]
    fn fast_path_equals_the_sanitised_rendering(text in body_text()) {
        let mut raw = String::new();
        pulldown_cmark::html::push_html(&mut raw, Parser::new_ext(&text, markdown_options()));
        let sanitised = ammonia::Builder::default().clean(&raw).to_string();
        prop_assert_eq!(body::render_markdown(&text), sanitised);
    }

    /// Whatever the body, what reaches readers has no script, frame, event handler or
    /// script URL, and Read More markers are exactly the ones the blocks made.
    #[test]
    fn rendered_bodies_are_sanitised_and_markers_cannot_be_forged(text in body_text()) {
        let Ok(blocks) = body::parse(&text) else { return Ok(()) };
        let wanted = blocks.iter().filter(|b| matches!(b, Block::ReadMore { .. })).count();
        let ids: Vec<ArticleId> = (1..=wanted as i64).map(ArticleId).collect();
        let html = body::render(&blocks, &ids);
        prop_assert!(active_content(&html).is_empty(), "{:?} in {}", active_content(&html), html);
        let markers: Vec<ArticleId> = body::split_rendered(&html)
            .into_iter()
            .filter_map(|part| match part {
                Rendered::ReadMore(id) => Some(id),
                Rendered::Html(_) => None,
            })
            .collect();
        prop_assert_eq!(markers, ids);
    }

    /// Writing a body back with ids and reading it again gives the same blocks: the stored
    /// source is stable across saves.
    #[test]
    fn canonical_source_round_trips(text in body_text()) {
        let Ok(blocks) = body::parse(&text) else { return Ok(()) };
        let wanted = blocks.iter().filter(|b| matches!(b, Block::ReadMore { .. })).count();
        let ids: Vec<ArticleId> = (1..=wanted as i64).map(ArticleId).collect();
        let source = body::canonical_source(&blocks, &ids);
        let again = body::parse(&source).expect("a canonical source parses");
        prop_assert_eq!(again.len(), blocks.len());
        prop_assert_eq!(body::canonical_source(&again, &ids), source.clone());
        if wanted == 0 {
            prop_assert_eq!(source, text);
        }
    }

    /// The check that refuses active content never panics, and anything it lets through renders
    /// without active content too.
    #[test]
    fn content_the_check_accepts_renders_harmless(text in body_text()) {
        if body::active_content(&text).is_none() {
            prop_assert!(active_content(&body::render_markdown(&text)).is_empty());
        }
    }

    /// Any Unicode at all: nothing panics.
    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        if let Ok(blocks) = body::parse(&text) {
            let n = blocks.iter().filter(|b| matches!(b, Block::ReadMore { .. })).count();
            let ids: Vec<ArticleId> = (1..=n as i64).map(ArticleId).collect();
            let html = body::render(&blocks, &ids);
            let _ = body::split_rendered(&html);
        }
        let _ = body::active_content(&text);
        let _ = body::split_rendered(&text);
    }
}
