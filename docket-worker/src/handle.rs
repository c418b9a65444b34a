//! [`ShutdownHandle`]: how users stop a worker from outside it.

use tokio_util::sync::CancellationToken;

/// Stops a worker gracefully: it claims nothing more, finishes its running tasks (up to its
/// `shutdown_timeout`) and releases the rest for redelivery.
///
/// Get one from [`Worker::shutdown_handle`](crate::Worker::shutdown_handle), or make one first
/// and hand it to [`WorkerBuilder::shutdown_handle`](crate::WorkerBuilder::shutdown_handle) to
/// stop several workers at once. Cheap to clone; every clone stops the same workers.
#[derive(Debug, Clone, Default)]
pub struct ShutdownHandle {
    token: CancellationToken,
}

impl ShutdownHandle {
    /// A handle that no worker uses yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks every worker using this handle to stop. Returns at once; the workers'
    /// `run_*` futures return when they have stopped.
    pub fn shutdown(&self) {
        self.token.cancel();
    }

    /// Whether shutdown was asked for.
    pub fn is_shutdown(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Resolves once shutdown is asked for.
    pub async fn requested(&self) {
        self.token.cancelled().await
    }

    pub(crate) fn child_token(&self) -> CancellationToken {
        self.token.child_token()
    }
}
