//! Records outcomes in batches: whatever has finished since the last flush goes to the
//! backend in one call, while the claim loop keeps reading.

use std::sync::Arc;

use docket::backend::Outcome;
use tokio::sync::mpsc;

use crate::runner::{recorded, InFlight};
use crate::worker::{Backoff, Config};

/// The most outcomes recorded in one backend call.
const MAX_BATCH: usize = 512;

/// The stage that flushes outcomes.
pub(crate) struct Completer {
    config: Arc<Config>,
    receiver: mpsc::UnboundedReceiver<Outcome>,
    in_flight: InFlight,
}

impl Completer {
    pub fn new(config: Arc<Config>, receiver: mpsc::UnboundedReceiver<Outcome>, in_flight: InFlight) -> Self {
        Self {
            config,
            receiver,
            in_flight,
        }
    }

    /// Runs until every sender is gone and every outcome is recorded.
    pub async fn run(mut self) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while self.receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
            let mut backoff = Backoff::default();
            // An outcome that cannot be written leaves its delivery pending: we keep trying,
            // and if this process dies the delivery is redelivered.
            while let Err(error) = self.config.backend().complete(&self.config.name, &batch).await {
                let delay = backoff.next();
                tracing::warn!(%error, outcomes = batch.len(), retry_in = ?delay, "recording outcomes failed");
                tokio::time::sleep(delay).await;
            }
            // Recorded: their leases need no renewing any more.
            recorded(&self.in_flight, batch.drain(..).map(|outcome| outcome.id));
        }
    }
}
