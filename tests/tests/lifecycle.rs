//! Behaviours that shape one task's life — retries, timeouts, perpetual and cron chains,
//! injected parameters, built-in tasks — each against a real Redis and against `memory://`.
//!
//! Tasks take a `label` naming the test run, so the Redis and memory copies of a test (which
//! run at the same time, in one process) keep separate journals.

mod common;

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use common::{start, test_worker, until_running, WAIT};
use docket::{
    Docket, Error, ExecutionState, FromContext, InjectError, Perpetual, Retry, State, TaskContext, Timeout,
};
use docket_tests::{behaviour_tests, eventually};
use futures::StreamExt;

/// What the runs of one label saw, in order.
#[derive(Debug, Clone)]
struct Run {
    attempt: u32,
    when: SystemTime,
    ended: SystemTime,
    value: i64,
}

fn journal() -> &'static Mutex<HashMap<String, Vec<Run>>> {
    static JOURNAL: OnceLock<Mutex<HashMap<String, Vec<Run>>>> = OnceLock::new();
    JOURNAL.get_or_init(|| Mutex::new(HashMap::new()))
}

fn note(label: &str, ctx: &TaskContext, value: i64) {
    journal()
        .lock()
        .unwrap()
        .entry(label.to_string())
        .or_default()
        .push(Run {
            attempt: ctx.attempt(),
            when: ctx.when(),
            ended: SystemTime::now(),
            value,
        });
}

fn runs(label: &str) -> Vec<Run> {
    journal().lock().unwrap().get(label).cloned().unwrap_or_default()
}

/// A unique label for one test on one backend.
fn label(env: &docket_tests::Env, test: &str) -> String {
    format!("{test}@{}", env.url())
}

/// Fails until its `succeed_on`-th run.
#[docket::task]
#[retry(attempts = 3, delay = "10ms")]
async fn flaky(label: String, succeed_on: u32, ctx: TaskContext) -> Result<u32, std::io::Error> {
    note(&label, &ctx, 0);
    if ctx.attempt() < succeed_on {
        return Err(std::io::Error::other(format!("attempt {} failed", ctx.attempt())));
    }
    Ok(ctx.attempt())
}

/// Always fails, retried with exponential backoff.
#[docket::task]
#[retry(attempts = 4, exponential, min = "20ms", max = "50ms")]
async fn backs_off(label: String, ctx: TaskContext) -> Result<(), std::io::Error> {
    note(&label, &ctx, 0);
    Err(std::io::Error::other("still down"))
}

/// Fails until its `succeed_on`-th run, retried forever.
#[docket::task]
#[retry(forever, delay = "5ms")]
async fn stubborn(label: String, succeed_on: u32, retry: Retry, ctx: TaskContext) -> Result<u32, String> {
    note(&label, &ctx, 0);
    if retry.attempt() < succeed_on {
        return Err("not yet".to_string());
    }
    Ok(retry.attempt())
}

/// Forces one retry from its body, on a task that declares no retry policy.
#[docket::task]
async fn forces_retry(
    label: String,
    in_the_past: bool,
    retry: Retry,
    ctx: TaskContext,
) -> Result<u32, docket::ForcedRetry> {
    note(&label, &ctx, 0);
    if retry.attempt() == 1 {
        return Err(if in_the_past {
            retry.at(SystemTime::now() - Duration::from_secs(3600))
        } else {
            retry.after(Duration::from_millis(20))
        });
    }
    Ok(retry.attempt())
}

/// Panics on its first run.
#[docket::task]
#[retry(attempts = 2)]
async fn panics_once(label: String, ctx: TaskContext) -> u32 {
    note(&label, &ctx, 0);
    if ctx.attempt() == 1 {
        panic!("first run panics");
    }
    ctx.attempt()
}

/// Waits at its gate; retried if it fails.
#[docket::task]
#[retry(attempts = 5)]
async fn waits_with_retries(label: String, ctx: TaskContext) {
    note(&label, &ctx, 0);
    common::gate_notify(&label).notified().await;
}

/// Never finishes on its first run; the second returns at once.
#[docket::task]
#[timeout("100ms")]
#[retry(attempts = 2)]
async fn hangs_once(label: String, ctx: TaskContext) -> u32 {
    note(&label, &ctx, 0);
    if ctx.attempt() == 1 {
        std::future::pending::<()>().await;
    }
    ctx.attempt()
}

/// Never finishes.
#[docket::task]
#[timeout("100ms")]
async fn hangs(label: String, ctx: TaskContext) {
    note(&label, &ctx, 0);
    std::future::pending::<()>().await;
}

/// Takes longer than its timeout, having extended it first.
#[docket::task]
#[timeout("200ms")]
async fn extends(label: String, timeout: Timeout, ctx: TaskContext) -> bool {
    note(&label, &ctx, 0);
    timeout.extend(Duration::from_secs(30));
    tokio::time::sleep(Duration::from_millis(400)).await;
    timeout
        .remaining()
        .is_some_and(|left| left > Duration::from_secs(20))
}

/// Counts its runs; fails on even ones; ends the chain on the `last`-th run.
#[docket::task]
#[perpetual(every = "10ms")]
async fn ticks(label: String, last: i64, perpetual: Perpetual, ctx: TaskContext) -> Result<i64, String> {
    let count = runs(&label).len() as i64 + 1;
    note(&label, &ctx, count);
    if count == last {
        perpetual.cancel();
        return Ok(count);
    }
    if count % 2 == 0 {
        return Err(format!("run {count} failed"));
    }
    Ok(count)
}

/// Carries a counter from run to run through new arguments.
#[docket::task]
#[perpetual(every = "10ms")]
async fn counts_up(label: String, n: i64, perpetual: Perpetual, ctx: TaskContext) -> Result<i64, Error> {
    note(&label, &ctx, n);
    if n >= 3 {
        perpetual.cancel();
    } else {
        perpetual.perpetuate(counts_up::args(label, n + 1))?;
    }
    Ok(n)
}

/// Puts its next run an hour away.
#[docket::task]
#[perpetual(every = "10ms")]
async fn next_in_an_hour(label: String, perpetual: Perpetual, ctx: TaskContext) {
    note(&label, &ctx, 0);
    perpetual.next_after(Duration::from_secs(3600));
}

/// A perpetual task that runs until the worker stops it.
#[docket::task]
#[perpetual(every = "5ms")]
async fn endless(label: String, ctx: TaskContext) {
    note(&label, &ctx, 0);
}

/// Seeded by workers, every hour.
#[docket::task]
#[perpetual(every = "1h", automatic)]
async fn hourly_chore(ctx: TaskContext) {
    note(&format!("hourly_chore@{}", ctx.docket().url()), &ctx, 0);
}

/// Seeded by workers at every minute's start.
#[docket::task]
#[cron("* * * * *")]
async fn every_minute(ctx: TaskContext) {
    note(&format!("every_minute@{}", ctx.docket().url()), &ctx, 0);
}

/// Fans out `n` follow-up tasks from inside a task, with the injected docket.
#[docket::task]
async fn flood(label: String, n: i64, docket: Docket) -> Result<Vec<String>, Error> {
    let mut keys = Vec::new();
    for i in 0..n {
        let execution = record_value::schedule(&docket, label.clone(), i).await?;
        keys.push(execution.key().to_string());
    }
    Ok(keys)
}

/// Notes `value` under `label`.
#[docket::task]
async fn record_value(label: String, value: i64, ctx: TaskContext) {
    note(&label, &ctx, value);
}

/// What the worker shares with every task.
#[derive(Clone)]
struct Settings {
    greeting: String,
}

/// A user type resolved for each run from the worker's state and the run's context.
struct Greeter {
    line: String,
}

impl FromContext for Greeter {
    async fn from_context(ctx: &TaskContext) -> Result<Self, InjectError> {
        let settings = ctx.state::<Settings>().ok_or("no Settings on this worker")?;
        Ok(Self {
            line: format!(
                "{} from {} (run {})",
                settings.greeting,
                ctx.worker(),
                ctx.attempt()
            ),
        })
    }
}

/// Uses shared state directly and through a user type.
#[docket::task]
async fn greets(name: String, settings: State<Settings>, #[inject] greeter: Greeter) -> String {
    format!("{}, {name} | {}", settings.greeting, greeter.line)
}

/// Reports what its context says.
#[docket::task]
async fn introspects(ctx: TaskContext) -> (String, u32, String, bool) {
    (
        ctx.key().to_string(),
        ctx.attempt(),
        ctx.worker().to_string(),
        ctx.redelivered(),
    )
}

behaviour_tests! {
    async fn a_failing_task_is_retried_until_it_succeeds(env: Env) {
        let docket = env.docket().await;
        let label = label(&env, "retried");
        let _worker = start(test_worker(&docket));
        let execution = flaky::schedule(&docket, label.clone(), 3).await.unwrap();
        assert_eq!(execution.result_timeout(WAIT).await.unwrap(), 3);
        let attempts: Vec<u32> = runs(&label).iter().map(|run| run.attempt).collect();
        assert_eq!(attempts, [1, 2, 3]);
        let info = execution.info().await.unwrap().unwrap();
        assert_eq!((info.state, info.attempt), (ExecutionState::Completed, 3));
    }

    async fn attempts_count_runs_and_the_last_failure_is_final(env: Env) {
        let docket = env.docket().await;
        let label = label(&env, "exhausted");
        let execution = flaky::schedule(&docket, label.clone(), 10).await.unwrap();
        let mut events = execution.subscribe().await.unwrap();
        let _worker = start(test_worker(&docket));
        let error = execution.result_timeout(WAIT).await.unwrap_err();
        match error {
            Error::TaskFailed { message, .. } => assert_eq!(message, "attempt 3 failed"),
            other => panic!("expected the last failure, got {other:?}"),
        }
        assert_eq!(runs(&label).len(), 3, "attempts = 3 means three runs in all");
        // Between attempts the execution is queued or scheduled, never failed.
        let mut states = Vec::new();
        while let Ok(Some(docket::Event::State(change))) = tokio::time::timeout(WAIT, events.next()).await {
            states.push(change.state);
            if change.state == ExecutionState::Failed {
                break;
            }
        }
        assert_eq!(states.iter().filter(|s| **s == ExecutionState::Failed).count(), 1, "{states:?}");
        assert_eq!(states.last(), Some(&ExecutionState::Failed), "{states:?}");
        assert_eq!(states.iter().filter(|s| **s == ExecutionState::Running).count(), 3, "{states:?}");
        assert!(
            states.iter().any(|s| matches!(s, ExecutionState::Scheduled | ExecutionState::Queued)),
            "{states:?}"
        );
    }

    async fn exponential_backoff_doubles_the_wait_up_to_its_cap(env: Env) {
        let docket = env.docket().await;
        let label = label(&env, "backoff");
        let _worker = start(test_worker(&docket));
        let execution = backs_off::schedule(&docket, label.clone()).await.unwrap();
        assert!(execution.result_timeout(WAIT).await.is_err());
        let runs = runs(&label);
        assert_eq!(runs.len(), 4);
        // Each retry is due its delay after the previous run ended: 20, 40, then 50 (capped).
        for (pair, delay) in runs.windows(2).zip([20u64, 40, 50]) {
            let waited = pair[1].when.duration_since(pair[0].ended).unwrap_or_default();
            assert!(
                waited + Duration::from_millis(5) >= Duration::from_millis(delay),
                "retry due {waited:?} after the failure, expected at least {delay}ms"
            );
        }
    }

    async fn forever_retries_until_success(env: Env) {
        let docket = env.docket().await;
        let label = label(&env, "forever");
        let _worker = start(test_worker(&docket));
        let execution = stubborn::schedule(&docket, label.clone(), 6).await.unwrap();
        assert_eq!(execution.result_timeout(WAIT).await.unwrap(), 6);
        assert_eq!(runs(&label).len(), 6);
    }

    async fn a_body_can_force_a_retry_later_or_at_a_past_time(env: Env) {
        let docket = env.docket().await;
        let _worker = start(test_worker(&docket));
        for in_the_past in [false, true] {
            let label = label(&env, &format!("forced-{in_the_past}"));
            let execution = forces_retry::schedule(&docket, label.clone(), in_the_past).await.unwrap();
            assert_eq!(execution.result_timeout(WAIT).await.unwrap(), 2);
            let runs = runs(&label);
            assert_eq!(runs.len(), 2);
            if !in_the_past {
                let waited = runs[1].when.duration_since(runs[0].ended).unwrap_or_default();
                assert!(waited + Duration::from_millis(5) >= Duration::from_millis(20), "{waited:?}");
            }
        }
    }

    async fn a_panic_is_a_retryable_failure(env: Env) {
        let docket = env.docket().await;
        let label = label(&env, "panic");
        let _worker = start(test_worker(&docket));
        let execution = panics_once::schedule(&docket, label.clone()).await.unwrap();
        assert_eq!(execution.result_timeout(WAIT).await.unwrap(), 2);
    }

    async fn a_cancelled_run_is_never_retried(env: Env) {
        let docket = env.docket().await;
        let label = label(&env, "cancelled");
        let _worker = start(test_worker(&docket).concurrency(1));
        let execution = waits_with_retries::schedule(&docket, label.clone()).await.unwrap();
        until_running(&execution).await;
        execution.cancel().await.unwrap();
        assert!(matches!(execution.result_timeout(WAIT).await, Err(Error::Cancelled { .. })));
        // A retry would be queued before this task, on the only slot.
        let after = record_value::schedule(&docket, format!("{label}-after"), 1).await.unwrap();
        after.result_timeout(WAIT).await.unwrap();
        assert_eq!(runs(&label).len(), 1, "the cancelled run was retried");
        assert_eq!(execution.state().await.unwrap(), Some(ExecutionState::Cancelled));
    }

    async fn a_run_past_its_timeout_is_dropped_and_fails_naming_the_duration(env: Env) {
        let docket = env.docket().await;
        let label = label(&env, "timeout");
        let _worker = start(test_worker(&docket));
        let execution = hangs::schedule(&docket, label.clone()).await.unwrap();
        match execution.result_timeout(WAIT).await.unwrap_err() {
            Error::TaskFailed { message, type_name } => {
                assert_eq!(message, "timed out after 100ms");
                assert_eq!(type_name, "docket::Timeout");
            }
            other => panic!("expected a timeout, got {other:?}"),
        }
    }

    async fn a_timeout_is_retried_and_extend_moves_the_deadline(env: Env) {
        let docket = env.docket().await;
        let _worker = start(test_worker(&docket));
        let retried = hangs_once::schedule(&docket, label(&env, "timeout-retry")).await.unwrap();
        assert_eq!(retried.result_timeout(WAIT).await.unwrap(), 2);
        let extended = extends::schedule(&docket, label(&env, "extend")).await.unwrap();
        assert!(extended.result_timeout(WAIT).await.unwrap(), "the deadline moved by the extension");
    }

    async fn a_perpetual_task_runs_again_after_success_and_failure_until_it_cancels(env: Env) {
        let docket = env.docket().await;
        let label = label(&env, "ticks");
        let _worker = start(test_worker(&docket));
        let execution = ticks::schedule(&docket, label.clone(), 5).key(label.clone()).await.unwrap();
        assert_eq!(execution.result_timeout(WAIT).await.unwrap(), 5);
        let runs = runs(&label);
        assert_eq!(runs.iter().map(|run| run.value).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
        assert!(runs.iter().all(|run| run.attempt == 1), "each run of a chain is a first attempt");
        // Each next run is due `every` after the previous one started, never sooner.
        for pair in runs.windows(2) {
            assert!(pair[1].when > pair[0].when);
        }
        assert_eq!(execution.state().await.unwrap(), Some(ExecutionState::Completed));
    }

    async fn a_perpetual_task_can_carry_new_arguments_to_its_next_run(env: Env) {
        let docket = env.docket().await;
        let label = label(&env, "counts-up");
        let _worker = start(test_worker(&docket));
        let execution = counts_up::schedule(&docket, label.clone(), 1).await.unwrap();
        assert_eq!(execution.result_timeout(WAIT).await.unwrap(), 3);
        assert_eq!(runs(&label).iter().map(|run| run.value).collect::<Vec<_>>(), [1, 2, 3]);
        let info = execution.info().await.unwrap().unwrap();
        assert_eq!(info.argument::<i64>("n"), Some(3), "the record holds the last run's arguments");
    }

    async fn a_perpetual_chain_ends_when_cancelled_from_outside(env: Env) {
        let docket = env.docket().await;
        let label = label(&env, "next-hour");
        let _worker = start(test_worker(&docket));
        let before = SystemTime::now();
        let execution = next_in_an_hour::schedule(&docket, label.clone()).await.unwrap();
        eventually(WAIT, "the next run to be scheduled", || async {
            execution.state().await.unwrap() == Some(ExecutionState::Scheduled)
        })
        .await;
        let info = execution.info().await.unwrap().unwrap();
        assert!(info.when >= before + Duration::from_secs(3590), "{:?}", info.when);
        assert!(docket.cancel(execution.key()).await.unwrap());
        assert!(matches!(execution.result_timeout(WAIT).await, Err(Error::Cancelled { .. })));
        assert_eq!(runs(&label).len(), 1);
    }

    async fn run_at_most_runs_a_perpetual_key_a_bounded_number_of_times(env: Env) {
        let docket = env.docket().await;
        let label = label(&env, "at-most");
        let key = format!("{label}-key");
        let execution = endless::schedule(&docket, label.clone()).key(key.clone()).await.unwrap();
        let worker = test_worker(&docket).build().unwrap();
        tokio::time::timeout(WAIT, worker.run_at_most([(key.clone(), 3)])).await.unwrap().unwrap();
        assert_eq!(runs(&label).len(), 3);
        assert_eq!(execution.state().await.unwrap(), Some(ExecutionState::Completed));
    }

    async fn run_until_finished_ends_a_perpetual_chain_after_its_run(env: Env) {
        let docket = env.docket().await;
        let label = label(&env, "until-finished");
        let execution = endless::schedule(&docket, label.clone()).await.unwrap();
        let worker = test_worker(&docket).build().unwrap();
        tokio::time::timeout(WAIT, worker.run_until_finished()).await.unwrap().unwrap();
        assert_eq!(runs(&label).len(), 1);
        assert_eq!(execution.state().await.unwrap(), Some(ExecutionState::Completed));
    }

    async fn automatic_perpetual_tasks_are_seeded_once_and_healed_when_cut(env: Env) {
        let docket = env.docket().await;
        let label = format!("hourly_chore@{}", docket.url());
        let seeding = || test_worker(&docket).automatic_reseed_interval(Duration::from_millis(50));
        let _first = start(seeding());
        let _second = start(seeding());
        let ran_and_waits = || async {
            docket.execution("hourly_chore").await.unwrap().is_some_and(|info| {
                info.state == ExecutionState::Scheduled && info.started_at.is_some()
            })
        };
        eventually(WAIT, "the automatic task to run and wait for its next hour", ran_and_waits).await;
        // Two workers seeding every 50 ms: still one chain, run once.
        assert_eq!(runs(&label).len(), 1);
        // Cut the chain: the workers seed it again.
        assert!(docket.cancel("hourly_chore").await.unwrap());
        eventually(WAIT, "the re-seeded chain to run", || async { runs(&label).len() == 2 }).await;
        eventually(WAIT, "the re-seeded chain to wait for its next hour", ran_and_waits).await;
        assert_eq!(runs(&label).len(), 2);
    }

    async fn a_cron_task_is_seeded_for_its_next_match_never_at_once(env: Env) {
        let docket = env.docket().await;
        let before = SystemTime::now();
        let first = start(test_worker(&docket));
        eventually(WAIT, "the cron task to be seeded", || async {
            docket.execution("every_minute").await.unwrap().is_some()
        })
        .await;
        let info = docket.execution("every_minute").await.unwrap().unwrap();
        let due = info.when.duration_since(SystemTime::UNIX_EPOCH).unwrap();
        assert_eq!((due.as_secs() % 60, due.subsec_nanos()), (0, 0), "due at a minute's start");
        assert!(info.when > before, "the first run is the next match, not now");
        // (Two minutes: a minute may start, and the task run, while the test looks.)
        assert!(info.when <= before + Duration::from_secs(121), "{:?}", info.when);
        // Another worker seeds before its first claim: once it has run a task (the only worker
        // left), it has seeded, and the chain's next run has not moved.
        first.stop().await;
        let _second = start(test_worker(&docket).name("second-seeder"));
        let sentinel = common::add::schedule(&docket, 1, 1).key("after-second-seed").await.unwrap();
        sentinel.result_timeout(WAIT).await.unwrap();
        let again = docket.execution("every_minute").await.unwrap().unwrap();
        if again.started_at.is_none() {
            assert_eq!(again.when, info.when, "re-seeding moved the schedule");
        }
    }

    async fn an_automatic_task_scheduled_by_hand_under_another_key_runs_once(env: Env) {
        let docket = env.docket().await;
        let _worker = start(test_worker(&docket).schedule_automatic_tasks(false));
        let once = hourly_chore::schedule(&docket).key("chore-now").await.unwrap();
        once.result_timeout(WAIT).await.unwrap();
        assert_eq!(once.state().await.unwrap(), Some(ExecutionState::Completed), "not a second chain");
    }

    async fn seeding_can_be_turned_off(env: Env) {
        let docket = env.docket().await;
        let _worker = start(test_worker(&docket).schedule_automatic_tasks(false));
        // Seeding happens before the first claim, so once a task ran, it would have happened.
        common::sum(&docket, 1, 2).await;
        assert!(docket.execution("hourly_chore").await.unwrap().is_none());
        assert!(docket.execution("every_minute").await.unwrap().is_none());
    }

    async fn the_injected_docket_schedules_follow_up_work(env: Env) {
        let docket = env.docket().await;
        let label = label(&env, "flood");
        let _worker = start(test_worker(&docket));
        let keys = flood::schedule(&docket, label.clone(), 5).await.unwrap().result_timeout(WAIT).await.unwrap();
        assert_eq!(keys.len(), 5);
        for key in keys {
            eventually(WAIT, "a follow-up task to complete", || async {
                docket.execution(&key).await.unwrap().is_some_and(|info| {
                    info.task == "record_value" && info.state == ExecutionState::Completed
                })
            })
            .await;
        }
        let mut values: Vec<i64> = runs(&label).iter().map(|run| run.value).collect();
        values.sort();
        assert_eq!(values, [0, 1, 2, 3, 4]);
    }

    async fn state_and_user_types_are_injected(env: Env) {
        let docket = env.docket().await;
        let _worker = start(test_worker(&docket).name("greeter").state(Settings { greeting: "hello".into() }));
        let line = greets::schedule(&docket, "ada".into()).await.unwrap().result_timeout(WAIT).await.unwrap();
        assert_eq!(line, "hello, ada | hello from greeter (run 1)");
    }

    async fn missing_state_fails_the_run_naming_the_type(env: Env) {
        let docket = env.docket().await;
        let _worker = start(test_worker(&docket));
        let error = greets::schedule(&docket, "ada".into()).await.unwrap().result_timeout(WAIT).await.unwrap_err();
        match error {
            Error::TaskFailed { message, .. } => {
                assert!(message.contains("cannot inject parameter `settings`"), "{message}");
                assert!(message.contains("State<lifecycle::Settings>"), "{message}");
            }
            other => panic!("expected an injection failure, got {other:?}"),
        }
    }

    async fn the_context_describes_the_run(env: Env) {
        let docket = env.docket().await;
        let _worker = start(test_worker(&docket).name("introspector"));
        let execution = introspects::schedule(&docket).key("look-inside").await.unwrap();
        let seen = execution.result_timeout(WAIT).await.unwrap();
        assert_eq!(seen, ("look-inside".to_string(), 1, "introspector".to_string(), false));
    }

    async fn built_in_tasks_run_on_every_worker(env: Env) {
        let docket = env.docket().await;
        let _worker = start(test_worker(&docket));
        docket::tasks::trace::schedule(&docket, "hello".into()).await.unwrap().result_timeout(WAIT).await.unwrap();
        docket::tasks::sleep::schedule(&docket, 0.01).await.unwrap().result_timeout(WAIT).await.unwrap();
        match docket::tasks::fail::schedule(&docket, "on purpose".into()).await.unwrap().result_timeout(WAIT).await {
            Err(Error::TaskFailed { message, type_name }) => {
                assert_eq!(message, "on purpose");
                assert_eq!(type_name, "docket::tasks::Failed");
            }
            other => panic!("expected the built-in failure, got {other:?}"),
        }
    }
}
