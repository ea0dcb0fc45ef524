//! One worker type for "hear about work, queue it, do it": the search index's upkeep, the
//! related lists, and the wire desk's pollers to come.
//!
//! - **Queue.** Work is keyed ([`Job::Key`], an article id, say) and deduplicated: work queued
//!   again under a key that is still waiting is merged into it ([`Job::merge`]), so the queue
//!   never holds more than one entry per key. Work that must be done is *pushed* and always
//!   queued; work that may be skipped (a page asking for a list nobody computed yet, a poll that
//!   will be made again) is *offered*, and refused once [`Settings::capacity`] offered entries
//!   wait. Entries come out in key order.
//! - **Batches.** The worker hands out up to [`Settings::batch`] entries at a time to
//!   [`Job::work`], which may queue more work as it goes.
//! - **Failures.** A batch that fails is logged with the worker's name; then, as
//!   [`Settings::retry`] says, dropped ([`Retry::Never`]) or queued again after a pause
//!   ([`Retry::After`]), merged with whatever was queued under its keys meanwhile.
//! - **Stop.** [`Worker::run`] returns when its [`Stop`] signal comes, after the batch in hand:
//!   what is still queued is abandoned. Every job here is derived from the database and redone
//!   from it (the search index compares its fingerprint at start-up; a list is recomputed when
//!   its article next changes or is read without one).
//! - **Waiting.** [`Worker::caught_up`] waits for the work pushed before it was called (a search
//!   waits for the updates queued before it); [`Worker::settled`] for the worker to have nothing
//!   left to do. Work queued again after a failure holds neither back.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{Debug, Display};
use std::future::Future;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use dateline_domain::{ChangeObserver, ContentChange};
use tokio::sync::{Notify, watch};

use crate::Stop;

/// One kind of background work: what is queued, and what is done with a batch of it.
pub trait Job: Send + Sync + Sized + 'static {
    /// What a queue entry is keyed by: two pieces of work under one key are one.
    type Key: Ord + Clone + Debug + Send + Sync + 'static;
    /// What goes with a key: why it is queued (`()` when nothing does).
    type Value: Clone + Send + Sync + 'static;
    /// Why a batch failed, for the log.
    type Error: Display + Send;

    /// Folds `new`, queued under a key already waiting, into the `queued` value. By default the
    /// newer value wins.
    fn merge(queued: &mut Self::Value, new: Self::Value) {
        *queued = new;
    }

    /// The work a committed change asks for, pushed by the observer [`Worker::observer`] gives
    /// the store. None by default: a job fed otherwise (a poller) ignores changes.
    fn heard(&self, change: &ContentChange) -> Vec<(Self::Key, Self::Value)> {
        let _ = change;
        Vec::new()
    }

    /// Does one batch, in key order; may queue more work on `worker`. An error fails the whole
    /// batch (see [`Settings::retry`]).
    fn work(
        &self,
        batch: Vec<(Self::Key, Self::Value)>,
        worker: &Worker<Self>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// What becomes of a batch that fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// It is logged and dropped: the next change or request asks again.
    Never,
    /// It is logged and queued again, and the worker pauses this long before its next batch.
    After(Duration),
}

/// How a worker queues and works.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Names the worker in the log.
    pub name: &'static str,
    /// Most entries given to one [`Job::work`] (at least one).
    pub batch: usize,
    /// Most offered entries waiting at once ([`Worker::offer`]); pushed work is not counted and
    /// never refused.
    pub capacity: usize,
    pub retry: Retry,
}

/// One waiting piece of work.
struct Entry<V> {
    value: V,
    /// The number of the first push still waiting for it; `None` when only queued again after
    /// a failure, which nobody waits for.
    since: Option<u64>,
    /// Queued by offer only: counted against the capacity.
    offered: bool,
}

/// A bounded, deduplicating queue of keyed work, in key order: a [`Worker`]'s, or one to test a
/// job's queueing with. Not synchronised; the worker keeps it behind a lock.
pub struct Queue<K, V> {
    entries: BTreeMap<K, Entry<V>>,
    merge: fn(&mut V, V),
    capacity: usize,
    offered: usize,
    /// Pushes so far: the number of the last one.
    pushed: u64,
    /// The `since` of every waiting entry that has one.
    waited_for: BTreeSet<u64>,
}

impl<K: Ord, V> Queue<K, V> {
    /// An empty queue holding at most `capacity` offered entries, merging a value queued under a
    /// waiting key with `merge`.
    pub fn new(capacity: usize, merge: fn(&mut V, V)) -> Self {
        Self {
            entries: BTreeMap::new(),
            merge,
            capacity,
            offered: 0,
            pushed: 0,
            waited_for: BTreeSet::new(),
        }
    }

    /// Queues work that must be done.
    pub fn push(&mut self, key: K, value: V) {
        self.pushed += 1;
        self.insert(key, value, Some(self.pushed), false);
    }

    /// Queues work nobody waits for ([`Worker::caught_up`] does not): a build in the background,
    /// a failed batch tried again.
    pub fn push_unawaited(&mut self, key: K, value: V) {
        self.insert(key, value, None, false);
    }

    /// Queues work that may be skipped, unless `capacity` offered entries already wait (work
    /// under a waiting key is always merged). Whether it was queued.
    pub fn offer(&mut self, key: K, value: V) -> bool {
        if self.offered >= self.capacity && !self.entries.contains_key(&key) {
            return false;
        }
        self.pushed += 1;
        self.insert(key, value, Some(self.pushed), true);
        true
    }

    fn insert(&mut self, key: K, value: V, since: Option<u64>, offered: bool) {
        match self.entries.entry(key) {
            std::collections::btree_map::Entry::Vacant(slot) => {
                self.offered += usize::from(offered);
                self.waited_for.extend(since);
                slot.insert(Entry {
                    value,
                    since,
                    offered,
                });
            }
            std::collections::btree_map::Entry::Occupied(mut slot) => {
                let entry = slot.get_mut();
                (self.merge)(&mut entry.value, value);
                if entry.since.is_none() {
                    entry.since = since;
                    self.waited_for.extend(since);
                }
                if entry.offered && !offered {
                    entry.offered = false;
                    self.offered -= 1;
                }
            }
        }
    }

    /// Takes the first entry in key order.
    pub fn pop(&mut self) -> Option<(K, V)> {
        let (key, entry) = self.entries.pop_first()?;
        self.offered -= usize::from(entry.offered);
        if let Some(since) = entry.since {
            self.waited_for.remove(&since);
        }
        Some((key, entry.value))
    }

    /// How many entries wait.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many of the waiting entries were only offered.
    pub fn offered(&self) -> usize {
        self.offered
    }

    /// The last push such that it and every push before it are no longer waiting (done, being
    /// done, or failed).
    fn left_up_to(&self) -> u64 {
        self.waited_for
            .first()
            .map_or(self.pushed, |first| first - 1)
    }
}

/// Hears background work, queues it and does it: see the [module](self) documentation. Shared as
/// an `Arc`; [`Worker::run`] is its task.
pub struct Worker<J: Job> {
    job: J,
    settings: Settings,
    queue: Mutex<Queue<J::Key, J::Value>>,
    wake: Notify,
    /// The last push whose work is done (or failed), with every push before it.
    done: watch::Sender<u64>,
    /// `true` while nothing is queued or being worked on.
    idle: watch::Sender<bool>,
}

impl<J: Job> Worker<J> {
    pub fn new(job: J, settings: Settings) -> Arc<Self> {
        Arc::new(Self {
            job,
            settings,
            queue: Mutex::new(Queue::new(settings.capacity, J::merge)),
            wake: Notify::new(),
            done: watch::Sender::new(0),
            idle: watch::Sender::new(true),
        })
    }

    pub fn job(&self) -> &J {
        &self.job
    }

    /// An observer for the store ([`dateline_domain::Store::add_change_observer`]) that pushes
    /// the work each committed change asks for ([`Job::heard`]). It holds the worker weakly: a
    /// worker dropped stops hearing.
    pub fn observer(self: &Arc<Self>) -> Arc<dyn ChangeObserver> {
        Arc::new(Hearing(Arc::downgrade(self)))
    }

    /// Queues work that must be done.
    pub fn push(&self, items: impl IntoIterator<Item = (J::Key, J::Value)>) {
        self.enqueue(|queue| {
            for (key, value) in items {
                queue.push(key, value);
            }
        });
    }

    /// Queues work that [`Worker::caught_up`] does not wait for: a build in the background.
    pub fn push_unawaited(&self, items: impl IntoIterator<Item = (J::Key, J::Value)>) {
        self.enqueue(|queue| {
            for (key, value) in items {
                queue.push_unawaited(key, value);
            }
        });
    }

    /// Queues work that may be skipped, as far as [`Settings::capacity`] allows. How many of the
    /// items were queued.
    pub fn offer(&self, items: impl IntoIterator<Item = (J::Key, J::Value)>) -> usize {
        let mut queued = 0;
        self.enqueue(|queue| {
            for (key, value) in items {
                queued += usize::from(queue.offer(key, value));
            }
        });
        queued
    }

    fn enqueue(&self, add: impl FnOnce(&mut Queue<J::Key, J::Value>)) {
        let mut queue = self.lock();
        add(&mut queue);
        if !queue.is_empty() {
            self.idle.send_replace(false);
            self.wake.notify_one();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue<J::Key, J::Value>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many entries wait (not counting a batch being worked on): the queue-length gauge of
    /// `/metrics`.
    pub fn queued(&self) -> usize {
        self.lock().len()
    }

    /// Waits until the work pushed before this call is done (or has failed). Callers bound the
    /// wait themselves: a worker that is not running never gets there.
    pub async fn caught_up(&self) {
        let target = self.lock().pushed;
        let mut done = self.done.subscribe();
        // The sender lives in `self`, so the channel cannot close while we wait.
        let _ = done.wait_for(|done| *done >= target).await;
    }

    /// Waits until nothing is queued or being worked on, including work queued meanwhile.
    pub async fn settled(&self) {
        let mut idle = self.idle.subscribe();
        let _ = idle.wait_for(|idle| *idle).await;
    }

    /// Records how far the work is done, as the queue now stands.
    fn mark_done(&self, queue: &Queue<J::Key, J::Value>) {
        let left = queue.left_up_to();
        self.done.send_if_modified(|done| {
            let forward = left > *done;
            *done = (*done).max(left);
            forward
        });
    }

    /// The next batch; none (and idle) when nothing waits.
    fn take(&self) -> Vec<(J::Key, J::Value)> {
        let mut queue = self.lock();
        let mut batch = Vec::new();
        while batch.len() < self.settings.batch.max(1) {
            let Some(item) = queue.pop() else { break };
            batch.push(item);
        }
        if batch.is_empty() {
            self.mark_done(&queue);
            self.idle.send_replace(true);
        }
        batch
    }

    /// After a batch: queues `again` what failed and is to be retried, and lets go the waiters
    /// on the batch either way.
    fn finish(&self, again: Option<Vec<(J::Key, J::Value)>>) {
        let mut queue = self.lock();
        for (key, value) in again.into_iter().flatten() {
            queue.push_unawaited(key, value);
        }
        self.mark_done(&queue);
    }

    /// Does the queued work as it comes, until `stop` says to stop (between two batches; what is
    /// still queued then is abandoned).
    pub async fn run(self: Arc<Self>, mut stop: Stop) {
        loop {
            if stop.is_set() {
                return;
            }
            let batch = self.take();
            if batch.is_empty() {
                tokio::select! {
                    () = stop.wait() => return,
                    () = self.wake.notified() => continue,
                }
            }
            let size = batch.len();
            let first = batch[0].0.clone();
            let again = matches!(self.settings.retry, Retry::After(_)).then(|| batch.clone());
            let outcome = self.job.work(batch, &self).await;
            if let Err(e) = &outcome {
                tracing::warn!(
                    worker = self.settings.name,
                    error = %e,
                    first = ?first,
                    size,
                    retry = again.is_some(),
                    "background work failed"
                );
            }
            self.finish(again.filter(|_| outcome.is_err()));
            if let (Err(_), Retry::After(pause)) = (outcome, self.settings.retry) {
                tokio::select! {
                    () = stop.wait() => return,
                    () = tokio::time::sleep(pause) => {}
                }
            }
        }
    }
}

/// Pushes what each committed change asks of a worker.
struct Hearing<J: Job>(Weak<Worker<J>>);

impl<J: Job> ChangeObserver for Hearing<J> {
    fn content_changed(&self, change: &ContentChange) {
        // Called synchronously by the store after each commit: only record and wake.
        if let Some(worker) = self.0.upgrade() {
            let items = worker.job.heard(change);
            if !items.is_empty() {
                worker.push(items);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use dateline_domain::{ArticleId, CacheKey};

    use super::*;
    use crate::Supervisor;

    /// Records every batch; fails each batch holding a key in `failing` as often as it says.
    #[derive(Default)]
    struct Recorder {
        batches: Mutex<Vec<Vec<(u32, u32)>>>,
        failing: Mutex<BTreeMap<u32, usize>>,
        /// Pushes `key + 100` when it works on a key below 100.
        follow_up: bool,
        /// Holds every batch until a permit comes.
        gate: Option<tokio::sync::Semaphore>,
        calls: AtomicUsize,
    }

    impl Job for Recorder {
        type Key = u32;
        type Value = u32;
        type Error = String;

        fn merge(queued: &mut u32, new: u32) {
            *queued = (*queued).max(new);
        }

        fn heard(&self, change: &ContentChange) -> Vec<(u32, u32)> {
            change
                .keys
                .iter()
                .filter_map(|key| match key {
                    CacheKey::Article(id) => Some((id.0 as u32, 0)),
                    _ => None,
                })
                .collect()
        }

        async fn work(&self, batch: Vec<(u32, u32)>, worker: &Worker<Self>) -> Result<(), String> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if let Some(gate) = &self.gate {
                gate.acquire().await.map_err(|e| e.to_string())?.forget();
            }
            self.batches.lock().unwrap().push(batch.clone());
            {
                let mut failing = self.failing.lock().unwrap();
                for (key, _) in &batch {
                    if let Some(left) = failing.get_mut(key).filter(|left| **left > 0) {
                        *left -= 1;
                        return Err(format!("{key} failed"));
                    }
                }
            }
            if self.follow_up {
                worker.push(
                    batch
                        .iter()
                        .filter(|(key, _)| *key < 100)
                        .map(|(key, value)| (key + 100, *value)),
                );
            }
            Ok(())
        }
    }

    fn settings(batch: usize, capacity: usize, retry: Retry) -> Settings {
        Settings {
            name: "test",
            batch,
            capacity,
            retry,
        }
    }

    fn done(job: &Recorder) -> Vec<Vec<(u32, u32)>> {
        job.batches.lock().unwrap().clone()
    }

    async fn settled<J: Job>(worker: &Worker<J>) {
        tokio::time::timeout(Duration::from_secs(10), worker.settled())
            .await
            .expect("settled");
    }

    #[test]
    fn work_under_one_key_is_one_entry_merged() {
        let mut queue = Queue::new(10, |a: &mut u32, b| *a = (*a).max(b));
        queue.push(7, 1);
        queue.push(7, 3);
        queue.push(7, 2);
        queue.push(3, 0);
        assert_eq!(queue.len(), 2);
        assert_eq!(queue.pop(), Some((3, 0)), "in key order");
        assert_eq!(queue.pop(), Some((7, 3)), "merged");
        assert_eq!(queue.pop(), None);
    }

    #[test]
    fn offers_are_bounded_and_pushes_are_not() {
        let mut queue = Queue::new(2, |a: &mut u32, b| *a = b);
        assert!(queue.offer(1, 0));
        assert!(queue.offer(2, 0));
        assert!(!queue.offer(3, 0), "full");
        assert!(queue.offer(2, 1), "merged into a waiting key");
        queue.push(4, 0);
        queue.push(5, 0);
        assert_eq!((queue.len(), queue.offered()), (4, 2));
        // Pushed work under an offered key makes it must-do: room for another offer.
        queue.push(1, 0);
        assert_eq!(queue.offered(), 1);
        assert!(queue.offer(6, 0));
        while queue.pop().is_some() {}
        assert_eq!((queue.len(), queue.offered()), (0, 0));
        assert!(queue.offer(3, 0), "room again");
    }

    #[test]
    fn waiting_is_over_when_every_earlier_push_has_left_the_queue() {
        let mut queue = Queue::new(0, |a: &mut u32, b| *a = b);
        queue.push(5, 0); // push 1
        queue.push(2, 0); // push 2
        queue.push(5, 0); // push 3, merged into push 1's entry
        queue.push_unawaited(9, 0);
        assert_eq!(queue.left_up_to(), 0);
        assert_eq!(queue.pop(), Some((2, 0)));
        assert_eq!(queue.left_up_to(), 0, "push 1 still waits");
        assert_eq!(queue.pop(), Some((5, 0)));
        assert_eq!(queue.left_up_to(), 3, "the unawaited entry holds nobody");
        queue.push(9, 0); // push 4, into the unawaited entry: now waited for
        assert_eq!(queue.left_up_to(), 3);
        queue.pop();
        assert_eq!(queue.left_up_to(), 4);
    }

    #[tokio::test]
    async fn batches_come_in_key_order_and_follow_ups_are_done_before_it_settles() {
        let worker = Worker::new(
            Recorder {
                follow_up: true,
                ..Recorder::default()
            },
            settings(2, 0, Retry::Never),
        );
        worker.push([(3, 0), (1, 0), (2, 0), (1, 5)]);
        assert_eq!(worker.queued(), 3);
        let supervisor = Supervisor::new();
        supervisor.spawn("test", |stop| worker.clone().run(stop));
        settled(&worker).await;
        assert_eq!(
            done(worker.job()),
            [
                vec![(1, 5), (2, 0)],
                vec![(3, 0), (101, 5)],
                vec![(102, 0), (103, 0)]
            ]
        );
        assert_eq!(worker.queued(), 0);
        assert!(supervisor.shutdown(Duration::from_secs(1)).await.is_empty());
    }

    #[tokio::test]
    async fn changes_heard_are_pushed() {
        let worker = Worker::new(Recorder::default(), settings(10, 0, Retry::Never));
        let observer = worker.observer();
        observer.content_changed(&ContentChange {
            keys: [CacheKey::Latest, CacheKey::Article(ArticleId(4))].into(),
        });
        observer.content_changed(&ContentChange {
            keys: [CacheKey::All].into(),
        });
        assert_eq!(worker.queued(), 1, "only the article was work");
        tokio::spawn(worker.clone().run(Stop::never()));
        tokio::time::timeout(Duration::from_secs(10), worker.caught_up())
            .await
            .expect("caught up");
        assert_eq!(done(worker.job()), [vec![(4, 0)]]);
    }

    #[tokio::test]
    async fn a_failed_batch_is_retried_when_the_settings_say_and_dropped_when_not() {
        let retrying = Worker::new(
            Recorder::default(),
            settings(10, 0, Retry::After(Duration::from_millis(10))),
        );
        retrying.job().failing.lock().unwrap().insert(2, 2);
        retrying.push([(1, 0), (2, 0)]);
        tokio::spawn(retrying.clone().run(Stop::never()));
        settled(&retrying).await;
        let batches = done(retrying.job());
        assert_eq!(batches.len(), 3, "failed twice, then done: {batches:?}");
        assert!(batches.iter().all(|b| b == &[(1, 0), (2, 0)]));

        let dropping = Worker::new(Recorder::default(), settings(1, 0, Retry::Never));
        dropping.job().failing.lock().unwrap().insert(2, 1);
        dropping.push([(1, 0), (2, 0), (3, 0)]);
        tokio::spawn(dropping.clone().run(Stop::never()));
        settled(&dropping).await;
        assert_eq!(
            done(dropping.job()),
            [vec![(1, 0)], vec![(2, 0)], vec![(3, 0)]],
            "tried once, then the next"
        );
    }

    #[tokio::test]
    async fn waiters_are_let_go_when_their_work_fails() {
        let worker = Worker::new(
            Recorder::default(),
            settings(10, 0, Retry::After(Duration::from_secs(3600))),
        );
        worker.job().failing.lock().unwrap().insert(1, usize::MAX);
        worker.push([(1, 0)]);
        let supervisor = Supervisor::new();
        supervisor.spawn("test", |stop| worker.clone().run(stop));
        tokio::time::timeout(Duration::from_secs(10), worker.caught_up())
            .await
            .expect("not held by a failing batch");
        assert_eq!(worker.queued(), 1, "queued again, pausing");
        assert!(
            supervisor.shutdown(Duration::from_secs(1)).await.is_empty(),
            "the pause ends with the stop signal"
        );
    }

    #[tokio::test]
    async fn stop_lets_the_batch_in_hand_finish_and_abandons_the_rest() {
        let worker = Worker::new(
            Recorder {
                gate: Some(tokio::sync::Semaphore::new(0)),
                ..Recorder::default()
            },
            settings(1, 0, Retry::Never),
        );
        worker.push([(1, 0), (2, 0), (3, 0)]);
        let supervisor = Supervisor::new();
        supervisor.spawn("test", |stop| worker.clone().run(stop));
        while worker.job().calls.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        let stopping = tokio::spawn({
            let worker = worker.clone();
            async move {
                // Let the batch in hand go once the stop signal is out.
                tokio::time::sleep(Duration::from_millis(50)).await;
                worker.job().gate.as_ref().unwrap().add_permits(10);
            }
        });
        assert!(supervisor.shutdown(Duration::from_secs(5)).await.is_empty());
        stopping.await.unwrap();
        assert_eq!(done(worker.job()), [vec![(1, 0)]], "finished, then stopped");
        assert_eq!(worker.queued(), 2, "the rest abandoned");
    }
}
