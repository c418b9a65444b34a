//! The client: connect to a docket, schedule, cancel and inspect executions.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::backend::memory::MemoryBackend;
use crate::backend::redis::RedisBackend;
use crate::backend::{Backend, DeadLetter, Disposition, Due, WorkerInfo};
use crate::behaviour::TaskOptions;
use crate::error::{Error, Result};
use crate::execution::{ExecutionInfo, ExecutionState};
use crate::strike::{Strike, StrikeList};
use crate::tls::{tls_config, TlsFiles};

/// The default docket name.
pub const DEFAULT_NAME: &str = "docket";
/// How long finished executions (state, result, error) are kept by default.
pub const DEFAULT_EXECUTION_TTL: Duration = Duration::from_secs(15 * 60);

/// A handle on one docket: a named set of tasks stored in one backend.
///
/// Cheap to clone; clones share connections.
#[derive(Clone)]
pub struct Docket {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    /// The URL with any password masked: the only form kept.
    url: String,
    execution_ttl: Duration,
    backend: Arc<dyn Backend>,
}

impl fmt::Debug for Docket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Docket")
            .field("name", &self.inner.name)
            .field("url", &self.inner.url)
            .field("execution_ttl", &self.inner.execution_ttl)
            .finish()
    }
}

impl Docket {
    /// Connects to the docket named `"docket"` at `url` with default settings.
    ///
    /// URLs: `redis://[user:password@]host:port/db`, `rediss://[user:password@]host:port/db`
    /// (the same over TLS, trusting the system's root certificates; see
    /// [`DocketBuilder::tls_ca_file`] for a private CA and [`DocketBuilder::tls_client_auth`]
    /// for client certificates), `unix:///path/to/redis.sock`, and `memory://[name]` for the
    /// in-process backend. (`redis+cluster://` and `redis+sentinel://` are refused with a clear
    /// error until they are supported.)
    ///
    /// A server that cannot be reached, or whose certificate is not trusted, is an error at
    /// once (see [`ConnectPolicy`]).
    pub async fn connect(url: &str) -> Result<Docket> {
        Docket::builder(url).connect().await
    }

    /// Starts configuring a connection to `url`.
    pub fn builder(url: &str) -> DocketBuilder {
        DocketBuilder {
            url: url.to_string(),
            name: DEFAULT_NAME.to_string(),
            execution_ttl: DEFAULT_EXECUTION_TTL,
            connect_policy: ConnectPolicy::FailFast,
            tls: TlsFiles::default(),
        }
    }

    /// The docket's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The URL this docket was opened with, its password (if any) masked as `***`.
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// How long finished executions are kept.
    pub fn execution_ttl(&self) -> Duration {
        self.inner.execution_ttl
    }

    /// The backend behind this docket, for worker runtimes.
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.inner.backend
    }

    /// Cancels the execution with `key` in whatever state it is: a scheduled or queued one
    /// never runs, a running one is interrupted on its worker. Its state becomes CANCELLED,
    /// waiters get [`Error::Cancelled`], and the key is free again.
    ///
    /// Returns whether a live execution was found.
    pub async fn cancel(&self, key: &str) -> Result<bool> {
        self.inner.backend.cancel(key).await
    }

    /// Adds the strike rule `rule`: from now on no execution it matches runs. A matching
    /// schedule writes nothing and returns [`Disposition::Struck`](crate::Disposition::Struck);
    /// a matching execution already scheduled or queued ends CANCELLED (reason: struck) when a
    /// worker reaches it, and a perpetual or cron task skips its runs (its chain keeps its
    /// cadence) until the rule is restored. Every process of the docket learns of the rule
    /// within a second, this one at once.
    ///
    /// Returns `false` when the docket had the rule already. Fails with
    /// [`Error::InvalidStrike`](crate::Error::InvalidStrike) for a rule that cannot be stored
    /// and [`Error::TooManyStrikes`](crate::Error::TooManyStrikes) when the docket keeps
    /// [`MAX_STRIKES`](crate::MAX_STRIKES) already.
    ///
    /// ```no_run
    /// # async fn example(docket: docket::Docket) -> docket::Result<()> {
    /// use docket::Strike;
    ///
    /// docket.strike(Strike::any_task().arg("customer_id").eq("12345")).await?;
    /// // …the incident is over:
    /// docket.restore(Strike::any_task().arg("customer_id").eq("12345")).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn strike(&self, rule: Strike) -> Result<bool> {
        self.inner.backend.strike(&rule).await
    }

    /// Removes exactly the strike rule `rule` (other rules, overlapping or not, stay); returns
    /// whether the docket had it. Struck perpetual and cron chains run again at their next
    /// tick, and workers seed struck automatic tasks again at once.
    pub async fn restore(&self, rule: Strike) -> Result<bool> {
        self.inner.backend.restore(&rule).await
    }

    /// The strike rules as this process knows them (kept current by the backend; no round
    /// trip).
    pub fn strikes(&self) -> Arc<StrikeList> {
        self.inner.backend.strikes()
    }

    /// The record of the execution with `key`, if one is known.
    pub async fn execution(&self, key: &str) -> Result<Option<ExecutionInfo>> {
        self.inner.backend.info(key).await
    }

    /// The live workers: those whose heartbeat is fresh (a worker heartbeats every few
    /// seconds and counts as alive for three heartbeat periods). A worker that stopped, or
    /// that cannot claim work, drops off the list.
    pub async fn workers(&self) -> Result<Vec<WorkerInfo>> {
        self.inner.backend.workers().await
    }

    /// The live workers that run the task called `task` (see [`workers`](Self::workers)).
    pub async fn workers_for(&self, task: &str) -> Result<Vec<WorkerInfo>> {
        let mut workers = self.inner.backend.workers().await?;
        workers.retain(|worker| worker.tasks.iter().any(|name| name == task));
        Ok(workers)
    }

    /// What the docket holds right now: live executions (running, queued, then scheduled by
    /// due time) and the live workers (see [`workers`](Self::workers)). At most
    /// [`SNAPSHOT_LIMIT`] scheduled and as many queued or running executions are listed;
    /// [`Snapshot::complete`] says whether that cut anything.
    pub async fn snapshot(&self) -> Result<Snapshot> {
        // One more than the limit of each kind, to tell a full listing from a cut one.
        let mut executions = self.inner.backend.live(SNAPSHOT_LIMIT + 1).await?;
        executions.sort_by(|a, b| {
            let rank = |state: ExecutionState| match state {
                ExecutionState::Running => 0,
                ExecutionState::Queued => 1,
                _ => 2,
            };
            (rank(a.state), a.when, &a.key).cmp(&(rank(b.state), b.when, &b.key))
        });
        let ready = executions
            .iter()
            .filter(|info| matches!(info.state, ExecutionState::Running | ExecutionState::Queued))
            .count();
        let scheduled = executions.len() - ready;
        let complete = ready <= SNAPSHOT_LIMIT && scheduled <= SNAPSHOT_LIMIT;
        if scheduled > SNAPSHOT_LIMIT {
            executions.truncate(ready + SNAPSHOT_LIMIT);
        }
        if ready > SNAPSHOT_LIMIT {
            executions.drain(SNAPSHOT_LIMIT..ready);
        }
        let workers = self.inner.backend.workers().await?;
        Ok(Snapshot {
            executions,
            workers,
            complete,
        })
    }

    /// The most recent dead letters (executions that could not be processed: arguments that no
    /// longer fit the task, or a run that kept stopping its workers), newest first. At most
    /// 10,000 are kept.
    pub async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>> {
        self.inner.backend.dead_letters(limit).await
    }

    /// Schedules a dead letter's task with its arguments again, due now, under its key, and
    /// removes it from the dead letters once the execution is pending (scheduled now, or
    /// already pending under that key). A task linked into this binary keeps its admission
    /// controls (concurrency limits, cooldowns, rate limits, debounce); one it does not know
    /// is scheduled without them. A struck or dropped requeue leaves the letter where it is.
    ///
    /// Fails with [`Error::CannotRequeue`] when the letter's arguments were too large to keep.
    pub async fn requeue_dead_letter(&self, letter: &DeadLetter) -> Result<Disposition> {
        if letter.args.is_empty() && letter.args_size > 0 {
            return Err(Error::CannotRequeue {
                id: letter.id.clone(),
                reason: format!(
                    "its arguments ({} bytes) were too large to keep with it",
                    letter.args_size
                ),
            });
        }
        // A task this binary knows is requeued with its admission controls; one it does not
        // know (scheduled from elsewhere) without.
        let none = TaskOptions::new();
        let registry = crate::task::Registry::discover().ok();
        let options = registry
            .as_ref()
            .and_then(|registry| registry.get(&letter.task))
            .map_or(&none, |descriptor| descriptor.options());
        let task = crate::schedule::new_task(
            &letter.task,
            options,
            letter.key.clone(),
            letter.args.clone(),
            Due::Now,
            false,
        )?;
        let disposition = self
            .inner
            .backend
            .schedule(std::slice::from_ref(&task))
            .await?
            .pop()
            .ok_or_else(|| Error::Backend("schedule returned no disposition".into()))?;
        if matches!(
            disposition,
            Disposition::Scheduled | Disposition::AlreadyScheduled
        ) {
            self.inner
                .backend
                .remove_dead_letters(std::slice::from_ref(&letter.id))
                .await?;
        }
        Ok(disposition)
    }

    /// Closes this docket's connections now, for it and every clone; later calls fail.
    ///
    /// Dropping the last handle closes them too, but in the background: a process about to
    /// exit should call this first (its runtime could stop before the background close runs).
    /// Does nothing on `memory://`.
    pub async fn close(&self) {
        self.inner.backend.close().await
    }

    /// Deletes every scheduled and queued execution; returns how many were removed.
    /// The keys can be scheduled again at once. Running executions are left to finish, and
    /// strike rules are kept. On Redis the work is done in batches of at most 1,000
    /// executions, one script call each, so a large backlog never blocks the server for long
    /// (work scheduled while a clear runs may be cleared too).
    pub async fn clear(&self) -> Result<u64> {
        self.inner.backend.clear().await
    }
}

/// How many executions of each kind a [`Snapshot`] lists at most.
pub const SNAPSHOT_LIMIT: usize = 10_000;

/// The live executions and workers of a docket at one moment (see [`Docket::snapshot`]).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Snapshot {
    /// Running, queued and scheduled executions, in that order (scheduled ones by due time).
    pub executions: Vec<ExecutionInfo>,
    /// The live workers, by name.
    pub workers: Vec<WorkerInfo>,
    /// Whether every live execution is listed: `false` when more than [`SNAPSHOT_LIMIT`] were
    /// scheduled, or queued and running, and only the first of each kind are (the soonest
    /// scheduled ones), so that [`totals`](Self::totals) count only those.
    pub complete: bool,
}

/// How many live executions one task has in a [`Snapshot`], by state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TaskTotals {
    /// The task's name.
    pub task: String,
    /// Executions running now.
    pub running: u64,
    /// Executions due and waiting for a worker (or for a concurrency slot).
    pub queued: u64,
    /// Executions due in the future.
    pub scheduled: u64,
}

impl Snapshot {
    /// The live executions counted per task, by task name.
    pub fn totals(&self) -> Vec<TaskTotals> {
        let mut totals: std::collections::BTreeMap<&str, TaskTotals> = std::collections::BTreeMap::new();
        for info in &self.executions {
            let entry = totals.entry(&info.task).or_insert_with(|| TaskTotals {
                task: info.task.clone(),
                ..TaskTotals::default()
            });
            match info.state {
                ExecutionState::Running => entry.running += 1,
                ExecutionState::Queued => entry.queued += 1,
                ExecutionState::Scheduled => entry.scheduled += 1,
                _ => {}
            }
        }
        totals.into_values().collect()
    }

    /// The live executions of the task called `task`.
    pub fn of_task<'s>(&'s self, task: &'s str) -> impl Iterator<Item = &'s ExecutionInfo> + 's {
        self.executions.iter().filter(move |info| info.task == task)
    }
}

/// What [`DocketBuilder::connect`] does when the server cannot be reached (refused, timed
/// out, still loading its data after a restart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ConnectPolicy {
    /// Return the error at once (the default: a producer should learn that its docket is
    /// unreachable rather than hang).
    #[default]
    FailFast,
    /// Keep trying with backoff (100 ms doubling up to 5 s), logging each failed attempt,
    /// until the server answers. What a worker under a supervisor wants: started before
    /// Redis, it waits instead of exiting into a crash loop. A malformed URL still fails at
    /// once.
    Wait,
}

/// The first and the longest pause between connection attempts under [`ConnectPolicy::Wait`].
const CONNECT_BACKOFF: (Duration, Duration) = (Duration::from_millis(100), Duration::from_secs(5));

/// Configures a [`Docket`] before connecting.
#[derive(Debug, Clone)]
pub struct DocketBuilder {
    url: String,
    name: String,
    execution_ttl: Duration,
    connect_policy: ConnectPolicy,
    tls: TlsFiles,
}

impl DocketBuilder {
    /// The docket's name (default `"docket"`): dockets with different names on one server
    /// are fully separate.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// How long finished executions are kept (default 15 minutes). Zero keeps nothing:
    /// fire-and-forget.
    pub fn execution_ttl(mut self, ttl: Duration) -> Self {
        self.execution_ttl = ttl;
        self
    }

    /// What to do when the server cannot be reached (default [`ConnectPolicy::FailFast`]).
    pub fn connect_policy(mut self, policy: ConnectPolicy) -> Self {
        self.connect_policy = policy;
        self
    }

    /// For a `rediss://` URL: trusts the CA certificates in the PEM file at `path` to sign
    /// the server's certificate, instead of the system's root certificates. For a server
    /// whose certificate was issued by a private CA (Redis's `tls-ca-cert-file`, say).
    ///
    /// The file is read when connecting (or by [`validate`](Self::validate)); an unreadable
    /// file, one without a certificate, or a URL that is not `rediss://` is an error.
    pub fn tls_ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.tls.ca_file = Some(path.into());
        self
    }

    /// For a `rediss://` URL: authenticates this client to the server with the certificate
    /// (chain) in the PEM file `cert` and its private key in the PEM file `key` (PKCS#8,
    /// PKCS#1 or SEC1). For a server that requires client certificates (mutual TLS: Redis's
    /// `tls-auth-clients yes`, its default when TLS is on).
    ///
    /// The files are read when connecting (or by [`validate`](Self::validate)); an unreadable
    /// file, a key that does not match the certificate, or a URL that is not `rediss://` is
    /// an error.
    pub fn tls_client_auth(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.tls.client_auth = Some((cert.into(), key.into()));
        self
    }

    /// Connects.
    ///
    /// Fails at once on a malformed URL, a bad name or unreadable TLS files, and (under the
    /// default [`ConnectPolicy::FailFast`]) when the server cannot be reached or its
    /// certificate is not trusted.
    pub async fn connect(self) -> Result<Docket> {
        let backend: Arc<dyn Backend> = match self.target()? {
            Target::Memory => Arc::new(MemoryBackend::open(&self.url, &self.name, self.execution_ttl)?),
            Target::Redis(config) => Arc::new(self.connect_redis(&config).await?),
        };
        Ok(Docket {
            inner: Arc::new(Inner {
                url: redact(&self.url),
                name: self.name,
                execution_ttl: self.execution_ttl,
                backend,
            }),
        })
    }
}

/// Where a URL points.
enum Target {
    Memory,
    /// A Redis server, with its connection settings (TLS included).
    Redis(Box<fred::types::config::Config>),
}

impl DocketBuilder {
    /// Checks the name, the URL and the TLS files without connecting: what
    /// [`connect`](Self::connect) would refuse at once (a malformed URL, an unsupported
    /// scheme, a bad name, TLS options on a URL without TLS, unreadable or invalid TLS files).
    pub fn validate(&self) -> Result<()> {
        self.target().map(|_| ())
    }

    fn target(&self) -> Result<Target> {
        if self.name.is_empty() || self.name.contains(['{', '}']) {
            return Err(Error::Config(format!(
                "docket name `{}` must be non-empty and contain no braces",
                self.name
            )));
        }
        let (scheme, rest) = self.url.split_once("://").unwrap_or(("", ""));
        let invalid = |reason: String| Error::InvalidUrl {
            url: redact(&self.url),
            reason,
        };
        // What fred is given: TLS is set up here, not by fred from the scheme.
        let (fred_url, tls) = match scheme {
            "memory" => (None, false),
            "redis" => (Some(self.url.clone()), false),
            "rediss" => (Some(format!("redis://{rest}")), true),
            "unix" => (Some(format!("redis+unix://{rest}")), false),
            "redis+cluster" | "rediss+cluster" | "redis+sentinel" | "rediss+sentinel" => {
                return Err(invalid(format!(
                    "`{scheme}://` is not supported yet (Cluster and Sentinel come with the \
                     scale-out work); use redis://, rediss://, unix:// or memory://"
                )))
            }
            _ => {
                return Err(invalid(
                    "expected a redis://, rediss://, unix:// or memory:// URL".into(),
                ))
            }
        };
        if !tls && !self.tls.is_empty() {
            return Err(Error::Config(format!(
                "a TLS CA file or client certificate is set, but `{}` does not use TLS; use a \
                 rediss:// URL",
                redact(&self.url)
            )));
        }
        let Some(fred_url) = fred_url else {
            return Ok(Target::Memory);
        };
        let mut config = fred::types::config::Config::from_url(&fred_url)
            .map_err(|error| invalid(error.details().to_string()))?;
        if tls {
            config.tls = Some(tls_config(&self.tls)?);
        }
        Ok(Target::Redis(Box::new(config)))
    }

    /// Connects to Redis with `config` under the connect policy.
    async fn connect_redis(&self, config: &fred::types::config::Config) -> Result<RedisBackend> {
        let url = redact(&self.url);
        let (mut delay, longest) = CONNECT_BACKOFF;
        loop {
            let attempt = RedisBackend::connect_with(config.clone(), &url, &self.name, self.execution_ttl);
            match attempt.await {
                Ok(backend) => {
                    if delay > CONNECT_BACKOFF.0 {
                        tracing::info!(%url, "connected to Redis");
                    }
                    return Ok(backend);
                }
                Err(error @ Error::InvalidUrl { .. }) => return Err(error),
                Err(error) if self.connect_policy == ConnectPolicy::Wait => {
                    tracing::warn!(%url, %error, retry_in = ?delay, "waiting for Redis");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(longest);
                }
                Err(error) => return Err(error),
            }
        }
    }
}

/// The URL with its password (if any) masked as `***`, for logs, errors and `Debug`.
pub(crate) fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() && parsed.set_password(Some("***")).is_ok() {
                return parsed.to_string();
            }
            if parsed.password().is_none() {
                return parsed.to_string();
            }
            mask_userinfo(url)
        }
        Err(_) => mask_userinfo(url),
    }
}

/// Masks everything between `://` and the last `@` (a URL the parser refused).
fn mask_userinfo(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(start), Some(at)) if at > start => format!("{}://***{}", &url[..start], &url[at..]),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("redis://:hunter2@127.0.0.1:6379/0"),
            "redis://:***@127.0.0.1:6379/0"
        );
        assert_eq!(
            redact("redis://app:hunter2@127.0.0.1:6379/0"),
            "redis://app:***@127.0.0.1:6379/0"
        );
        // The password ends at the last `@`, not the first.
        let masked = redact("redis://:p@ss@127.0.0.1:6379");
        assert!(!masked.contains("ss"), "{masked}");
        assert!(masked.ends_with("@127.0.0.1:6379"), "{masked}");
        // A URL the parser refuses is masked all the same.
        let masked = redact("redis://user:se cret@host name");
        assert!(!masked.contains("cret"), "{masked}");
        assert_eq!(redact("redis://127.0.0.1:6379/0"), "redis://127.0.0.1:6379/0");
        assert_eq!(redact("memory://tests"), "memory://tests");
    }

    #[tokio::test]
    async fn the_url_and_debug_never_show_the_password() {
        let docket = Docket::connect("memory://secret-test").await.unwrap();
        assert_eq!(docket.url(), "memory://secret-test");
        let error = Docket::connect("redis://:hunter2@127.0.0.1:1/0")
            .await
            .unwrap_err();
        assert!(!error.to_string().contains("hunter2"), "{error}");
        assert!(!format!("{error:?}").contains("hunter2"), "{error:?}");
    }

    #[tokio::test]
    async fn unknown_schemes_are_refused() {
        let error = Docket::connect("http://127.0.0.1").await.unwrap_err();
        assert!(error.to_string().contains("expected a redis://"), "{error}");
        let error = Docket::connect("redis+cluster://127.0.0.1:6380")
            .await
            .unwrap_err();
        assert!(error.to_string().contains("not supported yet"), "{error}");
        let error = Docket::connect("no url").await.unwrap_err();
        assert!(matches!(error, Error::InvalidUrl { .. }), "{error}");
    }
}
