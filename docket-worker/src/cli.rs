//! The `docket` command line: `docket worker …`, the operator commands (`strike`, `restore`,
//! `clear`, `snapshot`, `watch`, `workers`, `dead-letters`, `tasks`) and `docket version`.
//!
//! Exit codes: 0 when the command did what it says (a strike that was already in place
//! included), 1 when it failed (a bad URL, Redis unreachable, an unknown key, …), 2 for a
//! usage error; `docket watch` exits 3 when the execution failed and 4 when it was
//! cancelled (struck and dropped included).

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use docket::{ConnectPolicy, Docket, Registry};

use crate::handle::ShutdownHandle;
use crate::worker::Worker;
use docket::parse_duration;

/// docket: distributed background tasks on Redis.
#[derive(Debug, Parser)]
#[command(name = "docket", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs a worker for every task linked into this binary.
    Worker(Box<WorkerArgs>),
    /// Strikes a task, a parameter condition on every task, or a task plus a condition: no
    /// matching execution runs until it is restored. Without a rule, lists the rules.
    Strike(StrikeArgs),
    /// Restores exactly one strike rule (written as it was struck).
    Restore(StrikeArgs),
    /// Shows what the docket holds: running, queued and scheduled executions, and workers.
    Snapshot(SnapshotArgs),
    /// Follows one execution to its end: its state, worker, error and a progress bar.
    Watch(WatchArgs),
    /// Deletes every queued and scheduled execution; running ones finish and strike rules
    /// stay. Asks first on a terminal; elsewhere it needs --yes.
    Clear(ClearArgs),
    /// Lists the live workers.
    Workers(WorkersArgs),
    /// Lists dead letters, or schedules them again.
    DeadLetters(DeadLettersArgs),
    /// Schedules one of the built-in tasks (to check a docket end to end).
    Tasks(TasksArgs),
    /// Prints the docket version.
    Version,
}

/// Where the docket lives.
#[derive(Debug, clap::Args)]
struct Connection {
    /// The docket URL: redis://host:port/db, rediss://…, unix:///path, memory://name.
    #[arg(long, env = "DOCKET_URL", default_value = "redis://127.0.0.1:6379/0")]
    url: String,
    /// The docket name.
    #[arg(long, env = "DOCKET_NAME", default_value = docket::DEFAULT_NAME)]
    name: String,
    /// How long finished executions are kept (e.g. 15m; 0s keeps nothing).
    #[arg(long, env = "DOCKET_EXECUTION_TTL", default_value = "15m", value_parser = parse_duration)]
    execution_ttl: Duration,
    /// For a rediss:// URL: a PEM file of the CA certificates to trust instead of the
    /// system's root certificates.
    #[arg(long, env = "DOCKET_TLS_CA_FILE")]
    tls_ca_file: Option<PathBuf>,
    /// For a rediss:// URL: a PEM client certificate (chain), for servers that require one
    /// (needs --tls-key-file).
    #[arg(long, env = "DOCKET_TLS_CERT_FILE", requires = "tls_key_file")]
    tls_cert_file: Option<PathBuf>,
    /// The PEM private key of --tls-cert-file.
    #[arg(long, env = "DOCKET_TLS_KEY_FILE", requires = "tls_cert_file")]
    tls_key_file: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct StrikeArgs {
    #[command(flatten)]
    connection: Connection,
    /// The rule: `TASK`, `PARAM OP VALUE` (every task) or `TASK PARAM OP VALUE`, where OP is
    /// one of == != < <= > >= and `between LO HI` takes two values (bounds included). Values
    /// are typed: `true`/`false` booleans, `42` integers, `2.5` floats, anything else a
    /// string; quote a string that looks like a number (`'"12345"'`).
    #[arg(allow_negative_numbers = true, value_name = "RULE")]
    rule: Vec<String>,
}

#[derive(Debug, clap::Args)]
struct SnapshotArgs {
    #[command(flatten)]
    connection: Connection,
    /// Also count the executions of each task, by state.
    #[arg(long)]
    stats: bool,
    /// Print JSON (executions, workers and per-task totals) instead of tables.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct WatchArgs {
    #[command(flatten)]
    connection: Connection,
    /// The execution's key.
    key: String,
}

#[derive(Debug, clap::Args)]
struct ClearArgs {
    #[command(flatten)]
    connection: Connection,
    /// Clears without asking (needed where standard input is not a terminal).
    #[arg(long, short)]
    yes: bool,
}

#[derive(Debug, clap::Args)]
struct WorkersArgs {
    #[command(flatten)]
    connection: Connection,
    #[command(subcommand)]
    command: WorkersCommand,
}

#[derive(Debug, Subcommand)]
enum WorkersCommand {
    /// Every live worker, with when it was last seen and the tasks it runs.
    Ls,
    /// The live workers that run the task TASK.
    ForTask {
        /// The task's registered name.
        task: String,
    },
}

#[derive(Debug, clap::Args)]
struct DeadLettersArgs {
    #[command(flatten)]
    connection: Connection,
    #[command(subcommand)]
    command: DeadLettersCommand,
}

#[derive(Debug, Subcommand)]
enum DeadLettersCommand {
    /// The most recent dead letters, newest first: id, key, task, when, error.
    Ls {
        /// How many to list at most.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Schedules the task and arguments of dead letters again (now, under their keys) and
    /// removes them from the dead letters.
    Requeue {
        /// The ids of the letters (as `dead-letters ls` shows them).
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        ids: Vec<String>,
        /// Every dead letter, oldest first.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, clap::Args)]
struct TasksArgs {
    #[command(flatten)]
    connection: Connection,
    /// Run it after this delay (e.g. 30s) instead of now.
    #[arg(long, value_parser = parse_duration, global = true)]
    delay: Option<Duration>,
    #[command(subcommand)]
    task: BuiltInTask,
}

#[derive(Debug, Subcommand)]
enum BuiltInTask {
    /// `docket.trace`: the worker logs MESSAGE.
    Trace {
        /// What to log.
        message: String,
    },
    /// `docket.fail`: the run fails with MESSAGE.
    Fail {
        /// The error message.
        message: String,
    },
    /// `docket.sleep`: the run sleeps SECONDS (fractions allowed).
    Sleep {
        /// How long to sleep.
        seconds: f64,
    },
}

/// The strike rule the words `words` of `docket strike` / `docket restore` write (`None`
/// for no words).
fn strike_rule(words: &[String]) -> anyhow::Result<Option<docket::Strike>> {
    let is_operator = |word: &String| word.parse::<docket::Operator>().is_ok();
    let (task, condition) = match words {
        [] => return Ok(None),
        [task] => (Some(task.clone()), &words[1..]),
        [_, op, ..] if is_operator(op) => (None, words),
        [task, rest @ ..] => (Some(task.clone()), rest),
    };
    let condition = match condition {
        [] => None,
        [param, op, values @ ..] => {
            let op: docket::Operator = op.parse()?;
            let (value, upper) = match (op, values) {
                (docket::Operator::Between, [low, high]) => (
                    docket::StrikeValue::parse(low),
                    Some(docket::StrikeValue::parse(high)),
                ),
                (docket::Operator::Between, _) => {
                    anyhow::bail!("`between` takes two values: PARAM between LO HI")
                }
                (_, [value]) => (docket::StrikeValue::parse(value), None),
                _ => anyhow::bail!("`{op}` takes one value: PARAM {op} VALUE"),
            };
            Some(docket::Condition::new(param.clone(), op, value, upper)?)
        }
        _ => anyhow::bail!("a condition is PARAM OP VALUE (e.g. `customer_id == 12345`)"),
    };
    Ok(Some(docket::Strike::new(task, condition)?))
}

#[derive(Debug, clap::Args)]
struct WorkerArgs {
    #[command(flatten)]
    connection: Connection,
    /// The worker's name (default: host name plus a random suffix).
    #[arg(long = "worker-name", env = "DOCKET_WORKER_NAME")]
    worker_name: Option<String>,
    /// How many tasks run at once.
    #[arg(long, env = "DOCKET_WORKER_CONCURRENCY", default_value_t = 10)]
    concurrency: usize,
    /// How long a delivery may go unrenewed before another worker takes it over.
    #[arg(long, env = "DOCKET_WORKER_REDELIVERY_TIMEOUT", default_value = "5m", value_parser = parse_duration)]
    redelivery_timeout: Duration,
    /// The longest the scheduler sleeps before looking for due work.
    #[arg(long, env = "DOCKET_WORKER_SCHEDULING_RESOLUTION", default_value = "250ms", value_parser = parse_duration)]
    scheduling_resolution: Duration,
    /// How long shutdown waits for running tasks before releasing them.
    #[arg(long, env = "DOCKET_WORKER_SHUTDOWN_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    shutdown_timeout: Duration,
    /// How long a task this binary does not know waits before it is offered again.
    #[arg(long, env = "DOCKET_WORKER_UNKNOWN_TASK_DELAY", default_value = "5s", value_parser = parse_duration)]
    unknown_task_delay: Duration,
    /// How long past its due time a task nobody knows is kept before it is dead-lettered.
    #[arg(long, env = "DOCKET_WORKER_UNKNOWN_TASK_MAX_AGE", default_value = "1h", value_parser = parse_duration)]
    unknown_task_max_age: Duration,
    /// Exit once no task is queued, running or scheduled (perpetual and cron chains end
    /// after their current run; automatic tasks are not seeded).
    #[arg(long, env = "DOCKET_WORKER_UNTIL_FINISHED")]
    until_finished: bool,
    /// Do not seed automatic tasks (`#[perpetual(.., automatic)]` and `#[cron]`); other
    /// workers may still do so.
    #[arg(long, env = "DOCKET_WORKER_NO_AUTOMATIC_TASKS")]
    no_automatic_tasks: bool,
    /// How often automatic tasks are seeded again, which restores a chain that was cut.
    #[arg(long, env = "DOCKET_WORKER_AUTOMATIC_RESEED_INTERVAL", default_value = "1m", value_parser = parse_duration)]
    automatic_reseed_interval: Duration,
    /// Log format.
    #[arg(long, env = "DOCKET_LOG_FORMAT", value_enum, default_value_t = LogFormat::Plain)]
    log_format: LogFormat,
    /// Log filter (tracing's EnvFilter syntax, e.g. `info` or `docket=debug`).
    #[arg(long, env = "DOCKET_LOG_LEVEL", default_value = "info")]
    log_level: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Plain,
    /// One JSON object per line.
    Json,
}

/// Runs the `docket` command line with the process's arguments. Call it from the `main` of a
/// binary that links your task crates.
///
/// A command that fails prints `error: ` and its chain of causes on one line (no backtrace,
/// whatever `RUST_BACKTRACE` says) and exits the process with code 1; use
/// [`main_with_args`] to handle the error yourself.
pub async fn main() -> anyhow::Result<()> {
    if let Err(error) = main_with_args(std::env::args_os()).await {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
    Ok(())
}

/// Runs the `docket` command line with the given arguments (the first is the program name).
pub async fn main_with_args<I, T>(args: I) -> anyhow::Result<()>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let exit = error.use_stderr();
            error.print()?;
            if exit {
                std::process::exit(2);
            }
            return Ok(());
        }
    };
    match cli.command {
        Command::Version => {
            println!("docket {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Command::Worker(args) => run_worker(*args).await,
        Command::Strike(args) => change_strikes(args, true).await,
        Command::Restore(args) => change_strikes(args, false).await,
        Command::Snapshot(args) => snapshot(args).await,
        Command::Watch(args) => watch(args).await,
        Command::Clear(args) => clear(args).await,
        Command::Workers(args) => list_workers(args).await,
        Command::DeadLetters(args) => dead_letters(args).await,
        Command::Tasks(args) => schedule_built_in(args).await,
    }
}

/// A duration for people: `850ms` under a second, else whole seconds (`12s`, `5m3s`).
fn relative(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        format!("{}ms", duration.as_millis())
    } else {
        docket::format_duration(Duration::from_secs(duration.as_secs()))
    }
}

/// Milliseconds since the Unix epoch of `time` (0 before it).
fn epoch_ms(time: std::time::SystemTime) -> u64 {
    time.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
}

/// Where an execution stands, relative to `now`: `running 12s on w-1`, `queued 3s`, `in 5m`.
fn standing(info: &docket::ExecutionInfo, now: std::time::SystemTime) -> String {
    let since = |time: std::time::SystemTime| now.duration_since(time).unwrap_or_default();
    match info.state {
        docket::ExecutionState::Running => {
            let ran = info.started_at.map(since).unwrap_or_default();
            match &info.worker {
                Some(worker) => format!("running {} on {worker}", relative(ran)),
                None => format!("running {}", relative(ran)),
            }
        }
        docket::ExecutionState::Queued => format!("queued {}", relative(since(info.when))),
        _ => match info.when.duration_since(now) {
            Ok(ahead) => format!("in {}", relative(ahead)),
            Err(_) => "due now".to_string(),
        },
    }
}

/// `docket snapshot [--stats] [--json]`.
async fn snapshot(args: SnapshotArgs) -> anyhow::Result<()> {
    let docket = connect(&args.connection, ConnectPolicy::FailFast).await?;
    let snapshot = docket.snapshot().await;
    docket.close().await;
    let snapshot = snapshot?;
    let now = std::time::SystemTime::now();
    if args.json {
        let executions: Vec<_> = snapshot
            .executions
            .iter()
            .map(|info| {
                serde_json::json!({
                    "key": info.key,
                    "task": info.task,
                    "state": info.state.to_string(),
                    "when_ms": epoch_ms(info.when),
                    "attempt": info.attempt,
                    "worker": info.worker,
                    "started_ms": info.started_at.map(epoch_ms),
                    "progress": info.progress.as_ref().map(|progress| serde_json::json!({
                        "current": progress.current,
                        "total": progress.total,
                        "message": progress.message,
                    })),
                })
            })
            .collect();
        let workers: Vec<_> = snapshot
            .workers
            .iter()
            .map(|worker| serde_json::json!({"name": worker.name, "last_seen_ms": worker.last_seen_ms, "tasks": worker.tasks}))
            .collect();
        let totals: Vec<_> = snapshot
            .totals()
            .iter()
            .map(|totals| serde_json::json!({"task": totals.task, "running": totals.running, "queued": totals.queued, "scheduled": totals.scheduled}))
            .collect();
        let document = serde_json::json!({"executions": executions, "workers": workers, "totals": totals, "complete": snapshot.complete});
        println!("{}", serde_json::to_string_pretty(&document)?);
        return Ok(());
    }
    if snapshot.executions.is_empty() {
        println!("nothing is running, queued or scheduled");
    } else {
        let mut table = comfy_table::Table::new();
        table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
        table.set_header(["state", "key", "task", "when", "attempt"]);
        for info in &snapshot.executions {
            table.add_row([
                info.state.to_string(),
                info.key.clone(),
                info.task.clone(),
                standing(info, now),
                info.attempt.to_string(),
            ]);
        }
        println!("{table}");
        if !snapshot.complete {
            println!(
                "(more is live than this lists: at most {} queued or running and {} scheduled executions are shown, the soonest first)",
                docket::SNAPSHOT_LIMIT,
                docket::SNAPSHOT_LIMIT
            );
        }
    }
    if args.stats {
        let mut table = comfy_table::Table::new();
        table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
        table.set_header(["task", "running", "queued", "scheduled"]);
        for totals in snapshot.totals() {
            table.add_row([
                totals.task,
                totals.running.to_string(),
                totals.queued.to_string(),
                totals.scheduled.to_string(),
            ]);
        }
        println!("{table}");
    }
    let names: Vec<&str> = snapshot
        .workers
        .iter()
        .map(|worker| worker.name.as_str())
        .collect();
    match names.len() {
        0 => println!("no live worker"),
        1 => println!("1 worker: {}", names[0]),
        n => println!("{n} workers: {}", names.join(", ")),
    }
    Ok(())
}

/// How often `docket watch` re-reads the record in case an event was lost.
const WATCH_BACKSTOP: Duration = Duration::from_secs(2);

/// Shows progress: a bar on a terminal, a line per update otherwise (logs, scripts).
struct ProgressView {
    bar: Option<indicatif::ProgressBar>,
    last: Option<(u64, Option<u64>, Option<String>)>,
}

impl ProgressView {
    fn new() -> Self {
        Self {
            bar: None,
            last: None,
        }
    }

    fn show(&mut self, current: u64, total: Option<u64>, message: Option<String>) {
        let state = (current, total, message);
        if self.last.as_ref() == Some(&state) {
            return;
        }
        let (current, total, message) = state.clone();
        self.last = Some(state);
        if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            let of = total.map(|total| format!("/{total}")).unwrap_or_default();
            let message = message.map(|message| format!(" {message}")).unwrap_or_default();
            println!("progress {current}{of}{message}");
            return;
        }
        let bar = self.bar.get_or_insert_with(|| {
            let bar = indicatif::ProgressBar::new(total.unwrap_or(0));
            if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}") {
                bar.set_style(style);
            }
            bar
        });
        if let Some(total) = total {
            bar.set_length(total);
        }
        bar.set_position(current);
        bar.set_message(message.unwrap_or_default());
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish();
        }
    }
}

/// Prints a state as `docket watch` shows it; returns the exit code once it is final.
fn show_state(
    key: &str,
    state: docket::ExecutionState,
    worker: Option<&str>,
    error: Option<&docket::StoredError>,
    progress: &mut ProgressView,
) -> Option<i32> {
    use docket::ExecutionState;
    if state.is_terminal() {
        progress.finish();
    }
    match (state, error) {
        (ExecutionState::Running, _) => match worker {
            Some(worker) => println!("{key}: running on {worker}"),
            None => println!("{key}: running"),
        },
        (ExecutionState::Completed, _) => {
            println!("{key}: completed");
            return Some(0);
        }
        (ExecutionState::Failed, Some(error)) => {
            println!("{key}: failed: {} ({})", error.message, error.type_name);
            return Some(3);
        }
        (ExecutionState::Failed, None) => {
            println!("{key}: failed");
            return Some(3);
        }
        (ExecutionState::Cancelled, Some(error)) => {
            println!("{key}: cancelled: {}", error.message);
            return Some(4);
        }
        (ExecutionState::Cancelled, None) => {
            println!("{key}: cancelled");
            return Some(4);
        }
        (state, _) => println!("{key}: {state}"),
    }
    None
}

/// `docket watch KEY`.
async fn watch(args: WatchArgs) -> anyhow::Result<()> {
    let docket = connect(&args.connection, ConnectPolicy::FailFast).await?;
    let code = follow(&docket, &args.key).await;
    docket.close().await;
    let code = code?;
    if code != 0 {
        std::process::exit(code);
    }
    Ok(())
}

/// Shows a record as `docket watch` reads it: its state (when `state_changed`) and its
/// progress; returns the exit code once the state is final.
fn show_record(
    key: &str,
    info: &docket::ExecutionInfo,
    state_changed: bool,
    progress: &mut ProgressView,
) -> Option<i32> {
    if state_changed {
        let code = show_state(
            key,
            info.state,
            info.worker.as_deref(),
            info.error.as_ref(),
            progress,
        );
        if code.is_some() {
            return code;
        }
    }
    if let Some(now) = &info.progress {
        progress.show(now.current, now.total, now.message.clone());
    }
    None
}

async fn follow(docket: &Docket, key: &str) -> anyhow::Result<i32> {
    use docket::Event;
    let (info, mut events) = docket.backend().watch(key).await?;
    let Some(info) = info else {
        anyhow::bail!("no execution with key `{key}` is known (never scheduled, or its record expired)");
    };
    let mut progress = ProgressView::new();
    let mut shown = (info.state, info.worker.clone());
    if let Some(code) = show_record(key, &info, true, &mut progress) {
        return Ok(code);
    }
    loop {
        let received = tokio::time::timeout(WATCH_BACKSTOP, events.recv()).await;
        match received {
            Ok(Ok(Event::State(change))) if change.key == key => {
                // The event does not name the worker: the record does.
                let worker = if change.state == docket::ExecutionState::Running {
                    docket.execution(key).await?.and_then(|info| info.worker)
                } else {
                    None
                };
                shown = (change.state, worker.clone());
                if let Some(code) = show_state(
                    key,
                    change.state,
                    worker.as_deref(),
                    change.error.as_ref(),
                    &mut progress,
                ) {
                    return Ok(code);
                }
            }
            Ok(Ok(Event::Progress(change))) if change.key == key => {
                progress.show(change.current, change.total, change.message);
            }
            Ok(Ok(_)) => {}
            Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) => {
                anyhow::bail!("the connection to the docket closed")
            }
            // Lagged, or quiet for a while: read the record in case an event was lost.
            Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) | Err(_) => {
                let Some(info) = docket.execution(key).await? else {
                    anyhow::bail!("execution `{key}` ended and its record is gone (execution_ttl 0?)");
                };
                let changed = (info.state, info.worker.clone()) != shown || info.state.is_terminal();
                shown = (info.state, info.worker.clone());
                if let Some(code) = show_record(key, &info, changed, &mut progress) {
                    return Ok(code);
                }
            }
        }
    }
}

/// `docket workers ls` and `docket workers for-task TASK`.
async fn list_workers(args: WorkersArgs) -> anyhow::Result<()> {
    let docket = connect(&args.connection, ConnectPolicy::FailFast).await?;
    let workers = match &args.command {
        WorkersCommand::Ls => docket.workers().await,
        WorkersCommand::ForTask { task } => docket.workers_for(task).await,
    };
    docket.close().await;
    let mut workers = workers?;
    workers.sort_by(|a, b| a.name.cmp(&b.name));
    if workers.is_empty() {
        println!("no live worker");
    }
    let now = docket::backend::now_ms();
    for worker in workers {
        let ago = docket::backend::until(now, worker.last_seen_ms);
        println!(
            "{}\tseen {} ago\t{}",
            worker.name,
            docket::format_duration(Duration::from_secs(ago.as_secs())),
            worker.tasks.join(", ")
        );
    }
    Ok(())
}

/// `docket clear`: after a yes at the terminal, or with `--yes`.
async fn clear(args: ClearArgs) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    if !args.yes && !std::io::IsTerminal::is_terminal(&stdin) {
        eprintln!("error: `docket clear` deletes all queued and scheduled work: pass --yes to confirm");
        std::process::exit(2);
    }
    let docket = connect(&args.connection, ConnectPolicy::FailFast).await?;
    if !args.yes {
        let backlog = docket.backend().backlog().await;
        let backlog = match backlog {
            Ok(backlog) => backlog,
            Err(error) => {
                docket.close().await;
                return Err(error.into());
            }
        };
        eprint!(
            "delete the queued and scheduled executions of docket `{}` at {} ({} scheduled, {} \
             queued or running; running ones are left to finish)? [y/N] ",
            docket.name(),
            docket.url(),
            backlog.scheduled,
            backlog.ready,
        );
        // Read off the runtime's threads, which keep the connection alive meanwhile.
        let answer = tokio::task::spawn_blocking(move || {
            let mut answer = String::new();
            stdin.read_line(&mut answer).map(|_| answer)
        })
        .await?;
        if !matches!(answer?.trim(), "y" | "Y" | "yes" | "Yes" | "YES") {
            docket.close().await;
            anyhow::bail!("not confirmed: nothing was cleared");
        }
    }
    let removed = docket.clear().await;
    docket.close().await;
    let removed = removed?;
    println!(
        "cleared {removed} execution{}",
        if removed == 1 { "" } else { "s" }
    );
    Ok(())
}

/// `docket dead-letters ls` and `docket dead-letters requeue`.
async fn dead_letters(args: DeadLettersArgs) -> anyhow::Result<()> {
    let docket = connect(&args.connection, ConnectPolicy::FailFast).await?;
    let done = match args.command {
        DeadLettersCommand::Ls { limit } => list_dead_letters(&docket, limit).await,
        DeadLettersCommand::Requeue { ids, all } => requeue_dead_letters(&docket, &ids, all).await,
    };
    docket.close().await;
    done
}

async fn list_dead_letters(docket: &Docket, limit: usize) -> anyhow::Result<()> {
    let letters = docket.dead_letters(limit).await?;
    if letters.is_empty() {
        println!("no dead letter");
    }
    let now = docket::backend::now_ms();
    for letter in letters {
        let ago = docket::backend::until(now, letter.at_ms);
        println!(
            "{}\t{}\t{}\t{} ago\t{}: {}",
            letter.id,
            letter.key,
            letter.task,
            docket::format_duration(Duration::from_secs(ago.as_secs())),
            letter.error.type_name,
            letter.error.message
        );
    }
    Ok(())
}

async fn requeue_dead_letters(docket: &Docket, ids: &[String], all: bool) -> anyhow::Result<()> {
    let mut letters = docket.dead_letters(usize::MAX).await?;
    letters.reverse();
    let mut failed = 0;
    if !all {
        for id in ids
            .iter()
            .filter(|id| !letters.iter().any(|letter| &letter.id == *id))
        {
            eprintln!("error: no dead letter `{id}`");
            failed += 1;
        }
        letters.retain(|letter| ids.contains(&letter.id));
    }
    for letter in &letters {
        match docket.requeue_dead_letter(letter).await {
            Ok(disposition) => {
                let what = match disposition {
                    docket::Disposition::Scheduled => "requeued",
                    docket::Disposition::AlreadyScheduled => "already pending",
                    docket::Disposition::Struck => "struck, kept",
                    _ => "dropped, kept",
                };
                println!("{what}: {} ({} {})", letter.id, letter.task, letter.key);
            }
            Err(error) => {
                eprintln!("error: {error}");
                failed += 1;
            }
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} dead letter(s) could not be requeued");
    }
    Ok(())
}

/// `docket tasks trace|fail|sleep`.
async fn schedule_built_in(args: TasksArgs) -> anyhow::Result<()> {
    let docket = connect(&args.connection, ConnectPolicy::FailFast).await?;
    let delay = args.delay.unwrap_or(Duration::ZERO);
    let scheduled = match args.task {
        BuiltInTask::Trace { message } => docket::tasks::trace::schedule(&docket, message)
            .after(delay)
            .await
            .map(|execution| execution.key().to_string()),
        BuiltInTask::Fail { message } => docket::tasks::fail::schedule(&docket, message)
            .after(delay)
            .await
            .map(|execution| execution.key().to_string()),
        BuiltInTask::Sleep { seconds } => docket::tasks::sleep::schedule(&docket, seconds)
            .after(delay)
            .await
            .map(|execution| execution.key().to_string()),
    };
    docket.close().await;
    println!("scheduled {}", scheduled?);
    Ok(())
}

/// `docket strike` (`strike`) or `docket restore`.
async fn change_strikes(args: StrikeArgs, strike: bool) -> anyhow::Result<()> {
    let rule = match strike_rule(&args.rule) {
        Ok(None) if !strike => {
            eprintln!("error: name the rule to restore, as it was struck (`docket strike` lists them)");
            std::process::exit(2);
        }
        Ok(rule) => rule,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(2);
        }
    };
    let docket = connect(&args.connection, ConnectPolicy::FailFast).await?;
    let ran = match (rule, strike) {
        (None, true) => {
            let rules = docket.strikes();
            if rules.is_empty() {
                println!("nothing is struck");
            }
            for rule in rules.iter() {
                println!("{rule}\t{}", restore_command(rule));
            }
            Ok(())
        }
        (None, false) => Ok(()),
        (Some(rule), true) => {
            let done = docket.strike(rule.clone()).await.map(|added| {
                let prefix = if added { "struck" } else { "already struck" };
                println!("{prefix}: {rule}");
            });
            if let (Ok(()), Some(task)) = (&done, &rule.task) {
                warn_if_unknown(&docket, task).await;
            }
            done
        }
        (Some(rule), false) => docket.restore(rule.clone()).await.map(|removed| {
            let prefix = if removed { "restored" } else { "was not struck" };
            println!("{prefix}: {rule}");
        }),
    };
    docket.close().await;
    Ok(ran?)
}

/// Warns when neither this binary nor any live worker knows a task called `task` (a typo
/// strikes nothing that exists; the rule is kept all the same, for a task deployed later).
async fn warn_if_unknown(docket: &Docket, task: &str) {
    let linked = Registry::discover().is_ok_and(|registry| registry.get(task).is_some());
    if linked {
        return;
    }
    match docket.workers_for(task).await {
        Ok(workers) if workers.is_empty() => eprintln!(
            "warning: no live worker runs a task called `{task}` (and this binary does not link one): \
             check the name; the rule is in place all the same"
        ),
        _ => {}
    }
}

/// The shell command that restores `rule`, its words quoted so that it can be pasted.
fn restore_command(rule: &docket::Strike) -> String {
    let mut words = vec!["docket".to_string(), "restore".to_string()];
    words.extend(rule.task.iter().map(|task| shell_word(task)));
    if let Some(condition) = &rule.condition {
        words.push(shell_word(&condition.param));
        let values = std::iter::once(&condition.value).chain(condition.upper.as_ref());
        let op = match condition.op {
            docket::Operator::Between => "between".to_string(),
            op => shell_word(&op.to_string()),
        };
        words.push(op);
        words.extend(values.map(|value| shell_word(&value_word(value))));
    }
    words.join(" ")
}

/// A value as `docket strike` reads it back ([`docket::StrikeValue::parse`]): a string that
/// would read as something else (`"12345"`, `"true"`) in double quotes, taken literally.
fn value_word(value: &docket::StrikeValue) -> String {
    match value {
        docket::StrikeValue::Str(text) if docket::StrikeValue::parse(text) != *value => format!("\"{text}\""),
        docket::StrikeValue::Str(text) => text.clone(),
        other => other.to_string(),
    }
}

/// `word` as one word of a POSIX shell: bare when it holds only safe characters, else in
/// single quotes.
fn shell_word(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_-.,:/@%+=".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// Connects to the docket `connection` names.
async fn connect(connection: &Connection, policy: ConnectPolicy) -> anyhow::Result<Docket> {
    let builder = docket_builder(connection, policy);
    builder.validate()?;
    Ok(builder.connect().await?)
}

fn docket_builder(connection: &Connection, policy: ConnectPolicy) -> docket::DocketBuilder {
    let mut builder = Docket::builder(&connection.url)
        .name(&connection.name)
        .execution_ttl(connection.execution_ttl)
        .connect_policy(policy);
    if let Some(ca) = &connection.tls_ca_file {
        builder = builder.tls_ca_file(ca.clone());
    }
    if let (Some(cert), Some(key)) = (&connection.tls_cert_file, &connection.tls_key_file) {
        builder = builder.tls_client_auth(cert.clone(), key.clone());
    }
    builder
}

async fn run_worker(args: WorkerArgs) -> anyhow::Result<()> {
    // From the start, a stop signal stops the worker: while it waits for Redis, and in the
    // moment before the worker itself listens for signals (a signal then would be lost).
    let stop = ShutdownHandle::new();
    let early = {
        let stop = stop.clone();
        tokio::spawn(async move {
            crate::shutdown::first_signal().await;
            stop.shutdown();
        })
    };
    let ran = run_worker_until(args, &stop).await;
    early.abort();
    ran
}

async fn run_worker_until(args: WorkerArgs, stop: &ShutdownHandle) -> anyhow::Result<()> {
    init_logging(args.log_format, &args.log_level)?;
    let builder = docket_builder(&args.connection, ConnectPolicy::Wait);
    // A bad URL or TLS file, or a binary with two tasks of one name, fails before the worker
    // waits for anything.
    builder.validate()?;
    let registry = Registry::discover()?;
    // Started before Redis (or while it loads its data), a worker waits for it rather than
    // exiting into a crash loop; a stop signal ends the wait.
    let connect = builder.connect();
    let docket = tokio::select! {
        docket = connect => docket?,
        _ = stop.requested() => {
            tracing::info!("stopped before Redis could be reached");
            return Ok(());
        }
    };
    let mut builder = Worker::builder(&docket)
        .registry(registry)
        .concurrency(args.concurrency)
        .redelivery_timeout(args.redelivery_timeout)
        .scheduling_resolution(args.scheduling_resolution)
        .shutdown_timeout(args.shutdown_timeout)
        .unknown_task_delay(args.unknown_task_delay)
        .unknown_task_max_age(args.unknown_task_max_age)
        .schedule_automatic_tasks(!args.no_automatic_tasks)
        .automatic_reseed_interval(args.automatic_reseed_interval)
        .shutdown_handle(stop.clone())
        .shutdown_on_signals();
    if let Some(name) = args.worker_name {
        builder = builder.name(name);
    }
    let worker = builder.build()?;
    let ran = if args.until_finished {
        worker.run_until_finished().await
    } else {
        worker.run_forever().await
    };
    // Close the connections before the runtime stops under them.
    docket.close().await;
    Ok(ran?)
}

fn init_logging(format: LogFormat, filter: &str) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .map_err(|error| anyhow::anyhow!("invalid log filter `{filter}`: {error}"))?;
    // Colours only for a terminal: log files and collectors get plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    // A host that already installed a subscriber keeps it.
    let _ = match format {
        LogFormat::Plain => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    Ok(())
}
