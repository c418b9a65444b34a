//! Claims that are safe to abandon.
//!
//! A worker that is asked to stop drops its claim at once, whatever the claim was doing. On
//! Redis that is not free: a script or a blocking read already sent still runs, and what it
//! claimed would sit pending on this worker, unstarted, until the redelivery timeout. So each
//! claim runs in a task of its own and hands its result over through a oneshot channel. When
//! the caller's future is dropped first, the claim is marked abandoned and a blocking read in
//! progress is ended (`CLIENT UNBLOCK`); entries the read still returns are queued again
//! without being started, and deliveries already started are put back at once, keeping their
//! due time and attempt. Either way they are claimable by any worker immediately.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use fred::interfaces::ClientInterface;
use fred::types::ClientUnblockFlag;
use tokio::sync::{oneshot, Notify};

use super::Core;
use crate::backend::{Delivery, Due, OutcomeKind};
use crate::error::{Error, Result};

/// How long an abandoned claim's blocking read is chased with `CLIENT UNBLOCK`: longer than
/// any claim waits.
const UNBLOCK_FOR: Duration = Duration::from_secs(10);
/// How often it is tried until the read is sent.
const UNBLOCK_RETRY: Duration = Duration::from_millis(20);

/// What a claim does.
pub(super) enum Work {
    /// Read and start up to `max` ready deliveries, waiting up to `wait` for one.
    Claim { max: usize, wait: Duration },
    /// Take over up to `max` deliveries idle for `min_idle`.
    Reclaim { min_idle: Duration, max: usize },
    /// Move up to `max` due executions and start up to `max` deliveries, without waiting.
    Due { max: usize },
}

/// What a claim started, and (for [`Work::Due`]) how long until the earliest execution still
/// scheduled is due.
pub(super) type Claimed = (Vec<Delivery>, Option<Duration>);

/// Runs `work` for `worker` so that dropping the returned future loses nothing.
pub(super) async fn detached(core: &Arc<Core>, worker: &str, work: Work) -> Result<Claimed> {
    let (sender, receiver) = oneshot::channel();
    let abandoned = Arc::new(AtomicBool::new(false));
    let finished = Arc::new(AtomicBool::new(false));
    let task_finished = finished.clone();
    let task_core = core.clone();
    let task_worker = worker.to_string();
    let task_abandoned = abandoned.clone();
    spawn_tracked(core, async move {
        let claimed = if task_abandoned.load(Ordering::Acquire) {
            Ok((Vec::new(), None))
        } else {
            match work {
                Work::Claim { max, wait } => task_core
                    .claim_batch(&task_worker, max, wait, &task_abandoned)
                    .await
                    .map(|started| (started, None)),
                Work::Reclaim { min_idle, max } => task_core
                    .reclaim_batch(&task_worker, min_idle, max)
                    .await
                    .map(|started| (started, None)),
                Work::Due { max } => task_core.claim_due_batch(&task_worker, max).await,
            }
        };
        let claimed = task_core.recreate_group_if_missing(claimed);
        if let Err(Ok((deliveries, _))) = sender.send(claimed) {
            hand_back(&task_core, &task_worker, deliveries).await;
        }
        task_finished.store(true, Ordering::Release);
    });
    let mut pending = Pending {
        receiver: Some(receiver),
        abandoned,
        finished,
        core: core.clone(),
        worker: worker.to_string(),
    };
    let received = match pending.receiver.as_mut() {
        Some(receiver) => receiver.await,
        None => return Ok((Vec::new(), None)),
    };
    pending.receiver = None;
    received.unwrap_or_else(|_| Err(Error::Backend("a claim stopped before it answered".into())))
}

/// A claim whose caller may go away before it answers.
struct Pending {
    receiver: Option<oneshot::Receiver<Result<Claimed>>>,
    abandoned: Arc<AtomicBool>,
    /// Set when the claim's task has ended.
    finished: Arc<AtomicBool>,
    core: Arc<Core>,
    worker: String,
}

impl Drop for Pending {
    fn drop(&mut self) {
        let Some(mut receiver) = self.receiver.take() else {
            return;
        };
        self.abandoned.store(true, Ordering::Release);
        // From here on the claim cannot hand its result over: it hands it back itself. A
        // result that arrived just before is handed back here.
        receiver.close();
        let arrived = receiver
            .try_recv()
            .ok()
            .and_then(Result::ok)
            .map(|(deliveries, _)| deliveries);
        if tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        let core = self.core.clone();
        let worker = std::mem::take(&mut self.worker);
        let finished = self.finished.clone();
        spawn_tracked(&self.core, async move {
            match arrived {
                Some(deliveries) => hand_back(&core, &worker, deliveries).await,
                None => {
                    // End a blocking read now rather than at its timeout (it then returns
                    // nothing). It may not be sent yet (the blocking connection is still being
                    // set up, say): keep trying until the claim has ended.
                    let deadline = tokio::time::Instant::now() + UNBLOCK_FOR;
                    while !finished.load(Ordering::Acquire) && tokio::time::Instant::now() < deadline {
                        if let Some(blocking) = core.blocking.get() {
                            let _ = blocking.unblock_self(Some(ClientUnblockFlag::Timeout)).await;
                        }
                        tokio::time::sleep(UNBLOCK_RETRY).await;
                    }
                }
            }
        });
    }
}

/// Spawns `work` on the current runtime, counted in `core.detached` until it ends, so that
/// [`settle`] can wait for it.
fn spawn_tracked(core: &Arc<Core>, work: impl std::future::Future<Output = ()> + Send + 'static) {
    let tracked = Tracked(core.clone());
    tracked.0.detached.count.fetch_add(1, Ordering::AcqRel);
    tokio::spawn(async move {
        let _tracked = tracked;
        work.await;
    });
}

/// Counts one detached claim task while it lives, panics included.
struct Tracked(Arc<Core>);

impl Drop for Tracked {
    fn drop(&mut self) {
        if self.0.detached.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.detached.settled.notify_waiters();
        }
    }
}

/// The detached claim tasks still running.
#[derive(Default)]
pub(super) struct DetachedClaims {
    count: AtomicUsize,
    settled: Notify,
}

/// Waits until every abandoned claim has handed back what it claimed.
pub(super) async fn settle(core: &Core) {
    loop {
        let settled = core.detached.settled.notified();
        tokio::pin!(settled);
        settled.as_mut().enable();
        if core.detached.count.load(Ordering::Acquire) == 0 {
            return;
        }
        settled.await;
    }
}

/// Puts deliveries that were started for a claim nobody took back at once, keeping their due
/// time and attempt. If that fails they stay pending and are redelivered after the
/// redelivery timeout.
async fn hand_back(core: &Core, worker: &str, deliveries: Vec<Delivery>) {
    if deliveries.is_empty() {
        return;
    }
    let outcomes: Vec<_> = deliveries
        .iter()
        .map(|delivery| delivery.outcome(OutcomeKind::Postpone { due: Due::Now }))
        .collect();
    match core.complete(worker, &outcomes).await {
        Ok(()) => tracing::debug!(
            count = outcomes.len(),
            "handed back deliveries claimed while stopping"
        ),
        Err(error) => tracing::warn!(
            %error,
            count = outcomes.len(),
            "could not hand back deliveries claimed while stopping; they will be redelivered"
        ),
    }
}
