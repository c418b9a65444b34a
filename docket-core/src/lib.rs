//! # docket
//!
//! Distributed background tasks for Rust, on Redis (or in process with `memory://`).
//!
//! Annotate an `async fn` with [`#[docket::task]`](task); schedule it with the generated
//! `schedule(&docket, args…)`, now, at a time or after a delay; run a worker (the
//! `docket-worker` crate) that discovers every task linked into its binary.
//!
//! ```no_run
//! use std::time::Duration;
//! # fn main() {}
//!
//! #[docket::task]
//! async fn greet(name: String) -> String {
//!     format!("hello, {name}")
//! }
//!
//! # async fn run() -> Result<(), docket::Error> {
//! let docket = docket::Docket::connect("redis://127.0.0.1:6379/0").await?;
//! let now = greet::schedule(&docket, "world".into()).await?;
//! greet::schedule(&docket, "later".into()).after(Duration::from_secs(30)).await?;
//! greet::schedule(&docket, "once".into()).key("greet-once").await?;
//! let greeting: String = now.result().await?;
//! # Ok(()) }
//! ```

mod agenda;
pub mod backend;
pub mod behaviour;
pub mod codec;
mod context;
mod docket;
mod error;
mod execution;
mod inject;
mod progress;
mod schedule;
mod strike;
mod task;
pub mod tasks;
pub mod testing;
mod tls;

#[doc(hidden)]
pub mod __private;

pub use crate::agenda::{Agenda, Scatter, TaskCall};
pub use crate::backend::{DeadLetter, Disposition, WorkerInfo};
pub use crate::context::TaskContext;
pub use crate::docket::{
    ConnectPolicy, Docket, DocketBuilder, Snapshot, TaskTotals, DEFAULT_EXECUTION_TTL, DEFAULT_NAME,
    SNAPSHOT_LIMIT,
};
pub use crate::error::{Error, Result};
pub use crate::execution::{
    Event, Execution, ExecutionInfo, ExecutionState, ProgressChange, StateChange, StoredError,
};
pub use crate::inject::{
    Args, ForcedRetry, FromContext, InjectError, Perpetual, Retry, Serialized, State, States, Timeout,
};
pub use crate::progress::{Progress, ProgressInfo, MAX_PROGRESS_MESSAGE, PROGRESS_INTERVAL};
pub use crate::schedule::{Schedule, MAX_KEY_LEN};
pub use crate::strike::{
    Condition, Operator, Strike, StrikeArg, StrikeList, StrikeValue, MAX_STRIKES, MAX_STRIKE_BYTES,
};
pub use crate::task::{Failure, FailureKind, Registry, RunFn, RunFuture, Task, TaskDescriptor, TaskRef};
pub use docket_macros::task;
pub use docket_time::{format_duration, parse_duration};
/// The MessagePack value type of the executions an [`Agenda`] returns (its calls may be of
/// tasks with different outputs): re-exported so that its version always matches.
pub use rmpv;
