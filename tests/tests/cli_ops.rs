//! The operator commands of the `docket` command line, run as a binary (`test-worker`, which is
//! the `docket` CLI linked with the test tasks) against a real Redis.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use docket::{Docket, Strike};
use docket_tests::{eventually, free_port, RedisServer};

const WAIT: Duration = Duration::from_secs(15);

/// Runs `docket <args>` against `url` and returns what it did.
fn docket_cli(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_test-worker"))
        .args(args)
        .env("DOCKET_URL", url)
        .output()
        .expect("run the docket binary")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strike_and_restore_reach_a_running_process_and_list_the_rules() {
    let server = RedisServer::start();
    let url = server.url();
    let producer = Docket::connect(&url).await.unwrap();

    let struck = docket_cli(&url, &["strike", "customer_id", "==", "\"12345\""]);
    assert!(struck.status.success(), "{}", stderr(&struck));
    assert_eq!(
        stdout(&struck).trim(),
        "struck: every task where customer_id == \"12345\""
    );
    // Pushed: well before the 10 s version check could have found it.
    eventually(
        Duration::from_secs(5),
        "the running producer to learn of the strike",
        || async {
            producer
                .strikes()
                .iter()
                .any(|rule| *rule == Strike::any_task().arg("customer_id").eq("12345"))
        },
    )
    .await;

    let again = docket_cli(&url, &["strike", "customer_id", "==", "\"12345\""]);
    assert!(again.status.success());
    assert!(
        stdout(&again).starts_with("already struck: "),
        "{}",
        stdout(&again)
    );

    let typed = docket_cli(&url, &["strike", "order", "amount", "between", "10", "20.5"]);
    assert!(typed.status.success(), "{}", stderr(&typed));
    let whole = docket_cli(&url, &["strike", "refund"]);
    assert!(whole.status.success(), "{}", stderr(&whole));
    eventually(WAIT, "all three rules", || async {
        producer.strikes().len() == 3
    })
    .await;
    let expected = [
        Strike::task("order").arg("amount").between(10, 20.5),
        Strike::task("refund"),
        Strike::any_task().arg("customer_id").eq("12345"),
    ];
    for rule in &expected {
        assert!(
            producer.strikes().iter().any(|kept| kept == rule),
            "{rule} is kept"
        );
    }

    let listed = docket_cli(&url, &["strike"]);
    assert!(listed.status.success());
    let listed = stdout(&listed);
    for rule in &expected {
        assert!(
            listed
                .lines()
                .any(|line| line.split('\t').next() == Some(&rule.to_string())),
            "{rule} in {listed}"
        );
    }

    let restored = docket_cli(&url, &["restore", "customer_id", "==", "\"12345\""]);
    assert!(restored.status.success(), "{}", stderr(&restored));
    assert_eq!(
        stdout(&restored).trim(),
        "restored: every task where customer_id == \"12345\""
    );
    eventually(WAIT, "the running producer to learn of the restore", || async {
        producer.strikes().len() == 2
    })
    .await;
    let absent = docket_cli(&url, &["restore", "customer_id", "==", "12345"]);
    assert!(absent.status.success());
    assert!(
        stdout(&absent).starts_with("was not struck: "),
        "an integer rule is another rule: {}",
        stdout(&absent)
    );
    producer.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_strike_listing_gives_each_rule_a_restore_command_that_can_be_pasted() {
    let server = RedisServer::start();
    let url = server.url();
    let docket = Docket::connect(&url).await.unwrap();
    let rules = [
        Strike::task("process_order"),
        Strike::any_task().arg("customer_id").eq("12345"),
        Strike::task("refund").arg("amount").lt(-7),
        Strike::any_task().arg("ratio").between(0.5, 20.0),
        Strike::any_task().arg("note").ne("it's \"odd\" $HOME"),
        Strike::any_task().arg("vip").eq(true),
        Strike::any_task().arg("label").eq(""),
    ];
    for rule in &rules {
        assert!(docket.strike(rule.clone()).await.unwrap(), "{rule}");
    }
    let listed = docket_cli(&url, &["strike"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    let listed = stdout(&listed);
    assert_eq!(listed.lines().count(), rules.len(), "{listed}");
    for line in listed.lines() {
        let (rule, command) = line.split_once('\t').expect("a rule and its command");
        // The command's words, as a shell splits them.
        let words = Command::new("sh")
            .args(["-c", &format!("printf '%s\\0' {command}")])
            .output()
            .expect("run sh");
        let words: Vec<String> = String::from_utf8(words.stdout)
            .unwrap()
            .split_terminator('\0')
            .map(str::to_string)
            .collect();
        assert_eq!(&words[..2], ["docket", "restore"], "{command}");
        let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
        let restored = docket_cli(&url, &args);
        assert!(restored.status.success(), "{command}: {}", stderr(&restored));
        assert_eq!(stdout(&restored).trim(), format!("restored: {rule}"), "{command}");
    }
    assert_eq!(stdout(&docket_cli(&url, &["strike"])).trim(), "nothing is struck");
    docket.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn striking_a_task_nobody_knows_warns_but_keeps_the_rule() {
    let server = RedisServer::start();
    let url = server.url();
    let known = docket_cli(&url, &["strike", "docket.trace"]);
    assert!(known.status.success(), "{}", stderr(&known));
    assert!(
        !stderr(&known).contains("warning"),
        "the binary links it: {}",
        stderr(&known)
    );

    let typo = docket_cli(&url, &["strike", "proces_order", "customer_id", "==", "7"]);
    assert!(typo.status.success(), "{}", stderr(&typo));
    assert!(
        stderr(&typo).contains("warning: no live worker runs a task called `proces_order`"),
        "{}",
        stderr(&typo)
    );
    let docket = Docket::connect(&url).await.unwrap();
    assert_eq!(docket.strikes().len(), 2, "both rules are in place");
    docket.close().await;
}

#[test]
fn malformed_rules_are_usage_errors() {
    for words in [
        &["strike", "amount", "between", "1"][..],
        &["strike", "amount", "==", "1", "2"],
        &["strike", "order", "amount", "=~", "1"],
        &["strike", "order", "amount"],
        &["restore"],
    ] {
        let output = docket_cli("memory://cli-malformed", words);
        assert_eq!(output.status.code(), Some(2), "{words:?}: {}", stderr(&output));
        assert!(
            stderr(&output).contains("error"),
            "{words:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn an_unreachable_redis_fails_the_command_in_bounded_time() {
    let url = format!("redis://127.0.0.1:{}/0", free_port());
    let output = docket_cli(&url, &["strike", "order"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).to_lowercase().contains("error"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_and_built_in_tasks_from_the_command_line() {
    let server = RedisServer::start();
    let url = server.url();
    let docket = Docket::connect(&url).await.unwrap();

    let none = docket_cli(&url, &["workers", "ls"]);
    assert!(none.status.success(), "{}", stderr(&none));
    assert_eq!(stdout(&none).trim(), "no live worker");

    let later = docket_cli(&url, &["tasks", "trace", "hello from the CLI", "--delay", "1h"]);
    assert!(later.status.success(), "{}", stderr(&later));
    let key = stdout(&later)
        .trim()
        .strip_prefix("scheduled ")
        .expect("the key is printed")
        .to_string();
    let info = docket
        .execution(&key)
        .await
        .unwrap()
        .expect("the task is scheduled");
    assert_eq!(info.task, "docket.trace");
    assert_eq!(info.state, docket::ExecutionState::Scheduled);

    let worker = docket_worker::Worker::builder(&docket)
        .name("cli-listed")
        .build()
        .unwrap();
    let stop = worker.shutdown_handle();
    let running = tokio::spawn(async move { worker.run_forever().await });
    eventually(WAIT, "the worker to be listed", || async {
        stdout(&docket_cli(&url, &["workers", "ls"])).contains("cli-listed")
    })
    .await;
    let listed = stdout(&docket_cli(&url, &["workers", "for-task", "docket.sleep"]));
    assert!(listed.starts_with("cli-listed\t"), "{listed}");
    assert!(listed.contains("docket.trace"), "its tasks are listed: {listed}");
    let unknown = stdout(&docket_cli(&url, &["workers", "for-task", "no.such.task"]));
    assert_eq!(unknown.trim(), "no live worker");

    let now = docket_cli(&url, &["tasks", "sleep", "0.01"]);
    assert!(now.status.success(), "{}", stderr(&now));
    let key = stdout(&now)
        .trim()
        .strip_prefix("scheduled ")
        .unwrap()
        .to_string();
    eventually(WAIT, "the built-in sleep to complete", || async {
        docket.execution(&key).await.unwrap().map(|info| info.state)
            == Some(docket::ExecutionState::Completed)
    })
    .await;
    stop.shutdown();
    running.await.unwrap().unwrap();
    docket.close().await;
}

/// Schedules `double` now (key `now`) and in an hour (key `later`).
async fn now_and_later(docket: &Docket) {
    double::schedule(docket, 1).key("now").await.unwrap();
    double::schedule(docket, 2)
        .key("later")
        .after(Duration::from_secs(3600))
        .await
        .unwrap();
}

/// How many executions are queued or running, and how many scheduled.
async fn counts(docket: &Docket) -> (u64, u64) {
    let backlog = docket.backend().backlog().await.unwrap();
    (backlog.ready, backlog.scheduled)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clear_asks_for_confirmation_then_removes_queued_and_scheduled_work() {
    let server = RedisServer::start();
    let url = server.url();
    let docket = Docket::connect(&url).await.unwrap();
    docket.strike(Strike::task("never-scheduled")).await.unwrap();
    now_and_later(&docket).await;

    // Not a terminal (standard input is closed) and no --yes: a usage error, nothing removed.
    let refused = docket_cli(&url, &["clear"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("--yes"), "{}", stderr(&refused));
    assert_eq!(counts(&docket).await, (1, 1));

    // On a terminal (a pseudo-terminal from `script`) it asks, and only a yes clears.
    let at_terminal = |answer: &str| {
        let mut child = Command::new("timeout")
            .args(["20", "script", "-qec"])
            .arg(format!("{} clear", env!("CARGO_BIN_EXE_test-worker")))
            .arg("/dev/null")
            .env("DOCKET_URL", &url)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run script (util-linux)");
        use std::io::Write as _;
        child.stdin.take().unwrap().write_all(answer.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let declined = at_terminal("n\n");
    assert_eq!(declined.status.code(), Some(1), "{}", stdout(&declined));
    assert!(
        stdout(&declined).contains("(1 scheduled, 1 queued or running;"),
        "{}",
        stdout(&declined)
    );
    assert!(
        stdout(&declined).contains("not confirmed: nothing was cleared"),
        "{}",
        stdout(&declined)
    );
    assert_eq!(counts(&docket).await, (1, 1));
    let confirmed = at_terminal("y\n");
    assert!(confirmed.status.success(), "{}", stdout(&confirmed));
    assert!(
        stdout(&confirmed).contains("cleared 2 executions"),
        "{}",
        stdout(&confirmed)
    );
    assert_eq!(counts(&docket).await, (0, 0));

    now_and_later(&docket).await;
    let cleared = docket_cli(&url, &["clear", "--yes"]);
    assert!(cleared.status.success(), "{}", stderr(&cleared));
    assert_eq!(stdout(&cleared).trim(), "cleared 2 executions");
    assert_eq!(counts(&docket).await, (0, 0));
    assert!(docket.execution("later").await.unwrap().is_none());
    assert_eq!(docket.strikes().len(), 1, "strike rules are kept");
    let again = double::schedule(&docket, 3).key("later").await.unwrap();
    assert_eq!(
        again.disposition(),
        docket::Disposition::Scheduled,
        "a cleared key is free at once"
    );
    docket.close().await;
}

/// Doubles `n`.
#[docket::task]
async fn double(n: i64) -> i64 {
    n * 2
}

/// Schedules `double` under `key` with arguments that do not fit it, runs a worker until it
/// has dead-lettered it, and stops the worker.
async fn dead_letter(docket: &Docket, key: &str) {
    let poison =
        docket::codec::encode_args(&std::collections::BTreeMap::from([("n", "not a number")])).unwrap();
    let task = docket::backend::NewTask::new(key, double::NAME, poison, docket::backend::Due::Now);
    docket.backend().schedule(&[task]).await.unwrap();
    let worker = docket_worker::Worker::builder(docket).build().unwrap();
    worker.run_until_finished().await.unwrap();
    assert!(docket
        .dead_letters(10)
        .await
        .unwrap()
        .iter()
        .any(|letter| letter.key == key));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_are_listed_and_requeued_from_the_command_line() {
    let server = RedisServer::start();
    let url = server.url();
    let docket = Docket::connect(&url).await.unwrap();
    assert_eq!(
        stdout(&docket_cli(&url, &["dead-letters", "ls"])).trim(),
        "no dead letter"
    );
    dead_letter(&docket, "poison-1").await;
    dead_letter(&docket, "poison-2").await;

    let listed = stdout(&docket_cli(&url, &["dead-letters", "ls"]));
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(
        lines[0].contains("\tpoison-2\tdouble\t"),
        "newest first: {listed}"
    );
    let id = lines[1].split('\t').next().unwrap().to_string();

    let requeued = docket_cli(&url, &["dead-letters", "requeue", &id]);
    assert!(requeued.status.success(), "{}", stderr(&requeued));
    assert!(
        stdout(&requeued).starts_with(&format!("requeued: {id} (double poison-1)")),
        "{}",
        stdout(&requeued)
    );
    let info = docket
        .execution("poison-1")
        .await
        .unwrap()
        .expect("scheduled again");
    assert_eq!(info.state, docket::ExecutionState::Queued);
    let left = stdout(&docket_cli(&url, &["dead-letters", "ls"]));
    assert_eq!(left.lines().count(), 1, "the requeued letter is gone: {left}");

    let unknown = docket_cli(&url, &["dead-letters", "requeue", "0-1"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).contains("no dead letter `0-1`"),
        "{}",
        stderr(&unknown)
    );

    let all = docket_cli(&url, &["dead-letters", "requeue", "--all"]);
    assert!(all.status.success(), "{}", stderr(&all));
    assert!(stdout(&all).contains("poison-2"), "{}", stdout(&all));
    assert_eq!(
        stdout(&docket_cli(&url, &["dead-letters", "ls"])).trim(),
        "no dead letter"
    );
    assert!(docket.execution("poison-2").await.unwrap().is_some());
    docket.close().await;
}

/// Waits for `gate` to be sent a message (a oneshot taken from `GATES`).
#[docket::task]
async fn held(gate: String) {
    let receiver = GATES.lock().unwrap().remove(&gate);
    if let Some(receiver) = receiver {
        let _ = receiver.await;
    }
}

static GATES: std::sync::Mutex<std::collections::BTreeMap<String, tokio::sync::oneshot::Receiver<()>>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_shows_running_queued_and_future_work_as_a_table_with_stats_and_as_json() {
    let server = RedisServer::start();
    let url = server.url();
    let docket = Docket::connect(&url).await.unwrap();
    assert!(stdout(&docket_cli(&url, &["snapshot"])).contains("nothing is running, queued or scheduled"));

    let (open, gate) = tokio::sync::oneshot::channel();
    GATES.lock().unwrap().insert("snap".to_string(), gate);
    let worker = docket_worker::Worker::builder(&docket)
        .name("w-snap")
        .concurrency(1)
        .build()
        .unwrap();
    let stop = worker.shutdown_handle();
    let running = tokio::spawn(async move { worker.run_forever().await });
    let holding = held::schedule(&docket, "snap".into())
        .key("holding")
        .await
        .unwrap();
    eventually(WAIT, "the held task to run", || async {
        holding.state().await.unwrap() == Some(docket::ExecutionState::Running)
    })
    .await;
    double::schedule(&docket, 1).key("waiting").await.unwrap();
    double::schedule(&docket, 2)
        .key("future")
        .after(Duration::from_secs(3600))
        .await
        .unwrap();
    eventually(WAIT, "the worker to be listed", || async {
        !docket.workers().await.unwrap().is_empty()
    })
    .await;

    let table = docket_cli(&url, &["snapshot", "--stats"]);
    assert!(table.status.success(), "{}", stderr(&table));
    let table = stdout(&table);
    let row = |key: &str| {
        table
            .lines()
            .find(|line| line.contains(key))
            .unwrap_or_else(|| panic!("no {key} in {table}"))
    };
    assert!(
        row("holding").contains("running") && row("holding").contains("on w-snap"),
        "{table}"
    );
    assert!(row("waiting").contains("queued"), "{table}");
    assert!(
        row("future").contains("in 59m") || row("future").contains("in 1h"),
        "{table}"
    );
    let stats = table
        .lines()
        .find(|line| line.contains(" double ") && !line.contains("waiting") && !line.contains("future"));
    let stats = stats.unwrap_or_else(|| panic!("no totals row for double in {table}"));
    let counts: Vec<&str> = stats
        .split(['│', '┆'])
        .map(str::trim)
        .filter(|cell| !cell.is_empty())
        .collect();
    assert_eq!(counts, ["double", "0", "1", "1"], "{table}");
    assert!(table.contains("1 worker: w-snap"), "{table}");

    let json = docket_cli(&url, &["snapshot", "--json"]);
    assert!(json.status.success(), "{}", stderr(&json));
    let document: serde_json::Value = serde_json::from_slice(&json.stdout).expect("valid JSON");
    let executions = document["executions"].as_array().unwrap();
    assert_eq!(executions.len(), 3, "{document}");
    let holding_json = executions.iter().find(|e| e["key"] == "holding").unwrap();
    assert_eq!(holding_json["worker"], "w-snap");
    assert!(holding_json["started_ms"].as_u64().is_some(), "{document}");
    assert_eq!(document["workers"][0]["name"], "w-snap");
    let totals = document["totals"].as_array().unwrap();
    assert!(
        totals
            .iter()
            .any(|t| t["task"] == "double" && t["queued"] == 1 && t["scheduled"] == 1),
        "{document}"
    );

    let _ = open.send(());
    holding.result_timeout(WAIT).await.unwrap();
    stop.shutdown();
    running.await.unwrap().unwrap();
    docket.close().await;
}

/// Reports three steps of progress, each a little apart, then returns.
#[docket::task]
async fn steps(progress: docket::Progress) {
    progress.set_total(3);
    for step in 1..=3 {
        progress.increment(1);
        progress.set_message(if step == 3 {
            "done".to_string()
        } else {
            format!("step {step}")
        });
        tokio::time::sleep(Duration::from_millis(80)).await;
    }
}

/// A running `docket watch KEY`, its output read line by line as it comes.
struct Watch {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Watch {
    fn start(url: &str, key: &str) -> Watch {
        use std::io::BufRead;
        let mut child = Command::new(env!("CARGO_BIN_EXE_test-worker"))
            .args(["watch", key])
            .env("DOCKET_URL", url)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start docket watch");
        let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let (send, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                let _ = send.send(line);
            }
        });
        Watch { child, lines }
    }

    /// The next line it prints (bounded wait).
    fn line(&self) -> String {
        self.lines
            .recv_timeout(WAIT)
            .expect("docket watch printed nothing in time")
    }

    /// Waits (bounded) for it to exit; its exit code and the lines it printed since.
    async fn finish(mut self) -> (Option<i32>, Vec<String>) {
        let deadline = Instant::now() + WAIT;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "docket watch did not exit in time");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        // The reader thread ends with the output: every line is in the channel by then.
        let lines = std::iter::from_fn(|| self.lines.recv_timeout(WAIT).ok()).collect();
        (status.code(), lines)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_follows_a_task_with_progress_to_its_end_and_exits_by_its_outcome() {
    let server = RedisServer::start();
    let url = server.url();
    let docket = Docket::connect(&url).await.unwrap();
    steps::schedule(&docket).key("steps").await.unwrap();
    docket::tasks::fail::schedule(&docket, "it broke".into())
        .key("boom")
        .await
        .unwrap();
    let watch = Watch::start(&url, "steps");
    // Printed once it is subscribed: nothing that follows can be missed.
    assert_eq!(watch.line(), "steps: queued");
    let failing = Watch::start(&url, "boom");
    assert_eq!(failing.line(), "boom: queued");

    let worker = docket_worker::Worker::builder(&docket)
        .name("w-watch")
        .build()
        .unwrap();
    let stop = worker.shutdown_handle();
    let running = tokio::spawn(async move { worker.run_forever().await });

    let (code, lines) = watch.finish().await;
    assert_eq!(code, Some(0), "{lines:?}");
    assert_eq!(
        lines.first().map(String::as_str),
        Some("steps: running on w-watch"),
        "{lines:?}"
    );
    assert_eq!(
        lines.last().map(String::as_str),
        Some("steps: completed"),
        "{lines:?}"
    );
    let progress: Vec<&String> = lines
        .iter()
        .filter(|line| line.starts_with("progress "))
        .collect();
    assert_eq!(
        progress.last().map(|line| line.as_str()),
        Some("progress 3/3 done"),
        "{lines:?}"
    );

    let (code, lines) = failing.finish().await;
    assert_eq!(code, Some(3), "a failure exits 3: {lines:?}");
    assert!(
        lines.last().unwrap().starts_with("boom: failed: it broke"),
        "{lines:?}"
    );

    let unknown = Command::new(env!("CARGO_BIN_EXE_test-worker"))
        .args(["watch", "no-such-key"])
        .env("DOCKET_URL", &url)
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("run the docket binary");
    assert_eq!(unknown.status.code(), Some(1));
    assert_eq!(
        stderr(&unknown).trim(),
        "error: no execution with key `no-such-key` is known (never scheduled, or its record expired)",
        "one line, no backtrace"
    );
    stop.shutdown();
    running.await.unwrap().unwrap();
    docket.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_flushall_a_new_rule_replaces_the_lost_ones_everywhere() {
    let server = RedisServer::start();
    let url = server.url();
    let operator = Docket::connect(&url).await.unwrap();
    let producer = Docket::connect(&url).await.unwrap();
    operator.strike(Strike::task("old")).await.unwrap();
    eventually(Duration::from_secs(5), "the first rule to arrive", || async {
        producer.strikes().len() == 1
    })
    .await;
    let flushed = Command::new("redis-cli")
        .args(["-p", &server.port().to_string(), "flushall"])
        .output()
        .unwrap();
    assert!(flushed.status.success());
    // The version must not repeat the lost one: both processes take the new rules.
    operator.strike(Strike::task("new")).await.unwrap();
    let only_new = |docket: &Docket| {
        let rules: Vec<Strike> = docket.strikes().iter().cloned().collect();
        rules == [Strike::task("new")]
    };
    assert!(only_new(&operator), "{:?}", operator.strikes());
    eventually(
        Duration::from_secs(5),
        "the producer to drop the lost rule and take the new one",
        || async { only_new(&producer) },
    )
    .await;
    operator.close().await;
    producer.close().await;
}
