//! `dateline serve`: open and migrate the database, set up the publication if it is new, start
//! the background tasks under one supervisor, and answer HTTP until told to stop (SIGTERM or
//! Ctrl-C): then stop accepting, let requests in flight finish, stop the tasks and close the
//! database.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use dateline_domain::{BaseUrl, Clock, SystemClock};
use dateline_search::SearchEngine;
use dateline_services::demo;
use dateline_services::tasks::Supervisor;
use dateline_store::SqlStore;
use dateline_web::metrics::PoolUse;
use dateline_web::{AppState, ServeLimits};
use tokio::net::TcpListener;

use crate::config::ServeConfig;

/// How long background tasks are given to stop on shutdown, once requests have finished.
const TASK_GRACE: Duration = Duration::from_secs(10);

/// File descriptors kept back from connections: the database pool, the search index, uploaded
/// media being read, log files, and connections being turned away.
const FD_RESERVE: u64 = 256;

pub async fn serve(config: ServeConfig<'_>) -> anyhow::Result<()> {
    let limits = ServeLimits {
        max_connections: connection_limit(config.max_connections, raise_open_file_limit()),
        ..ServeLimits::default()
    };
    // Bind first: a port in use is the most common mistake, and the cheapest to report.
    let listener = dateline_web::listen(config.addr)
        .with_context(|| format!("cannot listen on {}", config.addr))?;
    let metrics_listener = bind_metrics(config.metrics_addr).await?;
    let store = config.base.open_store().await?;
    let applied = store.migrate().await.context("while migrating")?;
    if applied > 0 {
        tracing::info!(applied, database = %config.base.database, "database migrated");
    }
    let clock = Arc::new(SystemClock);
    let site = demo::set_up_publication(&store, clock.now(), config.demo)
        .await
        .context("while setting up the publication")?;
    let tasks = Supervisor::new();
    // Other nodes' changes reach the page cache, the navigation, the settings and search alike,
    // with or without search. Subscribed before the search index compares its fingerprint, so
    // no change can fall between the two; heard once the listener runs, below.
    let changes = store
        .listen_for_changes(tasks.stop_signal().signalled())
        .await
        .context("while listening for other nodes' changes")?;
    let search = crate::search::open(&store, &config.base.data_dir).await?;
    let listening = BaseUrl::listening_on(listener.local_addr().unwrap_or(config.addr));
    let state = AppState::new(Arc::new(store.clone()), clock.clone(), site)
        .with_base_url(config.base_url.clone(), listening)
        .with_media_dir(config.base.data_dir.join("media"))
        .with_search(search.clone(), config.related)
        .with_trusted_proxies(config.trusted_proxies.clone());
    state.page_cache().set_limit(config.page_cache_bytes);
    if let Some(changes) = changes {
        tasks.spawn("change listener", |_| changes);
    }
    tasks.spawn("search index", |stop| {
        SearchEngine::clone(&search).keep_current(stop)
    });
    if let Some(related) = state.related_lists() {
        tasks.spawn("related lists", |stop| related.run(stop));
    }
    // Polling the wire providers' feeds; with several nodes each poll is claimed by one.
    let poller = dateline_services::wire_poll::Poller::new(
        state.store.clone(),
        dateline_services::wire_poll::PollSettings::default(),
    )
    .context("while setting up wire polling")?;
    let poll_clock: Arc<dyn Clock> = clock.clone();
    tasks.spawn("wire polling", |stop| poller.run(poll_clock, stop));
    // Scheduled publishing: catches up at once on anything that fell due while stopped.
    let scheduler_store = state.store.clone();
    tasks.spawn("scheduled publishing", |stop| {
        dateline_services::newsroom::run_scheduler(scheduler_store, clock, stop)
    });
    serve_metrics(metrics_listener, &state, &store, &search, &tasks);
    tracing::info!(
        "serving {} at http://{}, linked as {}",
        state.site().name,
        config.addr,
        state.site().base_url
    );
    let served = dateline_web::serve_with(listener, state, shutdown_signal(), limits).await;
    // Stopped accepting and drained (or the listener failed): stop the tasks, then the database.
    let aborted = tasks.shutdown(TASK_GRACE).await;
    store.close().await;
    served.context("while serving")?;
    tracing::info!(aborted = aborted.len(), "stopped");
    Ok(())
}

/// Binds the metrics' own address, when one is configured: early, like the site's, so a port in
/// use is reported before anything else is done.
async fn bind_metrics(addr: Option<SocketAddr>) -> anyhow::Result<Option<TcpListener>> {
    let Some(addr) = addr else {
        return Ok(None);
    };
    let listener = dateline_web::listen(addr)
        .with_context(|| format!("cannot listen on {addr} for metrics"))?;
    Ok(Some(listener))
}

/// Serves `/metrics` on `listener` (when there is one) until the task is aborted, reading the
/// search index's queue and the database pool at each scrape.
fn serve_metrics(
    listener: Option<TcpListener>,
    state: &AppState,
    store: &SqlStore,
    search: &Arc<SearchEngine>,
    tasks: &Supervisor,
) {
    let Some(listener) = listener else {
        return;
    };
    let engine = search.clone();
    state.metrics().read_search_queue(move || engine.queued());
    let store = store.clone();
    state.metrics().read_database_pool(move || {
        let pool = store.pool();
        PoolUse {
            open: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
        }
    });
    if let Ok(addr) = listener.local_addr() {
        tracing::info!("metrics at http://{addr}/metrics");
    }
    let state = state.clone();
    tasks.spawn("metrics listener", |stop| async move {
        if let Err(e) = dateline_web::serve_metrics(listener, state, stop.signalled()).await {
            tracing::error!(error = %e, "the metrics listener stopped");
        }
    });
}

/// Raises the soft limit on open files to the hard limit, and returns the limit in force.
fn raise_open_file_limit() -> Option<u64> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => Some(limit),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read or raise the open-file limit");
            None
        }
    }
}

/// `configured`, lowered so the connections leave [`FD_RESERVE`] descriptors of `open_files`
/// for everything else.
fn connection_limit(configured: usize, open_files: Option<u64>) -> usize {
    let Some(open_files) = open_files else {
        return configured;
    };
    let room = usize::try_from(open_files.saturating_sub(FD_RESERVE).max(1)).unwrap_or(usize::MAX);
    if room < configured {
        tracing::warn!(
            configured,
            open_files,
            serving = room,
            "the open-file limit allows fewer connections than configured"
        );
    }
    configured.min(room)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_leave_file_descriptors_for_everything_else() {
        assert_eq!(connection_limit(1024, Some(1024)), 1024 - 256);
        assert_eq!(connection_limit(100, Some(1024)), 100);
        assert_eq!(connection_limit(1024, Some(100)), 1);
        assert_eq!(connection_limit(1024, None), 1024);
    }
}
