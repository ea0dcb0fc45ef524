//! The sample export's bodies, converted.

use dateline_wordpress::{Block, ConvertContext, Converted, EmbedProvider, Image, convert};
use pulldown_cmark::{Event, Parser};

use crate::{item, items, site};

fn converted(id: u64) -> Converted {
    convert(&item(id).content, &ConvertContext::for_site(&site()))
}

/// The text a reader sees in a Markdown block.
fn rendered_text(markdown: &str) -> String {
    let mut text = String::new();
    for event in Parser::new(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::End(_) => text.push(' '),
            _ => {}
        }
    }
    text
}

fn markdown_of(blocks: &[Block]) -> String {
    blocks
        .iter()
        .filter_map(|b| match b {
            Block::Markdown(m) => Some(m.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[test]
fn the_seed_article_keeps_its_four_read_more_links() {
    let converted = converted(13);
    let read_more: Vec<(&str, &str)> = converted
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::ReadMore { href, title } => Some((href.as_str(), title.as_str())),
            _ => None,
        })
        .collect();
    let base = "https://gvs-sample.example.test";
    assert_eq!(
        read_more,
        [
            (
                &*format!("{base}/saudi-arabia-signs-military-pact-with-russia/"),
                "Saudi Arabia signs military pact with Russia"
            ),
            (
                &*format!(
                    "{base}/how-do-russia-pakistan-china-iran-and-india-view-the-talibans-rise-in-afghanistan/"
                ),
                "How do Russia, Pakistan, China, Iran and India view the Taliban’s rise in Afghanistan?"
            ),
            (
                &*format!("{base}/eu-is-uninterested-in-afghanistans-stability-fm-lavrov/"),
                "EU is uninterested in Afghanistan’s stability, FM Lavrov"
            ),
            (
                &*format!("{base}/interview-russias-blank-cheque-to-pakistan-fact-or-fiction/"),
                "Interview: Russia’s blank cheque to Pakistan – fact or fiction?"
            ),
        ]
    );
    // Each links to a post of the export, by its title.
    let items = items();
    for (href, title) in &read_more {
        let target = items.iter().find(|i| i.link == *href).unwrap();
        assert_eq!(&target.title, title);
    }
    assert_eq!(
        converted.internal_links(),
        read_more.iter().map(|(h, _)| *h).collect::<Vec<_>>()
    );
    // Prose between them, and no "Read More" left in it.
    let shapes: Vec<&str> = converted
        .blocks
        .iter()
        .map(|b| match b {
            Block::Markdown(_) => "md",
            Block::ReadMore { .. } => "read-more",
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        shapes,
        [
            "md",
            "read-more",
            "md",
            "read-more",
            "md",
            "read-more",
            "md",
            "read-more",
            "md"
        ]
    );
    let prose = markdown_of(&converted.blocks);
    assert!(!prose.to_lowercase().contains("read more"));
    assert!(prose.starts_with("In a telephonic conversation on Wednesday"));
    assert!(prose.ends_with("Via APP with additional inputs from GVS"));
    assert!(converted.problems.is_empty());
}

#[test]
fn the_block_editor_post_gives_headings_image_lists_quote_embed_and_separator() {
    let converted = converted(14);
    let blocks = &converted.blocks;
    assert_eq!(blocks.len(), 6, "{blocks:#?}");
    let Block::Markdown(intro) = &blocks[0] else {
        panic!("{:?}", blocks[0]);
    };
    assert!(intro.contains("\n\n## What the drill tested\n\n"));
    assert_eq!(
        blocks[1],
        Block::Image(Image {
            src: "https://gvs-sample.example.test/wp-content/uploads/2023/07/port-zarina-drill-1024x683.jpg"
                .to_owned(),
            alt: "Volunteers carrying a stretcher along a harbour wall".to_owned(),
            caption: "Volunteers carry a mock casualty during the drill. (Illustrative file photo)"
                .to_owned(),
            credit: None,
            attachment_id: Some(5),
            link: None,
        })
    );
    let Block::Markdown(middle) = &blocks[2] else {
        panic!("{:?}", blocks[2]);
    };
    assert_eq!(
        middle,
        "### Checklist issued to residents\n\n\
         - Keep a torch and spare batteries at home\n\
         - Store drinking water for three days\n\
         - Note your nearest shelter: **Government School No. 2**\n\
         - Follow updates from the harbour office\n\n\
         > We would rather practise ten times than be surprised once.\n\
         >\n\
         > Harbour master of Port Zarina (a fictional character)\n\n\
         ### Timeline\n\n\
         1. 09:00 — sirens sounded\n\
         2. 09:20 — boats launched\n\
         3. 10:05 — shelters opened\n\
         4. 11:30 — all clear"
    );
    assert_eq!(
        blocks[3],
        Block::Embed {
            url: "https://www.youtube.com/watch?v=gvsFixture1".to_owned(),
            provider: EmbedProvider::YouTube,
            caption: Some("Video: highlights of the drill (placeholder video address)".to_owned()),
        }
    );
    assert_eq!(blocks[4], Block::Separator);
    assert_eq!(
        blocks[5],
        Block::Markdown(
            "*This report is part of our monsoon series.* More in \
             [Pakistan](https://gvs-sample.example.test/category/news/pakistan/)."
                .to_owned()
        )
    );
    assert_eq!(
        converted.internal_links(),
        ["https://gvs-sample.example.test/category/news/pakistan/"]
    );
    assert!(converted.problems.is_empty());
}

#[test]
fn the_classic_post_gives_a_caption_image_a_video_lists_and_no_empty_paragraph() {
    let converted = converted(15);
    let blocks = &converted.blocks;
    assert_eq!(
        blocks[0],
        Block::Markdown(
            "The covered vegetable market in the fictional town of Sabzabad reopened on Monday \
             after eight months of repairs to its roof and drains."
                .to_owned()
        )
    );
    assert_eq!(
        blocks[1],
        Block::Image(Image {
            src: "https://gvs-sample.example.test/wp-content/uploads/2021/03/sabzabad-market-1024x683.jpg"
                .to_owned(),
            alt: "Stalls inside the repaired Sabzabad market".to_owned(),
            caption: "Stalls inside the repaired market. (Illustrative file photo)".to_owned(),
            credit: None,
            attachment_id: Some(6),
            link: None,
        })
    );
    assert_eq!(
        blocks[2],
        Block::Markdown(
            "Traders said footfall on the first morning was **higher than expected**, although \
             parking remained a problem. [More business news](https://gvs-sample.example.test/category/business/).\n\n\
             ### What changed\n\n\
             - A new steel roof over the central aisle\n\
             - Covered drains along both entrances\n\
             - Numbered stalls with their own electricity meters\n\n\
             The municipal board said stall rents would stay unchanged until the end of the year."
                .to_owned()
        )
    );
    assert_eq!(
        blocks[3],
        Block::Embed {
            url: "https://www.youtube.com/watch?v=gvsFixture2".to_owned(),
            provider: EmbedProvider::YouTube,
            caption: None,
        }
    );
    assert_eq!(
        blocks.len(),
        4,
        "the `&nbsp;` paragraph is dropped: {blocks:#?}"
    );
    assert!(!markdown_of(blocks).contains('\u{a0}'));
    assert!(
        !markdown_of(blocks).contains("more"),
        "`<!--more-->` is dropped"
    );
    assert!(converted.problems.is_empty());
}

#[test]
fn the_entities_post_keeps_every_character() {
    let converted = converted(16);
    assert!(converted.problems.is_empty());
    assert_eq!(converted.blocks.len(), 1);
    let text = rendered_text(&markdown_of(&converted.blocks));
    for expected in [
        "The (fictional) minister’s promise of a “zero-tax” budget drew sharp reactions — some called it bold, others called it ‘fantasy accounting’…",
        "Typed directly: “double quotes”, ‘single quotes’, an ellipsis… and an em dash —.",
        "Prices: 1,200\u{a0}rupees, €5, £3 & ¥70.",
        "Comparisons: 3 < 5 > 2, x² and ½.",
        "Copyright © and a numeric dash — too.",
        "Emoji survive as well: 📈 🇵🇰 ✅.",
        "Mixed scripts: Sabzabad (سبزآباد).",
        "Index check used by the budget office: a[b[0]]>1 && total<10",
        "Q&A: what changes for you?",
        "Short answer: nothing until the assembly votes — and that isn't scheduled yet.",
    ] {
        assert!(text.contains(expected), "{expected:?} in {text:?}");
    }
    let Block::Markdown(markdown) = &converted.blocks[0] else {
        unreachable!()
    };
    assert!(markdown.contains("\n\n## Q\\&A: what changes for you?\n\n"));
}

#[test]
fn the_multi_page_post_has_its_page_breaks() {
    let blocks = converted(38).blocks;
    let shapes: Vec<&str> = blocks
        .iter()
        .map(|b| match b {
            Block::Markdown(_) => "md",
            Block::PageBreak => "page",
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(shapes, ["md", "page", "md", "page", "md"]);
}

#[test]
fn the_urdu_post_converts_its_text_as_written() {
    let converted = converted(17);
    let markdown = markdown_of(&converted.blocks);
    assert!(markdown.starts_with("کراچی میں آج دن بھر موسم گرم اور مرطوب رہا۔"));
    assert_eq!(markdown.matches("\n\n").count(), 3, "four paragraphs");
}

#[test]
fn every_body_in_the_export_converts_without_problems() {
    let ctx = ConvertContext::for_site(&site());
    for item in items() {
        let converted = convert(&item.content, &ctx);
        assert!(
            converted.problems.is_empty(),
            "item {}: {:?}",
            item.post_id,
            converted.problems
        );
        let text = rendered_text(&markdown_of(&converted.blocks));
        // No markup survives as text.
        assert!(
            !text.contains("<p") && !text.contains("wp:"),
            "item {}: {text}",
            item.post_id
        );
    }
}
