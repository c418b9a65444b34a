//! Claiming due scheduled work directly (`Backend::claim_due`: the due executions moved and
//! started in one step), against a real Redis and against `memory://`: a run started so holds
//! a lease like any other (a sweep recovers it from a dead worker), admission controls hold,
//! and what it cannot start stays ready.

mod common;

use std::time::Duration;

use common::WAIT;
use docket::backend::{Backend, Delivery, Due, LimitSlot, NewTask, OutcomeKind, RateSlot};
use docket::ExecutionState;
use docket_tests::behaviour_tests;

/// An execution of the (never run) task `direct` under `key`, due in 50 ms.
fn soon(key: &str) -> NewTask {
    NewTask::new(key, "direct", vec![0x80], Due::After(50))
}

async fn schedule(backend: &dyn Backend, tasks: Vec<NewTask>) {
    backend.schedule(&tasks).await.unwrap();
}

/// Calls `claim_due` for `worker` (taking at most `max`) until it starts something, within
/// [`WAIT`]; returns what it started and what it said of the next due time.
async fn claim_when_due(
    backend: &dyn Backend,
    worker: &str,
    max: usize,
) -> (Vec<Delivery>, Option<Duration>) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (started, next) = backend.claim_due(worker, max).await.unwrap();
        if !started.is_empty() {
            return (started, next);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "nothing fell due within {WAIT:?}"
        );
        // The scheduled work is due within `next` (by the backend's clock).
        let next = next.expect("something is still scheduled");
        tokio::time::sleep(next.max(Duration::from_millis(1))).await;
    }
}

fn keys(deliveries: &[Delivery]) -> Vec<&str> {
    let mut keys: Vec<&str> = deliveries.iter().map(|d| d.key.as_str()).collect();
    keys.sort_unstable();
    keys
}

async fn state(backend: &dyn Backend, key: &str) -> Option<ExecutionState> {
    backend.info(key).await.unwrap().map(|info| info.state)
}

fn done() -> OutcomeKind {
    OutcomeKind::Completed(vec![0xc0])
}

behaviour_tests! {
    async fn a_run_claimed_when_due_holds_a_lease_that_a_sweep_takes_from_a_dead_worker(env: Env) {
        let docket = env.docket().await;
        let backend = docket.backend().as_ref();
        schedule(backend, vec![soon("direct")]).await;
        let (started, _) = claim_when_due(backend, "dead", 4).await;
        assert_eq!(keys(&started), ["direct"]);
        assert!(!started[0].redelivered);
        let info = backend.info("direct").await.unwrap().unwrap();
        assert_eq!(info.state, ExecutionState::Running);
        assert_eq!(info.worker.as_deref(), Some("dead"));
        assert_eq!(backend.backlog().await.unwrap().scheduled, 0);
        assert_eq!(backend.backlog().await.unwrap().ready, 1, "it counts as running work");

        // Its worker never heartbeats or renews: a sweep by a live worker takes the run over.
        let taken = backend.reclaim("alive", Duration::ZERO, 10).await.unwrap();
        assert_eq!(keys(&taken), ["direct"], "the directly started run is recoverable");
        assert!(taken[0].redelivered);
        assert_eq!(taken[0].id, started[0].id, "the same delivery");
        // The dead worker's late outcome is ignored; the new holder's is recorded.
        backend.complete("dead", &[started[0].outcome(done())]).await.unwrap();
        assert_eq!(state(backend, "direct").await, Some(ExecutionState::Running));
        backend.complete("alive", &[taken[0].outcome(done())]).await.unwrap();
        assert_eq!(state(backend, "direct").await, Some(ExecutionState::Completed));
        assert_eq!(backend.backlog().await.unwrap().ready, 0);
    }

    async fn claim_due_takes_at_most_max_and_reports_the_next_due_time(env: Env) {
        let docket = env.docket().await;
        let backend = docket.backend().as_ref();
        let (none, next) = backend.claim_due("w", 4).await.unwrap();
        assert!(none.is_empty());
        assert_eq!(next, None, "nothing is scheduled");
        schedule(backend, vec![
            NewTask::new("later", "direct", vec![0x80], Due::After(3_600_000)),
        ])
        .await;
        let (none, next) = backend.claim_due("w", 4).await.unwrap();
        assert!(none.is_empty(), "nothing is due yet");
        let next = next.expect("the next due time");
        assert!(next > Duration::from_secs(3500) && next <= Duration::from_secs(3600), "{next:?}");

        schedule(backend, vec![soon("a"), soon("b"), soon("c")]).await;
        let (first, next) = claim_when_due(backend, "w", 2).await;
        assert_eq!(first.len(), 2, "at most max");
        assert_eq!(next, Some(Duration::ZERO), "one more is due already");
        let (second, next) = backend.claim_due("w", 2).await.unwrap();
        assert_eq!(second.len(), 1);
        assert!(next.is_some_and(|next| next > Duration::from_secs(3500)), "{next:?}");
        let mut all = first;
        all.extend(second);
        assert_eq!(keys(&all), ["a", "b", "c"]);
    }

    async fn older_ready_work_is_claimed_first_and_a_due_run_left_over_stays_queued(env: Env) {
        let docket = env.docket().await;
        let backend = docket.backend().as_ref();
        schedule(backend, vec![soon("due")]).await;
        schedule(backend, vec![NewTask::new("ready", "direct", vec![0x80], Due::Now)]).await;
        let (first, _) = claim_when_due(backend, "w", 1).await;
        assert_eq!(keys(&first), ["ready"], "ready work waiting longer goes first");
        // The due one is either still scheduled or moved and queued: claimed next either way.
        let (second, _) = claim_when_due(backend, "w", 1).await;
        assert_eq!(keys(&second), ["due"]);
        assert_eq!(state(backend, "due").await, Some(ExecutionState::Running));
    }

    async fn a_concurrency_limit_holds_for_runs_claimed_when_due(env: Env) {
        let docket = env.docket().await;
        let backend = docket.backend().as_ref();
        let limited = |key: &str| soon(key).with_limits(vec![LimitSlot::new("one", 1)]);
        schedule(backend, vec![limited("l1"), limited("l2")]).await;
        let (started, _) = claim_when_due(backend, "w", 4).await;
        assert_eq!(started.len(), 1, "one slot: {:?}", keys(&started));
        let (blocked, _) = backend.claim_due("w", 4).await.unwrap();
        assert!(blocked.is_empty(), "the other waits for the slot");
        let waiting = if started[0].key == "l1" { "l2" } else { "l1" };
        assert_eq!(state(backend, waiting).await, Some(ExecutionState::Queued));
        assert_eq!(backend.backlog().await.unwrap().scheduled, 0);

        backend.complete("w", &[started[0].outcome(done())]).await.unwrap();
        let next = backend.claim("w", 4, Duration::from_secs(5)).await.unwrap();
        assert_eq!(keys(&next), [waiting], "the freed slot is handed on");
    }

    async fn a_rate_limit_holds_for_runs_claimed_when_due(env: Env) {
        let docket = env.docket().await;
        let backend = docket.backend().as_ref();
        let hour = Duration::from_secs(3600);
        let dropping = |key: &str| soon(key).with_rates(vec![RateSlot::new("d", 1, hour, true, "over the limit")]);
        let delaying = |key: &str| soon(key).with_rates(vec![RateSlot::new("k", 1, hour, false, "over the limit")]);
        schedule(backend, vec![dropping("d1"), dropping("d2"), delaying("k1"), delaying("k2")]).await;
        let mut started = Vec::new();
        let deadline = tokio::time::Instant::now() + WAIT;
        while started.len() < 2 {
            assert!(tokio::time::Instant::now() < deadline, "not started in time: {:?}", keys(&started));
            started.extend(claim_when_due(backend, "w", 4).await.0);
        }
        assert_eq!(started.len(), 2, "one start per limit: {:?}", keys(&started));
        let (more, next) = backend.claim_due("w", 4).await.unwrap();
        assert!(more.is_empty());
        let mut states = Vec::new();
        for key in ["d1", "d2", "k1", "k2"] {
            if !started.iter().any(|d| d.key == key) {
                states.push((key, state(backend, key).await));
            }
        }
        assert_eq!(states.len(), 2);
        let dropped = states.iter().find(|(key, _)| key.starts_with('d')).unwrap();
        assert_eq!(dropped.1, Some(ExecutionState::Cancelled), "a dropping limit drops it");
        let delayed = states.iter().find(|(key, _)| key.starts_with('k')).unwrap();
        assert_eq!(delayed.1, Some(ExecutionState::Scheduled), "a delaying limit files it for later");
        assert!(
            next.is_some_and(|next| next > Duration::from_secs(3000)),
            "due when the limit allows it: {next:?}"
        );
    }
}
