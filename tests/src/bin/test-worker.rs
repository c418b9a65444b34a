//! A worker binary for the process-level tests: it links a few tasks and runs the `docket`
//! command line.

// Tasks of a library crate reach the registry only if the crate is linked: naming it is
// enough (see the discovery test).
use docket_linked_tasks as _;

use std::time::Duration;

/// Sleeps, then returns how long it slept.
#[docket::task]
async fn slow(millis: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(millis)).await;
    millis
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    docket_worker::main().await
}
