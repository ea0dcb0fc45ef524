//! View models: borrowed-from-domain structs shaped for one template each.

use askama::Template;
use chrono::{DateTime, Utc};
use dateline_domain::{ArticleSummary, SitePath, SiteSettings};
use dateline_services::dates;
use dateline_services::reading::{BodyPart, PublishedArticle};

use crate::layout::Layout;

/// A link to an article in a list or a Read More block.
pub struct Teaser {
    pub href: String,
    pub headline: String,
    pub standfirst: String,
    pub section_name: String,
    pub section_href: String,
    pub lang: String,
    pub dir: &'static str,
    pub time: Option<Moment>,
    /// The article's featured image, if it has one.
    pub image: Option<Box<Picture>>,
}

impl Teaser {
    pub fn new(s: &ArticleSummary, site: &SiteSettings) -> Self {
        Self {
            href: SitePath::article(&s.slug).into(),
            headline: s.headline.clone(),
            standfirst: s.standfirst.clone(),
            section_name: s.section.name.clone(),
            section_href: SitePath::section(&s.section.slug).into(),
            lang: s.language.to_string(),
            dir: s.language.direction().as_str(),
            time: s.published_at.map(|t| Moment::new(t, site)),
            image: None,
        }
    }
}

/// A moment shown to readers, with its machine-readable form.
pub struct Moment {
    pub text: String,
    pub iso: String,
}

impl Moment {
    pub fn new(at: DateTime<Utc>, site: &SiteSettings) -> Self {
        Self {
            text: dates::date_time(at, site.time_zone, &site.locale),
            iso: dates::rfc3339(at, site.time_zone),
        }
    }
}

pub struct Link {
    pub name: String,
    pub href: String,
}

pub enum Part {
    Html(String),
    ReadMore(Teaser),
}

/// A standing page (About us, Contact…): no byline, date or section; a breadcrumb to its
/// parents.
#[derive(Template)]
#[template(path = "page.html")]
pub struct StandingPage {
    pub layout: Layout,
    pub title: String,
    pub href: String,
    pub lang: String,
    pub dir: &'static str,
    /// Its parents, from the top.
    pub crumbs: Vec<Link>,
    /// Rendered and sanitised on write.
    pub body: String,
}

#[derive(Template)]
#[template(path = "article.html")]
pub struct ArticlePage {
    pub layout: Layout,
    pub headline: String,
    pub standfirst: String,
    pub lang: String,
    pub dir: &'static str,
    pub section: Link,
    pub authors: Vec<Link>,
    pub tags: Vec<Link>,
    pub published: Option<Moment>,
    pub updated: Option<Moment>,
    pub body: Vec<Part>,
    pub attribution: Option<String>,
    /// Dated correction and update notes, oldest first.
    pub corrections: Vec<Note>,
    /// The featured image, above the body.
    pub featured: Option<Picture>,
    /// Related articles at the end of the page.
    pub related: Vec<Teaser>,
    /// The embed script's address, when the body holds an embed (and only then: a page without
    /// one loads no script).
    pub embed_script: Option<&'static str>,
    /// The approved comments, threaded, when the site shows comments.
    pub comments: Option<Vec<CommentView>>,
    /// Whether the article has more approved comments than the page shows.
    pub more_comments: bool,
}

/// A comment under an article, at its place in its thread.
pub struct CommentView {
    pub id: i64,
    /// 0 for a comment, 1 for a reply to it, and so on (at most `comments::MAX_DEPTH`).
    pub depth: usize,
    pub author: String,
    /// The author's address, when it is a web address.
    pub url: Option<String>,
    pub pingback: bool,
    pub when: Moment,
    /// Paragraphs, each its lines: shown escaped, lines broken as written.
    pub paragraphs: Vec<Vec<String>>,
}

impl CommentView {
    /// `comments` (approved, oldest first) in reading order, replies under their parents.
    pub fn threads(comments: &[dateline_domain::Comment], site: &SiteSettings) -> Vec<Self> {
        dateline_services::comments::threads(comments)
            .into_iter()
            .map(|(depth, c)| {
                let url = c.author_url.trim();
                let web = url.starts_with("https://") || url.starts_with("http://");
                CommentView {
                    id: c.id.0,
                    depth,
                    author: c.author_name.clone(),
                    url: web.then(|| url.to_owned()),
                    pingback: c.kind == dateline_domain::CommentKind::Pingback,
                    when: Moment::new(c.created_at, site),
                    paragraphs: c
                        .paragraphs()
                        .into_iter()
                        .map(|p| p.into_iter().map(str::to_owned).collect())
                        .collect(),
                }
            })
            .collect()
    }
}

/// A correction or update note under an article: "Correction, April 16, 2024: ...".
pub struct Note {
    pub label: &'static str,
    pub date: Moment,
    pub text: String,
}

impl Note {
    pub fn list(notes: &[dateline_domain::Correction], site: &SiteSettings) -> Vec<Note> {
        notes
            .iter()
            .map(|n| Note {
                label: n.kind.label(),
                date: Moment {
                    text: dates::long_date(n.created_at, site.time_zone, &site.locale),
                    iso: dates::rfc3339(n.created_at, site.time_zone),
                },
                text: n.note.clone(),
            })
            .collect()
    }
}

impl ArticlePage {
    pub fn new(layout: Layout, published: PublishedArticle, site: &SiteSettings) -> Self {
        let PublishedArticle {
            article: a,
            body,
            attribution,
            ..
        } = published;
        let published_at = a.published_at;
        // Show "Updated" only when the change came well after publication.
        let updated = published_at
            .filter(|p| a.updated_at - *p > chrono::Duration::minutes(5))
            .map(|_| Moment::new(a.updated_at, site));
        Self {
            layout,
            headline: a.headline,
            standfirst: a.standfirst,
            lang: a.language.to_string(),
            dir: a.language.direction().as_str(),
            section: Link {
                href: SitePath::section(&a.section.slug).into(),
                name: a.section.name,
            },
            authors: a
                .authors
                .into_iter()
                .map(|p| Link {
                    href: SitePath::author(&p.slug).into(),
                    name: p.name,
                })
                .collect(),
            tags: a
                .tags
                .into_iter()
                .map(|t| Link {
                    href: SitePath::tag(&t.slug).into(),
                    name: t.name,
                })
                .collect(),
            published: published_at.map(|t| Moment::new(t, site)),
            updated,
            body: body
                .into_iter()
                .map(|part| match part {
                    BodyPart::Html(html) => Part::Html(html),
                    BodyPart::ReadMore(target) => Part::ReadMore(Teaser::new(&target, site)),
                })
                .collect(),
            attribution,
            corrections: Vec::new(),
            featured: None,
            related: Vec::new(),
            embed_script: None,
            comments: None,
            more_comments: false,
        }
        .with_embed_script()
    }

    /// Names the embed script when a part of the body is an embed's placeholder.
    fn with_embed_script(mut self) -> Self {
        let has_embed = self.body.iter().any(|part| match part {
            Part::Html(html) => html.contains(dateline_services::embed::PLACEHOLDER_MARK),
            Part::ReadMore(_) => false,
        });
        if has_embed {
            self.embed_script = Some(crate::handlers::EMBED_SCRIPT_HREF.as_str());
        }
        self
    }

    /// Ends the page with these related articles.
    pub fn with_related(mut self, related: &[ArticleSummary], site: &SiteSettings) -> Self {
        self.related = related.iter().map(|s| Teaser::new(s, site)).collect();
        self
    }
}

/// Links to the neighbouring pages of a listing.
#[derive(Default)]
pub struct Pager {
    pub newer: Option<String>,
    pub older: Option<String>,
}

#[derive(Template)]
#[template(path = "front.html")]
pub struct FrontPage {
    pub layout: Layout,
    /// "Latest news", a section's name, "Stories tagged Russia", an author's name.
    pub heading: String,
    /// Whether the heading is shown or only read out (the home page shows the site name instead).
    pub show_heading: bool,
    pub lead: bool,
    pub teasers: Vec<Teaser>,
    pub pager: Pager,
}

/// An image as pages show it: `src`, `srcset` and the words that go with it.
pub struct Picture {
    pub src: String,
    pub srcset: String,
    pub width: u32,
    pub height: u32,
    pub alt: String,
    pub caption: String,
    pub credit: String,
}

impl Picture {
    /// `preferred`: the width of the rendition used as `src` (the largest not above it).
    pub fn new(image: &dateline_domain::Image, preferred: u32) -> Self {
        use dateline_services::media::rendition_height;
        let rendition_url = |width: u32| String::from(SitePath::rendition(image, width));
        let src_width = image
            .renditions
            .iter()
            .copied()
            .filter(|w| *w <= preferred)
            .max()
            .or_else(|| image.renditions.first().copied())
            .unwrap_or(image.width);
        Self {
            src: rendition_url(src_width),
            srcset: image
                .renditions
                .iter()
                .map(|w| format!("{} {w}w", rendition_url(*w)))
                .collect::<Vec<_>>()
                .join(", "),
            width: src_width,
            height: rendition_height(image, src_width),
            alt: image.alt.clone(),
            caption: image.caption.clone(),
            credit: image.credit.clone(),
        }
    }
}
