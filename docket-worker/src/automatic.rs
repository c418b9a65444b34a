//! Seeding automatic tasks: `#[perpetual(.., automatic)]` and `#[cron]` tasks are scheduled by
//! the workers themselves, under the task's name as key (S13, S14).
//!
//! Seeding is an ordinary schedule that does not replace: while the chain is alive (scheduled,
//! queued or running) it is a no-op, so any number of workers seeding any number of times
//! leave exactly one chain, and a live chain's next run is never moved. Each worker seeds
//! before its first claim and again every reseed interval, which restores a chain that was
//! cut, and again whenever the strike rules change (a task whose seed was struck is seeded as
//! soon as it is restored).

use std::sync::Arc;
use std::time::Duration;

use docket::backend::{from_ms, now_ms, to_ms, Due, NewTask};
use docket::{Disposition, TaskDescriptor};
use tokio_util::sync::CancellationToken;

use crate::worker::Config;

/// The argument map of a task without serialized parameters: an empty MessagePack map.
const NO_ARGUMENTS: [u8; 1] = [0x80];

/// Seeds `tasks` once; failures are logged (the next round tries again).
pub(crate) async fn seed_once(config: &Config, tasks: &[&'static TaskDescriptor]) {
    let batch: Vec<NewTask> = tasks.iter().filter_map(|task| first_run(task)).collect();
    match config.backend().schedule(&batch).await {
        Ok(dispositions) => {
            for (task, disposition) in batch.iter().zip(dispositions) {
                match disposition {
                    Disposition::Scheduled => tracing::info!(task = %task.task, "seeded an automatic task"),
                    Disposition::Struck => {
                        tracing::info!(task = %task.task, "not seeding a struck automatic task")
                    }
                    _ => {}
                }
            }
        }
        Err(error) => tracing::warn!(%error, "seeding automatic tasks failed; trying again later"),
    }
}

/// Seeds `tasks` again every reseed interval until `stop`.
pub(crate) async fn keep_seeding(
    config: Arc<Config>,
    tasks: Vec<&'static TaskDescriptor>,
    stop: CancellationToken,
) {
    let interval = config.automatic.unwrap_or(Duration::from_secs(60));
    // A restored task is seeded again at once (its seed was struck while the rule held).
    let mut strikes = config.backend().watch_strikes();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(jittered(interval)) => {}
            changed = strikes.changed() => if changed.is_err() {
                // The backend is gone: so is the worker.
                return;
            },
            _ = stop.cancelled() => return,
        }
        seed_once(&config, &tasks).await;
    }
}

/// The first run of an automatic task: a perpetual one now, a cron one at its next match
/// (never at once).
fn first_run(task: &'static TaskDescriptor) -> Option<NewTask> {
    let options = task.options();
    let due = match options.cron {
        Some(cron) => match cron.next_after(from_ms(now_ms())) {
            Some(next) => Due::At(to_ms(next)),
            None => {
                tracing::error!(task = task.name(), "this cron task has no next run; not seeded");
                return None;
            }
        },
        None => Due::Now,
    };
    let limits = match docket::behaviour::concurrency_slots(task.name(), options.concurrency, &NO_ARGUMENTS) {
        Ok(limits) => limits,
        Err(error) => {
            tracing::error!(task = task.name(), %error, "this task's concurrency limits cannot be read; not seeded");
            return None;
        }
    };
    let rates = match docket::behaviour::rate_slots(task.name(), options.rate_limit, &NO_ARGUMENTS) {
        Ok(rates) => rates,
        Err(error) => {
            tracing::error!(task = task.name(), %error, "this task's rate limits cannot be read; not seeded");
            return None;
        }
    };
    Some(
        NewTask::new(task.name(), task.name(), NO_ARGUMENTS.to_vec(), due)
            .with_limits(limits)
            .with_rates(rates),
    )
}

/// `interval` give or take 10%, so that workers started together do not seed together.
fn jittered(interval: Duration) -> Duration {
    interval.mul_f64(rand::Rng::gen_range(&mut rand::thread_rng(), 0.9..1.1))
}
