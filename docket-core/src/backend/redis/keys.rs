//! Every Redis key name of a docket, built in one place.
//!
//! All keys share the hash tag `{<docket name>}` so multi-key scripts are legal on Redis
//! Cluster. Execution records live under `{name}:t:<key>`; no internal key starts with `t:`,
//! so a task key can never collide with one.

/// The consumer group every worker of a docket reads the ready stream through.
pub const GROUP: &str = "workers";

/// The key names of one docket.
#[derive(Debug, Clone)]
pub struct Keys {
    tag: String,
    record_prefix: String,
}

impl Keys {
    /// The keys of the docket called `name`.
    pub fn new(name: &str) -> Self {
        let tag = format!("{{{name}}}");
        let record_prefix = format!("{tag}:t:");
        Self { tag, record_prefix }
    }

    /// The hash tag shared by every key (`{name}`).
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// The stream of ready deliveries.
    pub fn stream(&self) -> String {
        format!("{}:stream", self.tag)
    }

    /// The sorted set of scheduled executions by due time (ms).
    pub fn schedule(&self) -> String {
        format!("{}:schedule", self.tag)
    }

    /// The capped stream of dead letters.
    pub fn dead(&self) -> String {
        format!("{}:dead", self.tag)
    }

    /// The byte count of the dead letters kept (they are trimmed by bytes as well as count).
    pub fn dead_bytes(&self) -> String {
        format!("{}:dead:bytes", self.tag)
    }

    /// The sorted set of workers by the deadline of their last heartbeat (ms).
    pub fn workers(&self) -> String {
        format!("{}:workers", self.tag)
    }

    /// The hash describing the worker called `worker` (instance, last heartbeat, tasks).
    pub fn worker(&self, worker: &str) -> String {
        format!("{}:w:{worker}", self.tag)
    }

    /// The channel carrying state-change events of watched executions.
    pub fn events(&self) -> String {
        format!("{}:events", self.tag)
    }

    /// The channel telling schedulers that a task now heads the schedule.
    pub fn wake(&self) -> String {
        format!("{}:wake", self.tag)
    }

    /// The channel carrying keys of running executions that were cancelled.
    pub fn cancellations(&self) -> String {
        format!("{}:cancel", self.tag)
    }

    /// The hash of the docket's strike rules and their version.
    pub fn strikes(&self) -> String {
        format!("{}:strikes", self.tag)
    }

    /// The channel announcing a new version of the strike rules.
    pub fn strike_changes(&self) -> String {
        format!("{}:strikes:changed", self.tag)
    }

    /// The set of executions that are QUEUED waiting for a concurrency slot (they have no
    /// stream entry until a slot is handed to them).
    pub fn waiting(&self) -> String {
        format!("{}:waiting", self.tag)
    }

    /// The sorted set of the executions holding a slot of the concurrency limit `id` (by the
    /// time they took it, ms); it disappears when the last slot is freed.
    pub fn limit_holders(&self, id: &str) -> String {
        format!("{}:ch:{id}", self.tag)
    }

    /// The list of executions waiting, first come first, for a slot of the concurrency limit
    /// `id` (`<generation>:<key>`); it disappears when the last waiter is served.
    pub fn limit_waiters(&self, id: &str) -> String {
        format!("{}:cw:{id}", self.tag)
    }

    /// The key that exists while the cooldown window `id` runs (it expires when it ends).
    pub fn cooldown(&self, id: &str) -> String {
        format!("{}:cd:{id}", self.tag)
    }

    /// The sorted set of the starts (ms, by Redis's clock) within the window of the rate
    /// limit `id`; it expires a window after the last start.
    pub fn rate(&self, id: &str) -> String {
        format!("{}:rl:{id}", self.tag)
    }

    /// The key of the latest submission of the debounce group `id` (it expires two windows
    /// after it).
    pub fn debounce(&self, id: &str) -> String {
        format!("{}:db:{id}", self.tag)
    }

    /// The hash of runs cancelled or replaced while they ran that still hold concurrency
    /// slots until they stop: stream entry id -> their packed limits.
    pub fn retired(&self) -> String {
        format!("{}:retired", self.tag)
    }

    /// The prefix of execution record keys.
    pub fn record_prefix(&self) -> &str {
        &self.record_prefix
    }

    /// The record of the execution with `key`.
    pub fn record(&self, key: &str) -> String {
        format!("{}{key}", self.record_prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_shares_the_hash_tag() {
        let keys = Keys::new("orders");
        for key in [
            keys.stream(),
            keys.schedule(),
            keys.dead(),
            keys.dead_bytes(),
            keys.workers(),
            keys.worker("w-1"),
            keys.events(),
            keys.cancellations(),
            keys.wake(),
            keys.strikes(),
            keys.strike_changes(),
            keys.waiting(),
            keys.retired(),
            keys.limit_holders("t:x"),
            keys.limit_waiters("t:x"),
            keys.cooldown("t:x"),
            keys.rate("t:x"),
            keys.debounce("t:x"),
            keys.record("x"),
        ] {
            assert!(key.starts_with("{orders}:"), "{key}");
        }
    }

    #[test]
    fn task_keys_cannot_collide_with_internal_keys() {
        let keys = Keys::new("d");
        let internal = [
            keys.stream(),
            keys.schedule(),
            keys.dead(),
            keys.workers(),
            keys.waiting(),
            keys.limit_holders("x"),
        ];
        for task_key in ["stream", "schedule", "dead", "workers", ":stream", "../stream"] {
            assert!(!internal.contains(&keys.record(task_key)), "{task_key}");
        }
    }
}
