//! The worker: its builder and its main loop.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use docket::backend::{Backend, Delivery, Presence};
use docket::{Docket, Registry, States, TaskDescriptor};
use tokio::sync::{mpsc, Notify, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::completer::Completer;
use crate::handle::ShutdownHandle;
use crate::lease::heartbeat_interval;
use crate::runner::{InFlight, Runner, Successors};
use crate::scheduler::DueWork;
use crate::shutdown::Shutdown;
use crate::Error;

/// Defaults of [`WorkerBuilder`].
const DEFAULT_CONCURRENCY: usize = 10;
const DEFAULT_REDELIVERY_TIMEOUT: Duration = Duration::from_secs(5 * 60);
const DEFAULT_SCHEDULING_RESOLUTION: Duration = Duration::from_millis(250);
const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest an idle claim waits for work (less when a redelivery sweep is due sooner; a
/// stop ends the wait at once). Longer waits make an idle worker cheaper.
const CLAIM_WAIT: Duration = Duration::from_secs(5);
/// How often automatic tasks are seeded again by default.
const DEFAULT_RESEED_INTERVAL: Duration = Duration::from_secs(60);
/// The most tasks one worker runs at once.
const MAX_CONCURRENCY: usize = 65_536;
/// How long leaving the registry may take at shutdown.
const LEAVE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long an unknown task waits before it is offered to a worker again.
const UNKNOWN_TASK_DELAY: Duration = Duration::from_secs(5);
/// How long past its due time an unknown task is kept before it is dead-lettered.
const UNKNOWN_TASK_MAX_AGE: Duration = Duration::from_secs(60 * 60);

/// Configures a [`Worker`].
#[derive(Debug, Clone)]
pub struct WorkerBuilder {
    docket: Docket,
    name: Option<String>,
    concurrency: usize,
    redelivery_timeout: Duration,
    scheduling_resolution: Duration,
    shutdown_timeout: Duration,
    unknown_task_delay: Duration,
    unknown_task_max_age: Duration,
    registry: Option<Registry>,
    states: States,
    automatic: bool,
    reseed_interval: Duration,
    shutdown: ShutdownHandle,
    signals: bool,
}

impl WorkerBuilder {
    /// The worker's name (default: `<hostname-ish>-<random>`), shown in records and listings.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// How many tasks run at once (default 10).
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency;
        self
    }

    /// How long a delivery may go without a lease renewal before another worker takes it over
    /// (default 5 minutes). Live workers renew their leases, so long tasks are not affected.
    pub fn redelivery_timeout(mut self, timeout: Duration) -> Self {
        self.redelivery_timeout = timeout;
        self
    }

    /// The longest the scheduler sleeps before looking for due work (default 250 ms).
    pub fn scheduling_resolution(mut self, resolution: Duration) -> Self {
        self.scheduling_resolution = resolution;
        self
    }

    /// How long shutdown waits for running tasks before releasing them for redelivery
    /// (default 30 s).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// How long a delivery of a task this binary does not know waits before it is offered
    /// again, so a worker that knows it can take it (default 5 s).
    pub fn unknown_task_delay(mut self, delay: Duration) -> Self {
        self.unknown_task_delay = delay;
        self
    }

    /// How long past its due time a delivery of an unknown task keeps being offered before it
    /// is failed and dead-lettered (default 1 hour).
    pub fn unknown_task_max_age(mut self, age: Duration) -> Self {
        self.unknown_task_max_age = age;
        self
    }

    /// Runs only the tasks of `registry` instead of every task linked into the binary.
    pub fn registry(mut self, registry: Registry) -> Self {
        self.registry = Some(registry);
        self
    }

    /// Whether this worker seeds automatic tasks — `#[perpetual(.., automatic)]` and `#[cron]`
    /// tasks — under their names (default on). Seeding is idempotent: however many workers
    /// seed, each automatic task has one live chain.
    pub fn schedule_automatic_tasks(mut self, enabled: bool) -> Self {
        self.automatic = enabled;
        self
    }

    /// How often a worker seeds its automatic tasks again (default 1 minute), which also
    /// restores a chain that was cut (its record deleted, say) within that period. A chain
    /// that is alive is never moved by seeding.
    pub fn automatic_reseed_interval(mut self, interval: Duration) -> Self {
        self.reseed_interval = interval.max(Duration::from_millis(10));
        self
    }

    /// Shares `value` with every task run on this worker: a task receives it by taking a
    /// `docket::State<T>` parameter (like axum's `State`), and `FromContext` implementations
    /// read it with `TaskContext::state`. One value per type; a second replaces the first.
    pub fn state<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        self.states.insert(value);
        self
    }

    /// Stops the worker gracefully when `handle` is told to (by default the worker has a
    /// handle of its own: [`Worker::shutdown_handle`]).
    pub fn shutdown_handle(mut self, handle: ShutdownHandle) -> Self {
        self.shutdown = handle;
        self
    }

    /// Also stops gracefully on SIGTERM or SIGINT (Ctrl-C); a second signal skips the wait
    /// for running tasks.
    pub fn shutdown_on_signals(mut self) -> Self {
        self.signals = true;
        self
    }

    /// Builds the worker, discovering its tasks.
    ///
    /// Fails when two tasks share a name.
    pub fn build(self) -> Result<Worker, Error> {
        if !(1..=MAX_CONCURRENCY).contains(&self.concurrency) {
            return Err(docket::Error::Config(format!(
                "concurrency must be between 1 and {MAX_CONCURRENCY}, not {}",
                self.concurrency
            ))
            .into());
        }
        if self.redelivery_timeout < Duration::from_millis(100) {
            return Err(docket::Error::Config("redelivery_timeout must be at least 100ms".into()).into());
        }
        let registry = match self.registry {
            Some(registry) => registry,
            None => Registry::discover()?,
        };
        let name = self.name.unwrap_or_else(default_name);
        let presence = Presence::new(
            name.clone(),
            uuid::Uuid::new_v4().simple().to_string(),
            crate::lease::presence_ttl(self.redelivery_timeout),
            registry.names().into_iter().map(str::to_string).collect(),
        );
        Ok(Worker {
            config: Arc::new(Config {
                docket: self.docket,
                name,
                presence,
                fleet: AtomicUsize::new(1),
                concurrency: self.concurrency,
                redelivery_timeout: self.redelivery_timeout,
                scheduling_resolution: self.scheduling_resolution.max(Duration::from_millis(1)),
                shutdown_timeout: self.shutdown_timeout,
                unknown_task_delay: self.unknown_task_delay,
                unknown_task_max_age: self.unknown_task_max_age,
                registry,
                states: self.states,
                automatic: self.automatic.then_some(self.reseed_interval),
                claiming: AtomicBool::new(false),
                claiming_again: Notify::new(),
                due: DueWork::default(),
            }),
            shutdown: self.shutdown,
            signals: self.signals,
        })
    }
}

fn default_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".to_string());
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}-{}", &id[..8])
}

/// Settings shared by the worker's loops.
#[derive(Debug)]
pub(crate) struct Config {
    pub docket: Docket,
    pub name: String,
    /// How this run of the worker announces itself.
    pub presence: Presence,
    /// How many workers were alive at the last heartbeat (this one included).
    pub fleet: AtomicUsize,
    pub concurrency: usize,
    pub redelivery_timeout: Duration,
    pub scheduling_resolution: Duration,
    pub shutdown_timeout: Duration,
    pub unknown_task_delay: Duration,
    pub unknown_task_max_age: Duration,
    pub registry: Registry,
    /// The shared state tasks receive as `State<T>`.
    pub states: States,
    /// How often automatic tasks are seeded again (`None`: never seeded by this worker).
    pub automatic: Option<Duration>,
    /// Whether the last claim succeeded: the worker is listed as alive only while it can
    /// actually claim work.
    pub claiming: AtomicBool,
    /// Wakes the heartbeat when claiming starts to work (again).
    pub claiming_again: Notify,
    /// What the claim loop and the scheduler share about scheduled work.
    pub due: DueWork,
}

impl Config {
    pub fn backend(&self) -> &Arc<dyn Backend> {
        self.docket.backend()
    }
}

/// Runs the tasks of one docket. Build it with [`Worker::builder`].
#[derive(Debug)]
pub struct Worker {
    config: Arc<Config>,
    shutdown: ShutdownHandle,
    signals: bool,
}

impl Worker {
    /// Starts configuring a worker for `docket`.
    pub fn builder(docket: &Docket) -> WorkerBuilder {
        WorkerBuilder {
            docket: docket.clone(),
            name: None,
            concurrency: DEFAULT_CONCURRENCY,
            redelivery_timeout: DEFAULT_REDELIVERY_TIMEOUT,
            scheduling_resolution: DEFAULT_SCHEDULING_RESOLUTION,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            unknown_task_delay: UNKNOWN_TASK_DELAY,
            unknown_task_max_age: UNKNOWN_TASK_MAX_AGE,
            registry: None,
            states: States::new(),
            automatic: true,
            reseed_interval: DEFAULT_RESEED_INTERVAL,
            shutdown: ShutdownHandle::new(),
            signals: false,
        }
    }

    /// The worker's name.
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// The names of the tasks this worker runs.
    pub fn tasks(&self) -> Vec<&'static str> {
        self.config.registry.names()
    }

    /// A handle that stops the worker gracefully.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shutdown.clone()
    }

    /// Runs until shut down (by the token or, if enabled, a signal).
    pub async fn run_forever(&self) -> Result<(), Error> {
        self.run(Successors::Always).await
    }

    /// Runs until no task is queued, running or scheduled, then returns.
    ///
    /// Retries happen as usual, but perpetual and cron chains end after their current run
    /// (their last run's outcome is the execution's end), and automatic tasks are not seeded:
    /// otherwise a perpetual task would keep the worker busy forever. To run a chain a bounded
    /// number of times, use [`run_at_most`](Self::run_at_most).
    pub async fn run_until_finished(&self) -> Result<(), Error> {
        self.run(Successors::Retries).await
    }

    /// Like [`run_until_finished`](Self::run_until_finished), but each key in `limits` runs up
    /// to its number of times (every run counts: retries and perpetual runs alike) before its
    /// chain ends; automatic tasks whose name is a key in `limits` are seeded once. For testing
    /// perpetual and cron tasks: `worker.run_at_most([("poll", 3)]).await?`.
    pub async fn run_at_most<K: Into<String>>(
        &self,
        limits: impl IntoIterator<Item = (K, usize)>,
    ) -> Result<(), Error> {
        let limits: HashMap<String, usize> = limits
            .into_iter()
            .map(|(key, runs)| (key.into(), runs))
            .filter(|(_, runs)| *runs > 0)
            .collect();
        self.run(Successors::AtMost(Mutex::new(limits))).await
    }

    async fn run(&self, successors: Successors) -> Result<(), Error> {
        let until_finished = !matches!(successors, Successors::Always);
        let config = &self.config;
        tracing::info!(
            worker = %config.name,
            docket = %config.docket.name(),
            concurrency = config.concurrency,
            tasks = ?config.registry.names(),
            "worker starting"
        );
        if config.registry.len() == docket::Registry::default().len() {
            tracing::warn!(
                "only the built-in tasks are registered: link the crates that define your \
                 #[docket::task] functions into this binary (see the docs on task discovery)"
            );
        }
        let shutdown = Shutdown::new(self.shutdown.child_token(), self.signals)?;
        if !self.register(&shutdown).await? {
            return Ok(());
        }
        let background = CancellationToken::new();
        let in_flight: InFlight = Arc::new(Mutex::new(HashMap::new()));
        let (outcomes, outcome_receiver) = mpsc::unbounded_channel();
        let mut loops = JoinSet::new();
        loops.spawn(crate::scheduler::run(config.clone(), background.clone()));
        loops.spawn(crate::lease::keep(
            config.clone(),
            in_flight.clone(),
            background.clone(),
        ));
        let presence = CancellationToken::new();
        loops.spawn(crate::lease::heartbeat(config.clone(), presence.clone()));
        loops.spawn(crate::runner::listen_for_cancellations(
            config.clone(),
            in_flight.clone(),
            background.clone(),
        ));
        let completer =
            tokio::spawn(Completer::new(config.clone(), outcome_receiver, in_flight.clone()).run());
        let automatic = self.automatic_tasks(&successors);
        if !automatic.is_empty() {
            let first = crate::automatic::seed_once(config, &automatic);
            if tokio::time::timeout(CLAIM_WAIT, first).await.is_err() {
                tracing::warn!("seeding automatic tasks took too long; trying again later");
            }
            // `run_at_most` seeds once: a chain that used up its runs is not started again.
            if matches!(successors, Successors::Always) {
                loops.spawn(crate::automatic::keep_seeding(
                    config.clone(),
                    automatic,
                    background.clone(),
                ));
            }
        }
        if until_finished {
            tracing::info!(
                "running until finished: perpetual and cron chains this worker runs end after their \
                 current run (do not point such a worker at a docket whose chains must go on)"
            );
        }
        let runner = Runner::new(config.clone(), in_flight.clone(), outcomes, successors);
        let slots = Arc::new(Semaphore::new(config.concurrency));

        let result = self.claim_loop(&runner, &slots, &shutdown, until_finished).await;
        // Due work is the scheduler's again while this worker stops (for other workers).
        config.due.cover(false);
        // A claim the stop cut short hands back what it still claimed: wait for that, so it is
        // claimable by other workers at once rather than after the redelivery timeout.
        if tokio::time::timeout(CLAIM_WAIT + LEAVE_TIMEOUT, config.backend().settle())
            .await
            .is_err()
        {
            tracing::warn!(
                "claims cut short by the stop did not hand back in time; they will be redelivered"
            );
        }

        // Stop claiming and leave the registry; let running tasks finish (their leases still
        // renewed), up to the shutdown timeout or a second signal; then release what is left.
        presence.cancel();
        self.leave().await;
        let drained = tokio::select! {
            _ = slots.acquire_many(config.concurrency as u32) => true,
            _ = tokio::time::sleep(config.shutdown_timeout) => false,
            _ = shutdown.aborted() => false,
        };
        if !drained {
            tracing::warn!(worker = %config.name, "releasing unfinished tasks for redelivery");
            runner.release_all();
            let _ = slots.acquire_many(config.concurrency as u32).await;
        }
        drop(runner);
        // Record what finished. If the backend stays unreachable, give up after the shutdown
        // timeout: unrecorded deliveries stay pending and are redelivered (at least once).
        let mut completer = completer;
        tokio::select! {
            flushed = &mut completer => if let Err(error) = flushed {
                tracing::error!(%error, "the completer stopped unexpectedly");
            },
            _ = tokio::time::sleep(config.shutdown_timeout) => {
                tracing::error!("could not record every outcome before the shutdown timeout; they will be redelivered");
                completer.abort();
            }
        }
        background.cancel();
        loops.shutdown().await;
        // Again, now that nothing is pending here: this also removes our consumer.
        self.leave().await;
        tracing::info!(worker = %config.name, "worker stopped");
        result
    }

    /// The automatic tasks this run seeds: all of them under `run_forever` (unless seeding is
    /// off), those named in `run_at_most`'s limits, none under `run_until_finished`.
    fn automatic_tasks(&self, successors: &Successors) -> Vec<&'static TaskDescriptor> {
        let automatic = self
            .config
            .registry
            .descriptors()
            .filter(|task| task.options().is_automatic());
        match successors {
            Successors::Always if self.config.automatic.is_some() => automatic.collect(),
            Successors::AtMost(limits) => {
                let limits = limits.lock().unwrap_or_else(|e| e.into_inner());
                automatic
                    .filter(|task| limits.contains_key(task.name()))
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    /// Enters the worker registry before anything is claimed, refusing to run while another
    /// live worker has this name (one that stopped heartbeating, as a crashed previous run of
    /// this worker would have, is waited out). Retries while the backend is unreachable; returns `false`
    /// when shutdown was asked for meanwhile.
    async fn register(&self, shutdown: &Shutdown) -> Result<bool, Error> {
        let config = &self.config;
        let mut backoff = Backoff::default();
        loop {
            match config.backend().heartbeat(&config.presence).await {
                Ok(alive) => {
                    config.fleet.store(alive.max(1), Ordering::Relaxed);
                    return Ok(true);
                }
                Err(docket::Error::WorkerNameTaken { seen_ms_ago, .. })
                    if Duration::from_millis(seen_ms_ago)
                        > 2 * heartbeat_interval(config.redelivery_timeout) =>
                {
                    // The other instance stopped heartbeating (this worker's previous run,
                    // crashed and restarted under the same name, say): its entry expires soon.
                    let wait = config
                        .presence
                        .ttl
                        .saturating_sub(Duration::from_millis(seen_ms_ago))
                        .max(Duration::from_millis(50));
                    tracing::info!(
                        worker = %config.name,
                        retry_in = ?wait,
                        "a silent instance still holds this worker name; waiting for it to expire"
                    );
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = shutdown.requested() => return Ok(false),
                    }
                }
                Err(error @ docket::Error::WorkerNameTaken { .. }) => return Err(error.into()),
                Err(error) => {
                    let delay = backoff.next();
                    tracing::warn!(%error, retry_in = ?delay, "cannot enter the worker registry yet");
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = shutdown.requested() => return Ok(false),
                    }
                }
            }
        }
    }

    /// Leaves the worker registry, giving up quickly when the backend is unreachable (the
    /// entry then ages out).
    async fn leave(&self) {
        let leave = self.config.backend().leave(&self.config.presence);
        match tokio::time::timeout(LEAVE_TIMEOUT, leave).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%error, "could not leave the worker registry"),
            Err(_) => tracing::warn!("could not leave the worker registry in time"),
        }
    }

    async fn claim_loop(
        &self,
        runner: &Runner,
        slots: &Arc<Semaphore>,
        shutdown: &Shutdown,
        until_finished: bool,
    ) -> Result<(), Error> {
        let config = &self.config;
        let hint = config.backend().work_hint();
        let mut backoff = Backoff::default();
        let mut next_sweep = tokio::time::Instant::now();
        // Whether the last claim filled every free slot: more ready work is likely waiting, so
        // the next claim goes at once instead of waiting for scheduled work to fall due.
        let mut filled = false;
        loop {
            let first = match slots.clone().try_acquire_owned() {
                Ok(permit) => permit,
                Err(_) => {
                    // No free slot: due work is the scheduler's to move, for any worker.
                    config.due.cover(false);
                    tokio::select! {
                        biased;
                        _ = shutdown.requested() => return Ok(()),
                        permit = slots.clone().acquire_owned() => match permit {
                            Ok(permit) => permit,
                            Err(_) => return Ok(()),
                        },
                    }
                }
            };
            let mut permits = vec![first];
            while let Ok(permit) = slots.clone().try_acquire_owned() {
                permits.push(permit);
            }
            let now = tokio::time::Instant::now();
            let sweep = now >= next_sweep;
            if sweep {
                next_sweep = now + sweep_interval(config.redelivery_timeout);
            }
            // Wait for work until the next sweep is due (a stop ends the wait at once).
            let mut wait = CLAIM_WAIT.min(next_sweep.saturating_duration_since(now));
            if until_finished {
                wait = wait.min(config.scheduling_resolution);
            }
            let wait = wait.max(Duration::from_millis(1));
            // Scheduled work due soon: this worker takes it itself when it falls due (or when a
            // sooner one is announced; at once when the last claim filled every slot, since
            // ready work is likely waiting and is read first), moving and starting it in one
            // call; the scheduler stands aside meanwhile. Otherwise wait for ready work (the scheduler moves what
            // falls due meanwhile to the ready queue, which ends the wait).
            let near = config.due.near();
            config.due.cover(near.is_some());
            let claim = async {
                if sweep {
                    let reclaimed = config
                        .backend()
                        .reclaim(&config.name, config.redelivery_timeout, permits.len())
                        .await?;
                    if !reclaimed.is_empty() {
                        tracing::warn!(
                            count = reclaimed.len(),
                            "took over deliveries a stalled worker left"
                        );
                        return Ok(reclaimed);
                    }
                }
                let Some(at) = near else {
                    return config.backend().claim(&config.name, permits.len(), wait).await;
                };
                let announced = async {
                    match &hint {
                        Some(hint) => hint.notified().await,
                        None => std::future::pending().await,
                    }
                };
                if !filled {
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => {}
                        _ = announced => {}
                    }
                }
                let (deliveries, next) = config.backend().claim_due(&config.name, permits.len()).await?;
                config.due.learned(next);
                Ok(deliveries)
            };
            // A stop ends the claim at once, however long it was going to wait: claims are
            // safe to drop (whatever one still claims is handed back, QUEUED again and
            // claimable by any worker), so nothing new runs here after the stop.
            let claimed = tokio::select! {
                biased;
                _ = shutdown.requested() => return Ok(()),
                claimed = claim => claimed,
            };
            let deliveries: Vec<Delivery> = match claimed {
                Ok(deliveries) => {
                    backoff.reset();
                    if !config.claiming.swap(true, Ordering::AcqRel) {
                        config.claiming_again.notify_one();
                    }
                    deliveries
                }
                Err(error) => {
                    config.claiming.store(false, Ordering::Release);
                    config.due.cover(false);
                    // After an outage, live holders get a whole redelivery timeout to
                    // reconnect, renew and heartbeat before this worker looks for stalled
                    // deliveries: it must not mistake them for dead.
                    let grace = config.redelivery_timeout.max(config.presence.ttl);
                    next_sweep = next_sweep.max(tokio::time::Instant::now() + grace);
                    let delay = backoff.next();
                    tracing::warn!(%error, retry_in = ?delay, "claiming work failed");
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = shutdown.requested() => return Ok(()),
                    }
                    continue;
                }
            };
            let idle = deliveries.is_empty();
            filled = deliveries.len() >= permits.len();
            for delivery in deliveries {
                let Some(permit) = permits.pop() else {
                    tracing::error!("claimed more deliveries than free slots");
                    break;
                };
                runner.dispatch(delivery, permit);
            }
            drop(permits);
            if idle && until_finished && self.finished(slots).await? {
                return Ok(());
            }
        }
    }

    /// Whether nothing is running here and nothing is queued or scheduled anywhere.
    async fn finished(&self, slots: &Semaphore) -> Result<bool, Error> {
        if slots.available_permits() != self.config.concurrency {
            return Ok(false);
        }
        let backlog = self.config.backend().backlog().await?;
        Ok(backlog.ready == 0 && backlog.scheduled == 0)
    }
}

/// The time to the next redelivery sweep: half the redelivery timeout, jittered by ±25% so
/// workers started together do not sweep together.
fn sweep_interval(redelivery_timeout: Duration) -> Duration {
    let half = redelivery_timeout / 2;
    half.mul_f64(rand::Rng::gen_range(&mut rand::thread_rng(), 0.75..1.25))
}

/// Exponential backoff for failing backend calls: 50 ms doubling up to 2 s.
#[derive(Debug, Default)]
pub(crate) struct Backoff {
    failures: u32,
}

impl Backoff {
    pub fn next(&mut self) -> Duration {
        let delay = Duration::from_millis(50u64 << self.failures.min(6)).min(Duration::from_secs(2));
        self.failures = self.failures.saturating_add(1);
        delay
    }

    pub fn reset(&mut self) {
        self.failures = 0;
    }
}
