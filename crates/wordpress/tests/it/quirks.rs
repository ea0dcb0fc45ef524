//! One test per quirk of WordPress's exporter listed in the fixture's README, each on the
//! sample export.

use std::collections::HashSet;

use chrono::{FixedOffset, NaiveDate, TimeZone, Utc};
use dateline_wordpress::php::{PhpKey, PhpValue, unserialize};
use dateline_wordpress::{
    CommentApproval, CommentKind, PostStatus, PostType, ReadOptions, Record, Taxonomy, TimeBasis,
    read_with,
};

use crate::{fixture_bytes, item, items, terms};

fn fixture_text() -> String {
    String::from_utf8(fixture_bytes()).unwrap()
}

#[test]
fn quirk_01_terms_appear_twice() {
    let text = fixture_text();
    // The file has each category and tag twice, and the menu twice as a `<wp:term>` (and
    // again on each of its items).
    assert!(text.contains("<wp:category_nicename><![CDATA[arts-culture]]>"));
    assert!(text.contains("<wp:term_slug><![CDATA[arts-culture]]>"));
    assert_eq!(text.matches("<wp:category>").count(), 9);
    assert_eq!(text.matches("<wp:tag>").count(), 13);
    assert_eq!(text.matches("<wp:term>").count(), 25);
    assert_eq!(
        text.matches("<wp:term_slug><![CDATA[primary]]></wp:term_slug>")
            .count(),
        2
    );
    // The post format is only a `<wp:term>` in the header.
    assert!(!text.contains("<wp:category_nicename><![CDATA[post-format-video]]>"));

    let terms = terms();
    let keys: HashSet<(String, String)> = terms
        .iter()
        .map(|t| (t.taxonomy.as_str().to_owned(), t.raw_slug.clone()))
        .collect();
    assert_eq!(keys.len(), terms.len(), "each (taxonomy, slug) once");
    let of = |taxonomy: Taxonomy| terms.iter().filter(|t| t.taxonomy == taxonomy).count();
    assert_eq!(of(Taxonomy::Category), 9);
    assert_eq!(of(Taxonomy::Tag), 13);
    assert_eq!(of(Taxonomy::NavMenu), 1);
    assert_eq!(of(Taxonomy::PostFormat), 1);
    assert_eq!(terms.len(), 24);
    // The copy kept is complete: description and term meta.
    let opinion = terms.iter().find(|t| t.slug == "opinion").unwrap();
    assert_eq!(
        opinion.meta,
        vec![("gvs_section_colour".to_owned(), "#8a1c1c".to_owned())]
    );
}

#[test]
fn quirk_02_term_names_are_escaped_titles_are_not() {
    let text = fixture_text();
    assert!(text.contains("<wp:cat_name><![CDATA[Arts &amp; Culture]]>"));
    assert!(
        text.contains("<title><![CDATA[Minister’s “zero-tax” pledge & the budget — explained]]>")
    );

    let terms = terms();
    let name = |slug: &str| terms.iter().find(|t| t.slug == slug).unwrap().name.clone();
    assert_eq!(name("arts-culture"), "Arts & Culture");
    assert_eq!(name("qa"), "Q&A");
    // A title that holds `&` is given as stored, not decoded a second time.
    assert_eq!(
        item(16).title,
        "Minister’s “zero-tax” pledge & the budget — explained"
    );
    let on_item: Vec<_> = item(16).tags().map(|t| t.name.clone()).collect();
    assert_eq!(on_item, ["Economy", "Q&A"]);
    // Parents are given by slug.
    let middle_east = terms.iter().find(|t| t.slug == "middle-east").unwrap();
    assert_eq!(middle_east.parent.as_deref(), Some("world"));
    let world = terms.iter().find(|t| t.slug == "world").unwrap();
    assert_eq!(world.parent.as_deref(), Some("news"));
}

#[test]
fn quirk_03_non_ascii_slugs_are_percent_encoded() {
    let urdu = item(17);
    assert_eq!(
        urdu.raw_slug,
        "%da%a9%d8%b1%d8%a7%da%86%db%8c-%da%a9%d8%a7-%d9%85%d9%88%d8%b3%d9%85"
    );
    assert_eq!(urdu.slug, "کراچی-کا-موسم");
    assert!(urdu.link.ends_with(&format!("/{}/", urdu.raw_slug)));
    let category = urdu.categories().next().unwrap();
    assert_eq!(category.raw_slug, "%d8%a7%d8%b1%d8%af%d9%88");
    assert_eq!(category.slug, "اردو");
    assert_eq!(category.name, "اردو");
    let tags: Vec<_> = urdu.tags().map(|t| t.slug.as_str()).collect();
    assert_eq!(tags, ["کراچی", "موسم"]);
    let term = terms().into_iter().find(|t| t.slug == "کراچی").unwrap();
    assert_eq!(term.raw_slug, "%da%a9%d8%b1%d8%a7%da%86%db%8c");
}

#[test]
fn quirk_04_drafts_and_pending_posts_have_no_slug_gmt_date_or_pretty_link() {
    let karachi = FixedOffset::east_opt(5 * 3600).unwrap();
    for (id, status) in [
        (18, PostStatus::Draft),
        (19, PostStatus::Draft),
        (20, PostStatus::Pending),
        (31, PostStatus::Draft),
    ] {
        let item = item(id);
        assert_eq!(item.status, status);
        assert_eq!(item.slug, "", "item {id}");
        assert_eq!(item.post_date_gmt, None, "item {id}");
        assert_eq!(item.post_modified_gmt, None, "item {id}");
        assert!(item.post_date.is_some());
        assert!(
            item.link.ends_with(&format!("?p={id}"))
                || item.link.ends_with(&format!("?page_id={id}")),
            "{}",
            item.link
        );
        assert_eq!(item.guid, item.link);
        // The local date at the offset the published items show.
        assert_eq!(item.published_from, TimeBasis::LearnedOffset(karachi));
        let local = item.post_date.unwrap();
        assert_eq!(
            item.published_at,
            Some(
                karachi
                    .from_local_datetime(&local)
                    .unwrap()
                    .with_timezone(&Utc)
            )
        );
    }
    let draft = item(18);
    assert_eq!(
        draft.published_at,
        Some(Utc.with_ymd_and_hms(2024, 5, 20, 12, 5, 0).unwrap())
    );
    // The untitled draft.
    assert_eq!(item(19).title, "");
    // A scheduled post links as `?p=ID` too, but has its GMT date.
    let scheduled = item(22);
    assert_eq!(scheduled.status, PostStatus::Future);
    assert!(scheduled.link.ends_with("?p=22"));
    assert_eq!(scheduled.published_from, TimeBasis::Gmt);
    assert_eq!(
        scheduled.published_at,
        Some(Utc.with_ymd_and_hms(2031, 1, 5, 4, 0, 0).unwrap())
    );
}

#[test]
fn quirk_04_drafts_read_in_the_site_time_zone_when_given() {
    let options = ReadOptions {
        time_zone: Some(chrono_tz::Asia::Karachi),
        ..ReadOptions::default()
    };
    let draft = read_with(&fixture_bytes()[..], options)
        .filter_map(Result::ok)
        .find_map(|r| match r {
            Record::Item(item) if item.post_id == 18 => Some(item),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        draft.published_from,
        TimeBasis::SiteTimeZone(FixedOffset::east_opt(5 * 3600).unwrap())
    );
    assert_eq!(
        draft.published_at,
        Some(Utc.with_ymd_and_hms(2024, 5, 20, 12, 5, 0).unwrap())
    );
}

#[test]
fn quirk_05_trashed_posts_keep_their_slug_in_meta() {
    let trashed = item(23);
    assert_eq!(trashed.status, PostStatus::Trash);
    assert_eq!(trashed.slug, "lake-sorvan-water-levels-fall__trashed");
    assert_eq!(
        trashed.desired_slug().as_deref(),
        Some("lake-sorvan-water-levels-fall")
    );
    assert_eq!(trashed.meta_value("_wp_trash_meta_status"), Some("publish"));
    assert_eq!(
        trashed.meta_value("_wp_trash_meta_time"),
        Some("1795800815")
    );
    assert_eq!(item(13).desired_slug(), None);
}

#[test]
fn quirk_06_content_is_cdata_split_at_its_own_end_marker() {
    // The exporter wrote `]]>` as `]]]]><![CDATA[>`: two sections, joined back.
    assert!(fixture_text().contains("a[b[0]]]]><![CDATA[>1 &amp;&amp; total<10"));
    let content = item(16).content;
    assert!(
        content.contains("a[b[0]]>1 &amp;&amp; total<10"),
        "{content}"
    );
    assert_eq!(content.matches("]]>").count(), 1);
    assert!(content.starts_with("<!-- wp:paragraph -->"));
    assert!(content.ends_with("<!-- /wp:paragraph -->"));
}

#[test]
fn quirk_07_guid_is_not_a_permalink() {
    let renamed = item(34);
    assert_eq!(
        renamed.guid,
        "https://gvs-sample.example.test/budget-talks-stall-in-sabzabad-council/"
    );
    assert_eq!(
        renamed.link,
        "https://gvs-sample.example.test/sabzabad-council-budget-talks-resume/"
    );
    assert!(!renamed.guid_is_permalink);
    let attachment = item(4);
    assert_eq!(
        attachment.guid,
        "https://gvs-sample.example.test/wp-content/uploads/2024/04/phone-call-illustration.jpg"
    );
    assert_ne!(attachment.guid, attachment.link);
    assert_eq!(item(18).guid, "https://gvs-sample.example.test/?p=18");
    // The trashed post's guid is its old pretty URL, its link `?p=ID`.
    let trashed = item(23);
    assert!(trashed.guid.ends_with("/lake-sorvan-water-levels-fall/"));
    assert!(trashed.link.ends_with("?p=23"));
}

#[test]
fn quirk_08_some_meta_values_are_php_serialized() {
    let photo = item(4);
    let metadata = photo.attachment_metadata().unwrap().unwrap();
    assert_eq!(metadata.width, Some(1200));
    assert_eq!(metadata.height, Some(800));
    assert_eq!(
        metadata.file.as_deref(),
        Some("2024/04/phone-call-illustration.jpg")
    );
    assert_eq!(metadata.filesize, Some(193_200));
    let sizes: Vec<_> = metadata
        .sizes
        .iter()
        .map(|s| (s.name.as_str(), s.width, s.height))
        .collect();
    assert_eq!(
        sizes,
        [
            ("medium", Some(300), Some(200)),
            ("large", Some(1024), Some(683)),
            ("thumbnail", Some(150), Some(150)),
            ("medium_large", Some(768), Some(512)),
        ]
    );
    assert_eq!(
        metadata.sizes[1].file,
        "phone-call-illustration-1024x683.jpg"
    );
    assert_eq!(metadata.sizes[1].mime_type.as_deref(), Some("image/jpeg"));
    assert_eq!(metadata.credit, None);

    // The PDF's metadata has only a size.
    let pdf = item(8).attachment_metadata().unwrap().unwrap();
    assert_eq!(pdf.filesize, Some(245_760));
    assert_eq!((pdf.width, pdf.file, pdf.sizes.len()), (None, None, 0));

    let related = item(33);
    assert_eq!(
        unserialize(related.meta_value("gvs_related_posts").unwrap()),
        Ok(PhpValue::Array(vec![
            (PhpKey::Int(0), PhpValue::Int(13)),
            (PhpKey::Int(1), PhpValue::Int(14)),
        ]))
    );
    let menu = item(60);
    assert_eq!(
        unserialize(menu.meta_value("_menu_item_classes").unwrap()),
        Ok(PhpValue::Array(vec![(
            PhpKey::Int(0),
            PhpValue::String(String::new())
        )]))
    );
    // Every serialised value in the export reads.
    for item in items() {
        for (key, value) in &item.meta {
            if dateline_wordpress::php::is_serialized(value) {
                assert!(unserialize(value).is_ok(), "{key} of item {}", item.post_id);
            }
        }
    }
}

#[test]
fn quirk_09_comments_spam_left_out_trash_kept_pingbacks_typed() {
    let all: Vec<_> = items().into_iter().flat_map(|i| i.comments).collect();
    let ids: Vec<u64> = all.iter().map(|c| c.id).collect();
    assert_eq!(
        ids,
        [2, 3, 4, 5, 6, 8, 9, 10, 11],
        "comment 7, the spam, is not exported"
    );
    let comment = |id: u64| all.iter().find(|c| c.id == id).unwrap();
    assert_eq!(comment(8).approved, CommentApproval::Trash);
    assert_eq!(comment(6).approved, CommentApproval::Pending);
    assert_eq!(comment(2).approved, CommentApproval::Approved);
    let pingback = comment(9);
    assert_eq!(pingback.kind, CommentKind::Pingback);
    // Not in CDATA, read the same.
    assert_eq!(
        pingback.author_url,
        "https://gvs-sample.example.test/a-long-read-the-making-of-the-kohsar-district-bus-map/"
    );
    assert_eq!(comment(4).author_url, "https://kamran.example.test/");
    assert_eq!(comment(2).author_url, "");
    // The thread two levels deep, and registered commenters.
    assert_eq!(comment(3).parent_id, Some(2));
    assert_eq!(comment(4).parent_id, Some(3));
    assert_eq!(comment(3).user_id, Some(4));
    assert_eq!(comment(5).user_id, Some(7));
    assert_eq!(comment(2).user_id, None);
    assert_eq!(
        comment(2).date_gmt,
        Some(Utc.with_ymd_and_hms(2023, 3, 15, 7, 10, 0).unwrap())
    );
    assert_eq!(
        comment(4).content,
        "Please also ask about <em>weekend</em> services & fares for students."
    );
    assert_eq!(
        comment(2).meta,
        vec![("akismet_result".to_owned(), "false".to_owned())]
    );
}

#[test]
fn quirk_10_local_and_gmt_dates() {
    let seed = item(13);
    let at = |h, m| {
        NaiveDate::from_ymd_opt(2024, 4, 16)
            .unwrap()
            .and_hms_opt(h, m, 0)
            .unwrap()
    };
    assert_eq!(seed.post_date, Some(at(9, 0)));
    assert_eq!(seed.post_date_gmt, Some(at(4, 0)));
    assert_eq!(
        seed.published_at,
        Some(Utc.with_ymd_and_hms(2024, 4, 16, 4, 0, 0).unwrap())
    );
    assert_eq!(seed.published_from, TimeBasis::Gmt);
    assert_eq!(seed.modified_at, seed.published_at);
    // Edited after publication: the renamed and the trashed posts.
    let edited: Vec<u64> = items()
        .into_iter()
        .filter(|i| matches!(i.post_type, PostType::Post) && i.modified_at > i.published_at)
        .map(|i| i.post_id)
        .collect();
    assert_eq!(edited, [34, 23]);
    assert_eq!(
        item(34).modified_at,
        Some(Utc.with_ymd_and_hms(2026, 11, 27, 17, 33, 35).unwrap())
    );
    // Every dated item's local time is five hours ahead of GMT.
    for item in items() {
        if let (Some(local), Some(gmt)) = (item.post_date, item.post_date_gmt) {
            assert_eq!((local - gmt).num_hours(), 5, "item {}", item.post_id);
        }
    }
}

#[test]
fn quirk_11_menu_items() {
    let menu: Vec<_> = items()
        .into_iter()
        .filter(|i| i.post_type == PostType::NavMenuItem)
        .collect();
    assert_eq!(menu.len(), 4);
    let entries: Vec<_> = menu.iter().map(|i| i.menu_item().unwrap()).collect();
    let home = &entries[0];
    assert_eq!(
        (
            home.kind.as_str(),
            home.object.as_str(),
            home.title.as_str()
        ),
        ("custom", "custom", "Home")
    );
    assert_eq!(
        home.url.as_deref(),
        Some("https://gvs-sample.example.test/")
    );
    assert_eq!(home.parent_item, None);
    // Entries for a category or page have no title of their own.
    let news = &entries[1];
    assert_eq!(
        (
            news.kind.as_str(),
            news.object.as_str(),
            news.object_id,
            news.title.as_str()
        ),
        ("taxonomy", "category", Some(2), "")
    );
    let pakistan = &entries[2];
    assert_eq!(pakistan.object_id, Some(3));
    assert_eq!(
        pakistan.parent_item,
        Some(61),
        "the hierarchy is in the meta"
    );
    assert_eq!(
        menu[2].parent_id,
        Some(2),
        "wp:post_parent is the parent term, not the parent entry"
    );
    let about = &entries[3];
    assert_eq!(
        (about.kind.as_str(), about.object.as_str(), about.object_id),
        ("post_type", "page", Some(28))
    );
    assert!(entries.iter().all(|e| e.menu.as_deref() == Some("primary")));
    assert_eq!(
        entries.iter().map(|e| e.order).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    assert_eq!(item(13).menu_item(), None);
}

#[test]
fn quirk_12_no_revisions_and_only_authors_of_items() {
    let items = items();
    assert!(
        items
            .iter()
            .all(|i| !matches!(&i.post_type, PostType::Other(t) if t == "revision"))
    );
    let authors: Vec<String> = crate::records()
        .into_iter()
        .filter_map(|r| match r {
            Record::Author(a) => Some(a.login),
            _ => None,
        })
        .collect();
    assert_eq!(authors.len(), 6);
    for login in &authors {
        assert!(items.iter().any(|i| &i.author == login), "{login}");
    }
    for item in &items {
        assert!(authors.contains(&item.author), "item {}", item.post_id);
    }
}

#[test]
fn quirk_13_media_files_are_not_in_the_export() {
    let attachments: Vec<_> = items()
        .into_iter()
        .filter(|i| i.post_type == PostType::Attachment)
        .collect();
    assert_eq!(attachments.len(), 5);
    for attachment in &attachments {
        let url = attachment.attachment_url.as_deref().unwrap();
        let file = attachment.attached_file().unwrap();
        assert_eq!(
            url,
            format!("https://gvs-sample.example.test/wp-content/uploads/{file}")
        );
        assert_eq!(attachment.status, PostStatus::Inherit);
    }
    let photo = item(5);
    assert_eq!(
        photo.alt_text(),
        Some("Volunteers carrying a stretcher along a harbour wall")
    );
    assert_eq!(photo.parent_id, Some(14));
    assert_eq!(photo.excerpt, "Volunteers during the drill", "the caption");
    let pdf = item(8);
    assert_eq!(pdf.alt_text(), None);
    assert_eq!(pdf.parent_id, None, "unattached");
    // Featured images name attachments in the export.
    assert_eq!(item(13).thumbnail_id(), Some(4));
    assert_eq!(item(26).thumbnail_id(), Some(7));
    assert_eq!(item(13).attachment_url, None);
}

#[test]
fn quirk_14_leftover_cron_meta() {
    let trashed = item(23);
    assert_eq!(trashed.meta_value("_encloseme"), Some("1"));
    let keys: Vec<&str> = trashed.meta.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "_encloseme",
            "_wp_trash_meta_status",
            "_wp_trash_meta_time",
            "_wp_desired_post_slug"
        ]
    );
}

#[test]
fn seo_meta_is_read_and_trivial_variables_resolved() {
    let post = item(33);
    assert_eq!(
        post.seo_title(),
        Some("Qila Noor library now open until 10pm %%sep%% %%sitename%%")
    );
    assert_eq!(
        post.seo_description(),
        Some(
            "The public library in the fictional town of Qila Noor will stay open until 10pm on weekdays from March."
        )
    );
    assert_eq!(
        post.resolve_yoast(post.seo_title().unwrap(), &crate::site()),
        "Qila Noor library now open until 10pm - GVS Sample Newsroom"
    );
    assert_eq!(
        post.resolve_yoast("%%title%% %%primary_category%% %%", &crate::site()),
        "Qila Noor library extends its opening hours %%primary_category%% %%"
    );
    assert_eq!(
        post.meta_value("source_agency"),
        Some("Fictional Press Agency")
    );
    assert_eq!(item(13).seo_title(), None);
}
