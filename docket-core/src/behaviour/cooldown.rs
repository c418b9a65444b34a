//! `#[cooldown(..)]`: the first submission runs, duplicates within the window are dropped.

use std::time::Duration;

/// `#[cooldown("30s")]` or `#[cooldown("30s", arg = "customer_id")]` (leading edge): a
/// submission runs if no other ran within `window` before it (for the task, or for the same
/// value of `arg`); one that comes sooner is dropped (CANCELLED, with a reason). A task may
/// declare several; each must be clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Cooldown {
    /// How long after an admitted submission duplicates are dropped.
    pub window: Duration,
    /// The parameter whose value the window is kept per (`None`: one window for the task).
    pub arg: Option<&'static str>,
}

impl Cooldown {
    /// One window for the whole task.
    pub const fn new(window: Duration) -> Self {
        Self { window, arg: None }
    }

    /// One window per value of the parameter `arg`.
    pub const fn arg(mut self, arg: &'static str) -> Self {
        self.arg = Some(arg);
        self
    }
}
