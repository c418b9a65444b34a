//! Agendas (F10): calls of mixed tasks scattered over a window, on Redis and `memory://`.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{add, script_calls, sized, start, test_worker, WAIT};
use docket::{Agenda, Disposition, Docket, Error, ExecutionState, Strike};
use docket_tests::{behaviour_tests, RedisServer};
use serde::ser::Error as _;

/// A value whose encoding always fails.
#[derive(Debug, serde::Deserialize)]
pub struct Unencodable;

impl serde::Serialize for Unencodable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(S::Error::custom("this value refuses to be encoded"))
    }
}

/// A task whose arguments cannot be encoded.
#[docket::task]
pub async fn takes_unencodable(value: Unencodable) {
    let _ = value;
}

/// Scatters `n` calls of `add` from inside a task body, with the injected docket.
#[docket::task]
pub async fn scatter_inside(n: i64, docket: Docket) -> Result<usize, Error> {
    let agenda: Agenda = (0..n)
        .map(|i| add::call(i, i).key(format!("inside-{i}")))
        .collect();
    Ok(agenda.scatter(&docket, Duration::from_millis(100)).await?.len())
}

/// A whole millisecond an hour from now: times built from it are stored exactly.
fn an_hour_from_now() -> SystemTime {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    UNIX_EPOCH + Duration::from_millis(now.as_millis() as u64 + 3_600_000)
}

/// The stored due time of each of `keys`, in order.
async fn due_times(docket: &Docket, keys: impl IntoIterator<Item = impl AsRef<str>>) -> Vec<SystemTime> {
    let mut whens = Vec::new();
    for key in keys {
        let info = docket.execution(key.as_ref()).await.unwrap().expect("a record");
        whens.push(info.when);
    }
    whens
}

/// How many executions are scheduled or queued.
async fn pending(docket: &Docket) -> usize {
    let backlog = docket.backend().backlog().await.unwrap();
    (backlog.ready + backlog.scheduled) as usize
}

behaviour_tests! {
    async fn calls_of_mixed_tasks_are_spread_evenly_from_start_to_end(env: Env) {
        let docket = env.docket().await;
        let start = an_hour_from_now();
        let mut agenda = Agenda::new();
        agenda.add(add::call(1, 2)).add(sized::call(3)).add(add::call(4, 5));
        agenda.add(sized::call(6)).add(add::call(7, 8));
        let executions = agenda.scatter(&docket, Duration::from_secs(100)).start(start).await.unwrap();

        assert_eq!(executions.len(), 5);
        let expected: Vec<_> = (0..5).map(|i| start + Duration::from_secs(25 * i)).collect();
        assert_eq!(executions.iter().map(|e| e.when()).collect::<Vec<_>>(), expected);
        assert_eq!(due_times(&docket, executions.iter().map(|e| e.key())).await, expected, "as stored");
        let mut tasks = Vec::new();
        for execution in &executions {
            assert_eq!(execution.disposition(), Disposition::Scheduled);
            let info = docket.execution(execution.key()).await.unwrap().unwrap();
            assert_eq!(info.state, ExecutionState::Scheduled);
            tasks.push(info.task);
        }
        assert_eq!(tasks, [add::NAME, sized::NAME, add::NAME, sized::NAME, add::NAME], "in the order added");
        let second = docket.execution(executions[1].key()).await.unwrap().unwrap();
        assert_eq!(second.argument::<u64>("size"), Some(3));
    }

    async fn a_single_call_is_due_at_the_middle_of_the_window(env: Env) {
        let docket = env.docket().await;
        let start = an_hour_from_now();
        let agenda: Agenda = [add::call(1, 1)].into_iter().collect();
        let executions = agenda.scatter(&docket, Duration::from_secs(60)).start(start).await.unwrap();
        assert_eq!(due_times(&docket, [executions[0].key()]).await, [start + Duration::from_secs(30)]);
    }

    async fn without_a_start_the_window_opens_now(env: Env) {
        let docket = env.docket().await;
        let agenda: Agenda = (0..4).map(|i| add::call(i, 0)).collect();
        let before = SystemTime::now();
        let executions = agenda.scatter(&docket, Duration::from_secs(300)).await.unwrap();
        let after = SystemTime::now();
        let whens = due_times(&docket, executions.iter().map(|e| e.key())).await;
        // Due times are counted by the backend's clock (Redis's), on this machine the same.
        let ms = Duration::from_millis(1);
        assert!(whens[0] + ms >= before && whens[0] <= after + ms, "{whens:?} not within {before:?}..{after:?}");
        for (i, when) in whens.iter().enumerate().skip(1) {
            let expected = Duration::from_secs(100 * i as u64);
            assert!(
                *when + ms >= before + expected && *when <= after + expected + ms,
                "call {i} is due at {when:?}, not {expected:?} after {before:?}..{after:?}"
            );
            let gap = when.duration_since(whens[1]).unwrap();
            let expected = Duration::from_secs(100 * (i as u64 - 1));
            assert!(gap.abs_diff(expected) <= ms, "call {i} is {gap:?} after the second, not {expected:?}");
        }
        assert_eq!(docket.execution(executions[0].key()).await.unwrap().unwrap().state, ExecutionState::Queued);
        assert_eq!(docket.execution(executions[1].key()).await.unwrap().unwrap().state, ExecutionState::Scheduled);
    }

    async fn jitter_moves_calls_within_its_bound_but_never_before_the_start(env: Env) {
        let docket = env.docket().await;
        let start = an_hour_from_now();
        let jitter = Duration::from_secs(10);
        let agenda: Agenda = (0..50).map(|i| add::call(i, 0)).collect();
        // All 50 calls are due at the start before jitter moves them.
        let executions = agenda.scatter(&docket, Duration::ZERO).start(start).jitter(jitter).await.unwrap();
        let whens = due_times(&docket, executions.iter().map(|e| e.key())).await;
        for when in &whens {
            assert!(*when >= start, "{when:?} is before the start {start:?}");
            assert!(*when <= start + jitter + Duration::from_millis(1), "{when:?} is beyond the jitter");
        }
        // Half of the draws fall before the start and are clamped to it; the others move later.
        assert!(whens.contains(&start), "none was clamped to the start: {whens:?}");
        assert!(whens.iter().any(|when| *when > start), "jitter moved nothing: {whens:?}");
    }

    async fn an_agenda_is_reusable_and_explicit_keys_make_a_rescatter_a_no_op(env: Env) {
        let docket = env.docket().await;
        let start = an_hour_from_now();
        let over = Duration::from_secs(10);
        let unkeyed: Agenda = (0..3).map(|i| add::call(i, 0)).collect();
        unkeyed.scatter(&docket, over).start(start).await.unwrap();
        unkeyed.scatter(&docket, over).start(start + over).await.unwrap();
        assert_eq!(pending(&docket).await, 6, "each scatter schedules the calls afresh");

        let keyed: Agenda = (0..3).map(|i| add::call(i, 0).key(format!("daily-{i}"))).collect();
        let first = keyed.scatter(&docket, over).start(start).await.unwrap();
        assert!(first.iter().all(|e| e.disposition() == Disposition::Scheduled));
        let again = keyed.scatter(&docket, over).start(start + Duration::from_secs(600)).await.unwrap();
        assert!(again.iter().all(|e| e.disposition() == Disposition::AlreadyScheduled), "{again:?}");
        assert_eq!(pending(&docket).await, 9);
        let expected: Vec<_> = (0..3).map(|i| start + Duration::from_secs(5 * i)).collect();
        assert_eq!(due_times(&docket, ["daily-0", "daily-1", "daily-2"]).await, expected, "first times kept");
    }

    async fn replace_moves_keyed_calls_to_the_new_window(env: Env) {
        let docket = env.docket().await;
        let start = an_hour_from_now();
        let keyed: Agenda = (0..2).map(|i| add::call(i, 0).key(format!("move-{i}")).replace()).collect();
        keyed.scatter(&docket, Duration::from_secs(10)).start(start).await.unwrap();
        let later = start + Duration::from_secs(600);
        keyed.scatter(&docket, Duration::from_secs(20)).start(later).await.unwrap();
        assert_eq!(pending(&docket).await, 2);
        assert_eq!(
            due_times(&docket, ["move-0", "move-1"]).await,
            [later, later + Duration::from_secs(20)]
        );

        // One key twice in one agenda: one execution, the first call's or with replace the last's.
        let mut twice = Agenda::new();
        twice.add(add::call(1, 0).key("twice")).add(add::call(2, 0).key("twice"));
        twice.scatter(&docket, Duration::from_secs(10)).start(start).await.unwrap();
        assert_eq!(due_times(&docket, ["twice"]).await, [start]);
        let mut replaced = Agenda::new();
        replaced.add(add::call(1, 0).key("replaced").replace()).add(add::call(2, 0).key("replaced").replace());
        replaced.scatter(&docket, Duration::from_secs(10)).start(start).await.unwrap();
        let info = docket.execution("replaced").await.unwrap().unwrap();
        assert_eq!((info.when, info.argument::<i64>("a")), (start + Duration::from_secs(10), Some(2)));
        assert_eq!(pending(&docket).await, 4);
    }

    async fn an_invalid_call_fails_the_scatter_before_anything_is_scheduled(env: Env) {
        let docket = env.docket().await;
        let mut agenda = Agenda::new();
        agenda.add(add::call(1, 2)).add(sized::call(3).key("")).add(add::call(3, 4));
        let error = agenda.scatter(&docket, Duration::from_secs(60)).await.unwrap_err();
        match &error {
            Error::InvalidAgendaItem { index, task, source } => {
                assert_eq!((*index, task.as_str()), (1, sized::NAME));
                assert!(matches!(**source, Error::InvalidKey { .. }), "{source:?}");
            }
            other => panic!("expected an invalid agenda item, got {other:?}"),
        }

        let mut agenda = Agenda::new();
        agenda.add(add::call(1, 2)).add(add::call(3, 4)).add(takes_unencodable::call(Unencodable));
        let error = agenda.scatter(&docket, Duration::from_secs(60)).await.unwrap_err();
        let Error::InvalidAgendaItem { index: 2, source, .. } = &error else {
            panic!("expected item 2 to be invalid, got {error:?}");
        };
        assert!(source.to_string().contains("this value refuses to be encoded"), "{source}");
        let source = std::error::Error::source(&error).expect("the cause is the error's source");
        assert!(source.to_string().contains("this value refuses to be encoded"), "{source}");
        assert_eq!(pending(&docket).await, 0, "nothing of either agenda was scheduled");
    }

    async fn scattered_calls_run_and_return_their_results(env: Env) {
        let docket = env.docket().await;
        let worker = start(test_worker(&docket).schedule_automatic_tasks(false));
        let mut agenda = Agenda::new();
        agenda.add(add::call(20, 22)).add(sized::call(3));
        let executions = agenda.scatter(&docket, Duration::from_millis(200)).await.unwrap();
        assert_eq!(executions[0].result_timeout(WAIT).await.unwrap(), docket::rmpv::Value::from(42));
        assert_eq!(executions[1].result_timeout(WAIT).await.unwrap(), docket::rmpv::Value::from("xxx"));
        let typed: docket::Execution<String> = executions[1].clone().typed();
        assert_eq!(typed.result_timeout(WAIT).await.unwrap(), "xxx");
        worker.stop().await;
    }

    async fn a_struck_call_is_not_scheduled_and_the_others_are(env: Env) {
        let docket = env.docket().await;
        docket.strike(Strike::task(add::NAME)).await.unwrap();
        let mut agenda = Agenda::new();
        agenda.add(add::call(1, 2)).add(sized::call(3));
        let executions = agenda.scatter(&docket, Duration::from_secs(60)).start(an_hour_from_now()).await.unwrap();
        let dispositions: Vec<_> = executions.iter().map(|e| e.disposition()).collect();
        assert_eq!(dispositions, [Disposition::Struck, Disposition::Scheduled]);
        assert_eq!(pending(&docket).await, 1);
    }

    async fn a_task_scatters_an_agenda_from_its_body(env: Env) {
        let docket = env.docket().await;
        let worker = start(test_worker(&docket).schedule_automatic_tasks(false));
        let outer = scatter_inside::schedule(&docket, 3).await.unwrap();
        assert_eq!(outer.result_timeout(WAIT).await.unwrap(), 3);
        for i in 0..3 {
            let info = docket.execution(&format!("inside-{i}")).await.unwrap().expect("scattered");
            assert_eq!(info.task, add::NAME);
        }
        worker.stop().await;
    }

    async fn an_absurd_window_pushes_calls_to_the_latest_time_never_forward(env: Env) {
        let docket = env.docket().await;
        let start = an_hour_from_now();
        let agenda: Agenda = (0..3).map(|i| add::call(i, 0)).collect();
        let executions = agenda.scatter(&docket, Duration::MAX).start(start).await.unwrap();
        let whens = due_times(&docket, executions.iter().map(|e| e.key())).await;
        // The end of the year 9999, the latest time a docket stores.
        let latest = UNIX_EPOCH + Duration::from_millis(253_402_300_799_999);
        assert_eq!(whens, [start, latest, latest]);
        for execution in &executions {
            let info = docket.execution(execution.key()).await.unwrap().unwrap();
            assert_eq!(info.state, ExecutionState::Scheduled);
        }
    }

    async fn an_empty_agenda_schedules_nothing(env: Env) {
        let docket = env.docket().await;
        let agenda = Agenda::new();
        assert!(agenda.is_empty());
        assert!(agenda.scatter(&docket, Duration::from_secs(60)).await.unwrap().is_empty());
        assert_eq!(pending(&docket).await, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_redis_a_large_agenda_is_scheduled_in_bulk() {
    let server = RedisServer::start();
    let docket = Docket::connect(&server.url()).await.unwrap();
    let agenda: Agenda = (0..2_500).map(|i| add::call(i, 0)).collect();
    // Loads the schedule script, which a first call would otherwise try twice.
    add::schedule(&docket, 0, 0).await.unwrap();
    let before = script_calls(&server);
    let executions = agenda.scatter(&docket, Duration::from_secs(3600)).await.unwrap();
    let calls = script_calls(&server) - before;
    assert_eq!(executions.len(), 2_500);
    assert_eq!(calls, 3, "2,500 calls in chunks of 1,000, one script call each");
    assert_eq!(pending(&docket).await, 2_501);
    docket.close().await;
}
