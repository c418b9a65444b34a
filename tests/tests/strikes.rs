//! Strikes (S19), each against a real Redis and against `memory://`: what a struck schedule
//! returns, which rules match which executions, what a worker does with an execution struck
//! after it was scheduled, perpetual and automatic tasks under a strike, and how rules reach
//! other processes.

mod common;

use std::time::Duration;

use common::{count, start, test_worker, WAIT};
use docket::{Disposition, Error, ExecutionState, Strike};
use docket_tests::{behaviour_tests, eventually};

/// An order for a customer.
#[docket::task]
async fn order(customer_id: String, amount: i64) -> i64 {
    let _ = customer_id;
    amount
}

/// A refund for a customer: shares the parameter names of `order`.
#[docket::task]
async fn refund(customer_id: String, amount: i64) -> i64 {
    let _ = customer_id;
    -amount
}

/// Counts its runs under `label` (see `common::count`).
#[docket::task]
#[perpetual(every = "20ms")]
async fn beat(label: String) {
    common::record(label).await;
}

/// Counts its runs under `label`, at most one start an hour.
#[docket::task]
#[perpetual(every = "20ms")]
#[rate_limit(limit = 1, per = "1h")]
async fn throttled_beat(label: String) {
    common::record(label).await;
}

/// Seeded by workers; counts its runs under its own name.
#[docket::task]
#[perpetual(every = "1h", automatic)]
async fn nightly() {
    common::record("nightly".to_string()).await;
}

/// How long a pushed rule may take to reach another process in these tests: far less than the
/// 10 s version check, so only the push can make it.
const PUSHED: Duration = Duration::from_secs(5);

/// How `schedule(..)` of `order(customer, amount)` was disposed of.
async fn order_disposition(docket: &docket::Docket, customer: &str, amount: i64) -> Disposition {
    order::schedule(docket, customer.to_string(), amount)
        .await
        .expect("schedule an order")
        .disposition()
}

async fn refund_disposition(docket: &docket::Docket, customer: &str, amount: i64) -> Disposition {
    refund::schedule(docket, customer.to_string(), amount)
        .await
        .expect("schedule a refund")
        .disposition()
}

behaviour_tests! {
    async fn a_struck_task_writes_nothing_and_its_result_says_struck(env: Env) {
        let docket = env.docket().await;
        assert!(docket.strike(Strike::task(order::NAME)).await.unwrap(), "a new rule");
        assert!(!docket.strike(Strike::task(order::NAME)).await.unwrap(), "the same rule again changes nothing");
        assert_eq!(docket.strikes().len(), 1);

        let struck = order::schedule(&docket, "12345".into(), 10).key("o-1").await.unwrap();
        assert_eq!(struck.disposition(), Disposition::Struck);
        assert!(docket.execution("o-1").await.unwrap().is_none(), "nothing was written");
        match struck.result_timeout(WAIT).await {
            Err(Error::Struck { key, .. }) => assert_eq!(key, "o-1"),
            other => panic!("expected Struck, got {other:?}"),
        }
        assert_eq!(refund_disposition(&docket, "12345", 10).await, Disposition::Scheduled, "other tasks are not struck");

        // In bulk too: only the struck ones are left out, in place.
        docket.strike(Strike::any_task().arg("amount").between(2, 3)).await.unwrap();
        let mixed = docket
            .schedule_all((0..6).map(|i| refund::schedule(&docket, "c".into(), i)))
            .await
            .unwrap();
        let dispositions: Vec<_> = mixed.iter().map(|e| e.disposition()).collect();
        use Disposition::{Scheduled as S, Struck as X};
        assert_eq!(dispositions, [S, S, X, X, S, S]);
        for (i, execution) in mixed.iter().enumerate() {
            let info = docket.execution(execution.key()).await.unwrap();
            assert_eq!(info.is_some(), !(2..=3).contains(&i), "item {i}");
        }
        docket.restore(Strike::any_task().arg("amount").between(2, 3)).await.unwrap();

        assert!(docket.restore(Strike::task(order::NAME)).await.unwrap());
        assert!(!docket.restore(Strike::task(order::NAME)).await.unwrap(), "nothing left to restore");
        assert!(docket.strikes().is_empty());
        assert_eq!(order_disposition(&docket, "12345", 10).await, Disposition::Scheduled);
    }

    async fn parameter_strikes_compare_typed_values_by_name_on_every_task_or_one(env: Env) {
        let docket = env.docket().await;
        docket.strike(Strike::any_task().arg("customer_id").eq("12345")).await.unwrap();
        docket.strike(Strike::task(order::NAME).arg("amount").gt(1000)).await.unwrap();

        assert_eq!(order_disposition(&docket, "12345", 500).await, Disposition::Struck, "blocked customer");
        assert_eq!(refund_disposition(&docket, "12345", 500).await, Disposition::Struck, "on every task");
        assert_eq!(order_disposition(&docket, "67890", 2000).await, Disposition::Struck, "a big order");
        assert_eq!(refund_disposition(&docket, "67890", 2000).await, Disposition::Scheduled, "big refunds are fine");
        assert_eq!(order_disposition(&docket, "67890", 1000).await, Disposition::Scheduled, "> is strict");

        // Restoring one rule leaves the other exactly as it was.
        docket.restore(Strike::task(order::NAME).arg("amount").gt(1000)).await.unwrap();
        assert_eq!(order_disposition(&docket, "67890", 2000).await, Disposition::Scheduled);
        assert_eq!(order_disposition(&docket, "12345", 1).await, Disposition::Struck);
        docket.restore(Strike::any_task().arg("customer_id").eq("12345")).await.unwrap();

        // Typed: the integer 12345 is not the string "12345", whatever the operator.
        docket.strike(Strike::any_task().arg("customer_id").eq(12345)).await.unwrap();
        docket.strike(Strike::any_task().arg("customer_id").ne(12345)).await.unwrap();
        assert_eq!(order_disposition(&docket, "12345", 1).await, Disposition::Scheduled);
        docket.restore(Strike::any_task().arg("customer_id").eq(12345)).await.unwrap();
        docket.restore(Strike::any_task().arg("customer_id").ne(12345)).await.unwrap();

        // `between` includes both bounds; integers and floats compare as numbers.
        docket.strike(Strike::any_task().arg("amount").between(10, 20.5)).await.unwrap();
        assert_eq!(order_disposition(&docket, "a", 10).await, Disposition::Struck);
        assert_eq!(order_disposition(&docket, "a", 20).await, Disposition::Struck);
        assert_eq!(order_disposition(&docket, "a", 21).await, Disposition::Scheduled);
        assert_eq!(order_disposition(&docket, "a", 9).await, Disposition::Scheduled);
    }

    async fn whole_task_and_parameter_strikes_coexist_in_any_order(env: Env) {
        let docket = env.docket().await;
        let whole = || Strike::task(order::NAME);
        let customer = || Strike::any_task().arg("customer_id").eq("12345");
        for first_whole in [true, false] {
            if first_whole {
                docket.strike(whole()).await.unwrap();
                docket.strike(customer()).await.unwrap();
            } else {
                docket.strike(customer()).await.unwrap();
                docket.strike(whole()).await.unwrap();
            }
            assert_eq!(order_disposition(&docket, "other", 1).await, Disposition::Struck, "the whole task");
            assert_eq!(refund_disposition(&docket, "12345", 1).await, Disposition::Struck, "the customer");
            assert_eq!(refund_disposition(&docket, "other", 1).await, Disposition::Scheduled);
            // Restoring the parameter rule keeps the whole-task one, and the other way round.
            let (gone, kept_whole) = if first_whole { (customer(), true) } else { (whole(), false) };
            docket.restore(gone).await.unwrap();
            assert_eq!(
                order_disposition(&docket, "other", 1).await == Disposition::Struck,
                kept_whole,
                "the whole-task rule stays exactly while it is not restored"
            );
            assert_eq!(refund_disposition(&docket, "12345", 1).await == Disposition::Struck, !kept_whole);
            docket.restore(whole()).await.unwrap();
            docket.restore(customer()).await.unwrap();
            assert!(docket.strikes().is_empty());
        }
    }

    async fn an_execution_scheduled_before_its_strike_is_cancelled_when_a_worker_reaches_it(env: Env) {
        let docket = env.docket().await;
        let blocked = order::schedule(&docket, "12345".into(), 7).key("before").await.unwrap();
        let fine = order::schedule(&docket, "67890".into(), 8).await.unwrap();
        let later = order::schedule(&docket, "12345".into(), 9)
            .after(Duration::from_millis(50))
            .await
            .unwrap();
        let events = blocked.subscribe().await.unwrap();
        docket.strike(Strike::any_task().arg("customer_id").eq("12345")).await.unwrap();

        let _worker = start(test_worker(&docket).schedule_automatic_tasks(false));
        assert_eq!(fine.result_timeout(WAIT).await.unwrap(), 8, "the worker runs what is not struck");
        for struck in [&blocked, &later] {
            match struck.result_timeout(WAIT).await {
                Err(Error::Struck { reason, .. }) => assert!(reason.contains("customer_id == \"12345\""), "{reason}"),
                other => panic!("expected Struck, got {other:?}"),
            }
        }
        let info = blocked.info().await.unwrap().expect("the record is kept");
        assert_eq!(info.state, ExecutionState::Cancelled);
        let error = info.error.expect("the reason is recorded");
        assert_eq!(error.type_name, "docket::Struck");
        assert!(error.message.starts_with("struck: "), "{}", error.message);
        let states: Vec<_> = tokio::time::timeout(WAIT, futures::StreamExt::collect::<Vec<_>>(futures::StreamExt::take(events, 2)))
            .await
            .expect("both events arrive");
        let states: Vec<_> = states.iter().map(|event| event.state()).collect();
        assert_eq!(
            states,
            [Some(ExecutionState::Running), Some(ExecutionState::Cancelled)],
            "subscribers see it claimed, then ended unrun"
        );
    }

    async fn a_struck_perpetual_chain_skips_its_runs_and_resumes_after_the_restore(env: Env) {
        let docket = env.docket().await;
        let label = format!("beat@{}", env.url());
        let chain = beat::schedule(&docket, label.clone()).key("beat").await.unwrap();
        docket.strike(Strike::task(beat::NAME)).await.unwrap();
        let first_due = chain.info().await.unwrap().unwrap().when;

        let _worker = start(test_worker(&docket).schedule_automatic_tasks(false));
        // The chain keeps its cadence (its due time moves on), but its body never runs.
        eventually(WAIT, "the struck chain to tick on", || async {
            let info = chain.info().await.unwrap().expect("the chain lives");
            info.when > first_due + Duration::from_millis(40)
        })
        .await;
        assert_eq!(count(&label), 0, "a struck chain runs nothing");
        let info = chain.info().await.unwrap().unwrap();
        assert!(!info.state.is_terminal(), "the chain is paused, not ended: {:?}", info.state);

        docket.restore(Strike::task(beat::NAME)).await.unwrap();
        eventually(WAIT, "the chain to run again after the restore", || async { count(&label) >= 2 }).await;
    }

    async fn a_struck_chains_skipped_runs_do_not_count_against_its_rate_limit(env: Env) {
        let docket = env.docket().await;
        let label = format!("throttled@{}", env.url());
        let chain = throttled_beat::schedule(&docket, label.clone()).key("throttled").await.unwrap();
        docket.strike(Strike::task(throttled_beat::NAME)).await.unwrap();
        let first_due = chain.info().await.unwrap().unwrap().when;
        let _worker = start(test_worker(&docket).schedule_automatic_tasks(false));
        // Several runs skipped: had their starts counted, the hour's one start would be gone.
        eventually(WAIT, "the struck chain to skip a few runs", || async {
            chain.info().await.unwrap().expect("the chain lives").when > first_due + Duration::from_millis(60)
        })
        .await;
        assert_eq!(count(&label), 0);
        docket.restore(Strike::task(throttled_beat::NAME)).await.unwrap();
        eventually(WAIT, "the restored chain to run within its rate limit", || async { count(&label) == 1 }).await;
    }

    async fn a_struck_automatic_task_is_not_seeded_and_is_seeded_at_once_when_restored(env: Env) {
        let docket = env.docket().await;
        docket.strike(Strike::task(nightly::NAME)).await.unwrap();
        // A reseed interval far longer than the test: only the restore can seed it in time.
        let _worker = start(test_worker(&docket).automatic_reseed_interval(Duration::from_secs(3600)));
        // The worker seeded before its first claim: with the strike, nothing was written.
        assert_eq!(common::sum(&docket, 1, 2).await, 3, "the worker is up and claiming");
        assert!(docket.execution(nightly::NAME).await.unwrap().is_none(), "a struck seed writes nothing");

        docket.restore(Strike::task(nightly::NAME)).await.unwrap();
        eventually(WAIT, "the restored automatic task to be seeded", || async {
            docket.execution(nightly::NAME).await.unwrap().is_some()
        })
        .await;
    }

    async fn rules_reach_other_processes_and_new_ones_read_them_before_anything_else(env: Env) {
        let operator = env.docket().await;
        let producer = env.docket().await;
        operator.strike(Strike::any_task().arg("customer_id").eq("12345")).await.unwrap();
        // Pushed: well before the 10 s version check could have found it.
        eventually(PUSHED, "the running producer to learn of the rule", || async {
            !producer.strikes().is_empty()
        })
        .await;
        assert_eq!(order_disposition(&producer, "12345", 1).await, Disposition::Struck);

        // A process connected after the rule has it before its first schedule.
        let newcomer = env.docket().await;
        assert_eq!(order_disposition(&newcomer, "12345", 1).await, Disposition::Struck);

        operator.restore(Strike::any_task().arg("customer_id").eq("12345")).await.unwrap();
        eventually(PUSHED, "the running producer to learn of the restore", || async {
            producer.strikes().is_empty()
        })
        .await;
        assert_eq!(order_disposition(&producer, "12345", 1).await, Disposition::Scheduled);
    }

    async fn invalid_rules_and_too_many_rules_are_refused_with_clear_errors(env: Env) {
        let docket = env.docket().await;
        match docket.strike(Strike::task("")).await {
            Err(Error::InvalidStrike { reason }) => assert!(reason.contains("empty"), "{reason}"),
            other => panic!("expected InvalidStrike, got {other:?}"),
        }
        match docket.strike(Strike::any_task().arg("x").eq("y".repeat(2000))).await {
            Err(Error::InvalidStrike { reason }) => assert!(reason.contains("bytes"), "{reason}"),
            other => panic!("expected InvalidStrike, got {other:?}"),
        }
        for i in 0..docket::MAX_STRIKES {
            docket.strike(Strike::any_task().arg("n").eq(i as i64)).await.unwrap();
        }
        match docket.strike(Strike::any_task().arg("n").eq(-1)).await {
            Err(Error::TooManyStrikes { max }) => assert_eq!(max, docket::MAX_STRIKES),
            other => panic!("expected TooManyStrikes, got {other:?}"),
        }
        assert_eq!(docket.strikes().len(), docket::MAX_STRIKES);
        // A rule already kept is still accepted (nothing changes), and restoring makes room.
        assert!(!docket.strike(Strike::any_task().arg("n").eq(0)).await.unwrap());
        assert!(docket.restore(Strike::any_task().arg("n").eq(0)).await.unwrap());
        assert!(docket.strike(Strike::any_task().arg("n").eq(-1)).await.unwrap());
    }
}
