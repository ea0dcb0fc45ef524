//! `dateline serve`: open and migrate the database, set up the publication if it is new, and
//! answer HTTP until told to stop.

use std::sync::Arc;

use anyhow::Context;
use dateline_domain::{Clock, SystemClock};
use dateline_services::demo;
use dateline_web::AppState;

use crate::config::ServeConfig;

pub async fn serve(config: ServeConfig<'_>) -> anyhow::Result<()> {
    // Bind first: a port in use is the most common mistake, and the cheapest to report.
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("cannot listen on {}", config.addr))?;
    let store = config.base.open_store().await?;
    let applied = store.migrate().await.context("while migrating")?;
    if applied > 0 {
        tracing::info!(applied, database = %config.base.database, "database migrated");
    }
    let clock = Arc::new(SystemClock);
    let site = demo::set_up_publication(&store, clock.now(), config.demo)
        .await
        .context("while setting up the publication")?;
    let search = crate::search::start(&store, &config.base.data_dir).await?;
    let state = AppState::new(Arc::new(store.clone()), clock.clone(), site)
        .with_media_dir(config.base.data_dir.join("media"))
        .with_search(search, config.related)
        .with_trusted_proxies(config.trusted_proxies.clone());
    state.page_cache().set_limit(config.page_cache_bytes);
    // Scheduled publishing: catches up at once on anything that fell due while stopped.
    let scheduler = tokio::spawn(dateline_services::newsroom::run_scheduler(
        state.store.clone(),
        clock,
    ));
    tracing::info!("serving {} at http://{}", state.site().name, config.addr);
    dateline_web::serve(listener, state, shutdown_signal())
        .await
        .context("while serving")?;
    scheduler.abort();
    store.close().await;
    Ok(())
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
