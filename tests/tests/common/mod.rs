//! Tasks and helpers shared by the behaviour tests (included with `mod common;`).

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use docket::Docket;
use docket_worker::{ShutdownHandle, Worker};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// Adds two numbers.
#[docket::task]
pub async fn add(a: i64, b: i64) -> i64 {
    a + b
}

/// Fails with an I/O error carrying `message`.
#[docket::task]
pub async fn fails(message: String) -> Result<(), std::io::Error> {
    Err(std::io::Error::other(message))
}

/// Panics with `message`.
#[docket::task]
pub async fn panics(message: String) {
    panic!("{message}");
}

/// Records that it ran with `label`.
#[docket::task]
pub async fn record(label: String) {
    runs().lock().unwrap().push(label);
}

/// Returns a string of `size` bytes.
#[docket::task]
pub async fn sized(size: u64) -> String {
    "x".repeat(usize::try_from(size).unwrap_or(0))
}

/// Waits until the gate called `gate` opens; records when its future is dropped unfinished.
#[docket::task]
pub async fn gated(gate: String) -> String {
    let opened = gate_notify(&gate);
    runs().lock().unwrap().push(format!("{gate}:started"));
    let guard = DropFlag(gate.clone());
    opened.notified().await;
    std::mem::forget(guard);
    gate
}

/// How many times each label was recorded.
pub fn count(label: &str) -> usize {
    runs().lock().unwrap().iter().filter(|l| *l == label).count()
}

/// Opens the gate called `gate`, letting its task finish.
pub fn open_gate(gate: &str) {
    gate_notify(gate).notify_one();
}

fn runs() -> &'static Mutex<Vec<String>> {
    static RUNS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    RUNS.get_or_init(|| Mutex::new(Vec::new()))
}

/// The gate called `gate`, shared by every task and test of this process.
pub fn gate_notify(gate: &str) -> Arc<Notify> {
    static GATES: OnceLock<Mutex<HashMap<String, Arc<Notify>>>> = OnceLock::new();
    GATES
        .get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap()
        .entry(gate.to_string())
        .or_default()
        .clone()
}

struct DropFlag(String);

impl Drop for DropFlag {
    fn drop(&mut self) {
        runs().lock().unwrap().push(format!("{}:dropped", self.0));
    }
}

/// A worker running in the background of a test, stopped when dropped.
pub struct RunningWorker {
    /// Stops the worker.
    pub stop_handle: ShutdownHandle,
    /// The worker's task.
    pub handle: Option<JoinHandle<Result<(), docket_worker::Error>>>,
}

impl RunningWorker {
    /// Stops the worker gracefully and waits for it.
    pub async fn stop(mut self) {
        self.stop_handle.shutdown();
        if let Some(handle) = self.handle.take() {
            handle.await.expect("worker task").expect("worker run");
        }
    }
}

impl Drop for RunningWorker {
    fn drop(&mut self) {
        self.stop_handle.shutdown();
    }
}

/// A worker builder with test-friendly timings.
pub fn test_worker(docket: &Docket) -> docket_worker::WorkerBuilder {
    Worker::builder(docket)
        .concurrency(4)
        .scheduling_resolution(Duration::from_millis(20))
        .redelivery_timeout(Duration::from_secs(2))
        .shutdown_timeout(Duration::from_secs(5))
}

/// Starts a worker in the background.
pub fn start(builder: docket_worker::WorkerBuilder) -> RunningWorker {
    let worker = builder.build().expect("build the worker");
    let stop_handle = worker.shutdown_handle();
    let handle = tokio::spawn(async move { worker.run_forever().await });
    RunningWorker {
        stop_handle,
        handle: Some(handle),
    }
}

/// Runs `add(a, b)` on whatever worker serves `docket` and returns its result (within
/// [`WAIT`]): proof that the docket still works.
pub async fn sum(docket: &Docket, a: i64, b: i64) -> i64 {
    add::schedule(docket, a, b)
        .await
        .expect("schedule add")
        .result_timeout(WAIT)
        .await
        .expect("the result of add")
}

/// Waits until `execution` is RUNNING on some worker.
pub async fn until_running<T: serde::de::DeserializeOwned>(execution: &docket::Execution<T>) {
    let what = format!("execution `{}` to run", execution.key());
    docket_tests::eventually(WAIT, &what, || async {
        execution.state().await.unwrap() == Some(docket::ExecutionState::Running)
    })
    .await;
}

/// How long tests wait for anything before failing.
pub const WAIT: Duration = Duration::from_secs(15);

/// How many times Redis ran any script.
pub fn script_calls(server: &docket_tests::RedisServer) -> u64 {
    let output = std::process::Command::new("redis-cli")
        .args(["-p", &server.port().to_string(), "info", "commandstats"])
        .output()
        .expect("run redis-cli");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| line.starts_with("cmdstat_evalsha:") || line.starts_with("cmdstat_eval:"))
        .filter_map(|line| {
            line.split("calls=")
                .nth(1)?
                .split(',')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum()
}
