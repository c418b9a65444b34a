//! Admission controls (concurrency limits), each against a real Redis and against
//! `memory://`: first through the backend seam itself (what the start and completion steps
//! decide), then through workers running `#[concurrency]` tasks.

mod common;

use std::time::Duration;

use common::{gate_notify, open_gate, start, test_worker, until_running, WAIT};
use docket::backend::{Backend, Delivery, Due, LimitSlot, NewTask, OutcomeKind, RateSlot};
use docket::{Error, ExecutionState};
use docket_tests::{behaviour_tests, eventually};

/// Holds its customer's slot until the gate called `gate` opens.
#[docket::task]
#[concurrency(arg = "customer", max = 1)]
async fn per_customer(customer: String, gate: String) -> String {
    gate_notify(&gate).notified().await;
    customer
}

/// At most two at once, whatever the arguments.
#[docket::task]
#[concurrency(max = 2)]
async fn pooled(gate: String) {
    gate_notify(&gate).notified().await;
}

/// Shares one slot with `import` through the scope `warehouse`.
#[docket::task]
#[concurrency(max = 1, scope = "warehouse")]
async fn export(gate: String) {
    gate_notify(&gate).notified().await;
}

/// Shares one slot with `export` through the scope `warehouse`.
#[docket::task]
#[concurrency(max = 1, scope = "warehouse")]
async fn import(gate: String) {
    gate_notify(&gate).notified().await;
}

/// Ends its run badly, as `how` says, holding its customer's slot.
#[docket::task]
#[concurrency(arg = "customer", max = 1)]
#[timeout("100ms")]
async fn brittle(customer: String, how: String) -> Result<(), String> {
    let _ = customer;
    match how.as_str() {
        "fail" => Err("it failed".into()),
        "panic" => panic!("it panicked"),
        _ => std::future::pending().await,
    }
}

/// Fails its first run; the retry must not wait behind its own slot.
#[docket::task]
#[concurrency(arg = "customer", max = 1)]
#[retry(attempts = 2, delay = "10ms")]
async fn retried(customer: String, retry: docket::Retry) -> Result<u32, String> {
    let _ = customer;
    if retry.attempt() == 1 {
        return Err("first run fails".into());
    }
    Ok(retry.attempt())
}

/// Runs at most once per `window` of submissions for one customer; a second window for the
/// whole task.
#[docket::task]
#[cooldown("1h", arg = "customer")]
#[cooldown("1h")]
async fn notify(customer: String, note: String) -> String {
    format!("{customer}: {note}")
}

/// A short cooldown, to see a window end.
#[docket::task]
#[cooldown("200ms")]
async fn ping(n: u32) -> u32 {
    n
}

/// A cooldown must not eat the task's own retry.
#[docket::task]
#[cooldown("1h")]
#[retry(attempts = 2, delay = "10ms")]
async fn cooled_retry(retry: docket::Retry) -> Result<u32, String> {
    if retry.attempt() == 1 {
        return Err("first run fails".into());
    }
    Ok(retry.attempt())
}

/// At most two starts in any 300 ms; the others wait.
#[docket::task]
#[rate_limit(limit = 2, per = "300ms")]
async fn metered(n: u32) -> u32 {
    n
}

/// At most one start per customer an hour; the others are dropped.
#[docket::task]
#[rate_limit(limit = 1, per = "1h", arg = "customer", drop)]
async fn once_an_hour(customer: String) -> String {
    customer
}

/// A dropping rate limit must not drop the task's own retry (it only delays it).
#[docket::task]
#[rate_limit(limit = 1, per = "300ms", drop)]
#[retry(attempts = 2, delay = "10ms")]
async fn metered_retry(retry: docket::Retry) -> Result<u32, String> {
    if retry.attempt() == 1 {
        return Err("first run fails".into());
    }
    Ok(retry.attempt())
}

/// Runs once per customer after its submissions have been quiet for 300 ms.
#[docket::task]
#[debounce("300ms", arg = "customer")]
async fn reindex(customer: String, version: u32) -> u32 {
    let _ = customer;
    version
}

/// A unique gate name for one test on one backend.
fn gate(env: &docket_tests::Env, name: &str) -> String {
    format!("{name}@{}", env.url())
}

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

    async fn a_cancelled_or_replaced_holder_keeps_its_slot_until_its_run_stops(env: Env) {
        let docket = env.docket().await;
        let backend = docket.backend().as_ref();
        schedule(backend, vec![
            limited("h", &[("l", 1)]),
            limited("w1", &[("l", 1)]),
            limited("w2", &[("l", 1)]),
            limited("w3", &[("l", 1)]),
        ])
        .await;
        let holder = claim(backend, "w").await;
        assert_eq!(keys(&holder), ["h"]);
        assert!(backend.cancel("w1").await.unwrap(), "a waiter is cancellable");
        assert_eq!(state(backend, "w1").await, Some(ExecutionState::Cancelled));
        assert!(backend.cancel("h").await.unwrap());
        assert!(claim(backend, "w").await.is_empty(), "the interrupted run still holds the slot");
        // Its worker stops it and says so: the slot goes on, past the cancelled waiter.
        finish(backend, &holder[0], OutcomeKind::Interrupted).await;
        let next = claim(backend, "w").await;
        assert_eq!(keys(&next), ["w2"]);
        // Replacing the running w2: the replacement waits behind w3, and w2's run keeps the
        // slot until it has stopped.
        let mut replacement = limited("w2", &[("l", 1)]);
        replacement.replace = true;
        schedule(backend, vec![replacement]).await;
        assert!(claim(backend, "w").await.is_empty(), "the replaced run still holds the slot");
        finish(backend, &next[0], OutcomeKind::Interrupted).await;
        let third = claim(backend, "w").await;
        assert_eq!(keys(&third), ["w3"]);
        finish(backend, &third[0], done()).await;
        assert_eq!(keys(&claim(backend, "w").await), ["w2"], "then the replacement");
    }

    async fn a_retired_run_whose_worker_died_frees_its_slot_when_its_delivery_is_swept(env: Env) {
        let docket = env.docket().await;
        let backend = docket.backend().as_ref();
        schedule(backend, vec![limited("h", &[("l", 1)]), limited("next", &[("l", 1)])]).await;
        assert_eq!(keys(&claim(backend, "dead").await), ["h"]);
        assert!(backend.cancel("h").await.unwrap());
        assert!(claim(backend, "alive").await.is_empty(), "the cancelled run may still be running");
        // Its worker is gone (no heartbeat): the sweep finds the stale delivery.
        assert!(backend.reclaim("alive", Duration::ZERO, 10).await.unwrap().is_empty());
        assert_eq!(keys(&claim(backend, "alive").await), ["next"]);
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

    async fn a_run_put_back_unrun_does_not_count_against_its_rate_limit(env: Env) {
        let docket = env.docket().await;
        let backend = docket.backend().as_ref();
        let rate = RateSlot::new("r", 1, Duration::from_secs(3600), true, "dropped by its rate limit");
        schedule(backend, vec![NewTask::new("p", "limited", vec![0x80], Due::Now).with_rates(vec![rate])]).await;
        let first = claim(backend, "w").await;
        assert_eq!(keys(&first), ["p"]);
        // Released unrun (a stopping worker, a task it does not know): not a start.
        finish(backend, &first[0], OutcomeKind::Postpone { due: Due::Now }).await;
        let again = claim(backend, "w").await;
        assert_eq!(keys(&again), ["p"], "its own uncounted start does not drop it");
        finish(backend, &again[0], done()).await;
        schedule(backend, vec![NewTask::new("q", "limited", vec![0x80], Due::Now).with_rates(vec![
            RateSlot::new("r", 1, Duration::from_secs(3600), true, "dropped by its rate limit"),
        ])])
        .await;
        assert!(claim(backend, "w").await.is_empty(), "the run that did run is counted");
        assert_eq!(state(backend, "q").await, Some(ExecutionState::Cancelled));
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

/// The same limits, declared with `#[concurrency]` and enforced for running workers.
mod workers {
    use super::*;

    behaviour_tests! {
        async fn one_run_per_customer_across_workers_while_other_customers_run_alongside(env: Env) {
            let docket = env.docket().await;
            let _first = start(test_worker(&docket).name("first"));
            let _second = start(test_worker(&docket).name("second"));
            let (a1, a2, b1) = (gate(&env, "a1"), gate(&env, "a2"), gate(&env, "b1"));
            let acme_1 = per_customer::schedule(&docket, "acme".into(), a1.clone()).await.unwrap();
            let acme_2 = per_customer::schedule(&docket, "acme".into(), a2.clone()).await.unwrap();
            let globex = per_customer::schedule(&docket, "globex".into(), b1.clone()).await.unwrap();
            until_running(&acme_1).await;
            until_running(&globex).await;
            // acme_1 holds acme's slot until its gate opens, so this cannot race.
            assert_eq!(acme_2.state().await.unwrap(), Some(ExecutionState::Queued), "acme's second run waits");
            open_gate(&a1);
            assert_eq!(acme_1.result_timeout(WAIT).await.unwrap(), "acme");
            until_running(&acme_2).await;
            open_gate(&a2);
            open_gate(&b1);
            assert_eq!(acme_2.result_timeout(WAIT).await.unwrap(), "acme");
            assert_eq!(globex.result_timeout(WAIT).await.unwrap(), "globex");
        }

        async fn a_per_task_limit_counts_every_run_of_the_task(env: Env) {
            let docket = env.docket().await;
            let _worker = start(test_worker(&docket).concurrency(8));
            let gates: Vec<String> = (0..3).map(|i| gate(&env, &format!("pool-{i}"))).collect();
            let mut runs = Vec::new();
            for name in &gates {
                runs.push(pooled::schedule(&docket, name.clone()).await.unwrap());
            }
            until_running(&runs[0]).await;
            until_running(&runs[1]).await;
            assert_eq!(runs[2].state().await.unwrap(), Some(ExecutionState::Queued), "a third run waits");
            open_gate(&gates[0]);
            until_running(&runs[2]).await;
            open_gate(&gates[1]);
            open_gate(&gates[2]);
            for run in &runs {
                run.result_timeout(WAIT).await.unwrap();
            }
        }

        async fn a_scope_shares_one_limit_between_tasks(env: Env) {
            let docket = env.docket().await;
            let _worker = start(test_worker(&docket).concurrency(8));
            let (out, inn) = (gate(&env, "export"), gate(&env, "import"));
            let exporting = export::schedule(&docket, out.clone()).await.unwrap();
            until_running(&exporting).await;
            let importing = import::schedule(&docket, inn.clone()).await.unwrap();
            eventually(WAIT, "the import to be read and kept waiting", || async {
                docket.backend().backlog().await.unwrap().ready == 2
            })
            .await;
            assert_eq!(importing.state().await.unwrap(), Some(ExecutionState::Queued), "another task of the scope waits");
            open_gate(&out);
            until_running(&importing).await;
            open_gate(&inn);
            importing.result_timeout(WAIT).await.unwrap();
        }

        async fn a_failed_panicked_or_timed_out_run_frees_its_slot(env: Env) {
            let docket = env.docket().await;
            let _worker = start(test_worker(&docket));
            // One after the other for one customer: each run starts only if the one before
            // it freed the slot.
            for how in ["fail", "panic", "hang"] {
                let bad = brittle::schedule(&docket, "acme".into(), how.into()).await.unwrap();
                let error = bad.result_timeout(WAIT).await.unwrap_err();
                assert!(matches!(error, Error::TaskFailed { .. }), "{how}: {error}");
            }
            let last = brittle::schedule(&docket, "acme".into(), "fail".into()).await.unwrap();
            assert!(last.result_timeout(WAIT).await.is_err(), "acme's brittle slot was freed three times");
        }

        async fn a_retry_is_not_kept_waiting_by_its_own_slot(env: Env) {
            let docket = env.docket().await;
            let _worker = start(test_worker(&docket));
            let run = retried::schedule(&docket, "acme".into()).await.unwrap();
            assert_eq!(run.result_timeout(WAIT).await.unwrap(), 2);
        }

        async fn cancelling_a_running_holder_lets_the_next_run_start_once_it_has_stopped(env: Env) {
            let docket = env.docket().await;
            let _worker = start(test_worker(&docket));
            let (held, next_gate) = (gate(&env, "held"), gate(&env, "after-cancel"));
            let holder = per_customer::schedule(&docket, "acme".into(), held).await.unwrap();
            until_running(&holder).await;
            let next = per_customer::schedule(&docket, "acme".into(), next_gate.clone()).await.unwrap();
            assert!(docket.cancel(holder.key()).await.unwrap());
            // The worker interrupts the holder's run; its slot then goes to the waiter.
            until_running(&next).await;
            assert!(matches!(holder.result_timeout(WAIT).await, Err(Error::Cancelled { .. })));
            open_gate(&next_gate);
            assert_eq!(next.result_timeout(WAIT).await.unwrap(), "acme");
        }

        async fn a_waiting_execution_can_be_cancelled(env: Env) {
            let docket = env.docket().await;
            let _worker = start(test_worker(&docket));
            let (first, second, third) = (gate(&env, "c1"), gate(&env, "c2"), gate(&env, "c3"));
            let holder = per_customer::schedule(&docket, "acme".into(), first.clone()).await.unwrap();
            until_running(&holder).await;
            let waiter = per_customer::schedule(&docket, "acme".into(), second).await.unwrap();
            eventually(WAIT, "the second run to be read and kept waiting", || async {
                docket.backend().backlog().await.unwrap().ready == 2
            })
            .await;
            assert!(docket.cancel(waiter.key()).await.unwrap());
            assert_eq!(waiter.state().await.unwrap(), Some(ExecutionState::Cancelled));
            let next = per_customer::schedule(&docket, "acme".into(), third.clone()).await.unwrap();
            open_gate(&first);
            until_running(&next).await;
            open_gate(&third);
            next.result_timeout(WAIT).await.unwrap();
        }
    }
}

/// Cooldowns: the first submission runs, later ones within the window are dropped.
mod cooldowns {
    use super::*;
    use docket::Disposition;

    behaviour_tests! {
        async fn the_first_submission_runs_and_duplicates_within_the_window_are_dropped(env: Env) {
            let docket = env.docket().await;
            let first = notify::schedule(&docket, "acme".into(), "first".into()).await.unwrap();
            let second = notify::schedule(&docket, "acme".into(), "second".into()).await.unwrap();
            assert_eq!(first.disposition(), Disposition::Scheduled);
            assert_eq!(second.disposition(), Disposition::Dropped);
            let info = second.info().await.unwrap().expect("a dropped submission keeps a record");
            assert_eq!(info.state, ExecutionState::Cancelled);
            let reason = info.error.expect("a reason").message;
            assert!(reason.contains("cooldown") && reason.contains("same `customer`") && reason.contains("1h"), "{reason}");
            match second.result_timeout(WAIT).await {
                Err(Error::Dropped { key, reason }) => {
                    assert_eq!(key, second.key());
                    assert!(reason.contains("cooldown"), "{reason}");
                }
                other => panic!("expected Error::Dropped, got {other:?}"),
            }
            let _worker = start(test_worker(&docket));
            assert_eq!(first.result_timeout(WAIT).await.unwrap(), "acme: first");
        }

        async fn every_window_of_a_task_must_be_clear(env: Env) {
            let docket = env.docket().await;
            let acme = notify::schedule(&docket, "acme".into(), "a".into()).await.unwrap();
            // Another customer passes the per-customer window but not the task's own one.
            let globex = notify::schedule(&docket, "globex".into(), "b".into()).await.unwrap();
            assert_eq!(acme.disposition(), Disposition::Scheduled);
            assert_eq!(globex.disposition(), Disposition::Dropped);
            let reason = globex.info().await.unwrap().unwrap().error.unwrap().message;
            assert!(!reason.contains("same `customer`"), "the task-wide window dropped it: {reason}");
        }

        async fn a_submission_after_the_window_runs_again(env: Env) {
            let docket = env.docket().await;
            let first = ping::schedule(&docket, 1).await.unwrap();
            assert_eq!(first.disposition(), Disposition::Scheduled);
            let mut tries = 0;
            let later = loop {
                tries += 1;
                let attempt = ping::schedule(&docket, 2).await.unwrap();
                if attempt.disposition() == Disposition::Scheduled {
                    break attempt;
                }
                assert_eq!(attempt.state().await.unwrap(), Some(ExecutionState::Cancelled));
                assert!(tries < 1000, "the 200 ms window never ended");
                tokio::time::sleep(Duration::from_millis(20)).await;
            };
            assert!(tries > 1, "a submission right after the first was admitted");
            let _worker = start(test_worker(&docket));
            assert_eq!(first.result_timeout(WAIT).await.unwrap(), 1);
            assert_eq!(later.result_timeout(WAIT).await.unwrap(), 2);
        }

        async fn a_dropped_replacement_keeps_the_pending_execution(env: Env) {
            let docket = env.docket().await;
            let kept = notify::schedule(&docket, "acme".into(), "kept".into()).key("digest").await.unwrap();
            let replacement = notify::schedule(&docket, "acme".into(), "new".into()).key("digest").replace().await.unwrap();
            assert_eq!(replacement.disposition(), Disposition::Dropped);
            let _worker = start(test_worker(&docket));
            assert_eq!(kept.result_timeout(WAIT).await.unwrap(), "acme: kept");
        }

        async fn a_retry_is_not_eaten_by_its_own_cooldown(env: Env) {
            let docket = env.docket().await;
            let _worker = start(test_worker(&docket));
            let run = cooled_retry::schedule(&docket).await.unwrap();
            assert_eq!(run.result_timeout(WAIT).await.unwrap(), 2);
        }
    }
}

/// Rate limits: at most so many starts per window; the rest wait or are dropped.
mod rate_limits {
    use super::*;

    behaviour_tests! {
        async fn starts_over_the_limit_wait_for_the_instant_they_may_start(env: Env) {
            let docket = env.docket().await;
            let runs = docket.schedule_all((0..5).map(|n| metered::schedule(&docket, n))).await.unwrap();
            let _worker = start(test_worker(&docket).concurrency(8));
            let mut starts = Vec::new();
            for (n, run) in runs.iter().enumerate() {
                assert_eq!(run.result_timeout(WAIT).await.unwrap(), n as u32, "none is dropped");
                starts.push(run.info().await.unwrap().unwrap().started_at.unwrap());
            }
            starts.sort();
            for window in starts.windows(3) {
                let apart = window[2].duration_since(window[0]).unwrap();
                // The limit is kept by the backend's clock; the start times shown are the
                // worker's, read just before: allow for the difference.
                assert!(apart >= Duration::from_millis(250), "three starts within {apart:?}: {starts:?}");
            }
        }

        async fn with_drop_starts_over_the_limit_are_dropped_per_value(env: Env) {
            let docket = env.docket().await;
            let runs = docket
                .schedule_all(["acme", "globex", "acme", "acme"].map(|c| once_an_hour::schedule(&docket, c.into())))
                .await
                .unwrap();
            let _worker = start(test_worker(&docket));
            let mut ran = Vec::new();
            let mut dropped = 0;
            for run in &runs {
                match run.result_timeout(WAIT).await {
                    Ok(customer) => ran.push(customer),
                    Err(Error::Dropped { reason, .. }) => {
                        assert!(reason.contains("rate limit") && reason.contains("same `customer`") && reason.contains("1h"), "{reason}");
                        assert_eq!(run.state().await.unwrap(), Some(ExecutionState::Cancelled));
                        dropped += 1;
                    }
                    Err(other) => panic!("unexpected {other}"),
                }
            }
            ran.sort();
            assert_eq!(ran, ["acme", "globex"], "one start per customer");
            assert_eq!(dropped, 2);
        }

        async fn a_retry_is_delayed_but_never_dropped_by_its_own_rate_limit(env: Env) {
            let docket = env.docket().await;
            let _worker = start(test_worker(&docket));
            let run = metered_retry::schedule(&docket).await.unwrap();
            assert_eq!(run.result_timeout(WAIT).await.unwrap(), 2);
        }
    }
}

/// Debounce: one run after the submissions go quiet, with the last one's arguments.
mod debounce {
    use super::*;

    behaviour_tests! {
        async fn one_run_after_the_submissions_go_quiet_with_the_last_arguments(env: Env) {
            let docket = env.docket().await;
            let mut submissions = Vec::new();
            for version in 1..=3 {
                submissions.push(reindex::schedule(&docket, "acme".into(), version).await.unwrap());
            }
            let last_submitted = std::time::SystemTime::now();
            let other = reindex::schedule(&docket, "globex".into(), 7).await.unwrap();
            // Started only now, so no submission can have run before the next one came.
            let _worker = start(test_worker(&docket));
            let last = submissions.pop().unwrap();
            assert_eq!(last.result_timeout(WAIT).await.unwrap(), 3, "the last submission runs");
            let started = last.info().await.unwrap().unwrap().started_at.unwrap();
            assert!(
                started >= last_submitted + Duration::from_millis(250),
                "it ran {:?} after the last submission",
                started.duration_since(last_submitted)
            );
            for superseded in &submissions {
                match superseded.result_timeout(WAIT).await {
                    Err(Error::Dropped { reason, .. }) => {
                        assert!(reason.contains("debounce") && reason.contains("same `customer`"), "{reason}");
                    }
                    other => panic!("a superseded submission ended {other:?}"),
                }
            }
            assert_eq!(other.result_timeout(WAIT).await.unwrap(), 7, "another customer has its own group");
        }
    }
}
