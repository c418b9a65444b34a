//! Unit tests of the in-memory backend: through the `Backend` trait where time runs for real,
//! and on the `Store` with a driven clock where a test is about idle times.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::broadcast;
use tokio::time::Instant;

use super::store::{Effects, Now, Store};
use super::MemoryBackend;
use crate::backend::{
    now_ms, Backend, Backlog, Delivery, Disposition, Due, Lease, NewTask, Outcome, OutcomeKind, Presence,
    DEAD_LETTER_CAP,
};
use crate::error::Error;
use crate::execution::{Event, ExecutionState, StateChange, StoredError};

/// The longest any test waits for something that should happen at once.
const WAIT: Duration = Duration::from_secs(5);
const TTL: Duration = Duration::from_secs(60);

/// A URL no other test uses, so tests running in parallel never share state.
fn unique_url() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("memory://unit-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

fn backend(ttl: Duration) -> MemoryBackend {
    MemoryBackend::open(&unique_url(), "docket", ttl).expect("a memory backend")
}

fn task(key: &str, args: &[u8], when_ms: i64) -> NewTask {
    NewTask {
        key: key.to_string(),
        task: "work".to_string(),
        args: args.to_vec(),
        due: Due::At(when_ms),
        replace: false,
        limits: Vec::new(),
        cooldowns: Vec::new(),
        rates: Vec::new(),
        debounce: None,
    }
}

fn now_task(key: &str) -> NewTask {
    task(key, b"args", now_ms())
}

fn outcome(delivery: &Delivery, kind: OutcomeKind) -> Outcome {
    delivery.outcome(kind)
}

async fn state(backend: &MemoryBackend, key: &str) -> Option<ExecutionState> {
    backend.info(key).await.unwrap().map(|info| info.state)
}

async fn claim_all(backend: &MemoryBackend, worker: &str) -> Vec<Delivery> {
    backend.claim(worker, 100, Duration::ZERO).await.unwrap()
}

async fn claim_one(backend: &MemoryBackend, worker: &str) -> Delivery {
    let mut claimed = backend.claim(worker, 1, WAIT).await.unwrap();
    assert_eq!(claimed.len(), 1, "expected one delivery");
    claimed.remove(0)
}

/// The next event of `key`, skipping other keys, within [`WAIT`].
async fn next_event(events: &mut broadcast::Receiver<Event>, key: &str) -> StateChange {
    tokio::time::timeout(WAIT, async {
        loop {
            match events.recv().await.expect("the event channel is open") {
                Event::State(change) if change.key == key => return change,
                _ => {}
            }
        }
    })
    .await
    .expect("an event in time")
}

#[tokio::test]
async fn handles_share_state_by_name_and_are_isolated_otherwise() {
    let url = unique_url();
    let first = MemoryBackend::open(&url, "docket", TTL).unwrap();
    let second = MemoryBackend::open(&url, "docket", TTL).unwrap();
    let other_docket = MemoryBackend::open(&url, "other", TTL).unwrap();
    let other_url = MemoryBackend::open(&format!("{url}-x"), "docket", TTL).unwrap();
    let anonymous = MemoryBackend::open("memory://", "docket", TTL).unwrap();

    first.schedule(&[now_task("shared-key")]).await.unwrap();
    assert_eq!(state(&second, "shared-key").await, Some(ExecutionState::Queued));
    assert_eq!(state(&other_docket, "shared-key").await, None);
    assert_eq!(state(&other_url, "shared-key").await, None);
    assert_eq!(state(&anonymous, "shared-key").await, None);
    assert_eq!(claim_one(&second, "w").await.key, "shared-key");
    assert_eq!(state(&first, "shared-key").await, Some(ExecutionState::Running));

    drop((first, second));
    let reopened = MemoryBackend::open(&url, "docket", TTL).unwrap();
    assert_eq!(
        state(&reopened, "shared-key").await,
        None,
        "the state goes with the last handle"
    );
}

#[test]
fn urls_with_anything_after_the_name_are_refused() {
    for url in [
        "memory://a/b",
        "memory://a?x=1",
        "memory://a#f",
        "memory://a/",
        "memory://a b",
        "redis://a",
    ] {
        match MemoryBackend::open(url, "docket", TTL) {
            Err(Error::InvalidUrl { reason, .. }) => assert!(!reason.is_empty(), "{url}"),
            other => panic!("{url} was accepted: {other:?}"),
        }
    }
    for url in ["memory://", "memory://name", "memory://test-0193-abc_1.x"] {
        assert!(
            MemoryBackend::open(url, "docket", TTL).is_ok(),
            "{url} was refused"
        );
    }
}

#[tokio::test]
async fn a_pending_key_is_not_scheduled_twice_and_keeps_its_first_arguments() {
    let backend = backend(TTL);
    let dispositions = backend
        .schedule(&[task("k", b"first", now_ms()), task("k", b"second", now_ms())])
        .await
        .unwrap();
    assert_eq!(
        dispositions,
        vec![Disposition::Scheduled, Disposition::AlreadyScheduled]
    );
    let again = backend.schedule(&[task("k", b"third", now_ms())]).await.unwrap();
    assert_eq!(again, vec![Disposition::AlreadyScheduled]);
    let delivery = claim_one(&backend, "w").await;
    assert_eq!(delivery.args, b"first");
    let running = backend.schedule(&[task("k", b"fourth", now_ms())]).await.unwrap();
    assert_eq!(
        running,
        vec![Disposition::AlreadyScheduled],
        "a running key is pending too"
    );
    assert!(claim_all(&backend, "w").await.is_empty());
    backend
        .complete(
            "w",
            &[outcome(&delivery, OutcomeKind::Completed(b"done".to_vec()))],
        )
        .await
        .unwrap();
    let after = backend.schedule(&[task("k", b"fifth", now_ms())]).await.unwrap();
    assert_eq!(
        after,
        vec![Disposition::Scheduled],
        "a finished key is free again"
    );
    assert_eq!(claim_one(&backend, "w").await.args, b"fifth");
}

#[tokio::test]
async fn replace_makes_the_old_delivery_stale() {
    let backend = backend(TTL);
    backend.schedule(&[task("k", b"old", now_ms())]).await.unwrap();
    let mut replacement = task("k", b"new", now_ms());
    replacement.replace = true;
    assert_eq!(
        backend.schedule(&[replacement.clone()]).await.unwrap(),
        vec![Disposition::Scheduled]
    );
    let claimed = claim_all(&backend, "w").await;
    assert_eq!(claimed.len(), 1, "the replaced delivery is skipped: {claimed:?}");
    assert_eq!(claimed[0].args, b"new");

    // Replacing a running execution queues the new one; the old run's outcome is stale.
    let old_run = claimed.into_iter().next().unwrap();
    replacement.args = b"newer".to_vec();
    backend.schedule(&[replacement]).await.unwrap();
    assert_eq!(state(&backend, "k").await, Some(ExecutionState::Queued));
    backend
        .complete(
            "w",
            &[outcome(&old_run, OutcomeKind::Completed(b"old result".to_vec()))],
        )
        .await
        .unwrap();
    assert_eq!(
        state(&backend, "k").await,
        Some(ExecutionState::Queued),
        "a stale outcome changes nothing"
    );
    let new_run = claim_one(&backend, "w").await;
    assert_eq!(new_run.args, b"newer");
    assert!(new_run.generation > old_run.generation);
    assert_eq!(
        backend.sizes().in_flight,
        1,
        "the stale outcome still ended its delivery"
    );
}

#[tokio::test]
async fn replace_of_a_scheduled_task_moves_it() {
    let backend = backend(TTL);
    backend
        .schedule(&[task("k", b"later", now_ms() + 3_600_000)])
        .await
        .unwrap();
    let mut replacement = task("k", b"now", now_ms());
    replacement.replace = true;
    backend.schedule(&[replacement]).await.unwrap();
    assert_eq!(
        backend.backlog().await.unwrap(),
        Backlog {
            ready: 1,
            scheduled: 0
        }
    );
    assert_eq!(claim_one(&backend, "w").await.args, b"now");
}

#[tokio::test]
async fn a_future_task_is_claimable_only_once_due_and_moved() {
    let backend = backend(TTL);
    let hint = backend.work_hint().expect("the memory backend hints");
    let when = now_ms() + 200;
    backend.schedule(&[task("later", b"", when)]).await.unwrap();
    tokio::time::timeout(WAIT, hint.notified())
        .await
        .expect("scheduling future work wakes schedulers");
    assert_eq!(state(&backend, "later").await, Some(ExecutionState::Scheduled));
    let until = backend.move_due(100).await.unwrap().expect("still scheduled");
    assert!(
        until > Duration::ZERO && until <= Duration::from_millis(200),
        "not due yet: {until:?}"
    );
    assert!(claim_all(&backend, "w").await.is_empty());
    assert_eq!(state(&backend, "later").await, Some(ExecutionState::Scheduled));

    let deadline = Instant::now() + WAIT;
    while now_ms() < when {
        assert!(Instant::now() < deadline, "the clock did not reach the due time");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(backend.move_due(100).await.unwrap(), None);
    assert_eq!(state(&backend, "later").await, Some(ExecutionState::Queued));
    let delivery = claim_one(&backend, "w").await;
    assert_eq!((delivery.key.as_str(), delivery.when_ms), ("later", when));
}

#[tokio::test]
async fn move_due_moves_at_most_its_limit_in_due_order() {
    let backend = backend(TTL);
    let later = now_ms() + 100;
    let batch: Vec<NewTask> = (0..5)
        .map(|i| task(&format!("m{i}"), b"", later + 4 - i))
        .collect();
    backend.schedule(&batch).await.unwrap();
    assert_eq!(
        backend.backlog().await.unwrap(),
        Backlog {
            ready: 0,
            scheduled: 5
        }
    );
    let deadline = Instant::now() + WAIT;
    while now_ms() < later + 4 {
        assert!(Instant::now() < deadline, "the clock did not reach the due time");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        backend.move_due(2).await.unwrap(),
        Some(Duration::ZERO),
        "the rest is due already"
    );
    let mut moved = Vec::new();
    for key in ["m4", "m3", "m2"] {
        moved.push(state(&backend, key).await);
    }
    assert_eq!(
        moved,
        vec![
            Some(ExecutionState::Queued),
            Some(ExecutionState::Queued),
            Some(ExecutionState::Scheduled)
        ]
    );
    assert_eq!(backend.move_due(100).await.unwrap(), None);
    assert_eq!(
        backend.backlog().await.unwrap(),
        Backlog {
            ready: 5,
            scheduled: 0
        }
    );
    let order: Vec<String> = claim_all(&backend, "w")
        .await
        .into_iter()
        .map(|d| d.key)
        .collect();
    assert_eq!(order, vec!["m4", "m3", "m2", "m1", "m0"], "moved in due order");
}

#[tokio::test]
async fn a_completed_result_is_kept_for_the_ttl_then_expires() {
    let backend = backend(Duration::from_millis(50));
    backend.schedule(&[now_task("k")]).await.unwrap();
    let delivery = claim_one(&backend, "w").await;
    backend
        .complete(
            "w",
            &[outcome(&delivery, OutcomeKind::Completed(b"result".to_vec()))],
        )
        .await
        .unwrap();
    let info = backend.info("k").await.unwrap().expect("kept for the ttl");
    assert_eq!(info.state, ExecutionState::Completed);
    assert_eq!(info.result.as_deref(), Some(&b"result"[..]));
    assert_eq!(info.worker.as_deref(), Some("w"));
    assert!(info.started_at.is_some() && info.completed_at.is_some());

    let deadline = Instant::now() + WAIT;
    while backend.info("k").await.unwrap().is_some() {
        assert!(Instant::now() < deadline, "the record never expired");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let sizes = backend.sizes();
    assert_eq!((sizes.records, sizes.expiries), (0, 0));
}

#[tokio::test]
async fn a_zero_ttl_removes_finished_records_at_once_but_live_waiters_get_the_outcome() {
    let backend = backend(Duration::ZERO);
    backend
        .schedule(&[now_task("ok"), now_task("bad")])
        .await
        .unwrap();
    let (info, mut events) = backend.watch("ok").await.unwrap();
    assert_eq!(info.map(|i| i.state), Some(ExecutionState::Queued));
    let (_, mut bad_events) = backend.watch("bad").await.unwrap();
    let claimed = claim_all(&backend, "w").await;
    assert_eq!(claimed.len(), 2);
    backend
        .complete(
            "w",
            &[
                outcome(&claimed[0], OutcomeKind::Completed(b"42".to_vec())),
                outcome(
                    &claimed[1],
                    OutcomeKind::Failed {
                        message: "boom".into(),
                        type_name: "E".into(),
                    },
                ),
            ],
        )
        .await
        .unwrap();
    assert!(backend.info("ok").await.unwrap().is_none());
    assert!(backend.info("bad").await.unwrap().is_none());
    assert_eq!(next_event(&mut events, "ok").await.state, ExecutionState::Running);
    let done = next_event(&mut events, "ok").await;
    assert_eq!(
        (done.state, done.result.as_deref()),
        (ExecutionState::Completed, Some(&b"42"[..]))
    );
    let failed = next_event(&mut bad_events, "bad").await;
    assert_eq!(failed.state, ExecutionState::Running);
    let failed = next_event(&mut bad_events, "bad").await;
    assert_eq!(failed.state, ExecutionState::Failed);
    assert_eq!(failed.error.map(|e| e.message), Some("boom".to_string()));
    let sizes = backend.sizes();
    assert_eq!((sizes.records, sizes.expiries, sizes.in_flight), (0, 0, 0));
}

#[tokio::test]
async fn transitions_are_published_in_order() {
    let backend = backend(TTL);
    let (info, mut events) = backend.watch("k").await.unwrap();
    assert!(info.is_none());
    backend.schedule(&[task("k", b"", now_ms() + 20)]).await.unwrap();
    let deadline = Instant::now() + WAIT;
    while backend.move_due(10).await.unwrap().is_some() {
        assert!(Instant::now() < deadline, "never due");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let delivery = claim_one(&backend, "w").await;
    backend
        .complete("w", &[outcome(&delivery, OutcomeKind::Completed(vec![1]))])
        .await
        .unwrap();
    let mut states = Vec::new();
    for _ in 0..4 {
        states.push(next_event(&mut events, "k").await.state);
    }
    assert_eq!(
        states,
        vec![
            ExecutionState::Scheduled,
            ExecutionState::Queued,
            ExecutionState::Running,
            ExecutionState::Completed
        ]
    );
}

#[tokio::test]
async fn cancel_of_a_scheduled_task_publishes_and_frees_the_key() {
    let backend = backend(TTL);
    backend
        .schedule(&[task("k", b"", now_ms() + 3_600_000)])
        .await
        .unwrap();
    let (_, mut events) = backend.watch("k").await.unwrap();
    assert!(backend.cancel("k").await.unwrap());
    assert_eq!(
        next_event(&mut events, "k").await.state,
        ExecutionState::Cancelled
    );
    let info = backend.info("k").await.unwrap().unwrap();
    assert_eq!(info.state, ExecutionState::Cancelled);
    assert!(info.completed_at.is_some());
    assert_eq!(backend.backlog().await.unwrap(), Backlog::default());
    assert!(
        !backend.cancel("k").await.unwrap(),
        "a cancelled execution is not live"
    );
    assert!(!backend.cancel("unknown").await.unwrap());
    assert_eq!(
        backend.schedule(&[now_task("k")]).await.unwrap(),
        vec![Disposition::Scheduled]
    );
}

#[tokio::test]
async fn cancel_of_a_queued_task_means_it_is_never_claimed() {
    let backend = backend(TTL);
    backend.schedule(&[now_task("k")]).await.unwrap();
    assert!(backend.cancel("k").await.unwrap());
    assert!(claim_all(&backend, "w").await.is_empty());
    assert_eq!(state(&backend, "k").await, Some(ExecutionState::Cancelled));
    let sizes = backend.sizes();
    assert_eq!((sizes.ready, sizes.queued, sizes.in_flight), (0, 0, 0));
}

#[tokio::test]
async fn cancel_of_a_running_task_sends_its_key_to_workers() {
    let backend = backend(TTL);
    let mut cancellations = backend.cancellations().await.unwrap();
    backend.schedule(&[now_task("k")]).await.unwrap();
    let delivery = claim_one(&backend, "w").await;
    assert!(backend.cancel("k").await.unwrap());
    let key = tokio::time::timeout(WAIT, cancellations.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(key.key, "k");
    assert_eq!(key.delivery_id, delivery.id, "the running delivery is named");
    assert_eq!(state(&backend, "k").await, Some(ExecutionState::Cancelled));
    // The interrupted run reports; its outcome is stale and must not overwrite CANCELLED.
    let failed = OutcomeKind::Failed {
        message: "cancelled".into(),
        type_name: "docket::Cancelled".into(),
    };
    backend
        .complete("w", &[outcome(&delivery, failed)])
        .await
        .unwrap();
    assert_eq!(state(&backend, "k").await, Some(ExecutionState::Cancelled));
    assert_eq!(backend.sizes().in_flight, 0);
}

#[tokio::test]
async fn a_cancelled_run_never_completes_its_successor_even_with_a_zero_ttl() {
    let backend = backend(Duration::ZERO);
    backend.schedule(&[now_task("k")]).await.unwrap();
    let old = claim_one(&backend, "a").await;
    assert!(backend.cancel("k").await.unwrap());
    assert!(
        backend.info("k").await.unwrap().is_none(),
        "nothing kept with a zero ttl"
    );
    backend.schedule(&[now_task("k")]).await.unwrap();
    let new = claim_one(&backend, "b").await;
    // The key's generation starts again with its new record, as on Redis; the delivery is
    // what tells the runs apart.
    assert_ne!(old.id, new.id, "delivery ids are never reused");
    backend
        .complete("a", &[outcome(&old, OutcomeKind::Completed(b"late".to_vec()))])
        .await
        .unwrap();
    assert_eq!(
        state(&backend, "k").await,
        Some(ExecutionState::Running),
        "the late outcome is stale"
    );
}

#[tokio::test]
async fn reclaim_takes_over_deliveries_idle_for_min_idle() {
    let backend = backend(TTL);
    backend.schedule(&[now_task("k")]).await.unwrap();
    let first = claim_one(&backend, "dead-worker").await;
    let min_idle = Duration::from_millis(30);
    assert!(backend
        .reclaim("rescuer", Duration::from_secs(3600), 10)
        .await
        .unwrap()
        .is_empty());
    tokio::time::sleep(min_idle * 2).await;
    let taken = backend.reclaim("rescuer", min_idle, 10).await.unwrap();
    assert_eq!(taken.len(), 1);
    let second = &taken[0];
    assert!(second.redelivered);
    assert_eq!(
        (&second.id, &second.key, second.generation),
        (&first.id, &first.key, first.generation)
    );
    let info = backend.info("k").await.unwrap().unwrap();
    assert_eq!(
        (info.state, info.worker.as_deref()),
        (ExecutionState::Running, Some("rescuer"))
    );
    backend
        .complete("rescuer", &[outcome(second, OutcomeKind::Completed(vec![]))])
        .await
        .unwrap();
    assert_eq!(state(&backend, "k").await, Some(ExecutionState::Completed));
    assert_eq!(backend.sizes().in_flight, 0);
}

#[tokio::test]
async fn requeue_runs_again_now_or_later() {
    let backend = backend(TTL);
    backend.schedule(&[now_task("k")]).await.unwrap();
    let first = claim_one(&backend, "w").await;
    assert_eq!(first.attempt, 1);
    let again = OutcomeKind::Requeue {
        due: Due::Now,
        attempt: 2,
        args: None,
        limits: None,
    };
    backend.complete("w", &[outcome(&first, again)]).await.unwrap();
    assert_eq!(state(&backend, "k").await, Some(ExecutionState::Queued));
    let second = claim_one(&backend, "w").await;
    assert_eq!(second.attempt, 2);
    assert_eq!(second.args, first.args, "a retry keeps the arguments");
    assert!(second.generation > first.generation);

    let at_ms = now_ms() + 3_600_000;
    let later = OutcomeKind::Requeue {
        due: Due::At(at_ms),
        attempt: 3,
        args: Some(vec![0x81, 0xa1, b'n', 0x07]),
        limits: None,
    };
    backend.complete("w", &[outcome(&second, later)]).await.unwrap();
    let info = backend.info("k").await.unwrap().unwrap();
    assert_eq!((info.state, info.attempt), (ExecutionState::Scheduled, 3));
    assert_eq!(
        backend.backlog().await.unwrap(),
        Backlog {
            ready: 0,
            scheduled: 1
        }
    );
    let until = backend.move_due(10).await.unwrap().expect("scheduled for later");
    assert!(
        until > Duration::from_secs(3500),
        "due in about an hour: {until:?}"
    );
    // The first delivery was already ended: its outcome is stale.
    backend
        .complete("w", &[outcome(&first, OutcomeKind::Completed(vec![]))])
        .await
        .unwrap();
    assert_eq!(state(&backend, "k").await, Some(ExecutionState::Scheduled));
    let args = backend.with_store(|store, _, _| store.args_of("k"));
    assert_eq!(
        args,
        Some(vec![0x81, 0xa1, b'n', 0x07]),
        "the next run's arguments were stored"
    );
}

#[tokio::test]
async fn dead_letters_are_failed_and_kept() {
    let backend = backend(TTL);
    backend.schedule(&[task("k", b"poison", now_ms())]).await.unwrap();
    let delivery = claim_one(&backend, "w").await;
    let dead = OutcomeKind::DeadLetter {
        message: "cannot decode".into(),
        type_name: "docket::Decode".into(),
    };
    backend.complete("w", &[outcome(&delivery, dead)]).await.unwrap();
    let info = backend.info("k").await.unwrap().unwrap();
    assert_eq!(info.state, ExecutionState::Failed);
    let error = StoredError {
        message: "cannot decode".into(),
        type_name: "docket::Decode".into(),
    };
    assert_eq!(info.error.as_ref(), Some(&error));
    let letters = backend.dead_letters(10).await.unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(
        (letters[0].key.as_str(), letters[0].args.as_slice()),
        ("k", &b"poison"[..])
    );
    assert_eq!(letters[0].error, error);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claim_waits_and_wakes_when_work_is_scheduled() {
    let backend = std::sync::Arc::new(backend(TTL));
    let waiting = {
        let backend = backend.clone();
        tokio::spawn(async move { backend.claim("w", 10, Duration::from_secs(3600)).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!waiting.is_finished(), "claim returned before any work existed");
    backend.schedule(&[now_task("k")]).await.unwrap();
    let claimed = tokio::time::timeout(WAIT, waiting)
        .await
        .expect("the waiting claim woke up")
        .unwrap()
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].key, "k");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claimers_get_every_delivery_exactly_once() {
    const TASKS: usize = 300;
    let backend = std::sync::Arc::new(backend(TTL));
    let claimed = std::sync::Arc::new(AtomicU64::new(0));
    let claimers: Vec<_> = (0..8)
        .map(|i| {
            let backend = backend.clone();
            let claimed = claimed.clone();
            tokio::spawn(async move {
                let deadline = Instant::now() + WAIT;
                let mut keys = Vec::new();
                while claimed.load(Ordering::SeqCst) < TASKS as u64 && Instant::now() < deadline {
                    let batch = backend
                        .claim(&format!("w{i}"), 3, Duration::from_millis(50))
                        .await
                        .unwrap();
                    claimed.fetch_add(batch.len() as u64, Ordering::SeqCst);
                    keys.extend(batch.into_iter().map(|d| d.key));
                }
                keys
            })
        })
        .collect();
    for chunk in (0..TASKS).collect::<Vec<_>>().chunks(7) {
        let tasks: Vec<NewTask> = chunk.iter().map(|i| now_task(&format!("t{i}"))).collect();
        backend.schedule(&tasks).await.unwrap();
        tokio::task::yield_now().await;
    }
    let mut keys = Vec::new();
    for claimer in claimers {
        keys.extend(claimer.await.unwrap());
    }
    keys.sort();
    let total = keys.len();
    keys.dedup();
    assert_eq!(
        (total, keys.len()),
        (TASKS, TASKS),
        "each task delivered exactly once"
    );
}

#[tokio::test]
async fn claim_returns_nothing_when_its_wait_ends() {
    let backend = backend(TTL);
    let claimed = tokio::time::timeout(WAIT, backend.claim("w", 10, Duration::from_millis(20)))
        .await
        .expect("claim honours its wait")
        .unwrap();
    assert!(claimed.is_empty());
    assert!(backend
        .claim("w", 0, Duration::from_secs(3600))
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn clear_removes_pending_work_and_leaves_running_work() {
    let backend = backend(TTL);
    backend
        .schedule(&[
            now_task("running"),
            now_task("queued"),
            task("scheduled", b"", now_ms() + 3_600_000),
        ])
        .await
        .unwrap();
    let delivery = backend.claim("w", 1, WAIT).await.unwrap().remove(0);
    assert_eq!(delivery.key, "running");
    assert_eq!(backend.clear().await.unwrap(), 2);
    assert_eq!(state(&backend, "running").await, Some(ExecutionState::Running));
    assert_eq!(state(&backend, "queued").await, None);
    assert_eq!(state(&backend, "scheduled").await, None);
    assert_eq!(
        backend.backlog().await.unwrap(),
        Backlog {
            ready: 1,
            scheduled: 0
        }
    );
    assert_eq!(
        backend
            .schedule(&[now_task("queued"), now_task("scheduled")])
            .await
            .unwrap(),
        vec![Disposition::Scheduled, Disposition::Scheduled],
        "cleared keys can be scheduled again at once"
    );
    assert_eq!(claim_all(&backend, "w").await.len(), 2);
}

#[tokio::test]
async fn workers_are_listed_while_they_heartbeat() {
    let backend = backend(TTL);
    let presence = |name: &str| {
        Presence::new(
            name,
            format!("{name}-1"),
            Duration::from_secs(60),
            vec!["t".into()],
        )
    };
    assert_eq!(backend.heartbeat(&presence("a")).await.unwrap(), 1);
    assert_eq!(backend.heartbeat(&presence("b")).await.unwrap(), 2);
    let names: Vec<String> = backend
        .workers()
        .await
        .unwrap()
        .into_iter()
        .map(|w| w.name)
        .collect();
    assert_eq!(names, vec!["a", "b"]);
    backend.leave(&presence("a")).await.unwrap();
    let workers = backend.workers().await.unwrap();
    assert_eq!(workers.len(), 1);
    assert_eq!(workers[0].name, "b");
    assert_eq!(workers[0].tasks, vec!["t".to_string()]);
    assert!(workers[0].last_seen_ms <= now_ms());
}

#[tokio::test]
async fn memory_stays_bounded_over_many_tasks() {
    let backend = backend(Duration::ZERO);
    const TASKS: usize = 10_000;
    for chunk in (0..TASKS).collect::<Vec<_>>().chunks(500) {
        let tasks: Vec<NewTask> = chunk.iter().map(|i| now_task(&format!("task-{i}"))).collect();
        backend.schedule(&tasks).await.unwrap();
    }
    let mut done = 0;
    while done < TASKS {
        let claimed = backend.claim("w", 256, Duration::ZERO).await.unwrap();
        assert!(!claimed.is_empty(), "ran out of work after {done} tasks");
        let outcomes: Vec<Outcome> = claimed
            .iter()
            .map(|d| outcome(d, OutcomeKind::Completed(vec![0])))
            .collect();
        backend.complete("w", &outcomes).await.unwrap();
        done += claimed.len();
    }
    assert_eq!(done, TASKS);
    let sizes = backend.sizes();
    assert_eq!(sizes, super::store::Sizes::default(), "something was left behind");
    assert_eq!(backend.backlog().await.unwrap(), Backlog::default());
}

#[tokio::test]
async fn stale_ready_entries_do_not_pile_up() {
    let backend = backend(TTL);
    let mut replacement = now_task("k");
    replacement.replace = true;
    for _ in 0..10_000 {
        backend
            .schedule(std::slice::from_ref(&replacement))
            .await
            .unwrap();
    }
    let sizes = backend.sizes();
    assert_eq!(sizes.queued, 1);
    assert!(sizes.ready <= 2 * sizes.queued + 1024 + 1, "{sizes:?}");
    assert_eq!(claim_all(&backend, "w").await.len(), 1);
}

// The `Store` with a driven clock.

fn at(base: Instant, offset_ms: u64) -> Now {
    Now {
        ms: 1_000_000 + i64::try_from(offset_ms).unwrap(),
        instant: base + Duration::from_millis(offset_ms),
    }
}

#[test]
fn renewed_leases_are_not_reclaimed_and_oldest_go_first() {
    let base = Instant::now();
    let mut store = Store::default();
    let mut fx = Effects::default();
    let tasks: Vec<NewTask> = ["a", "b", "c"].iter().map(|k| task(k, b"", 0)).collect();
    store.schedule(&tasks, TTL, at(base, 0), &mut fx);
    let a = store.claim("w", 1, TTL, at(base, 0), &mut fx).remove(0);
    let b = store.claim("w", 1, TTL, at(base, 10), &mut fx).remove(0);
    let c = store.claim("w", 1, TTL, at(base, 20), &mut fx).remove(0);
    store.renew(
        "w",
        &[Lease {
            id: b.id.clone(),
            key: b.key.clone(),
        }],
        at(base, 150),
    );
    let min_idle = Duration::from_millis(100);
    assert!(store
        .reclaim("r", min_idle, 10, TTL, at(base, 90), &mut fx)
        .is_empty());
    let taken = store.reclaim("r", min_idle, 1, TTL, at(base, 200), &mut fx);
    assert_eq!(
        taken.iter().map(|d| d.id.clone()).collect::<Vec<_>>(),
        vec![a.id.clone()]
    );
    let taken = store.reclaim("r", min_idle, 10, TTL, at(base, 200), &mut fx);
    assert_eq!(taken.iter().map(|d| d.id.clone()).collect::<Vec<_>>(), vec![c.id]);
    assert!(taken[0].redelivered);
    let taken = store.reclaim("r", min_idle, 10, TTL, at(base, 260), &mut fx);
    assert_eq!(taken.iter().map(|d| d.id.clone()).collect::<Vec<_>>(), vec![b.id]);
}

#[test]
fn stale_in_flight_deliveries_are_dropped_by_reclaim() {
    let base = Instant::now();
    let mut store = Store::default();
    let mut fx = Effects::default();
    store.schedule(&[task("k", b"", 0)], TTL, at(base, 0), &mut fx);
    store.claim("w", 1, TTL, at(base, 0), &mut fx);
    assert!(store.cancel("k", TTL, at(base, 1), &mut fx));
    assert!(store
        .reclaim("r", Duration::ZERO, 10, TTL, at(base, 2), &mut fx)
        .is_empty());
    assert_eq!(store.sizes().in_flight, 0);
}

#[test]
fn finished_records_expire_with_the_ttl_of_the_handle_that_finished_them() {
    let base = Instant::now();
    let mut store = Store::default();
    let mut fx = Effects::default();
    store.schedule(
        &[task("long", b"", 0), task("short", b"", 0)],
        TTL,
        at(base, 0),
        &mut fx,
    );
    store.cancel("long", Duration::from_millis(500), at(base, 0), &mut fx);
    store.cancel("short", Duration::from_millis(100), at(base, 0), &mut fx);
    store.prune(at(base, 99));
    assert_eq!(store.sizes().records, 2);
    store.prune(at(base, 100));
    assert!(store.info("short").is_none() && store.info("long").is_some());
    store.prune(at(base, 500));
    assert_eq!(store.sizes().records, 0);
    assert_eq!(store.sizes().expiries, 0);
}

#[test]
fn an_old_expiry_never_removes_a_rescheduled_record() {
    let base = Instant::now();
    let mut store = Store::default();
    let mut fx = Effects::default();
    store.schedule(&[task("k", b"", 0)], TTL, at(base, 0), &mut fx);
    store.cancel("k", Duration::from_millis(100), at(base, 0), &mut fx);
    store.schedule(&[task("k", b"", 0)], TTL, at(base, 10), &mut fx);
    store.prune(at(base, 200));
    assert_eq!(store.info("k").map(|i| i.state), Some(ExecutionState::Queued));
}

#[test]
fn dead_letters_are_capped() {
    let base = Instant::now();
    let mut store = Store::default();
    let mut fx = Effects::default();
    for i in 0..=DEAD_LETTER_CAP {
        let key = format!("k{i}");
        store.schedule(&[task(&key, b"", 0)], TTL, at(base, 0), &mut fx);
        let delivery = store.claim("w", 1, TTL, at(base, 0), &mut fx).remove(0);
        let dead = OutcomeKind::DeadLetter {
            message: "bad".into(),
            type_name: "T".into(),
        };
        store.complete(
            "w",
            &[outcome(&delivery, dead)],
            Duration::ZERO,
            at(base, 0),
            &mut fx,
        );
        fx = Effects::default();
    }
    let letters = store.dead_letters(usize::MAX);
    assert_eq!(letters.len(), DEAD_LETTER_CAP);
    assert_eq!(letters[0].key, format!("k{DEAD_LETTER_CAP}"), "newest first");
    assert_eq!(
        letters[DEAD_LETTER_CAP - 1].key,
        "k1",
        "the oldest is dropped first"
    );
}

#[test]
fn a_debounce_never_supersedes_a_retry() {
    let base = Instant::now();
    let mut store = Store::default();
    let mut fx = Effects::default();
    let group = crate::backend::Window::new("g", Duration::from_millis(100), "superseded");
    let submit =
        |key: &str| NewTask::new(key, "work", vec![0x80], Due::Now).with_debounce(Some(group.clone()));
    store.schedule(&[submit("a")], TTL, at(base, 0), &mut fx);
    store.move_due(10, at(base, 100), &mut fx);
    let a = store.claim("w", 1, TTL, at(base, 100), &mut fx).remove(0);
    let retry = OutcomeKind::Requeue {
        due: Due::After(1000),
        attempt: 2,
        args: None,
        limits: None,
    };
    store.complete("w", &[a.outcome(retry)], TTL, at(base, 110), &mut fx);
    // Within two windows of `a`'s submission: `b` would supersede `a` if it were a submission.
    store.schedule(&[submit("b")], TTL, at(base, 120), &mut fx);
    assert_eq!(
        store.info("a").map(|info| info.state),
        Some(ExecutionState::Scheduled),
        "the retry is kept"
    );
    assert_eq!(
        store.info("b").map(|info| info.state),
        Some(ExecutionState::Scheduled)
    );
}
