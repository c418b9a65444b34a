//! Moves due scheduled work to the ready queue. Every worker runs it; the move is atomic, so
//! several schedulers never move one execution twice.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::worker::{Backoff, Config};

/// The most executions moved in one backend call.
const MOVE_BATCH: usize = 1000;

/// Sleeps until the earliest known due time (woken earlier when the backend hints that new
/// work heads the schedule), then moves what is due. The timer behind the hints is a backstop
/// shared by the fleet: each of N live workers looks every `scheduling_resolution × N`
/// (jittered), so the fleet as a whole looks about once per `scheduling_resolution` however
/// large it is.
pub(crate) async fn run(config: Arc<Config>, stop: CancellationToken) {
    let hint = config.backend().work_hint();
    let mut backoff = Backoff::default();
    loop {
        let sleep = match config.backend().move_due(MOVE_BATCH).await {
            Ok(next) => {
                backoff.reset();
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
