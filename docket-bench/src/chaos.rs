//! The chaos workload: N keyed tasks drained by worker processes while the harness SIGKILLs
//! and SIGTERMs workers and kills Redis (persistence on) and restarts it on the same port.
//! Every task body writes a `start` and an `end` line to its worker's log; from those logs the
//! harness counts what was lost and what ran twice, and why.
//!
//! ```text
//! cargo run --release -p docket-bench -- chaos [--n 20000] [--workers 10] [--kills 10] \
//!     [--restarts 2] [--redelivery-timeout 2s] [--seed 1]
//! ```
//!
//! The workers are this binary, re-executed with the hidden `chaos-worker` subcommand.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use docket::{ConnectPolicy, Disposition, Docket};
use docket_tests::RedisServer;
use docket_worker::{parse_duration, Worker};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The server arguments that make a kill -9 and a restart on the same directory keep every
/// acknowledged write.
const PERSISTENT: &[&str] = &["--appendonly", "yes", "--appendfsync", "always"];
/// How often the harness reads the logs, reaps exited workers and fires the next event.
const TICK: Duration = Duration::from_millis(20);
/// How long a SIGTERMed worker may take to exit before it is killed (its shutdown timeout is
/// 30 s; the tasks take at most 20 ms).
const TERMINATE_GRACE: Duration = Duration::from_secs(40);
/// Events fire when this share of the tasks (lowest, highest) has ended, so they land mid-run
/// however fast the machine drains.
const EVENT_WINDOW: (f64, f64) = (0.05, 0.85);
/// How many example timelines of duplicates with a live holder the table shows.
const EXAMPLES: usize = 5;

/// Options of `docket-bench chaos`.
#[derive(Debug, Clone, clap::Args)]
pub struct ChaosArgs {
    /// How many tasks.
    #[arg(long, default_value_t = 20_000)]
    n: u64,
    /// How many worker processes run at once.
    #[arg(long, default_value_t = 10)]
    workers: usize,
    /// The concurrency of each worker.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// How many times a random worker is SIGKILLed (each is replaced under a new name).
    #[arg(long, default_value_t = 10)]
    kills: usize,
    /// How many times a random worker is sent SIGTERM (each is replaced once it exits).
    #[arg(long, default_value_t = 1)]
    sigterms: usize,
    /// How many times Redis is SIGKILLed and restarted on the same port and data.
    #[arg(long, default_value_t = 2)]
    restarts: usize,
    /// How long Redis stays down each time before it is started again.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    redis_downtime: Duration,
    /// The workers' redelivery timeout.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    redelivery_timeout: Duration,
    /// Seed of the random choices: when each event fires and which worker it hits.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Give up (and report what happened so far) after this long.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    timeout: Duration,
    /// Keep the directory of worker logs (its path is printed) instead of deleting it.
    #[arg(long)]
    keep_logs: bool,
    /// Spread the tasks' due times evenly over this long from the start (default: all due at
    /// once), so that the workers take scheduled work as it falls due.
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    spread: Duration,
}

/// Options of the hidden `chaos-worker` subcommand: one worker process of the chaos workload.
#[derive(Debug, Clone, clap::Args)]
pub struct ChaosWorkerArgs {
    /// The docket URL.
    #[arg(long)]
    url: String,
    /// The worker's name, also written on every log line.
    #[arg(long)]
    name: String,
    /// The file the task bodies append their start and end lines to.
    #[arg(long)]
    log: PathBuf,
    /// The worker's concurrency.
    #[arg(long)]
    concurrency: usize,
    /// The worker's redelivery timeout.
    #[arg(long, value_parser = parse_duration)]
    redelivery_timeout: Duration,
    /// The worker's log filter (written to its stderr).
    #[arg(long, default_value = "warn")]
    log_level: String,
}

// ---------------------------------------------------------------------------------------------
// The worker process
// ---------------------------------------------------------------------------------------------

/// Where this process's task bodies write their lines, set once at start-up (the task has no
/// injected context to learn its worker's name from).
static TASK_LOG: OnceLock<TaskLog> = OnceLock::new();

/// A worker's log of task starts and ends.
struct TaskLog {
    worker: String,
    file: File,
}

impl TaskLog {
    /// Opens (creating) `path` for appending.
    fn open(path: &Path, worker: &str) -> anyhow::Result<TaskLog> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open the task log {}", path.display()))?;
        Ok(TaskLog {
            worker: worker.to_string(),
            file,
        })
    }

    /// Appends `<event> <task> <worker> <unix ms>` in one unbuffered write, so a SIGKILL loses
    /// at most the line being written.
    fn record(&self, event: &str, task: u64) {
        let line = format!("{event} {task} {} {}\n", self.worker, unix_ms());
        if let Err(error) = (&self.file).write_all(line.as_bytes()) {
            eprintln!("cannot write to the task log: {error}");
        }
    }
}

/// The chaos task: logs its start, sleeps 1–20 ms (fixed per task), logs its end.
#[docket::task]
async fn chaos_task(i: u64) {
    let log = TASK_LOG.get();
    if let Some(log) = log {
        log.record("start", i);
    }
    tokio::time::sleep(task_duration(i)).await;
    if let Some(log) = log {
        log.record("end", i);
    }
}

/// How long task `i` sleeps: 1–20 ms, the same on every run.
fn task_duration(i: u64) -> Duration {
    Duration::from_millis(1 + splitmix64(i) % 20)
}

/// A 64-bit mix (SplitMix64's finaliser): spreads consecutive integers evenly.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Runs one chaos worker until SIGTERM/SIGINT (it then finishes its runs and exits 0), or
/// until the harness that started it is gone.
pub async fn run_worker(args: ChaosWorkerArgs) -> anyhow::Result<()> {
    init_worker_logging(&args.log_level)?;
    let log = TaskLog::open(&args.log, &args.name)?;
    if TASK_LOG.set(log).is_err() {
        bail!("the task log was set twice");
    }
    tokio::spawn(exit_when_orphaned());
    // Started while Redis restarts, a worker waits for it rather than exiting.
    let docket = Docket::builder(&args.url)
        .connect_policy(ConnectPolicy::Wait)
        .connect()
        .await
        .with_context(|| format!("cannot connect to {}", args.url))?;
    let worker = Worker::builder(&docket)
        .name(&args.name)
        .concurrency(args.concurrency)
        .redelivery_timeout(args.redelivery_timeout)
        .scheduling_resolution(Duration::from_millis(10))
        .shutdown_on_signals()
        .build()?;
    worker.run_forever().await?;
    Ok(())
}

/// Sends the worker's own logs (docket's warnings: takeovers, lost leases, failed claims) to
/// stderr, which the harness points at a file.
fn init_worker_logging(filter: &str) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .map_err(|error| anyhow::anyhow!("invalid log filter `{filter}`: {error}"))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::io::stderr)
        .try_init()
        .map_err(|error| anyhow::anyhow!("cannot install the log subscriber: {error}"))
}

/// Exits the process once its parent (the harness) is gone, so a harness killed without
/// cleaning up leaves no workers behind.
async fn exit_when_orphaned() {
    let parent = std::os::unix::process::parent_id();
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if std::os::unix::process::parent_id() != parent {
            eprintln!("the chaos harness is gone; exiting");
            std::process::exit(3);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The harness
// ---------------------------------------------------------------------------------------------

/// Runs the chaos workload and prints its JSON line on stdout and its table on stderr.
pub async fn run(args: ChaosArgs) -> anyhow::Result<()> {
    validate(&args)?;
    let logs = LogDir::create(args.keep_logs)?;
    let mut redis = tokio::task::spawn_blocking(|| RedisServer::try_start_with_args(PERSISTENT))
        .await
        .context("the redis-server start-up thread failed")?
        .map_err(anyhow::Error::msg)?;
    let url = redis.url();
    let docket = Docket::connect(&url)
        .await
        .with_context(|| format!("cannot connect to {url}"))?;
    let scheduled = schedule(&docket, args.n, args.spread).await?;
    let exe = std::env::current_exe().context("cannot find the docket-bench binary to re-run")?;
    let mut fleet = Fleet::new(exe, url, logs.path().to_path_buf(), &args);
    let mut rng = StdRng::seed_from_u64(args.seed);
    let plan = Plan::random(&args, &mut rng);
    let started = Instant::now();
    let run = drive(&args, &docket, &mut redis, &mut fleet, plan, &mut rng).await;
    let elapsed = started.elapsed();
    fleet.stop_all();
    let timeline = run?;
    // Read everything once more, now that nobody writes.
    let mut progress = Progress::new(args.n);
    for path in fleet.log_paths() {
        let mut tail = LogTail::new(path.clone());
        progress.absorb(&mut tail)?;
        // A last line without its newline: a worker killed while writing it.
        progress.torn += u64::from(!tail.partial.is_empty());
    }
    let analysis = analyse(&progress, |name| fleet.fate(name), &timeline);
    print_json(&args, scheduled, &analysis, &fleet, &timeline, elapsed);
    print_table(&args, scheduled, &analysis, &fleet, &timeline, elapsed, &logs);
    Ok(())
}

/// Refuses settings the workload cannot run with.
fn validate(args: &ChaosArgs) -> anyhow::Result<()> {
    if args.n == 0 {
        bail!("--n must be at least 1");
    }
    if args.workers == 0 {
        bail!("--workers must be at least 1");
    }
    if args.sigterms > 0 && args.workers < 2 {
        bail!("--sigterms needs at least 2 workers, so one keeps running while another stops");
    }
    Ok(())
}

/// Schedules tasks `0..n` with the keys `chaos-<i>` in bulk, due evenly over `spread`;
/// returns how many were new.
async fn schedule(docket: &Docket, n: u64, spread: Duration) -> anyhow::Result<u64> {
    let executions = docket
        .schedule_all((0..n).map(|i| {
            chaos_task::schedule(docket, i)
                .key(format!("chaos-{i}"))
                .after(spread.mul_f64(i as f64 / n as f64))
        }))
        .await
        .context("cannot schedule the chaos tasks")?;
    Ok(executions
        .iter()
        .filter(|execution| execution.disposition() == Disposition::Scheduled)
        .count() as u64)
}

/// What the harness does at one point of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    /// SIGKILL a random running worker and start a replacement.
    KillWorker,
    /// SIGTERM a random running worker; start a replacement once it exits.
    TerminateWorker,
    /// SIGKILL Redis, wait the downtime, start it again on the same port and data.
    RestartRedis,
}

/// The events of a run, each due once a given number of tasks has ended.
#[derive(Debug)]
struct Plan {
    steps: VecDeque<(u64, Action)>,
}

impl Plan {
    /// Every event of `args` at a random point between 5% and 85% of the tasks ended.
    fn random(args: &ChaosArgs, rng: &mut StdRng) -> Plan {
        let actions = std::iter::repeat_n(Action::KillWorker, args.kills)
            .chain(std::iter::repeat_n(Action::TerminateWorker, args.sigterms))
            .chain(std::iter::repeat_n(Action::RestartRedis, args.restarts));
        let low = (args.n as f64 * EVENT_WINDOW.0) as u64;
        let high = ((args.n as f64 * EVENT_WINDOW.1) as u64).max(low);
        let mut steps: Vec<(u64, Action)> = actions
            .map(|action| (rng.gen_range(low..=high), action))
            .collect();
        steps.sort_by_key(|(at, _)| *at);
        Plan { steps: steps.into() }
    }

    /// The next event, if `ended` tasks are enough for it.
    fn next_due(&mut self, ended: u64) -> Option<Action> {
        match self.steps.front() {
            Some((at, _)) if *at <= ended => self.steps.pop_front().map(|(_, action)| action),
            _ => None,
        }
    }
}

/// What happened to Redis and when (unix ms).
#[derive(Debug, Default)]
struct Timeline {
    /// When the workers were started (unix ms).
    started_at: i64,
    /// Each Redis restart: (killed at, answering PING again at).
    redis_restarts: Vec<(i64, i64)>,
    /// Whether the run gave up before every task ended and the docket drained.
    timed_out: bool,
    /// When the last task ended (unix ms), if all did.
    all_ended_at: Option<i64>,
    /// Whether the docket was seen empty (nothing queued, running or scheduled) at the end.
    drained: bool,
}

/// Fires the plan while the workers drain the docket; returns once every task has ended and
/// the docket is empty (or the timeout passed).
async fn drive(
    args: &ChaosArgs,
    docket: &Docket,
    redis: &mut RedisServer,
    fleet: &mut Fleet,
    mut plan: Plan,
    rng: &mut StdRng,
) -> anyhow::Result<Timeline> {
    let deadline = Instant::now() + args.timeout;
    let mut progress = Progress::new(args.n);
    let mut tails: Vec<LogTail> = Vec::new();
    let mut timeline = Timeline {
        started_at: unix_ms(),
        ..Timeline::default()
    };
    for _ in 0..args.workers {
        fleet.spawn()?;
    }
    let mut interrupted = std::pin::pin!(tokio::signal::ctrl_c());
    loop {
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = &mut interrupted => bail!("interrupted"),
        }
        for path in fleet.log_paths().iter().skip(tails.len()) {
            tails.push(LogTail::new(path.clone()));
        }
        for tail in &mut tails {
            progress.absorb(tail)?;
        }
        fleet.reap()?;
        if progress.ended_count == args.n {
            timeline.all_ended_at.get_or_insert_with(unix_ms);
            if docket_is_empty(docket).await {
                timeline.drained = true;
                return Ok(timeline);
            }
        } else if let Some(action) = plan.next_due(progress.ended_count) {
            let busy = |name: &str| progress.has_started(name);
            fire(action, args, redis, fleet, rng, busy, &mut timeline).await?;
        }
        if Instant::now() > deadline {
            timeline.timed_out = true;
            return Ok(timeline);
        }
    }
}

/// Carries out one event of the plan; worker events hit a worker that `busy` says has started
/// tasks (one that is still starting up would teach nothing, and dies of a SIGTERM before its
/// worker installs the handler).
async fn fire(
    action: Action,
    args: &ChaosArgs,
    redis: &mut RedisServer,
    fleet: &mut Fleet,
    rng: &mut StdRng,
    busy: impl Fn(&str) -> bool,
    timeline: &mut Timeline,
) -> anyhow::Result<()> {
    match action {
        Action::KillWorker => fleet.kill_random(rng, busy)?,
        Action::TerminateWorker => fleet.terminate_random(rng, busy)?,
        Action::RestartRedis => {
            let killed_at = unix_ms();
            redis.kill();
            tokio::time::sleep(args.redis_downtime).await;
            tokio::task::block_in_place(|| redis.try_restart()).map_err(anyhow::Error::msg)?;
            timeline.redis_restarts.push((killed_at, unix_ms()));
        }
    }
    Ok(())
}

/// Whether the docket holds nothing queued, running or scheduled (false if Redis does not
/// answer within a second).
async fn docket_is_empty(docket: &Docket) -> bool {
    matches!(
        tokio::time::timeout(Duration::from_secs(1), docket.backend().backlog()).await,
        Ok(Ok(backlog)) if backlog.ready == 0 && backlog.scheduled == 0
    )
}

/// How a worker process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// Still running when the run ended (then killed by the clean-up).
    Alive,
    /// SIGKILLed by the harness at this unix ms.
    Killed(i64),
    /// Sent SIGTERM at this unix ms; exited with this status (`None`: killed after the grace).
    Terminated(i64, Option<ExitStatus>),
    /// Exited on its own at (about) this unix ms with this status.
    Exited(i64, ExitStatus),
}

/// One worker process, SIGKILLed and reaped when dropped.
struct WorkerProcess {
    name: String,
    child: Child,
    /// When it was sent SIGTERM (unix ms, and the instant for the grace period).
    terminated: Option<(i64, Instant)>,
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The worker processes: the running ones, and the fate of every one ever started.
struct Fleet {
    exe: PathBuf,
    url: String,
    dir: PathBuf,
    concurrency: usize,
    redelivery_timeout: Duration,
    running: Vec<WorkerProcess>,
    /// Every worker ever started, in order: its name and how it ended.
    started: Vec<(String, Fate)>,
    log_paths: Vec<PathBuf>,
}

impl Fleet {
    fn new(exe: PathBuf, url: String, dir: PathBuf, args: &ChaosArgs) -> Fleet {
        Fleet {
            exe,
            url,
            dir,
            concurrency: args.concurrency,
            redelivery_timeout: args.redelivery_timeout,
            running: Vec::new(),
            started: Vec::new(),
            log_paths: Vec::new(),
        }
    }

    /// Starts a worker under the next new name (`w-0`, `w-1`, …), its task log and its stderr
    /// in the log directory.
    fn spawn(&mut self) -> anyhow::Result<()> {
        let name = format!("w-{}", self.started.len());
        let log = self.dir.join(format!("{name}.tasks"));
        let stderr_path = self.dir.join(format!("{name}.stderr"));
        let stderr =
            File::create(&stderr_path).with_context(|| format!("cannot create {}", stderr_path.display()))?;
        let child = Command::new(&self.exe)
            .arg("chaos-worker")
            .args(["--url", &self.url, "--name", &name])
            .arg("--log")
            .arg(&log)
            .args(["--concurrency", &self.concurrency.to_string()])
            .args([
                "--redelivery-timeout",
                &format!("{}ms", self.redelivery_timeout.as_millis()),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("cannot start worker {name} ({})", self.exe.display()))?;
        self.log_paths.push(log);
        self.started.push((name.clone(), Fate::Alive));
        self.running.push(WorkerProcess {
            name,
            child,
            terminated: None,
        });
        Ok(())
    }

    /// Every task log ever created, in start order.
    fn log_paths(&self) -> &[PathBuf] {
        &self.log_paths
    }

    /// How the worker called `name` ended.
    fn fate(&self, name: &str) -> Fate {
        self.started
            .iter()
            .find(|(started, _)| started == name)
            .map_or(Fate::Alive, |(_, fate)| *fate)
    }

    fn set_fate(&mut self, name: &str, fate: Fate) {
        if let Some((_, slot)) = self.started.iter_mut().find(|(started, _)| started == name) {
            *slot = fate;
        }
    }

    /// A random running worker that `busy` accepts and that was not sent SIGTERM (any such
    /// worker when `busy` accepts none), by index into `running`.
    fn pick(&self, rng: &mut StdRng, busy: impl Fn(&str) -> bool) -> Option<usize> {
        let stoppable: Vec<usize> = (0..self.running.len())
            .filter(|&i| self.running[i].terminated.is_none())
            .collect();
        let busy: Vec<usize> = stoppable
            .iter()
            .copied()
            .filter(|&i| busy(&self.running[i].name))
            .collect();
        let candidates = if busy.is_empty() { stoppable } else { busy };
        (!candidates.is_empty()).then(|| candidates[rng.gen_range(0..candidates.len())])
    }

    /// SIGKILLs a random busy worker and starts a replacement.
    fn kill_random(&mut self, rng: &mut StdRng, busy: impl Fn(&str) -> bool) -> anyhow::Result<()> {
        let Some(index) = self.pick(rng, busy) else {
            return Ok(());
        };
        let mut victim = self.running.remove(index);
        let at = unix_ms();
        victim
            .child
            .kill()
            .with_context(|| format!("cannot SIGKILL worker {}", victim.name))?;
        let _ = victim.child.wait();
        self.set_fate(&victim.name, Fate::Killed(at));
        self.spawn()
    }

    /// Sends SIGTERM to a random busy worker; [`reap`](Self::reap) replaces it once it exits.
    fn terminate_random(&mut self, rng: &mut StdRng, busy: impl Fn(&str) -> bool) -> anyhow::Result<()> {
        let Some(index) = self.pick(rng, busy) else {
            return Ok(());
        };
        let worker = &mut self.running[index];
        let status = Command::new("kill")
            .args(["-TERM", &worker.child.id().to_string()])
            .status()
            .context("cannot run `kill -TERM`")?;
        if !status.success() {
            bail!("`kill -TERM` of worker {} failed with {status}", worker.name);
        }
        worker.terminated = Some((unix_ms(), Instant::now()));
        Ok(())
    }

    /// Notes every worker that exited (after SIGTERM, or on its own: a worker exit) and starts a
    /// replacement for each; kills a SIGTERMed worker that outstays its grace.
    fn reap(&mut self) -> anyhow::Result<()> {
        let mut index = 0;
        while index < self.running.len() {
            let worker = &mut self.running[index];
            let exited = worker
                .child
                .try_wait()
                .with_context(|| format!("cannot check on worker {}", worker.name))?;
            let fate = match (exited, worker.terminated) {
                (Some(status), Some((at, _))) => Fate::Terminated(at, Some(status)),
                (Some(status), None) => Fate::Exited(unix_ms(), status),
                (None, Some((at, since))) if since.elapsed() > TERMINATE_GRACE => Fate::Terminated(at, None),
                (None, _) => {
                    index += 1;
                    continue;
                }
            };
            let worker = self.running.remove(index);
            let name = worker.name.clone();
            drop(worker);
            self.set_fate(&name, fate);
            self.spawn()?;
        }
        Ok(())
    }

    /// Kills every running worker (the run is over).
    fn stop_all(&mut self) {
        self.running.clear();
    }

    /// The workers that ended in `matches`, with their fates.
    fn with_fate(&self, matches: impl Fn(&Fate) -> bool) -> Vec<(&str, Fate)> {
        self.started
            .iter()
            .filter(|(_, fate)| matches(fate))
            .map(|(name, fate)| (name.as_str(), *fate))
            .collect()
    }
}

/// The directory of worker logs, deleted when dropped unless kept.
struct LogDir {
    path: PathBuf,
    keep: bool,
}

impl LogDir {
    fn create(keep: bool) -> anyhow::Result<LogDir> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!("docket-chaos-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(LogDir { path, keep })
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for LogDir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// A start or an end of a task body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Start,
    End,
}

/// One line of a task log.
#[derive(Debug, Clone)]
struct Line {
    mark: Mark,
    task: u64,
    worker: String,
    at_ms: i64,
}

impl Line {
    /// Parses `start|end <task> <worker> <unix ms>`.
    fn parse(text: &str) -> Option<Line> {
        let mut fields = text.split(' ');
        let mark = match fields.next()? {
            "start" => Mark::Start,
            "end" => Mark::End,
            _ => return None,
        };
        let task = fields.next()?.parse().ok()?;
        let worker = fields.next()?.to_string();
        let at_ms = fields.next()?.parse().ok()?;
        fields.next().is_none().then_some(Line {
            mark,
            task,
            worker,
            at_ms,
        })
    }
}

/// Reads what a task log gained since the last read.
struct LogTail {
    path: PathBuf,
    offset: u64,
    /// The start of a line whose newline is not written (yet).
    partial: Vec<u8>,
}

impl LogTail {
    fn new(path: PathBuf) -> LogTail {
        LogTail {
            path,
            offset: 0,
            partial: Vec::new(),
        }
    }

    /// The complete lines written since the last call (a log not created yet has none).
    fn read_lines(&mut self) -> anyhow::Result<Vec<String>> {
        let mut file = match File::open(&self.path) {
            Ok(file) => file,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(error).with_context(|| format!("cannot open {}", self.path.display())),
        };
        file.seek(SeekFrom::Start(self.offset))?;
        let mut fresh = Vec::new();
        file.read_to_end(&mut fresh)
            .with_context(|| format!("cannot read {}", self.path.display()))?;
        self.offset += fresh.len() as u64;
        self.partial.extend_from_slice(&fresh);
        let Some(last_newline) = self.partial.iter().rposition(|&b| b == b'\n') else {
            return Ok(Vec::new());
        };
        let rest = self.partial.split_off(last_newline + 1);
        let complete = std::mem::replace(&mut self.partial, rest);
        Ok(String::from_utf8_lossy(&complete)
            .lines()
            .map(str::to_string)
            .collect())
    }
}

/// Every line read so far, and which tasks have ended.
struct Progress {
    n: u64,
    lines: Vec<Line>,
    ended: Vec<bool>,
    ended_count: u64,
    /// Lines that do not parse (or name a task outside `0..n`).
    torn: u64,
    /// The workers that have started at least one task.
    busy: HashSet<String>,
}

impl Progress {
    fn new(n: u64) -> Progress {
        Progress {
            n,
            lines: Vec::new(),
            ended: vec![false; n as usize],
            ended_count: 0,
            torn: 0,
            busy: HashSet::new(),
        }
    }

    /// Whether the worker called `name` has started a task.
    fn has_started(&self, name: &str) -> bool {
        self.busy.contains(name)
    }

    /// Takes in the new lines of `tail`.
    fn absorb(&mut self, tail: &mut LogTail) -> anyhow::Result<()> {
        for text in tail.read_lines()? {
            match Line::parse(&text).filter(|line| line.task < self.n) {
                Some(line) => {
                    if line.mark == Mark::End && !std::mem::replace(&mut self.ended[line.task as usize], true)
                    {
                        self.ended_count += 1;
                    }
                    if line.mark == Mark::Start && !self.busy.contains(&line.worker) {
                        self.busy.insert(line.worker.clone());
                    }
                    self.lines.push(line);
                }
                None => self.torn += 1,
            }
        }
        Ok(())
    }
}

/// What the logs say, by the definitions of the workload.
#[derive(Debug, Default)]
struct Analysis {
    completed: u64,
    lost: u64,
    duplicates: u64,
    holder_killed: u64,
    holder_terminated: u64,
    holder_exited: u64,
    holder_alive: u64,
    /// Duplicates whose first run had already written its end line when the next one started.
    first_run_ended: u64,
    /// Duplicates with a live holder whose two starts straddle a Redis restart.
    alive_across_redis_restart: u64,
    /// Duplicates with a live holder whose first run had ended before the next one started.
    alive_first_run_ended: u64,
    starts: u64,
    ends: u64,
    most_starts: u64,
    /// Log lines that do not parse (a worker killed mid-write).
    torn: u64,
    /// Per Redis restart: ms until the next end line, and until the next start line.
    recovery_ms: Vec<Option<i64>>,
    recovery_start_ms: Vec<Option<i64>>,
    /// Timelines of a few duplicates with a live holder.
    examples: Vec<String>,
}

/// Counts lost tasks and duplicates (split by `fate`: what happened to the worker of the first
/// start) and the recovery after each Redis restart.
fn analyse(progress: &Progress, fate: impl Fn(&str) -> Fate, timeline: &Timeline) -> Analysis {
    let mut by_task: HashMap<u64, Vec<&Line>> = HashMap::new();
    for line in &progress.lines {
        by_task.entry(line.task).or_default().push(line);
    }
    let mut analysis = Analysis {
        completed: progress.ended_count,
        lost: progress.n - progress.ended_count,
        starts: progress.lines.iter().filter(|l| l.mark == Mark::Start).count() as u64,
        ends: progress.lines.iter().filter(|l| l.mark == Mark::End).count() as u64,
        torn: progress.torn,
        ..Analysis::default()
    };
    let mut tasks: Vec<_> = by_task.into_iter().collect();
    tasks.sort_by_key(|(task, _)| *task);
    for (task, mut lines) in tasks {
        lines.sort_by_key(|line| (line.at_ms, line.mark == Mark::End));
        let starts: Vec<&Line> = lines.iter().copied().filter(|l| l.mark == Mark::Start).collect();
        analysis.most_starts = analysis.most_starts.max(starts.len() as u64);
        if starts.len() < 2 {
            continue;
        }
        analysis.duplicates += 1;
        let (first, second) = (starts[0], starts[1]);
        let first_ended = lines
            .iter()
            .any(|l| l.mark == Mark::End && l.worker == first.worker && l.at_ms <= second.at_ms);
        analysis.first_run_ended += u64::from(first_ended);
        match fate(&first.worker) {
            Fate::Killed(_) => analysis.holder_killed += 1,
            Fate::Terminated(..) => analysis.holder_terminated += 1,
            Fate::Exited(..) => analysis.holder_exited += 1,
            Fate::Alive => {
                analysis.holder_alive += 1;
                analysis.alive_first_run_ended += u64::from(first_ended);
                let straddles = timeline
                    .redis_restarts
                    .iter()
                    .any(|&(down, _)| first.at_ms <= down && down <= second.at_ms);
                analysis.alive_across_redis_restart += u64::from(straddles);
                if analysis.examples.len() < EXAMPLES {
                    analysis.examples.push(describe(task, &lines, timeline));
                }
            }
        }
    }
    for &(_, up) in &timeline.redis_restarts {
        let next = |mark: Mark| {
            progress
                .lines
                .iter()
                .filter(|l| l.mark == mark && l.at_ms >= up)
                .map(|l| l.at_ms - up)
                .min()
        };
        analysis.recovery_ms.push(next(Mark::End));
        analysis.recovery_start_ms.push(next(Mark::Start));
    }
    analysis
}

/// One task's lines and the Redis outages between them, times relative to its first line.
fn describe(task: u64, lines: &[&Line], timeline: &Timeline) -> String {
    let origin = lines.first().map_or(0, |l| l.at_ms);
    let last = lines.last().map_or(0, |l| l.at_ms);
    let mut parts: Vec<String> = lines
        .iter()
        .map(|l| {
            let mark = if l.mark == Mark::Start { "start" } else { "end" };
            format!("{mark} {} +{}ms", l.worker, l.at_ms - origin)
        })
        .collect();
    for &(down, up) in &timeline.redis_restarts {
        if down <= last && up >= origin {
            parts.push(format!(
                "(redis down +{}ms, up +{}ms)",
                down - origin,
                up - origin
            ));
        }
    }
    format!("task {task}: {}", parts.join(", "))
}

/// Prints the run as one JSON object on stdout.
fn print_json(
    args: &ChaosArgs,
    scheduled: u64,
    a: &Analysis,
    fleet: &Fleet,
    timeline: &Timeline,
    elapsed: Duration,
) {
    let killed = fleet.with_fate(|f| matches!(f, Fate::Killed(_))).len();
    let terminated = fleet.with_fate(|f| matches!(f, Fate::Terminated(..)));
    let exits = fleet.with_fate(|f| matches!(f, Fate::Exited(..))).len();
    let term_codes: Vec<String> = terminated
        .iter()
        .map(|(_, fate)| match fate {
            Fate::Terminated(_, Some(status)) => status.code().map_or("null".into(), |c| c.to_string()),
            _ => "null".to_string(),
        })
        .collect();
    let ms_list = |values: &[Option<i64>]| {
        values
            .iter()
            .map(|v| v.map_or("null".to_string(), |ms| ms.to_string()))
            .collect::<Vec<_>>()
            .join(",")
    };
    println!(
        "{{\"system\":\"docket\",\"workload\":\"chaos\",\"n\":{},\"scheduled\":{scheduled},\"completed\":{},\"lost\":{},\"duplicates_total\":{},\"duplicates_holder_killed\":{},\"duplicates_holder_terminated\":{},\"duplicates_holder_alive\":{},\"duplicates_holder_exited\":{},\"duplicates_first_run_ended\":{},\"duplicates_holder_alive_first_run_ended\":{},\"duplicates_holder_alive_across_redis_restart\":{},\"worker_exits\":{exits},\"recovery_ms\":[{}],\"recovery_to_start_ms\":[{}],\"redis_outage_ms\":[{}],\"workers\":{},\"concurrency\":{},\"kills\":{killed},\"sigterms\":{},\"sigterm_exit_codes\":[{}],\"redis_restarts\":{},\"redis_downtime_ms\":{},\"redelivery_timeout_ms\":{},\"seed\":{},\"starts\":{},\"ends\":{},\"most_starts_per_task\":{},\"torn_lines\":{},\"drained\":{},\"timed_out\":{},\"elapsed_s\":{:.2},\"commit\":\"{}\",\"redis\":\"{}\"}}",
        args.n,
        a.completed,
        a.lost,
        a.duplicates,
        a.holder_killed,
        a.holder_terminated,
        a.holder_alive,
        a.holder_exited,
        a.first_run_ended,
        a.alive_first_run_ended,
        a.alive_across_redis_restart,
        ms_list(&a.recovery_ms),
        ms_list(&a.recovery_start_ms),
        timeline
            .redis_restarts
            .iter()
            .map(|(down, up)| (up - down).to_string())
            .collect::<Vec<_>>()
            .join(","),
        args.workers,
        args.concurrency,
        terminated.len(),
        term_codes.join(","),
        timeline.redis_restarts.len(),
        args.redis_downtime.as_millis(),
        args.redelivery_timeout.as_millis(),
        args.seed,
        a.starts,
        a.ends,
        a.most_starts,
        a.torn,
        timeline.drained,
        timeline.timed_out,
        elapsed.as_secs_f64(),
        crate::git_commit(),
        crate::redis_version(),
    );
}

/// Prints the run as a table on stderr, with the worker exits and a few duplicate timelines.
fn print_table(
    args: &ChaosArgs,
    scheduled: u64,
    a: &Analysis,
    fleet: &Fleet,
    timeline: &Timeline,
    elapsed: Duration,
    logs: &LogDir,
) {
    eprintln!(
        "chaos n={} workers={}×{} redelivery_timeout={:?} redis_downtime={:?} seed={} ({:.1} s{})",
        args.n,
        args.workers,
        args.concurrency,
        args.redelivery_timeout,
        args.redis_downtime,
        args.seed,
        elapsed.as_secs_f64(),
        if timeline.timed_out { ", TIMED OUT" } else { "" },
    );
    let killed = fleet.with_fate(|f| matches!(f, Fate::Killed(_))).len();
    let terminated = fleet.with_fate(|f| matches!(f, Fate::Terminated(..)));
    let exits = fleet.with_fate(|f| matches!(f, Fate::Exited(..)));
    let rows: [(&str, String); 13] = [
        ("scheduled", scheduled.to_string()),
        ("completed (has an end line)", a.completed.to_string()),
        ("lost (no end line)", a.lost.to_string()),
        ("duplicates (started twice or more)", a.duplicates.to_string()),
        ("  first holder SIGKILLed", a.holder_killed.to_string()),
        ("  first holder SIGTERMed", a.holder_terminated.to_string()),
        ("  first holder exited on its own", a.holder_exited.to_string()),
        ("  first holder alive", a.holder_alive.to_string()),
        ("  …whose first run had ended", a.first_run_ended.to_string()),
        (
            "workers SIGKILLed / SIGTERMed",
            format!("{killed} / {}", terminated.len()),
        ),
        ("worker exits (on their own)", exits.len().to_string()),
        ("redis restarts", timeline.redis_restarts.len().to_string()),
        ("starts / ends written", format!("{} / {}", a.starts, a.ends)),
    ];
    for (name, value) in rows {
        eprintln!("  {name:<38} {value:>8}");
    }
    for (i, (end, start)) in a.recovery_ms.iter().zip(&a.recovery_start_ms).enumerate() {
        let show = |v: &Option<i64>| v.map_or("never".to_string(), |ms| format!("{ms} ms"));
        eprintln!(
            "  recovery after redis restart {}: next end {}, next start {}",
            i + 1,
            show(end),
            show(start)
        );
    }
    for line in events(fleet, timeline) {
        eprintln!("  {line}");
    }
    if a.holder_alive > 0 {
        eprintln!(
            "  duplicates with a live holder: {} straddle a redis restart, {} had ended their first run",
            a.alive_across_redis_restart, a.alive_first_run_ended
        );
        for example in &a.examples {
            eprintln!("    {example}");
        }
    }
    if logs.keep {
        eprintln!("  logs kept in {}", logs.path().display());
    }
}

/// What the harness did and saw, in time order, relative to the start of the workers.
fn events(fleet: &Fleet, timeline: &Timeline) -> Vec<String> {
    let origin = timeline.started_at;
    let mut events: Vec<(i64, String)> = Vec::new();
    for (name, fate) in fleet.with_fate(|fate| *fate != Fate::Alive) {
        match fate {
            Fate::Killed(at) => events.push((at, format!("SIGKILL {name}"))),
            Fate::Terminated(at, status) => events.push((
                at,
                format!(
                    "SIGTERM {name}: exited with {}",
                    status.map_or("nothing (killed after the grace)".to_string(), |s| s.to_string())
                ),
            )),
            Fate::Exited(at, status) => events.push((at, format!("{name} exited on its own: {status}"))),
            Fate::Alive => {}
        }
    }
    for &(down, up) in &timeline.redis_restarts {
        events.push((
            down,
            format!("redis SIGKILLed, answering PING again {} ms later", up - down),
        ));
    }
    events.sort_by_key(|(at, _)| *at);
    events
        .into_iter()
        .map(|(at, what)| format!("{:>7.2} s  {what}", (at - origin) as f64 / 1000.0))
        .collect()
}

/// The wall clock in unix milliseconds, as the task logs write it.
fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_and_torn_ones_do_not() {
        let line = Line::parse("start 17 w-3 1700000000123").expect("a whole line parses");
        assert_eq!(
            (line.mark, line.task, line.worker.as_str(), line.at_ms),
            (Mark::Start, 17, "w-3", 1_700_000_000_123)
        );
        assert!(Line::parse("end 17 w-3").is_none());
        assert!(Line::parse("end 17 w-3 12 extra").is_none());
        assert!(Line::parse("sta").is_none());
    }

    /// A progress made of `start|end <task> <worker> <ms>` lines.
    fn progress_of(n: u64, lines: &[&str]) -> Progress {
        let mut progress = Progress::new(n);
        for text in lines {
            let line = Line::parse(text).expect("a test line parses");
            if line.mark == Mark::End && !progress.ended[line.task as usize] {
                progress.ended[line.task as usize] = true;
                progress.ended_count += 1;
            }
            progress.lines.push(line);
        }
        progress
    }

    #[test]
    fn duplicates_are_split_by_the_fate_of_the_first_holder() {
        let progress = progress_of(
            4,
            &[
                // 0: its holder was SIGKILLed mid-run, then it ran again.
                "start 0 w-0 100",
                "start 0 w-2 2200",
                "end 0 w-2 2210",
                // 1: ended, its holder alive, ran again after a Redis restart.
                "start 1 w-1 100",
                "end 1 w-1 110",
                "start 1 w-2 2300",
                "end 1 w-2 2310",
                // 2: once, cleanly.
                "start 2 w-1 120",
                "end 2 w-1 130",
                // 3: never ended.
                "start 3 w-0 140",
            ],
        );
        let timeline = Timeline {
            redis_restarts: vec![(115, 1_900)],
            ..Timeline::default()
        };
        let fate = |name: &str| {
            if name == "w-0" {
                Fate::Killed(150)
            } else {
                Fate::Alive
            }
        };
        let analysis = analyse(&progress, fate, &timeline);
        assert_eq!((analysis.completed, analysis.lost), (3, 1));
        assert_eq!(analysis.duplicates, 2);
        assert_eq!((analysis.holder_killed, analysis.holder_alive), (1, 1));
        assert_eq!(analysis.alive_first_run_ended, 1);
        assert_eq!(analysis.alive_across_redis_restart, 1);
        assert_eq!(analysis.recovery_ms, vec![Some(2_210 - 1_900)]);
        assert_eq!(analysis.recovery_start_ms, vec![Some(2_200 - 1_900)]);
    }

    #[test]
    fn a_tail_returns_only_whole_lines_and_keeps_the_rest() {
        let dir = LogDir::create(false).expect("a scratch directory");
        let path = dir.path().join("w-0.tasks");
        let mut tail = LogTail::new(path.clone());
        assert!(tail
            .read_lines()
            .expect("a missing log reads as empty")
            .is_empty());
        std::fs::write(&path, "start 1 w-0 5\nend 1 w").expect("write the log");
        assert_eq!(
            tail.read_lines().expect("read"),
            vec!["start 1 w-0 5".to_string()]
        );
        let mut file = OpenOptions::new().append(true).open(&path).expect("reopen");
        file.write_all(b"-0 9\n").expect("append");
        assert_eq!(tail.read_lines().expect("read"), vec!["end 1 w-0 9".to_string()]);
    }

    #[test]
    fn task_durations_stay_between_1_and_20_ms() {
        assert!((0..10_000).all(|i| (1..=20).contains(&task_duration(i).as_millis())));
    }
}
