//! The perpetual workload: N perpetual tasks with `every = "1s"` on one worker for a while;
//! runs per second, the cadence error of each run after the first (its start − its intended
//! start, which is the previous run's start + `every`), and Redis commands per run.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use docket::{Docket, TaskContext};
use docket_tests::RedisServer;
use docket_worker::Worker;

use crate::{command_counts, redis_stats};

/// The cadence errors seen so far, in ms (first runs excluded: they start when scheduled).
static ERRORS: Mutex<Vec<f64>> = Mutex::new(Vec::new());

/// A perpetual no-op that notes how far its start is from its intended start.
#[docket::task]
#[perpetual(every = "1s")]
async fn tick(i: u64, ctx: TaskContext) {
    let _ = i;
    let error_ms = match ctx.started().duration_since(ctx.when()) {
        Ok(late) => late.as_secs_f64() * 1000.0,
        Err(early) => -early.duration().as_secs_f64() * 1000.0,
    };
    ERRORS.lock().unwrap_or_else(|e| e.into_inner()).push(error_ms);
}

/// Runs the workload and prints its JSON line and table.
pub async fn run(n: u64, duration: Duration, concurrency: usize) -> anyhow::Result<()> {
    let server = RedisServer::start();
    let stats = redis_stats(&server.url()).await?;
    let docket = Docket::connect(&server.url()).await?;
    let worker = Worker::builder(&docket).concurrency(concurrency).build()?;
    let stop = worker.shutdown_handle();
    let running = tokio::spawn(async move { worker.run_forever().await });
    // Spread the chains evenly over the first second, as a real fleet of schedules would be.
    let every = Duration::from_secs(1);
    docket
        .schedule_all((0..n).map(|i| {
            tick::schedule(&docket, i)
                .key(format!("tick-{i}"))
                .after(every.mul_f64(i as f64 / n as f64))
        }))
        .await?;
    // Count from the second second on: every chain has run once by then.
    tokio::time::sleep(every + Duration::from_millis(100)).await;
    ERRORS.lock().unwrap_or_else(|e| e.into_inner()).clear();
    let before = command_counts(&stats).await?;
    let started = Instant::now();
    tokio::time::sleep(duration).await;
    let elapsed = started.elapsed();
    let after = command_counts(&stats).await?;
    let mut errors = std::mem::take(&mut *ERRORS.lock().unwrap_or_else(|e| e.into_inner()));
    stop.shutdown();
    running.await??;
    docket.close().await;
    let runs = errors.len();
    anyhow::ensure!(runs > 0, "no perpetual run was measured");
    errors.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| errors[((errors.len() - 1) as f64 * q).round() as usize];
    let per_second = runs as f64 / elapsed.as_secs_f64();
    let mut breakdown: Vec<(String, f64)> = after
        .iter()
        .map(|(name, calls)| {
            let delta = calls - before.get(name).copied().unwrap_or(0);
            (name.clone(), delta as f64 / runs as f64)
        })
        .filter(|(_, per_run)| *per_run > 0.0)
        .collect();
    breakdown.sort_by(|a, b| b.1.total_cmp(&a.1));
    let commands_per_run: f64 = breakdown.iter().map(|(_, per_run)| per_run).sum();
    println!(
        "{{\"system\":\"docket\",\"workload\":\"perpetual\",\"n\":{n},\"every_ms\":1000,\"seconds\":{:.1},\"concurrency\":{concurrency},\"runs\":{runs},\"runs_per_s\":{per_second:.0},\"cadence_error_p50_ms\":{:.1},\"cadence_error_p99_ms\":{:.1},\"cadence_error_max_ms\":{:.1},\"commands_per_run\":{commands_per_run:.2}}}",
        elapsed.as_secs_f64(),
        at(0.5),
        at(0.99),
        at(1.0),
    );
    eprintln!(
        "perpetual: {n} tasks every 1s for {:.1}s on one worker (concurrency {concurrency})",
        elapsed.as_secs_f64()
    );
    eprintln!("  runs              {runs} ({per_second:.0}/s)");
    eprintln!(
        "  cadence error     p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        at(0.5),
        at(0.99),
        at(1.0)
    );
    eprintln!("  Redis commands    {commands_per_run:.2} per run");
    for (name, per_run) in breakdown.iter().take(12) {
        eprintln!("    {name:<16} {per_run:.2}");
    }
    Ok(())
}
