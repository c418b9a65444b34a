//! Operating a docket: clearing a large backlog in bounded steps, on Redis and `memory://`.

mod common;

use std::time::Duration;

use common::{add, gate_notify, gated, open_gate, script_calls, start, test_worker, until_running, WAIT};
use docket::{Disposition, Strike};
use docket_tests::{behaviour_tests, RedisServer};

/// More than one batch of the clear script (1,000) of each kind.
const BACKLOG: i64 = 2_500;

behaviour_tests! {
    async fn clear_removes_a_large_backlog_keeps_running_work_and_strikes_and_frees_the_keys(env: Env) {
        let docket = env.docket().await;
        docket.strike(Strike::task("never-scheduled")).await.unwrap();
        let gate = format!("clear@{}", env.url());
        let _ = gate_notify(&gate);
        let worker = start(test_worker(&docket).concurrency(1).schedule_automatic_tasks(false));
        let running = gated::schedule(&docket, gate.clone()).key("running").await.unwrap();
        until_running(&running).await;
        docket
            .schedule_all((0..BACKLOG).map(|i| add::schedule(&docket, i, 0).key(format!("now-{i}"))))
            .await
            .unwrap();
        docket
            .schedule_all((0..BACKLOG).map(|i| {
                add::schedule(&docket, i, 0)
                    .key(format!("later-{i}"))
                    .after(Duration::from_secs(3600))
            }))
            .await
            .unwrap();

        let removed = docket.clear().await.unwrap();
        // The worker's one slot is held by `running`, so it claimed nothing else.
        assert_eq!(removed, 2 * BACKLOG as u64);
        let backlog = docket.backend().backlog().await.unwrap();
        assert_eq!((backlog.ready, backlog.scheduled), (1, 0), "only the running one is left: {backlog:?}");
        assert!(docket.execution("later-0").await.unwrap().is_none());
        assert!(docket.execution(&format!("later-{}", BACKLOG - 1)).await.unwrap().is_none());
        assert_eq!(docket.strikes().len(), 1, "strikes are kept");
        assert_eq!(
            running.state().await.unwrap(),
            Some(docket::ExecutionState::Running),
            "running work is left to finish"
        );
        let again = add::schedule(&docket, 1, 1).key("later-7").await.unwrap();
        assert_eq!(again.disposition(), Disposition::Scheduled, "a cleared key is free at once");
        open_gate(&gate);
        assert_eq!(running.result_timeout(WAIT).await.unwrap(), gate);
        assert_eq!(again.result_timeout(WAIT).await.unwrap(), 2);
        worker.stop().await;
    }

    async fn a_snapshot_beyond_its_limit_lists_the_soonest_and_says_it_is_incomplete(env: Env) {
        let docket = env.docket().await;
        for i in 0..3 {
            add::schedule(&docket, i, 0).key(format!("queued-{i}")).await.unwrap();
        }
        assert!(docket.snapshot().await.unwrap().complete);
        let limit = docket::SNAPSHOT_LIMIT;
        docket
            .schedule_all((0..limit + 5).map(|i| {
                add::schedule(&docket, i as i64, 0)
                    .key(format!("later-{i:05}"))
                    .after(Duration::from_secs(3600 + i as u64))
            }))
            .await
            .unwrap();
        let snapshot = docket.snapshot().await.unwrap();
        assert!(!snapshot.complete);
        let (ready, scheduled): (Vec<_>, Vec<_>) = snapshot
            .executions
            .iter()
            .partition(|info| info.state == docket::ExecutionState::Queued);
        assert_eq!(ready.len(), 3, "every queued one is listed");
        assert_eq!(scheduled.len(), limit);
        assert_eq!(scheduled[0].key, "later-00000");
        assert_eq!(scheduled[limit - 1].key, format!("later-{:05}", limit - 1), "the soonest are listed");
    }

    async fn a_requeued_dead_letter_is_scheduled_again_and_leaves_the_dead_letters(env: Env) {
        let docket = env.docket().await;
        let poison = docket::codec::encode_args(&std::collections::BTreeMap::from([("a", "x"), ("b", "y")])).unwrap();
        let task = docket::backend::NewTask::new("poison", add::NAME, poison, docket::backend::Due::Now);
        docket.backend().schedule(&[task]).await.unwrap();
        test_worker(&docket).build().unwrap().run_until_finished().await.unwrap();
        let letters = docket.dead_letters(10).await.unwrap();
        assert_eq!(letters.len(), 1, "{letters:?}");
        assert!(!letters[0].id.is_empty());

        assert_eq!(docket.requeue_dead_letter(&letters[0]).await.unwrap(), Disposition::Scheduled);
        assert!(docket.dead_letters(10).await.unwrap().is_empty(), "removed once it is pending");
        let info = docket.execution("poison").await.unwrap().expect("pending again");
        assert_eq!(info.state, docket::ExecutionState::Queued);
        assert_eq!(info.task, add::NAME);
        // Removing an id twice (or an unknown one) removes nothing.
        assert_eq!(docket.backend().remove_dead_letters(&[letters[0].id.clone()]).await.unwrap(), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_redis_clear_works_in_bounded_batches() {
    let server = RedisServer::start();
    let docket = docket::Docket::connect(&server.url()).await.unwrap();
    docket
        .schedule_all((0..BACKLOG).map(|i| add::schedule(&docket, i, 0)))
        .await
        .unwrap();
    docket
        .schedule_all((0..BACKLOG).map(|i| add::schedule(&docket, i, 0).after(Duration::from_secs(3600))))
        .await
        .unwrap();
    let before = script_calls(&server);
    assert_eq!(docket.clear().await.unwrap(), 2 * BACKLOG as u64);
    let calls = script_calls(&server) - before;
    // At least three batches of the schedule and three of the stream, each one script call.
    assert!(
        calls >= 6,
        "clear took {calls} script calls for {} executions",
        2 * BACKLOG
    );
    let backlog = docket.backend().backlog().await.unwrap();
    assert_eq!((backlog.ready, backlog.scheduled), (0, 0), "{backlog:?}");
    docket.close().await;
}
