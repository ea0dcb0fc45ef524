//! Change notifications between nodes sharing one PostgreSQL database (LISTEN/NOTIFY).
//!
//! Every write commits a NOTIFY on [`CHANGES_CHANNEL`] naming its node and the cache keys it
//! touched. Each node listens, skips its own notices (its observers heard them at commit), and
//! tells its observers about the others'. A lost connection may have lost notices, so after a
//! reconnect observers are told that everything changed.

use std::future::Future;
use std::time::Duration;

use dateline_domain::ContentChange;
use sqlx::postgres::PgListener;

use crate::sql::CHANGES_CHANNEL;
use crate::{Backend, SqlStore};

impl SqlStore {
    /// Subscribes to other nodes' changes (PostgreSQL only; SQLite has one node) and returns
    /// the task that hears them, to run until `stop` completes. Returns once the listener is
    /// subscribed, so no later change can be missed.
    pub async fn listen_for_changes(
        &self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> Result<Option<impl Future<Output = ()> + Send + 'static>, sqlx::Error> {
        if self.backend() != Backend::Postgres {
            return Ok(None);
        }
        let mut listener = PgListener::connect(self.url().as_sqlx_url()).await?;
        listener.listen(CHANGES_CHANNEL).await?;
        let store = self.clone();
        Ok(Some(async move {
            tokio::pin!(stop);
            loop {
                let heard = tokio::select! {
                    () = &mut stop => return,
                    heard = listener.try_recv() => heard,
                };
                match heard {
                    Ok(Some(notice)) => store.receive(notice.payload()),
                    // The connection dropped and was re-established: notices may be lost.
                    Ok(None) => store.announce(&ContentChange::everything()),
                    Err(e) => {
                        tracing::warn!(error = %e, "change listener lost its connection; retrying");
                        store.announce(&ContentChange::everything());
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        }))
    }

    fn receive(&self, payload: &str) {
        let (node, keys) = payload.split_once(' ').unwrap_or((payload, ""));
        if node.parse::<u64>().ok() == Some(self.node()) {
            return;
        }
        self.announce(&ContentChange::decode(keys));
    }
}
