//! `#[debounce(..)]`: one run after the submissions go quiet.

use std::time::Duration;

/// `#[debounce("5s")]` or `#[debounce("5s", arg = "customer_id")]` (trailing edge): each
/// submission pushes the pending run back to `window` after it, so one run happens once the
/// submissions have been quiet for `window` (for the task, or for the same value of `arg`).
/// At most one per task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Debounce {
    /// How long the submissions must be quiet before the run.
    pub window: Duration,
    /// The parameter whose value submissions are grouped by (`None`: all of the task's).
    pub arg: Option<&'static str>,
}

impl Debounce {
    /// One group for the whole task.
    pub const fn new(window: Duration) -> Self {
        Self { window, arg: None }
    }

    /// One group per value of the parameter `arg`.
    pub const fn arg(mut self, arg: &'static str) -> Self {
        self.arg = Some(arg);
        self
    }
}
