//! What a page tells machines about itself in its `<head>`: feed links, Open Graph and Twitter
//! card tags, and schema.org JSON-LD (`NewsArticle` on articles, `WebSite` with a `SearchAction`
//! and `CollectionPage` on fronts).
//!
//! JSON-LD sits in a `<script type="application/ld+json">` data block. Browsers never run it, so
//! the Content-Security-Policy's `script-src` does not apply; what matters is that no value can end
//! the block early, which [`json_for_html`] ensures by escaping `<`, `>` and `&`.

use dateline_domain::{BaseUrl, CorrectionKind, Image, SitePath, SiteSettings};
use dateline_services::reading::PublishedArticle;
use dateline_services::syndication::{FeedFormat, FeedScope};
use dateline_services::{dates, media};
use serde_json::{Value, json};

use crate::syndication::{DEFAULT_IMAGE_SIZE, LOGO_SIZE};

/// A `<link rel="alternate">` to one of the page's feeds.
pub struct FeedLink {
    pub media_type: &'static str,
    pub title: String,
    pub href: String,
}

/// A `<meta>` tag: `property` (Open Graph) or `name` (Twitter) and its content.
pub struct Meta {
    pub key: String,
    pub content: String,
}

/// The machine-readable part of a page's head beyond title, description and canonical URL.
#[derive(Default)]
pub struct Head {
    /// `<meta property=...>`: Open Graph.
    pub properties: Vec<Meta>,
    /// `<meta name=...>`: Twitter cards.
    pub names: Vec<Meta>,
    /// JSON-LD, already escaped for a `<script>` data block.
    pub json_ld: Option<String>,
}

/// Links to the three feeds of `scope`, titled for a feed reader's list.
pub fn feed_links(scope: &FeedScope) -> Vec<FeedLink> {
    FeedFormat::ALL
        .into_iter()
        .map(|format| FeedLink {
            media_type: format.media_type(),
            title: format!("{} ({})", scope.title, format.label()),
            href: scope.feed_path(format).into(),
        })
        .collect()
}

/// Serialises JSON so that it can stand inside `<script>` unchanged: `</script>` or `<!--` in a
/// headline cannot close or confuse the block.
pub fn json_for_html(value: &Value) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|_| "{}".to_owned())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn meta(key: &str, content: impl Into<String>) -> Meta {
    Meta {
        key: key.to_owned(),
        content: content.into(),
    }
}

/// The `@id` of a node of the site's own graph: the home page's URL with a fragment.
fn node_id(base: &BaseUrl, fragment: &str) -> String {
    format!("{}#{fragment}", base.join(&SitePath::HOME))
}

fn publisher(site: &SiteSettings) -> Value {
    let base = site.base();
    json!({
        "@type": "NewsMediaOrganization",
        "@id": node_id(&base, "publisher"),
        "name": site.name,
        "url": base.join(&SitePath::HOME),
        "logo": {
            "@type": "ImageObject",
            "url": base.join(&SitePath::LOGO),
            "width": LOGO_SIZE.0,
            "height": LOGO_SIZE.1,
        },
    })
}

fn website(site: &SiteSettings) -> Value {
    let base = site.base();
    json!({
        "@type": "WebSite",
        "@id": node_id(&base, "website"),
        "name": site.name,
        "url": base.join(&SitePath::HOME),
        "inLanguage": site.locale.as_str(),
        "publisher": {"@id": node_id(&base, "publisher")},
        "potentialAction": {
            "@type": "SearchAction",
            "target": {
                "@type": "EntryPoint",
                // The braces are the template's placeholder, not text to encode.
                "urlTemplate": format!(
                    "{}?q={{search_term_string}}",
                    base.join(&SitePath::SEARCH)
                ),
            },
            "query-input": "required name=search_term_string",
        },
    })
}

/// The picture an article is shared with: its featured image at its largest rendition, or the
/// site's default image.
struct ShareImage {
    url: String,
    width: u32,
    height: u32,
    alt: String,
    /// Caption and credit, for the JSON-LD `ImageObject` (the default image has none).
    caption: Option<(String, String)>,
}

impl ShareImage {
    fn new(featured: Option<&Image>, base: &BaseUrl, site: &SiteSettings) -> Self {
        let Some(image) = featured else {
            return ShareImage {
                url: base.join(&SitePath::DEFAULT_IMAGE),
                width: DEFAULT_IMAGE_SIZE.0,
                height: DEFAULT_IMAGE_SIZE.1,
                alt: site.name.clone(),
                caption: None,
            };
        };
        let width = image.renditions.last().copied().unwrap_or(image.width);
        ShareImage {
            url: base.join(&SitePath::rendition(image, width)),
            width,
            height: media::rendition_height(image, width),
            alt: image.alt.clone(),
            caption: Some((image.caption.clone(), image.credit.clone())),
        }
    }

    fn json(&self) -> Value {
        let mut object = json!({
            "@type": "ImageObject",
            "url": self.url,
            "width": self.width,
            "height": self.height,
        });
        if let Some((caption, credit)) = &self.caption {
            object["caption"] = json!(caption);
            object["creditText"] = json!(credit);
        }
        object
    }
}

/// Open Graph, Twitter card and `NewsArticle` JSON-LD for an article page.
/// `corrections`: the article's correction and update notes; corrections become schema.org
/// `correction` entries. `featured`: the article's featured image, shown when the page is shared.
pub fn article_head(
    shown: &PublishedArticle,
    corrections: &[dateline_domain::Correction],
    featured: Option<&Image>,
    site: &SiteSettings,
) -> Head {
    let a = &shown.article;
    let base = site.base();
    let url = base.join(&SitePath::article(&a.slug));
    let image = ShareImage::new(featured, &base, site);
    let zone = site.time_zone;
    let published = a.published_at.map(|t| dates::rfc3339(t, zone));
    let modified = dates::rfc3339(
        a.published_at.map_or(a.updated_at, |p| p.max(a.updated_at)),
        zone,
    );

    let mut properties = vec![
        meta("og:type", "article"),
        meta("og:site_name", site.name.clone()),
        meta("og:title", a.search_title().to_owned()),
        meta("og:description", a.search_description().to_owned()),
        meta("og:url", url.clone()),
        meta("og:image", image.url.clone()),
        meta("og:image:width", image.width.to_string()),
        meta("og:image:height", image.height.to_string()),
        meta("og:image:alt", image.alt.clone()),
    ];
    if let Some(published) = &published {
        properties.push(meta("article:published_time", published.clone()));
    }
    properties.push(meta("article:modified_time", modified.clone()));
    properties.push(meta("article:section", a.section.name.clone()));
    for tag in &a.tags {
        properties.push(meta("article:tag", tag.name.clone()));
    }
    let names = vec![
        meta("twitter:card", "summary_large_image"),
        meta("twitter:title", a.search_title().to_owned()),
        meta("twitter:description", a.search_description().to_owned()),
        meta("twitter:image", image.url.clone()),
        meta("twitter:image:alt", image.alt.clone()),
    ];

    let authors: Vec<Value> = if a.authors.is_empty() {
        vec![json!({"@type": "Organization", "name": site.name, "url": base.join(&SitePath::HOME)})]
    } else {
        a.authors
            .iter()
            .map(|p| {
                json!({
                    "@type": "Person",
                    "name": p.name,
                    "url": base.join(&SitePath::author(&p.slug)),
                })
            })
            .collect()
    };
    let mut article = json!({
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "headline": a.headline,
        "description": a.standfirst,
        "dateModified": modified,
        "author": authors,
        "publisher": publisher(site),
        "image": [image.json()],
        "articleSection": a.section.name,
        "keywords": a.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        "inLanguage": a.language.as_str(),
        "isAccessibleForFree": true,
    });
    if let Some(published) = published {
        article["datePublished"] = json!(published);
    }
    // Copy that came from an agency says so: the line readers see, and the agency.
    if let Some(line) = &shown.attribution {
        article["creditText"] = json!(line);
    }
    if let Some(source) = &a.source {
        let organisations: Vec<Value> = source
            .agencies
            .iter()
            .map(|agency| json!({"@type": "NewsMediaOrganization", "name": agency}))
            .collect();
        article["sourceOrganization"] = match <[Value; 1]>::try_from(organisations) {
            Ok([one]) => one,
            Err(several) => json!(several),
        };
    }
    let notes: Vec<Value> = corrections
        .iter()
        .filter(|c| c.kind == CorrectionKind::Correction)
        .map(|c| {
            json!({
                "@type": "CorrectionComment",
                "text": c.note,
                "datePublished": dates::rfc3339(c.created_at, zone),
            })
        })
        .collect();
    if !notes.is_empty() {
        article["correction"] = json!(notes);
    }
    Head {
        properties,
        names,
        json_ld: Some(json_for_html(&article)),
    }
}

/// `WebSite` (with a `SearchAction`) and `CollectionPage` JSON-LD for a front at `path`.
pub fn collection_head(
    site: &SiteSettings,
    path: &SitePath,
    name: &str,
    description: &str,
) -> Head {
    let base = site.base();
    let url = base.join(path);
    let graph = json!({
        "@context": "https://schema.org",
        "@graph": [
            website(site),
            publisher(site),
            {
                "@type": "CollectionPage",
                "@id": url,
                "url": url,
                "name": name,
                "description": description,
                "inLanguage": site.locale.as_str(),
                "isPartOf": {"@id": node_id(&base, "website")},
            },
        ],
    });
    Head {
        properties: vec![
            meta("og:type", "website"),
            meta("og:site_name", site.name.clone()),
            meta("og:title", name.to_owned()),
            meta("og:description", description.to_owned()),
            meta("og:url", url),
            meta("og:image", base.join(&SitePath::DEFAULT_IMAGE)),
        ],
        names: vec![meta("twitter:card", "summary")],
        json_ld: Some(json_for_html(&graph)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_ld_cannot_close_its_script_block() {
        let out = json_for_html(&json!({"headline": "</script><script>alert(1)</script> & <!--"}));
        assert!(
            !out.contains('<') && !out.contains('>') && !out.contains('&'),
            "{out}"
        );
        let back: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            back["headline"],
            "</script><script>alert(1)</script> & <!--"
        );
    }
}
