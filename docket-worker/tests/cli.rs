//! The bare `docket` binary links no task of its own: it prints its version, and its worker runs
//! the built-in tasks, warning that nothing else is linked.

use std::process::Command;

use docket::{Docket, Registry};
use docket_worker::Worker;

#[test]
fn version_prints_the_crate_version() {
    let output = Command::new(env!("CARGO_BIN_EXE_docket"))
        .arg("version")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!("docket {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn a_worker_without_task_crates_runs_the_built_in_tasks_and_says_so() {
    let output = Command::new(env!("CARGO_BIN_EXE_docket"))
        .args(["worker", "--url", "memory://cli-no-tasks", "--until-finished"])
        .output()
        .unwrap();
    let logs = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{logs}");
    assert!(logs.contains("only the built-in tasks are registered"), "{logs}");
    assert!(logs.contains("docket.trace"), "{logs}");
}

#[test]
fn bad_flags_exit_with_usage_errors() {
    let output = Command::new(env!("CARGO_BIN_EXE_docket"))
        .args(["worker", "--redelivery-timeout", "5"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("has no unit"), "{stderr}");
}

#[test]
fn a_bad_url_is_reported() {
    let output = Command::new(env!("CARGO_BIN_EXE_docket"))
        .args(["worker", "--url", "postgres://127.0.0.1/x"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("invalid docket url"), "{stderr}");
}

#[tokio::test]
async fn a_concurrency_out_of_range_is_refused() {
    let docket = Docket::connect("memory://bad-concurrency").await.unwrap();
    for concurrency in [0, 1_000_000] {
        let error = Worker::builder(&docket)
            .concurrency(concurrency)
            .build()
            .unwrap_err();
        assert!(
            error.to_string().contains("concurrency must be between 1 and"),
            "{error}"
        );
    }
}

#[tokio::test]
async fn a_worker_always_runs_the_built_in_tasks() {
    let docket = Docket::connect("memory://no-tasks").await.unwrap();
    let worker = Worker::builder(&docket)
        .registry(Registry::default())
        .build()
        .unwrap();
    assert_eq!(worker.tasks(), ["docket.fail", "docket.sleep", "docket.trace"]);
}
