//! Behaviour outside the shared two-backend suite: processes that die, signals, the worker
//! command line, connection lifecycles, and Redis itself going away. Where a server is needed
//! these run against real `redis-server` processes only (a killed worker or a restarted server
//! has no meaning for `memory://`).

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use docket::{Docket, ExecutionState};
use docket_tests::{eventually, RedisServer};

/// Sleeps, then returns how long it slept (the same task as the `test-worker` binary's).
#[docket::task]
async fn slow(millis: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(millis)).await;
    millis
}

fn worker_process(server: &RedisServer, name: &str, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_test-worker"))
        .args(["worker", "--url", &server.url(), "--worker-name", name])
        .args(["--scheduling-resolution", "20ms", "--concurrency", "4"])
        .args(extra)
        .env("DOCKET_LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the test-worker binary")
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{name} failed");
}

async fn wait_for_exit(child: &mut Child) -> std::process::ExitStatus {
    for _ in 0..1500 {
        if let Some(status) = child.try_wait().expect("poll the worker process") {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _ = child.kill();
    panic!("the worker process did not exit within 15s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_of_a_killed_worker_is_redelivered_to_another() {
    let server = RedisServer::start();
    let docket = Docket::connect(&server.url()).await.unwrap();
    let mut doomed = worker_process(&server, "doomed", &["--redelivery-timeout", "1s"]);
    let execution = slow::schedule(&docket, 1_500).await.unwrap();
    until_running(&execution).await;
    assert_eq!(
        execution.info().await.unwrap().unwrap().worker.as_deref(),
        Some("doomed")
    );
    doomed.kill().expect("SIGKILL the worker");
    let _ = doomed.wait();

    let _rescuer = rescuer(&docket);
    assert_eq!(execution.result_timeout(WAIT).await.unwrap(), 1_500);
    let info = execution.info().await.unwrap().unwrap();
    assert_eq!(info.worker.as_deref(), Some("rescuer"));
    assert_eq!(info.state, ExecutionState::Completed);
    // The dead worker is listed no longer, and once its delivery was taken over its consumer
    // is pruned from the group too.
    assert!(
        !docket.workers().await.unwrap().iter().any(|w| w.name == "doomed"),
        "a killed worker is still listed"
    );
    eventually(WAIT, "the dead worker's consumer to be pruned", || async {
        !redis_cli(&server, &["XINFO", "CONSUMERS", "{docket}:stream", "workers"]).contains("doomed")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_worker_renews_its_lease_so_a_long_task_runs_once() {
    let server = RedisServer::start();
    let docket = Docket::connect(&server.url()).await.unwrap();
    let first = start(
        test_worker(&docket)
            .name("first")
            .redelivery_timeout(Duration::from_millis(300)),
    );
    let execution = slow::schedule(&docket, 1_500).await.unwrap();
    until_running(&execution).await;
    let _second = start(
        test_worker(&docket)
            .name("second")
            .redelivery_timeout(Duration::from_millis(300)),
    );
    assert_eq!(execution.result_timeout(WAIT).await.unwrap(), 1_500);
    let info = execution.info().await.unwrap().unwrap();
    assert_eq!(
        info.worker.as_deref(),
        Some("first"),
        "the task was taken over despite renewals"
    );
    first.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_in_flight_tasks_finish() {
    let server = RedisServer::start();
    let docket = Docket::connect(&server.url()).await.unwrap();
    let mut worker = worker_process(&server, "terminated", &[]);
    let executions = vec![
        slow::schedule(&docket, 800).await.unwrap(),
        slow::schedule(&docket, 900).await.unwrap(),
    ];
    for execution in &executions {
        until_running(execution).await;
    }
    signal(&worker, "TERM");
    let status = wait_for_exit(&mut worker).await;
    assert!(status.success(), "the worker exited with {status}");
    for execution in &executions {
        assert_eq!(execution.state().await.unwrap(), Some(ExecutionState::Completed));
    }
    assert!(docket.workers().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_sigterm_a_worker_process_claims_nothing_new() {
    let server = RedisServer::start();
    let docket = Docket::connect(&server.url()).await.unwrap();
    let (mut worker, lines) = logged_worker(&server.url(), "terminated");
    eventually(WAIT, "the worker to be listed", || async {
        !docket.workers().await.unwrap().is_empty()
    })
    .await;
    signal(&worker, "TERM");
    wait_for_line(&lines, "shutting down").await;
    let execution = slow::schedule(&docket, 1).await.unwrap();
    let status = wait_for_exit(&mut worker).await;
    assert!(status.success(), "the worker exited with {status}");
    assert_eq!(
        execution.state().await.unwrap(),
        Some(ExecutionState::Queued),
        "a task added after SIGTERM does not run on the stopping worker"
    );
    let errors: Vec<String> = rest_of(&lines)
        .into_iter()
        .filter(|line| line.contains("Fatal error"))
        .collect();
    assert!(
        errors.is_empty(),
        "the worker closed its connections uncleanly: {errors:?}"
    );
    let _successor = start(
        test_worker(&docket)
            .name("successor")
            .redelivery_timeout(Duration::from_secs(3600)),
    );
    assert_eq!(execution.result_timeout(WAIT).await.unwrap(), 1);
    let info = execution.info().await.unwrap().expect("a record");
    assert_eq!(info.worker.as_deref(), Some("successor"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_started_before_redis_waits_for_it_instead_of_exiting() {
    let port = docket_tests::free_port();
    let url = format!("redis://127.0.0.1:{port}/0");
    let (mut worker, lines) = logged_worker(&url, "early");
    // Five failed attempts with backoff (0.1 + 0.2 + 0.4 + 0.8 + 1.6 s): Redis has been away
    // for about three seconds, and the worker says so and keeps waiting.
    for _ in 0..5 {
        wait_for_line(&lines, "waiting for Redis").await;
    }
    assert!(
        worker.try_wait().unwrap().is_none(),
        "the worker exited while Redis was down"
    );
    let server = RedisServer::start_on(port);
    let docket = Docket::connect(&server.url()).await.unwrap();
    let execution = slow::schedule(&docket, 1).await.unwrap();
    assert_eq!(execution.result_timeout(WAIT).await.unwrap(), 1);
    assert!(worker.try_wait().unwrap().is_none(), "the worker exited");
    signal(&worker, "TERM");
    let status = wait_for_exit(&mut worker).await;
    assert!(status.success(), "the worker exited with {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_started_while_redis_loads_its_data_waits_for_it() {
    let mut server = RedisServer::try_start_with_args(&["--enable-debug-command", "yes"]).unwrap();
    // A dataset that takes Redis a moment to load after a restart.
    redis_cli(&server, &["DEBUG", "POPULATE", "2000000", "filler", "64"]);
    redis_cli(&server, &["SAVE"]);
    server.restart_without_waiting().unwrap();
    let (mut worker, lines) = logged_worker(&server.url(), "patient");
    wait_for_line(&lines, "LOADING").await;
    assert!(
        worker.try_wait().unwrap().is_none(),
        "the worker exited while Redis loaded"
    );
    let docket = Docket::builder(&server.url())
        .connect_policy(docket::ConnectPolicy::Wait)
        .connect()
        .await
        .unwrap();
    let execution = slow::schedule(&docket, 1).await.unwrap();
    assert_eq!(execution.result_timeout(WAIT).await.unwrap(), 1);
    assert_eq!(
        execution.info().await.unwrap().unwrap().worker.as_deref(),
        Some("patient")
    );
    signal(&worker, "TERM");
    let status = wait_for_exit(&mut worker).await;
    assert!(status.success(), "the worker exited with {status}");
}

#[test]
fn a_worker_stopped_while_waiting_for_redis_exits_cleanly() {
    let url = format!("redis://127.0.0.1:{}/0", docket_tests::free_port());
    let (mut worker, lines) = logged_worker(&url, "waiting");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(wait_for_line(&lines, "waiting for Redis"));
    signal(&worker, "TERM");
    let status = runtime.block_on(wait_for_exit(&mut worker));
    assert!(status.success(), "the worker exited with {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_whose_clock_runs_an_hour_ahead_never_runs_work_early() {
    let server = RedisServer::start();
    let docket = Docket::connect(&server.url()).await.unwrap();
    let mut skewed = Command::new(env!("CARGO_BIN_EXE_test-worker"))
        .args(["worker", "--url", &server.url(), "--worker-name", "skewed"])
        .args(["--scheduling-resolution", "20ms"])
        .env("DOCKET_TEST_CLOCK_OFFSET_MS", "3600000")
        .env("DOCKET_LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the test-worker binary");
    let scripts_before = script_calls(&server);
    let early = slow::schedule(&docket, 1)
        .after(Duration::from_secs(30 * 60))
        .await
        .unwrap();
    // A task due in 50 ms runs only once the worker's scheduler has moved due work, which it
    // does after `early` was scheduled: that same move found `early` not due.
    let soon = slow::schedule(&docket, 2)
        .after(Duration::from_millis(50))
        .await
        .unwrap();
    assert_eq!(soon.result_timeout(WAIT).await.unwrap(), 2);
    // Nor does it spin until the task it thinks overdue is due by Redis's clock (it measures
    // the wait by Redis's clock): a spinning scheduler runs thousands of scripts a second.
    let scripts = script_calls(&server) - scripts_before;
    assert!(
        scripts < 200,
        "the skewed worker's scheduler spins: {scripts} script calls"
    );
    assert_eq!(
        soon.info().await.unwrap().unwrap().worker.as_deref(),
        Some("skewed")
    );
    assert_eq!(
        early.state().await.unwrap(),
        Some(ExecutionState::Scheduled),
        "a worker an hour ahead moved work due in 30 minutes"
    );
    skewed.kill().expect("stop the worker");
    let _ = skewed.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_records_and_entries_are_dead_lettered_at_once() {
    let server = RedisServer::start();
    let docket = Docket::connect(&server.url()).await.unwrap();
    // A record without a task name or arguments, and a stream entry naming no execution:
    // neither was written by docket.
    let id = redis_cli(&server, &["XADD", "{docket}:stream", "*", "k", "broken"]);
    redis_cli(
        &server,
        &[
            "HSET",
            "{docket}:t:broken",
            "s",
            "2",
            "g",
            "1",
            "i",
            id.trim(),
            "n",
            "1",
            "w",
            "0",
        ],
    );
    redis_cli(&server, &["XADD", "{docket}:stream", "*", "junk", "1"]);
    // Leases lapse only after an hour here: only dead-lettering at once can end them in time.
    let _worker = start(test_worker(&docket).redelivery_timeout(Duration::from_secs(3600)));
    eventually(WAIT, "the unreadable record to be failed", || async {
        docket
            .execution("broken")
            .await
            .unwrap()
            .is_some_and(|info| info.state == ExecutionState::Failed)
    })
    .await;
    let info = docket.execution("broken").await.unwrap().unwrap();
    let error = info.error.expect("an error");
    assert_eq!(error.type_name, "docket::MalformedRecord");
    assert!(error.message.contains("no task name"), "{}", error.message);
    eventually(WAIT, "both to be dead letters", || async {
        let letters = docket.dead_letters(10).await.unwrap();
        letters.iter().any(|l| l.key == "broken")
            && letters
                .iter()
                .any(|l| l.error.type_name == "docket::MalformedEntry")
    })
    .await;
    // And the worker keeps working.
    assert_eq!(sum(&docket, 1, 1).await, 2);
}

/// Starts the `test-worker` binary as worker `name` at `url`, logging at info level, and
/// returns it with the lines it logs.
fn logged_worker(url: &str, name: &str) -> (Child, std::sync::mpsc::Receiver<String>) {
    logged_process(env!("CARGO_BIN_EXE_test-worker"), url, name, &[])
}

/// A worker process of `binary` logging at INFO level, and its log lines as they come.
fn logged_process(
    binary: &str,
    url: &str,
    name: &str,
    extra: &[&str],
) -> (Child, std::sync::mpsc::Receiver<String>) {
    let mut worker = Command::new(binary)
        .args(["worker", "--url", url, "--worker-name", name])
        .args(extra)
        .env("DOCKET_LOG_LEVEL", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the test-worker binary");
    let lines = log_lines(worker.stderr.take().expect("the worker's stderr"));
    (worker, lines)
}

/// Forwards the lines a child process writes to `stream` to a channel.
fn log_lines(stream: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stream).lines() {
            let Ok(line) = line else { return };
            eprintln!("{line}");
            if sender.send(line).is_err() {
                return;
            }
        }
    });
    receiver
}

/// Every line still to come from a process that has exited (until its stream closes).
fn rest_of(lines: &std::sync::mpsc::Receiver<String>) -> Vec<String> {
    let mut rest = Vec::new();
    while let Ok(line) = lines.recv_timeout(WAIT) {
        rest.push(line);
    }
    rest
}

/// Waits (at most [`WAIT`]) for a line containing `needle`.
async fn wait_for_line(lines: &std::sync::mpsc::Receiver<String>, needle: &str) {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        match lines.try_recv() {
            Ok(line) if line.contains(needle) => return,
            Ok(_) => continue,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => panic!("the log ended before `{needle}`"),
            Err(std::sync::mpsc::TryRecvError::Empty) => {
                assert!(
                    std::time::Instant::now() < deadline,
                    "no log line with `{needle}` within {WAIT:?}"
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_releases_running_tasks_instead_of_cancelling_them() {
    let server = RedisServer::start();
    let docket = Docket::connect(&server.url()).await.unwrap();
    let mut worker = worker_process(&server, "impatient", &["--shutdown-timeout", "1m"]);
    let execution = slow::schedule(&docket, 30_000).await.unwrap();
    until_running(&execution).await;
    signal(&worker, "TERM");
    signal(&worker, "INT");
    let status = wait_for_exit(&mut worker).await;
    assert!(status.success(), "the worker exited with {status}");
    assert_eq!(
        execution.state().await.unwrap(),
        Some(ExecutionState::Queued),
        "released, not cancelled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_and_producers_survive_a_redis_restart() {
    let mut server = RedisServer::start();
    let docket = Docket::connect(&server.url()).await.unwrap();
    let _worker = start(test_worker(&docket));
    let before = add::schedule(&docket, 1, 2).await.unwrap();
    assert_eq!(before.result_timeout(WAIT).await.unwrap(), 3);

    server.restart();

    // The producer reconnects; the worker recreates the stream and its group.
    let after = tokio::time::timeout(WAIT, async {
        loop {
            match add::schedule(&docket, 20, 22).await {
                Ok(execution) => break execution,
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    })
    .await
    .expect("scheduling works again after the restart");
    assert_eq!(after.result_timeout(WAIT).await.unwrap(), 42);

    // Pub/sub came back too: events reach subscribers and cancellations reach the worker.
    let gate = format!("{}-restart", server.url());
    let running = gated::schedule(&docket, gate.clone())
        .after(Duration::from_millis(300))
        .await
        .unwrap();
    let mut events = running.subscribe().await.unwrap();
    for expected in [ExecutionState::Queued, ExecutionState::Running] {
        let event = tokio::time::timeout(WAIT, futures::StreamExt::next(&mut events)).await;
        assert_eq!(event.unwrap().and_then(|e| e.state()), Some(expected));
    }
    assert!(running.cancel().await.unwrap());
    let dropped = format!("{gate}:dropped");
    eventually(WAIT, "the running task to be interrupted", || async {
        count(&dropped) == 1
    })
    .await;
}

/// How many scripts the server has run (`EVALSHA` calls).
fn script_calls(server: &RedisServer) -> u64 {
    let stats = redis_cli(server, &["INFO", "commandstats"]);
    stats
        .lines()
        .find_map(|line| line.strip_prefix("cmdstat_evalsha:calls="))
        .and_then(|rest| rest.split(',').next())
        .and_then(|calls| calls.parse().ok())
        .unwrap_or(0)
}

/// Runs one `redis-cli` command against the server and returns what it printed.
fn redis_cli(server: &RedisServer, args: &[&str]) -> String {
    let output = Command::new("redis-cli")
        .args(["-p", &server.port().to_string()])
        .args(args)
        .output()
        .expect("run redis-cli");
    assert!(output.status.success(), "redis-cli {args:?} failed");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn client_count(server: &RedisServer) -> usize {
    redis_cli(server, &["CLIENT", "LIST"]).lines().count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_docket_closes_its_connections() {
    let server = RedisServer::start();
    let baseline = client_count(&server);
    for _ in 0..5 {
        let docket = Docket::connect(&server.url()).await.unwrap();
        add::schedule(&docket, 1, 1).await.unwrap();
        drop(docket);
    }
    eventually(WAIT, "the connections to close", || async {
        client_count(&server) <= baseline
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_worker_leaves_no_consumer_behind() {
    let server = RedisServer::start();
    let docket = Docket::connect(&server.url()).await.unwrap();
    let worker = start(test_worker(&docket).name("short-lived"));
    assert_eq!(sum(&docket, 1, 1).await, 2);
    worker.stop().await;
    let consumers = redis_cli(&server, &["XINFO", "CONSUMERS", "{docket}:stream", "workers"]);
    assert!(!consumers.contains("short-lived"), "{consumers}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_does_not_hang_when_redis_is_gone() {
    let mut server = RedisServer::start();
    let docket = Docket::connect(&server.url()).await.unwrap();
    let gate = format!("{}-gone", server.url());
    let worker = start(test_worker(&docket).shutdown_timeout(Duration::from_millis(500)));
    let execution = gated::schedule(&docket, gate.clone()).await.unwrap();
    until_running(&execution).await;
    server.kill();
    open_gate(&gate);
    tokio::time::timeout(Duration::from_secs(30), worker.stop())
        .await
        .expect("the worker stops although its outcome cannot be recorded");
}

#[tokio::test]
async fn an_unreachable_server_is_a_clear_error_not_a_hang() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("redis://127.0.0.1:{port}/0");
    let connect = Docket::connect(&url);
    let error = tokio::time::timeout(Duration::from_secs(30), connect)
        .await
        .expect("connect gives up instead of hanging")
        .unwrap_err();
    assert!(error.to_string().contains("cannot connect"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unix_socket_url_works() {
    let server = RedisServer::start();
    let docket = Docket::connect(&server.unix_url()).await.unwrap();
    let _worker = start(test_worker(&docket));
    assert_eq!(sum(&docket, 20, 22).await, 42);
}

#[tokio::test]
async fn a_malformed_url_is_a_clear_error() {
    let error = Docket::connect("redis://127.0.0.1:notaport/0").await.unwrap_err();
    assert!(matches!(error, docket::Error::InvalidUrl { .. }), "{error}");
}

#[test]
fn the_worker_binary_reports_its_version() {
    let output = Command::new(env!("CARGO_BIN_EXE_test-worker"))
        .arg("version")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("docket "));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_of_a_linked_library_crate_are_discovered_by_the_worker_binary() {
    let server = RedisServer::start();
    let docket = Docket::connect(&server.url()).await.unwrap();
    let mut worker = worker_process(&server, "linked", &[]);
    let execution = docket_linked_tasks::shout::schedule(&docket, "hello".into())
        .await
        .unwrap();
    let result = execution.result_timeout(WAIT).await;
    signal(&worker, "TERM");
    wait_for_exit(&mut worker).await;
    assert_eq!(result.unwrap(), "HELLO");
}

#[test]
fn the_worker_cli_reads_the_environment_and_logs_json() {
    let output = Command::new(env!("CARGO_BIN_EXE_test-worker"))
        .args(["worker", "--until-finished"])
        .env("DOCKET_URL", "memory://cli-env")
        .env("DOCKET_LOG_FORMAT", "json")
        .env("DOCKET_WORKER_NAME", "from-env")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let starting = stderr
        .lines()
        .find(|line| line.contains("worker starting"))
        .unwrap_or_else(|| panic!("no start-up line in {stderr}"));
    assert!(starting.starts_with('{') && starting.ends_with('}'), "{starting}");
    assert!(starting.contains("\"worker\":\"from-env\""), "{starting}");
    assert!(
        starting.contains("shout") && starting.contains("slow"),
        "the task list is logged: {starting}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_is_listed_only_while_it_can_claim_work() {
    let server = RedisServer::start();
    let docket = Docket::connect(&server.url()).await.unwrap();
    let _worker = start(
        test_worker(&docket)
            .name("watched")
            .redelivery_timeout(Duration::from_millis(400)),
    );
    let listed = || async {
        let workers = docket.workers().await.unwrap();
        workers.iter().any(|w| w.name == "watched")
    };
    eventually(WAIT, "the worker to be listed", || async { listed().await }).await;

    // Break the ready stream: heartbeats would still reach Redis, but claims fail.
    redis_cli(&server, &["DEL", "{docket}:stream"]);
    redis_cli(&server, &["SET", "{docket}:stream", "not a stream"]);
    eventually(WAIT, "the worker to drop off the list", || async {
        !listed().await
    })
    .await;

    // Repair it: the worker recreates the stream and its group, and is listed again.
    redis_cli(&server, &["DEL", "{docket}:stream"]);
    eventually(WAIT, "the worker to be listed again", || async { listed().await }).await;
    assert_eq!(sum(&docket, 2, 2).await, 4);
}

/// A worker called `rescuer` that takes over a killed worker's deliveries after 1 s.
fn rescuer(docket: &Docket) -> RunningWorker {
    start(
        test_worker(docket)
            .name("rescuer")
            .redelivery_timeout(Duration::from_secs(1)),
    )
}

/// `beat`, `tick` and `charge` as the `behaviour-worker` binary defines them, to schedule
/// them here.
mod behaviour_worker_tasks {
    /// A perpetual task that does nothing, every 20 ms.
    #[docket::task]
    #[perpetual(every = "20ms")]
    pub async fn tick(chain: u64) {
        let _ = chain;
    }

    /// A perpetual task that takes `millis` per run.
    #[docket::task]
    #[perpetual(every = "20ms")]
    pub async fn beat(millis: u64) {
        let _ = millis;
    }

    /// `visit` as the `behaviour-worker` binary defines it: one run per customer at a time.
    #[docket::task]
    #[concurrency(arg = "customer", max = 1)]
    pub async fn visit(customer: u64) {
        let _ = customer;
    }

    /// A task with logged arguments.
    #[docket::task]
    pub async fn charge(#[logged] order_id: u64, #[logged(length_only)] lines: Vec<String>, card: String) {
        let _ = (order_id, lines, card);
    }

    /// Fails once, then succeeds.
    #[docket::task]
    pub async fn declines_once() {}
}

/// A `behaviour-worker` process writing its runs to `journal`.
fn behaviour_worker(server: &RedisServer, name: &str, journal: &std::path::Path, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_behaviour-worker"))
        .args(["worker", "--url", &server.url(), "--worker-name", name])
        .args(["--scheduling-resolution", "20ms", "--concurrency", "4"])
        .args(extra)
        .env("DOCKET_LOG_LEVEL", "warn")
        .env("DOCKET_TEST_JOURNAL", journal)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the behaviour-worker binary")
}

/// One run in a journal: when it started and ended (ms), and which process ran it.
#[derive(Debug, Clone, Copy)]
struct JournalRun {
    start: u64,
    end: Option<u64>,
    pid: u32,
}

/// The runs of `task` in the journal, in start order (a run of a killed process has no end).
fn journal_runs(journal: &std::path::Path, task: &str) -> Vec<JournalRun> {
    let text = std::fs::read_to_string(journal).unwrap_or_default();
    let mut runs: Vec<JournalRun> = Vec::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        let [event, name, ms, pid] = fields[..] else {
            continue;
        };
        let (Ok(ms), Ok(pid)) = (ms.parse::<u64>(), pid.parse::<u32>()) else {
            continue;
        };
        if name != task {
            continue;
        }
        match event {
            "start" => runs.push(JournalRun {
                start: ms,
                end: None,
                pid,
            }),
            "end" => {
                if let Some(run) = runs
                    .iter_mut()
                    .rev()
                    .find(|run| run.pid == pid && run.end.is_none())
                {
                    run.end = Some(ms);
                }
            }
            _ => {}
        }
    }
    runs.sort_by_key(|run| run.start);
    runs
}

/// Asserts that no two finished runs overlap: one chain runs one run at a time.
fn assert_one_chain(runs: &[JournalRun]) {
    let finished: Vec<_> = runs.iter().filter(|run| run.end.is_some()).collect();
    for pair in finished.windows(2) {
        assert!(
            pair[1].start >= pair[0].end.unwrap_or(u64::MAX),
            "two runs of one chain overlapped: {pair:?} (all: {runs:?})"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_started_together_seed_one_automatic_chain() {
    let server = RedisServer::start();
    let journal = docket_tests::unique_temp_dir("automatic-journal");
    let reseed = ["--automatic-reseed-interval", "100ms"];
    let mut workers: Vec<Child> = (0..3)
        .map(|i| behaviour_worker(&server, &format!("seeder-{i}"), &journal, &reseed))
        .collect();
    eventually(WAIT, "ten runs of the automatic task", || async {
        journal_runs(&journal, "pulse")
            .iter()
            .filter(|run| run.end.is_some())
            .count()
            >= 10
    })
    .await;
    for worker in &mut workers {
        worker.kill().expect("stop a worker");
        let _ = worker.wait();
    }
    let runs = journal_runs(&journal, "pulse");
    assert_one_chain(&runs);
    let keys = redis_cli(&server, &["KEYS", "{docket}:t:*"]);
    assert_eq!(keys.lines().count(), 1, "one record for the chain: {keys}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_perpetual_chain_survives_its_worker_being_killed_mid_run() {
    let server = RedisServer::start();
    let docket = Docket::connect(&server.url()).await.unwrap();
    let journal = docket_tests::unique_temp_dir("killed-chain-journal");
    let options = ["--redelivery-timeout", "1s", "--no-automatic-tasks"];
    let mut doomed = behaviour_worker(&server, "doomed", &journal, &options);
    // Beside it, 40 chains every 20 ms keep work falling due every half millisecond, so the
    // worker starts due work itself (moved and started in one step) rather than through the
    // scheduler and the ready queue.
    docket
        .schedule_all((0..40u64).map(|chain| {
            behaviour_worker_tasks::tick::schedule(&docket, chain)
                .key(format!("tick-{chain}"))
                .after(Duration::from_micros(500 * chain))
        }))
        .await
        .unwrap();
    behaviour_worker_tasks::beat::schedule(&docket, 300)
        .key("beat-chain")
        .await
        .unwrap();
    // Kill the worker while its second run is in progress.
    eventually(WAIT, "a second run to start", || async {
        let runs = journal_runs(&journal, "beat");
        runs.len() >= 2 && runs[1].end.is_none()
    })
    .await;
    doomed.kill().expect("SIGKILL the worker");
    let _ = doomed.wait();
    let killed_pid = doomed.id();
    let mut rescuer = behaviour_worker(&server, "rescuer", &journal, &options);
    eventually(
        WAIT,
        "the chain to go on with three runs on the rescuer",
        || async {
            journal_runs(&journal, "beat")
                .iter()
                .filter(|run| run.pid != killed_pid && run.end.is_some())
                .count()
                >= 3
        },
    )
    .await;
    rescuer.kill().expect("stop the rescuer");
    let _ = rescuer.wait();
    let runs = journal_runs(&journal, "beat");
    assert_one_chain(&runs);
    let info = docket
        .execution("beat-chain")
        .await
        .unwrap()
        .expect("the chain's record");
    assert!(
        !info.state.is_terminal(),
        "the chain is still alive: {:?}",
        info.state
    );
    // Every chain is alive where its state says: scheduled in the schedule, queued or running
    // with its delivery in the stream.
    for key in (0..40)
        .map(|chain| format!("tick-{chain}"))
        .chain(["beat-chain".to_string()])
    {
        let info = docket.execution(&key).await.unwrap().expect("the chain's record");
        match info.state {
            ExecutionState::Scheduled => {
                let score = redis_cli(&server, &["ZSCORE", "{docket}:schedule", &key]);
                assert!(
                    !score.trim().is_empty(),
                    "{key} is SCHEDULED but not in the schedule"
                );
            }
            ExecutionState::Queued | ExecutionState::Running => {
                let entry = redis_cli(&server, &["HGET", &format!("{{docket}}:t:{key}"), "i"]);
                let entry = entry.trim();
                let found = redis_cli(&server, &["XRANGE", "{docket}:stream", entry, entry]);
                assert!(
                    !entry.is_empty() && !found.trim().is_empty(),
                    "{key} is {:?} without its delivery",
                    info.state
                );
            }
            state => panic!("{key} ended: {state:?}"),
        }
    }
    let scheduled: u64 = redis_cli(&server, &["ZCARD", "{docket}:schedule"])
        .trim()
        .parse()
        .unwrap();
    let queued: u64 = redis_cli(&server, &["XLEN", "{docket}:stream"])
        .trim()
        .parse()
        .unwrap();
    assert!(
        scheduled + queued <= 41,
        "each of the 41 chains has one next run at most: {scheduled} scheduled, {queued} in the stream"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_lines_show_timings_and_only_logged_arguments() {
    let server = RedisServer::start();
    let docket = Docket::connect(&server.url()).await.unwrap();
    let (mut worker, lines) = logged_process(
        env!("CARGO_BIN_EXE_behaviour-worker"),
        &server.url(),
        "logger",
        &["--no-automatic-tasks"],
    );
    let charge = behaviour_worker_tasks::charge::schedule(
        &docket,
        42,
        vec!["a".into(), "b".into()],
        "secret-card-4111-1111".into(),
    )
    .await
    .unwrap();
    charge.result_timeout(WAIT).await.unwrap();
    behaviour_worker_tasks::declines_once::schedule(&docket)
        .await
        .unwrap()
        .result_timeout(WAIT)
        .await
        .unwrap();
    signal(&worker, "TERM");
    wait_for_exit(&mut worker).await;
    let logs = rest_of(&lines);
    let find = |needle: &str| {
        logs.iter()
            .find(|line| line.contains(needle))
            .unwrap_or_else(|| panic!("no line with `{needle}` in {logs:#?}"))
            .clone()
    };
    let started = find("order_id=42 lines=len(2)");
    assert!(
        started.contains("started") && started.contains("punctuality_ms="),
        "{started}"
    );
    assert!(
        !logs.iter().any(|line| line.contains("secret-card")),
        "a secret argument was logged"
    );
    let inside = find("charging");
    for field in [
        "task=charge",
        "attempt=1",
        "worker=logger",
        &format!("key={}", charge.key()),
    ] {
        assert!(
            inside.contains(field),
            "`{field}` missing from the body's event: {inside}"
        );
    }
    let completed = logs
        .iter()
        .find(|line| line.contains("completed") && line.contains("task=charge"))
        .expect("a completed line");
    assert!(completed.contains("duration_ms="), "{completed}");
    let retrying = find("retrying");
    assert!(
        retrying.contains("next_attempt=2") && retrying.contains("declines_once"),
        "{retrying}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_worker_processes_never_overlap_runs_of_one_customer() {
    let server = RedisServer::start();
    let docket = Docket::connect(&server.url()).await.unwrap();
    let journal = docket_tests::unique_temp_dir("limits-journal");
    let mut workers = [
        behaviour_worker(&server, "limits-1", &journal, &["--no-automatic-tasks"]),
        behaviour_worker(&server, "limits-2", &journal, &["--no-automatic-tasks"]),
    ];
    let visits = docket
        .schedule_all((0..40).map(|i| behaviour_worker_tasks::visit::schedule(&docket, i % 5)))
        .await
        .unwrap();
    for visit in &visits {
        visit.result_timeout(WAIT).await.unwrap();
    }
    for worker in &mut workers {
        let _ = worker.kill();
        let _ = worker.wait();
    }
    let mut total = 0;
    for customer in 0..5 {
        let mut runs = journal_runs(&journal, &format!("visit-{customer}"));
        runs.sort_by_key(|run| run.start);
        total += runs.len();
        for pair in runs.windows(2) {
            let end = pair[0].end.expect("every run ended");
            assert!(
                end <= pair[1].start,
                "two runs of customer {customer} overlapped: {:?} and {:?}",
                pair[0],
                pair[1]
            );
        }
    }
    assert_eq!(total, 40, "every visit ran once");
}

/// Holds its customer's slot until the gate called `gate` opens.
#[docket::task]
#[concurrency(arg = "customer", max = 1)]
async fn held(customer: String, gate: String) {
    let _ = customer;
    gate_notify(&gate).notified().await;
}

/// How many times the server ran each command (Lua-internal calls included), by name.
fn command_calls(server: &RedisServer) -> std::collections::HashMap<String, u64> {
    redis_cli(server, &["INFO", "commandstats"])
        .lines()
        .filter_map(|line| {
            let (name, rest) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = rest.strip_prefix("calls=")?.split(',').next()?.parse().ok()?;
            Some((name.to_string(), calls))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn executions_waiting_for_a_slot_cost_redis_nothing_while_they_wait() {
    let server = RedisServer::start();
    let docket = Docket::connect(&server.url()).await.unwrap();
    let _worker = start(test_worker(&docket).concurrency(16));
    let holder = held::schedule(&docket, "acme".into(), "slot-holder".into())
        .await
        .unwrap();
    until_running(&holder).await;
    let waiters = docket
        .schedule_all((0..100).map(|i| held::schedule(&docket, "acme".into(), format!("waiter-{i}"))))
        .await
        .unwrap();
    eventually(WAIT, "the 100 waiters to be read and parked", || async {
        redis_cli(&server, &["SCARD", "{docket}:waiting"]).trim() == "100"
    })
    .await;
    let before = command_calls(&server);
    // The measured wait: the slot stays held for five seconds.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after = command_calls(&server);
    // Reading, parking or handing on a waiter needs one of these; the worker's own idle
    // commands (heartbeat, the scheduler's look, the holder's lease) need none of them.
    for command in ["lpop", "rpush", "lpush", "zscore", "sadd", "srem", "xadd"] {
        let spent = after.get(command).copied().unwrap_or(0) - before.get(command).copied().unwrap_or(0);
        assert_eq!(
            spent, 0,
            "`{command}` ran {spent} times while 100 executions waited"
        );
    }
    let total: u64 = after.values().sum::<u64>() - before.values().sum::<u64>();
    eprintln!("commands in 5 s with 100 executions waiting: {total}");
    assert_eq!(waiters[0].state().await.unwrap(), Some(ExecutionState::Queued));
    open_gate("slot-holder");
    for (i, waiter) in waiters.iter().enumerate() {
        open_gate(&format!("waiter-{i}"));
        waiter.result_timeout(WAIT).await.unwrap();
    }
    holder.result_timeout(WAIT).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dense_scheduled_work_of_a_killed_worker_is_all_finished_by_another() {
    let server = RedisServer::start();
    let docket = Docket::connect(&server.url()).await.unwrap();
    // Enough slots that the worker always has a free one when work falls due.
    let mut doomed = Command::new(env!("CARGO_BIN_EXE_test-worker"))
        .args(["worker", "--url", &server.url(), "--worker-name", "doomed"])
        .args(["--concurrency", "16", "--redelivery-timeout", "1s"])
        .env("DOCKET_LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the test-worker binary");
    eventually(WAIT, "the worker to be listed", || async {
        docket.workers().await.unwrap().iter().any(|w| w.name == "doomed")
    })
    .await;
    // The scheduler's moves (`move_due.lua`) are the only ZRANGEBYSCOREs.
    let moves_before = zrangebyscores(&server);
    // Short runs due 3 ms apart, and among them a long one to kill the worker under.
    let first = Duration::from_millis(300);
    let quick = docket
        .schedule_all((0..60u64).map(|i| {
            slow::schedule(&docket, 1)
                .key(format!("quick-{i}"))
                .after(first + Duration::from_millis(3 * i))
        }))
        .await
        .unwrap();
    let victim = slow::schedule(&docket, 3_000)
        .key("victim")
        .after(first + Duration::from_millis(3 * 40 + 1))
        .await
        .unwrap();
    until_running(&victim).await;
    assert_eq!(
        victim.info().await.unwrap().unwrap().worker.as_deref(),
        Some("doomed")
    );
    // Through the scheduler, runs due 3 ms apart are moved one or a few at a time; a worker
    // with free slots takes most of them itself. How many went which way depends on the
    // machine's load, so it is reported, not asserted (`due_claims.rs` tests the direct path
    // itself, a dead worker's directly started run included).
    let moves = zrangebyscores(&server) - moves_before;
    eprintln!("the scheduler moved due work {moves} times for 41 runs");
    doomed.kill().expect("SIGKILL the worker");
    let _ = doomed.wait();

    let _rescuer = rescuer(&docket);
    assert_eq!(victim.result_timeout(WAIT).await.unwrap(), 3_000);
    assert_eq!(
        victim.info().await.unwrap().unwrap().worker.as_deref(),
        Some("rescuer"),
        "the killed worker's run was taken over"
    );
    for execution in &quick {
        assert_eq!(
            execution.result_timeout(WAIT).await.unwrap(),
            1,
            "{}",
            execution.key()
        );
    }
    let backlog = docket.backend().backlog().await.unwrap();
    assert_eq!((backlog.ready, backlog.scheduled), (0, 0));
}

/// How many times Redis ran ZRANGEBYSCORE.
fn zrangebyscores(server: &RedisServer) -> u64 {
    command_calls(server).get("zrangebyscore").copied().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_direct_claim_that_fails_midway_leaves_what_it_moved_queued_not_lost() {
    use docket::backend::{Due, LimitSlot, NewTask};
    let server = RedisServer::start();
    let docket = Docket::connect(&server.url()).await.unwrap();
    let backend = docket.backend();
    let soon = |key: &str| NewTask::new(key, "direct", vec![0x80], Due::After(50));
    let tasks = [soon("a"), soon("b").with_limits(vec![LimitSlot::new("one", 1)])];
    backend.schedule(&tasks).await.unwrap();
    // The limit's holders key of the wrong type: taking b's slot fails the script midway.
    redis_cli(&server, &["SET", "{docket}:ch:one", "not a sorted set"]);
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match backend.claim_due("w", 10).await {
            Err(_) => break,
            Ok((started, next)) => {
                assert!(started.is_empty(), "nothing starts while b's limit is broken");
                assert!(tokio::time::Instant::now() < deadline, "the work never fell due");
                tokio::time::sleep(next.unwrap_or_default().max(Duration::from_millis(1))).await;
            }
        }
    }
    let state = |key: &'static str| async move { backend.info(key).await.unwrap().map(|info| info.state) };
    assert_eq!(
        state("a").await,
        Some(ExecutionState::Running),
        "a started before the failure"
    );
    assert_eq!(
        state("b").await,
        Some(ExecutionState::Queued),
        "b was moved out of the schedule: it must not be left SCHEDULED there"
    );

    // Repaired, the deliveries the failed call made are taken over like any stalled ones.
    redis_cli(&server, &["DEL", "{docket}:ch:one"]);
    let taken = std::sync::Mutex::new(Vec::new());
    eventually(WAIT, "both deliveries to be taken over", || async {
        let reclaimed = backend
            .reclaim("w2", Duration::from_millis(10), 10)
            .await
            .unwrap();
        let mut taken = taken.lock().unwrap();
        taken.extend(reclaimed.into_iter().map(|delivery| delivery.key));
        taken.len() == 2
    })
    .await;
    let mut taken = taken.into_inner().unwrap();
    taken.sort();
    assert_eq!(taken, ["a", "b"]);
}
