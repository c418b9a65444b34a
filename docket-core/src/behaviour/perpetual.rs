//! `#[perpetual(..)]` and `#[cron(..)]`: tasks that reschedule themselves after every run.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use docket_time::CronSchedule;

/// `#[perpetual(every = "5m")]`: after each run, success or failure, the same key runs again
/// at `max(now, start + every)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PerpetualPolicy {
    /// The cadence: from one run's start to the next.
    pub every: Duration,
    /// Whether workers seed the chain themselves under the task's name (`automatic`).
    pub automatic: bool,
}

impl PerpetualPolicy {
    /// A perpetual task that someone schedules once.
    pub const fn new(every: Duration) -> Self {
        Self {
            every,
            automatic: false,
        }
    }

    /// Seeded by workers under the task's name.
    pub const fn automatic(mut self) -> Self {
        self.automatic = true;
        self
    }
}

/// `#[cron("0 9 * * 1", tz = "Europe/Paris")]`: after each run the same key runs again at the
/// next match of the expression, in its time zone (UTC unless given). Always automatic.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct CronPolicy {
    /// The expression as written (5 fields or a `@keyword`).
    pub expression: &'static str,
    /// The IANA time zone it is read in (`None`: UTC).
    pub timezone: Option<&'static str>,
    parsed: &'static OnceLock<Option<CronSchedule>>,
}

impl PartialEq for CronPolicy {
    fn eq(&self, other: &Self) -> bool {
        self.expression == other.expression && self.timezone == other.timezone
    }
}

impl Eq for CronPolicy {}

impl CronPolicy {
    /// A cron policy; `parsed` caches the parsed schedule (the macro gives each task its own
    /// `static`). The macro has already checked that the expression and zone are valid.
    pub const fn new(
        expression: &'static str,
        timezone: Option<&'static str>,
        parsed: &'static OnceLock<Option<CronSchedule>>,
    ) -> Self {
        Self {
            expression,
            timezone,
            parsed,
        }
    }

    /// The parsed schedule; `None` only if the expression is invalid, which the macro
    /// prevents.
    pub fn schedule(&self) -> Option<&CronSchedule> {
        self.parsed
            .get_or_init(|| match CronSchedule::parse(self.expression, self.timezone) {
                Ok(schedule) => Some(schedule),
                Err(error) => {
                    tracing::error!(expression = self.expression, %error, "invalid cron expression");
                    None
                }
            })
            .as_ref()
    }

    /// The first match strictly after `after`, or `None` if there is none (or the expression
    /// is invalid).
    pub fn next_after(&self, after: SystemTime) -> Option<SystemTime> {
        self.schedule()?.next_after(after)
    }
}
