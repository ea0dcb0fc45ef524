//! Polling the agencies' feeds from `dateline serve`.
//!
//! Every few seconds the poller looks for providers that poll (rss, ninjs, newsml-g2), are not
//! paused and are due, and polls a few of them at once. A poll is claimed first
//! ([`WireStore::claim_poll`](dateline_domain::WireStore::claim_poll): one conditional update,
//! atomic on SQLite and PostgreSQL alike), so with several nodes on one database exactly one of
//! them polls a provider at a time, and a node that dies mid-poll only delays the next one.
//!
//! A poll is a conditional GET (`If-None-Match`, `If-Modified-Since` from the last answer) with
//! bounded time and size; a `200` is a payload for [`wire::ingest_payload`] (kept, read,
//! stored), a `304` is a success with nothing new. A failure — an error status, a timeout, a
//! refused connection, an answer too large or unreadable — is recorded on the provider with its
//! reason, the next poll backs off exponentially, and after [`PollSettings::pause_after`]
//! failures in a row polling stops until an editor resumes it.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use dateline_domain::store::PollResult;
use dateline_domain::wire::{Provider, ProviderId};
use dateline_domain::{Clock, Store};
use dateline_tasks::Stop;

use crate::error::ServiceError;
use crate::wire::{self, IngestError, IngestReport};

/// How polling is bounded.
#[derive(Debug, Clone)]
pub struct PollSettings {
    /// How long to wait for a connection.
    pub connect_timeout: Duration,
    /// How long a whole answer may take, body included.
    pub answer_timeout: Duration,
    /// Providers polled at once.
    pub concurrent: usize,
    /// Failures in a row after which polling pauses.
    pub pause_after: u32,
    /// The longest back-off between two failing polls.
    pub max_backoff: Duration,
    /// How often the poller looks for providers that are due.
    pub tick: Duration,
}

impl Default for PollSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            answer_timeout: Duration::from_secs(30),
            concurrent: 4,
            pause_after: 10,
            max_backoff: Duration::from_secs(3600),
            tick: Duration::from_secs(5),
        }
    }
}

/// What one poll gave.
#[derive(Debug)]
pub enum PollOutcome {
    /// The feed has not changed since the last poll (304).
    NotModified,
    /// The feed answered; what its payload gave.
    Read(Box<IngestReport>),
    /// The poll failed, for the reason given; `paused` when polling stopped because of it.
    Failed { reason: String, paused: bool },
}

/// Polls providers' feeds.
#[derive(Clone)]
pub struct Poller {
    store: Arc<dyn Store>,
    client: reqwest::Client,
    settings: PollSettings,
}

impl Poller {
    pub fn new(store: Arc<dyn Store>, settings: PollSettings) -> Result<Self, ServiceError> {
        let client = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.answer_timeout)
            .redirect(reqwest::redirect::Policy::limited(5))
            .user_agent(concat!(
                "Dateline/",
                env!("CARGO_PKG_VERSION"),
                " (wire desk)"
            ))
            .build()
            .map_err(|e| ServiceError::internal("cannot set up the feed client", e))?;
        Ok(Self {
            store,
            client,
            settings,
        })
    }

    /// Polls what is due every [`PollSettings::tick`] until `stop`.
    pub async fn run(self, clock: Arc<dyn Clock>, mut stop: Stop) {
        loop {
            if let Err(e) = self.poll_due(clock.now()).await {
                tracing::warn!(error = %crate::Chain(&e), "wire polling could not read its providers");
            }
            tokio::select! {
                () = tokio::time::sleep(self.settings.tick) => {}
                () = stop.wait() => return,
            }
        }
    }

    /// Polls every provider that is due at `now`, a few at once; each provider's outcome.
    pub async fn poll_due(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<(ProviderId, PollOutcome)>, ServiceError> {
        let due: Vec<Provider> = self
            .store
            .providers()
            .await?
            .into_iter()
            .filter(|p| p.kind.polls() && !p.paused && p.url.is_some())
            .filter(|p| p.health.next_poll_at.is_none_or(|at| at <= now))
            .collect();
        let mut outcomes = Vec::new();
        for batch in due.chunks(self.settings.concurrent.max(1)) {
            let mut polls = tokio::task::JoinSet::new();
            for provider in batch {
                let (poller, provider) = (self.clone(), provider.clone());
                polls.spawn(async move {
                    let outcome = poller.poll_claimed(&provider, now).await;
                    (provider.id, outcome)
                });
            }
            while let Some(joined) = polls.join_next().await {
                match joined {
                    Ok((id, Ok(Some(outcome)))) => outcomes.push((id, outcome)),
                    Ok((_, Ok(None))) => {}
                    Ok((id, Err(e))) => {
                        tracing::warn!(provider = %id, error = %crate::Chain(&e), "wire poll could not be recorded");
                    }
                    Err(e) => tracing::error!(error = %e, "a wire poll stopped"),
                }
            }
        }
        Ok(outcomes)
    }

    /// Polls `provider` now if no other node has claimed it; `None` when another did.
    async fn poll_claimed(
        &self,
        provider: &Provider,
        now: DateTime<Utc>,
    ) -> Result<Option<PollOutcome>, ServiceError> {
        let hold = now
            + chrono::Duration::from_std(self.settings.answer_timeout * 2)
                .unwrap_or(chrono::Duration::minutes(1));
        if !self.store.claim_poll(provider.id, now, hold).await? {
            return Ok(None);
        }
        self.poll(provider, now).await.map(Some)
    }

    /// Polls `provider` at once, whatever its schedule (an editor's "poll now").
    pub async fn poll_now(
        &self,
        id: ProviderId,
        now: DateTime<Utc>,
    ) -> Result<PollOutcome, ServiceError> {
        let provider = self
            .store
            .provider(id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if !provider.kind.polls() || provider.url.is_none() {
            return Err(ServiceError::WrongState(
                "This provider has no feed to poll: it takes files only.".to_owned(),
            ));
        }
        self.poll(&provider, now).await
    }

    async fn poll(
        &self,
        provider: &Provider,
        now: DateTime<Utc>,
    ) -> Result<PollOutcome, ServiceError> {
        let interval = Duration::from_secs(u64::from(provider.poll_interval_secs));
        let fetched = self.fetch(provider).await;
        let (result, outcome) = match fetched {
            Ok(Fetched::NotModified) => (
                PollResult::Success {
                    etag: provider.health.etag.clone(),
                    last_modified: provider.health.last_modified.clone(),
                },
                PollOutcome::NotModified,
            ),
            Ok(Fetched::Body {
                bytes,
                etag,
                last_modified,
            }) => {
                let url = provider.url.as_deref().unwrap_or_default();
                match wire::ingest_payload(self.store.as_ref(), provider, url, &bytes, now).await {
                    Ok(report) => (
                        PollResult::Success {
                            etag,
                            last_modified,
                        },
                        PollOutcome::Read(Box::new(report)),
                    ),
                    Err(IngestError::Service(e)) => return Err(e),
                    Err(e) => {
                        let reason = e.to_string();
                        self.failure(provider, reason)
                    }
                }
            }
            Err(reason) => self.failure(provider, reason),
        };
        let next = match &result {
            PollResult::Success { .. } => interval,
            PollResult::Failure { .. } => self.backoff(interval, provider.health.failures + 1),
        };
        let next_at = now + chrono::Duration::from_std(next).unwrap_or(chrono::Duration::hours(1));
        if let PollResult::Failure { error, pause } = &result {
            if provider.health.failures == 0 || *pause {
                tracing::warn!(provider = %provider.code, error = %error, paused = pause, "wire poll failed");
            }
        } else if provider.health.failures > 0 {
            tracing::info!(provider = %provider.code, "wire polling works again");
        }
        self.store
            .record_poll(provider.id, &result, now, next_at)
            .await?;
        Ok(outcome)
    }

    fn failure(&self, provider: &Provider, reason: String) -> (PollResult, PollOutcome) {
        let paused = provider.health.failures + 1 >= self.settings.pause_after;
        (
            PollResult::Failure {
                error: reason.clone(),
                pause: paused,
            },
            PollOutcome::Failed { reason, paused },
        )
    }

    /// The wait after the `failures`-th failure in a row: the interval doubled each time, at most
    /// [`PollSettings::max_backoff`].
    fn backoff(&self, interval: Duration, failures: u32) -> Duration {
        let factor = 1u32 << failures.min(16);
        interval
            .saturating_mul(factor)
            .min(self.settings.max_backoff.max(interval))
    }

    async fn fetch(&self, provider: &Provider) -> Result<Fetched, String> {
        let url = provider.url.as_deref().ok_or("no feed address")?;
        let mut request = self.client.get(url);
        if let Some(etag) = &provider.health.etag {
            request = request.header(reqwest::header::IF_NONE_MATCH, etag);
        }
        if let Some(modified) = &provider.health.last_modified {
            request = request.header(reqwest::header::IF_MODIFIED_SINCE, modified);
        }
        if let Some(credentials) = self
            .store
            .provider_credentials(provider.id)
            .await
            .map_err(|_| "cannot read the provider's credentials".to_owned())?
        {
            request = match credentials.split_once(':') {
                Some((user, password)) => request.basic_auth(user, Some(password)),
                None => request.bearer_auth(credentials),
            };
        }
        let mut response = request.send().await.map_err(|e| self.describe(&e))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if !status.is_success() {
            return Err(format!("the feed answered HTTP {}", status.as_u16()));
        }
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let etag = header(reqwest::header::ETAG);
        let last_modified = header(reqwest::header::LAST_MODIFIED);
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.describe(&e))? {
            if bytes.len() + chunk.len() > wire::MAX_PAYLOAD_BYTES {
                return Err(format!(
                    "the feed's answer is larger than {} MiB",
                    wire::MAX_PAYLOAD_BYTES / (1024 * 1024)
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Fetched::Body {
            bytes,
            etag,
            last_modified,
        })
    }

    /// A failed request in one line, without the address (which the provider's page shows).
    fn describe(&self, e: &reqwest::Error) -> String {
        if e.is_timeout() {
            format!(
                "no answer within {} s",
                self.settings.answer_timeout.as_secs_f64()
            )
        } else if e.is_connect() {
            "cannot connect to the feed's server".to_owned()
        } else if e.is_redirect() {
            "too many redirects".to_owned()
        } else {
            "the feed's answer could not be read".to_owned()
        }
    }
}

enum Fetched {
    NotModified,
    Body {
        bytes: Vec<u8>,
        etag: Option<String>,
        last_modified: Option<String>,
    },
}
