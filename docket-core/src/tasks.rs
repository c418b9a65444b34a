//! Built-in tasks, registered in every worker (SPEC F09): schedule them from code
//! (`docket::tasks::trace::schedule(&docket, "hello".into())`) or with `docket tasks ..`.

use std::time::Duration;

use crate::task::TaskDescriptor;

/// Logs `message` at INFO level on the worker that runs it (a smoke test of a docket).
#[crate::task(crate = crate, name = "docket.trace")]
pub async fn trace(message: String) {
    tracing::info!(%message, "trace");
}

/// Fails with `message` (to see how failures are shown and retried).
#[crate::task(crate = crate, name = "docket.fail")]
pub async fn fail(message: String) -> Result<(), Failed> {
    Err(Failed(message))
}

/// Sleeps for `seconds` (fractions allowed; negative, non-finite or unrepresentably large
/// values sleep not at all).
#[crate::task(crate = crate, name = "docket.sleep")]
pub async fn sleep(seconds: f64) {
    let duration = Duration::try_from_secs_f64(seconds).unwrap_or(Duration::ZERO);
    tokio::time::sleep(duration).await;
}

/// The error of the built-in [`fail`](fn@fail) task: its message as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Failed(pub String);

/// The built-in tasks, which every registry includes.
pub(crate) static BUILT_IN: [&TaskDescriptor; 3] =
    [&trace::DESCRIPTOR, &fail::DESCRIPTOR, &sleep::DESCRIPTOR];
