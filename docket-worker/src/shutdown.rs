//! Graceful shutdown: a token (and optionally SIGTERM/SIGINT) asks the worker to stop
//! claiming; a second signal asks it to stop waiting for running tasks.

use tokio_util::sync::CancellationToken;

/// The two stages of shutdown.
pub(crate) struct Shutdown {
    requested: CancellationToken,
    aborted: CancellationToken,
}

impl Shutdown {
    /// Watches `requested` and, when `signals` is set, SIGTERM and SIGINT.
    pub fn new(requested: CancellationToken, signals: bool) -> std::io::Result<Self> {
        let aborted = CancellationToken::new();
        if signals {
            spawn_signal_listener(requested.clone(), aborted.clone())?;
        }
        Ok(Self { requested, aborted })
    }

    /// Resolves when shutdown was asked for.
    pub async fn requested(&self) {
        self.requested.cancelled().await
    }

    /// Resolves when a second signal asked to skip the wait for running tasks.
    pub async fn aborted(&self) {
        self.aborted.cancelled().await
    }
}

/// Resolves at the first SIGTERM or SIGINT (pending forever if they cannot be watched).
pub(crate) async fn first_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
            (Ok(mut terminate), Ok(mut interrupt)) => {
                tokio::select! {
                    _ = terminate.recv() => {}
                    _ = interrupt.recv() => {}
                }
            }
            _ => std::future::pending().await,
        }
    }
    #[cfg(not(unix))]
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await
    }
}

#[cfg(unix)]
fn spawn_signal_listener(requested: CancellationToken, aborted: CancellationToken) -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    tokio::spawn(async move {
        let mut received = 0;
        loop {
            let name = tokio::select! {
                _ = terminate.recv() => "SIGTERM",
                _ = interrupt.recv() => "SIGINT",
                _ = aborted.cancelled() => return,
            };
            received += 1;
            if received == 1 {
                requested.cancel();
                tracing::info!(
                    signal = name,
                    "shutting down: claiming nothing more, finishing running tasks (signal again to skip)"
                );
            } else {
                tracing::warn!(signal = name, "second signal: releasing running tasks now");
                aborted.cancel();
                return;
            }
        }
    });
    Ok(())
}

#[cfg(not(unix))]
fn spawn_signal_listener(requested: CancellationToken, aborted: CancellationToken) -> std::io::Result<()> {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            requested.cancel();
        }
        if tokio::signal::ctrl_c().await.is_ok() {
            aborted.cancel();
        }
    });
    Ok(())
}
