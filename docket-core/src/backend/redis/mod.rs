//! The Redis backend: fred for the connections, one Lua script per transition.
//!
//! Layout (all keys from `keys.rs`): a stream with one consumer group holds ready deliveries
//! (`k` = execution key); a sorted set holds scheduled executions by due time; a hash per
//! execution key holds its record (state, generation, the id of its live stream entry, task,
//! arguments, due time, attempt, worker, times, result or error). Every (re)schedule bumps the
//! generation and points the record at a new stream entry; stream entry ids are never reused,
//! so a stale delivery (replaced, cancelled, or of a record deleted and scheduled again) is
//! acknowledged and skipped and never overwrites its successor.
//!
//! Events are published only for executions someone watches (a flag set by
//! [`Backend::watch`]), which keeps the hot path at a handful of commands per task.

mod claim;
mod keys;
mod parse;
mod schema;
mod scripts;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use fred::clients::{Client, SubscriberClient};
use fred::interfaces::{ClientLike, EventInterface, HashesInterface, PubsubInterface, SortedSetsInterface};
use fred::types::config::{Config, ReconnectPolicy};
use fred::types::{Builder, ClusterHash, CustomCommand, Value};
use tokio::sync::{broadcast, Notify, OnceCell};

use self::keys::{Keys, GROUP};
use self::scripts::Scripts;
use super::{
    merge_struck, now_ms, split_struck, Backend, Backlog, Cancellation, DeadLetter, Delivery, Disposition,
    Lease, LimitSlot, NewTask, Outcome, OutcomeKind, Presence, RateSlot, Window, WorkerInfo, MAX_DELIVERIES,
};
use crate::docket::redact;
use crate::error::{Error, Result};
use crate::execution::{Event, ExecutionInfo};
use crate::progress::ProgressInfo;
use crate::strike::{Strike, StrikeList, MAX_STRIKES};

/// How long a connection attempt may take before it counts as failed.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one command may wait (queued through a reconnection included) before it fails.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a connection may leave a command unanswered before it is considered dead.
const UNRESPONSIVE_TIMEOUT: Duration = Duration::from_secs(10);
/// How many pub/sub messages may wait for the dispatcher before some are lost.
const PUBSUB_BUFFER: usize = 65_536;
/// How often the subscriber connection is pinged, so a silently dropped one is noticed.
const SUBSCRIBER_PING: Duration = Duration::from_secs(5);
/// How often starting claimed deliveries is tried before they are left for redelivery.
const START_ATTEMPTS: u32 = 3;
/// The largest result a completion event carries; a larger one is left in the record for
/// waiters to read (with `execution_ttl` 0 it is not kept, and waiters get `ResultNotKept`).
const MAX_EVENT_RESULT: usize = 64 * 1024;
/// The error type recorded for an execution whose record cannot be read.
const MALFORMED_RECORD: &str = "docket::MalformedRecord";
/// The error type recorded for a ready-stream entry that names no execution.
const MALFORMED_ENTRY: &str = "docket::MalformedEntry";
/// The most pending deliveries one redelivery sweep looks at.
const SWEEP_LIMIT: usize = 1000;
/// The most executions one call of the clear script looks at.
const CLEAR_BATCH: usize = 1000;
/// The most due executions one claim moves and starts (a larger concurrency claims the rest
/// in its next call).
const DUE_BATCH: usize = 1000;
/// How often a process checks the strike rules' version, in case an announcement of a change
/// was lost (it re-reads them at once when one arrives, and after a reconnection).
const STRIKE_RESYNC: Duration = Duration::from_secs(10);

/// A docket stored in Redis.
pub struct RedisBackend {
    core: Arc<Core>,
}

/// The connections and state of a [`RedisBackend`], shared with the claims it runs in the
/// background.
struct Core {
    client: Client,
    builder: Builder,
    blocking: OnceCell<Client>,
    subscriber: SubscriberClient,
    /// The dispatcher, resubscription and ping tasks, stopped when the backend is dropped.
    background: Vec<tokio::task::JoinHandle<()>>,
    keys: Keys,
    slot: u16,
    ttl_ms: i64,
    scripts: Scripts,
    events: broadcast::Sender<Event>,
    cancellations: broadcast::Sender<Cancellation>,
    /// Fired when a newly scheduled task heads the schedule.
    work_hint: Arc<Notify>,
    group_ready: AtomicBool,
    /// When the main connection last reconnected (an outage or a server restart).
    reconnected: Arc<Mutex<Option<tokio::time::Instant>>>,
    sweep_cursor: Mutex<String>,
    /// Claims running in the background (see `claim.rs`).
    detached: claim::DetachedClaims,
    /// Whether the connections were closed.
    closed: AtomicBool,
    /// The strike rules as this process last read them.
    strikes: Arc<StrikeCache>,
}

/// A process's copy of the strike rules, with the version it was read at.
struct StrikeCache {
    /// The version of the rules in `rules`; held while they are re-read, so that two reads
    /// never install out of order.
    version: tokio::sync::Mutex<u64>,
    rules: tokio::sync::watch::Sender<Arc<StrikeList>>,
}

impl StrikeCache {
    /// Reads the rules at connection time.
    async fn load(client: &Client, keys: &Keys) -> Result<Self> {
        let (version, rules) = parse::strikes(client.hgetall(keys.strikes()).await?)?;
        Ok(Self {
            version: tokio::sync::Mutex::new(version),
            rules: tokio::sync::watch::Sender::new(Arc::new(rules)),
        })
    }

    /// Re-reads the rules if their version changed (`check_first`: asks for the version
    /// before reading them all).
    async fn refresh(&self, client: &Client, keys: &Keys, check_first: bool) -> Result<()> {
        let mut version = self.version.lock().await;
        if check_first {
            let stored: Option<u64> = client.hget(keys.strikes(), schema::STRIKES_VERSION).await?;
            if stored.unwrap_or(0) == *version {
                return Ok(());
            }
        }
        let (stored, rules) = parse::strikes(client.hgetall(keys.strikes()).await?)?;
        // Installed when the version moved, or when the rules differ under the same one (the
        // hash was lost and written again: a FLUSHALL, a restart without persistence).
        if stored != *version || !self.rules.borrow().same_rules(&rules) {
            if rules.len() != self.rules.borrow().len() {
                tracing::info!(rules = rules.len(), "strike rules changed");
            }
            *version = stored;
            self.rules.send_replace(Arc::new(rules));
        }
        Ok(())
    }
}

/// Keeps `cache` current: re-reads the rules when a change is announced (`changed`) or the
/// subscriber connection comes back (`reconnects`: an announcement may have been lost
/// meanwhile; read again a second later too, once the channels are surely subscribed again),
/// and checks their version every [`STRIKE_RESYNC`] as a backstop.
fn spawn_strike_keeper(
    client: Client,
    mut reconnects: broadcast::Receiver<fred::types::config::Server>,
    keys: Keys,
    cache: Arc<StrikeCache>,
    changed: Arc<Notify>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut again: Option<tokio::time::Instant> = None;
        loop {
            let next_check = again.unwrap_or_else(|| tokio::time::Instant::now() + STRIKE_RESYNC);
            let announced = tokio::select! {
                _ = changed.notified() => true,
                received = reconnects.recv() => match received {
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {
                        again = Some(tokio::time::Instant::now() + Duration::from_secs(1));
                        true
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = tokio::time::sleep_until(next_check) => {
                    // A read after a reconnection is a full one.
                    again.take().is_some()
                }
            };
            if let Err(error) = cache.refresh(&client, &keys, !announced).await {
                tracing::debug!(%error, "re-reading the strike rules failed; trying again later");
            }
        }
    })
}

impl RedisBackend {
    /// Connects to the Redis server at `url` for the docket called `name`. A `rediss://` URL
    /// trusts the system's root certificates; [`Docket::builder`](crate::Docket::builder)
    /// offers more TLS settings.
    pub async fn connect(url: &str, name: &str, execution_ttl: Duration) -> Result<Self> {
        let config = Config::from_url(url).map_err(|error| Error::InvalidUrl {
            url: redact(url),
            reason: error.details().to_string(),
        })?;
        Self::connect_with(config, url, name, execution_ttl).await
    }

    /// Connects every connection with `config` (its TLS settings included); `url` names
    /// the server in errors and is redacted there.
    pub(crate) async fn connect_with(
        config: Config,
        url: &str,
        name: &str,
        execution_ttl: Duration,
    ) -> Result<Self> {
        Ok(Self {
            core: Arc::new(Core::connect(config, url, name, execution_ttl).await?),
        })
    }
}

impl Core {
    async fn connect(config: Config, url: &str, name: &str, execution_ttl: Duration) -> Result<Self> {
        let mut builder = Builder::from_config(config);
        builder
            // Reconnect within half a second of the server coming back: a holder that lags
            // behind other workers' reconnects looks stalled to them.
            .set_policy(ReconnectPolicy::new_exponential(0, 50, 500, 2))
            .with_connection_config(|connection| {
                connection.connection_timeout = CONNECT_TIMEOUT;
                // A command in flight when the connection drops fails instead of being sent
                // again: replaying a script could apply it twice. Callers retry.
                connection.max_command_attempts = 1;
                connection.unresponsive.max_timeout = Some(UNRESPONSIVE_TIMEOUT);
            })
            .with_performance_config(|performance| {
                performance.default_command_timeout = COMMAND_TIMEOUT;
                performance.broadcast_channel_capacity = PUBSUB_BUFFER;
            });
        let client = builder.build()?;
        connect_client(&client, url).await?;
        let subscriber = builder.build_subscriber_client()?;
        if let Err(error) = connect_client(&subscriber, url).await {
            close(&client).await;
            return Err(error);
        }
        let keys = Keys::new(name);
        let (events, _) = broadcast::channel(16_384);
        let (cancellations, _) = broadcast::channel(4096);
        let work_hint = Arc::new(Notify::new());
        let strikes_changed = Arc::new(Notify::new());
        let dispatcher = spawn_dispatcher(
            &subscriber,
            &keys,
            events.clone(),
            cancellations.clone(),
            work_hint.clone(),
            strikes_changed.clone(),
        );
        // Both before the first subscription: a reconnection from then on is resubscribed, and
        // makes the keeper read the rules again.
        let reconnects = subscriber.reconnect_rx();
        let resubscribe = subscriber.manage_subscriptions();
        let subscribed = subscriber
            .subscribe(vec![
                keys.events(),
                keys.cancellations(),
                keys.wake(),
                keys.strike_changes(),
            ])
            .await;
        // Subscribed first, so no change made after the read can go unannounced.
        let strikes = match subscribed {
            Ok(()) => StrikeCache::load(&client, &keys).await,
            Err(error) => Err(error.into()),
        };
        let strikes = match strikes {
            Ok(strikes) => Arc::new(strikes),
            Err(error) => {
                // Still loading, say: close both connections before the caller tries again.
                dispatcher.abort();
                resubscribe.abort();
                close(&subscriber).await;
                close(&client).await;
                return Err(error);
            }
        };
        let keep_strikes = spawn_strike_keeper(
            client.clone(),
            reconnects,
            keys.clone(),
            strikes.clone(),
            strikes_changed,
        );
        let ping = spawn_pinger(subscriber.clone());
        let reconnected = Arc::new(Mutex::new(None));
        let watch_reconnects = spawn_reconnect_watch(&client, reconnected.clone());
        Ok(Self {
            slot: fred::util::redis_keyslot(keys.tag().as_bytes()),
            client,
            builder,
            blocking: OnceCell::new(),
            subscriber,
            background: vec![dispatcher, resubscribe, ping, watch_reconnects, keep_strikes],
            reconnected,
            keys,
            ttl_ms: i64::try_from(execution_ttl.as_millis()).unwrap_or(i64::MAX),
            scripts: Scripts::new(),
            events,
            cancellations,
            work_hint,
            group_ready: AtomicBool::new(false),
            sweep_cursor: Mutex::new("0-0".to_string()),
            detached: claim::DetachedClaims::default(),
            closed: AtomicBool::new(false),
            strikes,
        })
    }

    fn command(&self, name: &'static str, blocking: bool) -> CustomCommand {
        CustomCommand::new(name, ClusterHash::Custom(self.slot), blocking)
    }

    async fn ensure_group(&self) -> Result<()> {
        if self.group_ready.load(Ordering::Acquire) {
            return Ok(());
        }
        let created: std::result::Result<Value, _> = self
            .client
            .custom(
                self.command("XGROUP", false),
                vec![
                    Value::from("CREATE"),
                    self.keys.stream().into(),
                    GROUP.into(),
                    "0".into(),
                    "MKSTREAM".into(),
                ],
            )
            .await;
        match created {
            Ok(_) => {}
            Err(error) if error.details().starts_with("BUSYGROUP") => {}
            Err(error) => return Err(error.into()),
        }
        self.group_ready.store(true, Ordering::Release);
        Ok(())
    }

    async fn blocking_client(&self) -> Result<&Client> {
        self.blocking
            .get_or_try_init(|| async {
                let client = self.builder.build()?;
                connect_client(&client, "(blocking reads)").await?;
                Ok::<_, Error>(client)
            })
            .await
    }

    /// Starts deliveries for `worker` (see `start.lua` for the modes). Returns the next
    /// sweep cursor (sweep mode), the live deliveries, marked RUNNING, and (due mode) how long
    /// until the earliest execution still scheduled is due: zero when it is due already,
    /// `None` when nothing is scheduled.
    async fn start(
        &self,
        worker: &str,
        source: Source<'_>,
    ) -> Result<(Option<String>, Vec<Delivery>, Option<Duration>)> {
        let keys = vec![
            self.keys.stream(),
            self.keys.events(),
            self.keys.dead(),
            self.keys.workers(),
            self.keys.dead_bytes(),
            self.keys.waiting(),
            self.keys.schedule(),
            self.keys.wake(),
            self.keys.retired(),
        ];
        let mut args = vec![
            Value::from(GROUP),
            Value::from(worker),
            Value::from(self.keys.record_prefix()),
            Value::from(self.ttl_ms),
            Value::from(i64::from(MAX_DELIVERIES)),
            Value::from(now_ms()),
        ];
        let (attempts, redelivered) = match &source {
            Source::Read(count) => {
                args.extend([Value::from("read"), Value::from(*count as i64)]);
                (1, false)
            }
            Source::Due(count) => {
                args.extend([Value::from("due"), Value::from(*count as i64)]);
                (1, false)
            }
            Source::Sweep {
                min_idle,
                cursor,
                count,
            } => {
                args.extend([
                    Value::from("sweep"),
                    Value::from(i64::try_from(min_idle.as_millis()).unwrap_or(i64::MAX)),
                    Value::from(cursor.as_str()),
                    Value::from(*count as i64),
                ]);
                (1, true)
            }
            Source::Given(entries) => {
                args.push(Value::from("given"));
                for entry in *entries {
                    args.push(Value::from(entry.id.as_str()));
                    args.push(Value::from(entry.key.as_str()));
                }
                // These are already delivered to this worker: if starting them fails (a
                // blip), try again before leaving them to the redelivery sweep.
                (START_ATTEMPTS, false)
            }
        };
        let mut attempt = 1;
        let reply: Vec<Value> = loop {
            match self
                .scripts
                .start
                .run(&self.client, keys.clone(), args.clone())
                .await
            {
                Ok(reply) => break reply,
                Err(error) if attempt < attempts => {
                    tracing::warn!(%error, attempt, "starting claimed deliveries failed; retrying");
                    tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
                    attempt += 1;
                }
                Err(error) => return Err(error),
            }
        };
        let mut reply = reply.into_iter();
        let cursor = reply.next().as_ref().and_then(parse::text);
        let rows = match reply.next() {
            Some(Value::Array(rows)) => rows,
            _ => Vec::new(),
        };
        let next_due = reply
            .next()
            .as_ref()
            .and_then(parse::integer)
            .map(|ms| Duration::from_millis(u64::try_from(ms).unwrap_or(0)));
        let mut deliveries = Vec::with_capacity(rows.len());
        let mut unreadable = Vec::new();
        for row in rows {
            match parse::claimed(row, redelivered) {
                Ok(delivery) => deliveries.push(delivery),
                Err(Some(row)) => unreadable.push(row),
                Err(None) => tracing::error!("the start script returned a row without an entry id and key"),
            }
        }
        if !unreadable.is_empty() {
            self.dead_letter_unreadable(worker, unreadable).await;
        }
        Ok((cursor, deliveries, next_due))
    }

    /// Fails and dead-letters started deliveries whose record cannot be read, at once: no
    /// worker could ever run them. If that fails they are redelivered and tried again.
    async fn dead_letter_unreadable(&self, worker: &str, rows: Vec<parse::Unreadable>) {
        let outcomes: Vec<Outcome> = rows
            .into_iter()
            .map(|row| {
                let message = format!("the record of execution `{}` is unreadable: {}", row.key, row.reason);
                tracing::error!(key = %row.key, reason = %row.reason, "dead-lettering an unreadable execution record");
                Outcome::new(
                    row.id,
                    row.key,
                    0,
                    OutcomeKind::DeadLetter {
                        message,
                        type_name: MALFORMED_RECORD.to_string(),
                    },
                )
            })
            .collect();
        if let Err(error) = self.complete(worker, &outcomes).await {
            tracing::warn!(%error, "could not dead-letter unreadable records; they will be redelivered");
        }
    }

    /// Queues entries this worker read but will not start again under new stream entries
    /// (see `release.lua`).
    async fn release(&self, entries: &[parse::Entry]) -> Result<()> {
        let mut keys = Vec::with_capacity(entries.len() + 1);
        keys.push(self.keys.stream());
        let mut args = Vec::with_capacity(entries.len() * 2 + 1);
        args.push(Value::from(GROUP));
        for entry in entries {
            keys.push(self.keys.record(&entry.key));
            args.push(Value::from(entry.id.as_str()));
            args.push(Value::from(entry.key.as_str()));
        }
        let queued: i64 = self.scripts.release.run(&self.client, keys, args).await?;
        tracing::debug!(queued, "handed back deliveries read while stopping");
        Ok(())
    }

    async fn read_group(&self, worker: &str, max: usize, wait: Duration) -> Result<Value> {
        let client = self.blocking_client().await?;
        let block = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1);
        let read: std::result::Result<Value, _> = client
            .custom(
                self.command("XREADGROUP", true),
                vec![
                    Value::from("GROUP"),
                    GROUP.into(),
                    worker.into(),
                    "COUNT".into(),
                    Value::from(max as i64),
                    "BLOCK".into(),
                    Value::from(block as i64),
                    "STREAMS".into(),
                    self.keys.stream().into(),
                    ">".into(),
                ],
            )
            .await;
        Ok(read?)
    }

    /// Notices that Redis lost the stream or its consumer group (a restart without
    /// persistence, a flush), so that the next claim recreates them.
    fn recreate_group_if_missing<T>(&self, result: Result<T>) -> Result<T> {
        if let Err(error) = &result {
            if error.to_string().contains("NOGROUP") {
                self.group_ready.store(false, Ordering::Release);
            }
        }
        result
    }

    /// Records a batch of outcomes (see `complete.lua`).
    async fn complete(&self, worker: &str, outcomes: &[Outcome]) -> Result<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let mut keys = Vec::with_capacity(outcomes.len() + 8);
        keys.push(self.keys.stream());
        keys.push(self.keys.schedule());
        keys.push(self.keys.dead());
        keys.push(self.keys.events());
        keys.push(self.keys.wake());
        keys.push(self.keys.dead_bytes());
        keys.push(self.keys.waiting());
        keys.push(self.keys.retired());
        let mut args = Vec::with_capacity(outcomes.len() * 7 + 5);
        args.push(Value::from(GROUP));
        args.push(Value::from(self.ttl_ms));
        args.push(Value::from(worker));
        args.push(Value::from(now_ms()));
        args.push(Value::from(self.keys.record_prefix()));
        for outcome in outcomes {
            keys.push(self.keys.record(&outcome.key));
            args.push(Value::from(outcome.id.as_str()));
            args.push(Value::from(outcome.key.as_str()));
            let mut d = Value::from("");
            let (kind, a, b, c) = match &outcome.kind {
                OutcomeKind::Completed(result) => (
                    schema::outcome::COMPLETED,
                    Value::Bytes(result.clone().into()),
                    Value::from(""),
                    Value::from(""),
                ),
                OutcomeKind::Failed { message, type_name } => (
                    schema::outcome::FAILED,
                    Value::from(message.as_str()),
                    Value::from(type_name.as_str()),
                    Value::from(""),
                ),
                OutcomeKind::Cancelled { message, type_name } => (
                    schema::outcome::CANCELLED,
                    Value::from(message.as_str()),
                    Value::from(type_name.as_str()),
                    Value::from(""),
                ),
                OutcomeKind::DeadLetter { message, type_name } => (
                    schema::outcome::DEAD_LETTER,
                    Value::from(message.as_str()),
                    Value::from(type_name.as_str()),
                    Value::from(""),
                ),
                OutcomeKind::Requeue {
                    due,
                    attempt,
                    args,
                    limits,
                } => (
                    {
                        if let Some(limits) = limits {
                            d = Value::Bytes(pack(&limit_values(&self.keys, limits)).into());
                        }
                        schema::outcome::REQUEUE
                    },
                    Value::from(due.spec()),
                    Value::from(*attempt as i64),
                    match args {
                        Some(args) => Value::Bytes(args.clone().into()),
                        None => Value::from(""),
                    },
                ),
                OutcomeKind::Skipped { due } => (
                    schema::outcome::SKIPPED,
                    Value::from(due.spec()),
                    Value::from(1),
                    Value::from(""),
                ),
                OutcomeKind::Postpone { due } => (
                    schema::outcome::POSTPONE,
                    Value::from(due.spec()),
                    Value::from(""),
                    Value::from(""),
                ),
                OutcomeKind::Interrupted => (
                    schema::outcome::INTERRUPTED,
                    Value::from(""),
                    Value::from(""),
                    Value::from(""),
                ),
            };
            args.push(Value::from(kind));
            args.push(a);
            args.push(b);
            args.push(c);
            args.push(d);
        }
        let _: i64 = self.scripts.complete.run(&self.client, keys, args).await?;
        Ok(())
    }

    /// Claims a batch (see [`Backend::claim`]). Entries that a blocking read returns after
    /// the claim was `abandoned` are handed back without being started.
    async fn claim_batch(
        &self,
        worker: &str,
        max: usize,
        wait: Duration,
        abandoned: &AtomicBool,
    ) -> Result<Vec<Delivery>> {
        if max == 0 {
            return Ok(Vec::new());
        }
        self.ensure_group().await?;
        // Under load, one round trip reads and starts a batch.
        let (_, started, _) = self.start(worker, Source::Read(max)).await?;
        if !started.is_empty() {
            return Ok(started);
        }
        if abandoned.load(Ordering::Acquire) {
            return Ok(Vec::new());
        }
        // Nothing ready: wait for work on the blocking connection.
        let read = self.read_group(worker, max, wait).await?;
        let entries = parse::read_entries(read)?;
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        if abandoned.load(Ordering::Acquire) {
            self.release(&entries).await?;
            return Ok(Vec::new());
        }
        Ok(self.start(worker, Source::Given(&entries)).await?.1)
    }

    /// Moves due executions and starts deliveries in one call (see [`Backend::claim_due`]).
    async fn claim_due_batch(&self, worker: &str, max: usize) -> Result<claim::Claimed> {
        if max == 0 {
            return Ok((Vec::new(), None));
        }
        self.ensure_group().await?;
        let (_, started, next_due) = self.start(worker, Source::Due(max.min(DUE_BATCH))).await?;
        Ok((started, next_due))
    }

    async fn reclaim_batch(&self, worker: &str, min_idle: Duration, max: usize) -> Result<Vec<Delivery>> {
        if max == 0 {
            return Ok(Vec::new());
        }
        // Idle times kept counting while the server was away, and live holders may not have
        // renewed or heartbeated yet: after a reconnect, sweep only once `min_idle` has passed.
        let reconnected = *self.reconnected.lock().unwrap_or_else(|e| e.into_inner());
        if reconnected.is_some_and(|at| at.elapsed() < min_idle) {
            tracing::debug!("redelivery sweep skipped: reconnected less than a redelivery timeout ago");
            return Ok(Vec::new());
        }
        self.ensure_group().await?;
        let cursor = self
            .sweep_cursor
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let (next, deliveries, _) = self
            .start(
                worker,
                Source::Sweep {
                    min_idle,
                    cursor,
                    count: max.min(SWEEP_LIMIT),
                },
            )
            .await?;
        let next = next.unwrap_or_else(|| "0-0".to_string());
        if next == "0-0" {
            // A full pass over the pending list: also drop consumers dead workers left.
            let _: i64 = self
                .scripts
                .prune_consumers
                .run(
                    &self.client,
                    vec![self.keys.stream(), self.keys.workers()],
                    vec![Value::from(GROUP)],
                )
                .await?;
        }
        *self.sweep_cursor.lock().unwrap_or_else(|e| e.into_inner()) = next;
        Ok(deliveries)
    }
}

/// Where the deliveries that `start.lua` starts come from.
enum Source<'a> {
    /// Up to this many new deliveries, read in the script.
    Read(usize),
    /// Up to this many due scheduled executions, moved in the script, then up to this many
    /// new deliveries, read in the script (the moved ones among them when nothing older waits).
    Due(usize),
    /// Up to `count` deliveries idle for `min_idle`, taken over in the script from `cursor`.
    Sweep {
        min_idle: Duration,
        cursor: String,
        count: usize,
    },
    /// Entries a blocking read delivered to this worker.
    Given(&'a [parse::Entry]),
}

async fn connect_client<C: ClientLike + EventInterface>(client: &C, what: &str) -> Result<()> {
    let handle = client.init();
    let reason = match tokio::time::timeout(CONNECT_TIMEOUT * 2, handle).await {
        Ok(Ok(_)) => return Ok(()),
        Ok(Err(error)) => match tls_failure(&error) {
            Some(meaning) if client.client_config().uses_tls() => format!("{meaning} ({error})"),
            _ => error.to_string(),
        },
        Err(_) => "timed out".to_string(),
    };
    // A failed first connection has stopped already; one still trying must be stopped.
    if client.state() != fred::types::ClientState::Disconnected {
        close(client).await;
    }
    Err(Error::Backend(format!(
        "cannot connect to {}: {reason}",
        redact(what)
    )))
}

/// What a failed TLS connection attempt means, in words, when `error` shows it.
///
/// fred renders the `rustls::Error` inside its I/O error with `Debug`, so the variants are
/// recognised by name: a rustls upgrade that renames them loses the sentence, never the
/// underlying error (the TLS tests pin the cases that matter).
fn tls_failure(error: &fred::error::Error) -> Option<&'static str> {
    const MEANINGS: [(&str, &str); 9] = [
        (
            "InvalidCertificate(UnknownIssuer)",
            "TLS certificate problem: the server's certificate is not signed by a trusted CA \
             (the CA file given, or else the system's root certificates)",
        ),
        (
            "InvalidCertificate(NotValidForName",
            "TLS certificate problem: the server's certificate does not name the host in the URL",
        ),
        (
            "InvalidCertificate(Expired",
            "TLS certificate problem: the server's certificate has expired",
        ),
        (
            "InvalidCertificate(",
            "TLS certificate problem: the server's certificate was rejected",
        ),
        (
            "AlertReceived(CertificateRequired)",
            "TLS handshake refused: the server requires a client certificate (give one with \
             `tls_client_auth`)",
        ),
        (
            "AlertReceived(",
            "TLS handshake refused by the server: it does not accept the client certificate (or \
             its absence), or shares no protocol version or cipher with this client",
        ),
        (
            "InvalidMessage(",
            "TLS handshake failed: the server did not answer in TLS (a plain port for a \
             rediss:// URL?)",
        ),
        (
            "PeerIncompatible(",
            "TLS handshake failed: the server's TLS is incompatible with this client",
        ),
        (
            "PeerMisbehaved(",
            "TLS handshake failed: the server broke the TLS protocol",
        ),
    ];
    if *error.kind() == fred::error::ErrorKind::Timeout {
        return Some(
            "no TLS connection within the connect timeout (an unreachable server, or a plain \
             port: it never answers the TLS handshake of a rediss:// URL)",
        );
    }
    let details = error.details();
    MEANINGS
        .iter()
        .find(|(name, _)| details.contains(name))
        .map(|(_, meaning)| *meaning)
}

/// Closes a client's connection (fred keeps it, and its reconnection attempts, until QUIT).
async fn close<C: ClientLike>(client: &C) {
    let _ = tokio::time::timeout(CONNECT_TIMEOUT, client.quit()).await;
}

impl Core {
    /// Every connection of this backend.
    fn connections(&self) -> Vec<Client> {
        [
            Some(self.client.clone()),
            Some(self.subscriber.to_client()),
            self.blocking.get().cloned(),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// Closes every connection now (once).
    async fn close(&self) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        for task in &self.background {
            task.abort();
        }
        for client in self.connections() {
            if client.is_connected() {
                close(&client).await;
            }
        }
    }
}

impl Drop for Core {
    fn drop(&mut self) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        for task in &self.background {
            task.abort();
        }
        // Close the connections (fred keeps them until QUIT). In the background: a process
        // about to exit should call `Docket::close` instead, or its runtime may stop first.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let connections = self.connections();
            runtime.spawn(async move {
                for client in connections {
                    if client.is_connected() {
                        close(&client).await;
                    }
                }
            });
        }
    }
}

/// Records when `client` reconnects.
fn spawn_reconnect_watch(
    client: &Client,
    reconnected: Arc<Mutex<Option<tokio::time::Instant>>>,
) -> tokio::task::JoinHandle<()> {
    let mut reconnects = client.reconnect_rx();
    tokio::spawn(async move {
        loop {
            match reconnects.recv().await {
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {
                    *reconnected.lock().unwrap_or_else(|e| e.into_inner()) =
                        Some(tokio::time::Instant::now());
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    })
}

/// Pings the subscriber connection now and then: it sends nothing otherwise, so a silently
/// dropped connection would go unnoticed (and events and cancellations with it).
fn spawn_pinger(subscriber: SubscriberClient) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(SUBSCRIBER_PING).await;
            if let Err(error) = subscriber.ping::<Value>(None).await {
                tracing::debug!(%error, "subscriber ping failed");
            }
        }
    })
}

fn spawn_dispatcher(
    subscriber: &SubscriberClient,
    keys: &Keys,
    events: broadcast::Sender<Event>,
    cancellations: broadcast::Sender<Cancellation>,
    work_hint: Arc<Notify>,
    strikes_changed: Arc<Notify>,
) -> tokio::task::JoinHandle<()> {
    let mut messages = subscriber.message_rx();
    let events_channel = keys.events();
    let wake_channel = keys.wake();
    let strikes_channel = keys.strike_changes();
    tokio::spawn(async move {
        loop {
            match messages.recv().await {
                Ok(message) => {
                    if *message.channel == *strikes_channel {
                        // Leaves a permit: the keeper re-reads the rules even if it is busy.
                        strikes_changed.notify_one();
                    } else if *message.channel == *wake_channel {
                        // Wake a sleeping scheduler, and leave a permit for one between waits.
                        work_hint.notify_waiters();
                        work_hint.notify_one();
                    } else if *message.channel == *events_channel {
                        match parse::event(message.value.as_bytes().unwrap_or_default()) {
                            Ok(event) => {
                                let _ = events.send(event);
                            }
                            Err(error) => tracing::warn!(%error, "ignoring a malformed event"),
                        }
                    } else if let Some(cancellation) = message.value.as_string().and_then(|text| {
                        let (id, key) = text.split_once(' ')?;
                        Some(Cancellation {
                            key: key.to_string(),
                            delivery_id: id.to_string(),
                        })
                    }) {
                        let _ = cancellations.send(cancellation);
                    }
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    // Waiters re-read records on a timer and workers learn of lost leases when
                    // renewing, so nothing hangs; it only takes longer.
                    tracing::warn!(missed, "pub/sub messages were lost: the dispatcher lagged behind");
                    strikes_changed.notify_one();
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    })
}

impl RedisBackend {
    /// Adds (`mode` "add") or removes ("remove") the strike rule `rule`, then re-reads the
    /// rules so that this process sees the change at once.
    async fn change_strikes(&self, mode: &str, rule: &Strike) -> Result<bool> {
        let changed: i64 = self
            .core
            .scripts
            .strike
            .run(
                &self.core.client,
                vec![self.core.keys.strikes(), self.core.keys.strike_changes()],
                vec![
                    Value::from(mode),
                    Value::Bytes(rule.encode().into()),
                    Value::from(MAX_STRIKES as i64),
                    Value::from(now_ms()),
                ],
            )
            .await?;
        if changed < 0 {
            return Err(Error::TooManyStrikes { max: MAX_STRIKES });
        }
        // The change is made: a failed re-read only delays this process's copy (the keeper
        // reads again on the announcement and on its timer).
        if let Err(error) = self
            .core
            .strikes
            .refresh(&self.core.client, &self.core.keys, false)
            .await
        {
            tracing::warn!(%error, "the strike rules changed but could not be read back yet");
        }
        Ok(changed == 1)
    }

    /// Schedules `tasks`, which no strike rule matches, in one script call.
    async fn schedule_unstruck(&self, tasks: &[&NewTask]) -> Result<Vec<Disposition>> {
        if tasks.is_empty() {
            return Ok(Vec::new());
        }
        let mut keys = Vec::with_capacity(tasks.len() + 7);
        keys.push(self.core.keys.stream());
        keys.push(self.core.keys.schedule());
        keys.push(self.core.keys.events());
        keys.push(self.core.keys.wake());
        keys.push(self.core.keys.cancellations());
        keys.push(self.core.keys.waiting());
        keys.push(self.core.keys.retired());
        let mut args = Vec::with_capacity(tasks.len() * 5 + 3);
        args.push(Value::from(self.core.keys.record_prefix()));
        args.push(Value::from(now_ms()));
        args.push(Value::from(self.core.ttl_ms));
        for task in tasks {
            keys.push(self.core.keys.record(&task.key));
            args.push(Value::from(task.key.as_str()));
            args.push(Value::from(task.task.as_str()));
            args.push(Value::Bytes(task.args.clone().into()));
            args.push(Value::from(task.due.spec()));
            // One argument for both, so that a task without admission controls costs no more
            // to send than before they existed.
            let replace: &'static [u8] = if task.replace { b"r" } else { b"k" };
            args.push(match pack_admission(&self.core.keys, task) {
                Some(packed) => Value::Bytes([replace, &packed].concat().into()),
                None => Value::from_static(replace),
            });
        }
        let codes: Vec<i64> = self
            .core
            .scripts
            .schedule
            .run(&self.core.client, keys, args)
            .await?;
        if codes.len() != tasks.len() {
            return Err(Error::Backend(format!(
                "schedule returned {} results for {} tasks",
                codes.len(),
                tasks.len()
            )));
        }
        Ok(codes
            .into_iter()
            .map(|code| {
                if code == schema::disposition::ALREADY_SCHEDULED {
                    Disposition::AlreadyScheduled
                } else if code == schema::disposition::DROPPED {
                    Disposition::Dropped
                } else {
                    Disposition::Scheduled
                }
            })
            .collect())
    }
}

#[async_trait]
impl Backend for RedisBackend {
    async fn schedule(&self, tasks: &[NewTask]) -> Result<Vec<Disposition>> {
        let strikes = self.strikes();
        match split_struck(&strikes, tasks) {
            None => self.schedule_unstruck(&tasks.iter().collect::<Vec<_>>()).await,
            Some((dispositions, left)) => {
                Ok(merge_struck(dispositions, self.schedule_unstruck(&left).await?))
            }
        }
    }

    async fn cancel(&self, key: &str) -> Result<bool> {
        let keys = vec![
            self.core.keys.schedule(),
            self.core.keys.events(),
            self.core.keys.cancellations(),
            self.core.keys.record(key),
            self.core.keys.stream(),
            self.core.keys.waiting(),
            self.core.keys.retired(),
        ];
        let args = vec![
            Value::from(key),
            Value::from(self.core.ttl_ms),
            Value::from(self.core.keys.record_prefix()),
        ];
        let previous: i64 = self
            .core
            .scripts
            .cancel
            .run(&self.core.client, keys, args)
            .await?;
        Ok(previous != 0)
    }

    async fn info(&self, key: &str) -> Result<Option<ExecutionInfo>> {
        let fields: Value = self.core.client.hgetall(self.core.keys.record(key)).await?;
        parse::record(key, fields)
    }

    async fn watch(&self, key: &str) -> Result<(Option<ExecutionInfo>, broadcast::Receiver<Event>)> {
        let receiver = self.core.events.subscribe();
        let fields: Value = self
            .core
            .scripts
            .watch
            .run(&self.core.client, vec![self.core.keys.record(key)], Vec::new())
            .await?;
        Ok((parse::record(key, fields)?, receiver))
    }

    async fn claim(&self, worker: &str, max: usize, wait: Duration) -> Result<Vec<Delivery>> {
        Ok(
            claim::detached(&self.core, worker, claim::Work::Claim { max, wait })
                .await?
                .0,
        )
    }

    async fn claim_due(&self, worker: &str, max: usize) -> Result<(Vec<Delivery>, Option<Duration>)> {
        claim::detached(&self.core, worker, claim::Work::Due { max }).await
    }

    async fn complete(&self, worker: &str, outcomes: &[Outcome]) -> Result<()> {
        self.core.complete(worker, outcomes).await
    }

    async fn move_due(&self, limit: usize) -> Result<Option<Duration>> {
        let keys = vec![
            self.core.keys.schedule(),
            self.core.keys.stream(),
            self.core.keys.events(),
        ];
        let args = vec![
            Value::from(limit as i64),
            Value::from(self.core.keys.record_prefix()),
        ];
        let result: Vec<Value> = self
            .core
            .scripts
            .move_due
            .run(&self.core.client, keys, args)
            .await?;
        Ok(result
            .get(1)
            .and_then(parse::integer)
            .map(|ms| Duration::from_millis(u64::try_from(ms).unwrap_or(0))))
    }

    async fn renew(&self, worker: &str, leases: &[Lease]) -> Result<Vec<String>> {
        if leases.is_empty() {
            return Ok(Vec::new());
        }
        let mut keys = Vec::with_capacity(leases.len() + 1);
        keys.push(self.core.keys.stream());
        let mut args = Vec::with_capacity(leases.len() + 2);
        args.push(Value::from(GROUP));
        args.push(Value::from(worker));
        for lease in leases {
            keys.push(self.core.keys.record(&lease.key));
            args.push(Value::from(lease.id.as_str()));
        }
        let lost: Vec<String> = self.core.scripts.renew.run(&self.core.client, keys, args).await?;
        Ok(lost)
    }

    async fn reclaim(&self, worker: &str, min_idle: Duration, max: usize) -> Result<Vec<Delivery>> {
        Ok(
            claim::detached(&self.core, worker, claim::Work::Reclaim { min_idle, max })
                .await?
                .0,
        )
    }

    async fn settle(&self) {
        claim::settle(&self.core).await
    }

    async fn close(&self) {
        self.core.close().await
    }

    async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>> {
        let reply: Value = self
            .core
            .client
            .custom(
                self.core.command("XREVRANGE", false),
                vec![
                    Value::from(self.core.keys.dead()),
                    "+".into(),
                    "-".into(),
                    "COUNT".into(),
                    Value::from(i64::try_from(limit).unwrap_or(i64::MAX)),
                ],
            )
            .await?;
        Ok(parse::dead_letters(reply))
    }

    async fn remove_dead_letters(&self, ids: &[String]) -> Result<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let removed: i64 = self
            .core
            .scripts
            .remove_dead
            .run(
                &self.core.client,
                vec![self.core.keys.dead(), self.core.keys.dead_bytes()],
                ids.iter().map(|id| Value::from(id.as_str())).collect(),
            )
            .await?;
        Ok(u64::try_from(removed).unwrap_or(0))
    }

    async fn cancellations(&self) -> Result<broadcast::Receiver<Cancellation>> {
        Ok(self.core.cancellations.subscribe())
    }

    fn work_hint(&self) -> Option<Arc<Notify>> {
        Some(self.core.work_hint.clone())
    }

    async fn heartbeat(&self, presence: &Presence) -> Result<usize> {
        let keys = vec![self.core.keys.workers(), self.core.keys.worker(&presence.name)];
        let args = vec![
            Value::from(presence.name.as_str()),
            Value::from(presence.instance.as_str()),
            Value::from(i64::try_from(presence.ttl.as_millis()).unwrap_or(i64::MAX).max(1)),
            Value::from(presence.tasks.join("\n")),
        ];
        let reply: Vec<i64> = self
            .core
            .scripts
            .heartbeat
            .run(&self.core.client, keys, args)
            .await?;
        match reply.as_slice() {
            [1, alive] => Ok(usize::try_from(*alive).unwrap_or(0)),
            [0, seen_ms_ago] => Err(Error::WorkerNameTaken {
                name: presence.name.clone(),
                seen_ms_ago: u64::try_from(*seen_ms_ago).unwrap_or(0),
            }),
            other => Err(Error::Backend(format!("heartbeat returned {other:?}"))),
        }
    }

    async fn leave(&self, presence: &Presence) -> Result<()> {
        let keys = vec![
            self.core.keys.workers(),
            self.core.keys.stream(),
            self.core.keys.worker(&presence.name),
        ];
        let args = vec![
            Value::from(presence.name.as_str()),
            Value::from(GROUP),
            Value::from(presence.instance.as_str()),
        ];
        let _: i64 = self.core.scripts.leave.run(&self.core.client, keys, args).await?;
        Ok(())
    }

    async fn workers(&self) -> Result<Vec<WorkerInfo>> {
        let mut names: Vec<String> = self
            .core
            .scripts
            .workers
            .run(&self.core.client, vec![self.core.keys.workers()], Vec::new())
            .await?;
        names.sort();
        // Concurrent reads on one connection are pipelined by fred.
        let details = futures::future::try_join_all(names.iter().map(|name| {
            self.core.client.hmget::<Vec<Option<String>>, _, _>(
                self.core.keys.worker(name),
                vec![schema::worker::SEEN, schema::worker::TASKS],
            )
        }))
        .await?;
        Ok(names
            .into_iter()
            .zip(details)
            .map(|(name, fields)| {
                let mut fields = fields.into_iter();
                let last_seen_ms = fields
                    .next()
                    .flatten()
                    .and_then(|seen| seen.parse().ok())
                    .unwrap_or(0);
                let tasks = fields
                    .next()
                    .flatten()
                    .map(|tasks| tasks.lines().map(str::to_string).collect())
                    .unwrap_or_default();
                WorkerInfo {
                    name,
                    last_seen_ms,
                    tasks,
                }
            })
            .collect())
    }

    async fn backlog(&self) -> Result<Backlog> {
        let ready: u64 = self
            .core
            .client
            .custom(
                self.core.command("XLEN", false),
                vec![Value::from(self.core.keys.stream())],
            )
            .await?;
        let scheduled: u64 = self.core.client.zcard(self.core.keys.schedule()).await?;
        let waiting: u64 = self
            .core
            .client
            .custom(
                self.core.command("SCARD", false),
                vec![Value::from(self.core.keys.waiting())],
            )
            .await?;
        Ok(Backlog {
            ready: ready + waiting,
            scheduled,
        })
    }

    async fn live(&self, limit: usize) -> Result<Vec<ExecutionInfo>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let scheduled: Vec<String> = self
            .core
            .client
            .zrange(self.core.keys.schedule(), 0, limit - 1, None, false, None, false)
            .await?;
        let ready: Value = self
            .core
            .client
            .custom(
                self.core.command("XRANGE", false),
                vec![
                    Value::from(self.core.keys.stream()),
                    "-".into(),
                    "+".into(),
                    "COUNT".into(),
                    Value::from(limit),
                ],
            )
            .await?;
        let waiting: Vec<String> = self
            .core
            .client
            .custom(
                self.core.command("SRANDMEMBER", false),
                vec![Value::from(self.core.keys.waiting()), Value::from(limit)],
            )
            .await?;
        let mut keys: Vec<String> = scheduled;
        keys.extend(waiting);
        if let Value::Array(entries) = ready {
            keys.extend(
                entries
                    .into_iter()
                    .filter_map(parse::entry)
                    .map(|entry| entry.key),
            );
        }
        keys.sort();
        keys.dedup();
        // Concurrent reads on one connection are pipelined by fred.
        let records = futures::future::try_join_all(keys.iter().map(|key| self.info(key))).await?;
        Ok(records
            .into_iter()
            .flatten()
            .filter(|info| !info.state.is_terminal())
            .collect())
    }

    async fn clear(&self) -> Result<u64> {
        let keys = vec![
            self.core.keys.schedule(),
            self.core.keys.stream(),
            self.core.keys.waiting(),
        ];
        let (mut removed, mut phase, mut cursor) = (0, 1, "-".to_string());
        // One bounded batch per call, so Redis is never blocked for the whole backlog.
        while phase != 0 {
            let args = vec![
                Value::from(self.core.keys.record_prefix()),
                Value::from(now_ms()),
                Value::from(CLEAR_BATCH as i64),
                Value::from(phase),
                Value::from(cursor.as_str()),
            ];
            let (batch, next, at): (i64, i64, String) = self
                .core
                .scripts
                .clear
                .run(&self.core.client, keys.clone(), args)
                .await?;
            removed += u64::try_from(batch).unwrap_or(0);
            (phase, cursor) = (next, at);
        }
        Ok(removed)
    }

    async fn progress(&self, worker: &str, delivery: &Lease, progress: &ProgressInfo) -> Result<bool> {
        let keys = vec![self.core.keys.record(&delivery.key), self.core.keys.events()];
        let args = vec![
            Value::from(delivery.id.as_str()),
            Value::from(worker),
            Value::from(delivery.key.as_str()),
            Value::from(progress.current.to_string()),
            Value::from(progress.total.map(|total| total.to_string()).unwrap_or_default()),
            Value::from(progress.message.as_deref().unwrap_or_default()),
        ];
        let written: i64 = self
            .core
            .scripts
            .progress
            .run(&self.core.client, keys, args)
            .await?;
        Ok(written == 1)
    }

    async fn strike(&self, rule: &Strike) -> Result<bool> {
        rule.validate()?;
        self.change_strikes("add", rule).await
    }

    async fn restore(&self, rule: &Strike) -> Result<bool> {
        self.change_strikes("remove", rule).await
    }

    fn strikes(&self) -> Arc<StrikeList> {
        self.core.strikes.rules.borrow().clone()
    }

    fn watch_strikes(&self) -> tokio::sync::watch::Receiver<Arc<StrikeList>> {
        self.core.strikes.rules.subscribe()
    }
}

/// A record's concurrency limits as `start.lua` and the scripts that free slots read them
/// (`F_LIMITS`): an array of `[holders key, waiters key, max]`.
fn limit_values(keys: &Keys, limits: &[LimitSlot]) -> rmpv::Value {
    rmpv::Value::Array(
        limits
            .iter()
            .map(|limit| {
                rmpv::Value::Array(vec![
                    keys.limit_holders(&limit.id).into(),
                    keys.limit_waiters(&limit.id).into(),
                    limit.max.into(),
                ])
            })
            .collect(),
    )
}

/// A record's rate limits as `start.lua` reads them (`F_RATES`): an array of
/// `[key, limit, per (ms), drop (0 or 1), reason]`.
fn rate_values(keys: &Keys, rates: &[RateSlot]) -> rmpv::Value {
    rmpv::Value::Array(
        rates
            .iter()
            .map(|rate| {
                rmpv::Value::Array(vec![
                    keys.rate(&rate.id).into(),
                    rate.limit.into(),
                    rate.per_millis().into(),
                    u8::from(rate.drop).into(),
                    rate.reason.as_str().into(),
                ])
            })
            .collect(),
    )
}

/// A task's admission controls as `schedule.lua` reads them, or `None` when it has none (a
/// task without pays nothing for them): a MessagePack array of its concurrency limits and
/// rate limits as stored (`F_LIMITS`, `F_RATES`; empty for none), its cooldown windows
/// (`[key, ms, reason]` each) and its debounce group (`[key, ms, reason]`, or empty).
fn pack_admission(keys: &Keys, task: &NewTask) -> Option<Vec<u8>> {
    if task.limits.is_empty() && task.cooldowns.is_empty() && task.rates.is_empty() && task.debounce.is_none()
    {
        return None;
    }
    let window = |window: &Window, key: String| -> Vec<rmpv::Value> {
        vec![key.into(), window.millis().into(), window.reason.as_str().into()]
    };
    let cooldowns = task
        .cooldowns
        .iter()
        .map(|cooldown| rmpv::Value::Array(window(cooldown, keys.cooldown(&cooldown.id))))
        .collect();
    let debounce = task
        .debounce
        .as_ref()
        .map_or_else(Vec::new, |group| window(group, keys.debounce(&group.id)));
    Some(pack(&rmpv::Value::Array(vec![
        limit_values(keys, &task.limits),
        rmpv::Value::Array(cooldowns),
        rate_values(keys, &task.rates),
        rmpv::Value::Array(debounce),
    ])))
}

/// `value` in MessagePack.
fn pack(value: &rmpv::Value) -> Vec<u8> {
    let mut packed = Vec::new();
    // Writing into a vector cannot fail.
    let _ = rmpv::encode::write_value(&mut packed, value);
    packed
}
