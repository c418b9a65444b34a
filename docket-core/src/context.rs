//! What a running task knows about its own execution, and what its body asked the worker to
//! do next (through the injected [`Perpetual`](crate::Perpetual), [`Retry`](crate::Retry) and
//! [`Timeout`](crate::Timeout) handles), and the progress it reports
//! ([`Progress`](crate::Progress)).

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::backend::{from_ms, now_ms, Delivery, Due, Lease};
use crate::docket::Docket;
use crate::inject::States;
use crate::progress::Tracker;
use crate::task::TaskDescriptor;

/// The context of one run: the docket it came from, the execution's identity, and the
/// worker's shared state. Inject it as a parameter (`ctx: TaskContext`) or resolve your own
/// injected types from it ([`FromContext`](crate::FromContext)).
#[derive(Debug, Clone)]
pub struct TaskContext {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    docket: Docket,
    task: &'static TaskDescriptor,
    key: String,
    attempt: u32,
    when: SystemTime,
    started: SystemTime,
    began: Instant,
    worker: String,
    redelivered: bool,
    states: States,
    control: RunControl,
    /// The delivery being run (its progress is written under it).
    delivery: String,
    /// The run's progress, made when a `Progress` is first injected.
    progress: OnceLock<Arc<Tracker>>,
}

impl TaskContext {
    /// The context of a run of `delivery` on worker `worker`, starting now. Used by worker
    /// runtimes (and tests that run a task body by hand).
    pub fn new(
        docket: &Docket,
        task: &'static TaskDescriptor,
        delivery: &Delivery,
        worker: &str,
        states: &States,
    ) -> Self {
        let timeout = task.options().timeout;
        Self {
            inner: Arc::new(Inner {
                docket: docket.clone(),
                task,
                key: delivery.key.clone(),
                attempt: delivery.attempt,
                when: from_ms(delivery.when_ms),
                started: from_ms(now_ms()),
                began: Instant::now(),
                worker: worker.to_string(),
                redelivered: delivery.redelivered,
                states: states.clone(),
                control: RunControl::new(timeout),
                delivery: delivery.id.clone(),
                progress: OnceLock::new(),
            }),
        }
    }

    /// The docket that delivered the task; use it to schedule follow-up work.
    pub fn docket(&self) -> &Docket {
        &self.inner.docket
    }

    /// The task being run.
    pub fn task(&self) -> &'static TaskDescriptor {
        self.inner.task
    }

    /// The execution's key.
    pub fn key(&self) -> &str {
        &self.inner.key
    }

    /// Which run of the execution this is, starting at 1 (retries count up; each run of a
    /// perpetual chain starts at 1 again).
    pub fn attempt(&self) -> u32 {
        self.inner.attempt
    }

    /// When the execution was due.
    pub fn when(&self) -> SystemTime {
        self.inner.when
    }

    /// When this run started, by the worker's clock.
    pub fn started(&self) -> SystemTime {
        self.inner.started
    }

    /// How long this run has been running (by a monotonic clock).
    pub fn elapsed(&self) -> Duration {
        self.inner.began.elapsed()
    }

    /// The name of the worker running it.
    pub fn worker(&self) -> &str {
        &self.inner.worker
    }

    /// Whether this delivery is a redelivery after a worker died or stalled.
    pub fn redelivered(&self) -> bool {
        self.inner.redelivered
    }

    /// The state of type `T` registered on the worker (`WorkerBuilder::state`), if any.
    pub fn state<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.inner.states.get::<T>()
    }

    /// What the body asked the worker to do next, and the run's deadline.
    pub fn control(&self) -> &RunControl {
        &self.inner.control
    }

    pub(crate) fn progress_tracker(&self) -> &Arc<Tracker> {
        self.inner.progress.get_or_init(|| {
            let delivery = Lease::new(self.inner.delivery.clone(), self.inner.key.clone());
            Arc::new(Tracker::new(
                self.inner.docket.clone(),
                self.inner.worker.clone(),
                delivery,
            ))
        })
    }

    /// Writes the progress the body reported last, if it has not been written yet, and
    /// stops writing progress for this run. A worker runtime awaits it when the body has
    /// ended, before it records the outcome, so subscribers see every progress event before
    /// the end. Returns at once for a run that reported no progress.
    pub async fn finish_progress(&self) {
        if let Some(tracker) = self.inner.progress.get() {
            tracker.finish().await;
        }
    }

    /// Stops writing progress for this run without a last write: for a run that was
    /// interrupted (cancelled, replaced, its lease lost), whose record is no longer its own.
    pub fn abandon_progress(&self) {
        if let Some(tracker) = self.inner.progress.get() {
            tracker.abandon();
        }
    }
}

/// What a run's body asked for through its injected handles, read by the worker when the body
/// ends ([`next_step`](crate::behaviour::next_step)), and the run's deadline, which the body
/// may extend while the worker waits on it.
#[derive(Debug)]
pub struct RunControl {
    requests: Mutex<Requests>,
    deadline: Mutex<Option<Deadline>>,
    deadline_moved: Notify,
}

/// A run's deadline: when it ends, and how long the run has been given in all.
#[derive(Debug, Clone, Copy)]
struct Deadline {
    at: Instant,
    given: Duration,
}

/// The requests a body made, as the policy reads them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Requests {
    /// `Perpetual::cancel`: end the chain after this run.
    pub chain_cancelled: bool,
    /// `Perpetual::set_every`: the cadence to the next run.
    pub every: Option<Duration>,
    /// `Perpetual::next_at` / `next_after`: when the next run is due.
    pub next: Option<Due>,
    /// `Perpetual::perpetuate`: the next run's argument map.
    pub args: Option<Vec<u8>>,
    /// `Retry::after` / `Retry::at`: retry this execution then, whatever the body returns.
    pub forced_retry: Option<Due>,
}

impl RunControl {
    fn new(timeout: Option<Duration>) -> Self {
        Self {
            requests: Mutex::new(Requests::default()),
            deadline: Mutex::new(timeout.map(|given| Deadline {
                at: Instant::now() + given,
                given,
            })),
            deadline_moved: Notify::new(),
        }
    }

    /// A copy of what the body asked for so far.
    pub fn snapshot(&self) -> Requests {
        self.requests.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn update(&self, change: impl FnOnce(&mut Requests)) {
        change(&mut self.requests.lock().unwrap_or_else(|e| e.into_inner()));
    }

    /// When the run must end, and how long it has been given in all (its timeout plus
    /// extensions); `None` without a timeout.
    pub fn deadline(&self) -> Option<(Instant, Duration)> {
        let deadline = *self.deadline.lock().unwrap_or_else(|e| e.into_inner());
        deadline.map(|deadline| (deadline.at, deadline.given))
    }

    /// Moves the deadline `by` later; does nothing for a run without a timeout.
    pub(crate) fn extend_deadline(&self, by: Duration) {
        let mut deadline = self.deadline.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(deadline) = deadline.as_mut() {
            // At most a year at a time, so no `Instant` arithmetic can overflow.
            let by = by.min(Duration::from_secs(365 * 86_400));
            deadline.at = deadline.at.checked_add(by).unwrap_or(deadline.at);
            deadline.given = deadline.given.saturating_add(by);
            self.deadline_moved.notify_waiters();
        }
    }

    /// Waits until the deadline passes, following extensions; forever without a timeout.
    pub async fn deadline_passed(&self) {
        loop {
            let moved = self.deadline_moved.notified();
            let Some((at, _)) = self.deadline() else {
                return std::future::pending().await;
            };
            tokio::select! {
                _ = tokio::time::sleep_until(at) => {
                    if self.deadline().is_some_and(|(now_at, _)| now_at <= Instant::now()) {
                        return;
                    }
                }
                _ = moved => {}
            }
        }
    }
}
