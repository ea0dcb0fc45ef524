//! Creating articles: turning what a person or an import typed into a checked [`NewArticle`].

use chrono::{DateTime, Utc};
use dateline_domain::{
    Article, ArticleId, ArticleStatus, Content, Headline, InvalidValue, Language, Name, NewArticle,
    Slug, Source, Store, StoreError, check_multiline,
};

use crate::ServiceError;
use crate::body::{self, Block, Reference};

/// Longest standfirst we accept, in characters.
pub const MAX_STANDFIRST_CHARS: usize = 1_000;
/// Largest body we accept, in bytes.
pub const MAX_BODY_BYTES: usize = 512 * 1024;
/// Most tags (or authors) on one article.
pub const MAX_LABELS: usize = 30;

/// An article as written: names rather than ids, links rather than references.
#[derive(Debug, Clone)]
pub struct ArticleInput {
    pub headline: String,
    pub standfirst: String,
    /// CommonMark plus Read More blocks (see [`crate::body`]).
    pub body: String,
    /// Section name, e.g. "Pakistan"; created if new.
    pub section: String,
    pub tags: Vec<String>,
    /// Byline, in order.
    pub authors: Vec<String>,
    pub source: Option<Source>,
    pub status: ArticleStatus,
    /// For a published article: when it went live (defaults to now).
    pub published_at: Option<DateTime<Utc>>,
    pub language: String,
}

/// Checks `input`, resolves its Read More links, renders its body and stores it.
/// Every problem with the input is reported at once; nothing is written unless all is well.
pub async fn create_article(
    store: &dyn Store,
    input: ArticleInput,
    now: DateTime<Utc>,
) -> Result<Article, ServiceError> {
    let Prepared { content, base_slug } = prepare(store, &input).await?;
    let published_at = match input.status {
        ArticleStatus::Published => Some(input.published_at.unwrap_or(now)),
        _ => input.published_at,
    };
    let mut article = new_article(content, base_slug.clone(), input.status, now);
    article.published_at = published_at;
    // An imported story last changed when it was first published, not when it was imported.
    article.updated_at = published_at.map_or(now, |p| p.min(now));
    let id = insert_with_free_slug(store, &mut article, &base_slug).await?;
    Ok(store
        .article_by_id(id)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("article {id} vanished")))?)
}

/// An article's content, checked and rendered, and the slug its headline asks for.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub content: Content,
    pub base_slug: Slug,
}

/// A new article of `content` under `slug`, created `now`.
pub fn new_article(
    content: Content,
    slug: Slug,
    status: ArticleStatus,
    now: DateTime<Utc>,
) -> NewArticle {
    NewArticle {
        slug,
        headline: content.headline,
        standfirst: content.standfirst,
        body: content.body,
        body_html: content.body_html,
        section: content.section,
        tags: content.tags,
        authors: content.authors,
        source: content.source,
        status,
        language: content.language,
        published_at: None,
        created_at: now,
        updated_at: now,
    }
}

/// The body of `input` rendered as the public page would render it, without storing anything.
pub async fn render_body(store: &dyn Store, source: &str) -> Result<String, ServiceError> {
    let mut problems = Vec::new();
    if let Some(problem) = body::active_content(source) {
        problems.push(problem);
    }
    let blocks = body::parse(source).map_err(|e| ServiceError::Invalid(vec![e]))?;
    let targets = resolve_read_more(store, &blocks, &mut problems).await?;
    if !problems.is_empty() {
        return Err(ServiceError::Invalid(problems));
    }
    Ok(body::render(&blocks, &targets))
}

/// Checks every field of `input` (all problems reported at once), resolves Read More links,
/// renders the body, and makes sure its section, tags and authors exist.
pub async fn prepare(store: &dyn Store, input: &ArticleInput) -> Result<Prepared, ServiceError> {
    prepare_with(store, input, Vec::new()).await
}

/// [`prepare`], with problems the caller already found reported alongside; nothing is written
/// unless there are none.
pub async fn prepare_with(
    store: &dyn Store,
    input: &ArticleInput,
    mut problems: Vec<InvalidValue>,
) -> Result<Prepared, ServiceError> {
    let headline = Headline::parse(&input.headline)
        .map_err(|e| problems.push(e))
        .ok();
    let standfirst = input.standfirst.trim().to_owned();
    if standfirst.chars().count() > MAX_STANDFIRST_CHARS {
        problems.push(InvalidValue::new(
            "standfirst",
            "is longer than 1,000 characters",
        ));
    }
    if input.body.len() > MAX_BODY_BYTES {
        problems.push(InvalidValue::new("body", "is larger than 512 KB"));
    }
    problems.extend(check_multiline("standfirst", &input.standfirst).err());
    problems.extend(check_multiline("body", &input.body).err());
    let language = Language::parse(&input.language)
        .map_err(|e| problems.push(e))
        .ok();
    let section = label_slug("section", &input.section)
        .map_err(|e| problems.push(e))
        .ok();
    let tags = labels("tags", &input.tags, &mut problems);
    let authors = labels("authors", &input.authors, &mut problems);
    if let Some(Err(e)) = input
        .source
        .as_ref()
        .map(|s| Name::parse("source", &s.agency))
    {
        problems.push(e);
    }
    let blocks = match body::parse(&input.body) {
        Ok(blocks) => blocks,
        Err(e) => {
            problems.push(e);
            Vec::new()
        }
    };
    let targets = resolve_read_more(store, &blocks, &mut problems).await?;
    let (Some(headline), Some(language), Some(section_slug), true) =
        (headline, language, section, problems.is_empty())
    else {
        return Err(ServiceError::Invalid(problems));
    };
    let base_slug = Slug::from_title(headline.as_str())
        .ok_or_else(|| InvalidValue::new("headline", "needs at least one letter or digit"))?;

    let section = store.ensure_section(&section_slug, &input.section).await?;
    let mut tag_ids = Vec::with_capacity(tags.len());
    for (slug, name) in &tags {
        tag_ids.push(store.ensure_tag(slug, name).await?.id);
    }
    let mut author_ids = Vec::with_capacity(authors.len());
    for (slug, name) in &authors {
        author_ids.push(store.ensure_author(slug, name).await?.id);
    }
    Ok(Prepared {
        content: Content {
            headline,
            standfirst,
            body: body::canonical_source(&blocks, &targets),
            body_html: body::render(&blocks, &targets),
            section: section.id,
            tags: tag_ids,
            authors: author_ids,
            source: input.source.as_ref().map(|s| Source {
                agency: s.agency.trim().to_owned(),
                additional_inputs: s.additional_inputs,
            }),
            language,
        },
        base_slug,
    })
}

/// Inserts the article under its slug, or `slug-2`, `slug-3`, ... when taken.
pub async fn insert_with_free_slug(
    store: &dyn Store,
    article: &mut NewArticle,
    base: &Slug,
) -> Result<ArticleId, ServiceError> {
    for n in 1..=1_000u32 {
        article.slug = if n == 1 {
            base.clone()
        } else {
            base.numbered(n)
        };
        if store.slug_exists(&article.slug).await? {
            continue;
        }
        match store.insert_article(article).await {
            Ok(id) => return Ok(id),
            // Someone took it between our look and our write: try the next number.
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(InvalidValue::new("headline", "too many articles share this headline").into())
}

fn label_slug(field: &'static str, name: &str) -> Result<Slug, InvalidValue> {
    let name = Name::parse(field, name)?;
    let name = name.as_str();
    if name.is_empty() {
        return Err(InvalidValue::new(field, "must not be empty"));
    }
    if name.chars().count() > 100 {
        return Err(InvalidValue::new(
            field,
            format!("'{name}' is longer than 100 characters"),
        ));
    }
    Slug::from_title(name)
        .ok_or_else(|| InvalidValue::new(field, format!("'{name}' needs a letter or digit")))
}

fn labels(
    field: &'static str,
    names: &[String],
    problems: &mut Vec<InvalidValue>,
) -> Vec<(Slug, String)> {
    if names.len() > MAX_LABELS {
        problems.push(InvalidValue::new(field, "no more than 30, please"));
        return Vec::new();
    }
    let mut out: Vec<(Slug, String)> = Vec::new();
    for name in names {
        match label_slug(field, name) {
            Ok(slug) if out.iter().any(|(s, _)| *s == slug) => {}
            Ok(slug) => out.push((slug, name.trim().to_owned())),
            Err(e) => problems.push(e),
        }
    }
    out
}

/// The id of each Read More block's target, in order. Unknown targets are problems.
async fn resolve_read_more(
    store: &dyn Store,
    blocks: &[Block<'_>],
    problems: &mut Vec<InvalidValue>,
) -> Result<Vec<ArticleId>, StoreError> {
    let mut ids = Vec::new();
    for block in blocks {
        let Block::ReadMore { line, reference } = block else {
            continue;
        };
        let found = match reference {
            Reference::Id(id) => store.summaries(&[*id]).await?.first().map(|s| s.id),
            Reference::Slug(slug) => match Slug::parse(slug) {
                Ok(slug) => store.article_by_slug(&slug).await?.map(|a| a.id),
                Err(_) => None,
            },
        };
        match found {
            Some(id) => ids.push(id),
            None => {
                let shown = match reference {
                    Reference::Id(id) => id.to_string(),
                    Reference::Slug(slug) => slug.clone(),
                };
                problems.push(InvalidValue::new(
                    "body",
                    format!("line {line}: Read More refers to no article ({shown})"),
                ));
            }
        }
    }
    Ok(ids)
}
