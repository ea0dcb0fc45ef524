//! Properties: reading never panics, bodies are always safe, datelines split cleanly, and a body
//! converted to Markdown renders back to the same text and structure.

use std::sync::LazyLock;

use dateline_wire::{html_to_body, read, split_dateline};
use proptest::prelude::*;

use crate::standards;

/// Every fixture's bytes: the IPTC examples and test suites.
static FIXTURES: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let mut files = Vec::new();
    let mut dirs = vec![standards("ninjs/examples"), standards("newsml-g2/examples")];
    for version in std::fs::read_dir(standards("ninjs/test_suite")).unwrap() {
        dirs.push(version.unwrap().path().join("should_pass"));
    }
    for dir in dirs {
        for file in std::fs::read_dir(dir).unwrap() {
            files.push(std::fs::read(file.unwrap().path()).unwrap());
        }
    }
    files
});

fn assert_safe(body: &str) {
    let lower = body.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "{body}");
    assert!(!lower.contains("javascript:"), "{body}");
    let mut rest = lower.as_str();
    while let Some(at) = rest.find(" on") {
        let after = &rest[at + 3..];
        let name_len = after
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(after.len());
        assert!(
            !(name_len > 0
                && after[name_len..].starts_with('=')
                && is_inside_tag(&lower, &after[..0])),
            "an event handler in {body}"
        );
        rest = after;
    }
}

/// Whether the position of `at` (a sub-slice of `s`) is inside a tag.
fn is_inside_tag(s: &str, at: &str) -> bool {
    let offset = at.as_ptr() as usize - s.as_ptr() as usize;
    let before = &s[..offset];
    before.rfind('<') > before.rfind('>')
}

const HOSTILE: &[&str] = &[
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//x.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<p onclick=\"x()\">p</p>",
    "<svg onload=alert(1)>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<body onload=x()>",
    "<div style=\"background:url(javascript:x)\">d</div>",
    "<math><mi xlink:href=\"javascript:x\">m</mi></math>",
    "<a href=\"  javascript:x\">y</a>",
    "<p>ISLAMABAD (APP): fine text</p>",
    "plain & text",
    "<!-- <script>x</script> -->",
    "<<script>script>alert(1)<</script>/script>",
];

fn hostile_body() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(HOSTILE), 1..6).prop_map(|parts| parts.concat())
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

fn cdata(s: &str) -> String {
    format!("<![CDATA[{}]]>", s.replace("]]>", "]]]]><![CDATA[>"))
}

fn xml_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn read_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = read(&bytes);
    }

    #[test]
    fn read_never_panics_on_arbitrary_text_that_looks_like_a_format(
        start in prop::sample::select(vec!["{", "[", "<", "<?xml version=\"1.0\"?>", "<rss>", "<feed>", "<newsItem guid=\"g\">"]),
        rest in ".{0,300}",
    ) {
        let _ = read(format!("{start}{rest}").as_bytes());
    }

    #[test]
    fn read_never_panics_on_changed_or_cut_fixtures(
        which in any::<prop::sample::Index>(),
        changes in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        cut in any::<prop::sample::Index>(),
        do_cut in any::<bool>(),
    ) {
        let mut bytes = which.get(&FIXTURES).clone();
        for (at, byte) in changes {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        if do_cut {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        if let Ok(read) = read(&bytes) {
            for v in &read.versions {
                assert_safe(&v.body_html);
            }
        }
    }

    #[test]
    fn bodies_are_always_safe_in_every_format(body in hostile_body(), title in "[a-zA-Z <>&]{0,20}") {
        let payloads = [
            format!(
                "<rss><channel><item><title>{}</title><description>{}</description>\
                 <content:encoded>{}</content:encoded></item></channel></rss>",
                xml_text(&title), xml_text(&body), cdata(&body)
            ),
            format!(
                "<feed><entry><id>x</id><title type=\"html\">{}</title>\
                 <content type=\"html\">{}</content></entry></feed>",
                xml_text(&title), xml_text(&body)
            ),
            format!(
                r#"{{"uri":"x","headline":{},"body_html":{}}}"#,
                json_string(&title), json_string(&body)
            ),
            format!(
                r#"{{"uri":"x","headlines":[{{"value":{}}}],"bodies":[{{"contentType":"text/html","value":{}}}]}}"#,
                json_string(&title), json_string(&body)
            ),
            format!(
                "<newsItem guid=\"x\"><contentMeta><headline>{}</headline></contentMeta>\
                 <contentSet><inlineData contenttype=\"text/html\">{}</inlineData></contentSet></newsItem>",
                xml_text(&title), xml_text(&body)
            ),
        ];
        for payload in payloads {
            let read = read(payload.as_bytes()).unwrap();
            for v in &read.versions {
                assert_safe(&v.body_html);
                prop_assert!(!v.headline.contains('<') || title.contains('<'));
            }
        }
    }

    #[test]
    fn split_dateline_never_panics_and_its_rest_is_a_suffix(
        text in "([A-Z]{1,8}[ ,.'-]{0,2}){0,5}(\\([A-Za-z]{1,6}\\))? ?[-:—–]? ?.{0,20}",
    ) {
        if let Some((dateline, rest)) = split_dateline(&text) {
            prop_assert!(text.ends_with(rest));
            prop_assert!(!dateline.is_empty());
            prop_assert!(dateline.chars().count() <= 120);
        }
    }

    #[test]
    fn split_dateline_never_panics_on_any_text(text in ".{0,80}") {
        if let Some((_, rest)) = split_dateline(&text) {
            prop_assert!(text.ends_with(rest));
        }
    }

    #[test]
    fn html_to_body_keeps_text_and_structure(doc in document()) {
        let html = doc.html();
        let body = html_to_body(&html);
        let mut rendered = String::new();
        pulldown_cmark::html::push_html(
            &mut rendered,
            pulldown_cmark::Parser::new_ext(
                &body,
                pulldown_cmark::Options::ENABLE_TABLES
                    | pulldown_cmark::Options::ENABLE_STRIKETHROUGH
                    | pulldown_cmark::Options::ENABLE_FOOTNOTES,
            ),
        );
        let rendered = ammonia::Builder::default().clean(&rendered).to_string();
        prop_assert_eq!(text_of(&rendered), text_of(&html), "body:\n{}\nrendered:\n{}", body, rendered);
        for tag in ["<li>", "<blockquote>", "<strong>", "<em>", "<a "] {
            prop_assert_eq!(
                rendered.matches(tag).count(),
                html.matches(tag).count(),
                "{} in body:\n{}\nrendered:\n{}", tag, body, rendered
            );
        }
        let headings = |s: &str| (1..=6).map(|n| s.matches(&format!("<h{n}>")).count()).sum::<usize>();
        prop_assert_eq!(headings(&rendered), headings(&html));
        for line in body.lines() {
            prop_assert!(!line.trim().starts_with(":::"), "a Dateline block in {}", body);
        }
    }
}

/// The text of HTML: tags removed, entities decoded, whitespace collapsed.
fn text_of(html: &str) -> String {
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
    let decoded = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[derive(Debug, Clone)]
enum Inline {
    Words(String),
    Strong(String),
    Em(String),
    Link(String, String),
}

#[derive(Debug, Clone)]
enum Block {
    Paragraph(Vec<Inline>),
    Heading(u8, Vec<Inline>),
    List(bool, Vec<Vec<Inline>>),
    Quote(Vec<Inline>),
}

#[derive(Debug, Clone)]
struct Document(Vec<Block>);

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl Document {
    fn html(&self) -> String {
        let inline = |runs: &[Inline]| {
            runs.iter()
                .map(|r| match r {
                    Inline::Words(w) => escape(w),
                    Inline::Strong(w) => format!("<strong>{}</strong>", escape(w)),
                    Inline::Em(w) => format!("<em>{}</em>", escape(w)),
                    Inline::Link(w, path) => {
                        format!("<a href=\"https://example.com/{path}\">{}</a>", escape(w))
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut out = String::new();
        for block in &self.0 {
            match block {
                Block::Paragraph(runs) => out.push_str(&format!("<p>{}</p>", inline(runs))),
                Block::Heading(level, runs) => {
                    out.push_str(&format!("<h{level}>{}</h{level}>", inline(runs)));
                }
                Block::List(ordered, items) => {
                    let tag = if *ordered { "ol" } else { "ul" };
                    out.push_str(&format!("<{tag}>"));
                    for item in items {
                        out.push_str(&format!("<li>{}</li>", inline(item)));
                    }
                    out.push_str(&format!("</{tag}>"));
                }
                Block::Quote(runs) => {
                    out.push_str(&format!("<blockquote><p>{}</p></blockquote>", inline(runs)));
                }
            }
        }
        out
    }
}

fn words() -> impl Strategy<Value = String> {
    prop::collection::vec("[a-zA-Z0-9*_#`<>&|~:.!()+=\\[\\]\\\\-]{1,8}", 1..5)
        .prop_map(|w| w.join(" "))
}

fn inline() -> impl Strategy<Value = Vec<Inline>> {
    prop::collection::vec(
        prop_oneof![
            4 => words().prop_map(Inline::Words),
            1 => "[a-zA-Z0-9]{1,6}( [a-zA-Z0-9]{1,6}){0,2}".prop_map(Inline::Strong),
            1 => "[a-zA-Z0-9]{1,6}( [a-zA-Z0-9]{1,6}){0,2}".prop_map(Inline::Em),
            1 => ("[a-zA-Z0-9]{1,6}", "[a-z0-9/()]{0,10}").prop_map(|(w, p)| Inline::Link(w, p)),
        ],
        1..4,
    )
}

fn document() -> impl Strategy<Value = Document> {
    prop::collection::vec(
        prop_oneof![
            3 => inline().prop_map(Block::Paragraph),
            1 => (1u8..=6, inline()).prop_map(|(l, r)| Block::Heading(l, r)),
            1 => (any::<bool>(), prop::collection::vec(inline(), 1..4)).prop_map(|(o, i)| Block::List(o, i)),
            1 => inline().prop_map(Block::Quote),
        ],
        1..5,
    )
    .prop_map(Document)
}

#[test]
fn a_read_more_line_in_wire_copy_is_not_a_dateline_block() {
    let body = html_to_body("<p>::: read-more 42</p><ul><li>x<br>::: read-more 7</li></ul>");
    for line in body.lines() {
        assert!(!line.trim().starts_with(":::"), "{body}");
    }
    assert!(body.contains("read-more 42"));
}
