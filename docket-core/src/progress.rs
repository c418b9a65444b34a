//! Progress: how far a running task has come, reported from its body through the injected
//! [`Progress`] handle, kept in the execution's record while it runs and published to its
//! subscribers.
//!
//! The handle's methods are synchronous and cheap: they update state shared by the run's
//! handles (an atomic counter; a lock for the total and the message). A per-run flusher, started
//! by the first change, writes the latest state to the backend — the first change at once,
//! then at most one write every [`PROGRESS_INTERVAL`] — and the worker writes the last state
//! before it records the run's outcome, so every progress event comes before the end event.
//! Each write carries the whole state (current, total, message), in order, so coalescing loses
//! nothing a reader could see but intermediate values. A run that never touches its
//! `Progress` writes nothing and starts no flusher; a run that does not inject one does not
//! even allocate its state.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::backend::Lease;
use crate::context::TaskContext;
use crate::docket::Docket;
use crate::inject::{FromContext, InjectError};

/// The most often a run's progress is written to the backend: a body may change its progress
/// as often as it likes (millions of times a second); its subscribers see at most one
/// progress event per interval (the first change at once), each with the state of that moment.
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(50);

/// The longest progress message kept, in bytes (UTF-8); a longer one is cut at the last
/// character boundary before it.
pub const MAX_PROGRESS_MESSAGE: usize = 1024;

/// How far a running execution has come, as its last progress write left it
/// ([`Execution::progress`](crate::Execution::progress), [`ExecutionInfo::progress`](crate::ExecutionInfo::progress)).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProgressInfo {
    /// How many units of work are done (the sum of every `increment`).
    pub current: u64,
    /// How many units there are in all, once the body has said (`set_total`).
    pub total: Option<u64>,
    /// What the body is doing now (`set_message`), never empty.
    pub message: Option<String>,
}

impl ProgressInfo {
    /// Progress at `current` of `total`, saying `message` (an empty message is none).
    pub fn new(current: u64, total: Option<u64>, message: Option<String>) -> Self {
        Self {
            current,
            total,
            message: message.filter(|message| !message.is_empty()),
        }
    }
}

/// The run's progress handle: report how far the body has come. Clone it freely (into
/// spawned futures, threads): every clone updates the same state, and increments from any
/// number of them add up exactly.
///
/// ```
/// #[docket::task]
/// async fn import(rows: Vec<String>, progress: docket::Progress) {
///     progress.set_total(rows.len() as u64);
///     for (i, _row) in rows.iter().enumerate() {
///         if i % 1000 == 0 {
///             progress.set_message(format!("row {i}"));
///         }
///         // … import the row …
///         progress.increment(1);
///     }
/// }
/// # fn main() {}
/// ```
///
/// The calls are cheap enough for a tight loop: an increment is two atomic operations on
/// memory of the run (no I/O, no lock, no allocation), and the backend sees at most one write
/// per [`PROGRESS_INTERVAL`] whatever the rate of calls. Progress is kept while the execution
/// runs and removed when the run ends (however it ends, retries included).
#[derive(Debug, Clone)]
pub struct Progress {
    tracker: Arc<Tracker>,
}

impl FromContext for Progress {
    async fn from_context(ctx: &TaskContext) -> Result<Self, InjectError> {
        Ok(Self {
            tracker: ctx.progress_tracker().clone(),
        })
    }
}

impl Progress {
    /// Says how many units of work there are in all.
    pub fn set_total(&self, total: u64) {
        self.tracker.lock_meta().total = Some(total);
        self.tracker.changed();
    }

    /// Adds `n` units of work done (atomically: concurrent increments never lose counts;
    /// the count saturates at `u64::MAX`).
    pub fn increment(&self, n: u64) {
        // A wrapping add that no real count reaches; saturate rather than wrap if one does.
        let before = self.tracker.current.fetch_add(n, Ordering::Relaxed);
        if before.checked_add(n).is_none() {
            self.tracker.current.store(u64::MAX, Ordering::Relaxed);
        }
        self.tracker.changed();
    }

    /// Says what the body is doing now; an empty message clears it. A message longer than
    /// [`MAX_PROGRESS_MESSAGE`] bytes is cut at a character boundary.
    pub fn set_message(&self, message: impl Into<String>) {
        self.tracker.lock_meta().message = bounded(message.into());
        self.tracker.changed();
    }

    /// How many units of work are done so far in this run.
    pub fn current(&self) -> u64 {
        self.tracker.current.load(Ordering::Relaxed)
    }

    /// The total set by [`set_total`](Self::set_total), if any.
    pub fn total(&self) -> Option<u64> {
        self.tracker.lock_meta().total
    }
}

/// The total and the message (changed rarely, so behind a lock).
#[derive(Debug, Default)]
struct Meta {
    total: Option<u64>,
    message: Option<String>,
}

/// One run's progress: the state its handles share, and the writes of it to the backend.
#[derive(Debug)]
pub(crate) struct Tracker {
    current: AtomicU64,
    meta: Mutex<Meta>,
    /// A change has not been picked up by a write yet (wakes the flusher once per write).
    dirty: AtomicBool,
    /// The run has ended (or is no longer the live run): nothing more is written.
    closed: AtomicBool,
    /// Wakes the flusher.
    wake: Arc<Notify>,
    /// The flusher, started by the first change.
    flusher: OnceLock<JoinHandle<()>>,
    /// Whose turn it is to write, and what the last write wrote: writes never overlap, so
    /// they reach the backend in order.
    written: tokio::sync::Mutex<Option<ProgressInfo>>,
    docket: Docket,
    worker: String,
    delivery: Lease,
    runtime: Option<tokio::runtime::Handle>,
}

impl Tracker {
    /// The progress of the run of `delivery` on `worker`.
    pub(crate) fn new(docket: Docket, worker: String, delivery: Lease) -> Self {
        Self {
            current: AtomicU64::new(0),
            meta: Mutex::new(Meta::default()),
            dirty: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            wake: Arc::new(Notify::new()),
            flusher: OnceLock::new(),
            written: tokio::sync::Mutex::new(None),
            docket,
            worker,
            delivery,
            runtime: tokio::runtime::Handle::try_current().ok(),
        }
    }

    fn lock_meta(&self) -> std::sync::MutexGuard<'_, Meta> {
        self.meta.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Notes a change: the first since the last write wakes the flusher (starting it for the
    /// first change of the run); later ones cost one atomic load.
    fn changed(self: &Arc<Self>) {
        if self.dirty.load(Ordering::Relaxed) || self.dirty.swap(true, Ordering::AcqRel) {
            return;
        }
        if self.flusher.get().is_none() && !self.closed.load(Ordering::Acquire) {
            if let Some(runtime) = &self.runtime {
                let weak = Arc::downgrade(self);
                let wake = self.wake.clone();
                self.flusher.get_or_init(|| runtime.spawn(flush(weak, wake)));
            }
        }
        self.wake.notify_one();
    }

    fn snapshot(&self) -> ProgressInfo {
        let meta = self.lock_meta();
        ProgressInfo {
            current: self.current.load(Ordering::Relaxed),
            total: meta.total,
            message: meta.message.clone(),
        }
    }

    /// Writes the state if it differs from the last write; returns whether later writes may
    /// follow (not once the run has ended or is no longer the live run).
    async fn write(&self) -> bool {
        let mut written = self.written.lock().await;
        if self.closed.load(Ordering::Acquire) {
            return false;
        }
        self.dirty.store(false, Ordering::Release);
        let state = self.snapshot();
        if written.as_ref() == Some(&state) {
            return true;
        }
        match self
            .docket
            .backend()
            .progress(&self.worker, &self.delivery, &state)
            .await
        {
            Ok(true) => {
                *written = Some(state);
                true
            }
            Ok(false) => {
                // Cancelled, replaced or taken over: this run's progress is nobody's now.
                self.closed.store(true, Ordering::Release);
                false
            }
            Err(error) => {
                tracing::debug!(%error, "could not write progress; trying again");
                self.dirty.store(true, Ordering::Release);
                self.wake.notify_one();
                true
            }
        }
    }

    /// Writes the last state (if it changed since the last write) and stops: called when the
    /// body has ended, before its outcome is recorded. Costs nothing for a run that never
    /// reported progress.
    pub(crate) async fn finish(&self) {
        if self.flusher.get().is_some() {
            self.write().await;
        }
        self.abandon();
    }

    /// Stops without writing (an interrupted run: its record is not its own any more).
    pub(crate) fn abandon(&self) {
        self.closed.store(true, Ordering::Release);
        if let Some(flusher) = self.flusher.get() {
            flusher.abort();
        }
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        // Let a flusher that waits for a change see that none can come.
        self.wake.notify_one();
    }
}

/// The flusher of one run: writes the state when it changed, then waits at least
/// [`PROGRESS_INTERVAL`] before the next write. Holds the tracker only while it writes, so
/// it ends once every handle of the run is gone.
async fn flush(tracker: Weak<Tracker>, wake: Arc<Notify>) {
    loop {
        wake.notified().await;
        let Some(tracker) = tracker.upgrade() else {
            return;
        };
        let began = Instant::now();
        if !tracker.write().await {
            return;
        }
        drop(tracker);
        tokio::time::sleep_until(began + PROGRESS_INTERVAL).await;
    }
}

/// `message` cut to [`MAX_PROGRESS_MESSAGE`] bytes at a character boundary; `None` when empty.
fn bounded(mut message: String) -> Option<String> {
    if message.len() > MAX_PROGRESS_MESSAGE {
        let mut end = MAX_PROGRESS_MESSAGE;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
    }
    Some(message).filter(|message| !message.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_message_is_cut_at_a_character_boundary() {
        let cut = bounded("é".repeat(MAX_PROGRESS_MESSAGE)).unwrap();
        assert_eq!(cut.len(), MAX_PROGRESS_MESSAGE);
        let cut = bounded(format!("a{}", "é".repeat(MAX_PROGRESS_MESSAGE))).unwrap();
        assert_eq!(
            cut.len(),
            MAX_PROGRESS_MESSAGE - 1,
            "cut before a split character"
        );
        assert!(cut.starts_with("aé"));
        assert_eq!(bounded("short".into()).as_deref(), Some("short"));
        assert_eq!(bounded(String::new()), None, "an empty message clears it");
    }

    #[tokio::test]
    async fn a_run_that_reports_nothing_starts_no_flusher_and_writes_nothing() {
        let docket = Docket::connect("memory://progress-untouched").await.unwrap();
        let tracker = Arc::new(Tracker::new(docket, "w".into(), Lease::new("1", "k")));
        let _handle = Progress {
            tracker: tracker.clone(),
        };
        tracker.finish().await;
        assert!(tracker.flusher.get().is_none(), "no flusher was started");
        assert_eq!(*tracker.written.lock().await, None, "nothing was written");
    }
}
