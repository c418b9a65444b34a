//! Injected parameters: values a task receives from the worker rather than from `schedule(..)`.
//!
//! Every injected parameter is resolved through one trait, [`FromContext`], once per run
//! before the body starts. docket implements it for [`Docket`], [`TaskContext`],
//! [`Perpetual`], [`Progress`](crate::Progress), [`Retry`], [`Timeout`] and [`State<T>`];
//! implement it for your own types (a database handle built from shared state, say) and mark
//! those parameters `#[inject]`.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::backend::{to_ms_ceil, Due};
use crate::behaviour::{millis, Attempts};
use crate::context::TaskContext;
use crate::docket::Docket;
use crate::error::Error;
use crate::task::Task;

/// Why an injected parameter could not be resolved: the run fails with this error (a
/// retryable failure, like any other).
pub type InjectError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A type a task can take as an injected parameter: resolved from the run's context, once per
/// run, before the body starts.
///
/// ```
/// use docket::{FromContext, InjectError, State, TaskContext};
///
/// #[derive(Clone)]
/// struct Pool(&'static str);
///
/// /// A connection checked out of the worker's pool for one run.
/// struct Conn(String);
///
/// impl FromContext for Conn {
///     async fn from_context(ctx: &TaskContext) -> Result<Self, InjectError> {
///         let pool = ctx.state::<Pool>().ok_or("no Pool registered on the worker")?;
///         Ok(Conn(format!("{} for {}", pool.0, ctx.key())))
///     }
/// }
///
/// #[docket::task]
/// async fn report(day: u32, #[inject] conn: Conn) -> String {
///     format!("{day} via {}", conn.0)
/// }
/// # fn main() {}
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` can't be injected into a task: it does not implement `docket::FromContext`",
    label = "injected, so resolved by the worker through `FromContext`",
    note = "a parameter is injected when it is marked `#[inject]` or its type is named `Docket`, \
            `TaskContext`, `Perpetual`, `Progress`, `Retry`, `Timeout` or `State`; implement `docket::FromContext` \
            for `{Self}`, or, to pass the value to `schedule(..)` instead, remove `#[inject]` (or name \
            the type through an alias: `use my::Retry as RetryConfig;`)"
)]
pub trait FromContext: Sized + Send + 'static {
    /// Resolves the value for one run.
    fn from_context(ctx: &TaskContext) -> impl Future<Output = Result<Self, InjectError>> + Send;
}

/// A parameter passed to `schedule(..)` and stored in the argument map: what every parameter is
/// unless it is injected. Implemented for every `Serialize + DeserializeOwned` type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is neither serializable nor injectable",
    label = "this parameter is passed to `schedule(..)` and stored, so it must be Serialize + DeserializeOwned + Send",
    note = "derive `serde::Serialize` and `serde::Deserialize` for `{Self}`; or, if the worker should \
            provide it, implement `docket::FromContext` for it and mark the parameter `#[inject]`"
)]
// No supertraits: a type that is neither `Serialize` nor `Deserialize` gets this one message,
// not one per missing bound.
pub trait Serialized {}

impl<T: serde::Serialize + serde::de::DeserializeOwned + Send + 'static> Serialized for T {}

impl FromContext for Docket {
    async fn from_context(ctx: &TaskContext) -> Result<Self, InjectError> {
        Ok(ctx.docket().clone())
    }
}

impl FromContext for TaskContext {
    async fn from_context(ctx: &TaskContext) -> Result<Self, InjectError> {
        Ok(ctx.clone())
    }
}

/// The worker's shared state of type `T`, registered with `WorkerBuilder::state` (like axum's
/// `State`). A run of a task that asks for state the worker lacks fails with an error naming
/// the type.
#[derive(Debug, Clone, Copy, Default)]
pub struct State<T>(pub T);

impl<T> Deref for State<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Clone + Send + Sync + 'static> FromContext for State<T> {
    async fn from_context(ctx: &TaskContext) -> Result<Self, InjectError> {
        ctx.state::<T>().map(State).ok_or_else(|| {
            format!(
                "no `State<{}>` is registered on this worker: add `.state(value)` to its builder",
                std::any::type_name::<T>()
            )
            .into()
        })
    }
}

/// Values shared by every run on a worker, by type.
#[derive(Clone, Default)]
pub struct States {
    values: Arc<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

impl States {
    /// No state.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the value of type `T`.
    pub fn insert<T: Clone + Send + Sync + 'static>(&mut self, value: T) {
        Arc::make_mut(&mut self.values).insert(TypeId::of::<T>(), Arc::new(value));
    }

    /// The value of type `T`, if one was added.
    pub fn get<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.values
            .get(&TypeId::of::<T>())
            .and_then(|value| value.downcast_ref::<T>())
            .cloned()
    }
}

impl fmt::Debug for States {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("States")
            .field("count", &self.values.len())
            .finish()
    }
}

/// The run's retry handle: which attempt this is, and a way to force a retry.
#[derive(Debug, Clone)]
pub struct Retry {
    ctx: TaskContext,
}

impl FromContext for Retry {
    async fn from_context(ctx: &TaskContext) -> Result<Self, InjectError> {
        Ok(Self { ctx: ctx.clone() })
    }
}

impl Retry {
    /// Which run this is, starting at 1.
    pub fn attempt(&self) -> u32 {
        self.ctx.attempt()
    }

    /// How many runs the task's `#[retry]` policy allows (`Limited(1)` without one).
    pub fn attempts(&self) -> Attempts {
        self.ctx
            .task()
            .options()
            .retry
            .map_or(Attempts::Limited(1), |policy| policy.attempts())
    }

    /// Runs the execution again after `delay` as the next attempt, whatever the body returns
    /// now, even when the retry policy has no attempts left (the forced run still counts as
    /// an attempt). Return the error it gives to end the run:
    /// `return Err(retry.after(delay).into())`.
    pub fn after(&self, delay: Duration) -> ForcedRetry {
        self.force(Due::After(millis(delay)))
    }

    /// Runs the execution again at `when` (at once if it has passed) as the next attempt,
    /// whatever the body returns now.
    pub fn at(&self, when: SystemTime) -> ForcedRetry {
        self.force(Due::At(to_ms_ceil(when)))
    }

    fn force(&self, due: Due) -> ForcedRetry {
        self.ctx
            .control()
            .update(|requests| requests.forced_retry = Some(due));
        ForcedRetry { due }
    }
}

/// The error a forced retry ends its run with (`Retry::after`, `Retry::at`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForcedRetry {
    due: Due,
}

impl fmt::Display for ForcedRetry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.due {
            Due::After(ms) => write!(
                f,
                "retry forced, in {}",
                docket_time::format_duration(Duration::from_millis(ms.max(0).unsigned_abs()))
            ),
            _ => write!(f, "retry forced"),
        }
    }
}

impl std::error::Error for ForcedRetry {}

/// The run's timeout handle (for tasks with `#[timeout(..)]`): see and move the deadline.
#[derive(Debug, Clone)]
pub struct Timeout {
    ctx: TaskContext,
}

impl FromContext for Timeout {
    async fn from_context(ctx: &TaskContext) -> Result<Self, InjectError> {
        Ok(Self { ctx: ctx.clone() })
    }
}

impl Timeout {
    /// The task's declared timeout.
    pub fn base(&self) -> Option<Duration> {
        self.ctx.task().options().timeout
    }

    /// How long until the deadline (zero once it has passed; `None` without a timeout).
    pub fn remaining(&self) -> Option<Duration> {
        self.ctx
            .control()
            .deadline()
            .map(|(at, _)| at.saturating_duration_since(tokio::time::Instant::now()))
    }

    /// Moves the deadline `by` later.
    pub fn extend(&self, by: Duration) {
        self.ctx.control().extend_deadline(by);
    }

    /// Moves the deadline later by the task's declared timeout.
    pub fn extend_by_base(&self) {
        if let Some(base) = self.base() {
            self.extend(base);
        }
    }
}

/// The run's perpetual handle (for `#[perpetual]` and `#[cron]` tasks): end the chain, or
/// shape its next run.
#[derive(Debug, Clone)]
pub struct Perpetual {
    ctx: TaskContext,
}

impl FromContext for Perpetual {
    async fn from_context(ctx: &TaskContext) -> Result<Self, InjectError> {
        Ok(Self { ctx: ctx.clone() })
    }
}

impl Perpetual {
    /// Ends the chain: this run is the last (not retried, even if it fails); its outcome is
    /// the execution's end. An automatic task is seeded again by the workers within their
    /// reseed interval: to stop one for good, remove it (or strike it).
    pub fn cancel(&self) {
        self.ctx
            .control()
            .update(|requests| requests.chain_cancelled = true);
    }

    /// The cadence to the next run: the task's `every` unless changed by
    /// [`set_every`](Self::set_every) in this run.
    pub fn every(&self) -> Option<Duration> {
        let declared = self.ctx.task().options().perpetual.map(|policy| policy.every);
        self.ctx.control().snapshot().every.or(declared)
    }

    /// Runs the next run `every` after this run's start (each run starts with the declared
    /// cadence; change it in every run that should differ).
    pub fn set_every(&self, every: Duration) {
        self.ctx.control().update(|requests| requests.every = Some(every));
    }

    /// Runs the next run at `when` (at once if it has passed).
    pub fn next_at(&self, when: SystemTime) {
        let due = Due::At(to_ms_ceil(when));
        self.ctx.control().update(|requests| requests.next = Some(due));
    }

    /// Runs the next run `delay` after this run ends.
    pub fn next_after(&self, delay: Duration) {
        let due = Due::After(millis(delay));
        self.ctx.control().update(|requests| requests.next = Some(due));
    }

    /// Gives the next run these arguments, built with the task's generated `args(..)`
    /// (`perpetual.perpetuate(my_task::args(a, b))?`). Fails when they belong to another task or
    /// could not be encoded.
    pub fn perpetuate<T: Task>(&self, args: Args<T>) -> Result<(), Error> {
        if T::NAME != self.ctx.task().name() {
            return Err(Error::Config(format!(
                "`perpetuate` was given arguments of task `{}`, but this run is of task `{}`",
                T::NAME,
                self.ctx.task().name()
            )));
        }
        let bytes = args.into_bytes()?;
        self.ctx.control().update(|requests| requests.args = Some(bytes));
        Ok(())
    }
}

/// The encoded arguments of a call of task `T`, from its generated `args(..)` function.
pub struct Args<T: Task> {
    bytes: Result<Vec<u8>, Error>,
    _task: PhantomData<fn() -> T>,
}

impl<T: Task> Args<T> {
    pub(crate) fn new(bytes: Result<Vec<u8>, Error>) -> Self {
        Self {
            bytes,
            _task: PhantomData,
        }
    }

    /// The encoded argument map, or why it could not be encoded.
    pub(crate) fn into_bytes(self) -> Result<Vec<u8>, Error> {
        self.bytes
    }
}

impl<T: Task> fmt::Debug for Args<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Args").field("task", &T::NAME).finish()
    }
}
