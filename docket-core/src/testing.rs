//! Helpers for your own tests: assert what a docket holds.
//!
//! Run tasks in a test with a `memory://` docket and a worker in the same process (no server
//! needed), then check what was scheduled:
//!
//! ```
//! use std::time::Duration;
//! use docket::testing::{assert_not_scheduled, assert_scheduled, assert_scheduled_count};
//!
//! #[docket::task]
//! async fn send_welcome(user_id: u64) {}
//!
//! #[docket::task]
//! async fn purge_account(user_id: u64) {}
//!
//! /// The code under test: signs a user up.
//! async fn sign_up(docket: &docket::Docket, user_id: u64) -> Result<(), docket::Error> {
//!     send_welcome::schedule(docket, user_id).await?;
//!     send_welcome::schedule(docket, user_id).after(Duration::from_secs(86_400)).await?;
//!     Ok(())
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), docket::Error> {
//! let docket = docket::Docket::connect("memory://sign-up-test").await?;
//! sign_up(&docket, 7).await?;
//! assert_scheduled_count::<send_welcome::Task>(&docket, 2).await;
//! let welcome = assert_scheduled::<send_welcome::Task>(&docket).await;
//! assert_eq!(welcome.argument::<u64>("user_id"), Some(7));
//! assert_not_scheduled::<purge_account::Task>(&docket).await;
//! // To run what was scheduled, run a worker in the test:
//! // docket_worker::Worker::builder(&docket).build()?.run_until_finished().await?;
//! # Ok(()) }
//! ```
//!
//! A complete example test, with a worker, is `examples/tests/testing_helpers.rs`.
//!
//! Each assertion panics with a message that lists what the docket holds.

use crate::docket::{Docket, Snapshot};
use crate::execution::ExecutionInfo;
use crate::task::Task;

async fn snapshot(docket: &Docket) -> Snapshot {
    match docket.snapshot().await {
        Ok(snapshot) => snapshot,
        Err(error) => panic!("cannot read docket `{}`: {error}", docket.name()),
    }
}

fn listing(snapshot: &Snapshot) -> String {
    if snapshot.executions.is_empty() {
        return "the docket holds no scheduled, queued or running execution".to_string();
    }
    let mut text = format!(
        "the docket holds {} live execution(s):",
        snapshot.executions.len()
    );
    for info in &snapshot.executions {
        text.push_str("\n  ");
        text.push_str(&info.to_string());
    }
    text
}

/// The live (scheduled, queued or running) executions of task `T`.
pub async fn scheduled<T: Task>(docket: &Docket) -> Vec<ExecutionInfo> {
    snapshot(docket).await.of_task(T::NAME).cloned().collect()
}

/// Asserts that task `T` has a live execution and returns the first one (running, then
/// queued, then the earliest scheduled).
pub async fn assert_scheduled<T: Task>(docket: &Docket) -> ExecutionInfo {
    let snapshot = snapshot(docket).await;
    let found = snapshot.of_task(T::NAME).next().cloned();
    match found {
        Some(info) => info,
        None => panic!(
            "expected task `{}` to be scheduled, but it is not; {}",
            T::NAME,
            listing(&snapshot)
        ),
    }
}

/// Asserts that task `T` has no live execution.
pub async fn assert_not_scheduled<T: Task>(docket: &Docket) {
    let snapshot = snapshot(docket).await;
    if snapshot.of_task(T::NAME).next().is_some() {
        panic!(
            "expected task `{}` not to be scheduled, but it is; {}",
            T::NAME,
            listing(&snapshot)
        );
    }
}

/// Asserts that task `T` has exactly `expected` live executions.
pub async fn assert_scheduled_count<T: Task>(docket: &Docket, expected: usize) {
    let snapshot = snapshot(docket).await;
    let found = snapshot.of_task(T::NAME).count();
    if found != expected {
        panic!(
            "expected task `{}` to be scheduled {expected} time(s), found {found}; {}",
            T::NAME,
            listing(&snapshot)
        );
    }
}

/// Asserts that the execution with `key` is live and returns it.
pub async fn assert_key_scheduled(docket: &Docket, key: &str) -> ExecutionInfo {
    let snapshot = snapshot(docket).await;
    let found = snapshot.executions.iter().find(|info| info.key == key).cloned();
    match found {
        Some(info) => info,
        None => panic!(
            "expected an execution with key `{key}` to be scheduled, but there is none; {}",
            listing(&snapshot)
        ),
    }
}
