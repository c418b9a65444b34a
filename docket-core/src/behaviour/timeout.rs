//! `#[timeout(..)]`: the failure a run that overran its deadline ends with.

use std::time::Duration;

use crate::task::{Failure, FailureKind};

/// The failure of a run dropped at its deadline after running for `ran` (its timeout, plus
/// any extensions the body asked for). Retryable like any failure.
pub fn timeout_failure(ran: Duration) -> Failure {
    Failure {
        kind: FailureKind::Task,
        message: format!("timed out after {}", docket_time::format_duration(ran)),
        type_name: "docket::Timeout".to_string(),
    }
}
