//! The storage seam: every operation docket performs, at the level of docket's own
//! transitions, batched by construction.
//!
//! Two implementations exist: [`redis`] (fred + one Lua script per transition) and
//! [`memory`] (one process, no server). The client and the worker only ever see
//! `dyn Backend`, so a behaviour is added as one operation with one implementation per backend.

pub mod memory;
pub mod redis;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use tokio::sync::broadcast;

use crate::error::Result;
use crate::execution::{Event, ExecutionInfo, StoredError};
use crate::progress::ProgressInfo;
use crate::strike::{Strike, StrikeList};

/// How many times one execution is delivered without finishing before it is failed and
/// dead-lettered: a task that kills its worker (an abort, the OOM killer) must not crash-loop
/// every worker. Retries and releases at shutdown start the count again.
pub const MAX_DELIVERIES: u32 = 5;

/// The error type recorded for an execution failed by [`MAX_DELIVERIES`].
pub const TOO_MANY_DELIVERIES: &str = "docket::TooManyDeliveries";

/// The most dead letters kept; the oldest go first.
pub const DEAD_LETTER_CAP: usize = 10_000;
/// The most bytes of dead letters kept; the oldest go first.
pub const DEAD_LETTER_BYTES: usize = 64 * 1024 * 1024;
/// The largest argument map a dead letter keeps; of a larger one only its size is kept.
pub const DEAD_LETTER_ARGS: usize = 1024 * 1024;

/// One task to schedule.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct NewTask {
    /// The execution key (unique among pending executions).
    pub key: String,
    /// The registered task name.
    pub task: String,
    /// The MessagePack argument map.
    pub args: Vec<u8>,
    /// When it is due.
    pub due: Due,
    /// Replace a pending execution with the same key instead of keeping it.
    pub replace: bool,
    /// The concurrency limits a run must hold (from the task's `#[concurrency(..)]` and these
    /// arguments; see [`concurrency_slots`](crate::behaviour::concurrency_slots)).
    pub limits: Vec<LimitSlot>,
    /// The cooldown windows a submission must find clear (from the task's `#[cooldown(..)]`
    /// and these arguments); one that is not is dropped.
    pub cooldowns: Vec<Window>,
    /// The rate limits a run must pass to start (from the task's `#[rate_limit(..)]` and
    /// these arguments).
    pub rates: Vec<RateSlot>,
    /// The debounce group a submission belongs to (from the task's `#[debounce(..)]` and these
    /// arguments): it replaces the group's pending execution and runs `window` after it.
    pub debounce: Option<Window>,
}

impl NewTask {
    /// An execution of `task` with the encoded argument map `args`, `due` then, kept if `key`
    /// is already pending.
    pub fn new(key: impl Into<String>, task: impl Into<String>, args: Vec<u8>, due: Due) -> Self {
        Self {
            key: key.into(),
            task: task.into(),
            args,
            due,
            replace: false,
            limits: Vec::new(),
            cooldowns: Vec::new(),
            rates: Vec::new(),
            debounce: None,
        }
    }

    /// The same task, in the debounce group `debounce`.
    pub fn with_debounce(mut self, debounce: Option<Window>) -> Self {
        self.debounce = debounce;
        self
    }

    /// The same task, whose runs must pass `rates` to start.
    pub fn with_rates(mut self, rates: Vec<RateSlot>) -> Self {
        self.rates = rates;
        self
    }

    /// The same task, admitted only if every window in `cooldowns` is clear.
    pub fn with_cooldowns(mut self, cooldowns: Vec<Window>) -> Self {
        self.cooldowns = cooldowns;
        self
    }

    /// The same task, whose runs must hold `limits`.
    pub fn with_limits(mut self, limits: Vec<LimitSlot>) -> Self {
        self.limits = limits;
        self
    }
}

/// A window of a cooldown (further submissions are dropped once one is admitted) or of a
/// debounce (a submission supersedes the pending one and runs once the window passes quietly),
/// named like a [`LimitSlot`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Window {
    /// The window's identity (bounded in length).
    pub id: String,
    /// How long it lasts after an admitted submission.
    pub window: Duration,
    /// Why a submission it drops is dropped, as its record shows.
    pub reason: String,
}

impl Window {
    /// The window `id`, lasting `window`; `reason` explains a drop.
    pub fn new(id: impl Into<String>, window: Duration, reason: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            window,
            reason: reason.into(),
        }
    }

    /// Its length in whole milliseconds (at least 1).
    pub fn millis(&self) -> i64 {
        i64::try_from(self.window.as_millis()).unwrap_or(i64::MAX).max(1)
    }
}

/// A rate limit an execution must pass to start: at most `limit` starts of the executions
/// naming `id` in any window of `per`. Over it, a start waits for the instant it may happen,
/// or the execution is dropped when `drop` is set (never a retry or a perpetual's next run).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateSlot {
    /// The limit's identity (bounded in length).
    pub id: String,
    /// How many starts a window allows.
    pub limit: u32,
    /// The window.
    pub per: Duration,
    /// Whether an execution over the limit is dropped instead of delayed.
    pub drop: bool,
    /// Why a dropped execution was dropped, as its record shows.
    pub reason: String,
}

impl RateSlot {
    /// At most `limit` starts per `per` of the executions naming `id`.
    pub fn new(
        id: impl Into<String>,
        limit: u32,
        per: Duration,
        drop: bool,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            limit,
            per,
            drop,
            reason: reason.into(),
        }
    }

    /// The window in whole milliseconds (at least 1).
    pub fn per_millis(&self) -> i64 {
        i64::try_from(self.per.as_millis()).unwrap_or(i64::MAX).max(1)
    }
}

/// The error type recorded for an execution dropped by an admission control.
pub const DROPPED: &str = "docket::Dropped";
/// The error type recorded for an execution a strike ended when a worker reached it.
pub const STRUCK: &str = "docket::Struck";

/// Splits a batch to schedule by the strike rules `strikes`: the dispositions of the struck
/// tasks (`Some(Struck)`, in place; `None` for the others) and the tasks left to schedule, in
/// order. Without rules (the usual case) nothing is read and nothing is copied.
pub fn split_struck<'t>(
    strikes: &StrikeList,
    tasks: &'t [NewTask],
) -> Option<(Vec<Option<Disposition>>, Vec<&'t NewTask>)> {
    if strikes.is_empty() {
        return None;
    }
    let mut dispositions = Vec::with_capacity(tasks.len());
    let mut left = Vec::with_capacity(tasks.len());
    for task in tasks {
        if strikes.find(&task.task, &task.args).is_some() {
            dispositions.push(Some(Disposition::Struck));
        } else {
            dispositions.push(None);
            left.push(task);
        }
    }
    Some((dispositions, left))
}

/// The dispositions of a batch split by [`split_struck`], with those of the tasks that were
/// scheduled (`scheduled`, in order) filled in.
pub fn merge_struck(dispositions: Vec<Option<Disposition>>, scheduled: Vec<Disposition>) -> Vec<Disposition> {
    let mut scheduled = scheduled.into_iter();
    dispositions
        .into_iter()
        .map(|disposition| {
            disposition
                .or_else(|| scheduled.next())
                .unwrap_or(Disposition::Struck)
        })
        .collect()
}

/// One concurrency limit an execution must hold while it runs: at most `max` executions hold
/// the limit called `id` at once, across every worker. Built from a task's
/// `#[concurrency(..)]` and an execution's arguments by
/// [`concurrency_slots`](crate::behaviour::concurrency_slots).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LimitSlot {
    /// The limit's identity: its scope (a task or a named scope), and the parameter name and
    /// value it counts per; bounded in length.
    pub id: String,
    /// How many executions may hold it at once.
    pub max: u32,
}

impl LimitSlot {
    /// The limit `id`, held by at most `max` executions at once.
    pub fn new(id: impl Into<String>, max: u32) -> Self {
        Self { id: id.into(), max }
    }
}

/// When an execution is due. Relative times are resolved by the backend's own clock (Redis's
/// `TIME`, for Redis), so a process whose clock is off can neither run work early nor delay
/// it: only an absolute [`Due::At`] carries the caller's clock, as the caller asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Due {
    /// Now.
    Now,
    /// This many milliseconds from now.
    After(i64),
    /// At this instant, in milliseconds since the Unix epoch.
    At(i64),
}

impl Due {
    /// The due instant (ms since the epoch) for a backend whose clock reads `now_ms`.
    pub fn resolve(self, now_ms: i64) -> i64 {
        match self {
            Due::Now => now_ms,
            Due::After(delay) => now_ms.saturating_add(delay.max(0)),
            Due::At(at) => at,
        }
    }

    /// The form scripts read (`due_at` in `common.lua`): `=<ms>` now (this process's clock,
    /// kept for display only, so an immediate schedule needs no clock read on Redis), `+<ms>`
    /// from now or `@<ms>` at.
    pub(crate) fn spec(self) -> String {
        match self {
            Due::Now => format!("={}", now_ms()),
            Due::After(delay) => format!("+{}", delay.max(0)),
            Due::At(at) => format!("@{at}"),
        }
    }
}

/// What scheduling did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Disposition {
    /// The execution was scheduled (or its pending schedule replaced).
    Scheduled,
    /// An execution with this key is already scheduled, queued or running; nothing changed.
    AlreadyScheduled,
    /// An admission control (a cooldown) dropped the submission: its record is CANCELLED with
    /// the reason, and waiting for its result returns [`Error::Dropped`](crate::Error::Dropped).
    /// (When the key was already pending, that execution is kept and no record is written.)
    Dropped,
    /// A strike rule matched the task and its arguments: nothing was written, and waiting for
    /// its result returns [`Error::Struck`](crate::Error::Struck).
    Struck,
}

/// A claimed execution, already marked RUNNING for the claiming worker.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Delivery {
    /// Identifies the delivery to the backend (a stream entry id on Redis).
    pub id: String,
    /// The execution key.
    pub key: String,
    /// The execution's generation when it was claimed. Together with the delivery id it
    /// identifies the run: an outcome of an older run never overwrites a newer one.
    pub generation: u64,
    /// The registered task name.
    pub task: String,
    /// The MessagePack argument map.
    pub args: Vec<u8>,
    /// Which run this is, starting at 1.
    pub attempt: u32,
    /// When the execution was due, in milliseconds since the Unix epoch.
    pub when_ms: i64,
    /// Whether this delivery was taken over from a worker that stopped renewing it.
    pub redelivered: bool,
}

impl Delivery {
    /// The outcome of this delivery.
    pub fn outcome(&self, kind: OutcomeKind) -> Outcome {
        Outcome {
            id: self.id.clone(),
            key: self.key.clone(),
            generation: self.generation,
            kind,
        }
    }
}

/// How a run ended, and what happens next.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum OutcomeKind {
    /// Success, with the encoded result.
    Completed(Vec<u8>),
    /// Failure, with the error's message and type name.
    Failed {
        /// The error's message.
        message: String,
        /// The error's type name.
        type_name: String,
    },
    /// Poison input: recorded FAILED and copied to the dead-letter stream.
    DeadLetter {
        /// Why the message is dead.
        message: String,
        /// The error's type name.
        type_name: String,
    },
    /// Ended unrun and recorded CANCELLED with a reason (a strike matched it when a worker
    /// reached it). It does not count against its rate limits.
    Cancelled {
        /// Why it was cancelled.
        message: String,
        /// The error type recorded with it (e.g. [`STRUCK`]).
        type_name: String,
    },
    /// The run was interrupted because it was cancelled or its lease was lost. Nothing is
    /// written: the delivery is only acknowledged if no live run owns it any more.
    Interrupted,
    /// Put the execution aside until `due` without changing its due time or attempt (a task
    /// this worker does not know: its age keeps counting from the original due time; or a
    /// release at shutdown).
    Postpone {
        /// When to offer it again.
        due: Due,
    },
    /// A run of a perpetual or cron chain skipped unrun (a strike matched it): the chain goes
    /// on at `due` as attempt 1 with its arguments, and the skipped start does not count
    /// against its rate limits.
    Skipped {
        /// When the chain's next run is due.
        due: Due,
    },
    /// Put the execution back to run again at `due` as run number `attempt`: a retry, or the
    /// next run of a perpetual chain (attempt 1, perhaps with new arguments).
    Requeue {
        /// When to run it.
        due: Due,
        /// The attempt number of the next run.
        attempt: u32,
        /// The next run's argument map; `None` keeps the current one.
        args: Option<Vec<u8>>,
        /// The concurrency limits the next run must hold, when its new arguments change them;
        /// `None` keeps the current ones.
        limits: Option<Vec<LimitSlot>>,
    },
}

/// The end of one delivery.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Outcome {
    /// The delivery's id.
    pub id: String,
    /// The execution key.
    pub key: String,
    /// The generation of the delivery (as in [`Delivery::generation`]).
    pub generation: u64,
    /// What happened.
    pub kind: OutcomeKind,
}

impl Outcome {
    /// The outcome `kind` of delivery `id` of the execution with `key` at `generation`.
    pub fn new(id: impl Into<String>, key: impl Into<String>, generation: u64, kind: OutcomeKind) -> Self {
        Self {
            id: id.into(),
            key: key.into(),
            generation,
            kind,
        }
    }
}

/// A delivery whose lease a worker is renewing.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Lease {
    /// The delivery's id.
    pub id: String,
    /// The execution key.
    pub key: String,
}

impl Lease {
    /// The lease of delivery `id` of the execution with `key`.
    pub fn new(id: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            key: key.into(),
        }
    }
}

/// A running execution that was cancelled: the worker running delivery `delivery_id`
/// interrupts it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Cancellation {
    /// The execution key.
    pub key: String,
    /// The id of the delivery that was running when it was cancelled.
    pub delivery_id: String,
}

/// An execution that could not be processed (poison arguments, too many deliveries), kept
/// for inspection in a capped list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeadLetter {
    /// Identifies the letter among the docket's dead letters (to requeue or remove it).
    pub id: String,
    /// The execution key.
    pub key: String,
    /// The registered task name.
    pub task: String,
    /// The MessagePack argument map, as scheduled; empty when it was larger than
    /// [`DEAD_LETTER_ARGS`] (see `args_size`).
    pub args: Vec<u8>,
    /// The size of the argument map as scheduled, in bytes.
    pub args_size: u64,
    /// Why it is dead.
    pub error: StoredError,
    /// When it was dead-lettered, in milliseconds since the Unix epoch.
    pub at_ms: i64,
}

/// How much work a docket still holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Backlog {
    /// Executions queued or running (including ones another worker holds).
    pub ready: u64,
    /// Executions due in the future.
    pub scheduled: u64,
}

/// A worker whose heartbeat is fresh.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerInfo {
    /// The worker's name.
    pub name: String,
    /// Its last heartbeat, in milliseconds since the Unix epoch.
    pub last_seen_ms: i64,
    /// The names of the tasks it runs.
    pub tasks: Vec<String>,
}

/// How a worker announces itself in a [`Backend::heartbeat`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Presence {
    /// The worker's name, unique among live workers.
    pub name: String,
    /// Tells this run of the worker from another process using the same name.
    pub instance: String,
    /// How long the worker counts as alive after this heartbeat unless it sends another.
    pub ttl: Duration,
    /// The names of the tasks it runs.
    pub tasks: Vec<String>,
}

impl Presence {
    /// The presence of the worker `name` (this run: `instance`), alive for `ttl` after each
    /// heartbeat, running `tasks`.
    pub fn new(
        name: impl Into<String>,
        instance: impl Into<String>,
        ttl: Duration,
        tasks: Vec<String>,
    ) -> Self {
        Self {
            name: name.into(),
            instance: instance.into(),
            ttl,
            tasks,
        }
    }
}

/// The storage operations behind a [`Docket`](crate::Docket).
///
/// Implemented by the Redis and in-memory backends; you only need it to write a worker runtime.
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// Schedules a batch of tasks atomically per task, returning one disposition each. A task
    /// a strike rule matches (by [`strikes`](Self::strikes)) is not written:
    /// [`Disposition::Struck`].
    async fn schedule(&self, tasks: &[NewTask]) -> Result<Vec<Disposition>>;

    /// Cancels an execution in any pending or running state; returns whether it was live.
    async fn cancel(&self, key: &str) -> Result<bool>;

    /// Reads an execution's record.
    async fn info(&self, key: &str) -> Result<Option<ExecutionInfo>>;

    /// Starts watching an execution: returns its current record and a receiver of later
    /// events (events of other keys may arrive too; filter by key).
    async fn watch(&self, key: &str) -> Result<(Option<ExecutionInfo>, broadcast::Receiver<Event>)>;

    /// Claims up to `max` ready executions for `worker`, waiting up to `wait` when none are
    /// ready, and marks them RUNNING. Stale deliveries (replaced, cancelled) are skipped.
    ///
    /// Safe to drop: a claim whose future is dropped before it returns (a worker that is
    /// stopping) ends its wait and hands back whatever it still claims, QUEUED again and
    /// claimable by any worker at once, keeping due times and attempts.
    async fn claim(&self, worker: &str, max: usize, wait: Duration) -> Result<Vec<Delivery>>;

    /// Claims for `worker` without waiting, after moving up to `max` due scheduled executions
    /// to it first: one step where [`move_due`](Self::move_due) then [`claim`](Self::claim)
    /// would take two, for a worker with free slots when scheduled work falls due. The moved
    /// executions are claimed like any other (a lease, redelivery, admission controls); the
    /// ones it cannot start are left ready for any worker. Returns the deliveries, at most
    /// `max`, marked RUNNING, and how long until the earliest execution still scheduled is
    /// due, as `move_due` does. Safe to drop, like `claim`.
    async fn claim_due(&self, worker: &str, max: usize) -> Result<(Vec<Delivery>, Option<Duration>)>;

    /// Records a batch of outcomes of `worker`'s deliveries, acknowledges them and writes
    /// successors, each outcome atomically. Outcomes of stale deliveries (cancelled, replaced)
    /// are only acknowledged; outcomes of deliveries another worker has taken over are ignored.
    async fn complete(&self, worker: &str, outcomes: &[Outcome]) -> Result<()>;

    /// Moves up to `limit` due executions to the ready queue; returns how long until the
    /// earliest execution still scheduled is due, by the backend's clock (zero when it is due
    /// already), or `None` when nothing is scheduled.
    async fn move_due(&self, limit: usize) -> Result<Option<Duration>>;

    /// Renews the leases of deliveries `worker` is still running; returns the ids of those it
    /// no longer owns (cancelled, replaced, expired or taken over), which it should interrupt.
    async fn renew(&self, worker: &str, leases: &[Lease]) -> Result<Vec<String>>;

    /// Takes over up to `max` deliveries whose lease has not been renewed for `min_idle`.
    /// Safe to drop, like [`claim`](Self::claim).
    async fn reclaim(&self, worker: &str, min_idle: Duration, max: usize) -> Result<Vec<Delivery>>;

    /// Waits until claims whose futures were dropped have handed back what they claimed (a
    /// stopping worker calls it before it exits). Returns at once when there are none.
    async fn settle(&self) {}

    /// Closes the backend's connections now; later operations fail. Dropping the backend
    /// closes them in the background.
    async fn close(&self) {}

    /// The most recent dead letters, newest first, at most `limit`.
    async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>>;

    /// Removes the dead letters with these ids (unknown ids are skipped); returns how many
    /// were removed.
    async fn remove_dead_letters(&self, ids: &[String]) -> Result<u64>;

    /// A stream of running executions that were cancelled, for workers to interrupt.
    async fn cancellations(&self) -> Result<broadcast::Receiver<Cancellation>>;

    /// A signal that fires when ready or scheduled work may have arrived (a hint; workers
    /// keep a timer as a backstop).
    fn work_hint(&self) -> Option<std::sync::Arc<tokio::sync::Notify>>;

    /// Announces a worker as alive for `presence.ttl`; returns how many workers are alive.
    ///
    /// Fails with [`Error::WorkerNameTaken`](crate::Error::WorkerNameTaken) while another
    /// instance with the same name is alive.
    async fn heartbeat(&self, presence: &Presence) -> Result<usize>;

    /// Removes a worker from the registry (unless another instance has taken its name since).
    async fn leave(&self, presence: &Presence) -> Result<()>;

    /// The workers whose heartbeat is fresh, by name.
    async fn workers(&self) -> Result<Vec<WorkerInfo>>;

    /// How much work is queued, running or scheduled.
    async fn backlog(&self) -> Result<Backlog>;

    /// Deletes every scheduled and queued execution (not running ones, not strike rules), in
    /// bounded steps; returns how many were removed.
    async fn clear(&self) -> Result<u64>;

    /// The records of live executions (scheduled, queued, running), at most `limit` of each
    /// kind (scheduled; queued and running), in no particular order.
    async fn live(&self, limit: usize) -> Result<Vec<ExecutionInfo>>;

    /// Writes the progress of `worker`'s run of `delivery` into its record and publishes it to
    /// the execution's subscribers, in one atomic step. Writes nothing and returns `false` when
    /// that run is no longer the record's live run held by `worker` (it ended, was cancelled,
    /// replaced, or taken over by another worker).
    async fn progress(&self, worker: &str, delivery: &Lease, progress: &ProgressInfo) -> Result<bool>;

    /// Adds a strike rule (see [`Strike`]); returns `false` when the docket has it already.
    /// Every process of the docket learns of it within a second (this one at once). Fails
    /// with [`Error::TooManyStrikes`](crate::Error::TooManyStrikes) when the docket keeps
    /// [`MAX_STRIKES`](crate::MAX_STRIKES) rules already.
    async fn strike(&self, rule: &Strike) -> Result<bool>;

    /// Removes exactly the rule `rule` (not others that overlap it); returns whether the
    /// docket had it.
    async fn restore(&self, rule: &Strike) -> Result<bool>;

    /// The strike rules as this process knows them now: read when the backend connected and
    /// kept current as rules change (no round trip).
    fn strikes(&self) -> Arc<StrikeList>;

    /// A receiver that sees every new version of [`strikes`](Self::strikes).
    fn watch_strikes(&self) -> tokio::sync::watch::Receiver<Arc<StrikeList>>;
}

/// The time from `now_ms` until `due_ms` (zero when it has passed).
pub fn until(due_ms: i64, now_ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(due_ms.saturating_sub(now_ms)).unwrap_or(0))
}

/// Milliseconds since the Unix epoch for a point in time (saturating).
pub fn to_ms(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// Milliseconds since the Unix epoch for a due time, rounded up so that work is never
/// considered due before its time.
pub fn to_ms_ceil(time: SystemTime) -> i64 {
    let floor = to_ms(time);
    if from_ms(floor) < time {
        floor.saturating_add(1)
    } else {
        floor
    }
}

/// The point in time for milliseconds since the Unix epoch.
pub fn from_ms(ms: i64) -> SystemTime {
    if ms >= 0 {
        UNIX_EPOCH + Duration::from_millis(ms.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_millis(ms.unsigned_abs())
    }
}

/// Now, in milliseconds since the Unix epoch, by this process's clock.
///
/// For tests of clock skew, the environment variable `DOCKET_TEST_CLOCK_OFFSET_MS` (read once)
/// shifts it by that many milliseconds; nothing that decides when work is due may depend on
/// it (those decisions use the backend's clock).
pub fn now_ms() -> i64 {
    to_ms(SystemTime::now()).saturating_add(clock_offset_ms())
}

fn clock_offset_ms() -> i64 {
    static OFFSET: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *OFFSET.get_or_init(|| {
        std::env::var("DOCKET_TEST_CLOCK_OFFSET_MS")
            .ok()
            .and_then(|offset| offset.trim().parse().ok())
            .unwrap_or(0)
    })
}
