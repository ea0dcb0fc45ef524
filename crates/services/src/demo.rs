//! The demo publication that ships with Dateline (*Global Village Space*), and the Markdown
//! article files it is written in.
//!
//! An article file is TOML front matter between `+++` lines, then the body:
//!
//! ```text
//! +++
//! headline = "..."
//! standfirst = "..."
//! section = "Pakistan"
//! tags = ["Russia"]
//! authors = []
//! published_at = "2021-08-25T19:30:00+05:00"
//! language = "en"
//! [source]
//! agencies = ["APP"]
//! mode = "additional-inputs"   # or "as-received", "edited"
//! +++
//! Body in CommonMark, with `::: read-more /slug` blocks.
//! ```
//!
//! Each file becomes an article through [`crate::articles::create_article`], like any other.

use chrono::{DateTime, Utc};
use dateline_domain::{ArticleStatus, InvalidValue, Language, Name, SiteSettings, Slug, Store};
use include_dir::{Dir, include_dir};
use serde::Deserialize;

use crate::ServiceError;
use crate::articles::{ArticleInput, create_article};

static DEMO: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../demo");

/// Why a demo or article file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{file}: {message}")]
    File { file: String, message: String },
    #[error("{file}")]
    Article { file: String, source: ServiceError },
    #[error(transparent)]
    Service(#[from] ServiceError),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteFile {
    name: String,
    short_name: String,
    base_url: String,
    time_zone: String,
    locale: String,
    attribution_template: String,
    attribution_template_agency_only: String,
    attribution_template_edited: String,
    sections: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    headline: String,
    standfirst: String,
    section: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    authors: Vec<String>,
    published_at: When,
    language: String,
    #[serde(default)]
    status: Option<String>,
    source: Option<crate::portable::SourceLine>,
}

/// A TOML date-time, or a string holding an RFC 3339 one.
#[derive(Deserialize)]
#[serde(untagged)]
enum When {
    Toml(toml::value::Datetime),
    Text(String),
}

impl std::fmt::Display for When {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            When::Toml(t) => t.fmt(f),
            When::Text(s) => f.write_str(s),
        }
    }
}

/// Reads one Markdown article file (front matter and body).
pub fn parse_article_file(file: &str, text: &str) -> Result<ArticleInput, LoadError> {
    let bad = |message: String| LoadError::File {
        file: file.to_owned(),
        message,
    };
    let text = text
        .strip_prefix('\u{feff}')
        .unwrap_or(text)
        .replace("\r\n", "\n");
    let rest = text
        .strip_prefix("+++\n")
        .ok_or_else(|| bad("must start with a +++ line of front matter".into()))?;
    let (front, body) = rest
        .split_once("\n+++\n")
        .or_else(|| rest.strip_suffix("\n+++").map(|front| (front, "")))
        .ok_or_else(|| bad("front matter has no closing +++ line".into()))?;
    let front: FrontMatter =
        toml::from_str(front).map_err(|e| bad(format!("front matter: {}", e.message())))?;
    let published_at = DateTime::parse_from_rfc3339(&front.published_at.to_string())
        .map_err(|_| {
            bad(format!(
                "published_at '{}' needs a date, time and offset",
                front.published_at
            ))
        })?
        .with_timezone(&Utc);
    let status = match front.status.as_deref() {
        None => ArticleStatus::Published,
        Some(s) => ArticleStatus::parse(s)
            .ok_or_else(|| bad(format!("status '{s}' is not draft or published")))?,
    };
    Ok(ArticleInput {
        headline: front.headline,
        standfirst: front.standfirst,
        body: body.to_owned(),
        section: front.section,
        tags: front.tags,
        authors: front.authors,
        source: front
            .source
            .map(|s| s.to_source("source"))
            .transpose()
            .map_err(|e| bad(format!("front matter: {e}")))?,
        status,
        published_at: Some(published_at),
        language: front.language,
    })
}

/// The demo publication's settings.
pub fn demo_settings() -> Result<SiteSettings, LoadError> {
    Ok(site_file()?.0)
}

fn site_file() -> Result<(SiteSettings, Vec<String>), LoadError> {
    let file = "demo/site.toml";
    let bad = |message: String| LoadError::File {
        file: file.to_owned(),
        message,
    };
    let text = DEMO
        .get_file("site.toml")
        .and_then(|f| f.contents_utf8())
        .ok_or_else(|| bad("missing".into()))?;
    let site: SiteFile = toml::from_str(text).map_err(|e| bad(e.message().to_owned()))?;
    let settings = SiteSettings {
        name: site.name,
        short_name: site.short_name,
        base_url: site.base_url.trim_end_matches('/').to_owned(),
        time_zone: site
            .time_zone
            .parse()
            .map_err(|_| bad(format!("unknown time zone '{}'", site.time_zone)))?,
        locale: Language::parse(&site.locale).map_err(|e: InvalidValue| bad(e.to_string()))?,
        attribution_template: site.attribution_template,
        attribution_template_agency_only: site.attribution_template_agency_only,
        attribution_template_edited: site.attribution_template_edited,
        show_comments: false,
    };
    Ok((settings, site.sections))
}

/// Loads the demo publication into an empty database: settings, sections, then every article
/// file in name order (so Read More targets exist before the articles that link to them).
///
/// Safe to run again after an interruption: articles already there are skipped, and the site
/// settings — written last — mark the demo as complete.
pub async fn seed_demo(store: &dyn Store, now: DateTime<Utc>) -> Result<usize, LoadError> {
    let (settings, sections) = site_file()?;
    for name in &sections {
        let bad_name = |message: String| LoadError::File {
            file: "demo/site.toml".into(),
            message: format!("section '{}': {message}", name.escape_debug()),
        };
        let name = Name::parse("section", name).map_err(|e| bad_name(e.message))?;
        let name = name.as_str();
        let slug =
            Slug::from_title(name).ok_or_else(|| bad_name("needs a letter or digit".into()))?;
        store
            .ensure_section(&slug, name)
            .await
            .map_err(ServiceError::from)?;
    }
    let mut files: Vec<_> = DEMO
        .get_dir("articles")
        .map(|dir| {
            dir.files()
                .filter(|f| f.path().extension().is_some_and(|e| e == "md"))
                .collect()
        })
        .unwrap_or_default();
    files.sort_by_key(|f| f.path());
    let mut created = 0;
    for file in files {
        let name = file.path().display().to_string();
        let text = file.contents_utf8().ok_or_else(|| LoadError::File {
            file: name.clone(),
            message: "is not UTF-8".into(),
        })?;
        let input = parse_article_file(&name, text)?;
        if let Some(slug) = Slug::from_title(&input.headline)
            && store.slug_exists(&slug).await.map_err(ServiceError::from)?
        {
            continue;
        }
        create_article(store, input, now)
            .await
            .map_err(|source| LoadError::Article { file: name, source })?;
        created += 1;
    }
    store
        .put_site_settings(&settings)
        .await
        .map_err(ServiceError::from)?;
    Ok(created)
}

/// The site settings of the database, after setting up a new one: with the demo publication,
/// or with blank settings for a real publication to fill in.
pub async fn set_up_publication(
    store: &dyn Store,
    now: DateTime<Utc>,
    with_demo: bool,
) -> Result<SiteSettings, LoadError> {
    if let Some(site) = store.site_settings().await.map_err(ServiceError::from)? {
        return Ok(site);
    }
    if with_demo {
        let created = seed_demo(store, now).await?;
        tracing::info!(created, "demo publication loaded");
    } else {
        store
            .put_site_settings(&SiteSettings::unconfigured())
            .await
            .map_err(ServiceError::from)?;
    }
    let site = store.site_settings().await.map_err(ServiceError::from)?;
    site.ok_or_else(|| LoadError::File {
        file: "site settings".into(),
        message: "missing after set-up".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_file_parses() {
        let dir = DEMO.get_dir("articles").unwrap();
        assert!(dir.files().count() >= 5);
        for file in dir.files() {
            let name = file.path().display().to_string();
            parse_article_file(&name, file.contents_utf8().unwrap()).unwrap();
        }
        demo_settings().unwrap();
    }

    #[test]
    fn bad_front_matter_names_the_file_and_the_problem() {
        let cases = [
            ("no front matter", "just text"),
            ("no closing +++", "+++\nheadline = \"x\"\n"),
            (
                "missing field `standfirst`",
                "+++\nheadline = \"x\"\n+++\nbody",
            ),
            (
                "needs a date, time and offset",
                "+++\nheadline = \"x\"\nstandfirst = \"\"\nsection = \"A\"\nlanguage = \"en\"\npublished_at = 2021-01-01\n+++\n",
            ),
            (
                "unknown field",
                "+++\nheadline = \"x\"\nstandfirst = \"\"\nsection = \"A\"\nlanguage = \"en\"\npublished_at = 2021-01-01T00:00:00Z\ncolour = 1\n+++\n",
            ),
        ];
        for (want, text) in cases {
            let err = parse_article_file("a.md", text).unwrap_err().to_string();
            assert!(err.starts_with("a.md: "), "{err}");
            let want = want
                .replace("no front matter", "must start with a +++")
                .replace("no closing +++", "no closing +++ line");
            assert!(err.contains(&want), "{err} should mention {want}");
        }
    }
}
