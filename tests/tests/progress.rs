//! Progress (S20): what a running task reports through the injected `Progress`, as readers and
//! subscribers see it — each against a real Redis and against `memory://` — and, at the
//! backend seam, who may write it and when it is removed.

mod common;

use std::time::Duration;

use common::{gate_notify, open_gate, start, test_worker, until_running, WAIT};
use docket::backend::{Backend, Delivery, Due, Lease, NewTask, OutcomeKind};
use docket::{Docket, Event, ExecutionState, Progress, ProgressChange, ProgressInfo};
use docket_tests::{behaviour_tests, eventually, RedisServer};
use futures::stream::BoxStream;
use futures::StreamExt;

/// Reports `phases` phases of 10 units each, waiting at the end of each phase for the gate
/// `<gate>:<phase>`; then says "done".
#[docket::task]
async fn phased(phases: u64, gate: String, progress: Progress) -> u64 {
    progress.set_total(phases * 10);
    for phase in 0..phases {
        progress.set_message(format!("phase {phase}"));
        progress.increment(10);
        gate_notify(&format!("{gate}:{phase}")).notified().await;
    }
    progress.set_message("done");
    progress.current()
}

/// Increments by one `each` times from each of `tasks` spawned futures and as many blocking
/// threads, all at once; returns the count its handle sees at the end.
#[docket::task]
async fn fan_in(tasks: u64, each: u64, progress: Progress) -> u64 {
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let on_task = progress.clone();
        handles.push(tokio::spawn(async move {
            for i in 0..each {
                on_task.increment(1);
                if i % 1000 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        }));
        let on_thread = progress.clone();
        handles.push(tokio::task::spawn_blocking(move || {
            for _ in 0..each {
                on_thread.increment(1);
            }
        }));
    }
    for handle in handles {
        handle.await.expect("an incrementing future");
    }
    progress.current()
}

/// Takes a `Progress` and never uses it; waits for the gate `gate`.
#[docket::task]
async fn silent(gate: String, progress: Progress) -> u64 {
    gate_notify(&gate).notified().await;
    let _ = &progress;
    7
}

/// Reports half its work, then fails its first attempt (retried an hour later).
#[docket::task]
#[retry(attempts = 2, delay = "1h")]
async fn half_then_fail(progress: Progress, retry: docket::Retry) -> Result<(), String> {
    progress.set_total(10);
    progress.increment(5);
    progress.set_message("half way");
    Err(format!("attempt {} failed", retry.attempt()))
}

/// A unique gate name for one test on one backend.
fn gate(env: &docket_tests::Env, name: &str) -> String {
    format!("{name}@{}", env.url())
}

/// The next event of the stream, within [`WAIT`].
async fn next(events: &mut BoxStream<'static, Event>) -> Event {
    tokio::time::timeout(WAIT, events.next())
        .await
        .expect("an event in time")
        .expect("the event stream is open")
}

/// Events until (and with) the first end state.
async fn until_end(events: &mut BoxStream<'static, Event>, seen: &mut Vec<Event>) {
    loop {
        let event = next(events).await;
        let end = event.state().is_some_and(ExecutionState::is_terminal);
        seen.push(event);
        if end {
            return;
        }
    }
}

fn progress_of(event: &Event) -> Option<&ProgressChange> {
    match event {
        Event::Progress(change) => Some(change),
        _ => None,
    }
}

/// The progress events a run published, checked for order: none before the run started or
/// after it ended, and `current` never goes back.
fn checked_progress(seen: &[Event]) -> Vec<ProgressChange> {
    let started = seen
        .iter()
        .position(|e| e.state() == Some(ExecutionState::Running))
        .expect("a start event");
    let ended = seen
        .iter()
        .position(|e| e.state().is_some_and(ExecutionState::is_terminal))
        .expect("an end event");
    for (at, event) in seen.iter().enumerate() {
        if progress_of(event).is_some() {
            assert!(started < at && at < ended, "progress outside the run: {seen:?}");
        }
    }
    let progress: Vec<ProgressChange> = seen.iter().filter_map(progress_of).cloned().collect();
    for pair in progress.windows(2) {
        assert!(
            pair[0].current <= pair[1].current,
            "progress went back: {progress:?}"
        );
    }
    progress
}

/// An execution of the (never run) task `worked` under `key`, due now.
fn task(key: &str) -> NewTask {
    NewTask::new(key, "worked", vec![0x80], Due::Now)
}

async fn claim_one(backend: &dyn Backend, worker: &str) -> Delivery {
    let mut claimed = backend.claim(worker, 1, WAIT).await.unwrap();
    assert_eq!(claimed.len(), 1, "one delivery");
    claimed.remove(0)
}

async fn recorded(backend: &dyn Backend, key: &str) -> Option<ProgressInfo> {
    backend.info(key).await.unwrap().and_then(|info| info.progress)
}

fn at(current: u64) -> ProgressInfo {
    ProgressInfo::new(current, Some(100), Some(format!("at {current}")))
}

behaviour_tests! {
    async fn a_subscriber_from_before_the_start_sees_every_phase_in_order_then_the_end(env: Env) {
        let docket = env.docket().await;
        let gate = gate(&env, "phased");
        let execution = phased::schedule(&docket, 3, gate.clone()).await.unwrap();
        let mut events = execution.subscribe().await.unwrap();
        let _worker = start(test_worker(&docket));
        let mut seen = Vec::new();
        for phase in 0..3u64 {
            // The body waits at this phase's gate until the test has seen the phase.
            let expected = loop {
                let event = next(&mut events).await;
                let wanted = progress_of(&event).is_some_and(|change| {
                    change.current == (phase + 1) * 10
                        && change.message.as_deref() == Some(format!("phase {phase}").as_str())
                });
                seen.push(event.clone());
                if wanted {
                    break event;
                }
            };
            let expected = progress_of(&expected).expect("a progress event").clone();
            assert_eq!(expected.total, Some(30));
            // Written before it was published: the record says the same.
            assert_eq!(
                execution.progress().await.unwrap(),
                Some(ProgressInfo::new((phase + 1) * 10, Some(30), Some(format!("phase {phase}")))),
                "progress() while the run waits in phase {phase}"
            );
            open_gate(&format!("{gate}:{phase}"));
        }
        until_end(&mut events, &mut seen).await;
        assert_eq!(seen.last().and_then(Event::state), Some(ExecutionState::Completed), "{seen:?}");
        let progress = checked_progress(&seen);
        let phases: Vec<&str> = progress.iter().filter_map(|p| p.message.as_deref()).collect();
        let mut in_order = phases.clone();
        in_order.sort();
        in_order.dedup();
        assert_eq!(in_order, ["done", "phase 0", "phase 1", "phase 2"], "{progress:?}");
        let mut first_seen: Vec<&str> = Vec::new();
        for message in &phases {
            if first_seen.last() != Some(message) {
                first_seen.push(message);
            }
        }
        assert_eq!(first_seen, ["phase 0", "phase 1", "phase 2", "done"], "messages in the order set: {progress:?}");
        let last = progress.last().expect("progress events");
        assert_eq!(
            (last.current, last.total, last.message.as_deref()),
            (30, Some(30), Some("done")),
            "the last progress event before the end carries the final state"
        );
        assert_eq!(execution.result_timeout(WAIT).await.unwrap(), 30);
        assert_eq!(execution.progress().await.unwrap(), None, "progress is removed at the end");
        let info = execution.info().await.unwrap().expect("the record is kept");
        assert_eq!(info.progress, None);
    }

    async fn increments_from_concurrent_futures_and_threads_sum_exactly(env: Env) {
        let docket = env.docket().await;
        let execution = fan_in::schedule(&docket, 4, 25_000).await.unwrap();
        let mut events = execution.subscribe().await.unwrap();
        let _worker = start(test_worker(&docket));
        let mut seen = Vec::new();
        until_end(&mut events, &mut seen).await;
        assert_eq!(execution.result_timeout(WAIT).await.unwrap(), 200_000, "no count lost");
        let progress = checked_progress(&seen);
        assert_eq!(progress.last().map(|p| p.current), Some(200_000), "{progress:?}");
    }

    async fn a_run_that_never_reports_progress_has_none_and_publishes_none(env: Env) {
        let docket = env.docket().await;
        let gate = gate(&env, "silent");
        let execution = silent::schedule(&docket, gate.clone()).await.unwrap();
        let mut events = execution.subscribe().await.unwrap();
        let _worker = start(test_worker(&docket));
        until_running(&execution).await;
        assert_eq!(execution.progress().await.unwrap(), None);
        open_gate(&gate);
        let mut seen = Vec::new();
        until_end(&mut events, &mut seen).await;
        assert!(seen.iter().all(|e| progress_of(e).is_none()), "{seen:?}");
        assert_eq!(execution.result_timeout(WAIT).await.unwrap(), 7);
    }

    async fn the_progress_of_a_failed_attempt_is_gone_once_its_retry_is_filed(env: Env) {
        let docket = env.docket().await;
        let execution = half_then_fail::schedule(&docket).await.unwrap();
        let mut events = execution.subscribe().await.unwrap();
        let _worker = start(test_worker(&docket));
        let mut seen = Vec::new();
        loop {
            let event = next(&mut events).await;
            let filed = event.state() == Some(ExecutionState::Scheduled);
            seen.push(event);
            if filed {
                break;
            }
        }
        let reported: Vec<ProgressChange> = seen.iter().filter_map(progress_of).cloned().collect();
        let last = reported.last().expect("attempt 1 reported progress");
        assert_eq!((last.current, last.total, last.message.as_deref()), (5, Some(10), Some("half way")));
        let info = execution.info().await.unwrap().expect("a record");
        assert_eq!((info.state, info.attempt), (ExecutionState::Scheduled, 2), "the retry waits an hour");
        assert_eq!(info.progress, None, "attempt 1's progress is gone");
        assert!(execution.cancel().await.unwrap());
    }

    async fn only_the_live_run_of_its_holder_writes_progress(env: Env) {
        let docket = env.docket().await;
        let backend = docket.backend().as_ref();
        backend.schedule(&[task("p")]).await.unwrap();
        let run = claim_one(backend, "w1").await;
        let lease = Lease::new(run.id.clone(), "p");
        assert!(backend.progress("w1", &lease, &at(1)).await.unwrap(), "the holder writes");
        assert_eq!(recorded(backend, "p").await, Some(at(1)));
        assert!(!backend.progress("w2", &lease, &at(2)).await.unwrap(), "another worker does not");
        assert!(!backend.progress("w1", &Lease::new("999999-0", "p"), &at(2)).await.unwrap(), "nor another delivery");
        assert_eq!(recorded(backend, "p").await, Some(at(1)));

        // w1 stalls (it has no heartbeat): w2 takes the run over, which starts from nothing.
        let taken = backend.reclaim("w2", Duration::ZERO, 10).await.unwrap();
        assert_eq!(taken.len(), 1);
        assert_eq!(recorded(backend, "p").await, None, "the old run's progress is gone");
        assert!(!backend.progress("w1", &lease, &at(3)).await.unwrap(), "the stale holder cannot write");
        assert!(backend.progress("w2", &lease, &at(4)).await.unwrap());
        assert_eq!(recorded(backend, "p").await, Some(at(4)));

        // Cancelled: nobody writes, and the record keeps no progress.
        assert!(backend.cancel("p").await.unwrap());
        assert_eq!(recorded(backend, "p").await, None);
        assert!(!backend.progress("w2", &lease, &at(5)).await.unwrap(), "a cancelled run cannot write");
        assert_eq!(recorded(backend, "p").await, None);

        // Replaced while running: the old run cannot write into its successor's record.
        backend.schedule(&[task("r")]).await.unwrap();
        let old = claim_one(backend, "w1").await;
        let old_lease = Lease::new(old.id.clone(), "r");
        assert!(backend.progress("w1", &old_lease, &at(6)).await.unwrap());
        let mut replacement = task("r");
        replacement.replace = true;
        backend.schedule(&[replacement]).await.unwrap();
        assert_eq!(recorded(backend, "r").await, None);
        assert!(!backend.progress("w1", &old_lease, &at(7)).await.unwrap(), "a replaced run cannot write");
        let new = claim_one(backend, "w1").await;
        assert!(!backend.progress("w1", &old_lease, &at(8)).await.unwrap(), "not even once its successor runs");
        assert!(backend.progress("w1", &Lease::new(new.id.clone(), "r"), &at(9)).await.unwrap());
        assert_eq!(recorded(backend, "r").await, Some(at(9)));
    }

    async fn every_end_of_a_run_removes_its_progress(env: Env) {
        let docket = env.docket().await;
        let backend = docket.backend().as_ref();
        let ends: Vec<(&str, OutcomeKind)> = vec![
            ("completed", OutcomeKind::Completed(vec![0xc0])),
            ("failed", OutcomeKind::Failed { message: "boom".into(), type_name: "E".into() }),
            ("dead-letter", OutcomeKind::DeadLetter { message: "poison".into(), type_name: "E".into() }),
            ("retried", OutcomeKind::Requeue { due: Due::After(3_600_000), attempt: 2, args: None, limits: None }),
            ("postponed", OutcomeKind::Postpone { due: Due::After(3_600_000) }),
            // Last: it is queued again, and the next claim would take it.
            ("retried-now", OutcomeKind::Requeue { due: Due::Now, attempt: 2, args: None, limits: None }),
        ];
        for (end, kind) in ends {
            backend.schedule(&[task(end)]).await.unwrap();
            let run = claim_one(backend, "w").await;
            assert_eq!(run.key, end);
            let lease = Lease::new(run.id.clone(), end);
            assert!(backend.progress("w", &lease, &at(50)).await.unwrap(), "{end}");
            backend.complete("w", &[run.outcome(kind)]).await.unwrap();
            let info = backend.info(end).await.unwrap().expect("the record is kept");
            assert_eq!(info.progress, None, "a {end} run left its progress ({:?})", info.state);
            assert!(!backend.progress("w", &lease, &at(60)).await.unwrap(), "{end}: the ended run cannot write");
        }
    }
}

/// Every call of the progress script in a server's log (`SLOWLOG` with every command kept):
/// the record key each names. The script is told apart by its keys: an execution record and
/// the events channel, which no other script takes as its only two keys.
async fn progress_calls(server: &RedisServer, docket_name: &str) -> Vec<String> {
    let log = redis_cli(server, &["SLOWLOG", "GET", "-1"]);
    let lines: Vec<&str> = log.lines().collect();
    let events = format!("{{{docket_name}}}:events");
    let mut calls = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.eq_ignore_ascii_case("evalsha")
            && lines.get(i + 2) == Some(&"2")
            && lines.get(i + 4) == Some(&events.as_str())
        {
            calls.push(lines[i + 3].to_string());
        }
    }
    calls
}

fn redis_cli(server: &RedisServer, args: &[&str]) -> String {
    let output = std::process::Command::new("redis-cli")
        .args(["-p", &server.port().to_string()])
        .args(args)
        .output()
        .expect("run redis-cli");
    assert!(output.status.success(), "redis-cli {args:?} failed");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_redis_a_run_that_never_reports_progress_sends_no_progress_write() {
    let server = RedisServer::start();
    redis_cli(&server, &["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    redis_cli(&server, &["CONFIG", "SET", "slowlog-max-len", "100000"]);
    let docket = Docket::connect(&server.url()).await.unwrap();
    let _worker = start(test_worker(&docket));
    // Watched and not, injecting `Progress` and not: none of them reports progress.
    let gate = format!("silent-redis@{}", server.url());
    let watched = silent::schedule(&docket, gate.clone())
        .key("silent")
        .await
        .unwrap();
    let mut events = watched.subscribe().await.unwrap();
    let unwatched = common::add::schedule(&docket, 1, 2).key("add").await.unwrap();
    assert_eq!(unwatched.result_timeout(WAIT).await.unwrap(), 3);
    until_running(&watched).await;
    open_gate(&gate);
    assert_eq!(watched.result_timeout(WAIT).await.unwrap(), 7);
    let mut seen = Vec::new();
    until_end(&mut events, &mut seen).await;
    // A run that does report progress, so the script's calls are seen in the same log.
    let reporting = half_then_fail::schedule(&docket).key("reporting").await.unwrap();
    eventually(WAIT, "the reporting run's retry to be filed", || async {
        reporting
            .info()
            .await
            .unwrap()
            .is_some_and(|info| info.attempt == 2)
    })
    .await;
    let calls = progress_calls(&server, docket.name()).await;
    assert!(
        !calls.is_empty(),
        "the reporting run wrote its progress (is the log complete?)"
    );
    assert!(
        calls.iter().all(|record| record.ends_with(":t:reporting")),
        "only the reporting run called the progress script: {calls:?}"
    );
}
