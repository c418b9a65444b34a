//! `#[concurrency(..)]`: how many runs of a task may be RUNNING at once across every worker.

/// `#[concurrency(max = 3)]` (per task), `#[concurrency(arg = "customer_id", max = 1)]` (per
/// value of a parameter) or `#[concurrency(max = 2, scope = "tenants")]` (shared by every task
/// that names the scope): at most `max` runs hold the limit at once, across every worker of the
/// docket. A task may declare several; a run starts only when it can hold all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConcurrencyLimit {
    /// How many runs may hold the limit at once (at least 1).
    pub max: u32,
    /// The parameter whose value the limit is counted per (`None`: one count for all values).
    pub arg: Option<&'static str>,
    /// The name the limit is shared under by several tasks (`None`: the task's own limit).
    pub scope: Option<&'static str>,
}

impl ConcurrencyLimit {
    /// At most `max` runs of the task at once.
    pub const fn new(max: u32) -> Self {
        Self {
            max,
            arg: None,
            scope: None,
        }
    }

    /// Counted per value of the parameter `arg`.
    pub const fn arg(mut self, arg: &'static str) -> Self {
        self.arg = Some(arg);
        self
    }

    /// Shared by every task that declares a limit with this scope.
    pub const fn scope(mut self, scope: &'static str) -> Self {
        self.scope = Some(scope);
        self
    }
}
