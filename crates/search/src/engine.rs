//! [`SearchEngine`]: the tantivy index, its upkeep from change notices, search and related
//! articles.

use std::collections::HashMap;
use std::ops::Bound;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use dateline_domain::search::MAX_SEARCH_LIMIT;
use dateline_domain::{
    Article, ArticleId, ArticleStatus, CacheKey, ContentChange, Language, SearchError, SearchHit,
    SearchIndex, SearchQuery, SearchResults, SearchSort, Slug, Store, WarmingUp,
};
use dateline_tasks::{Job, Retry, Settings, Stop, Worker};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, Occur, PhraseQuery, Query,
    RangeQuery, RegexQuery, TermQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, Searcher, TantivyDocument,
    Term,
};

use crate::text::{self, ANALYZER, Clause, Matcher, ParsedQuery, SHINGLE_ANALYZER};

/// Written into every commit with the fingerprint; a different value means "rebuild".
const SCHEMA_VERSION: &str = "dateline-search-3";
/// Articles read from the store per query while rebuilding.
const REBUILD_BATCH: u32 = 2_000;
/// Indexing memory shared by the writer's threads.
const WRITER_MEMORY: usize = 256 * 1024 * 1024;
/// How long a search waits for queued updates before answering with what the index has.
const MAX_WAIT: Duration = Duration::from_secs(5);
/// Most articles re-read and committed to the index at once.
const UPDATE_BATCH: usize = 1_000;
/// The pause after a failed update before it is tried again.
const RETRY_PAUSE: Duration = Duration::from_secs(1);

const HEADLINE_BOOST: f32 = 3.0;
const STANDFIRST_BOOST: f32 = 2.0;
/// Weights of a shared tag and of the same section in related articles (times their idf).
const TAG_BOOST: f32 = 3.0;
const SECTION_BOOST: f32 = 1.5;

/// Where the index lives.
#[derive(Debug, Clone)]
pub enum IndexLocation {
    /// A directory of its own (created if missing), e.g. `<data dir>/search-index`.
    Directory(PathBuf),
    /// In memory, rebuilt at every start (tests).
    Memory,
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    slug: Field,
    headline: Field,
    standfirst: Field,
    body: Field,
    /// Runs of two and three neighbouring words of each text field, for phrases.
    headline_shingles: Field,
    standfirst_shingles: Field,
    body_shingles: Field,
    section: Field,
    section_name: Field,
    tags: Field,
    authors: Field,
    language: Field,
    published_at: Field,
}

impl Fields {
    fn schema() -> (Schema, Fields) {
        let mut b = Schema::builder();
        let text = TextOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(ANALYZER)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            )
            .set_stored();
        let shingles = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(SHINGLE_ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let fields = Fields {
            id: b.add_u64_field("id", INDEXED | STORED | FAST),
            slug: b.add_text_field("slug", STORED),
            headline: b.add_text_field("headline", text.clone()),
            standfirst: b.add_text_field("standfirst", text.clone()),
            body: b.add_text_field("body", text),
            headline_shingles: b.add_text_field("headline_shingles", shingles.clone()),
            standfirst_shingles: b.add_text_field("standfirst_shingles", shingles.clone()),
            body_shingles: b.add_text_field("body_shingles", shingles),
            section: b.add_text_field("section", STRING | STORED),
            section_name: b.add_text_field("section_name", STORED),
            tags: b.add_text_field("tags", STRING),
            authors: b.add_text_field("authors", STRING),
            language: b.add_text_field("language", STORED),
            published_at: b.add_i64_field("published_at", INDEXED | STORED | FAST),
        };
        (b.build(), fields)
    }

    /// The text fields a query looks in, with their weights.
    fn weighted_text(&self) -> [TextField; 3] {
        [
            TextField {
                words: self.headline,
                shingles: self.headline_shingles,
                boost: HEADLINE_BOOST,
            },
            TextField {
                words: self.standfirst,
                shingles: self.standfirst_shingles,
                boost: STANDFIRST_BOOST,
            },
            TextField {
                words: self.body,
                shingles: self.body_shingles,
                boost: 1.0,
            },
        ]
    }

    fn id_term(&self, id: ArticleId) -> Term {
        Term::from_field_u64(self.id, id.0 as u64)
    }

    fn document(&self, article: &Article) -> TantivyDocument {
        let mut doc = TantivyDocument::new();
        doc.add_u64(self.id, article.id.0 as u64);
        doc.add_text(self.slug, article.slug.as_str());
        let body = text::plain_text(&article.body_html);
        for (words, shingles, value) in [
            (
                self.headline,
                self.headline_shingles,
                article.headline.as_str(),
            ),
            (
                self.standfirst,
                self.standfirst_shingles,
                &article.standfirst,
            ),
            (self.body, self.body_shingles, &body),
        ] {
            doc.add_text(words, value);
            doc.add_text(shingles, value);
        }
        doc.add_text(self.section, article.section.slug.as_str());
        doc.add_text(self.section_name, &article.section.name);
        for tag in &article.tags {
            doc.add_text(self.tags, tag.slug.as_str());
        }
        for author in &article.authors {
            doc.add_text(self.authors, author.slug.as_str());
        }
        doc.add_text(self.language, article.language.as_str());
        doc.add_i64(
            self.published_at,
            article
                .published_at
                .unwrap_or(article.created_at)
                .timestamp_millis(),
        );
        doc
    }
}

/// One text field as a query sees it: its words, its word runs and its weight.
#[derive(Clone, Copy)]
struct TextField {
    words: Field,
    shingles: Field,
    boost: f32,
}

/// What the index's upkeep queues: everything (a rebuild; sorted first, so it comes before the
/// articles queued with it, which it covers) or one article to read again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Update {
    Everything,
    Article(ArticleId),
}

/// Keeps the index current: the job of the index's worker. Changes are queued by the store's
/// observer ([`Job::heard`]); a failed batch is tried again after [`RETRY_PAUSE`].
struct Upkeep(Arc<Inner>);

impl Job for Upkeep {
    type Key = Update;
    type Value = ();
    type Error = SearchError;

    fn heard(&self, change: &ContentChange) -> Vec<(Update, ())> {
        change
            .keys
            .iter()
            .filter_map(|key| match key {
                CacheKey::All => Some((Update::Everything, ())),
                CacheKey::Article(id) => Some((Update::Article(*id), ())),
                _ => None,
            })
            .collect()
    }

    async fn work(&self, batch: Vec<(Update, ())>, _: &Worker<Self>) -> Result<(), SearchError> {
        let started = std::time::Instant::now();
        self.0
            .apply(batch.into_iter().map(|(update, ())| update))
            .await?;
        if self.0.warmup.active.swap(false, Ordering::SeqCst) {
            tracing::info!(
                articles = self.0.reader.searcher().num_docs(),
                seconds = started.elapsed().as_secs_f32(),
                "search index built"
            );
        }
        Ok(())
    }
}

struct Inner {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    store: Arc<dyn Store>,
    warmup: Warmup,
}

/// A first build running in the background over an index with nothing in it yet.
#[derive(Default)]
struct Warmup {
    active: AtomicBool,
    indexed: AtomicU64,
    total: AtomicU64,
}

/// When [`SearchEngine::open_with`] builds a missing or stale index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Build {
    /// Before `open` returns: searches find everything from the start.
    Now,
    /// After `open` returns, on the updater: the node serves everything else at once, searches
    /// meanwhile see the old index, or are told the index is warming up when there is none
    /// ([`SearchIndex::warming_up`]).
    InBackground,
}

/// The search index of one node. Cheap to clone.
#[derive(Clone)]
pub struct SearchEngine {
    inner: Arc<Inner>,
    upkeep: Arc<Worker<Upkeep>>,
}

fn index_error(e: impl std::fmt::Display) -> SearchError {
    SearchError::Index(e.to_string())
}

impl SearchEngine {
    /// Opens (or creates) the index at `location`, subscribes it to `store`'s changes, rebuilds
    /// it if it is missing or stale, and starts the task that keeps it current.
    ///
    /// The task runs until the process ends: this is for tools and tests. A server opens the
    /// index with [`SearchEngine::open_with`] and runs [`SearchEngine::keep_current`] under its
    /// supervisor.
    pub async fn open(
        location: IndexLocation,
        store: Arc<dyn Store>,
    ) -> Result<SearchEngine, SearchError> {
        let engine = Self::open_with(location, store, Build::Now).await?;
        tokio::spawn(engine.clone().keep_current(Stop::never()));
        Ok(engine)
    }

    /// Opens (or creates) the index at `location` and subscribes it to `store`'s changes,
    /// building it if it is missing or stale when `build` says. Changes are applied (and a
    /// background build made) by [`SearchEngine::keep_current`], which the caller runs.
    pub async fn open_with(
        location: IndexLocation,
        store: Arc<dyn Store>,
        build: Build,
    ) -> Result<SearchEngine, SearchError> {
        let (schema, fields) = Fields::schema();
        let index = match &location {
            IndexLocation::Memory => Index::create_in_ram(schema),
            IndexLocation::Directory(dir) => open_dir(dir, schema)?,
        };
        index.tokenizers().register(ANALYZER, text::analyzer());
        index
            .tokenizers()
            .register(SHINGLE_ANALYZER, text::shingle_analyzer());
        let mut index = index;
        index
            .set_default_multithread_executor()
            .map_err(index_error)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(index_error)?;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        let writer = index
            .writer_with_num_threads(threads, WRITER_MEMORY)
            .map_err(index_error)?;
        let inner = Arc::new(Inner {
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
            store: store.clone(),
            warmup: Warmup::default(),
        });
        let upkeep = Worker::new(
            Upkeep(inner.clone()),
            Settings {
                name: "search index",
                batch: UPDATE_BATCH,
                capacity: 0,
                retry: Retry::After(RETRY_PAUSE),
            },
        );
        let engine = SearchEngine { inner, upkeep };
        // Subscribe before comparing fingerprints, so no write can fall between the two.
        store.add_change_observer(engine.upkeep.observer());
        let current = store.content_fingerprint().await?;
        let recorded = engine.recorded_fingerprint()?;
        if recorded.as_deref() == Some(current.as_str()) {
            tracing::info!(
                articles = engine.inner.reader.searcher().num_docs(),
                "search index is current"
            );
        } else if build == Build::Now {
            let started = std::time::Instant::now();
            let count = engine.rebuild(&current).await?;
            tracing::info!(
                articles = count,
                seconds = started.elapsed().as_secs_f32(),
                "search index rebuilt"
            );
        } else {
            let warmup = &engine.inner.warmup;
            if engine.inner.reader.searcher().num_docs() == 0 {
                warmup
                    .total
                    .store(store.count_articles().await?, Ordering::SeqCst);
                warmup.active.store(true, Ordering::SeqCst);
            }
            tracing::info!("search index is missing or stale: building it in the background");
            // Not waited for: searches answer from the index as it is rather than wait for the
            // whole build.
            engine.upkeep.push_unawaited([(Update::Everything, ())]);
        }
        Ok(engine)
    }

    fn recorded_fingerprint(&self) -> Result<Option<String>, SearchError> {
        let meta = self.inner.index.load_metas().map_err(index_error)?;
        Ok(meta.payload.and_then(|p| {
            p.strip_prefix(SCHEMA_VERSION)
                .and_then(|rest| rest.strip_prefix(' '))
                .map(str::to_owned)
        }))
    }

    /// How many articles the index holds.
    pub fn len(&self) -> u64 {
        self.inner.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many articles are waiting to be brought up to date in the index (not counting a
    /// batch being applied now); a pending rebuild of everything counts as one.
    pub fn queued(&self) -> usize {
        self.upkeep.queued()
    }

    /// Empties the index and indexes every published article again.
    pub async fn rebuild(&self, fingerprint: &str) -> Result<u64, SearchError> {
        self.inner.rebuild(fingerprint).await
    }

    /// Applies queued changes as they come, until `stop` says to stop (between two batches; a
    /// change still queued then is in the next start's fingerprint comparison).
    pub async fn keep_current(self, stop: Stop) {
        self.upkeep.run(stop).await;
    }

    /// Waits until every change queued before this call is in the index (or [`MAX_WAIT`]).
    async fn wait_for_updates(&self) {
        if tokio::time::timeout(MAX_WAIT, self.upkeep.caught_up())
            .await
            .is_err()
        {
            tracing::warn!("search answered before the index caught up with recent changes");
        }
    }
}

impl Inner {
    /// Empties the index and indexes every published article again.
    async fn rebuild(self: &Arc<Self>, fingerprint: &str) -> Result<u64, SearchError> {
        let inner = self.clone();
        tokio::task::spawn_blocking(move || {
            let writer = inner.writer.lock().unwrap_or_else(|e| e.into_inner());
            writer.delete_all_documents().map(|_| ())
        })
        .await
        .map_err(index_error)?
        .map_err(index_error)?;
        let mut after = None;
        let mut count = 0u64;
        let outcome: Result<(), SearchError> = async {
            loop {
                let batch = self
                    .store
                    .published_articles_after(after, REBUILD_BATCH)
                    .await?;
                let Some(last) = batch.last() else {
                    break;
                };
                after = Some(last.id);
                count += batch.len() as u64;
                self.warmup.indexed.store(count, Ordering::SeqCst);
                let inner = self.clone();
                tokio::task::spawn_blocking(move || {
                    let writer = inner.writer.lock().unwrap_or_else(|e| e.into_inner());
                    for article in &batch {
                        writer.add_document(inner.fields.document(article))?;
                    }
                    Ok::<_, tantivy::TantivyError>(())
                })
                .await
                .map_err(index_error)?
                .map_err(index_error)?;
            }
            Ok(())
        }
        .await;
        let inner = self.clone();
        let fingerprint = fingerprint.to_owned();
        tokio::task::spawn_blocking(move || {
            let mut writer = inner.writer.lock().unwrap_or_else(|e| e.into_inner());
            match outcome {
                Ok(()) => {
                    commit(&mut writer, &fingerprint)?;
                    inner.reader.reload().map_err(index_error)
                }
                Err(e) => {
                    writer.rollback().map_err(index_error)?;
                    Err(e)
                }
            }
        })
        .await
        .map_err(index_error)??;
        Ok(count)
    }

    /// Brings the index up to date with one batch of queued updates.
    async fn apply(
        self: &Arc<Self>,
        batch: impl ExactSizeIterator<Item = Update>,
    ) -> Result<(), SearchError> {
        // Read before the articles: the index will be at least as new as this fingerprint.
        let fingerprint = self.store.content_fingerprint().await?;
        let mut updates = Vec::with_capacity(batch.len());
        for update in batch {
            match update {
                // First in the batch, and covers the articles after it.
                Update::Everything => {
                    self.rebuild(&fingerprint).await?;
                    return Ok(());
                }
                Update::Article(id) => {
                    let article = self.store.article_by_id(id).await?;
                    updates.push((id, article.filter(|a| a.status == ArticleStatus::Published)));
                }
            }
        }
        let inner = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut writer = inner.writer.lock().unwrap_or_else(|e| e.into_inner());
            for (id, article) in &updates {
                writer.delete_term(inner.fields.id_term(*id));
                if let Some(article) = article {
                    writer
                        .add_document(inner.fields.document(article))
                        .map_err(index_error)?;
                }
            }
            commit(&mut writer, &fingerprint)?;
            inner.reader.reload().map_err(index_error)
        })
        .await
        .map_err(index_error)?
    }
}

fn open_dir(dir: &std::path::Path, schema: Schema) -> Result<Index, SearchError> {
    let create = |dir: &std::path::Path| {
        std::fs::create_dir_all(dir).map_err(|e| {
            SearchError::Index(format!(
                "cannot create index directory {}: {e}",
                dir.display()
            ))
        })?;
        Index::create_in_dir(dir, schema.clone()).map_err(index_error)
    };
    if !dir.join("meta.json").exists() {
        return create(dir);
    }
    match Index::open_in_dir(dir) {
        Ok(index) if index.schema() == schema => Ok(index),
        outcome => {
            if let Err(e) = outcome {
                tracing::warn!(error = %e, "search index unreadable; rebuilding it");
            } else {
                tracing::info!("search index has an older schema; rebuilding it");
            }
            std::fs::remove_dir_all(dir).map_err(|e| {
                SearchError::Index(format!("cannot remove old index {}: {e}", dir.display()))
            })?;
            create(dir)
        }
    }
}

fn commit(writer: &mut IndexWriter, fingerprint: &str) -> Result<(), SearchError> {
    let mut prepared = writer.prepare_commit().map_err(index_error)?;
    prepared.set_payload(&format!("{SCHEMA_VERSION} {fingerprint}"));
    prepared.commit().map_err(index_error)?;
    Ok(())
}

impl Inner {
    /// The query for one clause in one text field.
    fn clause_query(
        &self,
        clause: &Clause,
        field: TextField,
    ) -> Result<Box<dyn Query>, SearchError> {
        let term = |field: Field, text: &str| {
            TermQuery::new(
                Term::from_field_text(field, text),
                IndexRecordOption::WithFreqs,
            )
        };
        Ok(match clause {
            Clause::Word(word) => Box::new(term(field.words, word)),
            // Through the shingle field: two or three words are one term; more are a phrase of
            // triples (each at the position of its first word, so they too follow each other).
            Clause::Phrase(words) => {
                let words: Vec<&str> = words.iter().map(String::as_str).collect();
                match words.len() {
                    0 => Box::new(EmptyQuery),
                    1 => Box::new(term(field.words, words[0])),
                    2 | 3 => Box::new(term(field.shingles, &text::shingle(&words))),
                    _ => Box::new(PhraseQuery::new(
                        words
                            .windows(3)
                            .map(|w| Term::from_field_text(field.shingles, &text::shingle(w)))
                            .collect(),
                    )),
                }
            }
            Clause::Prefix(prefix) => {
                let escaped: String = prefix
                    .chars()
                    .flat_map(|c| {
                        let escape = !c.is_alphanumeric();
                        escape.then_some('\\').into_iter().chain([c])
                    })
                    .collect();
                Box::new(
                    RegexQuery::from_pattern(&format!("{escaped}.*"), field.words)
                        .map_err(index_error)?,
                )
            }
        })
    }

    /// The clause in any text field, weighted by field.
    fn any_field(&self, clause: &Clause) -> Result<Box<dyn Query>, SearchError> {
        let mut alternatives: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for field in self.fields.weighted_text() {
            let query = self.clause_query(clause, field)?;
            alternatives.push((Occur::Should, Box::new(BoostQuery::new(query, field.boost))));
        }
        Ok(Box::new(BooleanQuery::new(alternatives)))
    }

    fn filters(&self, query: &SearchQuery) -> Vec<(Occur, Box<dyn Query>)> {
        let mut filters: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut exact = |field: Field, slug: &Option<Slug>| {
            if let Some(slug) = slug {
                filters.push((
                    Occur::Must,
                    Box::new(ConstScoreQuery::new(
                        Box::new(TermQuery::new(
                            Term::from_field_text(field, slug.as_str()),
                            IndexRecordOption::Basic,
                        )),
                        0.0,
                    )),
                ));
            }
        };
        exact(self.fields.section, &query.section);
        exact(self.fields.tags, &query.tag);
        exact(self.fields.authors, &query.author);
        if query.from.is_some() || query.until.is_some() {
            let term = |t: DateTime<Utc>| {
                Term::from_field_i64(self.fields.published_at, t.timestamp_millis())
            };
            let lower = query
                .from
                .map_or(Bound::Unbounded, |t| Bound::Included(term(t)));
            let upper = query
                .until
                .map_or(Bound::Unbounded, |t| Bound::Excluded(term(t)));
            filters.push((
                Occur::Must,
                Box::new(ConstScoreQuery::new(
                    Box::new(RangeQuery::new(lower, upper)),
                    0.0,
                )),
            ));
        }
        filters
    }

    fn build_query(
        &self,
        parsed: &ParsedQuery,
        query: &SearchQuery,
    ) -> Result<Option<Box<dyn Query>>, SearchError> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for clause in &parsed.required {
            clauses.push((Occur::Must, self.any_field(clause)?));
        }
        let filters = self.filters(query);
        if clauses.is_empty() {
            if filters.is_empty() {
                return Ok(None);
            }
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        clauses.extend(filters);
        for clause in &parsed.excluded {
            clauses.push((Occur::MustNot, self.any_field(clause)?));
        }
        Ok(Some(Box::new(BooleanQuery::new(clauses))))
    }

    fn hit(
        &self,
        searcher: &Searcher,
        address: DocAddress,
        score: f32,
    ) -> Result<Hit, SearchError> {
        let doc: TantivyDocument = searcher.doc(address).map_err(index_error)?;
        let text = |field: Field| {
            doc.get_first(field)
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        };
        let corrupt = |what: &str| SearchError::Index(format!("indexed document without {what}"));
        let id = doc
            .get_first(self.fields.id)
            .and_then(|v| v.as_u64())
            .ok_or_else(|| corrupt("id"))?;
        let published = doc
            .get_first(self.fields.published_at)
            .and_then(|v| v.as_i64())
            .and_then(DateTime::from_timestamp_millis)
            .ok_or_else(|| corrupt("publication time"))?;
        let hit = SearchHit {
            id: ArticleId(id as i64),
            slug: Slug::parse(&text(self.fields.slug)).map_err(|_| corrupt("slug"))?,
            headline: text(self.fields.headline),
            section_slug: Slug::parse(&text(self.fields.section))
                .map_err(|_| corrupt("section"))?,
            section_name: text(self.fields.section_name),
            language: Language::parse(&text(self.fields.language))
                .map_err(|_| corrupt("language"))?,
            published_at: published,
            snippet: Vec::new(),
            score,
        };
        Ok(Hit {
            hit,
            standfirst: text(self.fields.standfirst),
            body: text(self.fields.body),
        })
    }

    fn search(&self, query: &SearchQuery) -> Result<SearchResults, SearchError> {
        let parsed = text::parse_query(&query.text);
        let Some(tantivy_query) = self.build_query(&parsed, query)? else {
            return Ok(SearchResults::default());
        };
        let searcher = self.reader.searcher();
        let limit = query.limit.clamp(1, MAX_SEARCH_LIMIT);
        let top = TopDocs::with_limit(limit).and_offset(query.offset);
        let (total, found): (usize, Vec<(f32, DocAddress)>) = match query.sort {
            SearchSort::Relevance => searcher
                .search(&tantivy_query, &(Count, top.order_by_score()))
                .map_err(index_error)?,
            SearchSort::Newest => {
                let (total, docs) = searcher
                    .search(
                        &tantivy_query,
                        &(
                            Count,
                            top.order_by_fast_field::<i64>("published_at", Order::Desc),
                        ),
                    )
                    .map_err(index_error)?;
                (total, docs.into_iter().map(|(_, d)| (0.0, d)).collect())
            }
        };
        let matcher = Matcher::new(&parsed);
        let hits = found
            .into_iter()
            .map(|(score, address)| {
                let Hit {
                    mut hit,
                    standfirst,
                    body,
                } = self.hit(&searcher, address, score)?;
                hit.snippet = text::snippet(&body, &matcher)
                    .or_else(|| text::snippet(&standfirst, &matcher))
                    .unwrap_or_else(|| {
                        vec![dateline_domain::SnippetPart {
                            text: standfirst,
                            marked: false,
                        }]
                    });
                Ok(hit)
            })
            .collect::<Result<_, SearchError>>()?;
        Ok(SearchResults { total, hits })
    }

    fn related(&self, article: &Article, limit: usize) -> Result<Vec<SearchHit>, SearchError> {
        let searcher = self.reader.searcher();
        let documents = searcher.num_docs().max(1) as f32;
        // How often each word appears, the headline and standfirst counting extra.
        let mut frequency: HashMap<String, f32> = HashMap::new();
        let body = text::plain_text(&article.body_html);
        for (part, weight) in [
            (article.headline.as_str(), HEADLINE_BOOST),
            (article.standfirst.as_str(), STANDFIRST_BOOST),
            (body.as_str(), 1.0),
        ] {
            for token in text::tokens(part) {
                let word = token.text;
                if word.chars().count() < 3
                    || word.chars().all(|c| c.is_numeric())
                    || text::STOPWORDS.contains(&word.as_str())
                {
                    continue;
                }
                *frequency.entry(word).or_default() += weight;
            }
        }
        // Keep the words that say most about this article: frequent in it, rare elsewhere.
        let mut weighted: Vec<(String, f32)> = Vec::new();
        for (word, tf) in frequency {
            let df = searcher
                .doc_freq(&Term::from_field_text(self.fields.body, &word))
                .map_err(index_error)? as f32;
            if df <= 1.0 && documents > 1.0 {
                // Only in this article (or nowhere): it relates nothing.
                continue;
            }
            let idf = (1.0 + (documents - df + 0.5) / (df + 0.5)).ln();
            weighted.push((word, (1.0 + tf.ln()) * idf));
        }
        weighted.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        weighted.truncate(25);
        // Only boosted term queries, and no exclusion: tantivy then ranks the union with
        // block-max WAND, skipping whole blocks of documents that cannot reach the top — the
        // difference between milliseconds and a walk over every posting of 50 common words.
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut term = |field: Field, text: &str, boost: f32| {
            should.push((
                Occur::Should,
                Box::new(BoostQuery::new(
                    Box::new(TermQuery::new(
                        Term::from_field_text(field, text),
                        IndexRecordOption::WithFreqs,
                    )),
                    boost,
                )),
            ));
        };
        for (word, weight) in &weighted {
            term(self.fields.headline, word, weight * 1.5);
            term(self.fields.body, word, *weight);
        }
        if weighted.is_empty() && article.tags.is_empty() {
            return Ok(Vec::new());
        }
        // A shared tag says more than a shared section; both scores also carry the idf of
        // the tag or section, so a rare tag says more than a common one.
        for tag in &article.tags {
            term(self.fields.tags, tag.slug.as_str(), TAG_BOOST);
        }
        term(
            self.fields.section,
            article.section.slug.as_str(),
            SECTION_BOOST,
        );
        let query = BooleanQuery::new(should);
        let limit = limit.clamp(1, MAX_SEARCH_LIMIT);
        // One more than needed: the article itself is likely among them.
        let candidates = searcher
            .search(&query, &TopDocs::with_limit(limit * 4 + 1).order_by_score())
            .map_err(index_error)?;
        let when = article.published_at.unwrap_or(article.created_at);
        let mut hits = candidates
            .into_iter()
            .map(|(score, address)| {
                let mut hit = self.hit(&searcher, address, score)?.hit;
                // Stories close in time are likelier to be about the same thing.
                let days = (hit.published_at - when).num_hours().abs() as f32 / 24.0;
                hit.score = score * (0.75 + 0.25 * (-days / 90.0).exp());
                Ok(hit)
            })
            .collect::<Result<Vec<_>, SearchError>>()?;
        hits.retain(|hit| hit.id != article.id);
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(b.id.cmp(&a.id)));
        hits.truncate(limit);
        Ok(hits)
    }
}

struct Hit {
    hit: SearchHit,
    standfirst: String,
    body: String,
}

#[async_trait]
impl SearchIndex for SearchEngine {
    fn warming_up(&self) -> Option<WarmingUp> {
        let warmup = &self.inner.warmup;
        warmup.active.load(Ordering::SeqCst).then(|| WarmingUp {
            indexed: warmup.indexed.load(Ordering::SeqCst),
            total: warmup.total.load(Ordering::SeqCst),
        })
    }

    async fn search(&self, query: &SearchQuery) -> Result<SearchResults, SearchError> {
        self.wait_for_updates().await;
        let inner = self.inner.clone();
        let query = query.clone();
        tokio::task::spawn_blocking(move || inner.search(&query))
            .await
            .map_err(index_error)?
    }

    async fn related(
        &self,
        article: &Article,
        limit: usize,
    ) -> Result<Vec<SearchHit>, SearchError> {
        self.wait_for_updates().await;
        let inner = self.inner.clone();
        let article = article.clone();
        tokio::task::spawn_blocking(move || inner.related(&article, limit))
            .await
            .map_err(index_error)?
    }
}
