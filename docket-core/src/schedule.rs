//! The schedule builder every task module's `schedule(..)` returns, and bulk scheduling.

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use futures::{StreamExt, TryStreamExt};

use crate::backend::{self, Due, NewTask};
use crate::behaviour::TaskOptions;
use crate::docket::Docket;
use crate::error::{Error, Result};
use crate::execution::Execution;
use crate::task::Task;

/// The longest key accepted, in bytes.
pub const MAX_KEY_LEN: usize = 1024;

/// A pending schedule of task `T`: set its time and key, then `.await` it.
///
/// ```text
/// process_order::schedule(&docket, 42).after(Duration::from_secs(30)).key("order-42").await?;
/// ```
#[must_use = "a schedule does nothing until it is awaited"]
pub struct Schedule<'d, T: Task> {
    docket: &'d Docket,
    task: &'static str,
    args: Result<Vec<u8>>,
    when: Option<When>,
    key: Option<String>,
    replace: bool,
    _task: PhantomData<fn() -> T>,
}

impl<'d, T: Task> Schedule<'d, T> {
    pub(crate) fn new(docket: &'d Docket, task: &'static str, args: Result<Vec<u8>>) -> Self {
        Self {
            docket,
            task,
            args,
            when: None,
            key: None,
            replace: false,
            _task: PhantomData,
        }
    }

    /// Runs the task at `when` (now, if `when` has passed). Accepts `SystemTime` and anything
    /// that converts into it (chrono's and jiff's timestamps do).
    pub fn at(mut self, when: impl Into<SystemTime>) -> Self {
        self.when = Some(When::At(when.into()));
        self
    }

    /// Runs the task after `delay`, counted by the backend's clock (Redis's), not this
    /// process's (delays beyond the year 9999 are capped there).
    pub fn after(mut self, delay: Duration) -> Self {
        self.when = Some(When::After(delay));
        self
    }

    /// Gives the execution a key: while an execution with this key is scheduled, queued or
    /// running, scheduling the key again changes nothing (see [`replace`](Self::replace)).
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Replaces the pending execution with the same key (its time and arguments) instead of
    /// keeping it. An execution that is already running is interrupted at once (as by
    /// [`Docket::cancel`](crate::Docket::cancel); it records no outcome) and the replacement
    /// owns the key.
    pub fn replace(mut self) -> Self {
        self.replace = true;
        self
    }

    fn into_new_task(self) -> Result<(NewTask, SystemTime)> {
        let key = resolve_key(self.key)?;
        let (when, due) = due_at(self.when, SystemTime::now());
        let task = new_task(self.task, T::options(), key, self.args?, due, self.replace)?;
        Ok((task, when))
    }
}

/// The backend's view of one execution to schedule: the one place a task's admission
/// controls (concurrency slots, cooldown and debounce windows, rate slots) are resolved from
/// its declared options and encoded arguments.
pub(crate) fn new_task(
    task: &str,
    options: &TaskOptions,
    key: String,
    args: Vec<u8>,
    due: Due,
    replace: bool,
) -> Result<NewTask> {
    let limits = crate::behaviour::concurrency_slots(task, options.concurrency, &args)?;
    let cooldowns = crate::behaviour::cooldown_windows(task, options.cooldown, &args)?;
    let rates = crate::behaviour::rate_slots(task, options.rate_limit, &args)?;
    let debounce = crate::behaviour::debounce_window(task, options.debounce, &args)?;
    let mut new = NewTask::new(key, task, args, due)
        .with_limits(limits)
        .with_cooldowns(cooldowns)
        .with_rates(rates)
        .with_debounce(debounce);
    new.replace = replace;
    Ok(new)
}

/// A user's key, checked, or a fresh time-ordered unique one.
pub(crate) fn resolve_key(key: Option<String>) -> Result<String> {
    match key {
        Some(key) => {
            validate_key(&key)?;
            Ok(key)
        }
        None => Ok(uuid::Uuid::now_v7().to_string()),
    }
}

/// When an execution asked for `when` runs, as this process reckons it, and how the backend
/// is told: explicit times are rounded up to the millisecond so work never runs early, and a
/// delay stays a delay, counted by the backend's clock.
pub(crate) fn due_at(when: Option<When>, now: SystemTime) -> (SystemTime, Due) {
    match when {
        Some(When::At(when)) => {
            let when = when.min(latest());
            (when, Due::At(backend::to_ms_ceil(when)))
        }
        Some(When::After(delay)) => {
            let when = now.checked_add(delay).unwrap_or_else(latest).min(latest());
            let delay_ms = backend::to_ms_ceil(when).saturating_sub(backend::to_ms(now));
            (when, Due::After(delay_ms))
        }
        None => (now, Due::Now),
    }
}

impl<'d, T: Task> IntoFuture for Schedule<'d, T> {
    type Output = Result<Execution<T::Output>>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'd>>;

    fn into_future(self) -> Self::IntoFuture {
        let docket = self.docket;
        Box::pin(async move {
            let (task, when) = self.into_new_task()?;
            let disposition = docket.backend().schedule(std::slice::from_ref(&task)).await?;
            let disposition = disposition
                .into_iter()
                .next()
                .ok_or_else(|| Error::Backend("schedule returned no disposition".into()))?;
            Ok(Execution::new(docket.clone(), task.key, when, disposition))
        })
    }
}

/// When a schedule asked to run.
#[derive(Debug, Clone, Copy)]
pub(crate) enum When {
    /// At this instant.
    At(SystemTime),
    /// This long from now.
    After(Duration),
}

/// The latest due time accepted: the end of the year 9999 (times are stored as
/// milliseconds, which Lua must hold exactly).
pub(crate) fn latest() -> SystemTime {
    backend::from_ms(253_402_300_799_999)
}

/// The most tasks that go into one backend call when scheduling in bulk.
const BULK_CHUNK: usize = 1000;
/// The most argument bytes that go into one backend call when scheduling in bulk (a single
/// larger task still goes alone).
const BULK_CHUNK_BYTES: usize = 4 * 1024 * 1024;

/// Splits a bulk schedule into backend calls bounded in tasks and in bytes.
fn bulk_chunks(tasks: &[NewTask]) -> impl Iterator<Item = &[NewTask]> {
    let mut rest = tasks;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut bytes = 0;
        let mut end = 0;
        while end < rest.len().min(BULK_CHUNK) {
            let size = rest[end].args.len() + rest[end].key.len() + rest[end].task.len();
            if end > 0 && bytes + size > BULK_CHUNK_BYTES {
                break;
            }
            bytes += size;
            end += 1;
        }
        let (chunk, tail) = rest.split_at(end);
        rest = tail;
        Some(chunk)
    })
}

impl Docket {
    /// Schedules many executions of one task in few round trips, returning their handles in
    /// order. Each execution is scheduled atomically; the batch as a whole is not.
    pub async fn schedule_all<'d, T: Task>(
        &'d self,
        schedules: impl IntoIterator<Item = Schedule<'d, T>>,
    ) -> Result<Vec<Execution<T::Output>>> {
        let planned = schedules
            .into_iter()
            .map(Schedule::into_new_task)
            .collect::<Result<Vec<_>>>()?;
        self.schedule_bulk(planned).await
    }

    /// Schedules `planned` executions (each with the time its handle reports) in backend
    /// calls bounded in tasks and bytes, two in flight at a time; their handles in order.
    pub(crate) async fn schedule_bulk<O>(
        &self,
        planned: Vec<(NewTask, SystemTime)>,
    ) -> Result<Vec<Execution<O>>> {
        let (tasks, whens): (Vec<NewTask>, Vec<SystemTime>) = planned.into_iter().unzip();
        let backend = self.backend();
        // Collected first, so that no closure is held across the await: the future stays
        // `Send` (callable from inside a task).
        let mut chunks = Vec::new();
        for chunk in bulk_chunks(&tasks) {
            chunks.push(backend.schedule(chunk));
        }
        let dispositions: Vec<_> = futures::stream::iter(chunks)
            .buffered(2)
            .try_collect::<Vec<_>>()
            .await?
            .into_iter()
            .flatten()
            .collect();
        if dispositions.len() != tasks.len() {
            return Err(Error::Backend(format!(
                "schedule returned {} dispositions for {} tasks",
                dispositions.len(),
                tasks.len()
            )));
        }
        Ok(tasks
            .into_iter()
            .zip(whens)
            .zip(dispositions)
            .map(|((task, when), disposition)| Execution::new(self.clone(), task.key, when, disposition))
            .collect())
    }
}

/// Checks that a user-supplied key is usable.
pub(crate) fn validate_key(key: &str) -> Result<()> {
    let reason = if key.is_empty() {
        "a key must not be empty"
    } else if key.len() > MAX_KEY_LEN {
        "a key must be at most 1024 bytes"
    } else {
        return Ok(());
    };
    Err(Error::InvalidKey {
        key: key.chars().take(64).collect(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(size: usize) -> NewTask {
        NewTask::new("k", "t", vec![0; size], Due::Now)
    }

    #[test]
    fn bulk_calls_are_bounded_in_tasks_and_bytes() {
        let many: Vec<NewTask> = (0..2500).map(|_| task(10)).collect();
        let sizes: Vec<usize> = bulk_chunks(&many).map(<[NewTask]>::len).collect();
        assert_eq!(sizes, vec![1000, 1000, 500]);

        let large: Vec<NewTask> = (0..10).map(|_| task(1024 * 1024)).collect();
        let sizes: Vec<usize> = bulk_chunks(&large).map(<[NewTask]>::len).collect();
        assert_eq!(sizes, vec![3, 3, 3, 1], "at most 4 MiB of arguments per call");

        let huge = vec![task(5 * 1024 * 1024), task(1)];
        let sizes: Vec<usize> = bulk_chunks(&huge).map(<[NewTask]>::len).collect();
        assert_eq!(sizes, vec![1, 1], "a task larger than the bound goes alone");
        assert_eq!(bulk_chunks(&[]).count(), 0);
    }
}
