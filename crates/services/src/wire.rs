//! The wire desk: providers, and payloads in (from files, uploads and polls) to stored item
//! versions.
//!
//! A payload is kept verbatim before it is read, so a payload that cannot be read is still there,
//! with the reason, on its provider's page, and a later fix of a reader can read it again
//! ([`reread_payload`]). Reading is `dateline_wire::read`; storing is the store's
//! [`WireStore::ingest`](dateline_domain::WireStore::ingest), all of a payload's versions or none.

use chrono::{DateTime, Utc};
use dateline_domain::store::StoredVersion;
use dateline_domain::wire::{
    AlertKind, IngestOutcome, ItemStatus, KillPolicy, PayloadId, Provider, ProviderCode,
    ProviderId, ProviderKind, ProviderSettings, VersionSignal, WireFormat, WireItemId,
    WireVersionId,
};
use dateline_domain::{
    Action, ArticleId, AttributionMode, Draft, InvalidValue, Language, Name, RevisionKind,
    SaveOutcome, Source, Store, StoreError, User, check_multiline,
};

use crate::error::ServiceError;

pub use dateline_wire::{MAX_ITEMS, MAX_PAYLOAD_BYTES, Skipped};

/// Shortest and longest time between two polls of a provider, in seconds.
pub const POLL_INTERVAL_SECS: std::ops::RangeInclusive<u32> = 30..=86_400;
/// How often a provider is polled unless configured otherwise.
pub const DEFAULT_POLL_INTERVAL_SECS: u32 = 300;
/// Longest feed address.
const MAX_URL_CHARS: usize = 2_000;
/// Longest stored credentials.
const MAX_CREDENTIAL_CHARS: usize = 1_000;
/// Longest attribution name ("APP", "Reuters").
const MAX_ATTRIBUTION_CHARS: usize = 60;

/// A provider's settings as typed in a form or on the command line, before they are checked.
#[derive(Debug, Clone, Default)]
pub struct ProviderForm {
    pub code: String,
    pub name: String,
    /// Empty: the code.
    pub attribution: String,
    /// Empty: `files`.
    pub kind: String,
    pub url: String,
    /// Empty: English.
    pub language: String,
    /// Empty: [`DEFAULT_POLL_INTERVAL_SECS`].
    pub poll_interval_secs: String,
    /// Empty: take-down.
    pub kill_policy: String,
    /// Empty: none (on a change: keep the stored ones).
    pub credentials: String,
}

/// Checks a provider form, listing every problem at once.
pub fn provider_settings(form: &ProviderForm) -> Result<ProviderSettings, ServiceError> {
    let mut problems = Vec::new();
    let code = ProviderCode::parse(&form.code).map_err(|e| problems.push(e));
    let name = Name::parse("name", &form.name).map_err(|e| problems.push(e));
    let attribution = if form.attribution.trim().is_empty() {
        Ok(form.code.trim().to_ascii_uppercase())
    } else {
        Name::parse_within("attribution", &form.attribution, MAX_ATTRIBUTION_CHARS)
            .map(Name::into_string)
            .map_err(|e| problems.push(e))
    };
    let kind = if form.kind.trim().is_empty() {
        Ok(ProviderKind::Files)
    } else {
        ProviderKind::parse(&form.kind).map_err(|e| problems.push(e))
    };
    let url =
        feed_url(&form.url, kind.unwrap_or(ProviderKind::Files)).map_err(|e| problems.push(e));
    let language = if form.language.trim().is_empty() {
        Ok(Language::english())
    } else {
        Language::parse(&form.language).map_err(|e| problems.push(e))
    };
    let poll_interval_secs = poll_interval(&form.poll_interval_secs).map_err(|e| problems.push(e));
    let kill_policy = if form.kill_policy.trim().is_empty() {
        Ok(KillPolicy::TakeDown)
    } else {
        KillPolicy::parse(&form.kill_policy).map_err(|e| problems.push(e))
    };
    let credentials = credentials(&form.credentials).map_err(|e| problems.push(e));
    match (
        code,
        name,
        attribution,
        kind,
        url,
        language,
        poll_interval_secs,
        kill_policy,
        credentials,
    ) {
        (
            Ok(code),
            Ok(name),
            Ok(attribution),
            Ok(kind),
            Ok(url),
            Ok(language),
            Ok(poll_interval_secs),
            Ok(kill_policy),
            Ok(credentials),
        ) => Ok(ProviderSettings {
            code,
            name: name.into_string(),
            attribution,
            kind,
            url,
            language: language.as_str().to_owned(),
            poll_interval_secs,
            kill_policy,
            credentials,
        }),
        _ => Err(ServiceError::Invalid(problems)),
    }
}

fn feed_url(url: &str, kind: ProviderKind) -> Result<Option<String>, InvalidValue> {
    let url = url.trim();
    if url.is_empty() {
        return if kind.polls() {
            Err(InvalidValue::new(
                "url",
                format!(
                    "a provider of kind {} needs the address of its feed",
                    kind.as_str()
                ),
            ))
        } else {
            Ok(None)
        };
    }
    if url.chars().count() > MAX_URL_CHARS {
        return Err(InvalidValue::new(
            "url",
            format!("a feed address has at most {MAX_URL_CHARS} characters"),
        ));
    }
    let parsed = ammonia::Url::parse(url)
        .map_err(|e| InvalidValue::new("url", format!("not a web address: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(InvalidValue::new(
            "url",
            "a feed address starts with http:// or https:// and names a host",
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(InvalidValue::new(
            "url",
            "put the user name and password in the credentials field, not in the address",
        ));
    }
    Ok(Some(parsed.to_string()))
}

fn poll_interval(s: &str) -> Result<u32, InvalidValue> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(DEFAULT_POLL_INTERVAL_SECS);
    }
    let refuse = || {
        InvalidValue::new(
            "poll_interval_secs",
            format!(
                "the poll interval is a number of seconds from {} to {}",
                POLL_INTERVAL_SECS.start(),
                POLL_INTERVAL_SECS.end()
            ),
        )
    };
    let secs: u32 = s.parse().map_err(|_| refuse())?;
    if POLL_INTERVAL_SECS.contains(&secs) {
        Ok(secs)
    } else {
        Err(refuse())
    }
}

fn credentials(s: &str) -> Result<Option<String>, InvalidValue> {
    if s.is_empty() {
        return Ok(None);
    }
    if s.chars().count() > MAX_CREDENTIAL_CHARS {
        return Err(InvalidValue::new(
            "credentials",
            format!("credentials have at most {MAX_CREDENTIAL_CHARS} characters"),
        ));
    }
    check_multiline("credentials", s)?;
    if s.contains(['\n', '\r']) {
        return Err(InvalidValue::new(
            "credentials",
            "credentials are one line: user:password, or a token",
        ));
    }
    Ok(Some(s.to_owned()))
}

/// Adds a provider; a taken code is an invalid form, said so.
pub async fn add_provider(
    store: &dyn Store,
    form: &ProviderForm,
    at: DateTime<Utc>,
) -> Result<Provider, ServiceError> {
    let settings = provider_settings(form)?;
    store
        .add_provider(&settings, at)
        .await
        .map_err(|e| code_taken(e, &settings.code))
}

/// Changes a provider's settings; empty credentials keep the stored ones.
pub async fn update_provider(
    store: &dyn Store,
    id: ProviderId,
    form: &ProviderForm,
) -> Result<Provider, ServiceError> {
    let settings = provider_settings(form)?;
    store
        .update_provider(id, &settings)
        .await
        .map_err(|e| code_taken(e, &settings.code))?
        .ok_or(ServiceError::NotFound)
}

fn code_taken(e: StoreError, code: &ProviderCode) -> ServiceError {
    match e {
        StoreError::Conflict(_) => ServiceError::Invalid(vec![InvalidValue::new(
            "code",
            format!("another provider has the code {code}"),
        )]),
        e => e.into(),
    }
}

/// What one payload gave.
#[derive(Debug, Clone)]
pub struct IngestReport {
    pub payload: PayloadId,
    /// False when the same bytes had come from this provider before.
    pub new_payload: bool,
    pub format: WireFormat,
    /// Versions read from the payload.
    pub read: usize,
    pub outcome: IngestOutcome,
    /// Entries that could not be converted, with the reason.
    pub skipped: Vec<Skipped>,
}

impl IngestReport {
    /// What storing the payload did, in words: "2 new or newer, 0 older kept as history, 1
    /// already stored", and how many entries could not be read, if any.
    pub fn what_it_stored(&self) -> String {
        let o = &self.outcome;
        let mut words = format!(
            "{} new or newer, {} older kept as history, {} already stored",
            o.current, o.history, o.unchanged
        );
        if !self.skipped.is_empty() {
            words.push_str(&format!(
                "; {} entries could not be read",
                self.skipped.len()
            ));
        }
        words
    }
}

/// Why a payload gave nothing: it was too large to keep, or it was kept and could not be read.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{size} bytes is more than the {max} a payload may have; nothing was stored", max = MAX_PAYLOAD_BYTES)]
    TooLarge { size: usize },
    /// The payload is stored (as `payload`) with `reason`.
    #[error("{reason}")]
    Unreadable { payload: PayloadId, reason: String },
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for IngestError {
    fn from(e: StoreError) -> Self {
        IngestError::Service(e.into())
    }
}

/// Keeps `bytes` from `provider` (arrived from `origin`: a file name, an upload, a URL), reads
/// them, and stores the item versions they hold.
pub async fn ingest_payload(
    store: &dyn Store,
    provider: &Provider,
    origin: &str,
    bytes: &[u8],
    at: DateTime<Utc>,
) -> Result<IngestReport, IngestError> {
    if bytes.len() > MAX_PAYLOAD_BYTES {
        return Err(IngestError::TooLarge { size: bytes.len() });
    }
    let origin: String = origin
        .chars()
        .filter(|c| !c.is_control())
        .take(500)
        .collect();
    let (payload, new_payload) = store.store_payload(provider.id, &origin, bytes, at).await?;
    read_and_store(store, provider, payload, new_payload, bytes, at).await
}

/// Reads a stored payload again (after a fix of a reader) and stores what it holds; versions
/// stored already change nothing.
pub async fn reread_payload(
    store: &dyn Store,
    payload: PayloadId,
    at: DateTime<Utc>,
) -> Result<IngestReport, IngestError> {
    let record = store
        .payload_record(payload)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let provider = store
        .provider(record.provider)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let bytes = store
        .payload_bytes(payload)
        .await?
        .ok_or(ServiceError::NotFound)?;
    read_and_store(store, &provider, payload, false, &bytes, at).await
}

/// Payloads read at once. Reading is CPU work (a 16 MiB feed takes a good part of a second) and
/// holds the payload and what is read from it in memory: it runs on the blocking threads, a few
/// at a time, whoever asks (an upload, a poll, the command line).
const CONCURRENT_READS: usize = 2;

static READS: std::sync::LazyLock<std::sync::Arc<tokio::sync::Semaphore>> =
    std::sync::LazyLock::new(|| std::sync::Arc::new(tokio::sync::Semaphore::new(CONCURRENT_READS)));

/// `dateline_wire::read` on a blocking thread, at most [`CONCURRENT_READS`] at once.
async fn read_off_the_request(
    bytes: &[u8],
) -> Result<Result<dateline_wire::Read, dateline_wire::ReadError>, ServiceError> {
    let slot = READS
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| ServiceError::internal("the payload readers are gone", e))?;
    let bytes = bytes.to_vec();
    tokio::task::spawn_blocking(move || {
        let read = dateline_wire::read(&bytes);
        drop(slot);
        read
    })
    .await
    .map_err(|e| ServiceError::internal("reading a payload stopped", e))
}

async fn read_and_store(
    store: &dyn Store,
    provider: &Provider,
    payload: PayloadId,
    new_payload: bool,
    bytes: &[u8],
    at: DateTime<Utc>,
) -> Result<IngestReport, IngestError> {
    let read = match read_off_the_request(bytes).await? {
        Ok(read) => read,
        Err(e) => {
            let reason = e.to_string();
            store
                .record_payload_read(payload, None, Some(&reason), 0)
                .await?;
            return Err(IngestError::Unreadable { payload, reason });
        }
    };
    let outcome = store
        .ingest(
            provider.id,
            Some(payload),
            &read.versions,
            &provider.language,
            at,
        )
        .await?;
    react_to_changes(store, provider, &outcome.changed_items, at).await?;
    let problems = (!read.skipped.is_empty()).then(|| {
        format!(
            "{} of {} entries could not be read: {}",
            read.skipped.len(),
            read.skipped.len() + read.versions.len(),
            read.skipped
                .iter()
                .take(3)
                .map(|s| s.reason.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        )
    });
    store
        .record_payload_read(payload, Some(read.format), problems.as_deref(), 0)
        .await?;
    Ok(IngestReport {
        payload,
        new_payload,
        format: read.format,
        read: read.versions.len(),
        outcome,
        skipped: read.skipped,
    })
}

/// Starts a draft from one version of an agency item, for `user`, in `section`: its headline,
/// standfirst and body (the dateline stays off the body), its language, and the agency as the
/// article's source, with the exact version used recorded. A killed or withheld version is
/// refused.
pub async fn draft_from_version(
    store: &dyn Store,
    user: &User,
    version: WireVersionId,
    section: &str,
    now: DateTime<Utc>,
) -> Result<ArticleId, ServiceError> {
    if !user.may(Action::UseWireDesk) {
        return Err(ServiceError::Forbidden);
    }
    let stored = store
        .wire_version(version)
        .await?
        .ok_or(ServiceError::NotFound)?;
    match stored.info.status {
        ItemStatus::Usable => {}
        ItemStatus::Withheld => {
            return Err(ServiceError::WrongState(
                "The agency has withheld this version: wait for it to be released.".to_owned(),
            ));
        }
        ItemStatus::Canceled => {
            return Err(ServiceError::WrongState(
                "The agency has killed this item: it must not be used.".to_owned(),
            ));
        }
    }
    let provider = store
        .provider(stored.provider)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let language = Language::parse(&stored.language).unwrap_or_else(|_| Language::english());
    let draft = Draft {
        headline: stored.info.headline.clone(),
        standfirst: stored.standfirst.clone(),
        body: dateline_wire::html_to_body(&stored.body_html),
        section: section.to_owned(),
        tags: Vec::new(),
        authors: vec![user.name.clone()],
        source: Some(Source::single(
            provider.attribution.clone(),
            AttributionMode::AsReceived,
        )),
        language: language.as_str().to_owned(),
    };
    let id = crate::newsroom::create_draft(store, user, &draft, now).await?;
    store.attach_source(id, version, now).await?;
    Ok(id)
}

/// A version's text as compared: headline, dateline, standfirst and body, one paragraph a line.
pub fn comparable_text(version: &StoredVersion) -> String {
    let mut text = String::new();
    text.push_str(&version.info.headline);
    text.push_str("\n\n");
    if let Some(dateline) = &version.dateline {
        text.push_str(dateline);
        text.push_str("\n\n");
    }
    if !version.standfirst.is_empty() {
        text.push_str(&version.standfirst);
        text.push_str("\n\n");
    }
    text.push_str(&dateline_wire::html_to_body(&version.body_html));
    text
}

/// What the new current versions of `items` mean for the articles built on them: a kill takes
/// them down at once (the provider's policy `take-down`) or raises an urgent alert (`alert`); a
/// withheld item, a correction or an update raises an alert on each. An article built on the
/// current version itself hears nothing. Returns the articles taken down.
pub async fn react_to_changes(
    store: &dyn Store,
    provider: &Provider,
    items: &[WireItemId],
    now: DateTime<Utc>,
) -> Result<Vec<ArticleId>, ServiceError> {
    let mut taken_down = Vec::new();
    // Most of a payload's items are new to the newsroom: ask once which ones anything uses.
    for item in store.items_in_use(items).await? {
        let articles = store.articles_built_on(item).await?;
        if articles.is_empty() {
            continue;
        }
        let Some(wire_item) = store.wire_item(item).await? else {
            continue;
        };
        let Some(current) = wire_item.versions.iter().find(|v| v.current) else {
            continue;
        };
        for article in articles {
            let sources = store.article_sources(article).await?;
            if sources.iter().any(|s| s.version.id == current.id) {
                continue;
            }
            let kind = match (current.status, current.signal) {
                (ItemStatus::Canceled, _) if provider.kill_policy == KillPolicy::TakeDown => {
                    let detail = format!(
                        "{} killed item {} (version {})",
                        provider.code, wire_item.row.item_id, current.key
                    );
                    if crate::newsroom::take_down_for_wire(store, article, detail, now).await? {
                        tracing::warn!(%article, provider = %provider.code, item = %wire_item.row.item_id, "article taken down: its wire source was killed");
                        taken_down.push(article);
                    }
                    AlertKind::TakenDown
                }
                (ItemStatus::Canceled, _) => AlertKind::Killed,
                (ItemStatus::Withheld, _) => AlertKind::Withheld,
                (ItemStatus::Usable, VersionSignal::Correction) => AlertKind::Corrected,
                (ItemStatus::Usable, _) => AlertKind::Updated,
            };
            store.raise_alert(article, current.id, kind, now).await?;
        }
    }
    Ok(taken_down)
}

/// Records one more agency version an article draws on ("add as source"), for an account that
/// may edit the article: a kill, a correction or an update of that item then reaches the
/// article as it does for the version it was started from. A killed or withheld version is
/// refused.
pub async fn add_source(
    store: &dyn Store,
    user: &User,
    article: ArticleId,
    version: WireVersionId,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if !user.may(Action::UseWireDesk) {
        return Err(ServiceError::Forbidden);
    }
    crate::newsroom::check_editable(store, user, article).await?;
    let stored = store
        .wire_version(version)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if stored.info.status != ItemStatus::Usable {
        return Err(ServiceError::WrongState(
            "The agency has withheld or killed this version: it cannot be a source.".to_owned(),
        ));
    }
    let provider = store
        .provider(stored.provider)
        .await?
        .ok_or(ServiceError::NotFound)?;
    credit_agency(store, user, article, &provider.attribution, now).await?;
    if !store.attach_source(article, version, now).await? {
        return Err(ServiceError::NotFound);
    }
    Ok(())
}

/// Names `agency` in the article's attribution, in a new revision of its working copy, unless
/// it is named already. An article of the newsroom's own that had none becomes "edited" copy
/// ("With inputs from APP"). A live article shows it once the update is published.
async fn credit_agency(
    store: &dyn Store,
    user: &User,
    article: ArticleId,
    agency: &str,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let desk = crate::newsroom::open(store, user, article).await?;
    let mut draft = desk.draft;
    let credited = match &mut draft.source {
        Some(source) => source.credit(agency),
        None => {
            draft.source = Some(Source::single(agency, AttributionMode::Edited));
            true
        }
    };
    if !credited {
        return Ok(());
    }
    let saved = crate::newsroom::save(
        store,
        user,
        article,
        desk.workflow.revision,
        &draft,
        RevisionKind::Save,
        now,
    )
    .await
    .map_err(|e| match e {
        ServiceError::Invalid(_) => ServiceError::WrongState(format!(
            "{agency} could not be named in the article's attribution: its working copy has \
             problems. Open it, fix them and save, then add the source again."
        )),
        other => other,
    })?;
    match saved {
        SaveOutcome::Saved(_) => Ok(()),
        SaveOutcome::Conflict { .. } => Err(ServiceError::WrongState(
            "Someone saved the article at the same moment: add the source again.".to_owned(),
        )),
    }
}
