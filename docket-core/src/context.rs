//! What a running task knows about its own execution.

use std::time::SystemTime;

use crate::docket::Docket;

/// The context of one run: the docket it came from and the execution's identity.
///
/// The task macro hands it to the generated adapter; injected parameters are resolved from it.
#[derive(Debug, Clone)]
pub struct TaskContext {
    /// The docket that delivered the task; use it to schedule follow-up work.
    pub docket: Docket,
    /// The execution's key.
    pub key: String,
    /// Which run this is, starting at 1.
    pub attempt: u32,
    /// When the execution was due.
    pub when: SystemTime,
    /// The name of the worker running it.
    pub worker: String,
    /// Whether this delivery is a redelivery after a worker died or stalled.
    pub redelivered: bool,
}
