//! Task behaviours: what a task declares with helper attributes below `#[docket::task]`
//! (`#[retry(..)]`, `#[timeout(..)]`, `#[perpetual(..)]`, `#[cron(..)]`, `#[logged]`), kept
//! as data on its [`TaskDescriptor`](crate::TaskDescriptor), and the pure policy that decides
//! what follows a run.
//!
//! The policy never touches a backend: a worker runs the body, asks [`next_step`] what comes
//! next, and writes the outcome and that next step in one atomic backend call.

mod concurrency;
mod cooldown;
mod debounce;
mod logging;
mod perpetual;
mod rate_limit;
mod retry;
mod timeout;

use std::time::{Duration, SystemTime};

pub use self::concurrency::{concurrency_slots, ConcurrencyLimit};
pub use self::cooldown::{cooldown_windows, Cooldown};
pub use self::debounce::{debounce_window, Debounce};
pub use self::logging::logged_args;
pub use self::perpetual::{CronPolicy, PerpetualPolicy};
pub use self::rate_limit::{rate_slots, RateLimit};
pub use self::retry::{Attempts, RetryDelay, RetryPolicy};
pub use self::timeout::timeout_failure;
pub use crate::context::{Requests, RunControl};

use crate::backend::Due;
use crate::context::TaskContext;

/// The behaviours a task declared, as the macro writes them into its descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TaskOptions {
    /// `#[retry(..)]`: how failed runs are retried (none: a failure is final).
    pub retry: Option<RetryPolicy>,
    /// `#[timeout(..)]`: how long a run may take before it is dropped and failed.
    pub timeout: Option<Duration>,
    /// `#[perpetual(..)]`: the task reschedules itself after every run.
    pub perpetual: Option<PerpetualPolicy>,
    /// `#[cron(..)]`: the task reschedules itself at the next match of a cron expression.
    pub cron: Option<CronPolicy>,
    /// The parameters marked `#[logged]`, shown in the task's log lines.
    pub logged: &'static [LoggedParam],
    /// `#[concurrency(..)]`: limits on how many runs may be RUNNING at once; all must hold.
    pub concurrency: &'static [ConcurrencyLimit],
    /// `#[cooldown(..)]`: windows after an admitted submission in which duplicates are dropped.
    pub cooldown: &'static [Cooldown],
    /// `#[debounce(..)]`: one run after the submissions go quiet.
    pub debounce: Option<Debounce>,
    /// `#[rate_limit(..)]`: limits on how many runs may start per window; all must hold.
    pub rate_limit: &'static [RateLimit],
}

impl TaskOptions {
    /// No behaviours: no retry, no timeout, runs once, no argument logged.
    pub const fn new() -> Self {
        Self {
            retry: None,
            timeout: None,
            perpetual: None,
            cron: None,
            logged: &[],
            concurrency: &[],
            cooldown: &[],
            debounce: None,
            rate_limit: &[],
        }
    }

    /// Retries failed runs by `policy`.
    pub const fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Fails a run that takes longer than `timeout`.
    pub const fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Reschedules the task after every run.
    pub const fn perpetual(mut self, policy: PerpetualPolicy) -> Self {
        self.perpetual = Some(policy);
        self
    }

    /// Reschedules the task at the next match of a cron expression.
    pub const fn cron(mut self, policy: CronPolicy) -> Self {
        self.cron = Some(policy);
        self
    }

    /// Shows these parameters in the task's log lines.
    pub const fn logged(mut self, logged: &'static [LoggedParam]) -> Self {
        self.logged = logged;
        self
    }

    /// Limits how many runs may be RUNNING at once.
    pub const fn concurrency(mut self, limits: &'static [ConcurrencyLimit]) -> Self {
        self.concurrency = limits;
        self
    }

    /// Drops submissions that come within a window after an admitted one.
    pub const fn cooldown(mut self, windows: &'static [Cooldown]) -> Self {
        self.cooldown = windows;
        self
    }

    /// Runs once after the submissions go quiet.
    pub const fn debounce(mut self, debounce: Debounce) -> Self {
        self.debounce = Some(debounce);
        self
    }

    /// Limits how many runs may start per window.
    pub const fn rate_limit(mut self, limits: &'static [RateLimit]) -> Self {
        self.rate_limit = limits;
        self
    }

    /// Whether the task declared any admission control (concurrency, cooldown, debounce or
    /// rate limit): a task without pays nothing for them.
    pub fn has_admission(&self) -> bool {
        !self.concurrency.is_empty()
            || !self.cooldown.is_empty()
            || self.debounce.is_some()
            || !self.rate_limit.is_empty()
    }

    /// Whether workers seed this task themselves, under its name as key: an `automatic`
    /// perpetual task or a cron task.
    pub fn is_automatic(&self) -> bool {
        self.cron.is_some() || self.perpetual.is_some_and(|policy| policy.automatic)
    }

    /// Whether a run is followed by another of the same key (perpetual and cron tasks).
    pub fn is_recurring(&self) -> bool {
        self.cron.is_some() || self.perpetual.is_some()
    }
}

impl Default for TaskOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// A parameter marked `#[logged]` (its value is shown) or `#[logged(length_only)]` (only its
/// length: characters of a string, items of a sequence, entries of a map).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoggedParam {
    /// The parameter's name, its key in the argument map.
    pub name: &'static str,
    /// Whether only the length is shown.
    pub length_only: bool,
}

impl LoggedParam {
    /// `#[logged]`: the value is shown.
    pub const fn value(name: &'static str) -> Self {
        Self {
            name,
            length_only: false,
        }
    }

    /// `#[logged(length_only)]`: only the length is shown.
    pub const fn length(name: &'static str) -> Self {
        Self {
            name,
            length_only: true,
        }
    }
}

/// How a run ended, as the policy needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RunEnd {
    /// The body returned success.
    Succeeded,
    /// The body failed, panicked, timed out or its parameters could not be resolved: a
    /// retryable failure.
    Failed,
    /// The stored arguments do not fit the task: never retried, never followed.
    Poisoned,
}

/// What follows a run, as decided by [`next_step`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NextStep {
    /// Nothing: the run's outcome is the execution's end.
    Finish,
    /// Run the execution again at `due` as attempt `attempt`.
    Retry {
        /// When the next attempt runs.
        due: Due,
        /// Its attempt number.
        attempt: u32,
    },
    /// Run the same key again at `due` as a new run (attempt 1), with new arguments if the
    /// body gave some.
    Perpetuate {
        /// When the next run is due.
        due: Due,
        /// The next run's argument map, if the body changed it.
        args: Option<Vec<u8>>,
    },
}

/// What follows a run a strike stopped before its body began: a recurring task's chain skips
/// the run and goes on at its cadence (its next run as after a success; the body changed
/// nothing), anything else ends (CANCELLED, struck). Never a retry.
pub fn next_step_struck(ctx: &TaskContext, successors: bool, now: SystemTime) -> NextStep {
    match next_step(ctx, RunEnd::Succeeded, successors, now) {
        step @ NextStep::Perpetuate { .. } => step,
        _ => NextStep::Finish,
    }
}

/// Decides what follows a run that ended as `end`, given what the body asked for through its
/// injected handles (a forced retry, a perpetual's next time, arguments or cancellation).
///
/// - A failure is retried while the task's retry policy has attempts left; a retry the body
///   forced (`Retry::after` / `Retry::at`) happens whatever the body returned, even when the
///   policy has no attempts left (it is a run like any other: the attempt number goes up).
/// - A perpetual or cron task that is not retried is followed by its next run unless the body
///   cancelled the chain (which also skips any retry) or `successors` is false (a worker in
///   `run_until_finished` mode, or one that ran the key as often as `run_at_most` allows). An
///   automatic task is followed only under its own name: a run of it under another key is a
///   one-off.
/// - Poisoned input is never retried or followed.
///
/// `now` is the worker's clock, used only to compute the next cron match; a perpetual's next
/// run is due at `start + every`, given to the backend as the rest of `every` after this run
/// (measured by a monotonic clock), which the backend adds to its own clock.
pub fn next_step(ctx: &TaskContext, end: RunEnd, successors: bool, now: SystemTime) -> NextStep {
    if end == RunEnd::Poisoned {
        return NextStep::Finish;
    }
    let options = ctx.task().options();
    let control = ctx.control().snapshot();
    // An automatic task's chain lives under its name; a run under another key (scheduled by
    // hand, "run the report now") is a one-off, never a second chain.
    let recurring = options.is_recurring() && (!options.is_automatic() || ctx.key() == ctx.task().name());
    // A run that ended its chain ends it, even if it failed: a retry would forget the request.
    if recurring && control.chain_cancelled {
        return NextStep::Finish;
    }
    if let Some(due) = control.forced_retry {
        return NextStep::Retry {
            due,
            attempt: ctx.attempt().saturating_add(1),
        };
    }
    if end == RunEnd::Failed {
        if let Some(delay) = options.retry.and_then(|policy| policy.delay_after(ctx.attempt())) {
            return NextStep::Retry {
                due: Due::After(millis(delay)),
                attempt: ctx.attempt().saturating_add(1),
            };
        }
    }
    if !successors || !recurring {
        return NextStep::Finish;
    }
    let due = match control.next {
        Some(due) => due,
        None => match (options.perpetual, options.cron) {
            (_, Some(cron)) => match cron.next_after(now.max(ctx.when())) {
                Some(next) => Due::At(crate::backend::to_ms(next)),
                None => return NextStep::Finish,
            },
            (Some(perpetual), None) => {
                // `start + every`, as the rest of `every` from now: the backend resolves it by
                // its own clock, so a worker whose clock is off keeps the cadence.
                let every = control.every.unwrap_or(perpetual.every);
                Due::After(millis(every.saturating_sub(ctx.elapsed())))
            }
            (None, None) => return NextStep::Finish,
        },
    };
    NextStep::Perpetuate {
        due,
        args: control.args,
    }
}

/// The longest delay given to a backend: 100 years, in milliseconds (longer ones are cut to
/// it, so scripts never see a number their doubles cannot hold exactly).
const MAX_DELAY_MS: i64 = 100 * 365 * 86_400_000;

/// A delay in whole milliseconds, at most [`MAX_DELAY_MS`].
pub(crate) fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).map_or(MAX_DELAY_MS, |ms| ms.min(MAX_DELAY_MS))
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use super::*;
    use crate::backend::{from_ms, Delivery};
    use crate::inject::{Perpetual, Retry, States};
    use crate::task::{RunFuture, TaskDescriptor};
    use crate::{Docket, FromContext};

    fn run(_: TaskContext, _: Vec<u8>) -> RunFuture {
        Box::pin(async { Ok(Vec::new()) })
    }

    const SECOND: Duration = Duration::from_secs(1);

    static PLAIN: TaskDescriptor = TaskDescriptor::new("plain", run, "m", "f.rs", 1);
    static RETRIED: TaskDescriptor = TaskDescriptor::new("retried", run, "m", "f.rs", 2).with_options(
        TaskOptions::new().retry(RetryPolicy::new(Attempts::Limited(3), RetryDelay::Fixed(SECOND))),
    );
    static PERPETUAL: TaskDescriptor = TaskDescriptor::new("perpetual", run, "m", "f.rs", 3).with_options(
        TaskOptions::new()
            .perpetual(PerpetualPolicy::new(Duration::from_secs(60)))
            .retry(RetryPolicy::new(Attempts::Limited(2), RetryDelay::Fixed(SECOND))),
    );
    static PARSED: OnceLock<Option<docket_time::CronSchedule>> = OnceLock::new();
    static CRON: TaskDescriptor = TaskDescriptor::new("cron", run, "m", "f.rs", 4)
        .with_options(TaskOptions::new().cron(CronPolicy::new("0 * * * *", None, &PARSED)));

    /// The context of a run of `task` under the task's name as key.
    async fn context(task: &'static TaskDescriptor, attempt: u32, when_ms: i64) -> TaskContext {
        keyed(task, task.name(), attempt, when_ms).await
    }

    async fn keyed(task: &'static TaskDescriptor, key: &str, attempt: u32, when_ms: i64) -> TaskContext {
        let docket = Docket::connect("memory://policy-tests").await.unwrap();
        let delivery = Delivery {
            id: "1-0".into(),
            key: key.into(),
            generation: 1,
            task: task.name().into(),
            args: vec![0x80],
            attempt,
            when_ms,
            redelivered: false,
        };
        TaskContext::new(&docket, task, &delivery, "w", &States::new())
    }

    fn now() -> SystemTime {
        SystemTime::now()
    }

    /// `step` is a next run with the same arguments, due the rest of `every_ms` after this run
    /// (which has just begun).
    fn assert_perpetuates_within(step: NextStep, every_ms: i64) {
        match step {
            NextStep::Perpetuate {
                due: Due::After(ms),
                args: None,
            } => assert!((every_ms - 1_000..=every_ms).contains(&ms), "due in {ms} ms"),
            other => panic!("expected the next run in about {every_ms} ms, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn failures_are_retried_while_attempts_last() {
        let ctx = context(&RETRIED, 1, 0).await;
        assert_eq!(
            next_step(&ctx, RunEnd::Failed, true, now()),
            NextStep::Retry {
                due: Due::After(1000),
                attempt: 2
            }
        );
        assert_eq!(next_step(&ctx, RunEnd::Succeeded, true, now()), NextStep::Finish);
        let last = context(&RETRIED, 3, 0).await;
        assert_eq!(next_step(&last, RunEnd::Failed, true, now()), NextStep::Finish);
        let plain = context(&PLAIN, 1, 0).await;
        assert_eq!(next_step(&plain, RunEnd::Failed, true, now()), NextStep::Finish);
    }

    #[tokio::test]
    async fn poison_is_never_retried_or_followed() {
        for task in [&RETRIED, &PERPETUAL] {
            let ctx = context(task, 1, 0).await;
            assert_eq!(next_step(&ctx, RunEnd::Poisoned, true, now()), NextStep::Finish);
        }
    }

    #[tokio::test]
    async fn a_forced_retry_happens_whatever_the_body_returned() {
        let ctx = context(&PLAIN, 1, 0).await;
        let retry = Retry::from_context(&ctx).await.unwrap();
        let _ = retry.after(Duration::from_millis(250));
        let forced = NextStep::Retry {
            due: Due::After(250),
            attempt: 2,
        };
        assert_eq!(next_step(&ctx, RunEnd::Succeeded, true, now()), forced);
        assert_eq!(next_step(&ctx, RunEnd::Failed, false, now()), forced);
    }

    #[tokio::test]
    async fn a_perpetual_run_is_followed_every_period_from_its_start() {
        let ctx = context(&PERPETUAL, 1, 0).await;
        assert_perpetuates_within(next_step(&ctx, RunEnd::Succeeded, true, now()), 60_000);
        // A failure uses the retry policy first, then the chain goes on.
        assert!(matches!(
            next_step(&ctx, RunEnd::Failed, true, now()),
            NextStep::Retry { attempt: 2, .. }
        ));
        let last = context(&PERPETUAL, 2, 0).await;
        assert_perpetuates_within(next_step(&last, RunEnd::Failed, true, now()), 60_000);
        // Without successors (run_until_finished) the chain ends.
        assert_eq!(next_step(&ctx, RunEnd::Succeeded, false, now()), NextStep::Finish);
    }

    #[tokio::test]
    async fn the_body_shapes_or_ends_the_next_run() {
        let ctx = context(&PERPETUAL, 1, 0).await;
        let perpetual = Perpetual::from_context(&ctx).await.unwrap();
        perpetual.set_every(Duration::from_secs(5));
        assert_perpetuates_within(next_step(&ctx, RunEnd::Succeeded, true, now()), 5_000);
        perpetual.next_after(Duration::from_millis(10));
        ctx.control().update(|requests| requests.args = Some(vec![0x80]));
        assert_eq!(
            next_step(&ctx, RunEnd::Succeeded, true, now()),
            NextStep::Perpetuate {
                due: Due::After(10),
                args: Some(vec![0x80])
            }
        );
        perpetual.cancel();
        assert_eq!(next_step(&ctx, RunEnd::Succeeded, true, now()), NextStep::Finish);
    }

    #[tokio::test]
    async fn a_chain_cancelled_by_a_failing_run_is_not_retried() {
        let ctx = context(&PERPETUAL, 1, 0).await;
        Perpetual::from_context(&ctx).await.unwrap().cancel();
        assert_eq!(next_step(&ctx, RunEnd::Failed, true, now()), NextStep::Finish);
    }

    #[tokio::test]
    async fn an_automatic_task_under_another_key_is_a_one_off() {
        let ctx = keyed(&CRON, "report-now", 1, 0).await;
        assert_eq!(next_step(&ctx, RunEnd::Succeeded, true, now()), NextStep::Finish);
    }

    #[test]
    fn huge_delays_are_capped() {
        assert_eq!(millis(Duration::MAX), MAX_DELAY_MS);
        assert_eq!(millis(Duration::from_millis(1500)), 1500);
    }

    #[tokio::test]
    async fn a_cron_run_is_followed_at_the_next_match_after_its_due_time() {
        // Due at 10:00 UTC, run (by this clock) at 09:59:59.990: the next run is 11:00.
        let ten = 1_700_000_000_000 - 1_700_000_000_000 % 3_600_000;
        let ctx = context(&CRON, 1, ten).await;
        let next = next_step(&ctx, RunEnd::Succeeded, true, from_ms(ten - 10));
        assert_eq!(
            next,
            NextStep::Perpetuate {
                due: Due::At(ten + 3_600_000),
                args: None
            }
        );
        // Run late, at 11:30: the missed 11:00 is skipped, not caught up.
        let late = next_step(&ctx, RunEnd::Failed, true, from_ms(ten + 5_400_000));
        assert_eq!(
            late,
            NextStep::Perpetuate {
                due: Due::At(ten + 7_200_000),
                args: None
            }
        );
    }
}
