//! Keeping leases and presence: renewing the leases of running deliveries so no other worker
//! takes them over, and announcing the worker in the registry.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::runner::{interrupt, leases, InFlight};
use crate::worker::Config;

/// The most leases renewed in one backend call.
const RENEW_CHUNK: usize = 500;

/// How often leases are renewed: four times per redelivery timeout.
pub(crate) fn renew_interval(config: &Config) -> Duration {
    (config.redelivery_timeout / 4).max(Duration::from_millis(20))
}

/// Renews the leases of everything in flight until stopped.
pub(crate) async fn keep(config: Arc<Config>, in_flight: InFlight, stop: CancellationToken) {
    let mut ticker = tokio::time::interval(renew_interval(&config));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.cancelled() => return,
        }
        for chunk in leases(&in_flight).chunks(RENEW_CHUNK) {
            match config.backend().renew(&config.name, chunk).await {
                Ok(lost) => {
                    // Cancelled (a missed notification), replaced, or taken over by another
                    // worker after we stalled: stop running them. A run that ended since the
                    // chunk was taken comes back too (its record is finished); it is no longer
                    // in flight, so it is not a loss.
                    for key in interrupt(&in_flight, &lost) {
                        tracing::warn!(%key, "interrupting a run whose lease was lost");
                    }
                }
                Err(error) => tracing::warn!(%error, "renewing leases failed"),
            }
        }
    }
}

/// How often a worker heartbeats: as often as it renews leases, at least every 5 s.
pub(crate) fn heartbeat_interval(redelivery_timeout: Duration) -> Duration {
    (redelivery_timeout / 4)
        .max(Duration::from_millis(20))
        .min(Duration::from_secs(5))
}

/// How long a worker counts as alive after a heartbeat: three heartbeat periods, so one late
/// or lost heartbeat does not drop it from the list.
pub(crate) fn presence_ttl(redelivery_timeout: Duration) -> Duration {
    heartbeat_interval(redelivery_timeout) * 3
}

/// Announces the worker as alive until stopped, but only while it can claim work.
pub(crate) async fn heartbeat(config: Arc<Config>, stop: CancellationToken) {
    let mut ticker = tokio::time::interval(heartbeat_interval(config.redelivery_timeout));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = config.claiming_again.notified() => {}
            _ = stop.cancelled() => return,
        }
        if !config.claiming.load(Ordering::Acquire) {
            continue;
        }
        match config.backend().heartbeat(&config.presence).await {
            Ok(alive) => config.fleet.store(alive.max(1), Ordering::Relaxed),
            // Our heartbeats lapsed (an outage) and another process took the name meanwhile.
            Err(error @ docket::Error::WorkerNameTaken { .. }) => {
                tracing::error!(%error, "heartbeat refused")
            }
            Err(error) => tracing::warn!(%error, "heartbeat failed"),
        }
    }
}
