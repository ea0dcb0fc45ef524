//! A published article as IPTC ninjs 3.2 (`GET /{slug}.ninjs`), for partners and aggregators
//! that take agency-style copy: the text, who wrote it, and every agency it was built on as
//! `infoSources` — the wire versions it used, or the agencies an editor credited.

use dateline_domain::{Article, SitePath, SiteSettings, Slug, Store, StoreError};
use serde_json::{Value, json};

use crate::dates;
use crate::reading::{self, PublishedArticle};
use crate::syndication::body_for_elsewhere;

/// The standard and version written.
pub const NINJS_VERSION: &str = "3.2";
/// The JSON Schema a document written here validates against.
pub const NINJS_SCHEMA: &str = "http://www.iptc.org/std/ninjs/ninjs-schema_3.2.json#";

/// The published article at `slug` as a ninjs document, or `None` when there is none.
pub async fn article(
    store: &dyn Store,
    site: &SiteSettings,
    slug: &Slug,
) -> Result<Option<(PublishedArticle, Value)>, StoreError> {
    let Some(shown) = reading::published_article(store, site, slug).await? else {
        return Ok(None);
    };
    let sources = store.article_sources(shown.article.id).await?;
    let a = &shown.article;
    let base = site.base();
    let zone = site.time_zone;
    let mut info_sources: Vec<Value> = sources
        .iter()
        .map(|s| {
            json!({
                "name": s.attribution,
                "role": "originator",
                "literal": format!("{}:{} version {}", s.provider_code, s.item_id, s.version.key),
            })
        })
        .collect();
    // Agencies credited by hand (copy that came in another way) are sources too.
    for agency in a.source.iter().flat_map(|s| &s.agencies) {
        if !sources.iter().any(|s| &s.attribution == agency) {
            info_sources.push(json!({"name": agency, "role": "originator"}));
        }
    }
    info_sources.push(json!({
        "name": site.name,
        "role": "publisher",
        "uri": base.join(&SitePath::HOME),
    }));
    let body = body_for_elsewhere(&shown, &base);
    let mut descriptions = Vec::new();
    if !a.standfirst.is_empty() {
        descriptions
            .push(json!({"role": "summary", "contentType": "text/plain", "value": a.standfirst}));
    }
    if let Some(line) = &shown.attribution {
        descriptions
            .push(json!({"role": "creditline", "contentType": "text/plain", "value": line}));
    }
    let mut subjects: Vec<Value> = vec![json!({
        "name": a.section.name,
        "rel": "section",
        "uri": base.join(&SitePath::section(&a.section.slug)),
    })];
    subjects.extend(a.tags.iter().map(
        |t| json!({"name": t.name, "rel": "about", "uri": base.join(&SitePath::tag(&t.slug))}),
    ));
    let mut document = json!({
        "uri": base.join(&SitePath::article(&a.slug)),
        "standard": {"name": "ninjs", "version": NINJS_VERSION, "schema": NINJS_SCHEMA},
        "type": "text",
        "representationType": "full",
        "version": version(a),
        "firstCreated": dates::rfc3339(a.created_at, zone),
        "versionCreated": dates::rfc3339(a.updated_at, zone),
        "pubStatus": "usable",
        "language": a.language.as_str(),
        "headlines": [{"role": "main", "contentType": "text/plain", "value": a.headline}],
        "descriptions": descriptions,
        "bodies": [{
            "role": "main",
            "contentType": "text/html",
            "wordCount": words(&a.body),
            "value": body,
        }],
        "subjects": subjects,
        "infoSources": info_sources,
        "copyrightHolder": site.name,
        "altIds": [{"role": "slug", "value": a.slug.as_str()}],
    });
    if let Some(published) = a.published_at {
        document["contentCreated"] = json!(dates::rfc3339(published, zone));
    }
    if !a.authors.is_empty() {
        let names: Vec<&str> = a.authors.iter().map(|p| p.name.as_str()).collect();
        document["by"] = json!(names.join(", "));
    }
    Ok(Some((shown, document)))
}

/// The version readers see: changes whenever the stored article does.
fn version(a: &Article) -> String {
    a.updated_at.timestamp_millis().to_string()
}

/// Words in the body as written, without its markup and Dateline's block lines.
fn words(body: &str) -> usize {
    body.lines()
        .filter(|line| !line.trim_start().starts_with(":::"))
        .flat_map(str::split_whitespace)
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_skip_block_lines_and_punctuation() {
        assert_eq!(words("One two, three.\n\n::: read-more 12\n\n— four"), 4);
    }
}
