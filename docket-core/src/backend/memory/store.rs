//! The data of one in-memory docket and every transition on it.
//!
//! Everything here is synchronous and takes the current time as an argument, so the
//! [`MemoryBackend`](super::MemoryBackend) runs each operation under one lock and the tests can
//! drive the clock. A transition never publishes anything itself: it records what it changed in
//! [`Effects`] and the backend publishes that before releasing the lock, so events reach
//! subscribers in the order the transitions happened.
//!
//! Invariants the transitions keep:
//! - every SCHEDULED record has exactly one entry `(when_ms, key)` in `scheduled`;
//! - every QUEUED record has exactly one ready entry with its epoch, and `queued` counts
//!   them; other ready entries are stale and are dropped when popped (or compacted away);
//! - epochs (the identity of one filing of a record: a ready entry, the run it becomes, its
//!   expiry) come from one counter for the whole docket, so an epoch is never reused, not even
//!   after a record was removed and its key scheduled again: a leftover delivery can never pass
//!   for its successor (Redis gets the same from stream entry ids);
//! - a record's generation counts its (re)schedules per key, as on Redis; it is reported,
//!   never used to tell runs apart;
//! - every finished record is removed by its expiry entry (or at once with a zero ttl);
//! - a QUEUED record that waits for a concurrency slot (`waiting`) has no live ready entry
//!   but one entry `(key, epoch)` in the waiters of a limit it could not hold; a record holds
//!   a limit's slot (its key is among the limit's `holders`) from the moment a slot is handed
//!   to it or it starts, until its run ends, it is cancelled or replaced; a limit with no
//!   holders and no waiters is removed.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

use crate::backend::{
    from_ms, Backlog, Cancellation, DeadLetter, Delivery, Disposition, Lease, LimitSlot, NewTask, Outcome,
    OutcomeKind, Presence, RateSlot, Window, WorkerInfo, DEAD_LETTER_ARGS, DEAD_LETTER_BYTES,
    DEAD_LETTER_CAP, DROPPED, MAX_DELIVERIES, TOO_MANY_DELIVERIES,
};
use crate::error::Error;
use crate::execution::{Event, ExecutionInfo, ExecutionState, ProgressChange, StateChange, StoredError};
use crate::progress::ProgressInfo;

/// How many stale ready entries may pile up beyond the live ones before they are compacted.
const COMPACT_SLACK: usize = 1024;

/// The current time, both as wall-clock milliseconds (due times, records) and as a monotonic
/// instant (leases, expiry).
#[derive(Debug, Clone, Copy)]
pub(super) struct Now {
    pub(super) ms: i64,
    pub(super) instant: Instant,
}

/// What a transition changed that the outside world must hear about.
#[derive(Debug, Default)]
pub(super) struct Effects {
    /// Events to publish, in order.
    pub(super) events: Vec<Event>,
    /// Running executions that were cancelled.
    pub(super) cancelled: Vec<Cancellation>,
    /// Whether ready work was added (wake claimers).
    pub(super) ready: bool,
    /// Whether future work was added (wake schedulers).
    pub(super) scheduled: bool,
}

impl Effects {
    fn state(&mut self, key: &str, state: ExecutionState) {
        self.events.push(Event::State(StateChange {
            key: key.to_string(),
            state,
            result: None,
            error: None,
        }));
    }
}

/// One execution record.
#[derive(Debug)]
struct Record {
    task: String,
    args: Vec<u8>,
    state: ExecutionState,
    /// Which filing of the record this is (see the module docs).
    epoch: u64,
    /// How many times the key was (re)scheduled, as on Redis.
    generation: u64,
    when_ms: i64,
    attempt: u32,
    worker: Option<String>,
    started_ms: Option<i64>,
    completed_ms: Option<i64>,
    result: Option<Vec<u8>>,
    error: Option<StoredError>,
    /// Deliveries of the current run that did not finish (see [`MAX_DELIVERIES`]).
    deliveries: u32,
    /// The time it is filed under in the schedule while SCHEDULED (its due time, or later
    /// when it was postponed).
    filed_ms: i64,
    /// The concurrency limits its runs must hold.
    limits: Vec<LimitSlot>,
    /// Whether it is QUEUED waiting for a concurrency slot (in a limit's waiters, not ready).
    waiting: bool,
    /// The rate limits its runs must pass to start.
    rates: Vec<RateSlot>,
    /// Whether this filing is a retry or a perpetual's next run (never dropped by a rate limit).
    successor: bool,
    /// The progress its running run reported last (none once the run ends).
    progress: Option<ProgressInfo>,
}

/// The holders and waiters of one concurrency limit.
#[derive(Debug, Default)]
struct Limit {
    /// The keys of the executions holding a slot.
    holders: std::collections::HashSet<String>,
    /// Executions waiting for a slot, first come first: key and the epoch it waits at.
    waiters: VecDeque<(String, u64)>,
}

/// An entry of the ready FIFO: a delivery waiting for a worker.
#[derive(Debug)]
struct ReadyEntry {
    id: u64,
    key: String,
    epoch: u64,
}

/// A delivery a worker has claimed and not yet completed.
#[derive(Debug)]
struct InFlight {
    key: String,
    epoch: u64,
    worker: String,
    last_renewed: Instant,
}

/// The whole state of one in-memory docket.
#[derive(Debug, Default)]
pub(super) struct Store {
    records: HashMap<String, Record>,
    /// SCHEDULED executions by due time.
    scheduled: BTreeSet<(i64, String)>,
    /// Deliveries waiting for a worker, oldest first (some may be stale).
    ready: VecDeque<ReadyEntry>,
    /// How many records are QUEUED and not waiting for a slot (= live entries in `ready`).
    queued: usize,
    /// How many records are QUEUED waiting for a concurrency slot.
    waiting: usize,
    /// Concurrency limits in use, by id.
    limits: HashMap<String, Limit>,
    /// Runs cancelled or replaced while they ran, by delivery id: the limits whose slots they
    /// keep (as [`retired_holder`]) until they stop.
    retired: HashMap<u64, Vec<LimitSlot>>,
    /// Cooldown windows by id: until when (ms) they drop submissions.
    cooldowns: HashMap<String, i64>,
    /// How many cooldown windows to keep before the lapsed ones are swept.
    cooldown_sweep_at: usize,
    /// Rate limits by id: the window (ms) and the starts within it, oldest first (when, ms,
    /// and by which delivery).
    rates: HashMap<String, (i64, VecDeque<(i64, u64)>)>,
    /// How many rate limits to keep before the idle ones are swept.
    rate_sweep_at: usize,
    /// Debounce groups by id: the key of the latest submission and until when (ms) it counts.
    debounces: HashMap<String, (String, i64)>,
    /// How many debounce groups to keep before the lapsed ones are swept.
    debounce_sweep_at: usize,
    /// Claimed deliveries by id.
    in_flight: HashMap<u64, InFlight>,
    /// Finished records by expiry time: (expires at, epoch, key).
    expiries: BinaryHeap<Reverse<(Instant, u64, String)>>,
    dead_letters: VecDeque<DeadLetter>,
    /// The id of the last dead letter kept.
    last_dead_letter: u64,
    /// The bytes the dead letters hold (see [`dead_letter_size`]).
    dead_letter_bytes: usize,
    /// Worker name → last heartbeat (ms since the epoch).
    workers: HashMap<String, Announced>,
    last_epoch: u64,
    last_delivery: u64,
}

/// The bytes a dead letter holds, as counted against [`DEAD_LETTER_BYTES`].
fn dead_letter_size(letter: &DeadLetter) -> usize {
    letter.key.len()
        + letter.task.len()
        + letter.args.len()
        + letter.error.message.len()
        + letter.error.type_name.len()
        + 64
}

/// A worker's last heartbeat.
#[derive(Debug)]
struct Announced {
    instance: String,
    seen_ms: i64,
    deadline_ms: i64,
    tasks: Vec<String>,
}

/// The holder name of a retired run's slots: no execution key can pass for it by accident.
fn retired_holder(delivery: u64) -> String {
    format!("\0retired:{delivery}")
}

fn is_live(state: ExecutionState) -> bool {
    matches!(
        state,
        ExecutionState::Scheduled | ExecutionState::Queued | ExecutionState::Running
    )
}

impl Store {
    /// Removes the finished records whose time is up. Runs before every operation.
    pub(super) fn prune(&mut self, now: Now) {
        while let Some(Reverse((at, _, _))) = self.expiries.peek() {
            if *at > now.instant {
                break;
            }
            let Some(Reverse((_, epoch, key))) = self.expiries.pop() else {
                break;
            };
            let expired = self
                .records
                .get(&key)
                .is_some_and(|r| r.epoch == epoch && r.state.is_terminal());
            if expired {
                self.records.remove(&key);
            }
        }
    }

    fn next_epoch(&mut self) -> u64 {
        self.last_epoch += 1;
        self.last_epoch
    }

    /// Appends a ready entry for `key` at `epoch` (whose record was just made QUEUED).
    fn enqueue(&mut self, key: &str, epoch: u64, fx: &mut Effects) {
        self.last_delivery += 1;
        self.ready.push_back(ReadyEntry {
            id: self.last_delivery,
            key: key.to_string(),
            epoch,
        });
        self.queued += 1;
        fx.ready = true;
        if self.ready.len() > 2 * self.queued + COMPACT_SLACK {
            let records = &self.records;
            self.ready.retain(|entry| {
                records
                    .get(&entry.key)
                    .is_some_and(|r| r.epoch == entry.epoch && r.state == ExecutionState::Queued)
            });
        }
    }

    /// Records the end of an execution: it expires after `ttl`, or goes at once with a zero
    /// ttl (its event, already recorded in `fx`, carries the outcome to live waiters).
    fn finish(&mut self, key: &str, epoch: u64, ttl: Duration, now: Now) {
        if ttl.is_zero() {
            self.records.remove(key);
        } else if let Some(at) = now.instant.checked_add(ttl) {
            self.expiries.push(Reverse((at, epoch, key.to_string())));
        }
    }

    /// Schedules a batch, one decision per task in order.
    pub(super) fn schedule<'t>(
        &mut self,
        tasks: impl IntoIterator<Item = &'t NewTask>,
        ttl: Duration,
        now: Now,
        fx: &mut Effects,
    ) -> Vec<Disposition> {
        tasks
            .into_iter()
            .map(|task| self.schedule_one(task, ttl, now, fx))
            .collect()
    }

    /// The first of `windows` that is still running (it drops a submission), if any.
    fn closed_window<'w>(&self, windows: &'w [Window], now: Now) -> Option<&'w Window> {
        windows.iter().find(|window| {
            self.cooldowns
                .get(&window.id)
                .is_some_and(|until| *until > now.ms)
        })
    }

    /// Makes `key` the latest submission of the debounce group `group`: the group's pending
    /// execution, if still SCHEDULED, is dropped (it is superseded). Sweeps lapsed groups when
    /// they have doubled.
    fn supersede(&mut self, group: &Window, key: &str, ttl: Duration, now: Now, fx: &mut Effects) {
        let previous = self
            .debounces
            .insert(
                group.id.clone(),
                (key.to_string(), now.ms.saturating_add(2 * group.millis())),
            )
            .filter(|(previous, until)| previous != key && *until > now.ms);
        if let Some((previous, _)) = previous {
            // A retry or a perpetual's next run is never superseded (it is not a submission).
            if let Some(record) = self
                .records
                .get_mut(&previous)
                .filter(|record| record.state == ExecutionState::Scheduled && !record.successor)
            {
                self.scheduled.remove(&(record.filed_ms, previous.clone()));
                self.drop_record(&previous, &group.reason, ttl, now, fx);
            }
        }
        if self.debounces.len() > self.debounce_sweep_at {
            self.debounces.retain(|_, (_, until)| *until > now.ms);
            self.debounce_sweep_at = (2 * self.debounces.len()).max(COMPACT_SLACK);
        }
    }

    /// Ends the pending record of `key` as dropped by an admission control: CANCELLED, with
    /// `reason` as its error (the caller has taken it out of the schedule or the ready queue).
    fn drop_record(&mut self, key: &str, reason: &str, ttl: Duration, now: Now, fx: &mut Effects) {
        let Some(record) = self.records.get_mut(key) else {
            return;
        };
        let error = StoredError {
            message: reason.to_string(),
            type_name: DROPPED.to_string(),
        };
        record.state = ExecutionState::Cancelled;
        record.error = Some(error.clone());
        record.completed_ms = Some(now.ms);
        record.generation += 1;
        let epoch = record.epoch;
        fx.events.push(Event::State(StateChange {
            key: key.to_string(),
            state: ExecutionState::Cancelled,
            result: None,
            error: Some(error),
        }));
        self.finish(key, epoch, ttl, now);
    }

    /// Opens `windows` from now; sweeps lapsed windows when they have doubled.
    fn open_windows(&mut self, windows: &[Window], now: Now) {
        for window in windows {
            self.cooldowns
                .insert(window.id.clone(), now.ms.saturating_add(window.millis()));
        }
        if self.cooldowns.len() > self.cooldown_sweep_at {
            self.cooldowns.retain(|_, until| *until > now.ms);
            self.cooldown_sweep_at = (2 * self.cooldowns.len()).max(COMPACT_SLACK);
        }
    }

    /// Records a dropped submission: CANCELLED at once, with `reason`.
    fn drop_submission(
        &mut self,
        task: &NewTask,
        generation: u64,
        reason: &str,
        ttl: Duration,
        now: Now,
        fx: &mut Effects,
    ) {
        let epoch = self.next_epoch();
        let error = StoredError {
            message: reason.to_string(),
            type_name: DROPPED.to_string(),
        };
        self.records.insert(
            task.key.clone(),
            Record {
                task: task.task.clone(),
                args: task.args.clone(),
                state: ExecutionState::Cancelled,
                epoch,
                generation,
                when_ms: task.due.resolve(now.ms),
                attempt: 1,
                worker: None,
                started_ms: None,
                completed_ms: Some(now.ms),
                result: None,
                error: Some(error.clone()),
                deliveries: 0,
                filed_ms: 0,
                limits: Vec::new(),
                waiting: false,
                rates: Vec::new(),
                successor: false,
                progress: None,
            },
        );
        fx.events.push(Event::State(StateChange {
            key: task.key.clone(),
            state: ExecutionState::Cancelled,
            result: None,
            error: Some(error),
        }));
        self.finish(&task.key, epoch, ttl, now);
    }

    fn schedule_one(&mut self, task: &NewTask, ttl: Duration, now: Now, fx: &mut Effects) -> Disposition {
        let generation = self.records.get(&task.key).map_or(0, |old| old.generation) + 1;
        let pending = self.records.get(&task.key).is_some_and(|old| is_live(old.state));
        if pending && !task.replace {
            return Disposition::AlreadyScheduled;
        }
        if let Some(window) = self.closed_window(&task.cooldowns, now) {
            // A replacement that is dropped leaves the pending execution as it was.
            if !pending {
                let reason = window.reason.clone();
                self.drop_submission(task, generation, &reason, ttl, now, fx);
            }
            return Disposition::Dropped;
        }
        if !task.cooldowns.is_empty() {
            self.open_windows(&task.cooldowns, now);
        }
        let mut when_ms = task.due.resolve(now.ms);
        if let Some(group) = &task.debounce {
            self.supersede(group, &task.key, ttl, now, fx);
            when_ms = when_ms.max(now.ms.saturating_add(group.millis()));
        }
        if let Some(old) = self.records.get(&task.key) {
            let held = old.limits.clone();
            match old.state {
                ExecutionState::Scheduled => {
                    self.scheduled.remove(&(old.filed_ms, task.key.clone()));
                }
                // Its waiter entry stays behind and is now stale.
                ExecutionState::Queued if old.waiting => self.waiting = self.waiting.saturating_sub(1),
                // Its ready entry stays behind and is now stale.
                ExecutionState::Queued => self.queued = self.queued.saturating_sub(1),
                // A running one is interrupted, as a cancellation would: the replacement
                // owns the key now.
                ExecutionState::Running => {
                    let epoch = old.epoch;
                    let running: Vec<u64> = self
                        .in_flight
                        .iter()
                        .filter(|(_, delivery)| delivery.key == task.key && delivery.epoch == epoch)
                        .map(|(id, _)| *id)
                        .collect();
                    fx.cancelled.extend(running.iter().map(|id| Cancellation {
                        key: task.key.clone(),
                        delivery_id: id.to_string(),
                    }));
                    // Its run keeps its slots until it has stopped.
                    if let Some(delivery) = running.first() {
                        self.retire(&task.key, &held, *delivery);
                    }
                }
                _ => {}
            }
            // The replaced execution's slots (one handed to it) are free now.
            self.release(&task.key, &held, fx);
        }
        let epoch = self.next_epoch();
        let state = if when_ms <= now.ms {
            ExecutionState::Queued
        } else {
            ExecutionState::Scheduled
        };
        self.records.insert(
            task.key.clone(),
            Record {
                task: task.task.clone(),
                args: task.args.clone(),
                state,
                epoch,
                generation,
                when_ms,
                attempt: 1,
                worker: None,
                started_ms: None,
                completed_ms: None,
                result: None,
                error: None,
                deliveries: 0,
                filed_ms: when_ms,
                limits: task.limits.clone(),
                waiting: false,
                rates: task.rates.clone(),
                successor: false,
                progress: None,
            },
        );
        if state == ExecutionState::Queued {
            self.enqueue(&task.key, epoch, fx);
        } else {
            self.scheduled.insert((when_ms, task.key.clone()));
            fx.scheduled = true;
        }
        fx.state(&task.key, state);
        Disposition::Scheduled
    }

    /// Moves up to `limit` due executions to the ready FIFO; returns the earliest due time
    /// still scheduled.
    pub(super) fn move_due(&mut self, limit: usize, now: Now, fx: &mut Effects) -> Option<i64> {
        let due: Vec<(i64, String)> = self
            .scheduled
            .iter()
            .take_while(|(when, _)| *when <= now.ms)
            .take(limit)
            .cloned()
            .collect();
        for entry in due {
            self.scheduled.remove(&entry);
            let key = entry.1;
            let Some(record) = self.records.get_mut(&key) else {
                continue;
            };
            if record.state != ExecutionState::Scheduled {
                continue;
            }
            record.state = ExecutionState::Queued;
            let epoch = record.epoch;
            self.enqueue(&key, epoch, fx);
            fx.state(&key, ExecutionState::Queued);
        }
        self.next_due()
    }

    /// The earliest due time still scheduled.
    pub(super) fn next_due(&self) -> Option<i64> {
        self.scheduled.first().map(|(when, _)| *when)
    }

    /// Pops up to `max` live ready entries and marks them RUNNING for `worker`; stale entries
    /// are dropped on the way.
    pub(super) fn claim(
        &mut self,
        worker: &str,
        max: usize,
        ttl: Duration,
        now: Now,
        fx: &mut Effects,
    ) -> Vec<Delivery> {
        let mut claimed = Vec::new();
        while claimed.len() < max {
            let Some(entry) = self.ready.pop_front() else {
                break;
            };
            let Some(record) = self.records.get_mut(&entry.key) else {
                continue;
            };
            if record.epoch != entry.epoch || record.state != ExecutionState::Queued {
                continue;
            }
            let rates = record.rates.clone();
            if !rates.is_empty() {
                if let Some((rate, free_at)) = self.rate_blocked(&rates, now) {
                    self.queued = self.queued.saturating_sub(1);
                    self.hold_back(&entry.key, &rate, free_at, ttl, now, fx);
                    continue;
                }
            }
            let Some(record) = self.records.get_mut(&entry.key) else {
                continue;
            };
            if !record.limits.is_empty() {
                let limits = record.limits.clone();
                if let Some(full) = self.acquire(&entry.key, &limits) {
                    // Waits, QUEUED, until a slot of that limit is handed to it.
                    if let Some(record) = self.records.get_mut(&entry.key) {
                        record.waiting = true;
                    }
                    self.queued = self.queued.saturating_sub(1);
                    self.waiting += 1;
                    self.limits
                        .entry(full)
                        .or_default()
                        .waiters
                        .push_back((entry.key, entry.epoch));
                    continue;
                }
            }
            if !rates.is_empty() {
                self.rate_started(&rates, entry.id, now);
            }
            let Some(record) = self.records.get_mut(&entry.key) else {
                continue;
            };
            record.state = ExecutionState::Running;
            record.worker = Some(worker.to_string());
            record.started_ms = Some(now.ms);
            record.deliveries += 1;
            self.queued = self.queued.saturating_sub(1);
            fx.state(&entry.key, ExecutionState::Running);
            claimed.push(Delivery {
                id: entry.id.to_string(),
                key: entry.key.clone(),
                generation: record.generation,
                task: record.task.clone(),
                args: record.args.clone(),
                attempt: record.attempt,
                when_ms: record.when_ms,
                redelivered: false,
            });
            self.in_flight.insert(
                entry.id,
                InFlight {
                    key: entry.key,
                    epoch: entry.epoch,
                    worker: worker.to_string(),
                    last_renewed: now.instant,
                },
            );
        }
        claimed
    }

    /// Records outcomes; outcomes of stale deliveries only end the delivery.
    pub(super) fn complete(
        &mut self,
        worker: &str,
        outcomes: &[Outcome],
        ttl: Duration,
        now: Now,
        fx: &mut Effects,
    ) {
        for outcome in outcomes {
            self.complete_one(worker, outcome, ttl, now, fx);
        }
    }

    fn complete_one(&mut self, worker: &str, outcome: &Outcome, ttl: Duration, now: Now, fx: &mut Effects) {
        // The run is identified by its delivery: the epoch it was claimed at.
        let Some(id) = outcome.id.parse::<u64>().ok() else {
            return;
        };
        let Some(run_epoch) = self.in_flight.get(&id).map(|delivery| delivery.epoch) else {
            // Not (or no longer) a delivery of this docket: nothing to record.
            return;
        };
        {
            if self
                .in_flight
                .get(&id)
                .is_some_and(|delivery| delivery.worker != worker)
            {
                // Another worker took the delivery over: its run owns the outcome.
                return;
            }
            if matches!(outcome.kind, OutcomeKind::Interrupted) && self.owns(id) {
                // Still the live run: leave it in flight, to be taken over after its lease.
                return;
            }
            self.in_flight.remove(&id);
            self.free_retired(id, fx);
        }
        if matches!(outcome.kind, OutcomeKind::Interrupted) {
            return;
        }
        let Some(record) = self.records.get_mut(&outcome.key) else {
            return;
        };
        if record.epoch != run_epoch || record.state != ExecutionState::Running {
            return;
        }
        let epoch = record.epoch;
        // The run's progress ends with it, whatever comes next (a retry starts from nothing).
        record.progress = None;
        // Whatever follows, the run's slots are free at its end (a next run holds its own).
        let held = record.limits.clone();
        if let OutcomeKind::Requeue {
            limits: Some(limits), ..
        } = &outcome.kind
        {
            record.limits = limits.clone();
        }
        match &outcome.kind {
            OutcomeKind::Completed(result) => {
                record.state = ExecutionState::Completed;
                record.result = Some(result.clone());
                record.completed_ms = Some(now.ms);
                fx.events.push(Event::State(StateChange {
                    key: outcome.key.clone(),
                    state: ExecutionState::Completed,
                    result: Some(result.clone()),
                    error: None,
                }));
                self.finish(&outcome.key, epoch, ttl, now);
            }
            OutcomeKind::Failed { message, type_name } | OutcomeKind::DeadLetter { message, type_name } => {
                let error = StoredError {
                    message: message.clone(),
                    type_name: type_name.clone(),
                };
                record.state = ExecutionState::Failed;
                record.error = Some(error.clone());
                record.completed_ms = Some(now.ms);
                if matches!(outcome.kind, OutcomeKind::DeadLetter { .. }) {
                    let letter = DeadLetter {
                        id: String::new(),
                        key: outcome.key.clone(),
                        task: record.task.clone(),
                        args: record.args.clone(),
                        args_size: record.args.len() as u64,
                        error: error.clone(),
                        at_ms: now.ms,
                    };
                    self.dead_letter(letter);
                }
                fx.events.push(Event::State(StateChange {
                    key: outcome.key.clone(),
                    state: ExecutionState::Failed,
                    result: None,
                    error: Some(error),
                }));
                self.finish(&outcome.key, epoch, ttl, now);
            }
            OutcomeKind::Interrupted => {}
            OutcomeKind::Requeue {
                due, attempt, args, ..
            } => {
                let at_ms = due.resolve(now.ms);
                record.attempt = *attempt;
                record.successor = true;
                if let Some(args) = args {
                    record.args = args.clone();
                }
                record.when_ms = at_ms;
                self.put_back(&outcome.key, at_ms, now, fx);
            }
            OutcomeKind::Cancelled { message, type_name } => {
                let error = StoredError {
                    message: message.clone(),
                    type_name: type_name.clone(),
                };
                record.state = ExecutionState::Cancelled;
                record.error = Some(error.clone());
                record.completed_ms = Some(now.ms);
                // Ended unrun: its start is not counted against its rate limits.
                let rates = record.rates.clone();
                self.uncount_start(&rates, id);
                fx.events.push(Event::State(StateChange {
                    key: outcome.key.clone(),
                    state: ExecutionState::Cancelled,
                    result: None,
                    error: Some(error),
                }));
                self.finish(&outcome.key, epoch, ttl, now);
            }
            OutcomeKind::Postpone { due } => {
                // Put back unrun: its start is not counted against its rate limits.
                let rates = record.rates.clone();
                self.uncount_start(&rates, id);
                self.put_back(&outcome.key, due.resolve(now.ms), now, fx);
            }
            OutcomeKind::Skipped { due } => {
                // The chain goes on, and the run it skipped unrun is not counted against its
                // rate limits.
                let at_ms = due.resolve(now.ms);
                record.attempt = 1;
                record.successor = true;
                record.when_ms = at_ms;
                let rates = record.rates.clone();
                self.uncount_start(&rates, id);
                self.put_back(&outcome.key, at_ms, now, fx);
            }
        }
        self.release(&outcome.key, &held, fx);
    }

    /// Takes back the start of delivery `id` from the rate limits `rates`.
    fn uncount_start(&mut self, rates: &[RateSlot], id: u64) {
        for rate in rates {
            if let Some((_, starts)) = self.rates.get_mut(&rate.id) {
                starts.retain(|(_, delivery)| *delivery != id);
            }
        }
    }

    /// The first of `rates` that allows no start now, and the instant it allows one.
    fn rate_blocked(&mut self, rates: &[RateSlot], now: Now) -> Option<(RateSlot, i64)> {
        for rate in rates {
            let Some((_, starts)) = self.rates.get_mut(&rate.id) else {
                continue;
            };
            let per = rate.per_millis();
            while starts
                .front()
                .is_some_and(|(at, _)| *at <= now.ms.saturating_sub(per))
            {
                starts.pop_front();
            }
            if starts.len() >= usize::try_from(rate.limit).unwrap_or(usize::MAX) {
                let oldest = starts.front().map_or(now.ms, |(at, _)| *at);
                return Some((rate.clone(), oldest.saturating_add(per)));
            }
        }
        None
    }

    /// Counts a start now against every limit of `rates`; sweeps idle limits when they have
    /// doubled.
    fn rate_started(&mut self, rates: &[RateSlot], delivery: u64, now: Now) {
        for rate in rates {
            let (per, starts) = self
                .rates
                .entry(rate.id.clone())
                .or_insert_with(|| (rate.per_millis(), VecDeque::new()));
            *per = rate.per_millis();
            starts.push_back((now.ms, delivery));
        }
        if self.rates.len() > self.rate_sweep_at {
            self.rates.retain(|_, (per, starts)| {
                starts
                    .back()
                    .is_some_and(|(at, _)| *at > now.ms.saturating_sub(*per))
            });
            self.rate_sweep_at = (2 * self.rates.len()).max(COMPACT_SLACK);
        }
    }

    /// Holds back a QUEUED execution that `rate` allows no start now (its ready entry is
    /// consumed): it is dropped when the limit says so and it is neither a retry nor a
    /// perpetual's next run, else filed SCHEDULED at `free_at`, the instant it may start.
    /// Slots handed to it are freed either way.
    fn hold_back(
        &mut self,
        key: &str,
        rate: &RateSlot,
        free_at: i64,
        ttl: Duration,
        now: Now,
        fx: &mut Effects,
    ) {
        let Some(record) = self.records.get_mut(key) else {
            return;
        };
        let held = record.limits.clone();
        if rate.drop && !record.successor {
            self.drop_record(key, &rate.reason, ttl, now, fx);
        } else {
            record.state = ExecutionState::Scheduled;
            record.filed_ms = free_at;
            self.scheduled.insert((free_at, key.to_string()));
            fx.scheduled = true;
            fx.state(key, ExecutionState::Scheduled);
        }
        self.release(key, &held, fx);
    }

    /// Takes a slot of every limit in `limits` for `key`, all or none: `None` when it holds
    /// them all (it may have held some already: a slot handed to it), or the id of a limit
    /// that is full.
    fn acquire(&mut self, key: &str, limits: &[LimitSlot]) -> Option<String> {
        for slot in limits {
            let limit = self.limits.get(&slot.id);
            let held = limit.is_some_and(|limit| limit.holders.contains(key));
            let count = limit.map_or(0, |limit| limit.holders.len());
            if !held && count >= usize::try_from(slot.max).unwrap_or(usize::MAX) {
                return Some(slot.id.clone());
            }
        }
        for slot in limits {
            self.limits
                .entry(slot.id.clone())
                .or_default()
                .holders
                .insert(key.to_string());
        }
        None
    }

    /// Moves the slots `key` holds of `limits` to its running delivery `delivery`, when the
    /// execution is cancelled or replaced while it runs: the key is free for a new execution at
    /// once, but the interrupted run keeps its slots until it has stopped (its outcome arrives,
    /// or its delivery is found stale), so a limit is never exceeded.
    fn retire(&mut self, key: &str, limits: &[LimitSlot], delivery: u64) {
        let holder = retired_holder(delivery);
        let mut moved = false;
        for slot in limits {
            if let Some(limit) = self.limits.get_mut(&slot.id) {
                if limit.holders.remove(key) {
                    limit.holders.insert(holder.clone());
                    moved = true;
                }
            }
        }
        if moved {
            self.retired.insert(delivery, limits.to_vec());
        }
    }

    /// Frees the slots the retired run of `delivery` keeps, if it is one, handing them on.
    fn free_retired(&mut self, delivery: u64, fx: &mut Effects) {
        if let Some(limits) = self.retired.remove(&delivery) {
            self.release(&retired_holder(delivery), &limits, fx);
        }
    }

    /// Frees the slots `key` holds of `limits`, handing each one to the next waiter.
    fn release(&mut self, key: &str, limits: &[LimitSlot], fx: &mut Effects) {
        for slot in limits {
            let freed = self
                .limits
                .get_mut(&slot.id)
                .is_some_and(|limit| limit.holders.remove(key));
            if freed {
                self.hand_off(&slot.id, fx);
            }
        }
    }

    /// Hands the free slots of limit `id` to its waiters, first come first: a waiter that
    /// can hold all its limits becomes ready (holding them); one that is blocked by another
    /// limit waits there instead. Stale waiters (cancelled, replaced) are dropped.
    fn hand_off(&mut self, id: &str, fx: &mut Effects) {
        while let Some((key, epoch)) = self
            .limits
            .get_mut(id)
            .and_then(|limit| limit.waiters.pop_front())
        {
            let Some(record) = self
                .records
                .get(&key)
                .filter(|r| r.epoch == epoch && r.state == ExecutionState::Queued && r.waiting)
            else {
                continue;
            };
            let limits = record.limits.clone();
            match self.acquire(&key, &limits) {
                None => {
                    if let Some(record) = self.records.get_mut(&key) {
                        record.waiting = false;
                    }
                    self.waiting = self.waiting.saturating_sub(1);
                    self.enqueue(&key, epoch, fx);
                }
                Some(full) if full == id => {
                    // No slot left here: it stays first in line.
                    if let Some(limit) = self.limits.get_mut(id) {
                        limit.waiters.push_front((key, epoch));
                    }
                    break;
                }
                Some(full) => self
                    .limits
                    .entry(full)
                    .or_default()
                    .waiters
                    .push_back((key, epoch)),
            }
        }
        if self
            .limits
            .get(id)
            .is_some_and(|limit| limit.holders.is_empty() && limit.waiters.is_empty())
        {
            self.limits.remove(id);
        }
    }

    /// Files a record again, as QUEUED now or SCHEDULED at `at_ms`, for a new delivery.
    fn put_back(&mut self, key: &str, at_ms: i64, now: Now, fx: &mut Effects) {
        self.last_epoch += 1;
        let epoch = self.last_epoch;
        let Some(record) = self.records.get_mut(key) else {
            return;
        };
        let state = if at_ms <= now.ms {
            ExecutionState::Queued
        } else {
            ExecutionState::Scheduled
        };
        record.epoch = epoch;
        record.generation += 1;
        record.filed_ms = at_ms;
        record.state = state;
        record.deliveries = 0;
        if state == ExecutionState::Queued {
            self.enqueue(key, epoch, fx);
        } else {
            self.scheduled.insert((at_ms, key.to_string()));
            fx.scheduled = true;
        }
        fx.state(key, state);
    }

    /// Cancels a live execution; returns whether there was one.
    pub(super) fn cancel(&mut self, key: &str, ttl: Duration, now: Now, fx: &mut Effects) -> bool {
        let Some(record) = self.records.get_mut(key) else {
            return false;
        };
        let previous = record.state;
        let held = record.limits.clone();
        match previous {
            ExecutionState::Scheduled => {
                self.scheduled.remove(&(record.filed_ms, key.to_string()));
            }
            ExecutionState::Queued if record.waiting => {
                record.waiting = false;
                self.waiting = self.waiting.saturating_sub(1);
            }
            ExecutionState::Queued => self.queued = self.queued.saturating_sub(1),
            ExecutionState::Running => {}
            ExecutionState::Completed | ExecutionState::Failed | ExecutionState::Cancelled => return false,
        }
        let running_epoch = record.epoch;
        self.last_epoch += 1;
        let epoch = self.last_epoch;
        record.epoch = epoch;
        record.generation += 1;
        record.state = ExecutionState::Cancelled;
        record.completed_ms = Some(now.ms);
        record.progress = None;
        fx.state(key, ExecutionState::Cancelled);
        if previous == ExecutionState::Running {
            let running: Vec<u64> = self
                .in_flight
                .iter()
                .filter(|(_, delivery)| delivery.key == key && delivery.epoch == running_epoch)
                .map(|(id, _)| *id)
                .collect();
            fx.cancelled.extend(running.iter().map(|id| Cancellation {
                key: key.to_string(),
                delivery_id: id.to_string(),
            }));
            // Its run keeps its slots until it has stopped.
            if let Some(delivery) = running.first() {
                self.retire(key, &held, *delivery);
            }
        }
        self.finish(key, epoch, ttl, now);
        self.release(key, &held, fx);
        true
    }

    /// The record of `key` as the public type.
    pub(super) fn info(&self, key: &str) -> Option<ExecutionInfo> {
        let record = self.records.get(key)?;
        Some(ExecutionInfo {
            key: key.to_string(),
            task: record.task.clone(),
            state: record.state,
            when: from_ms(record.when_ms),
            attempt: record.attempt,
            worker: record.worker.clone(),
            started_at: record.started_ms.map(from_ms),
            completed_at: record.completed_ms.map(from_ms),
            error: record.error.clone(),
            result: record.result.clone(),
            args: record.args.clone(),
            progress: record.progress.clone(),
        })
    }

    /// Writes the progress of `worker`'s run of `delivery`, if it is still the live run and
    /// `worker` holds it; returns whether it was written.
    pub(super) fn progress(
        &mut self,
        worker: &str,
        delivery: &Lease,
        progress: &ProgressInfo,
        fx: &mut Effects,
    ) -> bool {
        let Some(id) = delivery.id.parse::<u64>().ok() else {
            return false;
        };
        let held = self
            .in_flight
            .get(&id)
            .is_some_and(|run| run.worker == worker && run.key == delivery.key);
        if !held || !self.owns(id) {
            return false;
        }
        let Some(record) = self.records.get_mut(&delivery.key) else {
            return false;
        };
        let progress = ProgressInfo::new(progress.current, progress.total, progress.message.clone());
        fx.events.push(Event::Progress(ProgressChange {
            key: delivery.key.clone(),
            current: progress.current,
            total: progress.total,
            message: progress.message.clone(),
        }));
        record.progress = Some(progress);
        true
    }

    /// The records of live executions, at most `limit` scheduled and `limit` queued or running.
    pub(super) fn live(&self, limit: usize) -> Vec<ExecutionInfo> {
        let scheduled = self.scheduled.iter().map(|(_, key)| key).take(limit);
        let ready = self
            .records
            .iter()
            .filter(|(_, record)| matches!(record.state, ExecutionState::Queued | ExecutionState::Running))
            .map(|(key, _)| key)
            .take(limit);
        scheduled.chain(ready).filter_map(|key| self.info(key)).collect()
    }

    /// Keeps a dead letter, dropping the oldest beyond the cap.
    /// Keeps a dead letter (its arguments only up to [`DEAD_LETTER_ARGS`]), dropping the
    /// oldest while more than [`DEAD_LETTER_CAP`] letters or [`DEAD_LETTER_BYTES`] bytes are
    /// kept.
    fn dead_letter(&mut self, mut letter: DeadLetter) {
        if letter.args.len() > DEAD_LETTER_ARGS {
            letter.args = Vec::new();
        }
        self.last_dead_letter += 1;
        letter.id = self.last_dead_letter.to_string();
        self.dead_letter_bytes += dead_letter_size(&letter);
        self.dead_letters.push_back(letter);
        while self.dead_letters.len() > DEAD_LETTER_CAP || self.dead_letter_bytes > DEAD_LETTER_BYTES {
            let Some(oldest) = self.dead_letters.pop_front() else {
                break;
            };
            self.dead_letter_bytes = self.dead_letter_bytes.saturating_sub(dead_letter_size(&oldest));
        }
    }

    /// Whether in-flight delivery `id` is still the live run of its record.
    fn owns(&self, id: u64) -> bool {
        self.in_flight.get(&id).is_some_and(|delivery| {
            self.records.get(&delivery.key).is_some_and(|record| {
                record.epoch == delivery.epoch && record.state == ExecutionState::Running
            })
        })
    }

    /// Refreshes the leases `worker` still owns; returns the ids of those it lost.
    pub(super) fn renew(&mut self, worker: &str, leases: &[Lease], now: Now) -> Vec<String> {
        let mut lost = Vec::new();
        for lease in leases {
            let owned = lease.id.parse::<u64>().ok().filter(|id| {
                self.owns(*id)
                    && self
                        .in_flight
                        .get(id)
                        .is_some_and(|delivery| delivery.worker == worker && delivery.key == lease.key)
            });
            match owned.and_then(|id| self.in_flight.get_mut(&id)) {
                Some(delivery) => delivery.last_renewed = now.instant,
                None => lost.push(lease.id.clone()),
            }
        }
        lost
    }

    /// Hands up to `max` deliveries idle for at least `min_idle` to `worker`, oldest first;
    /// stale ones found on the way are dropped.
    pub(super) fn reclaim(
        &mut self,
        worker: &str,
        min_idle: Duration,
        max: usize,
        ttl: Duration,
        now: Now,
        fx: &mut Effects,
    ) -> Vec<Delivery> {
        // A holder with a fresh heartbeat is alive and about to renew (after an outage, say):
        // only deliveries of dead holders, or this worker's own, are taken over.
        let mut idle: Vec<(Instant, u64)> = self
            .in_flight
            .iter()
            .filter(|(_, d)| now.instant.saturating_duration_since(d.last_renewed) >= min_idle)
            .filter(|(_, d)| d.worker == worker || !self.is_alive(&d.worker, now))
            .map(|(id, d)| (d.last_renewed, *id))
            .collect();
        idle.sort_unstable();
        let mut taken = Vec::new();
        for (_, id) in idle {
            if taken.len() >= max {
                break;
            }
            let Some(delivery) = self.in_flight.get_mut(&id) else {
                continue;
            };
            let record = self
                .records
                .get_mut(&delivery.key)
                .filter(|r| r.epoch == delivery.epoch && r.state == ExecutionState::Running);
            let Some(record) = record else {
                self.in_flight.remove(&id);
                self.free_retired(id, fx);
                continue;
            };
            record.deliveries += 1;
            // Taken over from another worker (or failed below): the old run's progress goes.
            // This worker's own delivery may still be running here, and keeps its own.
            if delivery.worker != worker || record.deliveries > MAX_DELIVERIES {
                record.progress = None;
            }
            if record.deliveries > MAX_DELIVERIES {
                // It keeps stopping its workers: fail it instead of crash-looping them all.
                let error = StoredError {
                    message: format!(
                        "delivered {} times without finishing: the task keeps stopping its workers",
                        record.deliveries - 1
                    ),
                    type_name: TOO_MANY_DELIVERIES.to_string(),
                };
                record.state = ExecutionState::Failed;
                record.error = Some(error.clone());
                record.completed_ms = Some(now.ms);
                let epoch = record.epoch;
                let letter = DeadLetter {
                    id: String::new(),
                    key: delivery.key.clone(),
                    task: record.task.clone(),
                    args: record.args.clone(),
                    args_size: record.args.len() as u64,
                    error: error.clone(),
                    at_ms: now.ms,
                };
                let key = delivery.key.clone();
                let held = record.limits.clone();
                self.in_flight.remove(&id);
                self.release(&key, &held, fx);
                self.dead_letter(letter);
                fx.events.push(Event::State(StateChange {
                    key: key.clone(),
                    state: ExecutionState::Failed,
                    result: None,
                    error: Some(error),
                }));
                self.finish(&key, epoch, ttl, now);
                continue;
            }
            delivery.worker = worker.to_string();
            delivery.last_renewed = now.instant;
            record.worker = Some(worker.to_string());
            record.started_ms = Some(now.ms);
            fx.state(&delivery.key, ExecutionState::Running);
            taken.push(Delivery {
                id: id.to_string(),
                key: delivery.key.clone(),
                generation: record.generation,
                task: record.task.clone(),
                args: record.args.clone(),
                attempt: record.attempt,
                when_ms: record.when_ms,
                redelivered: true,
            });
        }
        taken
    }

    /// Records a heartbeat (refused while another live instance has the name) and forgets
    /// workers whose heartbeat is stale; returns how many are alive.
    pub(super) fn heartbeat(&mut self, presence: &Presence, now: Now) -> Result<usize, Error> {
        self.workers.retain(|_, worker| worker.deadline_ms > now.ms);
        if let Some(other) = self.workers.get(&presence.name) {
            if other.instance != presence.instance {
                return Err(Error::WorkerNameTaken {
                    name: presence.name.clone(),
                    seen_ms_ago: u64::try_from(now.ms.saturating_sub(other.seen_ms)).unwrap_or(0),
                });
            }
        }
        let ttl_ms = i64::try_from(presence.ttl.as_millis()).unwrap_or(i64::MAX);
        self.workers.insert(
            presence.name.clone(),
            Announced {
                instance: presence.instance.clone(),
                seen_ms: now.ms,
                deadline_ms: now.ms.saturating_add(ttl_ms),
                tasks: presence.tasks.clone(),
            },
        );
        Ok(self.workers.len())
    }

    /// Forgets a worker, unless another instance has its name now.
    pub(super) fn leave(&mut self, presence: &Presence) {
        if self
            .workers
            .get(&presence.name)
            .is_some_and(|worker| worker.instance == presence.instance)
        {
            self.workers.remove(&presence.name);
        }
    }

    /// Whether `worker` has a fresh heartbeat.
    fn is_alive(&self, worker: &str, now: Now) -> bool {
        self.workers
            .get(worker)
            .is_some_and(|announced| announced.deadline_ms > now.ms)
    }

    /// The workers whose heartbeat is fresh, by name.
    pub(super) fn workers(&self, now: Now) -> Vec<WorkerInfo> {
        let mut found: Vec<WorkerInfo> = self
            .workers
            .iter()
            .filter(|(_, worker)| worker.deadline_ms > now.ms)
            .map(|(name, worker)| WorkerInfo {
                name: name.clone(),
                last_seen_ms: worker.seen_ms,
                tasks: worker.tasks.clone(),
            })
            .collect();
        found.sort_by(|a, b| a.name.cmp(&b.name));
        found
    }

    /// Queued plus in-flight, and scheduled.
    pub(super) fn backlog(&self) -> Backlog {
        Backlog {
            ready: (self.queued + self.waiting + self.in_flight.len()) as u64,
            scheduled: self.scheduled.len() as u64,
        }
    }

    /// Removes every SCHEDULED and QUEUED execution; returns how many.
    pub(super) fn clear(&mut self, fx: &mut Effects) -> u64 {
        let before = self.records.len();
        let mut held = Vec::new();
        self.records.retain(|key, record| {
            let pending = matches!(record.state, ExecutionState::Scheduled | ExecutionState::Queued);
            if pending && !record.limits.is_empty() {
                held.push((key.clone(), std::mem::take(&mut record.limits)));
            }
            !pending
        });
        self.scheduled.clear();
        // With no QUEUED record left, every ready entry and every waiter is stale.
        self.ready.clear();
        self.queued = 0;
        self.waiting = 0;
        for limit in self.limits.values_mut() {
            limit.waiters.clear();
        }
        // Slots handed to a cleared execution go to nobody (every waiter is gone too).
        for (key, limits) in held {
            self.release(&key, &limits, fx);
        }
        self.limits.retain(|_, limit| !limit.holders.is_empty());
        (before - self.records.len()) as u64
    }

    /// The kept dead letters, oldest first.
    pub(super) fn dead_letters(&self, limit: usize) -> Vec<DeadLetter> {
        self.dead_letters.iter().rev().take(limit).cloned().collect()
    }

    /// Removes the dead letters with these ids; returns how many there were.
    pub(super) fn remove_dead_letters(&mut self, ids: &[String]) -> u64 {
        let before = self.dead_letters.len();
        let mut freed = 0;
        self.dead_letters.retain(|letter| {
            let remove = ids.contains(&letter.id);
            if remove {
                freed += dead_letter_size(letter);
            }
            !remove
        });
        self.dead_letter_bytes = self.dead_letter_bytes.saturating_sub(freed);
        (before - self.dead_letters.len()) as u64
    }

    /// The stored argument map of `key`.
    #[cfg(test)]
    pub(super) fn args_of(&self, key: &str) -> Option<Vec<u8>> {
        self.records.get(key).map(|record| record.args.clone())
    }

    /// The sizes of every collection, checking the invariants on the way.
    #[cfg(test)]
    pub(super) fn sizes(&self) -> Sizes {
        let queued = self
            .records
            .values()
            .filter(|r| r.state == ExecutionState::Queued)
            .count();
        let scheduled = self
            .records
            .values()
            .filter(|r| r.state == ExecutionState::Scheduled)
            .count();
        assert_eq!(self.queued + self.waiting, queued, "the QUEUED counters drifted");
        assert_eq!(
            self.scheduled.len(),
            scheduled,
            "the schedule and the records disagree"
        );
        Sizes {
            records: self.records.len(),
            scheduled: self.scheduled.len(),
            ready: self.ready.len(),
            queued: self.queued,
            in_flight: self.in_flight.len(),
            expiries: self.expiries.len(),
            dead_letters: self.dead_letters.len(),
            workers: self.workers.len(),
        }
    }
}

/// How many entries each collection of a [`Store`] holds (tests only).
#[cfg(test)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Sizes {
    pub(super) records: usize,
    pub(super) scheduled: usize,
    pub(super) ready: usize,
    pub(super) queued: usize,
    pub(super) in_flight: usize,
    pub(super) expiries: usize,
    pub(super) dead_letters: usize,
    pub(super) workers: usize,
}
