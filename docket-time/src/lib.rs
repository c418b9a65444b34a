//! # docket-time
//!
//! The one grammar for times that `#[docket::task]`'s helper attributes and the docket runtime
//! share, so that a value the macro accepts at compile time means the same at run time:
//!
//! - [`parse_duration`]: `250ms`, `30s`, `5m`, `1h`, `2d`, and sums such as `1h30m`;
//! - [`format_duration`]: the shortest such spelling of a duration, for messages;
//! - [`CronSchedule`]: 5-field cron expressions and `@daily`-style keywords (parsed by croner)
//!   and their next match in an IANA time zone (from chrono-tz), daylight-saving changes included.

mod cron;
mod duration;

pub use crate::cron::CronSchedule;
pub use crate::duration::{format_duration, parse_duration};
