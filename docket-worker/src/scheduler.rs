//! Moves due scheduled work to the ready queue. Every worker runs it; the move is atomic, so
//! several schedulers never move one execution twice.

use std::sync::Arc;
use std::time::Duration;

use docket::backend::now_ms;
use tokio_util::sync::CancellationToken;

use crate::worker::{Backoff, Config};

/// The most executions moved in one backend call.
const MOVE_BATCH: usize = 1000;

/// Sleeps until the earliest known due time (at most `scheduling_resolution`, and earlier
/// when the backend hints that new work was scheduled), then moves what is due.
pub(crate) async fn run(config: Arc<Config>, stop: CancellationToken) {
    let hint = config.backend().work_hint();
    let mut backoff = Backoff::default();
    loop {
        let sleep = match config.backend().move_due(MOVE_BATCH).await {
            Ok(next) => {
                backoff.reset();
                let until_next = next.map(|due| due - now_ms());
                match until_next {
                    Some(ms) if ms <= 0 => Duration::ZERO,
                    Some(ms) => Duration::from_millis(ms.unsigned_abs()).min(config.scheduling_resolution),
                    None => config.scheduling_resolution,
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
