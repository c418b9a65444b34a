//! The one error type of the `docket` crate.

use std::time::Duration;

/// Everything that can go wrong when scheduling, inspecting or running tasks.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The docket URL could not be understood.
    #[error("invalid docket url `{url}`: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The backend (Redis) failed or could not be reached.
    #[error("backend error: {0}")]
    Backend(String),
    /// Arguments or a result could not be encoded as MessagePack.
    #[error("cannot encode {what}: {reason}")]
    Encode {
        /// What was being encoded.
        what: &'static str,
        /// Why it failed.
        reason: String,
    },
    /// Stored data could not be decoded.
    #[error("cannot decode {what}: {reason}")]
    Decode {
        /// What was being decoded.
        what: &'static str,
        /// Why it failed.
        reason: String,
    },
    /// The task ran and failed; its error message and type are kept.
    #[error("task failed: {message} ({type_name})")]
    TaskFailed {
        /// The error's message.
        message: String,
        /// The error's Rust type name.
        type_name: String,
    },
    /// The execution was cancelled before it could finish.
    #[error("execution `{key}` was cancelled")]
    Cancelled {
        /// The execution's key.
        key: String,
    },
    /// An admission control (a cooldown) dropped the execution instead of running it.
    #[error("execution `{key}` was dropped: {reason}")]
    Dropped {
        /// The execution's key.
        key: String,
        /// Which behaviour dropped it, and its window.
        reason: String,
    },
    /// A strike rule stopped the execution: it was struck when scheduled (nothing was
    /// written) or when a worker reached it (its record is CANCELLED with the reason).
    #[error("execution `{key}` was struck: {reason}")]
    Struck {
        /// The execution's key.
        key: String,
        /// The rule that struck it.
        reason: String,
    },
    /// A dead letter cannot be scheduled again.
    #[error("dead letter `{id}` cannot be requeued: {reason}")]
    CannotRequeue {
        /// The dead letter's id.
        id: String,
        /// Why not.
        reason: String,
    },
    /// A strike rule cannot be stored as given.
    #[error("invalid strike: {reason}")]
    InvalidStrike {
        /// What is wrong with it.
        reason: String,
    },
    /// The docket already keeps as many strike rules as it may.
    #[error("the docket already has {max} strike rules, the most it keeps: restore some first")]
    TooManyStrikes {
        /// The most rules a docket keeps.
        max: usize,
    },
    /// No execution with this key is known (never scheduled, or its record expired).
    #[error("no execution with key `{key}` is known (never scheduled, or its record expired)")]
    NotFound {
        /// The execution's key.
        key: String,
    },
    /// The execution finished but its outcome was not kept (`execution_ttl` is zero or elapsed).
    #[error("execution `{key}` finished but its result was not kept (execution_ttl is zero or has elapsed)")]
    ResultNotKept {
        /// The execution's key.
        key: String,
    },
    /// Waiting for a result took longer than allowed.
    #[error("execution `{key}` did not finish within {waited:?}")]
    Timeout {
        /// The execution's key.
        key: String,
        /// How long the caller waited.
        waited: Duration,
    },
    /// Two tasks were registered under one name.
    #[error("task name `{name}` is registered twice: at {first} and at {second}; give one of them `#[docket::task(name = \"...\")]`")]
    DuplicateTask {
        /// The shared name.
        name: String,
        /// Where the first definition is.
        first: String,
        /// Where the second definition is.
        second: String,
    },
    /// A task key is not acceptable.
    #[error("invalid task key `{key}`: {reason}")]
    InvalidKey {
        /// The key as given.
        key: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Another live worker already uses this worker name.
    #[error("a live worker named `{name}` is already running (its last heartbeat was {seen_ms_ago} ms ago); give this worker another name")]
    WorkerNameTaken {
        /// The name both workers want.
        name: String,
        /// How long ago the other worker's last heartbeat was.
        seen_ms_ago: u64,
    },
    /// A configuration value is out of range.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// An item of an [`Agenda`](crate::Agenda) cannot be scheduled (its arguments do not
    /// encode, its key is not acceptable, ...); nothing of the agenda was scheduled.
    #[error("agenda item {index} (task `{task}`) cannot be scheduled")]
    InvalidAgendaItem {
        /// The item's position in the agenda, from 0.
        index: usize,
        /// The item's task.
        task: String,
        /// What is wrong with it (also the error's `source`).
        source: Box<Error>,
    },
}

impl From<fred::error::Error> for Error {
    fn from(error: fred::error::Error) -> Self {
        Error::Backend(error.to_string())
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
