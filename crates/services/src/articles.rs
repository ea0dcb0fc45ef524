//! Creating articles: turning what a person or an import typed into a checked [`NewArticle`].
//!
//! Checking an article ([`prepare`]) never writes: its section, tags and byline are resolved to
//! existing ids or noted as new ([`LabelRef::New`]), and the write that stores the article creates
//! the new ones in its own transaction. Who is writing ([`Writer`]) decides which new names are
//! allowed and which articles a Read More block may point to, so that a refused save leaves no
//! trace and a contributor cannot fill the public navigation by typing names.

use chrono::{DateTime, Utc};
use dateline_domain::paths::Front;
use dateline_domain::{
    Action, Article, ArticleId, ArticleStatus, AuthorId, Content, Headline, InvalidValue, LabelRef,
    Language, Name, NewArticle, SectionId, SitePath, Slug, Source, Store, StoreError, TagId, User,
    check_multiline,
};

use crate::ServiceError;
use crate::body::{self, Block, Reference};

/// Longest standfirst we accept, in characters.
pub const MAX_STANDFIRST_CHARS: usize = 1_000;
/// Largest body we accept, in bytes.
pub const MAX_BODY_BYTES: usize = 512 * 1024;
/// Most tags (or authors) on one article.
pub const MAX_LABELS: usize = 30;

/// Who an article is being written by: what it may bring into being and refer to.
#[derive(Debug, Clone, Copy)]
pub enum Writer<'a> {
    /// The command line, the demo publication, an importer: may add sections, tags and bylines
    /// and point Read More at any article.
    System,
    /// The server publishing a scheduled article: the person who scheduled it had the right to
    /// add its tags and bylines, but a section named since then is refused (the article goes
    /// back to review).
    Scheduler,
    /// A newsroom account, by its role.
    Account(&'a User),
}

impl<'a> Writer<'a> {
    fn may_add_sections(self) -> bool {
        match self {
            Writer::System => true,
            Writer::Scheduler => false,
            Writer::Account(user) => user.may(Action::ManageSectionsAndTags),
        }
    }

    fn may_add_tags(self) -> bool {
        match self {
            Writer::System | Writer::Scheduler => true,
            Writer::Account(user) => user.may(Action::AddTags),
        }
    }

    /// Whether a byline may name `slug`, who is not listed yet: those who may add bylines, and
    /// anyone naming themselves (the editor fills in the writer's own name).
    fn may_add_byline(self, slug: &Slug) -> bool {
        match self {
            Writer::System | Writer::Scheduler => true,
            Writer::Account(user) => {
                user.may(Action::AddBylines)
                    || Slug::from_title(&user.name).is_some_and(|own| own == *slug)
            }
        }
    }

    /// The account whose Read More targets are limited to published articles and its own, or
    /// `None` when every article may be named.
    pub fn limited_to(self) -> Option<&'a User> {
        match self {
            Writer::Account(user) if !user.may(Action::EditAnyArticle) => Some(user),
            _ => None,
        }
    }
}

/// An article as written: names rather than ids, links rather than references.
#[derive(Debug, Clone)]
pub struct ArticleInput {
    pub headline: String,
    pub standfirst: String,
    /// CommonMark plus Read More blocks (see [`crate::body`]).
    pub body: String,
    /// Section name, e.g. "Pakistan"; created if new and the writer may add sections.
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

/// Checks `input`, resolves its Read More links, renders its body and stores it, with the
/// system's right to add sections, tags and bylines (the command line, the demo publication,
/// importers). Every problem with the input is reported at once; nothing is written unless all
/// is well.
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
    let labels = ensure_labels(store, &content).await?;
    let mut article = new_article(content, labels, base_slug.clone(), input.status, now);
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

/// The ids of an article's section, tags and byline.
#[derive(Debug, Clone)]
pub struct LabelIds {
    pub section: SectionId,
    pub tags: Vec<TagId>,
    pub authors: Vec<AuthorId>,
}

/// Creates the new labels of `content` one by one, outside any article write: only for the
/// system's own writes (imports, the demo), never for a newsroom save.
pub async fn ensure_labels(store: &dyn Store, content: &Content) -> Result<LabelIds, StoreError> {
    let section = match &content.section {
        LabelRef::Existing(id) => *id,
        LabelRef::New { slug, name } => store.ensure_section(slug, name).await?.id,
    };
    let mut tags = Vec::with_capacity(content.tags.len());
    for tag in &content.tags {
        tags.push(match tag {
            LabelRef::Existing(id) => *id,
            LabelRef::New { slug, name } => store.ensure_tag(slug, name).await?.id,
        });
    }
    let mut authors = Vec::with_capacity(content.authors.len());
    for author in &content.authors {
        authors.push(match author {
            LabelRef::Existing(id) => *id,
            LabelRef::New { slug, name } => store.ensure_author(slug, name).await?.id,
        });
    }
    Ok(LabelIds {
        section,
        tags,
        authors,
    })
}

/// A new article of `content`, filed under `labels`, at `slug`, created `now`.
pub fn new_article(
    content: Content,
    labels: LabelIds,
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
        section: labels.section,
        tags: labels.tags,
        authors: labels.authors,
        source: content.source,
        status,
        language: content.language,
        published_at: None,
        created_at: now,
        updated_at: now,
    }
}

/// The body of `input` rendered as the public page would render it, without storing anything.
/// A Read More target `writer` may not see is refused exactly as one that does not exist.
pub async fn render_body(
    store: &dyn Store,
    source: &str,
    writer: Writer<'_>,
) -> Result<String, ServiceError> {
    let mut problems = Vec::new();
    if let Some(problem) = body::active_content(source) {
        problems.push(problem);
    }
    let blocks = body::parse(source).map_err(|e| ServiceError::Invalid(vec![e]))?;
    let targets = resolve_read_more(store, &blocks, writer, &mut problems).await?;
    if !problems.is_empty() {
        return Err(ServiceError::Invalid(problems));
    }
    Ok(body::render(&blocks, &targets))
}

/// Checks every field of `input` (all problems reported at once), resolves Read More links,
/// renders the body, and resolves its section, tags and authors to ids or notes them as new,
/// as the system writes. Writes nothing.
pub async fn prepare(store: &dyn Store, input: &ArticleInput) -> Result<Prepared, ServiceError> {
    prepare_with(store, input, Vec::new(), Writer::System).await
}

/// [`prepare`] for `writer`, with problems the caller already found reported alongside. Writes
/// nothing: a section that does not exist is a problem unless `writer` may add sections (and
/// likewise for bylines); new names that are allowed come back as [`LabelRef::New`].
pub async fn prepare_with(
    store: &dyn Store,
    input: &ArticleInput,
    mut problems: Vec<InvalidValue>,
    writer: Writer<'_>,
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
    let source = input.source.as_ref().and_then(|s| {
        checked_source(s)
            .map_err(|e| problems.push(e))
            .ok()
            .flatten()
    });
    let blocks = match body::parse(&input.body) {
        Ok(blocks) => blocks,
        Err(e) => {
            problems.push(e);
            Vec::new()
        }
    };
    let targets = resolve_read_more(store, &blocks, writer, &mut problems).await?;
    let section = match section {
        Some(slug) => section_ref(store, slug, input.section.trim(), writer, &mut problems).await?,
        None => None,
    };
    let mut tag_ids = Vec::with_capacity(tags.len());
    for (slug, name) in tags {
        let mut found = store.tag_by_slug(&slug).await?;
        if found.is_none()
            && let Some(to) = merged_into(store, Front::Tag, &slug).await?
        {
            found = store.tag_by_slug(&to).await?;
        }
        let found = found.map(|t| t.id);
        match found {
            Some(id) => tag_ids.push(LabelRef::Existing(id)),
            None if writer.may_add_tags() => tag_ids.push(LabelRef::New { slug, name }),
            None => problems.push(InvalidValue::new(
                "tags",
                format!("there is no tag '{name}'; an editor can add it"),
            )),
        }
    }
    let mut author_ids = Vec::with_capacity(authors.len());
    for (slug, name) in authors {
        match store.author_by_slug(&slug).await? {
            Some(author) => author_ids.push(LabelRef::Existing(author.id)),
            None if writer.may_add_byline(&slug) => {
                author_ids.push(LabelRef::New { slug, name });
            }
            None => problems.push(InvalidValue::new(
                "authors",
                format!(
                    "'{name}' is not in the list of bylines yet; an author or an editor can add them"
                ),
            )),
        }
    }
    let (Some(headline), Some(language), Some(section), true) =
        (headline, language, section, problems.is_empty())
    else {
        return Err(ServiceError::Invalid(problems));
    };
    let base_slug = Slug::from_title(headline.as_str())
        .ok_or_else(|| InvalidValue::new("headline", "needs at least one letter or digit"))?;
    Ok(Prepared {
        content: Content {
            headline,
            standfirst,
            body: body::canonical_source(&blocks, &targets),
            body_html: body::render(&blocks, &targets),
            section,
            tags: tag_ids,
            authors: author_ids,
            source,
            language,
        },
        base_slug,
    })
}

/// `source` with its agency names trimmed and each named once; `None` when it names none.
fn checked_source(source: &Source) -> Result<Option<Source>, InvalidValue> {
    let mut checked = Source {
        agencies: Vec::new(),
        mode: source.mode,
    };
    for agency in &source.agencies {
        if agency.trim().is_empty() {
            continue;
        }
        checked.credit(Name::parse("source", agency)?.as_str());
    }
    if checked.agencies.len() > Source::MAX_AGENCIES {
        return Err(InvalidValue::new(
            "source",
            format!("no more than {} agencies, please", Source::MAX_AGENCIES),
        ));
    }
    Ok((!checked.agencies.is_empty()).then_some(checked))
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

/// Where the front of `slug` lives now, if it was merged into another one. The redirects table
/// holds paths decoded.
async fn merged_into(
    store: &dyn Store,
    front: Front,
    slug: &Slug,
) -> Result<Option<Slug>, StoreError> {
    let Some(to) = store
        .redirect(&SitePath::front(front, slug).decoded())
        .await?
    else {
        return Ok(None);
    };
    Ok(to
        .strip_prefix(&format!("/{}/", front.prefix()))
        .and_then(|s| Slug::parse(s).ok()))
}

/// The section an article names: an existing one (or the one it was merged into), a new one if
/// `writer` may add sections, or a problem.
async fn section_ref(
    store: &dyn Store,
    slug: Slug,
    name: &str,
    writer: Writer<'_>,
    problems: &mut Vec<InvalidValue>,
) -> Result<Option<LabelRef<SectionId>>, StoreError> {
    let mut found = store.section_by_slug(&slug).await?;
    if found.is_none()
        && let Some(to) = merged_into(store, Front::Section, &slug).await?
    {
        found = store.section_by_slug(&to).await?;
    }
    Ok(match found {
        Some(section) => Some(LabelRef::Existing(section.id)),
        None if writer.may_add_sections() => Some(LabelRef::New {
            slug,
            name: name.to_owned(),
        }),
        None => {
            problems.push(InvalidValue::new(
                "section",
                format!("there is no section named '{name}'; an editor can add it"),
            ));
            None
        }
    })
}

fn label_slug(field: &'static str, name: &str) -> Result<Slug, InvalidValue> {
    // One line of 1 to `Name::MAX_CHARS` characters, no control characters.
    let name = Name::parse(field, name)?;
    let name = name.as_str();
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

/// Whether `writer` may point Read More at `id`: anyone at a published article, an account that
/// may not open others' articles only otherwise at its own.
async fn may_refer_to(
    store: &dyn Store,
    writer: Writer<'_>,
    id: ArticleId,
    status: ArticleStatus,
) -> Result<bool, StoreError> {
    let Some(user) = writer.limited_to() else {
        return Ok(true);
    };
    if status == ArticleStatus::Published {
        return Ok(true);
    }
    Ok(store
        .workflow(id)
        .await?
        .is_some_and(|wf| wf.created_by == Some(user.id)))
}

/// The id of each Read More block's target, in order. Unknown targets, and targets `writer` may
/// not see, are the same problem, so that the answer does not tell whether an article exists.
async fn resolve_read_more(
    store: &dyn Store,
    blocks: &[Block<'_>],
    writer: Writer<'_>,
    problems: &mut Vec<InvalidValue>,
) -> Result<Vec<ArticleId>, StoreError> {
    let mut ids = Vec::new();
    for block in blocks {
        let Block::ReadMore { line, reference } = block else {
            continue;
        };
        let found = match reference {
            Reference::Id(id) => store
                .summaries(&[*id])
                .await?
                .first()
                .map(|s| (s.id, s.status)),
            Reference::Slug(slug) => match Slug::parse(slug) {
                Ok(slug) => store
                    .article_by_slug(&slug)
                    .await?
                    .map(|a| (a.id, a.status)),
                Err(_) => None,
            },
        };
        let found = match found {
            Some((id, status)) if may_refer_to(store, writer, id, status).await? => Some(id),
            _ => None,
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
