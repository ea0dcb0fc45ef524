#!/usr/bin/env python3
"""Writes a WordPress export (WXR 1.2) of --posts posts, shaped like the GVS sample that
WordPress 6.1's exporter wrote (tests' fixture): a channel with authors and categories (written
twice, as WordPress does) and tags, then posts from the block editor and the classic editor with
excerpts, categories, tags, `_wp_old_slug` meta, a Read More paragraph to an earlier post, and now
and then a comment, a draft or a trashed post. Streams to --out; memory stays flat."""

import argparse
import random
from xml.sax.saxutils import escape

WORDS = ("minister said talks budget Karachi Islamabad court flood relief province election "
         "assembly opposition senate cricket trade exports rupee inflation monsoon police "
         "hospital students energy gas prices reform committee report").split()
SITE = "https://gvs-bench.example.test"
AUTHORS = ["news.desk", "sana.jamal", "hamza.siddiqui", "mariam.farooq"]
CATEGORIES = [("news", None), ("pakistan", "news"), ("world", "news"), ("business", None),
              ("opinion", None), ("sports", None)]
TAGS = ["imran-khan", "russia", "economy", "monsoon", "cricket", "karachi", "budget", "sco"]


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def header(out) -> None:
    out.write('<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
              'xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
              'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
              'xmlns:wfw="http://wellformedweb.org/CommentAPI/" '
              'xmlns:dc="http://purl.org/dc/elements/1.1/" '
              'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n')
    out.write(f"<title>GVS Bench</title>\n<link>{SITE}</link>\n<description>Bench</description>\n"
              "<language>en-US</language>\n<wp:wxr_version>1.2</wp:wxr_version>\n"
              f"<wp:base_site_url>{SITE}</wp:base_site_url>\n<wp:base_blog_url>{SITE}</wp:base_blog_url>\n")
    for n, login in enumerate(AUTHORS, 1):
        name = login.replace(".", " ").title()
        out.write(f"<wp:author><wp:author_id>{n}</wp:author_id><wp:author_login>{cdata(login)}</wp:author_login>"
                  f"<wp:author_email>{cdata(login + '@example.test')}</wp:author_email>"
                  f"<wp:author_display_name>{cdata(name)}</wp:author_display_name>"
                  f"<wp:author_first_name>{cdata(name.split()[0])}</wp:author_first_name>"
                  f"<wp:author_last_name>{cdata(name.split()[-1])}</wp:author_last_name></wp:author>\n")
    for n, (slug, parent) in enumerate(CATEGORIES, 1):
        out.write(f"<wp:category><wp:term_id>{n}</wp:term_id><wp:category_nicename>{cdata(slug)}</wp:category_nicename>"
                  f"<wp:category_parent>{cdata(parent or '')}</wp:category_parent>"
                  f"<wp:cat_name>{cdata(slug.title())}</wp:cat_name></wp:category>\n")
    for n, slug in enumerate(TAGS, 100):
        out.write(f"<wp:tag><wp:term_id>{n}</wp:term_id><wp:tag_slug>{cdata(slug)}</wp:tag_slug>"
                  f"<wp:tag_name>{cdata(slug.replace('-', ' ').title())}</wp:tag_name></wp:tag>\n")
    for n, (slug, parent) in enumerate(CATEGORIES, 1):
        out.write(f"<wp:term><wp:term_id>{n}</wp:term_id><wp:term_taxonomy>{cdata('category')}</wp:term_taxonomy>"
                  f"<wp:term_slug>{cdata(slug)}</wp:term_slug><wp:term_parent>{cdata(parent or '')}</wp:term_parent>"
                  f"<wp:term_name>{cdata(slug.title())}</wp:term_name></wp:term>\n")


def post(out, rng: random.Random, i: int) -> None:
    post_id = 1000 + i
    headline = sentence(rng, 9)[:-1] + f" {i}"
    slug = "-".join(headline.lower().split())
    status = "publish"
    if i % 97 == 5:
        status = "draft"
    elif i % 211 == 7:
        status = "trash"
    day = 1 + i // 300 % 28
    month = 1 + i // (300 * 28) % 12
    year = 2014 + i // (300 * 28 * 12)
    local = f"{year}-{month:02d}-{day:02d} {i % 24:02d}:{i % 60:02d}:00"
    gmt_hour = (i % 24 - 5) % 24
    gmt = f"{year}-{month:02d}-{day:02d} {gmt_hour:02d}:{i % 60:02d}:00" if status == "publish" else "0000-00-00 00:00:00"
    paragraphs = [sentence(rng, 30) + " " + sentence(rng, 25) for _ in range(6)]
    if i % 2 == 0:
        body = "".join(f"<!-- wp:paragraph -->\n<p>{escape(p)}</p>\n<!-- /wp:paragraph -->\n\n" for p in paragraphs[:3])
        body += "<!-- wp:heading -->\n<h2>" + escape(sentence(rng, 5)) + "</h2>\n<!-- /wp:heading -->\n\n"
        body += "".join(f"<!-- wp:paragraph -->\n<p>{escape(p)}</p>\n<!-- /wp:paragraph -->\n\n" for p in paragraphs[3:])
    else:
        body = "\n\n".join(paragraphs[:3]) + "\n\n<!--more-->\n\n" + "\n\n".join(paragraphs[3:])
    if i > 10 and i % 3 == 0:
        target = i - 7
        tslug = "-".join((sentence(random.Random(target), 9)[:-1] + f" {target}").lower().split())
        body += f'\n\n<p>Read More: <a href="{SITE}/{tslug}/">earlier story {target}</a></p>'
    category, _ = CATEGORIES[1 + i % (len(CATEGORIES) - 1)]
    tags = [TAGS[i % len(TAGS)], TAGS[(i * 7) % len(TAGS)]]
    link = f"{SITE}/{slug}/" if status == "publish" else f"{SITE}/?p={post_id}"
    out.write("<item>\n")
    out.write(f"<title>{escape(headline)}</title>\n<link>{link}</link>\n<pubDate></pubDate>\n")
    out.write(f"<dc:creator>{cdata(AUTHORS[i % len(AUTHORS)])}</dc:creator>\n")
    out.write(f'<guid isPermaLink="false">{SITE}/?p={post_id}</guid>\n<description></description>\n')
    out.write(f"<content:encoded>{cdata(body)}</content:encoded>\n")
    out.write(f"<excerpt:encoded>{cdata(sentence(rng, 20))}</excerpt:encoded>\n")
    out.write(f"<wp:post_id>{post_id}</wp:post_id>\n<wp:post_date>{cdata(local)}</wp:post_date>\n")
    out.write(f"<wp:post_date_gmt>{cdata(gmt)}</wp:post_date_gmt>\n")
    out.write(f"<wp:post_modified>{cdata(local)}</wp:post_modified>\n<wp:post_modified_gmt>{cdata(gmt)}</wp:post_modified_gmt>\n")
    out.write(f"<wp:comment_status>{cdata('open')}</wp:comment_status>\n<wp:ping_status>{cdata('open')}</wp:ping_status>\n")
    name = slug + ("__trashed" if status == "trash" else "") if status != "draft" else ""
    out.write(f"<wp:post_name>{cdata(name)}</wp:post_name>\n<wp:status>{cdata(status)}</wp:status>\n")
    out.write("<wp:post_parent>0</wp:post_parent>\n<wp:menu_order>0</wp:menu_order>\n")
    out.write(f"<wp:post_type>{cdata('post')}</wp:post_type>\n<wp:post_password>{cdata('')}</wp:post_password>\n")
    out.write("<wp:is_sticky>0</wp:is_sticky>\n")
    out.write(f'<category domain="category" nicename="{category}">{cdata(category.title())}</category>\n')
    for tag in dict.fromkeys(tags):
        out.write(f'<category domain="post_tag" nicename="{tag}">{cdata(tag.replace("-", " ").title())}</category>\n')
    if i % 50 == 0:
        out.write(f"<wp:postmeta><wp:meta_key>{cdata('_wp_old_slug')}</wp:meta_key>"
                  f"<wp:meta_value>{cdata('old-' + slug)}</wp:meta_value></wp:postmeta>\n")
    if i % 10 == 0:
        out.write(f"<wp:comment><wp:comment_id>{i}</wp:comment_id><wp:comment_author>{cdata('Reader')}</wp:comment_author>"
                  f"<wp:comment_author_email>{cdata('reader@example.test')}</wp:comment_author_email>"
                  f"<wp:comment_author_url>https://example.test</wp:comment_author_url>"
                  f"<wp:comment_author_IP>{cdata('192.0.2.1')}</wp:comment_author_IP>"
                  f"<wp:comment_date>{cdata(local)}</wp:comment_date><wp:comment_date_gmt>{cdata(gmt)}</wp:comment_date_gmt>"
                  f"<wp:comment_content>{cdata(sentence(rng, 12))}</wp:comment_content>"
                  f"<wp:comment_approved>{cdata('1')}</wp:comment_approved><wp:comment_type>{cdata('comment')}</wp:comment_type>"
                  f"<wp:comment_parent>0</wp:comment_parent><wp:comment_user_id>0</wp:comment_user_id></wp:comment>\n")
    out.write("</item>\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True)
    parser.add_argument("--posts", type=int, default=100_000)
    args = parser.parse_args()
    with open(args.out, "w", encoding="utf-8") as out:
        header(out)
        for i in range(args.posts):
            post(out, random.Random(i), i)
        out.write("</channel>\n</rss>\n")


if __name__ == "__main__":
    main()
