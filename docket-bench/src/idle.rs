//! The idle workload: what a fleet of workers with nothing to do costs Redis.
//!
//! Starts N workers (each with its own connections, as N processes would have), waits until
//! all of them are listed, then counts the commands Redis runs (Lua-internal ones included)
//! over a window in which nothing is scheduled.

use std::time::{Duration, Instant};

use docket::Docket;
use docket_tests::RedisServer;
use docket_worker::Worker;

use crate::{commands, redis_stats};

/// Commands per second Redis ran for `workers` idle workers over `window`.
pub async fn run(workers: usize, window: Duration) -> anyhow::Result<f64> {
    let server = RedisServer::start();
    let stats = redis_stats(&server.url()).await?;
    let mut dockets = Vec::new();
    let mut handles = Vec::new();
    let mut running = Vec::new();
    for i in 0..workers {
        let docket = Docket::connect(&server.url()).await?;
        let worker = Worker::builder(&docket).name(format!("idle-{i}")).build()?;
        handles.push(worker.shutdown_handle());
        running.push(tokio::spawn(async move { worker.run_forever().await }));
        dockets.push(docket);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while dockets[0].workers().await?.len() < workers {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the workers did not all start within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Let start-up (first sweeps, first heartbeats) pass before counting.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = commands(&stats).await?;
    let started = Instant::now();
    tokio::time::sleep(window).await;
    let per_s = (commands(&stats).await? - before) as f64 / started.elapsed().as_secs_f64();
    for handle in &handles {
        handle.shutdown();
    }
    for worker in running {
        worker.await??;
    }
    for docket in &dockets {
        docket.close().await;
    }
    Ok(per_s)
}

/// Runs the idle workload for each fleet size and reports it.
pub async fn report(fleets: &[usize], window: Duration) -> anyhow::Result<()> {
    for &workers in fleets {
        let per_s = run(workers, window).await?;
        println!(
            "{{\"system\":\"docket\",\"workload\":\"idle\",\"workers\":{workers},\"window_s\":{},\"commands_per_s\":{per_s:.1},\"commands_per_s_per_worker\":{:.2}}}",
            window.as_secs_f64(),
            per_s / workers as f64
        );
        eprintln!(
            "idle workers={workers:<3} {per_s:>8.1} Redis commands/s ({:.2} per worker)",
            per_s / workers as f64
        );
    }
    Ok(())
}
