//! The wire desk's storage: providers, payloads kept verbatim, and item versions.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::account::UserId;
use crate::article::ArticleId;
use crate::store::StoreError;
use crate::wire::{
    AlertId, AlertKind, IncomingVersion, IngestOutcome, ItemStatus, PayloadId, PayloadRecord,
    Provider, ProviderCode, ProviderId, ProviderSettings, VersionSignal, WireFormat, WireItemId,
    WireVersionId,
};

/// Which items the desk lists: every filter that is set must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WireFilter {
    pub provider: Option<ProviderId>,
    pub language: Option<String>,
    pub status: Option<ItemStatus>,
    /// Only items whose current version is this recent.
    pub since: Option<DateTime<Utc>>,
    /// Words the headline must contain (case-insensitive).
    pub text: Option<String>,
    /// Only items listed after this one (a page's last row): `(sort time, id)`.
    pub after: Option<(DateTime<Utc>, WireItemId)>,
    pub limit: u32,
}

/// An item as the desk lists it: its current version's headline and state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireRow {
    pub id: WireItemId,
    pub provider: ProviderId,
    pub provider_code: ProviderCode,
    /// The agency's id for the item.
    pub item_id: String,
    pub headline: String,
    pub status: ItemStatus,
    pub language: String,
    /// The current version's time (the agency's, else when it arrived): the desk's order.
    pub sort_at: DateTime<Utc>,
    pub versions: u32,
    pub corrected: bool,
    pub embargoed_until: Option<DateTime<Utc>>,
    pub expires: Option<DateTime<Utc>>,
    /// Items with the same fingerprint tell the same text.
    pub text_hash: String,
}

/// A provider that sent a text, and how many of its items have it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextSender {
    pub text_hash: String,
    pub provider_code: ProviderCode,
    pub items: u64,
}

/// One version of an item, without its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionInfo {
    pub id: WireVersionId,
    pub key: String,
    pub label: Option<String>,
    pub status: ItemStatus,
    pub signal: VersionSignal,
    pub version_created: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
    pub headline: String,
    pub current: bool,
}

/// A stored version with everything it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredVersion {
    pub info: VersionInfo,
    pub item: WireItemId,
    pub provider: ProviderId,
    /// The agency's id for the item.
    pub item_id: String,
    pub payload: Option<PayloadId>,
    pub first_created: Option<DateTime<Utc>>,
    pub embargoed_until: Option<DateTime<Utc>>,
    pub expires: Option<DateTime<Utc>>,
    pub language: String,
    pub standfirst: String,
    pub body_html: String,
    pub dateline: Option<String>,
    pub byline: Option<String>,
    pub link: Option<String>,
    pub keywords: Vec<String>,
    pub urgency: Option<u8>,
}

/// An item with the list of its versions, newest (by version order) first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireItem {
    pub row: WireRow,
    pub first_seen_at: DateTime<Utc>,
    pub versions: Vec<VersionInfo>,
}

/// The outcome of one poll, recorded on the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollResult {
    /// The feed answered (new content or 304); its validators for the next conditional GET.
    Success {
        etag: Option<String>,
        last_modified: Option<String>,
    },
    /// The poll failed; `pause` stops polling until an editor resumes it.
    Failure { error: String, pause: bool },
}

/// A wire version an article was built on, as the newsroom shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleSource {
    pub version: VersionInfo,
    pub item: WireItemId,
    /// The agency's id for the item.
    pub item_id: String,
    pub provider_code: ProviderCode,
    /// The name readers see for the agency.
    pub attribution: String,
    /// The item's state now (its current version's status), which may be later than the
    /// version used.
    pub item_status: ItemStatus,
    /// The item's current version, when it is not the one used.
    pub newer_version: Option<WireVersionId>,
    /// The agency's embargo on the item, as its current version says.
    pub embargoed_until: Option<DateTime<Utc>>,
}

/// An alert about a wire source of an article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireAlert {
    pub id: AlertId,
    pub article: ArticleId,
    pub article_headline: String,
    pub item: WireItemId,
    pub provider_code: ProviderCode,
    /// The name readers see for the agency.
    pub attribution: String,
    /// The version that raised it.
    pub version: WireVersionId,
    /// The version of the same item the article was built on, where it names one.
    pub used_version: Option<WireVersionId>,
    pub kind: AlertKind,
    pub raised_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait WireStore: Send + Sync {
    /// Adds a provider; [`StoreError::Conflict`] when its code is taken.
    async fn add_provider(
        &self,
        settings: &ProviderSettings,
        at: DateTime<Utc>,
    ) -> Result<Provider, StoreError>;

    /// Changes a provider's settings (its credentials only when `settings.credentials` is
    /// `Some`); `None` when there is no provider `id`.
    async fn update_provider(
        &self,
        id: ProviderId,
        settings: &ProviderSettings,
    ) -> Result<Option<Provider>, StoreError>;

    /// Every provider, by code.
    async fn providers(&self) -> Result<Vec<Provider>, StoreError>;

    async fn provider(&self, id: ProviderId) -> Result<Option<Provider>, StoreError>;

    async fn provider_by_code(&self, code: &ProviderCode) -> Result<Option<Provider>, StoreError>;

    /// The stored credentials of a provider, for the poller only.
    async fn provider_credentials(&self, id: ProviderId) -> Result<Option<String>, StoreError>;

    /// Pauses or resumes polling; a resume also clears the failure count and polls at once.
    async fn set_provider_paused(&self, id: ProviderId, paused: bool) -> Result<bool, StoreError>;

    /// Makes a provider that polls (and is not paused) due at `now`, so the next round of
    /// polling, on whichever node, claims it and reads its feed ("poll now"); `false` when it
    /// does not poll or is paused. Asked many times at once, it is still one claim, so one poll;
    /// asked while a poll runs, the next round polls again (the answer stores nothing twice).
    async fn poll_soon(&self, id: ProviderId, now: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Claims the poll of a provider that is due at `now` and not paused, holding it until
    /// `until` (when another node may take it over if this one never records the poll). Of
    /// simultaneous claims — several nodes on one database — exactly one wins: `true`.
    async fn claim_poll(
        &self,
        id: ProviderId,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Records a poll's outcome at `at` and when to poll next.
    async fn record_poll(
        &self,
        id: ProviderId,
        result: &PollResult,
        at: DateTime<Utc>,
        next_poll_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Keeps `bytes` as they arrived. The same bytes from the same provider are kept once:
    /// the second time, the stored payload's id is returned with `false`.
    async fn store_payload(
        &self,
        provider: ProviderId,
        origin: &str,
        bytes: &[u8],
        at: DateTime<Utc>,
    ) -> Result<(PayloadId, bool), StoreError>;

    /// Notes what reading a stored payload gave: its format, or why it could not be read.
    async fn record_payload_read(
        &self,
        id: PayloadId,
        format: Option<WireFormat>,
        error: Option<&str>,
        stored_versions: u32,
    ) -> Result<(), StoreError>;

    /// A provider's payloads, newest first.
    async fn payloads(
        &self,
        provider: ProviderId,
        limit: u32,
    ) -> Result<Vec<PayloadRecord>, StoreError>;

    async fn payload_record(&self, id: PayloadId) -> Result<Option<PayloadRecord>, StoreError>;

    /// The bytes of a stored payload, as they arrived.
    async fn payload_bytes(&self, id: PayloadId) -> Result<Option<Vec<u8>>, StoreError>;

    /// Stores `versions` of `provider`'s items (read from `payload`), all or nothing: a version
    /// already stored changes nothing; a version later (by [`VersionOrder`]) than its item's
    /// current one becomes current; an earlier one is kept as history. Items that do not give
    /// their language get `default_language`.
    ///
    /// [`VersionOrder`]: crate::wire::VersionOrder
    async fn ingest(
        &self,
        provider: ProviderId,
        payload: Option<PayloadId>,
        versions: &[IncomingVersion],
        default_language: &str,
        at: DateTime<Utc>,
    ) -> Result<IngestOutcome, StoreError>;

    /// Item versions of `provider` that arrived since `since`.
    async fn versions_received_since(
        &self,
        provider: ProviderId,
        since: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// The desk: items newest first under `filter`.
    async fn wire_rows(&self, filter: &WireFilter) -> Result<Vec<WireRow>, StoreError>;

    /// Who sent each of the texts `hashes` name: one row per text and provider, with how many of
    /// that provider's items have it — however many copies there are, at most one row per
    /// provider for each text.
    async fn text_senders(&self, hashes: &[String]) -> Result<Vec<TextSender>, StoreError>;

    async fn wire_item(&self, id: WireItemId) -> Result<Option<WireItem>, StoreError>;

    async fn wire_item_by_agency_id(
        &self,
        provider: ProviderId,
        item_id: &str,
    ) -> Result<Option<WireItem>, StoreError>;

    async fn wire_version(&self, id: WireVersionId) -> Result<Option<StoredVersion>, StoreError>;

    /// Records that `article` was built on `version` (after those attached before); attaching
    /// the same version again changes nothing. `false` when either does not exist.
    async fn attach_source(
        &self,
        article: ArticleId,
        version: WireVersionId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// The versions `article` was built on, in the order they were attached.
    async fn article_sources(&self, article: ArticleId) -> Result<Vec<ArticleSource>, StoreError>;

    /// The articles built on any version of `item`.
    async fn articles_built_on(&self, item: WireItemId) -> Result<Vec<ArticleId>, StoreError>;

    /// Those of `items` that at least one article is built on, in no particular order: one
    /// question for a whole payload's items, most of which no article uses.
    async fn items_in_use(&self, items: &[WireItemId]) -> Result<Vec<WireItemId>, StoreError>;

    /// Raises an alert on `article` about `version`; the same alert raised again changes
    /// nothing (`false`).
    async fn raise_alert(
        &self,
        article: ArticleId,
        version: WireVersionId,
        kind: AlertKind,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    async fn alert(&self, id: AlertId) -> Result<Option<WireAlert>, StoreError>;

    /// Alerts not resolved yet, newest first.
    async fn open_alerts(&self, limit: u32) -> Result<Vec<WireAlert>, StoreError>;

    /// Every alert on `article`, newest first.
    async fn article_alerts(&self, article: ArticleId) -> Result<Vec<WireAlert>, StoreError>;

    /// The open alerts of any of `articles` (a page of the newsroom's list), newest first.
    async fn open_alerts_of(&self, articles: &[ArticleId]) -> Result<Vec<WireAlert>, StoreError>;

    /// Resolves an open alert; `false` when there is none with `id` open.
    async fn resolve_alert(
        &self,
        id: AlertId,
        by: UserId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}
