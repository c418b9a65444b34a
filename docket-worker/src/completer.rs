//! Records outcomes in batches: whatever has finished since the last flush goes to the
//! backend in one call, while the claim loop keeps reading.
//!
//! An outcome that only files its execution's next run for later (a perpetual chain's next
//! run, a retry after a delay) may wait up to [`LINGER`] for others to share its call, which
//! is how a worker running many perpetual tasks records several runs per call; its delay is
//! shortened by the time it waited, so its next run is due when it would have been. Any other
//! outcome (a result, a failure, a run due at once) is recorded at once, with whatever waits.

use std::sync::Arc;
use std::time::Duration;

use docket::backend::{Due, Outcome, OutcomeKind};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::runner::{recorded, InFlight};
use crate::worker::{Backoff, Config};

/// The most outcomes recorded in one backend call.
const MAX_BATCH: usize = 512;

/// The longest an outcome that files a later run waits for others to share its call.
const LINGER: Duration = Duration::from_millis(10);

/// The stage that flushes outcomes.
pub(crate) struct Completer {
    config: Arc<Config>,
    receiver: mpsc::UnboundedReceiver<Outcome>,
    in_flight: InFlight,
}

impl Completer {
    pub fn new(config: Arc<Config>, receiver: mpsc::UnboundedReceiver<Outcome>, in_flight: InFlight) -> Self {
        Self {
            config,
            receiver,
            in_flight,
        }
    }

    /// Runs until every sender is gone and every outcome is recorded.
    pub async fn run(mut self) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        // When each outcome of the batch arrived.
        let mut arrived = Vec::with_capacity(MAX_BATCH);
        while self.receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
            let first = Instant::now();
            arrived.resize(batch.len(), first);
            let until = first + LINGER;
            while batch.len() < MAX_BATCH && batch.iter().all(can_wait) {
                let room = MAX_BATCH - batch.len();
                let more = tokio::time::timeout_at(until, self.receiver.recv_many(&mut batch, room)).await;
                match more {
                    Ok(received) if received > 0 => arrived.resize(batch.len(), Instant::now()),
                    // Closed (the worker is stopping), or waited long enough.
                    _ => break,
                }
            }
            for (outcome, at) in batch.iter_mut().zip(&arrived) {
                shorten_by(outcome, at.elapsed());
            }
            arrived.clear();
            let mut backoff = Backoff::default();
            // An outcome that cannot be written leaves its delivery pending: we keep trying,
            // and if this process dies the delivery is redelivered.
            while let Err(error) = self.config.backend().complete(&self.config.name, &batch).await {
                let delay = backoff.next();
                tracing::warn!(%error, outcomes = batch.len(), retry_in = ?delay, "recording outcomes failed");
                tokio::time::sleep(delay).await;
            }
            // Recorded: their leases need no renewing any more.
            recorded(&self.in_flight, batch.drain(..).map(|outcome| outcome.id));
        }
    }
}

/// Whether `outcome` may wait [`LINGER`] to be recorded: it files a later run whose delay is
/// at least that long, so waiting (and shortening the delay by the wait) changes nothing.
fn can_wait(outcome: &Outcome) -> bool {
    match &outcome.kind {
        OutcomeKind::Requeue {
            due: Due::After(delay),
            ..
        }
        | OutcomeKind::Skipped {
            due: Due::After(delay),
        } => u128::try_from(*delay).is_ok_and(|delay| delay >= LINGER.as_millis()),
        _ => false,
    }
}

/// Shortens the delay of a later run filed by `outcome` by `waited` (in whole milliseconds,
/// rounded down: never earlier than it was asked to be due), the time it waited here.
fn shorten_by(outcome: &mut Outcome, waited: Duration) {
    if let OutcomeKind::Requeue {
        due: Due::After(delay),
        ..
    }
    | OutcomeKind::Skipped {
        due: Due::After(delay),
    } = &mut outcome.kind
    {
        let waited = i64::try_from(waited.as_millis()).unwrap_or(i64::MAX);
        *delay = delay.saturating_sub(waited).max(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn requeue(due: Due) -> Outcome {
        Outcome::new(
            "1-0",
            "k",
            1,
            OutcomeKind::Requeue {
                due,
                attempt: 1,
                args: None,
                limits: None,
            },
        )
    }

    #[test]
    fn only_later_runs_wait_and_their_delay_keeps_their_due_time() {
        assert!(can_wait(&requeue(Due::After(1000))));
        let skipped = OutcomeKind::Skipped {
            due: Due::After(1000),
        };
        assert!(
            can_wait(&Outcome::new("1-0", "k", 1, skipped)),
            "a chain's skipped run"
        );
        assert!(!can_wait(&requeue(Due::After(3))), "a run due within the wait");
        assert!(!can_wait(&requeue(Due::Now)));
        assert!(!can_wait(&requeue(Due::At(0))));
        assert!(!can_wait(&Outcome::new(
            "1-0",
            "k",
            1,
            OutcomeKind::Completed(vec![0xc0])
        )));

        let mut outcome = requeue(Due::After(1000));
        shorten_by(&mut outcome, Duration::from_micros(7_900));
        let OutcomeKind::Requeue { due, .. } = outcome.kind else {
            unreachable!()
        };
        assert_eq!(due, Due::After(993), "rounded so that it is never due early");
    }
}
