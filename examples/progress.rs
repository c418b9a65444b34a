//! A task that reports its progress from a tight loop, and a subscriber that watches it.
//!
//! The injected `Progress` handle is cheap enough to call for every item: its methods only
//! touch memory of the run, and the run's progress reaches the backend coalesced, at most
//! once per `docket::PROGRESS_INTERVAL` (50 ms). This example measures both: how many
//! increments a second a tight loop makes, and how many progress writes (one event each)
//! the backend got for it. Runs on `memory://`; set `DOCKET_URL=redis://…` to use Redis.
//!
//! ```text
//! cargo run --release --example progress
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use docket::{Docket, Event, ExecutionState, Progress};
use docket_worker::Worker;
use futures::StreamExt;

/// Crunches items for `millis` milliseconds, calling `increment(1)` for every item and saying
/// where it is every million items; returns how many items it crunched.
#[docket::task]
async fn crunch(millis: u64, progress: Progress) -> u64 {
    let until = Instant::now() + Duration::from_millis(millis);
    loop {
        for _ in 0..1_000_000 {
            progress.increment(1);
        }
        progress.set_message(format!("{} million items", progress.current() / 1_000_000));
        if Instant::now() >= until {
            break;
        }
        // A tight loop in an async task should let the runtime breathe now and then.
        tokio::task::yield_now().await;
    }
    progress.current()
}

/// The same loop with a bare atomic counter, for comparison.
fn bare(millis: u64) -> u64 {
    let counter = AtomicU64::new(0);
    let until = Instant::now() + Duration::from_millis(millis);
    while Instant::now() < until {
        for _ in 0..1_000_000 {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }
    counter.load(Ordering::Relaxed)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DOCKET_URL").unwrap_or_else(|_| "memory://progress".to_string());
    let millis = 2_000;
    let docket = Docket::connect(&url).await?;
    let execution = crunch::schedule(&docket, millis).await?;
    // Subscribed before the run starts, so every progress write shows up as an event.
    let mut events = execution.subscribe().await?;
    let worker = Worker::builder(&docket).build()?;
    let stop = worker.shutdown_handle();
    let running = tokio::spawn(async move { worker.run_forever().await });

    let mut writes = 0u64;
    let mut first: Option<Instant> = None;
    let mut last_seen = None;
    while let Some(event) = events.next().await {
        match event {
            Event::Progress(change) => {
                writes += 1;
                first.get_or_insert_with(Instant::now);
                last_seen = Some(change);
            }
            event if event.state().is_some_and(ExecutionState::is_terminal) => break,
            _ => {}
        }
    }
    let span = first.map_or(Duration::ZERO, |first| first.elapsed());
    let items = execution.result_timeout(Duration::from_secs(30)).await?;
    let seconds = millis as f64 / 1000.0;
    println!(
        "crunched {items} items in {seconds:.1} s: {:.0} million increments/s ({:.1} ns each)",
        items as f64 / seconds / 1e6,
        seconds * 1e9 / items as f64
    );
    let reference = bare(millis);
    println!(
        "a bare atomic counter in the same loop: {:.0} million adds/s ({:.1} ns each)",
        reference as f64 / seconds / 1e6,
        seconds * 1e9 / reference as f64
    );
    println!(
        "progress writes to {}: {writes} over {:.2} s ({:.1} a second); the last one said {:?}",
        docket.url(),
        span.as_secs_f64(),
        writes as f64 / span.as_secs_f64().max(f64::EPSILON),
        last_seen.map(|change| (change.current, change.message))
    );
    stop.shutdown();
    running.await??;
    docket.close().await;
    Ok(())
}
