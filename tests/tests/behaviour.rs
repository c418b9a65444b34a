//! The behaviour suite: every test runs against a real Redis and against `memory://`.

mod common;

use std::time::{Duration, SystemTime};

use common::*;
use docket::backend::{Due, NewTask, OutcomeKind, Presence};
use docket::{Disposition, Error, ExecutionState};
use docket_tests::{behaviour_tests, eventually};
use futures::StreamExt;

behaviour_tests! {
    async fn a_stopping_worker_claims_nothing_new_and_hands_back_what_it_still_got(env: Env) {
        let docket = env.docket().await;
        let stopping = start(test_worker(&docket).name("stopping"));
        // Listed means it has claimed once: it is now waiting for work.
        eventually(WAIT, "the worker to be listed", || async {
            !docket.workers().await.unwrap().is_empty()
        })
        .await;
        stopping.stop_handle.shutdown();
        let execution = add::schedule(&docket, 20, 22).await.unwrap();
        stopping.stop().await;
        assert_eq!(
            execution.state().await.unwrap(),
            Some(ExecutionState::Queued),
            "a task added after the stop does not run on the stopping worker"
        );
        // Claimable at once: this worker would take over a pending delivery only after an hour.
        let _successor = start(test_worker(&docket).name("successor").redelivery_timeout(Duration::from_secs(3600)));
        assert_eq!(execution.result_timeout(WAIT).await.unwrap(), 42);
        let info = execution.info().await.unwrap().expect("a record");
        assert_eq!(info.worker.as_deref(), Some("successor"));
    }

    async fn an_immediate_task_runs_and_returns_its_typed_result(env: Env) {
        let docket = env.docket().await;
        let _worker = start(test_worker(&docket));
        let execution = add::schedule(&docket, 2, 3).await.unwrap();
        assert_eq!(execution.disposition(), Disposition::Scheduled);
        let sum: i64 = execution.result_timeout(WAIT).await.unwrap();
        assert_eq!(sum, 5);
        let info = execution.info().await.unwrap().expect("a record");
        assert_eq!(info.state, ExecutionState::Completed);
        assert_eq!(info.task, "add");
        assert!(info.worker.is_some());
        assert!(info.started_at.is_some() && info.completed_at.is_some());
    }

    async fn a_future_task_waits_scheduled_and_never_runs_early(env: Env) {
        let docket = env.docket().await;
        let when = SystemTime::now() + Duration::from_millis(400);
        let execution = add::schedule(&docket, 1, 1).at(when).await.unwrap();
        // No worker runs yet, so this cannot race the due time.
        assert_eq!(execution.state().await.unwrap(), Some(ExecutionState::Scheduled));
        let _worker = start(test_worker(&docket));
        assert_eq!(execution.result_timeout(WAIT).await.unwrap(), 2);
        let started = execution.info().await.unwrap().unwrap().started_at.unwrap();
        assert!(started >= when, "started {started:?} before it was due {when:?}");
    }

    async fn a_task_due_before_the_schedulers_next_look_wakes_it(env: Env) {
        let docket = env.docket().await;
        // The scheduler's fallback timer is far longer than the test may wait: only the
        // wake-up sent by the schedule can make the task run in time.
        let _worker = start(test_worker(&docket).scheduling_resolution(Duration::from_secs(600)));
        eventually(WAIT, "the worker to start", || async {
            !docket.workers().await.unwrap().is_empty()
        })
        .await;
        let execution = add::schedule(&docket, 2, 2).after(Duration::from_millis(200)).await.unwrap();
        assert_eq!(execution.result_timeout(WAIT).await.unwrap(), 4);
    }

    async fn transitions_are_published_as_events(env: Env) {
        let docket = env.docket().await;
        let execution = add::schedule(&docket, 4, 4).after(Duration::from_millis(200)).await.unwrap();
        let events = execution.subscribe().await.unwrap();
        let _worker = start(test_worker(&docket));
        let states: Vec<ExecutionState> = tokio::time::timeout(WAIT, events.filter_map(|e| async move { e.state() }).take(3).collect())
            .await
            .expect("three events");
        assert_eq!(states, vec![ExecutionState::Queued, ExecutionState::Running, ExecutionState::Completed]);
    }

    async fn a_key_that_is_pending_is_not_scheduled_twice(env: Env) {
        let docket = env.docket().await;
        let first = add::schedule(&docket, 1, 2).after(Duration::from_millis(300)).key("sum").await.unwrap();
        let second = add::schedule(&docket, 10, 20).key("sum").await.unwrap();
        assert_eq!(first.disposition(), Disposition::Scheduled);
        assert_eq!(second.disposition(), Disposition::AlreadyScheduled);
        let _worker = start(test_worker(&docket));
        assert_eq!(second.result_timeout(WAIT).await.unwrap(), 3, "the first arguments are kept");
        let again = add::schedule(&docket, 10, 20).key("sum").await.unwrap();
        assert_eq!(again.disposition(), Disposition::Scheduled, "a finished key can be scheduled again");
        assert_eq!(again.result_timeout(WAIT).await.unwrap(), 30);
    }

    async fn replace_swaps_time_and_arguments_and_the_old_delivery_never_runs(env: Env) {
        let docket = env.docket().await;
        let old = format!("{}-old", env.url());
        let new = format!("{}-new", env.url());
        record::schedule(&docket, old.clone()).key("job").await.unwrap();
        let replaced = record::schedule(&docket, new.clone()).key("job").replace().await.unwrap();
        assert_eq!(replaced.disposition(), Disposition::Scheduled);
        let later = add::schedule(&docket, 1, 1).after(Duration::from_secs(3600)).key("later").await.unwrap();
        add::schedule(&docket, 2, 2).key("later").replace().await.unwrap();
        let worker = test_worker(&docket).build().unwrap();
        worker.run_until_finished().await.unwrap();
        assert_eq!(count(&new), 1);
        assert_eq!(count(&old), 0, "the replaced delivery must not run");
        assert_eq!(later.result_timeout(WAIT).await.unwrap(), 4, "replacing a future task moves it to now");
    }

    async fn replacing_a_running_execution_interrupts_it_and_runs_the_replacement(env: Env) {
        let docket = env.docket().await;
        let gate = format!("{}-replaced-run", env.url());
        let replacement_gate = format!("{gate}-replacement");
        // Leases are renewed once in 15 minutes here: only the replacement can interrupt the run.
        let _worker = start(test_worker(&docket).redelivery_timeout(Duration::from_secs(3600)));
        let running = gated::schedule(&docket, gate.clone()).key("report").await.unwrap();
        until_running(&running).await;
        let replacement = gated::schedule(&docket, replacement_gate.clone())
            .key("report")
            .replace()
            .await
            .unwrap();
        assert_eq!(replacement.disposition(), Disposition::Scheduled);
        let dropped = format!("{gate}:dropped");
        eventually(WAIT, "the replaced run to be interrupted", || async { count(&dropped) == 1 }).await;
        open_gate(&replacement_gate);
        assert_eq!(replacement.result_timeout(WAIT).await.unwrap(), replacement_gate);
    }

    async fn a_result_too_large_for_an_event_still_reaches_its_waiter(env: Env) {
        let docket = env.docket().await;
        let execution = sized::schedule(&docket, 300_000).await.unwrap();
        let _worker = start(test_worker(&docket));
        let value = execution.result_timeout(WAIT).await.unwrap();
        assert_eq!(value.len(), 300_000);
    }

    async fn replace_of_an_unknown_key_schedules_it(env: Env) {
        let docket = env.docket().await;
        let execution = add::schedule(&docket, 3, 3).key("fresh").replace().await.unwrap();
        assert_eq!(execution.disposition(), Disposition::Scheduled);
        let _worker = start(test_worker(&docket));
        assert_eq!(execution.result_timeout(WAIT).await.unwrap(), 6);
    }

    async fn cancel_of_a_scheduled_task_frees_its_key_and_wakes_waiters(env: Env) {
        let docket = env.docket().await;
        let execution = add::schedule(&docket, 1, 1).after(Duration::from_secs(3600)).key("c").await.unwrap();
        let waiter = {
            let execution = execution.clone();
            tokio::spawn(async move { execution.result_timeout(WAIT).await })
        };
        assert!(docket.cancel("c").await.unwrap());
        assert!(matches!(waiter.await.unwrap(), Err(Error::Cancelled { .. })));
        assert_eq!(execution.state().await.unwrap(), Some(ExecutionState::Cancelled));
        assert!(!docket.cancel("c").await.unwrap(), "a cancelled execution is no longer live");
        let again = add::schedule(&docket, 2, 2).key("c").await.unwrap();
        assert_eq!(again.disposition(), Disposition::Scheduled);
    }

    async fn cancel_of_a_queued_task_means_it_never_runs(env: Env) {
        let docket = env.docket().await;
        let label = format!("{}-queued", env.url());
        let execution = record::schedule(&docket, label.clone()).await.unwrap();
        assert_eq!(execution.state().await.unwrap(), Some(ExecutionState::Queued));
        assert!(execution.cancel().await.unwrap());
        test_worker(&docket).build().unwrap().run_until_finished().await.unwrap();
        assert_eq!(count(&label), 0);
        assert_eq!(execution.state().await.unwrap(), Some(ExecutionState::Cancelled));
    }

    async fn cancel_after_the_scheduler_moved_the_task_still_stops_it(env: Env) {
        let docket = env.docket().await;
        let label = format!("{}-moved", env.url());
        let execution = record::schedule(&docket, label.clone()).after(Duration::from_millis(50)).await.unwrap();
        // Move it to the ready queue without running it.
        eventually(WAIT, "the task to become due", || async {
            docket.backend().move_due(100).await.unwrap();
            execution.state().await.unwrap() == Some(ExecutionState::Queued)
        })
        .await;
        assert!(execution.cancel().await.unwrap());
        test_worker(&docket).build().unwrap().run_until_finished().await.unwrap();
        assert_eq!(count(&label), 0);
    }

    async fn cancel_of_a_running_task_interrupts_it(env: Env) {
        let docket = env.docket().await;
        let gate = format!("{}-running", env.url());
        let _worker = start(test_worker(&docket));
        let execution = gated::schedule(&docket, gate.clone()).await.unwrap();
        until_running(&execution).await;
        assert!(execution.cancel().await.unwrap());
        assert!(matches!(execution.result_timeout(WAIT).await, Err(Error::Cancelled { .. })));
        let dropped = format!("{gate}:dropped");
        eventually(WAIT, "the body to be dropped", || async { count(&dropped) == 1 }).await;
        assert_eq!(execution.state().await.unwrap(), Some(ExecutionState::Cancelled));
    }

    async fn failures_keep_their_message_and_type(env: Env) {
        let docket = env.docket().await;
        let _worker = start(test_worker(&docket));
        let execution = fails::schedule(&docket, "disk on fire".into()).await.unwrap();
        match execution.result_timeout(WAIT).await {
            Err(Error::TaskFailed { message, type_name }) => {
                assert_eq!(message, "disk on fire");
                assert!(type_name.contains("io::error::Error"), "{type_name}");
            }
            other => panic!("expected a task failure, got {other:?}"),
        }
        assert_eq!(execution.state().await.unwrap(), Some(ExecutionState::Failed));
    }

    async fn a_panicking_task_fails_and_the_worker_keeps_working(env: Env) {
        let docket = env.docket().await;
        let _worker = start(test_worker(&docket));
        let execution = panics::schedule(&docket, "boom".into()).await.unwrap();
        match execution.result_timeout(WAIT).await {
            Err(Error::TaskFailed { message, type_name }) => {
                assert_eq!((message.as_str(), type_name.as_str()), ("boom", "panic"));
            }
            other => panic!("expected a failure, got {other:?}"),
        }
        assert_eq!(sum(&docket, 1, 2).await, 3);
    }

    async fn records_expire_after_the_execution_ttl(env: Env) {
        let docket = env.docket_with_ttl(Duration::from_millis(300)).await;
        let _worker = start(test_worker(&docket));
        let execution = add::schedule(&docket, 5, 5).await.unwrap();
        assert_eq!(execution.result_timeout(WAIT).await.unwrap(), 10);
        assert!(execution.info().await.unwrap().is_some());
        eventually(WAIT, "the record to expire", || async { execution.info().await.unwrap().is_none() }).await;
        assert!(matches!(execution.result().await, Err(Error::NotFound { .. })));
    }

    async fn a_zero_ttl_keeps_nothing_and_result_says_so(env: Env) {
        let docket = env.docket_with_ttl(Duration::ZERO).await;
        let watched = add::schedule(&docket, 1, 2).after(Duration::from_millis(500)).await.unwrap();
        let unwatched = add::schedule(&docket, 3, 4).await.unwrap();
        let worker = test_worker(&docket).build().unwrap();
        // The waiter starts watching before the worker runs anything (join polls it first).
        let (result, ran) = tokio::join!(watched.result_timeout(WAIT), worker.run_until_finished());
        ran.unwrap();
        assert_eq!(result.unwrap(), 3, "a live waiter still gets the result");
        assert!(unwatched.info().await.unwrap().is_none());
        assert!(matches!(
            unwatched.result_timeout(WAIT).await,
            Err(Error::ResultNotKept { .. })
        ));
    }

    async fn bulk_scheduling_runs_every_task(env: Env) {
        let docket = env.docket().await;
        let executions = docket
            .schedule_all((0..2500).map(|i| add::schedule(&docket, i, 1)))
            .await
            .unwrap();
        assert_eq!(executions.len(), 2500);
        assert!(executions.iter().all(|e| e.disposition() == Disposition::Scheduled));
        test_worker(&docket).concurrency(16).build().unwrap().run_until_finished().await.unwrap();
        for (i, execution) in executions.iter().enumerate() {
            assert_eq!(execution.result().await.unwrap(), i as i64 + 1);
        }
    }

    async fn run_until_finished_waits_for_future_tasks(env: Env) {
        let docket = env.docket().await;
        let label = format!("{}-future", env.url());
        record::schedule(&docket, label.clone()).after(Duration::from_millis(300)).await.unwrap();
        test_worker(&docket).build().unwrap().run_until_finished().await.unwrap();
        assert_eq!(count(&label), 1);
    }

    async fn dead_letters_are_bounded_in_bytes_and_keep_only_the_size_of_huge_arguments(env: Env) {
        let docket = env.docket().await;
        // Argument maps that do not fit `add`: {"a": <binary of `size` bytes>}.
        let poison = |size: usize| {
            let mut args = vec![0x81, 0xa1, b'a', 0xc6];
            args.extend_from_slice(&u32::try_from(size).unwrap().to_be_bytes());
            args.resize(args.len() + size, 7);
            args
        };
        let big = docket::backend::DEAD_LETTER_ARGS - 64;
        let many = docket::backend::DEAD_LETTER_BYTES / big + 8;
        let mut tasks: Vec<NewTask> = (0..many)
            .map(|i| NewTask::new(format!("big-{i}"), "add", poison(big), Due::Now))
            .collect();
        // Last, so that it is among the newest letters, which are kept.
        tasks.push(NewTask::new("huge", "add", poison(docket::backend::DEAD_LETTER_ARGS + 1), Due::Now));
        for chunk in tasks.chunks(8) {
            docket.backend().schedule(chunk).await.unwrap();
        }
        let _worker = start(test_worker(&docket));
        eventually(WAIT, "every poison task to be dead-lettered", || async {
            docket.backend().backlog().await.unwrap() == Default::default()
        })
        .await;
        let letters = docket.dead_letters(100_000).await.unwrap();
        let kept: usize = letters.iter().map(|letter| letter.args.len()).sum();
        assert!(kept <= docket::backend::DEAD_LETTER_BYTES, "{kept} bytes of dead letters kept");
        assert!(letters.len() < many, "the oldest were dropped: {} kept", letters.len());
        let huge = letters.iter().find(|letter| letter.key == "huge").expect("the newest letters are kept");
        assert!(huge.args.is_empty(), "arguments over the limit are not kept");
        assert_eq!(huge.args_size, (docket::backend::DEAD_LETTER_ARGS + 9) as u64);
        let kept_big = letters.iter().find(|letter| letter.key.starts_with("big-")).expect("a big letter");
        assert_eq!(kept_big.args.len() as u64, kept_big.args_size);
        assert_eq!(kept_big.args_size, (big + 8) as u64);
    }

    async fn undecodable_arguments_fail_clearly_instead_of_crash_looping(env: Env) {
        let docket = env.docket().await;
        docket
            .backend()
            .schedule(&[NewTask::new("poison", "add", vec![0x81, 0xa1, b'a', 0xa3, b'x', b'y', b'z'], Due::Now)])
            .await
            .unwrap();
        let _worker = start(test_worker(&docket));
        let after = add::schedule(&docket, 1, 1).await.unwrap();
        assert_eq!(after.result_timeout(WAIT).await.unwrap(), 2, "the worker keeps working");
        // The two ran side by side: the poison's outcome may land a moment later.
        eventually(WAIT, "the poison to be recorded failed", || async {
            docket.execution("poison").await.unwrap().is_some_and(|info| info.state == ExecutionState::Failed)
        })
        .await;
        let info = docket.execution("poison").await.unwrap().expect("a record");
        let error = info.error.unwrap();
        assert!(error.message.contains("arguments of task `add`"), "{}", error.message);
        let letters = docket.dead_letters(10).await.unwrap();
        assert_eq!(letters.len(), 1, "kept for inspection: {letters:?}");
        assert_eq!((letters[0].key.as_str(), letters[0].task.as_str()), ("poison", "add"));
        assert_eq!(letters[0].args, vec![0x81, 0xa1, b'a', 0xa3, b'x', b'y', b'z']);
        assert_eq!(letters[0].error, error);
    }

    async fn unknown_tasks_are_put_back_not_dropped(env: Env) {
        let docket = env.docket().await;
        let only_record = docket::Registry::from_descriptors(docket::Registry::discover().unwrap().get("record")).unwrap();
        let ignorant = start(test_worker(&docket).registry(only_record).unknown_task_delay(Duration::from_millis(100)));
        let execution = add::schedule(&docket, 20, 22).await.unwrap();
        eventually(WAIT, "the unknown task to be put back", || async {
            execution.state().await.unwrap() == Some(ExecutionState::Scheduled)
        })
        .await;
        ignorant.stop().await;
        let _knowing = start(test_worker(&docket));
        assert_eq!(execution.result_timeout(WAIT).await.unwrap(), 42);
    }

    async fn an_unknown_task_is_dead_lettered_after_its_maximum_age(env: Env) {
        let docket = env.docket().await;
        let only_record = docket::Registry::from_descriptors(docket::Registry::discover().unwrap().get("record")).unwrap();
        let _ignorant = start(
            test_worker(&docket)
                .registry(only_record)
                .unknown_task_delay(Duration::from_millis(50))
                .unknown_task_max_age(Duration::from_millis(300))
                // Postponing wakes the scheduler; its fallback timer would be far too late.
                .scheduling_resolution(Duration::from_secs(600)),
        );
        let execution = add::schedule(&docket, 1, 1).await.unwrap();
        match execution.result_timeout(WAIT).await {
            Err(Error::TaskFailed { message, type_name }) => {
                assert_eq!(type_name, "docket::UnknownTask");
                assert!(message.contains("no worker knows task `add`"), "{message}");
            }
            other => panic!("expected a failure, got {other:?}"),
        }
        let letters = docket.dead_letters(10).await.unwrap();
        assert_eq!(letters.first().map(|l| l.key.as_str()), Some(execution.key()));
    }

    async fn a_task_due_long_ago_runs_at_once(env: Env) {
        let docket = env.docket().await;
        let _worker = start(test_worker(&docket));
        let ancient = std::time::UNIX_EPOCH - Duration::from_secs(1 << 40);
        let execution = add::schedule(&docket, 1, 1).at(ancient).await.unwrap();
        assert_eq!(execution.result_timeout(WAIT).await.unwrap(), 2);
    }

    async fn claiming_zero_deliveries_claims_nothing(env: Env) {
        let docket = env.docket().await;
        add::schedule(&docket, 1, 1).await.unwrap();
        let claimed = docket.backend().claim("w", 0, Duration::from_millis(50)).await.unwrap();
        assert!(claimed.is_empty(), "{claimed:?}");
        assert_eq!(docket.backend().claim("w", 5, Duration::from_millis(50)).await.unwrap().len(), 1);
    }

    async fn graceful_shutdown_finishes_running_tasks(env: Env) {
        let docket = env.docket().await;
        let gate = format!("{}-shutdown", env.url());
        let worker = start(test_worker(&docket));
        let execution = gated::schedule(&docket, gate.clone()).await.unwrap();
        // The body has started (RUNNING alone could be a claim the stopping worker hands back).
        let started = format!("{gate}:started");
        eventually(WAIT, "the body to start", || async { count(&started) == 1 }).await;
        worker.stop_handle.shutdown();
        open_gate(&gate);
        worker.stop().await;
        assert_eq!(execution.state().await.unwrap(), Some(ExecutionState::Completed));
        assert_eq!(execution.result().await.unwrap(), gate);
        assert!(docket.workers().await.unwrap().is_empty(), "the worker left the registry");
    }

    async fn shutdown_past_its_timeout_releases_tasks_for_another_worker(env: Env) {
        let docket = env.docket().await;
        let gate = format!("{}-release", env.url());
        let worker = start(test_worker(&docket).shutdown_timeout(Duration::from_millis(100)));
        let execution = gated::schedule(&docket, gate.clone()).await.unwrap();
        until_running(&execution).await;
        worker.stop().await;
        let state = execution.state().await.unwrap();
        assert_eq!(state, Some(ExecutionState::Queued), "released, never cancelled");
        open_gate(&gate);
        let _next = start(test_worker(&docket));
        assert_eq!(execution.result_timeout(WAIT).await.unwrap(), gate);
    }

    async fn clear_removes_pending_work_and_frees_keys(env: Env) {
        let docket = env.docket().await;
        add::schedule(&docket, 1, 1).key("a").await.unwrap();
        add::schedule(&docket, 1, 1).key("b").after(Duration::from_secs(3600)).await.unwrap();
        assert_eq!(docket.clear().await.unwrap(), 2);
        assert!(docket.execution("a").await.unwrap().is_none());
        let again = add::schedule(&docket, 2, 2).key("b").await.unwrap();
        assert_eq!(again.disposition(), Disposition::Scheduled);
    }

    async fn a_second_live_worker_with_the_same_name_refuses_to_start(env: Env) {
        let docket = env.docket().await;
        let first = start(test_worker(&docket).name("twin"));
        eventually(WAIT, "the first twin to be listed", || async {
            docket.workers().await.unwrap().iter().any(|w| w.name == "twin")
        })
        .await;
        let second = test_worker(&docket).name("twin").build().unwrap();
        let error = tokio::time::timeout(WAIT, second.run_forever())
            .await
            .expect("the second twin returns instead of running")
            .unwrap_err();
        assert!(error.to_string().contains("a live worker named `twin` is already running"), "{error}");
        first.stop().await;
        // Once the first has left, the name is free again.
        let third = start(test_worker(&docket).name("twin"));
        eventually(WAIT, "the new twin to be listed", || async {
            docket.workers().await.unwrap().iter().any(|w| w.name == "twin")
        })
        .await;
        third.stop().await;
    }

    async fn generations_count_the_schedules_of_each_key(env: Env) {
        let docket = env.docket().await;
        let backend = docket.backend();
        let claim = |count: usize| claim_exactly(&docket, "counter", count);
        add::schedule(&docket, 1, 1).key("first").await.unwrap();
        add::schedule(&docket, 2, 2).key("second").await.unwrap();
        let mut claimed = claim(2).await;
        claimed.sort_by(|a, b| a.key.cmp(&b.key));
        assert_eq!(
            claimed.iter().map(|d| (d.key.as_str(), d.generation)).collect::<Vec<_>>(),
            vec![("first", 1), ("second", 1)],
            "each key starts at generation 1"
        );
        // Put "first" back twice, interleaved with the other key: only its own count moves.
        let again = |delivery: &docket::backend::Delivery| delivery.outcome(OutcomeKind::Requeue { due: Due::Now, attempt: 2, args: None, limits: None });
        backend.complete("counter", &[again(&claimed[0]), again(&claimed[1])]).await.unwrap();
        let mut claimed = claim(2).await;
        claimed.sort_by(|a, b| a.key.cmp(&b.key));
        backend.complete("counter", &[again(&claimed[0])]).await.unwrap();
        let third = claim(1).await;
        assert_eq!((third[0].key.as_str(), third[0].generation), ("first", 3));
        assert_eq!((claimed[1].key.as_str(), claimed[1].generation), ("second", 2));
    }

    async fn a_restarted_worker_waits_out_its_crashed_predecessors_registration(env: Env) {
        let docket = env.docket().await;
        // A previous run of worker "pod-0" that crashed: registered for a while yet, silent.
        let crashed = Presence::new("pod-0", "crashed-run", Duration::from_secs(2), vec!["add".into()]);
        docket.backend().heartbeat(&crashed).await.unwrap();
        // Silent for longer than two heartbeat periods of the new run (25 ms each).
        eventually(WAIT, "the old registration to go quiet", || async {
            docket.workers().await.unwrap().iter().any(|w| w.name == "pod-0" && docket::backend::now_ms() - w.last_seen_ms > 100)
        })
        .await;
        let restarted = start(test_worker(&docket).name("pod-0").redelivery_timeout(Duration::from_millis(100)));
        assert_eq!(sum(&docket, 20, 22).await, 42, "the restarted worker runs once the old entry expired");
        restarted.stop().await;
    }

    async fn a_delivery_is_never_taken_over_from_a_holder_whose_heartbeat_is_fresh(env: Env) {
        let docket = env.docket().await;
        let backend = docket.backend();
        let holder = Presence::new("holder", "holder-1", Duration::from_secs(3600), vec!["add".into()]);
        backend.heartbeat(&holder).await.unwrap();
        add::schedule(&docket, 1, 2).await.unwrap();
        let claimed = backend.claim("holder", 1, Duration::from_secs(1)).await.unwrap();
        assert_eq!(claimed.len(), 1);
        // Every lease is older than zero: only the holder's fresh heartbeat protects it (as
        // after an outage, when a live holder has not renewed yet).
        let taken = backend.reclaim("sweeper", Duration::ZERO, 10).await.unwrap();
        assert!(taken.is_empty(), "took over from a live holder: {taken:?}");
        // The holder dies: its heartbeat is gone, and its work is taken over.
        backend.leave(&holder).await.unwrap();
        let taken = backend.reclaim("sweeper", Duration::ZERO, 10).await.unwrap();
        assert_eq!(taken.len(), 1, "the dead holder's delivery is taken over");
        assert!(taken[0].redelivered);
    }

    async fn a_worker_that_stops_heartbeating_drops_off_the_list(env: Env) {
        let docket = env.docket().await;
        let backend = docket.backend();
        let gone = Presence::new("gone", "gone-1", Duration::from_millis(200), Vec::new());
        backend.heartbeat(&gone).await.unwrap();
        assert!(docket.workers().await.unwrap().iter().any(|w| w.name == "gone"));
        eventually(WAIT, "the silent worker to drop off the list", || async {
            docket.workers().await.unwrap().is_empty()
        })
        .await;
        // Its name is free for another process now.
        let next = Presence::new("gone", "gone-2", Duration::from_secs(60), Vec::new());
        assert_eq!(backend.heartbeat(&next).await.unwrap(), 1);
    }

    async fn workers_announce_themselves(env: Env) {
        let docket = env.docket().await;
        let _worker = start(test_worker(&docket).name("w-1"));
        eventually(WAIT, "the worker to appear", || async {
            docket.workers().await.unwrap().iter().any(|w| w.name == "w-1")
        })
        .await;
        let listed = docket.workers().await.unwrap();
        assert!(listed[0].tasks.iter().any(|task| task == "add"), "{listed:?}");
    }
}

/// Claims exactly `count` deliveries for `worker`, waiting (boundedly) for them.
async fn claim_exactly(
    docket: &docket::Docket,
    worker: &str,
    count: usize,
) -> Vec<docket::backend::Delivery> {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut claimed = Vec::new();
    while claimed.len() < count {
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of {count} deliveries in time",
            claimed.len()
        );
        let more = docket
            .backend()
            .claim(worker, count - claimed.len(), Duration::from_millis(200));
        claimed.extend(more.await.unwrap());
    }
    claimed
}

mod snapshots_and_test_helpers {
    use super::*;
    use docket::testing::{
        assert_key_scheduled, assert_not_scheduled, assert_scheduled, assert_scheduled_count,
    };
    use futures::FutureExt;

    behaviour_tests! {
        async fn a_snapshot_lists_live_executions_in_order(env: Env) {
            let docket = env.docket().await;
            add::schedule(&docket, 1, 1).key("later").after(Duration::from_secs(7200)).await.unwrap();
            add::schedule(&docket, 1, 2).key("sooner").after(Duration::from_secs(3600)).await.unwrap();
            add::schedule(&docket, 1, 3).key("now").await.unwrap();
            let snapshot = docket.snapshot().await.unwrap();
            let keys: Vec<&str> = snapshot.executions.iter().map(|e| e.key.as_str()).collect();
            assert_eq!(keys, vec!["now", "sooner", "later"]);
            assert_eq!(snapshot.executions[0].state, ExecutionState::Queued);
            assert_eq!(snapshot.executions[1].argument::<i64>("b"), Some(2));
        }

        async fn the_assertions_pass_and_fail_with_a_listing(env: Env) {
            let docket = env.docket().await;
            add::schedule(&docket, 40, 2).key("answer").after(Duration::from_secs(60)).await.unwrap();
            let found = assert_scheduled::<add::Task>(&docket).await;
            assert_eq!(found.argument::<i64>("a"), Some(40));
            assert_scheduled_count::<add::Task>(&docket, 1).await;
            assert_not_scheduled::<record::Task>(&docket).await;
            assert_eq!(assert_key_scheduled(&docket, "answer").await.task, "add");

            let failed = std::panic::AssertUnwindSafe(assert_scheduled::<record::Task>(&docket))
                .catch_unwind()
                .await
                .expect_err("record is not scheduled");
            let message = failed.downcast_ref::<String>().expect("a message");
            assert!(message.contains("expected task `record` to be scheduled"), "{message}");
            assert!(message.contains("add({\"a\": 40, \"b\": 2}) key=\"answer\""), "{message}");

            let failed = std::panic::AssertUnwindSafe(assert_scheduled_count::<add::Task>(&docket, 2))
                .catch_unwind()
                .await
                .expect_err("add is scheduled once");
            let message = failed.downcast_ref::<String>().expect("a message");
            assert!(message.contains("found 1"), "{message}");
        }
    }
}

mod poison {
    use super::*;
    use docket::backend::{MAX_DELIVERIES, TOO_MANY_DELIVERIES};

    behaviour_tests! {
        async fn a_task_that_keeps_killing_its_workers_is_failed_not_redelivered_forever(env: Env) {
            let docket = env.docket().await;
            let backend = docket.backend();
            let execution = add::schedule(&docket, 1, 1).key("killer").await.unwrap();
            // Every worker that takes it "dies": nobody completes it, another takes it over.
            let first = backend.claim("w0", 1, Duration::from_secs(1)).await.unwrap();
            assert_eq!(first.len(), 1);
            for i in 1..MAX_DELIVERIES {
                let taken = backend.reclaim(&format!("w{i}"), Duration::ZERO, 10).await.unwrap();
                assert_eq!(taken.len(), 1, "delivery {} happens", i + 1);
                assert!(taken[0].redelivered);
            }
            let taken = backend.reclaim("last", Duration::ZERO, 10).await.unwrap();
            assert!(taken.is_empty(), "no delivery beyond the maximum: {taken:?}");
            let info = execution.info().await.unwrap().expect("a record");
            assert_eq!(info.state, ExecutionState::Failed);
            let error = info.error.unwrap();
            assert_eq!(error.type_name, TOO_MANY_DELIVERIES);
            assert!(error.message.contains(&format!("delivered {MAX_DELIVERIES} times")), "{}", error.message);
            assert_eq!(docket.backend().backlog().await.unwrap().ready, 0, "the delivery is gone");
            let letters = docket.dead_letters(10).await.unwrap();
            assert_eq!(letters.len(), 1, "{letters:?}");
            assert_eq!(letters[0].key, "killer");
            assert_eq!(letters[0].error.type_name, TOO_MANY_DELIVERIES);
        }
    }
}
