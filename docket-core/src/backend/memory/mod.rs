//! The in-process backend behind `memory://` URLs: the same semantics as Redis, no server.
//!
//! Design:
//! - **One lock.** All of a docket's data (records, the schedule, the ready FIFO, in-flight
//!   deliveries, expiries, workers, dead letters) lives in one `Store` behind one
//!   `std::sync::Mutex`. Every operation takes it once, runs one synchronous transition (the
//!   counterpart of one Lua script on Redis) and lets go; it is never held across an `.await`,
//!   so each transition is atomic, like a script.
//! - **Wake-ups through `Notify`.** Claimers wait on a `Notify` that fires whenever ready work
//!   is added, so an idle worker sleeps instead of polling; schedulers get a second `Notify`
//!   through [`Backend::work_hint`] when future work is added, to re-arm their timer.
//! - **Events through `broadcast`.** State changes and cancellations of running executions go
//!   out on two broadcast channels, sent while the lock is held so every subscriber sees them
//!   in transition order. [`Backend::watch`] subscribes before it reads the record, so no
//!   transition can fall between the two.
//! - **Shared per name.** Producers and workers in one process usually open the docket
//!   separately, by URL, exactly as they would with Redis. Handles opened with the same URL
//!   name and the same docket name therefore share one state through a process-wide table of
//!   weak references: the state lives as long as any handle, and different names never meet.
//! - **Bounded.** Finished records expire `execution_ttl` after they end (at once with a zero
//!   ttl; their event still carries the outcome to live waiters), stale ready entries are
//!   dropped when reached or compacted, deliveries leave the in-flight table when completed,
//!   dead letters are capped and silent workers are forgotten.
//!
//! Differences from Redis that no caller can observe: generations come from one counter per
//! docket instead of one per key (they still grow with every reschedule of a key, and are never
//! reused after a record is removed), and delivery ids are plain counters.

mod registry;
mod store;
#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{broadcast, Notify};
use tokio::time::Instant;

use self::store::{Effects, Now, Store};
use super::{
    merge_struck, now_ms, split_struck, Backend, Backlog, Cancellation, DeadLetter, Delivery, Disposition,
    Lease, NewTask, Outcome, Presence, WorkerInfo,
};
use crate::error::{Error, Result};
use crate::execution::{Event, ExecutionInfo};
use crate::progress::ProgressInfo;
use crate::strike::{Strike, StrikeList, MAX_STRIKES};

/// How many events (and cancellations) a slow subscriber may fall behind before it lags.
const CHANNEL_CAPACITY: usize = 4096;

/// A docket held in this process's memory.
///
/// Open it with a `memory://` or `memory://NAME` URL (usually through
/// [`Docket::connect`](crate::Docket::connect)). Every handle opened in the process with the
/// same URL name and docket name sees the same tasks, so a producer and a worker can each open
/// it on their own; the data is gone once the last handle is dropped. Use it for tests, for
/// examples and for single-process applications that need no server.
pub struct MemoryBackend {
    shared: Arc<Shared>,
    ttl: Duration,
}

/// The state one in-memory docket's handles share.
struct Shared {
    store: Mutex<Store>,
    claimable: Notify,
    work_hint: Arc<Notify>,
    events: broadcast::Sender<Event>,
    cancellations: broadcast::Sender<Cancellation>,
    /// The strike rules, in their canonical order.
    strikes: tokio::sync::watch::Sender<Arc<StrikeList>>,
}

impl Shared {
    fn new() -> Self {
        let (events, _) = broadcast::channel(CHANNEL_CAPACITY);
        let (cancellations, _) = broadcast::channel(CHANNEL_CAPACITY);
        Self {
            store: Mutex::new(Store::default()),
            claimable: Notify::new(),
            work_hint: Arc::new(Notify::new()),
            events,
            cancellations,
            strikes: tokio::sync::watch::Sender::new(Arc::default()),
        }
    }

    /// Adds (`add`) or removes exactly `rule`; returns whether the rules changed.
    fn change_strikes(&self, rule: &Strike, add: bool) -> Result<bool> {
        let encoded = rule.encode();
        let mut outcome = Ok(false);
        self.strikes.send_if_modified(|list| {
            let present = list.iter().any(|kept| kept.encode() == encoded);
            let mut rules: Vec<Strike> = match (add, present) {
                (true, false) if list.len() >= MAX_STRIKES => {
                    outcome = Err(Error::TooManyStrikes { max: MAX_STRIKES });
                    return false;
                }
                (true, false) => list.iter().cloned().chain([rule.clone()]).collect(),
                (false, true) => list
                    .iter()
                    .filter(|kept| kept.encode() != encoded)
                    .cloned()
                    .collect(),
                _ => return false,
            };
            rules.sort_by_cached_key(Strike::encode);
            *list = Arc::new(StrikeList::new(rules));
            outcome = Ok(true);
            true
        });
        outcome
    }
}

impl std::fmt::Debug for MemoryBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryBackend")
            .field("execution_ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl MemoryBackend {
    /// Opens the docket called `name` behind `url` (`memory://` or `memory://NAME`), sharing
    /// its state with every other handle open on the same URL name and docket name.
    ///
    /// Executions this handle finishes or cancels are kept for `execution_ttl` (nothing is
    /// kept when it is zero).
    /// Fails with [`Error::InvalidUrl`](crate::Error::InvalidUrl) when anything follows the
    /// name in the URL.
    pub fn open(url: &str, name: &str, execution_ttl: Duration) -> Result<MemoryBackend> {
        let url_name = registry::url_name(url)?;
        Ok(MemoryBackend {
            shared: registry::attach(url_name, name),
            ttl: execution_ttl,
        })
    }

    /// Runs one transition under the lock, then publishes what it changed.
    fn with_store<R>(&self, transition: impl FnOnce(&mut Store, Now, &mut Effects) -> R) -> R {
        let mut effects = Effects::default();
        let mut store = self.shared.store.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Now {
            ms: now_ms(),
            instant: Instant::now(),
        };
        store.prune(now);
        let output = transition(&mut store, now, &mut effects);
        for event in effects.events {
            let _ = self.shared.events.send(event);
        }
        for cancellation in effects.cancelled {
            let _ = self.shared.cancellations.send(cancellation);
        }
        drop(store);
        if effects.ready {
            self.shared.claimable.notify_waiters();
        }
        if effects.scheduled {
            // Wake every scheduler waiting now, and leave a permit for one that is between
            // two waits (it would otherwise only notice at its next timer).
            self.shared.work_hint.notify_waiters();
            self.shared.work_hint.notify_one();
        }
        output
    }

    #[cfg(test)]
    fn sizes(&self) -> store::Sizes {
        self.with_store(|store, _, _| store.sizes())
    }
}

#[async_trait]
impl Backend for MemoryBackend {
    async fn schedule(&self, tasks: &[NewTask]) -> Result<Vec<Disposition>> {
        let strikes = self.shared.strikes.borrow().clone();
        match split_struck(&strikes, tasks) {
            None => Ok(self.with_store(|store, now, fx| store.schedule(tasks, self.ttl, now, fx))),
            Some((dispositions, left)) => {
                let scheduled = self.with_store(|store, now, fx| store.schedule(left, self.ttl, now, fx));
                Ok(merge_struck(dispositions, scheduled))
            }
        }
    }

    async fn cancel(&self, key: &str) -> Result<bool> {
        Ok(self.with_store(|store, now, fx| store.cancel(key, self.ttl, now, fx)))
    }

    async fn info(&self, key: &str) -> Result<Option<ExecutionInfo>> {
        Ok(self.with_store(|store, _, _| store.info(key)))
    }

    async fn watch(&self, key: &str) -> Result<(Option<ExecutionInfo>, broadcast::Receiver<Event>)> {
        let receiver = self.shared.events.subscribe();
        let info = self.with_store(|store, _, _| store.info(key));
        Ok((info, receiver))
    }

    async fn claim(&self, worker: &str, max: usize, wait: Duration) -> Result<Vec<Delivery>> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let deadline = Instant::now().checked_add(wait);
        loop {
            // Register for the wake-up before looking, so work added in between is not missed.
            let notified = self.shared.claimable.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let claimed = self.with_store(|store, now, fx| store.claim(worker, max, self.ttl, now, fx));
            if !claimed.is_empty() {
                return Ok(claimed);
            }
            match deadline {
                Some(deadline) => {
                    if tokio::time::timeout_at(deadline, notified).await.is_err() {
                        return Ok(Vec::new());
                    }
                }
                None => notified.await,
            }
        }
    }

    async fn complete(&self, worker: &str, outcomes: &[Outcome]) -> Result<()> {
        self.with_store(|store, now, fx| store.complete(worker, outcomes, self.ttl, now, fx));
        Ok(())
    }

    async fn claim_due(&self, worker: &str, max: usize) -> Result<(Vec<Delivery>, Option<Duration>)> {
        if max == 0 {
            return Ok((Vec::new(), None));
        }
        Ok(self.with_store(|store, now, fx| {
            store.move_due(max, now, fx);
            let claimed = store.claim(worker, max, self.ttl, now, fx);
            // After the claim: a rate limit may have put one back earlier.
            let next = store.next_due().map(|due| super::until(due, now.ms));
            (claimed, next)
        }))
    }

    async fn move_due(&self, limit: usize) -> Result<Option<Duration>> {
        Ok(self.with_store(|store, now, fx| {
            store
                .move_due(limit, now, fx)
                .map(|due| super::until(due, now.ms))
        }))
    }

    async fn renew(&self, worker: &str, leases: &[Lease]) -> Result<Vec<String>> {
        Ok(self.with_store(|store, now, _| store.renew(worker, leases, now)))
    }

    async fn reclaim(&self, worker: &str, min_idle: Duration, max: usize) -> Result<Vec<Delivery>> {
        Ok(self.with_store(|store, now, fx| store.reclaim(worker, min_idle, max, self.ttl, now, fx)))
    }

    async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>> {
        Ok(self.with_store(|store, _, _| store.dead_letters(limit)))
    }

    async fn remove_dead_letters(&self, ids: &[String]) -> Result<u64> {
        Ok(self.with_store(|store, _, _| store.remove_dead_letters(ids)))
    }

    async fn cancellations(&self) -> Result<broadcast::Receiver<Cancellation>> {
        Ok(self.shared.cancellations.subscribe())
    }

    fn work_hint(&self) -> Option<Arc<Notify>> {
        Some(self.shared.work_hint.clone())
    }

    async fn heartbeat(&self, presence: &Presence) -> Result<usize> {
        self.with_store(|store, now, _| store.heartbeat(presence, now))
    }

    async fn leave(&self, presence: &Presence) -> Result<()> {
        self.with_store(|store, _, _| store.leave(presence));
        Ok(())
    }

    async fn workers(&self) -> Result<Vec<WorkerInfo>> {
        Ok(self.with_store(|store, now, _| store.workers(now)))
    }

    async fn backlog(&self) -> Result<Backlog> {
        Ok(self.with_store(|store, _, _| store.backlog()))
    }

    async fn live(&self, limit: usize) -> Result<Vec<ExecutionInfo>> {
        Ok(self.with_store(|store, _, _| store.live(limit)))
    }

    async fn clear(&self) -> Result<u64> {
        Ok(self.with_store(|store, _, fx| store.clear(fx)))
    }

    async fn progress(&self, worker: &str, delivery: &Lease, progress: &ProgressInfo) -> Result<bool> {
        Ok(self.with_store(|store, _, fx| store.progress(worker, delivery, progress, fx)))
    }

    async fn strike(&self, rule: &Strike) -> Result<bool> {
        rule.validate()?;
        self.shared.change_strikes(rule, true)
    }

    async fn restore(&self, rule: &Strike) -> Result<bool> {
        self.shared.change_strikes(rule, false)
    }

    fn strikes(&self) -> Arc<StrikeList> {
        self.shared.strikes.borrow().clone()
    }

    fn watch_strikes(&self) -> tokio::sync::watch::Receiver<Arc<StrikeList>> {
        self.shared.strikes.subscribe()
    }
}
