//! Admission controls (concurrency limits), each against a real Redis and against
//! `memory://`: first through the backend seam itself (what the start and completion steps
//! decide), then through workers running `#[concurrency]` tasks.

mod common;

use std::time::Duration;

use docket::backend::{Backend, Delivery, Due, LimitSlot, NewTask, OutcomeKind};
use docket::ExecutionState;
use docket_tests::behaviour_tests;

/// An execution of the (never run) task `limited` under `key` that must hold `limits`.
fn limited(key: &str, limits: &[(&str, u32)]) -> NewTask {
    let slots = limits.iter().map(|(id, max)| LimitSlot::new(*id, *max)).collect();
    NewTask::new(key, "limited", vec![0x80], Due::Now).with_limits(slots)
}

async fn schedule(backend: &dyn Backend, tasks: Vec<NewTask>) {
    backend.schedule(&tasks).await.unwrap();
}

/// Everything `worker` can claim now, by key, sorted. A waiting execution has no delivery,
/// so a claim that finds nothing more within a short wait has seen all there is.
async fn claim(backend: &dyn Backend, worker: &str) -> Vec<Delivery> {
    let mut claimed = Vec::new();
    loop {
        let more = backend
            .claim(worker, 100, Duration::from_millis(100))
            .await
            .unwrap();
        if more.is_empty() {
            break;
        }
        claimed.extend(more);
    }
    claimed.sort_by(|a, b| a.key.cmp(&b.key));
    claimed
}

fn keys(deliveries: &[Delivery]) -> Vec<&str> {
    deliveries.iter().map(|d| d.key.as_str()).collect()
}

async fn finish(backend: &dyn Backend, delivery: &Delivery, kind: OutcomeKind) {
    backend.complete("w", &[delivery.outcome(kind)]).await.unwrap();
}

fn done() -> OutcomeKind {
    OutcomeKind::Completed(vec![0xc0])
}

async fn state(backend: &dyn Backend, key: &str) -> Option<ExecutionState> {
    backend.info(key).await.unwrap().map(|info| info.state)
}

behaviour_tests! {
    async fn a_full_limit_keeps_later_executions_queued_and_hands_its_slot_on_first_come_first(env: Env) {
        let docket = env.docket().await;
        let backend = docket.backend().as_ref();
        schedule(backend, vec![
            limited("a1", &[("acme", 1)]),
            limited("a2", &[("acme", 1)]),
            limited("a3", &[("acme", 1)]),
            limited("b1", &[("globex", 1)]),
        ])
        .await;
        let running = claim(backend, "w").await;
        assert_eq!(keys(&running), ["a1", "b1"], "one run per limit");
        assert_eq!(state(backend, "a2").await, Some(ExecutionState::Queued), "a waiter stays QUEUED");
        assert_eq!(state(backend, "a3").await, Some(ExecutionState::Queued));
        assert_eq!(backend.backlog().await.unwrap().ready, 4, "waiters count as ready work");
        let waiting: Vec<String> = backend.live(10).await.unwrap().into_iter().map(|info| info.key).collect();
        assert!(waiting.contains(&"a2".to_string()) && waiting.contains(&"a3".to_string()), "{waiting:?}");

        finish(backend, &running[0], done()).await;
        let next = claim(backend, "w").await;
        assert_eq!(keys(&next), ["a2"], "the first waiter gets the freed slot");
        finish(backend, &next[0], done()).await;
        let last = claim(backend, "w").await;
        assert_eq!(keys(&last), ["a3"]);
        finish(backend, &last[0], done()).await;
        finish(backend, &running[1], done()).await;
        assert_eq!(backend.backlog().await.unwrap().ready, 0);
    }

    async fn a_limit_of_two_runs_two_and_limits_are_independent(env: Env) {
        let docket = env.docket().await;
        let backend = docket.backend().as_ref();
        let tasks = (1..=5).map(|i| limited(&format!("t{i}"), &[("pool", 2)])).collect();
        schedule(backend, tasks).await;
        let running = claim(backend, "w").await;
        assert_eq!(keys(&running), ["t1", "t2"]);
        finish(backend, &running[0], done()).await;
        finish(backend, &running[1], done()).await;
        assert_eq!(keys(&claim(backend, "w").await), ["t3", "t4"], "two freed slots serve two waiters");
    }

    async fn every_end_of_a_run_frees_its_slot(env: Env) {
        let docket = env.docket().await;
        let backend = docket.backend().as_ref();
        let ends: Vec<(&str, OutcomeKind)> = vec![
            ("completed", done()),
            ("failed", OutcomeKind::Failed { message: "boom".into(), type_name: "E".into() }),
            ("dead-letter", OutcomeKind::DeadLetter { message: "poison".into(), type_name: "E".into() }),
            ("retried", OutcomeKind::Requeue { due: Due::After(3_600_000), attempt: 2, args: None, limits: None }),
            ("postponed", OutcomeKind::Postpone { due: Due::After(3_600_000) }),
        ];
        for (end, kind) in ends {
            let holder = format!("{end}-holder");
            let waiter = format!("{end}-waiter");
            schedule(backend, vec![limited(&holder, &[(end, 1)]), limited(&waiter, &[(end, 1)])]).await;
            let running = claim(backend, "w").await;
            assert_eq!(keys(&running), [holder.as_str()], "{end}");
            finish(backend, &running[0], kind).await;
            assert_eq!(keys(&claim(backend, "w").await), [waiter.as_str()], "a {end} run freed its slot");
        }
    }

    async fn cancelling_or_replacing_a_holder_frees_its_slot_and_a_cancelled_waiter_is_skipped(env: Env) {
        let docket = env.docket().await;
        let backend = docket.backend().as_ref();
        schedule(backend, vec![
            limited("h", &[("l", 1)]),
            limited("w1", &[("l", 1)]),
            limited("w2", &[("l", 1)]),
            limited("w3", &[("l", 1)]),
        ])
        .await;
        assert_eq!(keys(&claim(backend, "w").await), ["h"]);
        assert!(backend.cancel("w1").await.unwrap(), "a waiter is cancellable");
        assert_eq!(state(backend, "w1").await, Some(ExecutionState::Cancelled));
        assert!(backend.cancel("h").await.unwrap());
        let next = claim(backend, "w").await;
        assert_eq!(keys(&next), ["w2"], "the cancelled holder's slot skips the cancelled waiter");
        // Replacing the running holder frees its slot too (the replacement waits its turn).
        let mut replacement = limited("w2", &[("l", 1)]);
        replacement.replace = true;
        schedule(backend, vec![replacement]).await;
        assert_eq!(keys(&claim(backend, "w").await), ["w3"]);
    }

    async fn an_execution_with_several_limits_holds_none_while_it_waits(env: Env) {
        let docket = env.docket().await;
        let backend = docket.backend().as_ref();
        schedule(backend, vec![limited("blocker", &[("b", 1)])]).await;
        assert_eq!(keys(&claim(backend, "w").await), ["blocker"]);
        // `both` needs a and b: b is full, so it waits and takes no slot of a.
        schedule(backend, vec![limited("both", &[("a", 1), ("b", 1)]), limited("only-a", &[("a", 1)])]).await;
        let running = claim(backend, "w").await;
        assert_eq!(keys(&running), ["only-a"], "a waiter holds no slot of its other limits");
        finish(backend, &running[0], done()).await;
        assert!(claim(backend, "w").await.is_empty(), "`both` still waits for b");
        assert_eq!(state(backend, "both").await, Some(ExecutionState::Queued));
    }

    async fn a_taken_over_run_keeps_its_slot(env: Env) {
        let docket = env.docket().await;
        let backend = docket.backend().as_ref();
        schedule(backend, vec![limited("held", &[("l", 1)]), limited("next", &[("l", 1)])]).await;
        assert_eq!(keys(&claim(backend, "dead").await), ["held"]);
        // The holder stops renewing and has no heartbeat: another worker takes its run over.
        let taken = backend.reclaim("alive", Duration::ZERO, 10).await.unwrap();
        assert_eq!(keys(&taken), ["held"]);
        assert!(claim(backend, "alive").await.is_empty(), "the slot went with the run");
        backend.complete("alive", &[taken[0].outcome(done())]).await.unwrap();
        assert_eq!(keys(&claim(backend, "alive").await), ["next"]);
    }

    async fn clear_removes_waiting_executions_and_frees_their_slots(env: Env) {
        let docket = env.docket().await;
        let backend = docket.backend().as_ref();
        schedule(backend, vec![limited("x1", &[("l", 1)]), limited("x2", &[("l", 1)])]).await;
        let running = claim(backend, "w").await;
        assert_eq!(keys(&running), ["x1"]);
        assert_eq!(backend.clear().await.unwrap(), 1, "the waiter is cleared");
        assert_eq!(state(backend, "x2").await, None);
        finish(backend, &running[0], done()).await;
        assert_eq!(backend.backlog().await.unwrap().ready, 0);
        schedule(backend, vec![limited("x3", &[("l", 1)])]).await;
        assert_eq!(keys(&claim(backend, "w").await), ["x3"], "no slot leaked");
    }
}
