//! Cron schedules: 5-field expressions and `@keywords`, read in an IANA time zone.
//!
//! [croner](https://docs.rs/croner) (3.x) parses the expressions and finds their matches on a
//! zone's wall clock; [chrono-tz](https://docs.rs/chrono-tz) supplies the zones. This module
//! fixes the dialect (five fields, no seconds or years), turns `@midnight` (which croner does not
//! know) and the other keywords into fields, and makes `next_after` strictly increasing across
//! daylight-saving changes (see [`CronSchedule`]).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, LocalResult, TimeZone, Utc};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds, Year};
use croner::{Cron, JobType};

/// The keywords and the fields they stand for.
const KEYWORDS: [(&str, &str); 7] = [
    ("@yearly", "0 0 1 1 *"),
    ("@annually", "0 0 1 1 *"),
    ("@monthly", "0 0 1 * *"),
    ("@weekly", "0 0 * * 0"),
    ("@daily", "0 0 * * *"),
    ("@midnight", "0 0 * * *"),
    ("@hourly", "0 * * * *"),
];

/// The fields' names, in order.
const FIELDS: [&str; 5] = ["minute", "hour", "day-of-month", "month", "day-of-week"];

/// What every message about the shape of an expression ends with.
const SHAPE: &str = "expected 5 fields (minute hour day month weekday) or a @keyword such as @daily";

/// A parsed cron schedule, read on the wall clock of an IANA time zone.
///
/// # Expressions
///
/// Five whitespace-separated fields, `minute hour day-of-month month day-of-week`, or a keyword
/// (in any case): `@yearly` and `@annually` (`0 0 1 1 *`), `@monthly` (`0 0 1 * *`), `@weekly`
/// (`0 0 * * 0`), `@daily` and `@midnight` (`0 0 * * *`), `@hourly` (`0 * * * *`). Fields take
/// numbers, `*`, ranges (`1-5`), steps (`*/15`, `0-30/10`), lists (`1,15`), month and weekday
/// names (`JAN`, `MON`), and `0` or `7` for Sunday; croner's extensions are accepted too: `L`
/// (the last day of the month, or `5L` its last Friday), `W` (`15W`, the weekday nearest the
/// 15th), `#` (`1#2`, the second Monday) and `?` (the same as `*`). There are no seconds or
/// years: 6- and 7-field expressions are rejected, and so is an expression that matches no date
/// at all (`0 0 30 2 *`).
///
/// # Day of month and day of week
///
/// As in Vixie cron: when both fields are restricted, a day matches if *either* does, so
/// `0 0 13 * 5` runs on every 13th and on every Friday; when one of them is `*`, only the other
/// counts. This is croner's default (its `dom_and_dow` option, which would require both, stays
/// off). A field is unrestricted only when it is exactly `*` (or `?`), so `*/2` counts as a
/// restriction here, where Vixie cron would treat any field starting with `*` as unrestricted.
/// croner's `+` before the weekday field asks for both on that expression: `0 0 1-7 * +5` is the
/// first Friday of the month.
///
/// # Daylight saving time
///
/// The fields match the zone's wall clock. Where that clock skips or repeats a stretch, croner's
/// rules apply, which tell a *fixed-time* expression (a single minute and a single hour, such as
/// `30 2 * * *` or `@daily`) from an *interval* one (a `*`, step, range or list in the minute or
/// the hour, such as `@hourly`, `*/15 * * * *` or `0 9-17 * * *`):
///
/// - Spring forward: a fixed-time match in the skipped stretch runs at the first instant after
///   it, on the same day. In `America/Los_Angeles` on 2021-03-14, when 02:00 PST jumps to
///   03:00 PDT, `30 2 * * *` runs at 03:00 PDT (10:00 UTC), and at 02:30 PDT the day after.
///   Interval matches in the skipped stretch don't run: `@hourly` goes from 01:00 PST to
///   03:00 PDT.
/// - Fall back: a fixed-time match in the repeated stretch runs once, in its first pass. On
///   2021-11-07, when 02:00 PDT falls back to 01:00 PST, `30 1 * * *` runs at 01:30 PDT
///   (08:30 UTC) and next at 01:30 PST on 2021-11-08. Interval matches run in both passes, in
///   time order: `@hourly` runs at 01:00 PDT, 01:00 PST, then 02:00 PST.
#[derive(Debug, Clone)]
pub struct CronSchedule {
    /// The expression as written, without surrounding whitespace.
    expression: String,
    /// The zone's name as given; `None` is UTC.
    timezone: Option<String>,
    zone: Tz,
    cron: Cron,
    /// Whether croner treats the expression as a fixed-time one at DST changes.
    fixed_time: bool,
}

impl CronSchedule {
    /// Parses a 5-field expression (`minute hour day-of-month month day-of-week`) or one of
    /// `@yearly @annually @monthly @weekly @daily @midnight @hourly`, read in `timezone` (an
    /// IANA name such as `America/Los_Angeles`; `None` means UTC). The error says what is wrong
    /// with the expression or names the unknown zone.
    ///
    /// ```
    /// use docket_time::CronSchedule;
    /// assert!(CronSchedule::parse("0 9 * * MON-FRI", Some("Europe/Paris")).is_ok());
    /// assert!(CronSchedule::parse("@daily", None).is_ok());
    /// assert!(CronSchedule::parse("0 0 9 * * *", None).is_err());
    /// assert!(CronSchedule::parse("@daily", Some("Mars/Olympus")).is_err());
    /// ```
    pub fn parse(expression: &str, timezone: Option<&str>) -> Result<Self, String> {
        let zone = match timezone {
            None => Tz::UTC,
            Some(name) => name.parse::<Tz>().map_err(|_| {
                format!("`{name}` is not an IANA time zone (such as `America/Los_Angeles` or `UTC`)")
            })?,
        };
        let expression = expression.trim();
        let fields = if expression.starts_with('@') {
            KEYWORDS
                .iter()
                .find(|(keyword, _)| keyword.eq_ignore_ascii_case(expression))
                .map(|(_, fields)| *fields)
                .ok_or_else(|| {
                    format!(
                        "`{expression}` is not a cron keyword: use @yearly, @annually, @monthly, \
                         @weekly, @daily, @midnight or @hourly"
                    )
                })?
        } else {
            let count = expression.split_whitespace().count();
            if count != 5 {
                let found = match count {
                    0 => return Err(format!("a cron expression can't be empty: {SHAPE}")),
                    1 => "found 1 field".to_string(),
                    6 => "found 6 fields (a seconds field is not supported)".to_string(),
                    7 => "found 7 fields (seconds and year fields are not supported)".to_string(),
                    _ => format!("found {count} fields"),
                };
                return Err(format!(
                    "`{expression}` is not a cron expression: {SHAPE}, {found}"
                ));
            }
            expression
        };
        let parser = CronParser::builder()
            .seconds(Seconds::Disallowed)
            .year(Year::Disallowed)
            .dom_and_dow(false)
            .alternative_weekdays(false)
            .build();
        let cron = parser.parse(fields).map_err(|reason| {
            // croner's reasons don't name the field: find it by parsing each one alone.
            let parts: Vec<&str> = fields.split_whitespace().collect();
            let alone = |field: usize| {
                let mut stars = ["*"; 5];
                stars[field] = parts[field];
                parser.parse(&stars.join(" ")).is_err()
            };
            match (0..parts.len()).find(|&field| alone(field)) {
                Some(field) => format!(
                    "`{expression}` is not a cron expression: in the {} field `{}`: {reason}",
                    FIELDS[field], parts[field]
                ),
                None => format!("`{expression}` is not a cron expression: {reason}"),
            }
        })?;
        // Five fields repeat with the 400-year Gregorian calendar, so an expression croner finds
        // no match for between 1970 and its limit, the year 5000, has none at all.
        if cron
            .find_next_occurrence(&DateTime::<Utc>::UNIX_EPOCH, false)
            .is_err()
        {
            return Err(format!(
                "`{expression}` never matches: no month has that day (or that day on that weekday)"
            ));
        }
        Ok(Self {
            expression: expression.to_string(),
            timezone: timezone.map(str::to_string),
            zone,
            fixed_time: cron.determine_job_type() == JobType::FixedTime,
            cron,
        })
    }

    /// The expression as written (without surrounding whitespace).
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The time zone's name as given to [`parse`](Self::parse); `None` means UTC.
    pub fn timezone(&self) -> Option<&str> {
        self.timezone.as_deref()
    }

    /// The first match strictly after `after`: a time exactly on a match gives the following one.
    /// Daylight-saving changes are handled as the [type's documentation](CronSchedule) says.
    /// `None` for an `after` before the Unix epoch or out of chrono's range, or when no match
    /// comes before croner's search limit (the year 5000).
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use docket_time::CronSchedule;
    /// let hourly = CronSchedule::parse("@hourly", None).unwrap();
    /// let after = UNIX_EPOCH + Duration::from_secs(90 * 60); // 1970-01-01 01:30 UTC
    /// assert_eq!(hourly.next_after(after), Some(UNIX_EPOCH + Duration::from_secs(2 * 3600)));
    /// ```
    pub fn next_after(&self, after: SystemTime) -> Option<SystemTime> {
        // Matches fall on whole minutes, so the first one after `after` is the first one after
        // its whole second (croner would otherwise carry the fraction into its answer).
        let seconds = i64::try_from(after.duration_since(UNIX_EPOCH).ok()?.as_secs()).ok()?;
        let after = DateTime::from_timestamp(seconds, 0)?.with_timezone(&self.zone);
        let next = match (self.next_in_order(&after), self.repeat_of_passed(&after)) {
            (Some(next), Some(repeat)) => next.min(repeat),
            (next, repeat) => next.or(repeat)?,
        };
        UNIX_EPOCH.checked_add(Duration::from_secs(u64::try_from(next.timestamp()).ok()?))
    }

    /// croner's next match: the first matching wall-clock reading after `after`'s, made an
    /// instant by croner's DST rules. When `after` is in the second pass of a repeated stretch,
    /// croner can answer with the first pass of a later reading, which is already past: a
    /// fixed-time match ran then, so the search goes on; an interval match runs again in the
    /// second pass, which is after `after`.
    fn next_in_order(&self, after: &DateTime<Tz>) -> Option<DateTime<Tz>> {
        let mut from = *after;
        loop {
            let found = self.cron.find_next_occurrence(&from, false).ok()?;
            if found > *after {
                return Some(found);
            }
            if !self.fixed_time {
                let repeat = self.zone.from_local_datetime(&found.naive_local()).latest();
                if let Some(repeat) = repeat.filter(|repeat| repeat > after) {
                    return Some(repeat);
                }
            }
            from = found;
        }
    }

    /// For an interval expression and an `after` in the first pass of a repeated stretch: the
    /// second pass of the matches whose readings are not after `after`'s, which croner's
    /// search, moving forward on the wall clock, never comes back to. The first one is the
    /// first match in the stretch's length before `after`'s reading that falls in the repeat.
    fn repeat_of_passed(&self, after: &DateTime<Tz>) -> Option<DateTime<Tz>> {
        if self.fixed_time {
            return None;
        }
        let reading = after.naive_local();
        let LocalResult::Ambiguous(first, second) = self.zone.from_local_datetime(&reading) else {
            return None;
        };
        if first != *after {
            return None;
        }
        let mut from = reading.checked_sub_signed(second - first)?;
        loop {
            // Read as UTC, croner matches the bare reading.
            let candidate = self
                .cron
                .find_next_occurrence(&from.and_utc(), false)
                .ok()?
                .naive_utc();
            if candidate > reading {
                return None;
            }
            if let LocalResult::Ambiguous(_, repeat) = self.zone.from_local_datetime(&candidate) {
                return Some(repeat);
            }
            from = candidate;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America::Los_Angeles;

    /// The instant of a wall-clock time that happens once in `zone`.
    fn at(zone: Tz, (year, month, day): (i32, u32, u32), (hour, minute): (u32, u32)) -> SystemTime {
        zone.with_ymd_and_hms(year, month, day, hour, minute, 0)
            .single()
            .expect("a time that happens once")
            .into()
    }

    fn utc(date: (i32, u32, u32), time: (u32, u32)) -> SystemTime {
        at(Tz::UTC, date, time)
    }

    fn la(date: (i32, u32, u32), time: (u32, u32)) -> SystemTime {
        at(Los_Angeles, date, time)
    }

    /// The two instants, first pass then second, of a wall-clock time that happens twice in LA.
    fn la_twice((year, month, day): (i32, u32, u32), (hour, minute): (u32, u32)) -> [SystemTime; 2] {
        let LocalResult::Ambiguous(first, second) =
            Los_Angeles.with_ymd_and_hms(year, month, day, hour, minute, 0)
        else {
            panic!("{year}-{month}-{day} {hour}:{minute} happens twice in Los Angeles");
        };
        [first.into(), second.into()]
    }

    fn schedule(expression: &str, timezone: Option<&str>) -> CronSchedule {
        CronSchedule::parse(expression, timezone).unwrap()
    }

    /// Shows instants in UTC, for readable failures.
    fn show(time: Option<SystemTime>) -> Option<DateTime<Utc>> {
        time.map(DateTime::<Utc>::from)
    }

    fn assert_next(schedule: &CronSchedule, after: SystemTime, expected: SystemTime) {
        assert_eq!(
            show(schedule.next_after(after)),
            show(Some(expected)),
            "`{}` after {:?}",
            schedule.expression(),
            show(Some(after)),
        );
    }

    /// The matches after `after`, `count` of them, each found from the one before (in UTC).
    fn matches(schedule: &CronSchedule, mut after: SystemTime, count: usize) -> Vec<DateTime<Utc>> {
        (0..count)
            .map(|_| {
                after = schedule.next_after(after).expect("a next match");
                after.into()
            })
            .collect()
    }

    /// Instants in UTC, to compare with [`matches`].
    fn in_utc(times: impl IntoIterator<Item = SystemTime>) -> Vec<DateTime<Utc>> {
        times.into_iter().map(DateTime::from).collect()
    }

    #[test]
    fn monday_at_nine_in_utc() {
        let mondays = schedule("0 9 * * 1", None);
        // Wednesday 2024-01-03 to Monday 2024-01-08, then a week on.
        assert_next(&mondays, utc((2024, 1, 3), (12, 0)), utc((2024, 1, 8), (9, 0)));
        assert_next(&mondays, utc((2024, 1, 8), (8, 59)), utc((2024, 1, 8), (9, 0)));
        assert_next(&mondays, utc((2024, 1, 8), (9, 0)), utc((2024, 1, 15), (9, 0)));
        let named = schedule("0 9 * * MON", None);
        assert_next(&named, utc((2024, 1, 3), (12, 0)), utc((2024, 1, 8), (9, 0)));
    }

    #[test]
    fn sub_second_times() {
        let nine = schedule("0 9 * * *", None);
        let match_time = utc((2024, 1, 8), (9, 0));
        let half = Duration::from_millis(500);
        assert_next(&nine, match_time + half, utc((2024, 1, 9), (9, 0)));
        assert_next(&nine, match_time - half, match_time);
        assert_next(&nine, match_time - Duration::from_nanos(1), match_time);
        assert_next(
            &nine,
            match_time + Duration::from_nanos(1),
            utc((2024, 1, 9), (9, 0)),
        );
    }

    #[test]
    fn hourly() {
        let hourly = schedule("@hourly", None);
        assert_next(&hourly, utc((2024, 1, 8), (9, 0)), utc((2024, 1, 8), (10, 0)));
        assert_next(&hourly, utc((2024, 1, 8), (9, 59)), utc((2024, 1, 8), (10, 0)));
        assert_next(&hourly, utc((2024, 12, 31), (23, 30)), utc((2025, 1, 1), (0, 0)));
    }

    #[test]
    fn daily_and_midnight_in_los_angeles() {
        for keyword in ["@daily", "@midnight", "@DAILY"] {
            let daily = schedule(keyword, Some("America/Los_Angeles"));
            // Midnight PST is 08:00 UTC, midnight PDT 07:00 UTC.
            assert_next(&daily, utc((2024, 1, 15), (12, 0)), utc((2024, 1, 16), (8, 0)));
            assert_next(&daily, utc((2024, 7, 15), (12, 0)), utc((2024, 7, 16), (7, 0)));
            assert_next(&daily, utc((2024, 7, 16), (6, 59)), utc((2024, 7, 16), (7, 0)));
            assert_next(&daily, utc((2024, 7, 16), (7, 0)), utc((2024, 7, 17), (7, 0)));
        }
    }

    #[test]
    fn weekly_monthly_yearly() {
        let weekly = schedule("@weekly", None);
        // Monday 2024-01-08 to Sunday 2024-01-14.
        assert_next(&weekly, utc((2024, 1, 8), (0, 0)), utc((2024, 1, 14), (0, 0)));
        assert_next(&weekly, utc((2024, 1, 14), (0, 0)), utc((2024, 1, 21), (0, 0)));
        let monthly = schedule("@monthly", None);
        assert_next(&monthly, utc((2024, 1, 31), (12, 0)), utc((2024, 2, 1), (0, 0)));
        for keyword in ["@yearly", "@annually"] {
            let yearly = schedule(keyword, None);
            assert_next(&yearly, utc((2024, 3, 1), (0, 0)), utc((2025, 1, 1), (0, 0)));
            assert_next(&yearly, utc((2025, 1, 1), (0, 0)), utc((2026, 1, 1), (0, 0)));
            let in_la = schedule(keyword, Some("America/Los_Angeles"));
            assert_next(&in_la, utc((2025, 1, 1), (0, 0)), utc((2025, 1, 1), (8, 0)));
        }
    }

    #[test]
    fn spring_forward_fixed_time_runs_when_the_gap_ends() {
        // 2021-03-14 02:00 PST jumps to 03:00 PDT: 02:30 never happens.
        let half_past_two = schedule("30 2 * * *", Some("America/Los_Angeles"));
        assert_next(
            &half_past_two,
            la((2021, 3, 12), (12, 0)),
            la((2021, 3, 13), (2, 30)),
        );
        assert_eq!(
            matches(&half_past_two, la((2021, 3, 13), (2, 30)), 2),
            in_utc([la((2021, 3, 14), (3, 0)), la((2021, 3, 15), (2, 30))])
        );
        assert_eq!(la((2021, 3, 14), (3, 0)), utc((2021, 3, 14), (10, 0)));
        assert_eq!(la((2021, 3, 15), (2, 30)), utc((2021, 3, 15), (9, 30)));
    }

    #[test]
    fn spring_forward_interval_skips_the_gap() {
        let hourly = schedule("@hourly", Some("America/Los_Angeles"));
        assert_eq!(
            matches(&hourly, la((2021, 3, 14), (0, 30)), 3),
            in_utc([
                la((2021, 3, 14), (1, 0)),
                la((2021, 3, 14), (3, 0)),
                la((2021, 3, 14), (4, 0)),
            ])
        );
        let quarters = schedule("*/15 * * * *", Some("America/Los_Angeles"));
        assert_next(&quarters, la((2021, 3, 14), (1, 45)), la((2021, 3, 14), (3, 0)));
    }

    #[test]
    fn fall_back_fixed_time_runs_once() {
        // 2021-11-07 02:00 PDT falls back to 01:00 PST: 01:30 happens twice.
        let half_past_one = schedule("30 1 * * *", Some("America/Los_Angeles"));
        let [first, second] = la_twice((2021, 11, 7), (1, 30));
        assert_eq!(first, utc((2021, 11, 7), (8, 30)));
        assert_eq!(second, utc((2021, 11, 7), (9, 30)));
        let next_day = la((2021, 11, 8), (1, 30));
        assert_eq!(next_day, utc((2021, 11, 8), (9, 30)));
        assert_next(&half_past_one, la((2021, 11, 6), (12, 0)), first);
        assert_next(&half_past_one, first, next_day);
        // From inside the repeated hour, before its second 01:30: that one doesn't run either.
        let [_, quarter_past_again] = la_twice((2021, 11, 7), (1, 15));
        assert_next(&half_past_one, quarter_past_again, next_day);
        assert_next(&half_past_one, second, next_day);
    }

    #[test]
    fn fall_back_interval_runs_in_both_passes_in_order() {
        let hourly = schedule("@hourly", Some("America/Los_Angeles"));
        let [one_pdt, one_pst] = la_twice((2021, 11, 7), (1, 0));
        assert_eq!(
            matches(&hourly, la((2021, 11, 7), (0, 30)), 3),
            in_utc([one_pdt, one_pst, la((2021, 11, 7), (2, 0))])
        );

        // Every quarter of an hour of real time, from 00:45 PDT (07:45 UTC) to 02:00 PST
        // (10:00 UTC), through both passes of the repeated hour.
        let quarters = schedule("*/15 * * * *", Some("America/Los_Angeles"));
        let start = la((2021, 11, 7), (0, 45));
        let every_quarter = (1..=9).map(|n| start + Duration::from_secs(n * 15 * 60));
        assert_eq!(matches(&quarters, start, 9), in_utc(every_quarter));
        assert_eq!(
            start + Duration::from_secs(9 * 15 * 60),
            la((2021, 11, 7), (2, 0))
        );
        // From inside the second pass.
        let [_, ten_past_again] = la_twice((2021, 11, 7), (1, 10));
        let [_, quarter_past_again] = la_twice((2021, 11, 7), (1, 15));
        assert_next(&quarters, ten_past_again, quarter_past_again);

        // A list in the hour makes an interval expression too.
        let twice_a_day = schedule("30 1,13 * * *", Some("America/Los_Angeles"));
        let [first, second] = la_twice((2021, 11, 7), (1, 30));
        assert_eq!(
            matches(&twice_a_day, la((2021, 11, 7), (0, 0)), 3),
            in_utc([first, second, la((2021, 11, 7), (13, 30))])
        );
    }

    #[test]
    fn day_of_month_or_day_of_week() {
        // Both restricted: the 13th or a Friday.
        let either = schedule("0 0 13 * 5", None);
        assert_eq!(
            matches(&either, utc((2024, 10, 1), (0, 0)), 4),
            in_utc([
                utc((2024, 10, 4), (0, 0)),  // Friday
                utc((2024, 10, 11), (0, 0)), // Friday
                utc((2024, 10, 13), (0, 0)), // Sunday the 13th
                utc((2024, 10, 18), (0, 0)), // Friday
            ])
        );
        // One restricted: only that one counts.
        let fridays = schedule("0 0 * * 5", None);
        assert_next(&fridays, utc((2024, 10, 11), (0, 0)), utc((2024, 10, 18), (0, 0)));
        let thirteenth = schedule("0 0 13 * *", None);
        assert_next(
            &thirteenth,
            utc((2024, 10, 1), (0, 0)),
            utc((2024, 10, 13), (0, 0)),
        );
        // croner's `+`: both, here the first Friday of the month.
        let first_friday = schedule("0 0 1-7 * +5", None);
        assert_next(
            &first_friday,
            utc((2024, 10, 5), (0, 0)),
            utc((2024, 11, 1), (0, 0)),
        );
        // Sunday is 0 or 7.
        let sundays = schedule("0 0 * * 7", None);
        assert_next(&sundays, utc((2024, 10, 11), (0, 0)), utc((2024, 10, 13), (0, 0)));
    }

    #[test]
    fn mistakes_are_explained() {
        let error = |expression: &str| CronSchedule::parse(expression, None).unwrap_err();
        assert_eq!(
            error("0 9 * *"),
            "`0 9 * *` is not a cron expression: expected 5 fields (minute hour day month \
             weekday) or a @keyword such as @daily, found 4 fields"
        );
        assert!(error("0 0 9 * * *").contains("found 6 fields (a seconds field is not supported)"));
        assert!(error("0 0 9 * * * 2030").contains("found 7 fields"));
        assert!(error("   ").contains("can't be empty"));
        assert_eq!(
            error("61 * * * *"),
            "`61 * * * *` is not a cron expression: in the minute field `61`: Component error: \
             Number out of bounds."
        );
        let in_field = |expression: &str, field: &str| {
            let start = format!("`{expression}` is not a cron expression: in the {field} field");
            assert!(error(expression).starts_with(&start), "{}", error(expression));
        };
        in_field("* 24 * * *", "hour");
        in_field("* * 0 * *", "day-of-month");
        in_field("* * * 13 *", "month");
        in_field("* * * * 8", "day-of-week");
        in_field("x * * * *", "minute");
        in_field("*/0 * * * *", "minute");
        in_field("5-1 * * * *", "minute");
        assert!(error("@reboot").starts_with("`@reboot` is not a cron keyword"));
        assert!(error("0 0 30 2 *").starts_with("`0 0 30 2 *` never matches"));
        assert_eq!(
            CronSchedule::parse("@daily", Some("Mars/Olympus")).unwrap_err(),
            "`Mars/Olympus` is not an IANA time zone (such as `America/Los_Angeles` or `UTC`)"
        );
    }

    #[test]
    fn out_of_range_times_give_none() {
        let hourly = schedule("@hourly", None);
        assert_eq!(hourly.next_after(UNIX_EPOCH - Duration::from_secs(1)), None);
        assert_next(&hourly, UNIX_EPOCH, UNIX_EPOCH + Duration::from_secs(3600));
        let beyond_chrono = UNIX_EPOCH + Duration::from_secs(10_u64.pow(13)); // about year 318,000
        assert_eq!(hourly.next_after(beyond_chrono), None);
        let far = UNIX_EPOCH.checked_add(Duration::from_secs(i64::MAX as u64));
        assert_eq!(far.and_then(|far| hourly.next_after(far)), None);
        // Past croner's search limit, the year 5000.
        assert_eq!(hourly.next_after(utc((6000, 1, 1), (0, 0))), None);
    }

    #[test]
    fn accessors_and_traits() {
        fn shareable<T: Send + Sync + Clone + std::fmt::Debug>() {}
        shareable::<CronSchedule>();
        let schedule = schedule(" 0 9 * * 1 ", Some("America/Los_Angeles"));
        assert_eq!(schedule.expression(), "0 9 * * 1");
        assert_eq!(schedule.timezone(), Some("America/Los_Angeles"));
        assert_eq!(self::schedule("@daily", None).timezone(), None);
    }
}
