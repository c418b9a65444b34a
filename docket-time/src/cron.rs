//! Cron schedules: 5-field expressions and `@keywords`, read in an IANA time zone.

use std::time::SystemTime;

/// A parsed cron schedule in its time zone.
#[derive(Debug, Clone)]
pub struct CronSchedule {
    _todo: (),
}

impl CronSchedule {
    /// Parses a 5-field expression (`minute hour day-of-month month day-of-week`) or one of
    /// `@yearly @annually @monthly @weekly @daily @midnight @hourly`, read in `timezone` (an
    /// IANA name such as `America/Los_Angeles`; `None` means UTC).
    pub fn parse(expression: &str, timezone: Option<&str>) -> Result<Self, String> {
        let _ = (expression, timezone);
        Err("cron schedules are not implemented yet".to_string())
    }

    /// The first match strictly after `after`.
    pub fn next_after(&self, after: SystemTime) -> Option<SystemTime> {
        let _ = after;
        None
    }
}
