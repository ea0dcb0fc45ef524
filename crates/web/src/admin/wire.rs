//! The wire desk at `/admin/wire`: agency items newest first (the same text from several
//! agencies on one row), an item's versions with a word-level comparison of any two, drafts
//! started from a version; and, for editors, the providers with their health, their settings and
//! the payloads they sent (an unreadable one with its reason), and uploads of agency files.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, Utc};
use dateline_domain::store::{StoredVersion, WireAlert, WireFilter, WireRow};
use dateline_domain::wire::{
    AlertId, AlertKind, ItemStatus, Provider, ProviderId, ProviderKind, WireItemId, WireVersionId,
};
use dateline_domain::{Action, SitePath, Store};
use dateline_services::ServiceError;
use dateline_services::newsroom::{self, WordComparison};
use dateline_services::wire::{self, IngestError, ProviderForm};
use serde::Deserialize;

use super::session::{CsrfForm, NoFields, SignedIn};
use super::{AdminError, AdminLayout, Respond};
use crate::AppState;

/// Items on one page of the desk.
const PAGE_ROWS: u32 = 50;
/// Payloads listed on a provider's page.
const PAGE_PAYLOADS: u32 = 50;
/// Other agencies named on a row ("also from").
const MAX_ALSO_FROM: usize = 10;

/// How the desk shows a time: as the rest of the newsroom does, in the publication's zone and
/// language, with the zone named.
fn shown_time(state: &AppState, t: DateTime<Utc>) -> String {
    let site = state.site();
    dateline_services::dates::date_time(t, site.time_zone, &site.locale)
}

/// The start of `now`'s day in the publication's zone.
fn start_of_day(state: &AppState, now: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::TimeZone;
    let zone = state.site().time_zone;
    let local = now.with_timezone(&zone).date_naive();
    local
        .and_hms_opt(0, 0, 0)
        .and_then(|midnight| zone.from_local_datetime(&midnight).earliest())
        .map_or(now - Duration::hours(24), |t| t.with_timezone(&Utc))
}

struct Badge {
    class: &'static str,
    text: String,
}

fn badges(state: &AppState, row: &WireRow, now: DateTime<Utc>) -> Vec<Badge> {
    let mut badges = Vec::new();
    match row.status {
        ItemStatus::Canceled => badges.push(Badge {
            class: "killed",
            text: "Killed".to_owned(),
        }),
        ItemStatus::Withheld => badges.push(Badge {
            class: "withheld",
            text: "Withheld".to_owned(),
        }),
        ItemStatus::Usable => {}
    }
    if row.corrected {
        badges.push(Badge {
            class: "corrected",
            text: "Corrected".to_owned(),
        });
    } else if row.versions > 1 {
        badges.push(Badge {
            class: "updated",
            text: format!("Updated ({} versions)", row.versions),
        });
    }
    if let Some(until) = row.embargoed_until.filter(|t| *t > now) {
        badges.push(Badge {
            class: "embargoed",
            text: format!("Embargoed until {}", shown_time(state, until)),
        });
    }
    if let Some(expires) = row.expires {
        badges.push(Badge {
            class: if expires <= now { "killed" } else { "expires" },
            text: format!(
                "{} {}",
                if expires <= now { "Expired" } else { "Expires" },
                shown_time(state, expires)
            ),
        });
    }
    badges
}

struct DeskRow {
    href: String,
    headline: String,
    provider: String,
    language: String,
    rtl: bool,
    time: String,
    badges: Vec<Badge>,
    also_from: Vec<String>,
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// An open alert as the desk and the article's editor show it.
pub(crate) struct AlertLine {
    pub(crate) id: i64,
    pub(crate) urgent: bool,
    pub(crate) text: String,
    pub(crate) article_href: String,
    pub(crate) article_headline: String,
    pub(crate) item_href: String,
    pub(crate) raised: String,
    /// Whether this account may take the article down from here.
    pub(crate) can_take_down: bool,
    /// Whether this account may mark it dealt with.
    pub(crate) can_resolve: bool,
    /// For a correction: the public correction note offered, ready to edit.
    pub(crate) correction: Option<String>,
}

/// Open alerts shown at the top of the desk.
const MAX_ALERTS: u32 = 50;

fn alert_text(a: &WireAlert) -> String {
    let code = &a.provider_code;
    match a.kind {
        AlertKind::Updated => format!("{code} sent a new version of its source."),
        AlertKind::Corrected => {
            format!("{code} corrected its source: consider a public correction.")
        }
        AlertKind::Withheld => format!("{code} withheld its source: review the article."),
        AlertKind::Killed => format!("{code} killed its source: take the article down."),
        AlertKind::TakenDown => format!("{code} killed its source: the article was taken down."),
    }
}

async fn alert_lines(state: &AppState, signed: &SignedIn) -> Result<Vec<AlertLine>, AdminError> {
    let alerts = state.store.open_alerts(MAX_ALERTS).await?;
    Ok(alerts
        .iter()
        .map(|a| alert_line(state, signed, a))
        .collect())
}

/// How `a` is shown to `signed`.
pub(crate) fn alert_line(state: &AppState, signed: &SignedIn, a: &WireAlert) -> AlertLine {
    // The item's page comparing the version the article was built on with the one that raised
    // the alert, when the article names it.
    let item = SitePath::admin_wire_item(a.item.0);
    let item_href = match a.used_version.filter(|used| *used != a.version) {
        Some(used) => item.with_query([
            ("version", a.version.0.to_string()),
            ("from", used.0.to_string()),
            ("to", a.version.0.to_string()),
        ]),
        None => item.with_query([("version", a.version.0.to_string())]),
    };
    let correction = (a.kind == AlertKind::Corrected).then(|| {
        format!(
            "An earlier version of this article, based on a report by {}, contained an error that \
             the agency has since corrected. This article has been updated.",
            a.attribution
        )
    });
    AlertLine {
        id: a.id.0,
        urgent: a.kind.urgent(),
        text: alert_text(a),
        article_href: SitePath::admin_article(a.article).into(),
        article_headline: a.article_headline.clone(),
        item_href: item_href.into(),
        raised: shown_time(state, a.raised_at),
        can_take_down: a.kind == AlertKind::Killed && signed.user.may(Action::PublishAny),
        can_resolve: signed.user.may(Action::PublishAny),
        correction,
    }
}

#[derive(Template)]
#[template(path = "admin/wire_desk.html")]
struct DeskPage {
    layout: AdminLayout,
    alerts: Vec<AlertLine>,
    rows: Vec<DeskRow>,
    providers: Vec<Choice>,
    statuses: Vec<Choice>,
    language: String,
    hours: String,
    q: String,
    next: Option<String>,
    manages_providers: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct DeskQuery {
    #[serde(default)]
    provider: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    status: String,
    /// Only items of the last this many hours.
    #[serde(default)]
    hours: String,
    #[serde(default)]
    q: String,
    /// The last row of the page before: `MILLIS.ID`.
    #[serde(default)]
    after: String,
}

fn bad(what: &str) -> AdminError {
    AdminError::BadRequest(what.to_owned())
}

fn filter_of(
    query: &DeskQuery,
    providers: &[Provider],
    now: DateTime<Utc>,
) -> Result<WireFilter, AdminError> {
    let provider = match query.provider.trim() {
        "" => None,
        code => Some(
            providers
                .iter()
                .find(|p| p.code.as_str().eq_ignore_ascii_case(code))
                .ok_or_else(|| bad("there is no such provider"))?
                .id,
        ),
    };
    let status = match query.status.trim() {
        "" => None,
        s => Some(
            ItemStatus::parse(s)
                .ok_or_else(|| bad("the status is usable, withheld or canceled"))?,
        ),
    };
    let since = match query.hours.trim() {
        "" => None,
        h => {
            let hours: i64 = h
                .parse()
                .ok()
                .filter(|h| (1..=24 * 366).contains(h))
                .ok_or_else(|| bad("the time is a number of hours, 1 to 8784"))?;
            Some(now - Duration::hours(hours))
        }
    };
    let language = match query.language.trim() {
        "" => None,
        l => Some(
            dateline_domain::Language::parse(l)
                .map_err(|_| bad("the language is a tag such as en or ur"))?
                .as_str()
                .to_owned(),
        ),
    };
    let text = dateline_domain::query_text(&query.q);
    let after = match query.after.trim() {
        "" => None,
        a => {
            let (ms, id) = a
                .split_once('.')
                .ok_or_else(|| bad("the page address is not valid"))?;
            let ms: i64 = ms
                .parse()
                .map_err(|_| bad("the page address is not valid"))?;
            let id: i64 = id
                .parse()
                .map_err(|_| bad("the page address is not valid"))?;
            let at = DateTime::from_timestamp_millis(ms)
                .ok_or_else(|| bad("the page address is not valid"))?;
            Some((at, WireItemId(id)))
        }
    };
    Ok(WireFilter {
        provider,
        language,
        status,
        since,
        text: (!text.trim().is_empty()).then(|| text.trim().chars().take(200).collect()),
        after,
        limit: PAGE_ROWS + 1,
    })
}

pub async fn desk(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(query): Query<DeskQuery>,
) -> Result<Response, AdminError> {
    signed.require(Action::UseWireDesk)?;
    let store = state.store.as_ref();
    let now = state.clock.now();
    let providers = store.providers().await?;
    let filter = filter_of(&query, &providers, now)?;
    let mut rows = store.wire_rows(&filter).await?;
    let more = rows.len() > PAGE_ROWS as usize;
    rows.truncate(PAGE_ROWS as usize);
    let next = more.then(|| {
        let last = rows.last().expect("a full page has a last row");
        let pairs = [
            ("provider", query.provider.trim().to_owned()),
            ("language", query.language.trim().to_owned()),
            ("status", query.status.trim().to_owned()),
            ("hours", query.hours.trim().to_owned()),
            ("q", query.q.trim().to_owned()),
            (
                "after",
                format!("{}.{}", last.sort_at.timestamp_millis(), last.id.0),
            ),
        ];
        SitePath::ADMIN_WIRE
            .with_query(pairs.into_iter().filter(|(_, v)| !v.is_empty()))
            .as_str()
            .to_owned()
    });
    // The same text from several agencies: one row, the first listed, naming the others.
    let mut hashes: Vec<String> = rows.iter().map(|r| r.text_hash.clone()).collect();
    hashes.sort();
    hashes.dedup();
    let senders = store.text_senders(&hashes).await?;
    let mut seen = std::collections::HashSet::new();
    let mut shown = Vec::new();
    for row in &rows {
        if !seen.insert(row.text_hash.clone()) {
            continue;
        }
        // Every other sender of the text: another provider, or this one again for another item.
        let mut also_from: Vec<String> = senders
            .iter()
            .filter(|c| c.text_hash == row.text_hash)
            .filter(|c| c.provider_code != row.provider_code || c.items > 1)
            .map(|c| c.provider_code.to_string())
            .collect();
        also_from.truncate(MAX_ALSO_FROM);
        shown.push(DeskRow {
            href: SitePath::admin_wire_item(row.id.0).into(),
            headline: row.headline.clone(),
            provider: row.provider_code.to_string(),
            rtl: dateline_domain::Language::parse(&row.language)
                .is_ok_and(|l| l.direction() == dateline_domain::TextDirection::Rtl),
            language: row.language.clone(),
            time: shown_time(&state, row.sort_at),
            badges: badges(&state, row, now),
            also_from,
        });
    }
    let provider_choices = providers
        .iter()
        .map(|p| Choice {
            value: p.code.to_string(),
            label: format!("{} — {}", p.code, p.name),
            selected: p.code.as_str().eq_ignore_ascii_case(query.provider.trim()),
        })
        .collect();
    let statuses = [
        ItemStatus::Usable,
        ItemStatus::Withheld,
        ItemStatus::Canceled,
    ]
    .into_iter()
    .map(|s| Choice {
        value: s.as_str().to_owned(),
        label: match s {
            ItemStatus::Usable => "Usable",
            ItemStatus::Withheld => "Withheld",
            ItemStatus::Canceled => "Killed",
        }
        .to_owned(),
        selected: s.as_str() == query.status.trim(),
    })
    .collect();
    DeskPage {
        alerts: alert_lines(&state, &signed).await?,
        layout: AdminLayout::new(&state, "Wire desk", Some(&signed)).at("wire"),
        rows: shown,
        providers: provider_choices,
        statuses,
        language: query.language.trim().to_owned(),
        hours: query.hours.trim().to_owned(),
        q: query.q.clone(),
        next,
        manages_providers: signed.user.may(Action::ManageWireProviders),
    }
    .respond(StatusCode::OK)
}

struct VersionLine {
    id: i64,
    label: String,
    status: &'static str,
    signal: &'static str,
    created: String,
    received: String,
    current: bool,
    shown: bool,
}

struct DiffPart {
    class: &'static str,
    text: String,
}

struct Built {
    href: String,
    id: i64,
}

#[derive(Template)]
#[template(path = "admin/wire_item.html")]
struct ItemPage {
    layout: AdminLayout,
    item_id: i64,
    agency_id: String,
    provider: String,
    badges: Vec<Badge>,
    versions: Vec<VersionLine>,
    shown: ShownVersion,
    sections: Vec<String>,
    diff: Option<(String, String, Vec<DiffPart>, Option<&'static str>)>,
    built: Vec<Built>,
    usable: bool,
}

struct ShownVersion {
    id: i64,
    label: String,
    headline: String,
    dateline: String,
    byline: String,
    standfirst: String,
    body_html: String,
    language: String,
    rtl: bool,
    link: String,
    keywords: String,
}

/// A version's name on the page: the agency's own number, or for a format without one (RSS)
/// its place among the item's versions, oldest first.
fn version_label(versions: &[dateline_domain::store::VersionInfo], id: WireVersionId) -> String {
    let Some(at) = versions.iter().position(|v| v.id == id) else {
        return String::new();
    };
    versions[at]
        .label
        .clone()
        .unwrap_or_else(|| (versions.len() - at).to_string())
}

#[derive(Debug, Default, Deserialize)]
pub struct ItemQuery {
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

fn version_id(raw: &str) -> Result<WireVersionId, AdminError> {
    raw.trim()
        .parse::<i64>()
        .map(WireVersionId)
        .map_err(|_| bad("that is not a version of this item"))
}

/// A version of `item`, or 404 (a version of another item is no version of this one).
async fn version_of(
    store: &dyn Store,
    item: WireItemId,
    id: WireVersionId,
) -> Result<StoredVersion, AdminError> {
    store
        .wire_version(id)
        .await?
        .filter(|v| v.item == item)
        .ok_or(AdminError::Service(ServiceError::NotFound))
}

pub async fn item(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<WireItemId>,
    Query(query): Query<ItemQuery>,
) -> Result<Response, AdminError> {
    signed.require(Action::UseWireDesk)?;
    let store = state.store.as_ref();
    let now = state.clock.now();
    let item = store
        .wire_item(id)
        .await?
        .ok_or(AdminError::Service(ServiceError::NotFound))?;
    let current = item
        .versions
        .iter()
        .find(|v| v.current)
        .or(item.versions.first())
        .map(|v| v.id)
        .ok_or(AdminError::Service(ServiceError::NotFound))?;
    let shown_id = match query.version.as_deref().filter(|v| !v.is_empty()) {
        Some(raw) => version_id(raw)?,
        None => current,
    };
    let shown = version_of(store, id, shown_id).await?;
    let diff = match (query.from.as_deref(), query.to.as_deref()) {
        (Some(from), Some(to)) if !from.is_empty() && !to.is_empty() => {
            let old = version_of(store, id, version_id(from)?).await?;
            let new = version_of(store, id, version_id(to)?).await?;
            let (old_id, new_id) = (old.info.id, new.info.id);
            let comparison: WordComparison = newsroom::compare_words(move || {
                (wire::comparable_text(&old), wire::comparable_text(&new))
            })
            .await?;
            let note = comparison.coarse.map(|_| {
                "The versions are too long or too different to compare word by word in time: the changed span is shown whole."
            });
            let parts = comparison
                .changes
                .into_iter()
                .map(|c| DiffPart {
                    class: match c.added {
                        None => "same",
                        Some(false) => "removed",
                        Some(true) => "added",
                    },
                    text: c.text,
                })
                .collect();
            Some((
                version_label(&item.versions, old_id),
                version_label(&item.versions, new_id),
                parts,
                note,
            ))
        }
        _ => None,
    };
    let versions: Vec<VersionLine> = item
        .versions
        .iter()
        .map(|v| VersionLine {
            id: v.id.0,
            label: version_label(&item.versions, v.id),
            status: match v.status {
                ItemStatus::Usable => "usable",
                ItemStatus::Withheld => "withheld",
                ItemStatus::Canceled => "killed",
            },
            signal: v.signal.as_str(),
            created: v
                .version_created
                .map(|t| shown_time(&state, t))
                .unwrap_or_default(),
            received: shown_time(&state, v.received_at),
            current: v.current,
            shown: v.id == shown_id,
        })
        .collect();
    let built = store
        .articles_built_on(id)
        .await?
        .into_iter()
        .map(|a| Built {
            href: SitePath::admin_article(a).into(),
            id: a.0,
        })
        .collect();
    let sections = store
        .sections()
        .await?
        .into_iter()
        .map(|s| s.name)
        .collect();
    let language = dateline_domain::Language::parse(&shown.language).ok();
    ItemPage {
        layout: AdminLayout::new(&state, &item.row.headline, Some(&signed)).at("wire"),
        item_id: id.0,
        agency_id: item.row.item_id.clone(),
        provider: item.row.provider_code.to_string(),
        badges: badges(&state, &item.row, now),
        versions,
        usable: shown.info.status == ItemStatus::Usable,
        shown: ShownVersion {
            id: shown.info.id.0,
            label: version_label(&item.versions, shown.info.id),
            headline: shown.info.headline.clone(),
            dateline: shown.dateline.clone().unwrap_or_default(),
            byline: shown.byline.clone().unwrap_or_default(),
            standfirst: shown.standfirst.clone(),
            body_html: shown.body_html.clone(),
            rtl: language.is_some_and(|l| l.direction() == dateline_domain::TextDirection::Rtl),
            language: shown.language.clone(),
            link: shown
                .link
                .clone()
                .filter(|l| l.starts_with("https://") || l.starts_with("http://"))
                .unwrap_or_default(),
            keywords: shown.keywords.join(", "),
        },
        sections,
        diff,
        built,
    }
    .respond(StatusCode::OK)
}

#[derive(Debug, Default, Deserialize)]
pub struct DraftForm {
    #[serde(default)]
    version: String,
    #[serde(default)]
    section: String,
}

pub async fn create_article(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<WireItemId>,
    CsrfForm(form): CsrfForm<DraftForm>,
) -> Result<Response, AdminError> {
    signed.require(Action::UseWireDesk)?;
    let store = state.store.as_ref();
    let version = version_of(store, id, version_id(&form.version)?).await?;
    let article = wire::draft_from_version(
        store,
        &signed.user,
        version.info.id,
        &form.section,
        state.clock.now(),
    )
    .await?;
    tracing::info!(user = %signed.user.id, item = %id, %article, "draft started from a wire item");
    Ok(Redirect::to(SitePath::admin_article(article).as_str()).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct SourceForm {
    #[serde(default)]
    version: String,
    /// The article's number, as the newsroom shows it.
    #[serde(default)]
    article: String,
}

/// "Add as source": one more agency version an article draws on.
pub async fn add_source(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<WireItemId>,
    CsrfForm(form): CsrfForm<SourceForm>,
) -> Result<Response, AdminError> {
    signed.require(Action::UseWireDesk)?;
    let store = state.store.as_ref();
    let version = version_of(store, id, version_id(&form.version)?).await?;
    let article = form
        .article
        .trim()
        .trim_start_matches('#')
        .parse::<i64>()
        .map(dateline_domain::ArticleId)
        .map_err(|_| bad("give the article's number, as the newsroom's list shows it"))?;
    wire::add_source(
        store,
        &signed.user,
        article,
        version.info.id,
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to(SitePath::admin_article(article).as_str()).into_response())
}

// Providers, for editors.

struct ProviderLine {
    href: String,
    code: String,
    name: String,
    kind: &'static str,
    state: String,
    last_success: String,
    last_error: String,
    today: u64,
}

#[derive(Template)]
#[template(path = "admin/wire_providers.html")]
struct ProvidersPage {
    layout: AdminLayout,
    providers: Vec<ProviderLine>,
    form: FormValues,
    errors: Vec<String>,
    kinds: Vec<(&'static str, &'static str)>,
}

/// A provider form's values as typed (credentials never echoed).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct FormValues {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    attribution: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    poll_interval_secs: String,
    #[serde(default)]
    kill_policy: String,
    #[serde(default, skip_serializing)]
    credentials: String,
}

impl FormValues {
    fn of(p: &Provider) -> Self {
        Self {
            code: p.code.to_string(),
            name: p.name.clone(),
            attribution: p.attribution.clone(),
            kind: p.kind.as_str().to_owned(),
            url: p.url.clone().unwrap_or_default(),
            language: p.language.clone(),
            poll_interval_secs: p.poll_interval_secs.to_string(),
            kill_policy: p.kill_policy.as_str().to_owned(),
            credentials: String::new(),
        }
    }

    fn form(&self) -> ProviderForm {
        ProviderForm {
            code: self.code.clone(),
            name: self.name.clone(),
            attribution: self.attribution.clone(),
            kind: self.kind.clone(),
            url: self.url.clone(),
            language: self.language.clone(),
            poll_interval_secs: self.poll_interval_secs.clone(),
            kill_policy: self.kill_policy.clone(),
            credentials: self.credentials.clone(),
        }
    }
}

/// The kinds a provider may have, as the form's choices: value and label.
fn kinds() -> Vec<(&'static str, &'static str)> {
    ProviderKind::ALL
        .into_iter()
        .map(|kind| (kind.as_str(), kind.label()))
        .collect()
}

fn provider_state(p: &Provider) -> String {
    if p.paused {
        format!("Paused after {} failed polls", p.health.failures)
    } else if !p.kind.polls() {
        "Files only".to_owned()
    } else if p.health.failures > 0 {
        format!("Failing ({} in a row)", p.health.failures)
    } else {
        format!("Polling every {} s", p.poll_interval_secs)
    }
}

async fn providers_page(
    state: &AppState,
    signed: &SignedIn,
    status: StatusCode,
    form: FormValues,
    errors: Vec<String>,
) -> Result<Response, AdminError> {
    let store = state.store.as_ref();
    let now = state.clock.now();
    let midnight = start_of_day(state, now);
    let mut providers = Vec::new();
    for p in store.providers().await? {
        providers.push(ProviderLine {
            href: SitePath::admin_wire_provider(p.id.0).into(),
            today: store.versions_received_since(p.id, midnight).await?,
            code: p.code.to_string(),
            name: p.name.clone(),
            kind: p.kind.label(),
            state: provider_state(&p),
            last_success: p
                .health
                .last_success_at
                .map(|t| shown_time(state, t))
                .unwrap_or_default(),
            last_error: p.health.last_error.clone().unwrap_or_default(),
        });
    }
    ProvidersPage {
        layout: AdminLayout::new(state, "Wire providers", Some(signed)).at("wire"),
        providers,
        form,
        errors,
        kinds: kinds(),
    }
    .respond(status)
}

pub async fn providers(
    State(state): State<AppState>,
    signed: SignedIn,
) -> Result<Response, AdminError> {
    signed.require(Action::ManageWireProviders)?;
    providers_page(
        &state,
        &signed,
        StatusCode::OK,
        FormValues::default(),
        vec![],
    )
    .await
}

pub async fn add_provider(
    State(state): State<AppState>,
    signed: SignedIn,
    CsrfForm(values): CsrfForm<FormValues>,
) -> Result<Response, AdminError> {
    signed.require(Action::ManageWireProviders)?;
    match wire::add_provider(state.store.as_ref(), &values.form(), state.clock.now()).await {
        Ok(provider) => {
            tracing::info!(user = %signed.user.id, provider = %provider.code, "wire provider added");
            Ok(IntoResponse::into_response(Redirect::to(
                SitePath::admin_wire_provider(provider.id.0).as_str(),
            )))
        }
        Err(ServiceError::Invalid(problems)) => {
            let errors = problems.iter().map(ToString::to_string).collect();
            let kept = FormValues {
                credentials: String::new(),
                ..values
            };
            providers_page(
                &state,
                &signed,
                StatusCode::UNPROCESSABLE_ENTITY,
                kept,
                errors,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

struct PayloadLine {
    origin: String,
    received: String,
    size: u64,
    format: &'static str,
    stored: u32,
    error: String,
}

#[derive(Template)]
#[template(path = "admin/wire_provider.html")]
struct ProviderPage {
    layout: AdminLayout,
    id: i64,
    code: String,
    state: String,
    paused: bool,
    /// Whether the server reads a feed for it.
    polls: bool,
    has_credentials: bool,
    last_error: String,
    form: FormValues,
    errors: Vec<String>,
    notice: Option<String>,
    kinds: Vec<(&'static str, &'static str)>,
    payloads: Vec<PayloadLine>,
    max_upload_mb: usize,
}

async fn provider_page(
    state: &AppState,
    signed: &SignedIn,
    id: ProviderId,
    status: StatusCode,
    form: Option<FormValues>,
    errors: Vec<String>,
    notice: Option<String>,
) -> Result<Response, AdminError> {
    let store = state.store.as_ref();
    let p = store
        .provider(id)
        .await?
        .ok_or(AdminError::Service(ServiceError::NotFound))?;
    let payloads = store
        .payloads(id, PAGE_PAYLOADS)
        .await?
        .into_iter()
        .map(|r| PayloadLine {
            origin: r.origin,
            received: shown_time(state, r.received_at),
            size: r.size,
            format: r.format.map_or("", |f| f.as_str()),
            stored: r.stored_versions,
            error: r.error.unwrap_or_default(),
        })
        .collect();
    ProviderPage {
        layout: AdminLayout::new(state, &format!("Provider {}", p.code), Some(signed)).at("wire"),
        id: id.0,
        code: p.code.to_string(),
        state: provider_state(&p),
        paused: p.paused,
        polls: p.kind.polls() && p.url.is_some(),
        has_credentials: p.has_credentials,
        last_error: p.health.last_error.clone().unwrap_or_default(),
        form: form.unwrap_or_else(|| FormValues::of(&p)),
        errors,
        notice,
        kinds: kinds(),
        payloads,
        max_upload_mb: wire::MAX_PAYLOAD_BYTES / (1024 * 1024),
    }
    .respond(status)
}

#[derive(Debug, Default, Deserialize)]
pub struct ProviderQuery {
    #[serde(default)]
    done: String,
}

pub async fn provider(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<ProviderId>,
    Query(query): Query<ProviderQuery>,
) -> Result<Response, AdminError> {
    signed.require(Action::ManageWireProviders)?;
    let notice = match query.done.as_str() {
        "saved" => Some("Saved.".to_owned()),
        "paused" => Some("Polling is paused.".to_owned()),
        "resumed" => Some("Polling resumed: the feed is read at once.".to_owned()),
        "polled" => {
            Some("The feed is read within a few seconds; reload to see what came.".to_owned())
        }
        _ => None,
    };
    provider_page(&state, &signed, id, StatusCode::OK, None, vec![], notice).await
}

pub async fn update_provider(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<ProviderId>,
    CsrfForm(values): CsrfForm<FormValues>,
) -> Result<Response, AdminError> {
    signed.require(Action::ManageWireProviders)?;
    match wire::update_provider(state.store.as_ref(), id, &values.form()).await {
        Ok(_) => Ok(IntoResponse::into_response(Redirect::to(
            SitePath::admin_wire_provider(id.0)
                .with_query([("done", "saved")])
                .as_str(),
        ))),
        Err(ServiceError::Invalid(problems)) => {
            let errors = problems.iter().map(ToString::to_string).collect();
            let kept = FormValues {
                credentials: String::new(),
                ..values
            };
            provider_page(
                &state,
                &signed,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(kept),
                errors,
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn set_paused(
    state: &AppState,
    signed: &SignedIn,
    id: ProviderId,
    paused: bool,
) -> Result<Response, AdminError> {
    signed.require(Action::ManageWireProviders)?;
    if !state.store.set_provider_paused(id, paused).await? {
        return Err(ServiceError::NotFound.into());
    }
    tracing::info!(user = %signed.user.id, provider = %id, paused, "wire provider polling changed");
    Ok(IntoResponse::into_response(Redirect::to(
        SitePath::admin_wire_provider(id.0)
            .with_query([("done", if paused { "paused" } else { "resumed" })])
            .as_str(),
    )))
}

pub async fn pause_provider(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<ProviderId>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, AdminError> {
    set_paused(&state, &signed, id, true).await
}

pub async fn resume_provider(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<ProviderId>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<Response, AdminError> {
    set_paused(&state, &signed, id, false).await
}

/// "Poll now": the provider is due at once, and the next round of polling (every few seconds,
/// on one node) reads its feed.
pub async fn poll_provider(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<ProviderId>,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, AdminError> {
    signed.require(Action::ManageWireProviders)?;
    let store = state.store.as_ref();
    store.provider(id).await?.ok_or(ServiceError::NotFound)?;
    if !store.poll_soon(id, state.clock.now()).await? {
        return Err(ServiceError::WrongState(
            "This provider has no feed to poll, or its polling is paused: resume it first."
                .to_owned(),
        )
        .into());
    }
    tracing::info!(user = %signed.user.id, provider = %id, "wire provider polled on request");
    Ok(IntoResponse::into_response(Redirect::to(
        SitePath::admin_wire_provider(id.0)
            .with_query([("done", "polled")])
            .as_str(),
    )))
}

/// Agency files received at once (each up to 16 MiB in memory until it is stored).
pub(crate) const CONCURRENT_UPLOADS: usize = 2;
/// How long an upload waits for a place before it is answered 503.
const UPLOAD_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

fn upload_too_large() -> AdminError {
    AdminError::TooLarge(format!(
        "The file is larger than {} MB, the most a payload may have. Nothing was stored.",
        wire::MAX_PAYLOAD_BYTES / (1024 * 1024)
    ))
}

pub async fn upload(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<ProviderId>,
    mut form: Multipart,
) -> Result<Response, AdminError> {
    // The role first, and a place among the few uploads received at once, before a byte of a
    // file up to 16 MiB is buffered.
    signed.require(Action::ManageWireProviders)?;
    let _receiving = tokio::time::timeout(UPLOAD_WAIT, state.wire_uploads.clone().acquire_owned())
        .await
        .ok()
        .and_then(Result::ok)
        .ok_or_else(|| ServiceError::Busy {
            message: "Other agency files are being uploaded; try again in a few seconds".to_owned(),
            retry_after: std::time::Duration::from_secs(5),
        })?;
    let mut csrf = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(upload_too_large()),
            Err(e) => {
                return Err(AdminError::BadRequest(format!(
                    "the upload could not be read ({e})"
                )));
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().unwrap_or("upload").to_owned();
        let bytes = match field.bytes().await {
            Ok(bytes) => bytes,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(upload_too_large()),
            Err(e) => {
                return Err(AdminError::BadRequest(format!(
                    "the upload could not be read ({e})"
                )));
            }
        };
        match name.as_str() {
            "csrf" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "file" => file = Some((file_name, bytes.to_vec())),
            _ => {}
        }
    }
    // The token is somewhere in the multipart stream: checked once it is read, before anything
    // is stored.
    signed.check_csrf(&csrf)?;
    let store = state.store.as_ref();
    let provider = store
        .provider(id)
        .await?
        .ok_or(AdminError::Service(ServiceError::NotFound))?;
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return provider_page(
            &state,
            &signed,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            vec!["Choose a file to upload.".to_owned()],
            None,
        )
        .await;
    };
    let origin = format!("upload by {}: {name}", signed.user.name);
    match wire::ingest_payload(store, &provider, &origin, &bytes, state.clock.now()).await {
        Ok(report) => {
            let notice = format!(
                "Read {name} as {}: {} versions, {}.",
                report.format.as_str(),
                report.read,
                report.what_it_stored(),
            );
            provider_page(
                &state,
                &signed,
                id,
                StatusCode::OK,
                None,
                vec![],
                Some(notice),
            )
            .await
        }
        Err(IngestError::TooLarge { .. }) => Err(upload_too_large()),
        Err(IngestError::Unreadable { reason, .. }) => {
            let error = format!(
                "{name} could not be read: {reason}. It is kept below with the reason; nothing else changed."
            );
            provider_page(
                &state,
                &signed,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                vec![error],
                None,
            )
            .await
        }
        Err(IngestError::Service(e)) => Err(e.into()),
    }
}

/// An alert's buttons: where the answer goes back to.
#[derive(Debug, Default, Deserialize)]
pub struct AlertForm {
    /// `article` from the article's editor; the desk otherwise.
    #[serde(default)]
    back: String,
}

impl AlertForm {
    fn back(&self, alert: &WireAlert) -> Response {
        let to: SitePath = if self.back == "article" {
            SitePath::admin_article(alert.article)
        } else {
            SitePath::ADMIN_WIRE
        };
        Redirect::to(to.as_str()).into_response()
    }
}

/// Marks an alert as dealt with.
pub async fn resolve_alert(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<AlertId>,
    CsrfForm(form): CsrfForm<AlertForm>,
) -> Result<Response, AdminError> {
    signed.require(Action::PublishAny)?;
    let store = state.store.as_ref();
    let alert = store.alert(id).await?.ok_or(ServiceError::NotFound)?;
    store
        .resolve_alert(id, signed.user.id, state.clock.now())
        .await?;
    Ok(form.back(&alert))
}

/// The one-click take-down of an article whose source the agency killed.
pub async fn take_down(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<AlertId>,
    CsrfForm(form): CsrfForm<AlertForm>,
) -> Result<Response, AdminError> {
    signed.require(Action::PublishAny)?;
    let store = state.store.as_ref();
    let alert = store
        .alert(id)
        .await?
        .filter(|a| a.kind == AlertKind::Killed && a.resolved_at.is_none())
        .ok_or(AdminError::Service(ServiceError::NotFound))?;
    let now = state.clock.now();
    let live = store
        .workflow(alert.article)
        .await?
        .is_some_and(|wf| wf.status == dateline_domain::ArticleStatus::Published);
    if live {
        newsroom::unpublish(store, &signed.user, alert.article, now).await?;
    }
    store.resolve_alert(id, signed.user.id, now).await?;
    tracing::warn!(user = %signed.user.id, article = %alert.article, "article taken down: its wire source was killed");
    Ok(form.back(&alert))
}
