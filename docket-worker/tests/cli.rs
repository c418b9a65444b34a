//! The bare `docket` binary links no task: it can print its version, and refuses to run a
//! worker with a clear message.

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
fn a_worker_without_tasks_fails_clearly() {
    let output = Command::new(env!("CARGO_BIN_EXE_docket"))
        .args(["worker", "--url", "memory://cli-no-tasks"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no tasks are registered"), "{stderr}");
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
async fn building_a_worker_without_tasks_is_an_error() {
    let docket = Docket::connect("memory://no-tasks").await.unwrap();
    let error = Worker::builder(&docket)
        .registry(Registry::default())
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("no tasks are registered"), "{error}");
}
