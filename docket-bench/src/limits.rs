//! The concurrency workload: N tasks over C customer ids with
//! `#[concurrency(arg = "customer_id", max = 1)]` on one worker, beside the unlimited W1 drain
//! of the same run, with Redis commands per task for both.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use docket::Docket;
use docket_tests::RedisServer;
use docket_worker::Worker;
use fred::interfaces::ClientLike;

use crate::{commands, median, noop, rand_fraction, redis_stats, DONE};

/// How many per-customer runs overlapped another run of the same customer (must stay 0).
static OVERLAPS: AtomicU64 = AtomicU64::new(0);

/// Which customers are running now, one bit per customer id (at most 4096 customers).
static RUNNING: [AtomicU64; 64] = [const { AtomicU64::new(0) }; 64];

/// The limited no-op: at most one run per customer at a time, across every worker.
#[docket::task]
#[concurrency(arg = "customer_id", max = 1)]
async fn per_customer(customer_id: u64, i: u64) {
    let _ = i;
    let (word, bit) = ((customer_id / 64) as usize % 64, 1u64 << (customer_id % 64));
    if RUNNING[word].fetch_or(bit, Ordering::SeqCst) & bit != 0 {
        OVERLAPS.fetch_add(1, Ordering::Relaxed);
    }
    tokio::task::yield_now().await;
    RUNNING[word].fetch_and(!bit, Ordering::SeqCst);
    DONE.fetch_add(1, Ordering::Relaxed);
}

/// One drain: tasks/s and Redis commands per task.
struct Drain {
    per_s: f64,
    commands_per_task: f64,
}

/// Drains `n` tasks already in `docket` with one worker; counts the commands it took.
async fn drain(
    docket: &Docket,
    stats: &fred::clients::Client,
    n: u64,
    concurrency: usize,
) -> anyhow::Result<Drain> {
    DONE.store(0, Ordering::SeqCst);
    let worker = Worker::builder(docket).concurrency(concurrency).build()?;
    let stop = worker.shutdown_handle();
    let before = commands(stats).await?;
    let started = Instant::now();
    let running = tokio::spawn(async move { worker.run_forever().await });
    while DONE.load(Ordering::Relaxed) < n {
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
    let elapsed = started.elapsed();
    while docket.backend().backlog().await?.ready > 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let spent = commands(stats).await? - before;
    stop.shutdown();
    running.await??;
    Ok(Drain {
        per_s: n as f64 / elapsed.as_secs_f64(),
        commands_per_task: spent as f64 / n as f64,
    })
}

/// Runs the workload `runs` times and reports the medians.
pub async fn run(n: u64, customers: u64, concurrency: usize, runs: usize) -> anyhow::Result<()> {
    anyhow::ensure!((1..=4096).contains(&customers), "--customers must be 1..=4096");
    let mut unlimited = Vec::new();
    let mut limited = Vec::new();
    for _ in 0..runs {
        let server = RedisServer::start();
        let stats = redis_stats(&server.url()).await?;
        let docket = Docket::connect(&server.url()).await?;
        docket
            .schedule_all((0..n).map(|i| noop::schedule(&docket, i)))
            .await?;
        unlimited.push(drain(&docket, &stats, n, concurrency).await?);
        let _: () = stats.flushall(false).await?;
        // Customers in random order, as real traffic comes: runs of one customer collide.
        docket
            .schedule_all((0..n).map(|i| {
                let customer = (rand_fraction(i) * customers as f64) as u64;
                per_customer::schedule(&docket, customer, i)
            }))
            .await?;
        limited.push(drain(&docket, &stats, n, concurrency).await?);
    }
    let overlaps = OVERLAPS.load(Ordering::Relaxed);
    let pick = |drains: &[Drain], f: fn(&Drain) -> f64| median(&mut drains.iter().map(f).collect::<Vec<_>>());
    let (free_rate, free_cmds) = (
        pick(&unlimited, |d| d.per_s),
        pick(&unlimited, |d| d.commands_per_task),
    );
    let (limited_rate, limited_cmds) = (
        pick(&limited, |d| d.per_s),
        pick(&limited, |d| d.commands_per_task),
    );
    println!(
        "{{\"system\":\"docket\",\"workload\":\"concurrency\",\"n\":{n},\"customers\":{customers},\"concurrency\":{concurrency},\"runs\":{runs},\"unlimited_drain_per_s\":{:.0},\"unlimited_commands_per_task\":{:.2},\"limited_drain_per_s\":{:.0},\"limited_commands_per_task\":{:.2},\"ratio\":{:.2},\"overlaps\":{overlaps}}}",
        free_rate.0,
        free_cmds.0,
        limited_rate.0,
        limited_cmds.0,
        limited_rate.0 / free_rate.0,
    );
    eprintln!(
        "concurrency n={n} customers={customers} concurrency={concurrency} ({runs} runs; median [min–max])"
    );
    eprintln!(
        "  unlimited drain   {:>9.0} tasks/s  [{:.0}–{:.0}]  {:.2} commands/task",
        free_rate.0, free_rate.1, free_rate.2, free_cmds.0
    );
    eprintln!(
        "  max 1 per customer{:>9.0} tasks/s  [{:.0}–{:.0}]  {:.2} commands/task  ({:.0}% of unlimited)",
        limited_rate.0,
        limited_rate.1,
        limited_rate.2,
        limited_cmds.0,
        100.0 * limited_rate.0 / free_rate.0
    );
    eprintln!("  runs of one customer that overlapped: {overlaps}");
    anyhow::ensure!(
        overlaps == 0,
        "{overlaps} runs overlapped another of their customer"
    );
    Ok(())
}
