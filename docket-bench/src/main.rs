//! `docket-bench`: the workloads of BENCH.md against a fresh local `redis-server`.
//!
//! ```text
//! cargo run --release -p docket-bench -- w1 --runs 3
//! ```
//!
//! Prints one JSON object per workload run on stdout and a table on stderr.

mod chaos;
mod idle;
mod limits;
mod mixed;
mod perpetual;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use docket::Docket;
use docket_tests::RedisServer;
use docket_worker::Worker;
use fred::interfaces::ClientLike;

static DONE: AtomicU64 = AtomicU64::new(0);

/// The no-op task of W1.
#[docket::task]
async fn noop(i: u64) {
    let _ = i;
    DONE.fetch_add(1, Ordering::Relaxed);
}

#[derive(Debug, Parser)]
#[command(about = "docket benchmarks (BENCH.md)")]
struct Cli {
    #[command(subcommand)]
    workload: Workload,
}

#[derive(Debug, Subcommand)]
enum Workload {
    /// W1 burst: enqueue N no-op tasks one at a time and in bulk, then drain them.
    W1 {
        /// How many tasks.
        #[arg(long, default_value_t = 20_000)]
        n: u64,
        /// How many runs per variant (the median is reported).
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Worker concurrency.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
    },
    /// W2 punctuality: with a worker running, N tasks due at random instants within a window;
    /// lateness (start − due) percentiles.
    W2 {
        /// How many tasks.
        #[arg(long, default_value_t = 2_000)]
        n: u64,
        /// The window the due times are spread over.
        #[arg(long, default_value = "5s", value_parser = docket_worker::parse_duration)]
        window: Duration,
        /// How many runs (the median of each percentile is reported).
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// W4 footprint: N tasks scheduled an hour ahead; Redis memory per scheduled task.
    W4 {
        /// How many tasks.
        #[arg(long, default_value_t = 100_000)]
        n: u64,
    },
    /// Perpetual: N perpetual tasks with `every = "1s"` on one worker; runs/s, cadence error
    /// (start − intended start) percentiles and Redis commands per run.
    Perpetual {
        /// How many perpetual tasks.
        #[arg(long, default_value_t = 1_000)]
        n: u64,
        /// How long to measure.
        #[arg(long, default_value = "30s", value_parser = docket_worker::parse_duration)]
        duration: Duration,
        /// Worker concurrency.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
    },
    /// Mixed: N ready no-op tasks drained beside scheduled work due every SPACING; drain
    /// tasks/s (compare with W1's drain).
    Mixed {
        /// How many ready tasks.
        #[arg(long, default_value_t = 20_000)]
        n: u64,
        /// How far apart the scheduled work falls due.
        #[arg(long, default_value = "4ms", value_parser = docket_worker::parse_duration)]
        spacing: Duration,
        /// Worker concurrency.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// How many runs (the median is reported).
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// Concurrency limits: N tasks over C customer ids with
    /// `#[concurrency(arg = "customer_id", max = 1)]` on one worker, beside the unlimited
    /// drain of the same run; tasks/s and Redis commands per task.
    Concurrency {
        /// How many tasks.
        #[arg(long, default_value_t = 20_000)]
        n: u64,
        /// How many customer ids they are spread over (at random).
        #[arg(long, default_value_t = 100)]
        customers: u64,
        /// Worker concurrency.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// How many runs (the median is reported).
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// Idle cost: Redis commands per second for fleets of idle workers.
    Idle {
        /// Fleet sizes to measure, e.g. `1,10`.
        #[arg(long, value_delimiter = ',', default_value = "1,10")]
        workers: Vec<usize>,
        /// How long to count commands for each fleet.
        #[arg(long, default_value = "10s", value_parser = docket_worker::parse_duration)]
        window: Duration,
    },
    /// The embedded backend's memory over a long run: N tasks through `memory://`, resident
    /// memory sampled every tenth of the run.
    MemorySoak {
        /// How many tasks.
        #[arg(long, default_value_t = 100_000)]
        n: u64,
        /// How long finished executions are kept.
        #[arg(long, default_value = "1s", value_parser = docket_worker::parse_duration)]
        ttl: Duration,
    },
    /// Chaos: N keyed tasks drained by worker processes while workers are SIGKILLed and
    /// SIGTERMed and Redis (persistent) is killed and restarted; lost and duplicated runs.
    Chaos(chaos::ChaosArgs),
    /// One worker process of the chaos workload (started by `chaos`).
    #[command(hide = true)]
    ChaosWorker(chaos::ChaosWorkerArgs),
}

#[derive(Debug, Clone, Copy)]
struct W1Run {
    enqueue_per_s: f64,
    bulk_enqueue_per_s: f64,
    drain_per_s: f64,
    enqueue_commands_per_task: f64,
    bulk_commands_per_task: f64,
    drain_commands_per_task: f64,
    /// CPU time the bulk enqueue cost, per task: in this process and in Redis (µs).
    bulk_client_cpu_us: f64,
    bulk_redis_cpu_us: f64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.workload {
        Workload::W1 { n, runs, concurrency } => {
            for ttl in [docket::DEFAULT_EXECUTION_TTL, Duration::ZERO] {
                let mut results = Vec::new();
                for _ in 0..runs {
                    results.push(w1(n, concurrency, ttl).await?);
                }
                report_w1(n, concurrency, ttl, &results).await?;
            }
        }
        Workload::MemorySoak { n, ttl } => memory_soak(n, ttl).await?,
        Workload::Idle { workers, window } => idle::report(&workers, window).await?,
        Workload::Concurrency {
            n,
            customers,
            concurrency,
            runs,
        } => limits::run(n, customers, concurrency, runs).await?,
        Workload::Perpetual {
            n,
            duration,
            concurrency,
        } => perpetual::run(n, duration, concurrency).await?,
        Workload::Mixed {
            n,
            spacing,
            concurrency,
            runs,
        } => mixed::run(n, spacing, concurrency, runs).await?,
        Workload::Chaos(args) => chaos::run(args).await?,
        Workload::ChaosWorker(args) => chaos::run_worker(args).await?,
        Workload::W4 { n } => {
            let server = RedisServer::start();
            let stats = redis_stats(&server.url()).await?;
            let docket = Docket::connect(&server.url()).await?;
            let before = used_memory(&stats).await?;
            let later = std::time::SystemTime::now() + Duration::from_secs(3600);
            docket
                .schedule_all((0..n).map(|i| noop::schedule(&docket, i).at(later)))
                .await?;
            let per_task = (used_memory(&stats).await? - before) as f64 / n as f64;
            println!(
                "{{\"system\":\"docket\",\"workload\":\"W4\",\"n\":{n},\"bytes_per_task\":{per_task:.0}}}"
            );
            eprintln!("W4 n={n}: {per_task:.0} bytes of Redis memory per scheduled task");
        }
        Workload::W2 { n, window, runs } => {
            let mut results = Vec::new();
            for _ in 0..runs {
                results.push(w2(n, window).await?);
            }
            let pick = |i: usize| median(&mut results.iter().map(|r| r[i]).collect::<Vec<_>>());
            let (p50, p99, max, min) = (pick(0), pick(1), pick(2), pick(3));
            println!(
                "{{\"system\":\"docket\",\"workload\":\"W2\",\"n\":{n},\"window_ms\":{},\"runs\":{runs},\"lateness_p50_ms\":{},\"lateness_p99_ms\":{},\"lateness_max_ms\":{},\"lateness_min_ms\":{}}}",
                window.as_millis(),
                p50.0,
                p99.0,
                max.0,
                min.0
            );
            eprintln!("W2 n={n} window={window:?} ({runs} runs; median [min–max])");
            for (name, value) in [("p50", p50), ("p99", p99), ("max", max), ("min", min)] {
                eprintln!(
                    "  lateness {name:<4} {:>6.0} ms  [{:.0}–{:.0}]",
                    value.0, value.1, value.2
                );
            }
        }
    }
    Ok(())
}

/// One W2 run: lateness p50, p99, max and min in ms.
async fn w2(n: u64, window: Duration) -> anyhow::Result<[f64; 4]> {
    let server = RedisServer::start();
    let docket = Docket::connect(&server.url()).await?;
    let worker = Worker::builder(&docket).concurrency(16).build()?;
    let stop = worker.shutdown_handle();
    let running = tokio::spawn(async move { worker.run_forever().await });
    DONE.store(0, Ordering::SeqCst);
    let start = std::time::SystemTime::now() + Duration::from_millis(200);
    let mut executions = Vec::new();
    for i in 0..n {
        let offset = window.mul_f64(rand_fraction(i));
        executions.push(noop::schedule(&docket, i).at(start + offset).await?);
    }
    while DONE.load(Ordering::Relaxed) < n {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut lateness = Vec::new();
    for execution in &executions {
        let info = execution
            .info()
            .await?
            .ok_or_else(|| anyhow::anyhow!("a record expired"))?;
        let started = info.started_at.ok_or_else(|| anyhow::anyhow!("no start time"))?;
        let late = match started.duration_since(execution.when()) {
            Ok(late) => late.as_secs_f64() * 1000.0,
            Err(early) => -early.duration().as_secs_f64() * 1000.0,
        };
        lateness.push(late);
    }
    stop.shutdown();
    running.await??;
    lateness.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| lateness[((lateness.len() - 1) as f64 * q).round() as usize];
    Ok([at(0.5), at(0.99), at(1.0), at(0.0)])
}

/// A fraction in [0, 1) spread evenly but out of order (a multiplicative hash).
fn rand_fraction(i: u64) -> f64 {
    (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11) as f64 / (1u64 << 53) as f64
}

/// Resident memory of this process in KiB (Linux).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmRSS:"))?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

async fn memory_soak(n: u64, ttl: Duration) -> anyhow::Result<()> {
    let docket = Docket::builder("memory://soak")
        .execution_ttl(ttl)
        .connect()
        .await?;
    let worker = Worker::builder(&docket).concurrency(16).build()?;
    let stop = worker.shutdown_handle();
    let running = tokio::spawn(async move { worker.run_forever().await });
    DONE.store(0, Ordering::SeqCst);
    // A steady producer: batches of 1,000, each drained before the next, so the live set
    // stays small and any growth is a leak.
    let sample_every = (n / 10).max(1);
    let mut samples = Vec::new();
    let started = Instant::now();
    let mut scheduled = 0;
    while scheduled < n {
        let batch = 1_000.min(n - scheduled);
        docket
            .schedule_all((scheduled..scheduled + batch).map(|i| noop::schedule(&docket, i)))
            .await?;
        scheduled += batch;
        while DONE.load(Ordering::Relaxed) < scheduled {
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        if scheduled % sample_every < batch {
            samples.push((scheduled, rss_kib()));
        }
    }
    // Let the last records expire, then sample once more.
    tokio::time::sleep(ttl + Duration::from_millis(100)).await;
    docket.snapshot().await?;
    samples.push((n, rss_kib()));
    stop.shutdown();
    running.await??;
    let rss: Vec<String> = samples.iter().map(|(_, kib)| kib.to_string()).collect();
    println!(
        "{{\"system\":\"docket\",\"workload\":\"memory-soak\",\"n\":{n},\"execution_ttl_ms\":{},\"elapsed_s\":{:.2},\"rss_kib\":[{}]}}",
        ttl.as_millis(),
        started.elapsed().as_secs_f64(),
        rss.join(",")
    );
    eprintln!("memory soak: {n} tasks through memory:// with execution_ttl {ttl:?}");
    for (done, kib) in &samples {
        eprintln!("  after {done:>8} tasks  RSS {:>8.1} MiB", *kib as f64 / 1024.0);
    }
    Ok(())
}

async fn redis_stats(url: &str) -> anyhow::Result<fred::clients::Client> {
    let client = fred::types::Builder::from_config(fred::types::config::Config::from_url(url)?).build()?;
    client.init().await?;
    Ok(client)
}

/// Redis's `used_memory` in bytes.
async fn used_memory(client: &fred::clients::Client) -> anyhow::Result<i64> {
    let info: String = client.info(Some(fred::types::InfoKind::Memory)).await?;
    info.lines()
        .find_map(|line| line.strip_prefix("used_memory:"))
        .and_then(|value| value.trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no used_memory in INFO"))
}

/// The CPU time the Redis server has used (user and system).
async fn redis_cpu(client: &fred::clients::Client) -> anyhow::Result<Duration> {
    let info: String = client.info(Some(fred::types::InfoKind::Cpu)).await?;
    let field = |name: &str| -> anyhow::Result<f64> {
        info.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
            .and_then(|value| value.trim().parse().ok())
            .ok_or_else(|| anyhow::anyhow!("no {name} in INFO"))
    };
    Ok(Duration::from_secs_f64(
        field("used_cpu_user")? + field("used_cpu_sys")?,
    ))
}

/// The CPU time this process has used, all threads (nanosecond precision, from
/// `/proc/self/task/*/schedstat`; zero where that is not available).
fn process_cpu() -> Duration {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    let nanos: u64 = tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(nanos)
}

/// Total commands the server has run (Lua-internal ones included).
async fn commands(client: &fred::clients::Client) -> anyhow::Result<u64> {
    Ok(command_counts(client).await?.values().sum())
}

/// How many times the server has run each command (Lua-internal ones included; `INFO`, which
/// the benchmark itself sends, left out).
async fn command_counts(
    client: &fred::clients::Client,
) -> anyhow::Result<std::collections::BTreeMap<String, u64>> {
    let info: String = client.info(Some(fred::types::InfoKind::CommandStats)).await?;
    Ok(info
        .lines()
        .filter(|line| !line.starts_with("cmdstat_info"))
        .filter_map(|line| {
            let (name, rest) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = rest
                .split("calls=")
                .nth(1)?
                .split(',')
                .next()?
                .parse::<u64>()
                .ok()?;
            Some((name.to_string(), calls))
        })
        .collect())
}

async fn w1(n: u64, concurrency: usize, ttl: Duration) -> anyhow::Result<W1Run> {
    let server = RedisServer::start();
    let stats = redis_stats(&server.url()).await?;
    let docket = Docket::builder(&server.url())
        .execution_ttl(ttl)
        .connect()
        .await?;

    // One at a time.
    let before = commands(&stats).await?;
    let started = Instant::now();
    for i in 0..n {
        noop::schedule(&docket, i).await?;
    }
    let enqueue_per_s = n as f64 / started.elapsed().as_secs_f64();
    let enqueue_commands = commands(&stats).await? - before - 1;
    let _: () = stats.flushall(false).await?;

    // In bulk.
    let before = commands(&stats).await?;
    let redis_cpu_before = redis_cpu(&stats).await?;
    let client_cpu_before = process_cpu();
    let started = Instant::now();
    docket
        .schedule_all((0..n).map(|i| noop::schedule(&docket, i)))
        .await?;
    let bulk_enqueue_per_s = n as f64 / started.elapsed().as_secs_f64();
    let bulk_client_cpu = process_cpu() - client_cpu_before;
    let bulk_redis_cpu = redis_cpu(&stats).await? - redis_cpu_before;
    let bulk_commands = commands(&stats).await? - before - 1;

    // Drain.
    DONE.store(0, Ordering::SeqCst);
    let worker = Worker::builder(&docket).concurrency(concurrency).build()?;
    let stop = worker.shutdown_handle();
    let before = commands(&stats).await?;
    let started = Instant::now();
    let running = tokio::spawn(async move { worker.run_forever().await });
    while DONE.load(Ordering::Relaxed) < n {
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
    let drain_elapsed = started.elapsed();
    // Let the last completions land before counting commands.
    while docket.backend().backlog().await?.ready > 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let drain_commands = commands(&stats).await? - before;
    stop.shutdown();
    running.await??;
    Ok(W1Run {
        enqueue_per_s,
        bulk_enqueue_per_s,
        drain_per_s: n as f64 / drain_elapsed.as_secs_f64(),
        enqueue_commands_per_task: enqueue_commands as f64 / n as f64,
        bulk_commands_per_task: bulk_commands as f64 / n as f64,
        drain_commands_per_task: drain_commands as f64 / n as f64,
        bulk_client_cpu_us: bulk_client_cpu.as_secs_f64() * 1e6 / n as f64,
        bulk_redis_cpu_us: bulk_redis_cpu.as_secs_f64() * 1e6 / n as f64,
    })
}

fn median(values: &mut [f64]) -> (f64, f64, f64) {
    values.sort_by(|a, b| a.total_cmp(b));
    (values[values.len() / 2], values[0], values[values.len() - 1])
}

async fn report_w1(n: u64, concurrency: usize, ttl: Duration, runs: &[W1Run]) -> anyhow::Result<()> {
    let pick = |f: fn(&W1Run) -> f64| median(&mut runs.iter().map(f).collect::<Vec<_>>());
    let enqueue = pick(|r| r.enqueue_per_s);
    let bulk = pick(|r| r.bulk_enqueue_per_s);
    let drain = pick(|r| r.drain_per_s);
    let enqueue_cmds = pick(|r| r.enqueue_commands_per_task);
    let bulk_cmds = pick(|r| r.bulk_commands_per_task);
    let drain_cmds = pick(|r| r.drain_commands_per_task);
    let bulk_client_cpu = pick(|r| r.bulk_client_cpu_us);
    let bulk_redis_cpu = pick(|r| r.bulk_redis_cpu_us);
    let commit = git_commit();
    let redis_version = redis_version();
    println!(
        "{{\"system\":\"docket\",\"workload\":\"W1\",\"n\":{n},\"concurrency\":{concurrency},\"execution_ttl_s\":{},\"runs\":{},\"enqueue_per_s\":{:.0},\"bulk_enqueue_per_s\":{:.0},\"drain_per_s\":{:.0},\"enqueue_commands_per_task\":{:.2},\"bulk_enqueue_commands_per_task\":{:.2},\"drain_commands_per_task\":{:.2},\"bulk_enqueue_client_cpu_us\":{:.2},\"bulk_enqueue_redis_cpu_us\":{:.2},\"commit\":\"{commit}\",\"redis\":\"{redis_version}\"}}",
        ttl.as_secs(),
        runs.len(),
        enqueue.0,
        bulk.0,
        drain.0,
        enqueue_cmds.0,
        bulk_cmds.0,
        drain_cmds.0,
        bulk_client_cpu.0,
        bulk_redis_cpu.0,
    );
    eprintln!(
        "W1 n={n} concurrency={concurrency} execution_ttl={ttl:?} ({} runs; median [min–max])",
        runs.len()
    );
    eprintln!(
        "  enqueue one at a time  {:>9.0} tasks/s  [{:.0}–{:.0}]  {:.2} commands/task",
        enqueue.0, enqueue.1, enqueue.2, enqueue_cmds.0
    );
    eprintln!(
        "  enqueue in bulk        {:>9.0} tasks/s  [{:.0}–{:.0}]  {:.2} commands/task",
        bulk.0, bulk.1, bulk.2, bulk_cmds.0
    );
    eprintln!(
        "    CPU per task: {:.2} µs here [{:.2}–{:.2}], {:.2} µs in Redis [{:.2}–{:.2}]",
        bulk_client_cpu.0,
        bulk_client_cpu.1,
        bulk_client_cpu.2,
        bulk_redis_cpu.0,
        bulk_redis_cpu.1,
        bulk_redis_cpu.2
    );
    eprintln!(
        "  drain                  {:>9.0} tasks/s  [{:.0}–{:.0}]  {:.2} commands/task",
        drain.0, drain.1, drain.2, drain_cmds.0
    );
    Ok(())
}

/// The short hash of the checked-out commit (empty outside a git checkout).
fn git_commit() -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// The version of the `redis-server` on the path (empty if there is none).
fn redis_version() -> String {
    std::process::Command::new("redis-server")
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .split("v=")
                .nth(1)
                .map(|v| v.split_whitespace().next().unwrap_or("").to_string())
        })
        .unwrap_or_default()
}
