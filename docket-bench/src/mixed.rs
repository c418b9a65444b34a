//! The mixed workload: a backlog of ready no-op tasks drained beside scheduled work that falls
//! due every few milliseconds — the case where a worker takes due work itself (its claim loop
//! waits for due times) and must still drain ready work at full speed.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use docket::Docket;
use docket_tests::RedisServer;
use docket_worker::Worker;

use crate::{median, noop, DONE};

/// Scheduled work beside the drain: does nothing.
#[docket::task]
async fn beside(i: u64) {
    let _ = i;
}

/// One run: the ready tasks drained per second.
async fn once(n: u64, spacing: Duration, concurrency: usize) -> anyhow::Result<f64> {
    let server = RedisServer::start();
    let docket = Docket::connect(&server.url()).await?;
    docket
        .schedule_all((0..n).map(|i| noop::schedule(&docket, i)))
        .await?;
    // Due work every `spacing` for longer than any drain here takes.
    let due = (Duration::from_secs(10).as_nanos() / spacing.as_nanos().max(1)) as u64;
    docket
        .schedule_all((0..due).map(|i| {
            beside::schedule(&docket, i).after(spacing.saturating_mul(u32::try_from(i).unwrap_or(u32::MAX)))
        }))
        .await?;
    DONE.store(0, Ordering::SeqCst);
    let worker = Worker::builder(&docket).concurrency(concurrency).build()?;
    let stop = worker.shutdown_handle();
    let started = Instant::now();
    let running = tokio::spawn(async move { worker.run_forever().await });
    while DONE.load(Ordering::Relaxed) < n {
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
    let per_s = n as f64 / started.elapsed().as_secs_f64();
    stop.shutdown();
    running.await??;
    docket.close().await;
    Ok(per_s)
}

/// Runs the workload `runs` times and prints its JSON line and table.
pub async fn run(n: u64, spacing: Duration, concurrency: usize, runs: usize) -> anyhow::Result<()> {
    let mut results = Vec::new();
    for _ in 0..runs {
        results.push(once(n, spacing, concurrency).await?);
    }
    let (drain, low, high) = median(&mut results);
    println!(
        "{{\"system\":\"docket\",\"workload\":\"mixed\",\"n\":{n},\"spacing_ms\":{},\"concurrency\":{concurrency},\"runs\":{runs},\"drain_per_s\":{drain:.0}}}",
        spacing.as_millis()
    );
    eprintln!("mixed: {n} ready tasks drained beside work due every {spacing:?} (concurrency {concurrency}; {runs} runs)");
    eprintln!("  drain  {drain:>9.0} tasks/s  [{low:.0}–{high:.0}]");
    Ok(())
}
