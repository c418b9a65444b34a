//! `#[rate_limit(..)]`: at most so many starts per window.

use std::time::Duration;

/// `#[rate_limit(limit = 10, per = "1m")]`, optionally with `arg = "customer_id"` (counted
/// per value), `scope = ".."` (shared by several tasks) and `drop`: at most `limit` runs start
/// in any window of `per`. An execution over the limit waits for the instant it may start, or
/// is dropped (CANCELLED, with a reason) with `drop`. A task may declare several; all hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimit {
    /// How many starts the window allows (at least 1).
    pub limit: u32,
    /// The window.
    pub per: Duration,
    /// The parameter whose value starts are counted per (`None`: one count for all values).
    pub arg: Option<&'static str>,
    /// The name the limit is shared under by several tasks (`None`: the task's own limit).
    pub scope: Option<&'static str>,
    /// Whether an execution over the limit is dropped instead of waiting.
    pub drop: bool,
}

impl RateLimit {
    /// At most `limit` starts per `per`; excess waits.
    pub const fn new(limit: u32, per: Duration) -> Self {
        Self {
            limit,
            per,
            arg: None,
            scope: None,
            drop: false,
        }
    }

    /// Counted per value of the parameter `arg`.
    pub const fn arg(mut self, arg: &'static str) -> Self {
        self.arg = Some(arg);
        self
    }

    /// Shared by every task that declares a rate limit with this scope.
    pub const fn scope(mut self, scope: &'static str) -> Self {
        self.scope = Some(scope);
        self
    }

    /// Drops executions over the limit instead of delaying them.
    pub const fn dropping(mut self) -> Self {
        self.drop = true;
        self
    }
}
