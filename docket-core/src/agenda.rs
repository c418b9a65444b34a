//! Agendas: calls of any tasks collected first and scattered over a window of time.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use rand::Rng;

use crate::backend::{Due, NewTask};
use crate::behaviour::TaskOptions;
use crate::docket::Docket;
use crate::error::{Error, Result};
use crate::execution::Execution;
use crate::inject::Args;
use crate::schedule::{due_at, latest, new_task, resolve_key, When};
use crate::task::Task;

/// One call of a task — its name, behaviours and encoded arguments — built with the task's
/// generated `call(..)` (`process_item::call(42)`), which type-checks the arguments as
/// `schedule(..)` does. What an [`Agenda`] collects.
#[derive(Clone)]
pub struct TaskCall {
    task: &'static str,
    options: &'static TaskOptions,
    /// The encoded arguments, or why they could not be encoded.
    args: Result<Vec<u8>, String>,
    key: Option<String>,
    replace: bool,
}

impl TaskCall {
    /// A call of task `T` with these encoded arguments.
    pub(crate) fn new<T: Task>(args: Result<Vec<u8>>) -> Self {
        Self {
            task: T::NAME,
            options: T::options(),
            args: args.map_err(|error| match error {
                Error::Encode { reason, .. } => reason,
                other => other.to_string(),
            }),
            key: None,
            replace: false,
        }
    }

    /// Gives the execution this key (see [`Schedule::key`](crate::Schedule::key)): scattering
    /// an agenda again while its keyed executions are still pending changes nothing for them.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Replaces a pending execution with the same key (see
    /// [`Schedule::replace`](crate::Schedule::replace)): scattering the agenda again moves
    /// its keyed executions to their new times.
    pub fn replace(mut self) -> Self {
        self.replace = true;
        self
    }

    /// The task this call runs.
    pub fn task(&self) -> &'static str {
        self.task
    }

    /// The backend's view of this call, due `due`.
    fn to_new_task(&self, due: Due) -> Result<NewTask> {
        let args = self.args.clone().map_err(|reason| Error::Encode {
            what: "task arguments",
            reason,
        })?;
        let key = resolve_key(self.key.clone())?;
        new_task(self.task, self.options, key, args, due, self.replace)
    }
}

impl<T: Task> From<Args<T>> for TaskCall {
    fn from(args: Args<T>) -> Self {
        TaskCall::new::<T>(args.into_bytes())
    }
}

impl fmt::Debug for TaskCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskCall")
            .field("task", &self.task)
            .field("key", &self.key)
            .field("replace", &self.replace)
            .finish_non_exhaustive()
    }
}

/// Calls of any tasks, collected to be scattered evenly over a window of time — to spread a
/// batch of work ("find and flood") instead of queueing it all at once.
///
/// ```no_run
/// # fn main() {}
/// # #[docket::task] async fn process_item(item_id: u64) {}
/// # #[docket::task] async fn send_report() {}
/// # async fn example(docket: &docket::Docket) -> docket::Result<()> {
/// use std::time::Duration;
/// use docket::Agenda;
///
/// let mut agenda: Agenda = (1..=100).map(process_item::call).collect();
/// agenda.add(send_report::call());
/// // 101 executions, from now to 50 minutes from now, 30 s apart.
/// let executions = agenda.scatter(docket, Duration::from_secs(50 * 60)).await?;
/// # Ok(()) }
/// ```
///
/// With n calls the i-th (from 0) is due at `start + i·over/(n−1)`; a single call is due at
/// the window's midpoint. Every call is checked before anything is scheduled, then they are
/// scheduled in bulk, a few backend round trips for thousands of calls. An agenda is not
/// consumed: scatter it again, over another window, as often as needed.
#[derive(Debug, Clone, Default)]
pub struct Agenda {
    calls: Vec<TaskCall>,
}

impl Agenda {
    /// An empty agenda.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a call (`agenda.add(process_item::call(42))`), after those already added.
    pub fn add(&mut self, call: impl Into<TaskCall>) -> &mut Self {
        self.calls.push(call.into());
        self
    }

    /// How many calls the agenda holds.
    pub fn len(&self) -> usize {
        self.calls.len()
    }

    /// Whether the agenda holds no calls.
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// The calls, in the order they were added.
    pub fn calls(&self) -> &[TaskCall] {
        &self.calls
    }

    /// Removes every call.
    pub fn clear(&mut self) {
        self.calls.clear();
    }

    /// Scatters the calls over `over`, from now (by the backend's clock) unless given a
    /// [`start`](Scatter::start), optionally moved by a random [`jitter`](Scatter::jitter);
    /// `.await` it for the executions, in the order of the calls.
    pub fn scatter<'a>(&'a self, docket: &'a Docket, over: Duration) -> Scatter<'a> {
        Scatter {
            agenda: self,
            docket,
            over,
            start: None,
            jitter: Duration::ZERO,
        }
    }
}

impl<C: Into<TaskCall>> Extend<C> for Agenda {
    fn extend<I: IntoIterator<Item = C>>(&mut self, calls: I) {
        self.calls.extend(calls.into_iter().map(Into::into));
    }
}

impl<C: Into<TaskCall>> FromIterator<C> for Agenda {
    fn from_iter<I: IntoIterator<Item = C>>(calls: I) -> Self {
        let mut agenda = Agenda::new();
        agenda.extend(calls);
        agenda
    }
}

/// A pending scatter of an [`Agenda`]: set its start and jitter, then `.await` it.
#[must_use = "a scatter does nothing until it is awaited"]
#[derive(Debug)]
pub struct Scatter<'a> {
    agenda: &'a Agenda,
    docket: &'a Docket,
    over: Duration,
    start: Option<SystemTime>,
    jitter: Duration,
}

impl Scatter<'_> {
    /// Starts the window at `start` instead of now (a past start runs the calls due by now at
    /// once).
    pub fn start(mut self, start: impl Into<SystemTime>) -> Self {
        self.start = Some(start.into());
        self
    }

    /// Moves each call's time by a uniformly random amount within `±jitter`, never before the
    /// window's start, so that processes scattering the same work do not all hit one instant.
    pub fn jitter(mut self, jitter: Duration) -> Self {
        self.jitter = jitter;
        self
    }
}

/// When each of `n` calls scattered over `over` is due, as an offset from the window's
/// start: evenly spaced from the start to the end (one call at the midpoint), each moved by
/// a uniform draw within `±jitter` and clamped to the start.
fn offsets(n: usize, over: Duration, jitter: Duration) -> Vec<Duration> {
    let over = over.as_nanos();
    let jitter = i128::try_from(jitter.as_nanos()).unwrap_or(i128::MAX);
    let mut rng = rand::thread_rng();
    (0..n)
        .map(|i| {
            let even = if n == 1 {
                over / 2
            } else {
                // over·i/(n−1) without overflow: over < 2^94 and i, n < 2^64.
                let (steps, i) = (n as u128 - 1, i as u128);
                over / steps * i + over % steps * i / steps
            };
            let moved = if jitter == 0 {
                even
            } else {
                let even = i128::try_from(even).unwrap_or(i128::MAX);
                u128::try_from(even.saturating_add(rng.gen_range(-jitter..=jitter))).unwrap_or(0)
            };
            nanos(moved)
        })
        .collect()
}

/// `nanos` nanoseconds as a `Duration`, saturating.
fn nanos(nanos: u128) -> Duration {
    let secs = u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX);
    Duration::new(secs, (nanos % 1_000_000_000) as u32)
}

impl<'a> IntoFuture for Scatter<'a> {
    type Output = Result<Vec<Execution<rmpv::Value>>>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let now = SystemTime::now();
            let offsets = offsets(self.agenda.len(), self.over, self.jitter);
            // Every call is checked before anything is scheduled.
            let planned = self
                .agenda
                .calls
                .iter()
                .zip(offsets)
                .enumerate()
                .map(|(index, (call, offset))| {
                    // Without a start, times are delays counted by the backend's clock; a call
                    // due at once is queued at once. A time beyond the latest is the latest.
                    let when = match self.start {
                        Some(start) => Some(When::At(start.checked_add(offset).unwrap_or_else(latest))),
                        None if offset.is_zero() => None,
                        None => Some(When::After(offset)),
                    };
                    let (when, due) = due_at(when, now);
                    call.to_new_task(due).map(|task| (task, when)).map_err(|source| {
                        Error::InvalidAgendaItem {
                            index,
                            task: call.task.to_string(),
                            source: Box::new(source),
                        }
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            self.docket.schedule_bulk(planned).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_spread_evenly_from_start_to_end() {
        let secs = |s: &[u64]| s.iter().map(|&s| Duration::from_secs(s)).collect::<Vec<_>>();
        assert_eq!(
            offsets(5, Duration::from_secs(100), Duration::ZERO),
            secs(&[0, 25, 50, 75, 100])
        );
        assert_eq!(
            offsets(2, Duration::from_secs(10), Duration::ZERO),
            secs(&[0, 10])
        );
        assert_eq!(
            offsets(1, Duration::from_secs(10), Duration::ZERO),
            secs(&[5]),
            "one call at the midpoint"
        );
        assert_eq!(offsets(3, Duration::ZERO, Duration::ZERO), secs(&[0, 0, 0]));
        assert!(offsets(0, Duration::from_secs(10), Duration::ZERO).is_empty());
        let thirds = offsets(4, Duration::from_secs(1), Duration::ZERO);
        assert_eq!(thirds[1], Duration::from_nanos(333_333_333));
    }

    #[test]
    fn extreme_windows_neither_overflow_nor_go_backwards() {
        let max = offsets(3, Duration::MAX, Duration::ZERO);
        assert_eq!(max[0], Duration::ZERO);
        assert!(max[1] < max[2] && max[2] == Duration::MAX, "{max:?}");
        let many = offsets(1000, Duration::MAX, Duration::MAX);
        assert!(many.iter().all(|offset| *offset <= Duration::MAX));
        let steps = offsets(7, Duration::from_nanos(10), Duration::ZERO);
        let nanos: Vec<u128> = steps.iter().map(Duration::as_nanos).collect();
        assert_eq!(nanos, [0, 1, 3, 5, 6, 8, 10], "over·i/(n−1), rounded down");
    }

    #[test]
    fn jitter_stays_within_its_bound_and_never_before_start() {
        let jitter = Duration::from_secs(3);
        for _ in 0..50 {
            let moved = offsets(11, Duration::from_secs(100), jitter);
            for (i, offset) in moved.iter().enumerate() {
                let even = Duration::from_secs(10 * i as u64);
                let low = even.saturating_sub(jitter);
                assert!(*offset >= low && *offset <= even + jitter, "item {i}: {offset:?}");
            }
        }
        let mut first_moved_early = false;
        for _ in 0..200 {
            let moved = offsets(2, Duration::from_secs(100), jitter);
            first_moved_early |= moved[0] == Duration::ZERO;
            assert!(moved[1] >= Duration::from_secs(97));
        }
        assert!(
            first_moved_early,
            "a draw below the start is clamped to the start"
        );
    }
}
