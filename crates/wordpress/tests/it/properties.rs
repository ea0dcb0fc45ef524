//! Properties over arbitrary input: reading and converting never panic, and converting prose
//! never loses its words.

use dateline_wordpress::php::{PhpKey, PhpValue, unserialize};
use dateline_wordpress::{Block, ConvertContext, convert, read};
use proptest::prelude::*;

use crate::{fixture_bytes, item_xml, wxr};

fn ctx() -> ConvertContext {
    ConvertContext::new("https://old.example.com")
}

/// HTML-ish text: tags, entities, shortcodes, block comments and prose, in any order.
fn htmlish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-zA-Z ]{0,12}",
        Just("\n".to_owned()),
        Just("\n\n".to_owned()),
        "<(p|/p|b|/b|i|ul|/ul|ol|li|/li|blockquote|/blockquote|h2|/h2|figure|/figure|figcaption|pre|/pre|code|/code|br|hr|script|/script|style|iframe src=\"https://youtu.be/x\")>",
        "<a href=\"(https://old.example.com/x|/y|javascript:z)\">",
        Just("</a>".to_owned()),
        "<img (src=\"i.jpg\" |class=\"wp-image-[0-9]{1,3}\" |alt=\"a\" )*/?>",
        "&(nbsp|amp|lt|gt|#8217|#x1F4C8|bogus|#99999999);",
        "\\[(caption id=\"attachment_1\"|/caption|gallery ids=\"1,2\"|embed|/embed|foo|/foo|\\[x\\])\\]",
        "<!-- (wp:paragraph|/wp:paragraph|wp:image \\{\"id\":3\\}|/wp:image|wp:gallery|/wp:gallery|wp:embed \\{\"url\":\"https://vimeo.com/1\"\\}|/wp:embed|wp:unknown|more|nextpage) -->",
        "[<>\"'&\\[\\]/=!-]",
        "Read [Mm]ore: ",
        "https://www.youtube.com/watch\\?v=[a-z]{3}",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

fn markdown(blocks: &[Block]) -> String {
    blocks
        .iter()
        .filter_map(|b| match b {
            Block::Markdown(m) => Some(m.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// PHP values of strings (any Unicode), integers, booleans, null and nested arrays.
fn php_value() -> impl Strategy<Value = PhpValue> {
    let leaf = prop_oneof![
        Just(PhpValue::Null),
        any::<bool>().prop_map(PhpValue::Bool),
        any::<i64>().prop_map(PhpValue::Int),
        ".{0,20}".prop_map(PhpValue::String),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop::collection::vec(
            (
                prop_oneof![
                    any::<i64>().prop_map(PhpKey::Int),
                    ".{0,8}".prop_map(PhpKey::String)
                ],
                inner,
            ),
            0..6,
        )
        .prop_map(PhpValue::Array)
    })
}

/// What PHP's `serialize()` writes.
fn serialize(value: &PhpValue) -> String {
    match value {
        PhpValue::Null => "N;".to_owned(),
        PhpValue::Bool(b) => format!("b:{};", u8::from(*b)),
        PhpValue::Int(i) => format!("i:{i};"),
        PhpValue::Float(f) => format!("d:{f};"),
        PhpValue::String(s) => format!("s:{}:\"{s}\";", s.len()),
        PhpValue::Array(entries) => {
            let mut out = format!("a:{}:{{", entries.len());
            for (key, value) in entries {
                match key {
                    PhpKey::Int(i) => out.push_str(&format!("i:{i};")),
                    PhpKey::String(s) => out.push_str(&format!("s:{}:\"{s}\";", s.len())),
                }
                out.push_str(&serialize(value));
            }
            out.push('}');
            out
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn unserialize_reads_what_php_serialises(value in php_value()) {
        prop_assert_eq!(unserialize(&serialize(&value)), Ok(value));
    }

    #[test]
    fn unserialize_never_panics(text in "([asidbN:;{}\"0-9-]|.){0,60}") {
        let _ = unserialize(&text);
    }

    #[test]
    fn convert_never_panics_on_any_text(content in any::<String>()) {
        let _ = convert(&content, &ctx());
    }

    #[test]
    fn convert_never_panics_on_html_like_text(content in htmlish()) {
        let converted = convert(&content, &ctx());
        for block in &converted.blocks {
            if let Block::Markdown(m) = block {
                prop_assert!(!m.trim().is_empty());
            }
        }
    }

    #[test]
    fn classic_paragraphs_keep_every_word(
        paragraphs in prop::collection::vec(prop::collection::vec("[a-zA-Z0-9]{1,12}", 1..12), 1..8),
        block_editor in any::<bool>(),
    ) {
        let content = if block_editor {
            paragraphs
                .iter()
                .map(|words| format!("<!-- wp:paragraph -->\n<p>{}</p>\n<!-- /wp:paragraph -->", words.join(" ")))
                .collect::<Vec<_>>()
                .join("\n\n")
        } else {
            paragraphs.iter().map(|words| words.join(" ")).collect::<Vec<_>>().join("\n\n")
        };
        let converted = convert(&content, &ctx());
        let output = markdown(&converted.blocks);
        let words: Vec<&str> = output.split(|c: char| !c.is_alphanumeric()).collect();
        for word in paragraphs.iter().flatten() {
            prop_assert!(words.contains(&word.as_str()), "{word} lost from {output:?}");
        }
        prop_assert!(converted.problems.is_empty());
    }

    #[test]
    fn read_never_panics_on_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        for _ in read(&bytes[..]) {}
    }

    #[test]
    fn read_never_panics_on_a_damaged_export(
        cut in 0usize..100_000,
        flips in prop::collection::vec((0usize..300_000, any::<u8>()), 0..8),
    ) {
        let mut bytes = fixture_bytes();
        for (at, byte) in flips {
            let at = at % bytes.len();
            bytes[at] = byte;
        }
        bytes.truncate(bytes.len() - cut.min(bytes.len()));
        let results: Vec<_> = read(&bytes[..]).collect();
        // After a fatal error, nothing.
        if let Some(at) = results.iter().position(|r| r.as_ref().is_err_and(|e| e.is_fatal())) {
            prop_assert_eq!(at, results.len() - 1);
        }
    }

    #[test]
    fn read_never_panics_on_items_of_html_like_content(content in htmlish()) {
        let content = content.replace("]]>", "]]]]><![CDATA[>");
        let file = wxr(&item_xml(1, &content, ""));
        let items: Vec<_> = read(file.as_bytes()).collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(items.len(), 2);
    }
}
