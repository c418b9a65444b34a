//! An agenda: calls of several tasks collected first, then scattered evenly over a window so
//! that a batch of work trickles in instead of arriving at once.
//!
//! ```text
//! cargo run --example agenda
//! ```
//!
//! Runs on `memory://`; set `DOCKET_URL=redis://…` to use Redis.

use std::time::{Duration, Instant};

use docket::{Agenda, Disposition, Docket};
use docket_worker::Worker;

/// Re-indexes one document.
#[docket::task]
async fn reindex(document: u64, started: docket::State<Instant>) {
    println!(
        "  {:>5} ms  reindexed document {document}",
        started.elapsed().as_millis()
    );
}

/// Reports that the batch is through.
#[docket::task]
async fn report(documents: u64, started: docket::State<Instant>) {
    println!(
        "  {:>5} ms  report: {documents} documents",
        started.elapsed().as_millis()
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DOCKET_URL").unwrap_or_else(|_| "memory://agenda".to_string());
    let docket = Docket::connect(&url).await?;

    // Keys make the agenda safe to scatter again: calls still pending are left alone.
    let mut agenda: Agenda = (1..=8)
        .map(|document| reindex::call(document).key(format!("reindex:{document}")))
        .collect();
    agenda.add(report::call(8).key("report"));

    let started = Instant::now();
    let executions = agenda
        .scatter(&docket, Duration::from_secs(2))
        .jitter(Duration::from_millis(50))
        .await?;
    println!("scattered {} calls over 2 s (±50 ms of jitter)", executions.len());
    let again = agenda.scatter(&docket, Duration::from_secs(2)).await?;
    let kept = again
        .iter()
        .filter(|e| e.disposition() == Disposition::AlreadyScheduled)
        .count();
    println!(
        "scattered again at once: {kept} of {} were already scheduled",
        again.len()
    );

    Worker::builder(&docket)
        .state(started)
        .build()?
        .run_until_finished()
        .await?;
    docket.close().await;
    Ok(())
}
