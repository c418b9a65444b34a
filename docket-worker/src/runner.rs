//! Running one delivery: find its task, run the body under its cancellation token, and turn
//! what happened into an outcome for the completer.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use docket::backend::{from_ms, now_ms, Delivery, Due, Lease, Outcome, OutcomeKind};
use docket::behaviour::{logged_args, next_step, next_step_struck, timeout_failure, NextStep, RunEnd};
use docket::{FailureKind, TaskContext};
use futures::FutureExt;
use tokio::sync::{broadcast, mpsc, OwnedSemaphorePermit};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::worker::Config;

/// A delivery this worker holds: running, or finished with its outcome not recorded yet.
#[derive(Debug)]
pub(crate) struct Running {
    key: String,
    cancel: CancellationToken,
    /// The body has ended; the outcome waits for the completer (through an outage, say).
    finished: bool,
}

/// The deliveries this worker holds, by delivery id. A delivery stays until its outcome is
/// recorded, so its lease is renewed until then: after an outage no other worker mistakes
/// a finished but unrecorded run for a stalled one.
pub(crate) type InFlight = Arc<Mutex<HashMap<String, Running>>>;

/// Forgets deliveries whose outcomes were recorded.
pub(crate) fn recorded(in_flight: &InFlight, ids: impl IntoIterator<Item = String>) {
    let mut in_flight = in_flight.lock().unwrap_or_else(|e| e.into_inner());
    for id in ids {
        in_flight.remove(&id);
    }
}

/// The leases of everything this worker holds.
pub(crate) fn leases(in_flight: &InFlight) -> Vec<Lease> {
    let in_flight = in_flight.lock().unwrap_or_else(|e| e.into_inner());
    in_flight
        .iter()
        .map(|(id, running)| Lease::new(id.clone(), running.key.clone()))
        .collect()
}

/// Which runs may be followed by another run of the same key (a retry or a perpetual's next
/// run), by how the worker was started.
#[derive(Debug)]
pub(crate) enum Successors {
    /// `run_forever`: every run is followed as its task's behaviours say.
    Always,
    /// `run_until_finished`: retries happen, but a perpetual or cron chain ends after its run.
    Retries,
    /// `run_at_most`: each listed key runs at most this many more times (retries and
    /// perpetual runs alike); other keys behave as under `run_until_finished`.
    AtMost(Mutex<HashMap<String, usize>>),
}

impl Successors {
    /// Counts a run of `key` and says what may follow it: (retries, perpetual successors).
    fn after_run(&self, key: &str) -> (bool, bool) {
        match self {
            Self::Always => (true, true),
            Self::Retries => (true, false),
            Self::AtMost(limits) => {
                let mut limits = limits.lock().unwrap_or_else(|e| e.into_inner());
                match limits.get_mut(key) {
                    Some(left) => {
                        *left = left.saturating_sub(1);
                        (*left > 0, *left > 0)
                    }
                    None => (true, false),
                }
            }
        }
    }

    /// Whether a perpetual or cron chain of `key` may go on past a run it skipped (struck).
    /// Under `run_at_most` a skipped run counts as one of the key's runs, so a struck chain
    /// cannot keep the worker from finishing.
    fn chain_continues(&self, key: &str) -> bool {
        self.after_run(key).1
    }
}

/// Starts executions and reports their outcomes.
pub(crate) struct Runner {
    config: Arc<Config>,
    in_flight: InFlight,
    outcomes: mpsc::UnboundedSender<Outcome>,
    release: CancellationToken,
    successors: Arc<Successors>,
}

impl Runner {
    pub fn new(
        config: Arc<Config>,
        in_flight: InFlight,
        outcomes: mpsc::UnboundedSender<Outcome>,
        successors: Successors,
    ) -> Self {
        Self {
            config,
            in_flight,
            outcomes,
            release: CancellationToken::new(),
            successors: Arc::new(successors),
        }
    }

    /// Interrupts every running execution and puts it back for another run (shutdown).
    pub fn release_all(&self) {
        self.release.cancel();
    }

    /// What to do with a delivery of a task this binary does not know (a rolling deploy):
    /// offer it again later for a worker that knows it, and dead-letter it once it has waited
    /// longer than `unknown_task_max_age` since it was due.
    fn unknown_task(&self, delivery: &Delivery) -> OutcomeKind {
        let waited =
            Duration::from_millis(u64::try_from(now_ms().saturating_sub(delivery.when_ms)).unwrap_or(0));
        if waited > self.config.unknown_task_max_age {
            tracing::error!(
                task = %delivery.task,
                key = %delivery.key,
                known = ?self.config.registry.names(),
                ?waited,
                "unknown task: no worker took it in time, dead-lettered"
            );
            return OutcomeKind::DeadLetter {
                message: format!(
                    "no worker knows task `{}`: it waited {waited:?} for one (unknown_task_max_age is {:?})",
                    delivery.task, self.config.unknown_task_max_age
                ),
                type_name: "docket::UnknownTask".to_string(),
            };
        }
        let delay = self.config.unknown_task_delay;
        tracing::warn!(
            task = %delivery.task,
            key = %delivery.key,
            known = ?self.config.registry.names(),
            retry_in = ?delay,
            "unknown task: putting it back for a worker that knows it"
        );
        OutcomeKind::Postpone {
            due: Due::After(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX)),
        }
    }

    /// What to do with a delivery a strike rule matches: its body never starts. A perpetual or
    /// cron chain skips the run and goes on at its cadence; anything else ends CANCELLED with
    /// the rule as its reason.
    fn struck(&self, context: &TaskContext, rule: &docket::Strike) -> OutcomeKind {
        let continues = self.successors.chain_continues(context.key());
        match next_step_struck(context, continues, from_ms(now_ms())) {
            NextStep::Perpetuate { due, .. } => {
                tracing::warn!(task = %context.task().name(), key = %context.key(), %rule, next = ?due, "struck: skipped this run of its chain");
                OutcomeKind::Skipped { due }
            }
            _ => {
                tracing::warn!(task = %context.task().name(), key = %context.key(), %rule, "struck: cancelled without running");
                OutcomeKind::Cancelled {
                    message: format!("struck: {rule}"),
                    type_name: docket::backend::STRUCK.to_string(),
                }
            }
        }
    }

    /// Runs one delivery in its own tokio task, holding `permit` until it ends.
    pub fn dispatch(&self, mut delivery: Delivery, permit: OwnedSemaphorePermit) {
        let Some(descriptor) = self.config.registry.get(&delivery.task) else {
            let _ = self.outcomes.send(delivery.outcome(self.unknown_task(&delivery)));
            return;
        };
        let context = TaskContext::new(
            &self.config.docket,
            descriptor,
            &delivery,
            &self.config.name,
            &self.config.states,
        );
        if let Some(rule) = self.config.docket.strikes().find(&delivery.task, &delivery.args) {
            let kind = self.struck(&context, rule);
            let _ = self.outcomes.send(delivery.outcome(kind));
            return;
        }
        let cancel = CancellationToken::new();
        {
            let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
            if in_flight.contains_key(&delivery.id) {
                // Taken over from ourselves (our renewals failed for a while): it is running.
                return;
            }
            in_flight.insert(
                delivery.id.clone(),
                Running {
                    key: delivery.key.clone(),
                    cancel: cancel.clone(),
                    finished: false,
                },
            );
        }
        let span = tracing::info_span!(
            "task",
            task = %delivery.task,
            key = %delivery.key,
            attempt = delivery.attempt,
            worker = %self.config.name,
        );
        let in_flight = self.in_flight.clone();
        let outcomes = self.outcomes.clone();
        let release = self.release.clone();
        let successors = self.successors.clone();
        let args = std::mem::take(&mut delivery.args);
        tokio::spawn(
            async move {
                let punctuality = now_ms().saturating_sub(delivery.when_ms);
                match logged_args(descriptor.options().logged, &args) {
                    Some(args) => tracing::info!(
                        punctuality_ms = punctuality,
                        redelivered = delivery.redelivered,
                        %args,
                        "started"
                    ),
                    None => tracing::info!(punctuality_ms = punctuality, redelivered = delivery.redelivered, "started"),
                }
                let started = Instant::now();
                let body = AssertUnwindSafe(descriptor.run(context.clone(), args)).catch_unwind();
                let ended = tokio::select! {
                    biased;
                    _ = cancel.cancelled() => {
                        tracing::info!(duration_ms = millis(started.elapsed()), "interrupted: cancelled or lease lost");
                        None
                    }
                    _ = release.cancelled() => {
                        tracing::warn!(duration_ms = millis(started.elapsed()), "released for redelivery at shutdown");
                        // Offered again at once, keeping its due time and attempt.
                        Some(Err(OutcomeKind::Postpone { due: Due::Now }))
                    }
                    _ = context.control().deadline_passed() => {
                        let given = context.control().deadline().map_or(Duration::ZERO, |(_, given)| given);
                        Some(Ok(Ended::Failed(timeout_failure(given))))
                    }
                    ended = body => Some(Ok(classify(ended))),
                };
                let kind = match ended {
                    None => OutcomeKind::Interrupted,
                    Some(Err(kind)) => kind,
                    Some(Ok(ended)) => decide(&context, ended, started.elapsed(), &successors),
                };
                if let Some(running) = in_flight.lock().unwrap_or_else(|e| e.into_inner()).get_mut(&delivery.id) {
                    running.finished = true;
                }
                drop(permit);
                // The run's last progress is written before its outcome, so subscribers see
                // every progress event before the end.
                match kind {
                    OutcomeKind::Interrupted => context.abandon_progress(),
                    _ => context.finish_progress().await,
                }
                let _ = outcomes.send(delivery.outcome(kind));
            }
            .instrument(span),
        );
    }
}

/// How a body ended.
enum Ended {
    Succeeded(Vec<u8>),
    /// Failed, panicked, timed out or could not be given its parameters: retryable.
    Failed(docket::Failure),
    /// Its arguments do not fit the task: never retried.
    Poisoned(docket::Failure),
}

/// Logs the end of a run and turns it, with what follows it, into the outcome to record.
fn decide(context: &TaskContext, ended: Ended, elapsed: Duration, successors: &Successors) -> OutcomeKind {
    let duration_ms = millis(elapsed);
    let end = match &ended {
        Ended::Succeeded(_) => RunEnd::Succeeded,
        Ended::Failed(_) => RunEnd::Failed,
        Ended::Poisoned(_) => RunEnd::Poisoned,
    };
    match &ended {
        Ended::Succeeded(_) => tracing::info!(duration_ms, "completed"),
        Ended::Failed(failure) => {
            tracing::warn!(duration_ms, error = %failure.message, error_type = %failure.type_name, "failed")
        }
        Ended::Poisoned(failure) => {
            tracing::error!(duration_ms, error = %failure.message, "arguments do not fit the task: dead-lettered")
        }
    }
    let (retries, perpetual) = successors.after_run(context.key());
    let step = next_step(context, end, perpetual, from_ms(now_ms()));
    match step {
        NextStep::Retry { due, attempt } if retries => {
            tracing::warn!(next_attempt = attempt, due = ?due, "retrying");
            return OutcomeKind::Requeue {
                due,
                attempt,
                args: None,
                limits: None,
            };
        }
        NextStep::Perpetuate { due, args } => {
            tracing::debug!(due = ?due, new_arguments = args.is_some(), "next run scheduled");
            // New arguments may name other concurrency limits (a per-value limit).
            let limits = match &args {
                Some(args) => next_limits(context, args),
                None => None,
            };
            return OutcomeKind::Requeue {
                due,
                attempt: 1,
                args,
                limits,
            };
        }
        _ => {}
    }
    match ended {
        Ended::Succeeded(result) => OutcomeKind::Completed(result),
        Ended::Failed(failure) => OutcomeKind::Failed {
            message: bounded(failure.message),
            type_name: failure.type_name,
        },
        Ended::Poisoned(failure) => OutcomeKind::DeadLetter {
            message: bounded(failure.message),
            type_name: failure.type_name,
        },
    }
}

/// The longest error message recorded; a longer one is cut and says how long it was.
const MAX_ERROR_MESSAGE: usize = 16 * 1024;

/// `message`, cut to [`MAX_ERROR_MESSAGE`] bytes at a character boundary.
fn bounded(message: String) -> String {
    if message.len() <= MAX_ERROR_MESSAGE {
        return message;
    }
    let mut end = MAX_ERROR_MESSAGE;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… (cut from {} bytes)", &message[..end], message.len())
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

type Caught = Result<Result<Vec<u8>, docket::Failure>, Box<dyn std::any::Any + Send>>;

fn classify(caught: Caught) -> Ended {
    match caught {
        Ok(Ok(result)) => Ended::Succeeded(result),
        Ok(Err(failure)) if failure.kind == FailureKind::BadArguments => Ended::Poisoned(failure),
        Ok(Err(failure)) => Ended::Failed(failure),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "the task panicked".to_string());
            Ended::Failed(docket::Failure::task(message, "panic"))
        }
    }
}

/// Interrupts the given deliveries if they are still running here; returns the keys of those
/// it interrupted (a delivery that finished meanwhile is not running, so nothing is lost).
pub(crate) fn interrupt(in_flight: &InFlight, ids: &[String]) -> Vec<String> {
    let in_flight = in_flight.lock().unwrap_or_else(|e| e.into_inner());
    ids.iter()
        .filter_map(|id| in_flight.get(id))
        .filter(|running| !running.finished)
        .map(|running| {
            running.cancel.cancel();
            running.key.clone()
        })
        .collect()
}

/// Interrupts running executions whose cancellation the backend announces.
pub(crate) async fn listen_for_cancellations(
    config: Arc<Config>,
    in_flight: InFlight,
    stop: CancellationToken,
) {
    let mut cancellations = loop {
        match config.backend().cancellations().await {
            Ok(receiver) => break receiver,
            Err(error) => {
                tracing::warn!(%error, "cannot listen for cancellations; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.cancelled() => return,
                }
            }
        }
    };
    loop {
        let cancellation = tokio::select! {
            received = cancellations.recv() => match received {
                Ok(cancellation) => cancellation,
                // Missed ones are found by the next lease renewal.
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = stop.cancelled() => return,
        };
        for key in interrupt(&in_flight, &[cancellation.delivery_id]) {
            tracing::info!(%key, "interrupting a cancelled run");
        }
    }
}

/// The concurrency limits of a next run with the new arguments `args`, or `None` to keep the
/// current ones (the task has none, or they cannot be read from arguments that were just
/// encoded, which then keep the current run's).
fn next_limits(context: &TaskContext, args: &[u8]) -> Option<Vec<docket::backend::LimitSlot>> {
    let task = context.task();
    let limits = task.options().concurrency;
    if limits.is_empty() {
        return None;
    }
    match docket::behaviour::concurrency_slots(task.name(), limits, args) {
        Ok(slots) => Some(slots),
        Err(error) => {
            tracing::error!(%error, "the next run's concurrency limits cannot be read; the current ones are kept");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_runs_still_in_flight_are_interrupted_and_reported() {
        let in_flight: InFlight = Arc::new(Mutex::new(HashMap::new()));
        let running = CancellationToken::new();
        in_flight.lock().unwrap().insert(
            "1-0".to_string(),
            Running {
                key: "still-running".to_string(),
                cancel: running.clone(),
                finished: false,
            },
        );
        in_flight.lock().unwrap().insert(
            "3-0".to_string(),
            Running {
                key: "finished".to_string(),
                cancel: CancellationToken::new(),
                finished: true,
            },
        );
        // "2-0" was recorded and "3-0" finished after the renewal took its snapshot: the
        // backend reports them, but neither is a loss.
        let reported = interrupt(
            &in_flight,
            &["1-0".to_string(), "2-0".to_string(), "3-0".to_string()],
        );
        assert_eq!(reported, vec!["still-running".to_string()]);
        assert!(running.is_cancelled());
    }

    #[test]
    fn long_error_messages_are_cut_at_a_character_boundary() {
        assert_eq!(bounded("short".into()), "short");
        let long = "é".repeat(MAX_ERROR_MESSAGE);
        let cut = bounded(long.clone());
        assert!(cut.len() < MAX_ERROR_MESSAGE + 64, "{}", cut.len());
        assert!(cut.ends_with(&format!("(cut from {} bytes)", long.len())));
    }
}
