//! Moves due scheduled work to the ready queue. Every worker runs it; the move is atomic, so
//! several schedulers never move one execution twice.
//!
//! A worker with a free slot when scheduled work falls due soon takes that work itself
//! instead: its claim loop waits for the due time and moves and starts the due executions in
//! one backend call ([`Backend::claim_due`](docket::backend::Backend::claim_due)), which
//! on Redis skips the ready queue's round trip and the record's QUEUED write. Meanwhile
//! ([`DueWork::cover`]) this scheduler stands aside; it moves due work again, for any worker,
//! as soon as the claim loop stops covering it (no free slot, nothing due soon, a failure).

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::worker::{Backoff, Config};

/// The most executions moved in one backend call.
const MOVE_BATCH: usize = 1000;

/// How soon scheduled work must fall due for a claim loop with a free slot to wait for it
/// instead of blocking on the ready queue: ready work that arrives meanwhile waits at most
/// this long for the due time's claim to pick it up (another worker's blocking read may take
/// it sooner).
pub(crate) const DUE_HORIZON: Duration = Duration::from_millis(10);

/// What the claim loop and the scheduler of one worker share about scheduled work.
#[derive(Debug)]
pub(crate) struct DueWork {
    /// When the earliest scheduled execution falls due, as last learned (`None`: nothing is
    /// scheduled, or not known yet).
    next: Mutex<Option<Instant>>,
    /// Whether the claim loop takes due work itself; the scheduler stands aside meanwhile.
    covered: watch::Sender<bool>,
}

impl Default for DueWork {
    fn default() -> Self {
        Self {
            next: Mutex::new(None),
            covered: watch::Sender::new(false),
        }
    }
}

impl DueWork {
    /// Notes what a backend call said: the earliest execution still scheduled is due in
    /// `until` (`None`: nothing is scheduled).
    pub fn learned(&self, until: Option<Duration>) {
        *self.next.lock().unwrap_or_else(|e| e.into_inner()) = until.map(|until| Instant::now() + until);
    }

    /// The instant scheduled work falls due, when that is within [`DUE_HORIZON`].
    pub fn near(&self) -> Option<Instant> {
        let next = (*self.next.lock().unwrap_or_else(|e| e.into_inner()))?;
        (next <= Instant::now() + DUE_HORIZON).then_some(next)
    }

    /// Whether the claim loop takes due work itself (`true`) or leaves it to the scheduler.
    pub fn cover(&self, covered: bool) {
        self.covered
            .send_if_modified(|now| std::mem::replace(now, covered) != covered);
    }
}

/// Sleeps until the earliest known due time (woken earlier when the backend hints that new
/// work heads the schedule), then moves what is due. The timer behind the hints is a backstop
/// shared by the fleet: each of N live workers looks every `scheduling_resolution × N`
/// (jittered), so the fleet as a whole looks about once per `scheduling_resolution` however
/// large it is.
pub(crate) async fn run(config: Arc<Config>, stop: CancellationToken) {
    let hint = config.backend().work_hint();
    let mut covered = config.due.covered.subscribe();
    let mut backoff = Backoff::default();
    loop {
        // The claim loop takes due work itself for now: wait until it stops.
        tokio::select! {
            result = covered.wait_for(|covered| !covered) => if result.is_err() {
                return;
            },
            _ = stop.cancelled() => return,
        }
        let sleep = match config.backend().move_due(MOVE_BATCH).await {
            Ok(next) => {
                backoff.reset();
                config.due.learned(next);
                // The wait is measured by the backend's clock, so a worker whose clock is off
                // neither spins nor oversleeps.
                match next {
                    Some(until) => until.min(backstop(&config)),
                    None => backstop(&config),
                }
            }
            Err(error) => {
                let delay = backoff.next();
                tracing::warn!(%error, retry_in = ?delay, "moving due work failed");
                delay
            }
        };
        if sleep.is_zero() {
            tokio::task::yield_now().await;
            if stop.is_cancelled() {
                return;
            }
            continue;
        }
        let notified = async {
            match &hint {
                Some(hint) => hint.notified().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = notified => {}
            // The claim loop may have started covering: look again.
            _ = covered.changed() => {}
            _ = stop.cancelled() => return,
        }
    }
}

/// The longest this worker sleeps without a hint: `scheduling_resolution` times the number of
/// live workers, jittered by ±25% so that workers do not look together.
fn backstop(config: &Config) -> Duration {
    let fleet = config.fleet.load(Ordering::Relaxed).clamp(1, 1024);
    let jitter = rand::Rng::gen_range(&mut rand::thread_rng(), 0.75..1.25);
    (config.scheduling_resolution * u32::try_from(fleet).unwrap_or(1)).mul_f64(if fleet > 1 {
        jitter
    } else {
        1.0
    })
}
