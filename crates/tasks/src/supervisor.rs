//! The [`Supervisor`] that starts a node's tasks and stops them together, and the [`Stop`]
//! signal each task is given.
//!
//! A task is an async function given a stop signal ([`Supervisor::spawn`]). It waits for work
//! and for the signal together, and returns when the signal comes, between two pieces of work:
//! nothing is left half-done that the next start would not redo. A task that does not return
//! within the grace period given to [`Supervisor::shutdown`] is aborted, and named in the log.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;

/// The stop signal a task is given.
#[derive(Debug, Clone)]
pub struct Stop(watch::Receiver<bool>);

impl Stop {
    /// Completes when the task is to stop (at once if it already is). Can be awaited again.
    pub async fn wait(&mut self) {
        // The sender lives as long as the supervisor; if it is gone, stop too.
        let _ = self.0.wait_for(|stop| *stop).await;
    }

    /// Whether the task is to stop: for a task to look between two pieces of work. (With its
    /// supervisor gone, it is.)
    pub fn is_set(&self) -> bool {
        *self.0.borrow() || self.0.has_changed().is_err()
    }

    /// [`Stop::wait`] as a future that owns the signal, for tasks that take any future.
    pub async fn signalled(mut self) {
        self.wait().await;
    }

    /// A signal that never comes, for work run outside a supervisor (a tool, a test), which ends
    /// with its runtime.
    pub fn never() -> Self {
        static NEVER: OnceLock<watch::Sender<bool>> = OnceLock::new();
        Stop(NEVER.get_or_init(|| watch::Sender::new(false)).subscribe())
    }
}

/// Starts a node's background tasks and stops them together.
pub struct Supervisor {
    stop: watch::Sender<bool>,
    tasks: Mutex<Running>,
}

/// The tasks started, and their names by task id (to name those that must be aborted).
#[derive(Default)]
struct Running {
    set: JoinSet<&'static str>,
    names: HashMap<tokio::task::Id, &'static str>,
}

impl Default for Supervisor {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor")
            .field("tasks", &self.running())
            .finish()
    }
}

impl Supervisor {
    pub fn new() -> Self {
        Self {
            stop: watch::Sender::new(false),
            tasks: Mutex::default(),
        }
    }

    /// The signal the tasks are told to stop with.
    pub fn stop_signal(&self) -> Stop {
        Stop(self.stop.subscribe())
    }

    /// Runs `task(stop)` on the runtime as `name`. A task that ends before it is told to stop
    /// (it should not) is logged.
    pub fn spawn<F>(&self, name: &'static str, task: impl FnOnce(Stop) -> F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let work = task(self.stop_signal());
        let stop = self.stop.subscribe();
        let mut running = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        let handle = running.set.spawn(async move {
            work.await;
            if !*stop.borrow() {
                tracing::error!(task = name, "background task ended by itself");
            }
            name
        });
        running.names.insert(handle.id(), name);
        tracing::debug!(task = name, "background task started");
    }

    /// How many tasks are running.
    pub fn running(&self) -> usize {
        self.tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .set
            .len()
    }

    /// Tells every task to stop and waits up to `grace` for them to return; aborts the rest.
    /// Returns the names of the tasks that had to be aborted.
    pub async fn shutdown(&self, grace: Duration) -> Vec<&'static str> {
        self.stop.send_replace(true);
        let Running {
            set: mut tasks,
            names,
        } = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|e| e.into_inner()));
        let deadline = tokio::time::Instant::now() + grace;
        loop {
            match tokio::time::timeout_at(deadline, tasks.join_next()).await {
                Ok(Some(Ok(name))) => tracing::debug!(task = name, "background task stopped"),
                Ok(Some(Err(e))) => tracing::error!(error = %e, "background task failed"),
                Ok(None) => return Vec::new(),
                Err(_) => break,
            }
        }
        // Past the grace period: whatever is left is aborted, and said so.
        let mut aborted = Vec::new();
        tasks.abort_all();
        while let Some(done) = tasks.join_next_with_id().await {
            match done {
                // Finished between the deadline and the abort.
                Ok((_, name)) => tracing::debug!(task = name, "background task stopped"),
                Err(e) => {
                    let name = names.get(&e.id()).copied().unwrap_or("unnamed");
                    tracing::warn!(
                        task = name,
                        "background task did not stop within {grace:?}; aborted"
                    );
                    aborted.push(name);
                }
            }
        }
        aborted
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn tasks_stop_when_told_and_the_stubborn_are_aborted() {
        let supervisor = Supervisor::new();
        let finished = Arc::new(AtomicUsize::new(0));
        let done = finished.clone();
        supervisor.spawn("polite", move |stop| async move {
            stop.signalled().await;
            done.fetch_add(1, Ordering::SeqCst);
        });
        supervisor.spawn("stubborn", |_stop| async move {
            std::future::pending::<()>().await;
        });
        assert_eq!(supervisor.running(), 2);
        let aborted = supervisor.shutdown(Duration::from_millis(100)).await;
        assert_eq!(
            finished.load(Ordering::SeqCst),
            1,
            "the polite task returned"
        );
        assert_eq!(aborted.len(), 1, "the stubborn one was aborted");
        assert_eq!(supervisor.running(), 0);
    }

    #[tokio::test]
    async fn a_task_can_look_for_the_signal_between_pieces_of_work() {
        let supervisor = Supervisor::new();
        let mut stop = supervisor.stop_signal();
        assert!(!stop.is_set());
        assert!(supervisor.shutdown(Duration::from_secs(1)).await.is_empty());
        assert!(stop.is_set());
        stop.wait().await;
        stop.wait().await;
    }

    #[tokio::test]
    async fn the_never_signal_never_comes() {
        let mut never = Stop::never();
        assert!(!never.is_set());
        let waited = tokio::time::timeout(Duration::from_millis(20), never.wait()).await;
        assert!(waited.is_err(), "it did not come");
    }
}
