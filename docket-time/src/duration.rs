//! Human durations: one or more `<whole number><unit>` groups, units `ms`, `s`, `m`, `h`, `d`.

use std::time::Duration;

/// The units, longest first, with their length in milliseconds.
const UNITS: [(&str, u64); 5] = [
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// Parses a duration written as one or more whole numbers with a unit suffix each: `ms`, `s`,
/// `m`, `h` or `d` (`250ms`, `30s`, `1h30m`). Whitespace around the whole is ignored; inside
/// it is not allowed.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(docket_time::parse_duration("5m"), Ok(Duration::from_secs(300)));
/// assert_eq!(docket_time::parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
/// assert!(docket_time::parse_duration("5").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let whole = text.trim();
    if whole.is_empty() {
        return Err("a duration can't be empty: write it like 250ms, 30s, 5m, 1h or 2d".to_string());
    }
    let mut rest = whole;
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!(
                "`{whole}` is not a duration: each part is a whole number and a unit, like 30s or 1h30m"
            ));
        }
        let (number, after) = rest.split_at(digits);
        let number: u64 = number.parse().map_err(|_| format!("`{whole}` is too long"))?;
        let unit_len = after.find(|c: char| c.is_ascii_digit()).unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        if unit.contains(char::is_whitespace) {
            return Err(format!(
                "`{whole}` has a space inside: write a duration without spaces, like 5s or 1h30m"
            ));
        }
        if unit.is_empty() {
            return Err(format!(
                "`{whole}` has no unit after {number}: write it like 250ms, 30s, 5m, 1h or 2d"
            ));
        }
        let Some((_, millis)) = UNITS.iter().find(|(name, _)| *name == unit) else {
            return Err(format!("`{unit}` is not a unit: use ms, s, m, h or d"));
        };
        total = number
            .checked_mul(*millis)
            .and_then(|part| total.checked_add(part))
            .ok_or_else(|| format!("`{whole}` is too long"))?;
        rest = next;
    }
    Ok(Duration::from_millis(total))
}

/// Writes a duration the way [`parse_duration`] reads it, in the largest units that fit
/// (`10m`, `1h30m`, `1500ms` as `1s500ms`); below a millisecond it shows the microseconds or
/// nanoseconds as `Debug` does. Zero is `0s`.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(docket_time::format_duration(Duration::from_secs(600)), "10m");
/// assert_eq!(docket_time::format_duration(Duration::from_millis(5_400_250)), "1h30m250ms");
/// ```
pub fn format_duration(duration: Duration) -> String {
    let mut millis = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    if millis == 0 {
        return if duration.is_zero() {
            "0s".to_string()
        } else {
            format!("{duration:?}")
        };
    }
    let mut out = String::new();
    for (unit, length) in UNITS {
        let count = millis / length;
        if count > 0 {
            out.push_str(&count.to_string());
            out.push_str(unit);
            millis -= count * length;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration(" 1h "), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn parts_add_up() {
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1m1s1ms"), Ok(Duration::from_millis(61_001)));
    }

    #[test]
    fn mistakes_are_explained() {
        assert!(parse_duration("30").unwrap_err().contains("no unit"));
        assert!(parse_duration("").unwrap_err().contains("empty"));
        assert!(parse_duration("s").unwrap_err().contains("not a duration"));
        assert!(parse_duration("1h 30m").unwrap_err().contains("space inside"));
        assert!(parse_duration("5 seconds").unwrap_err().contains("space inside"));
        assert!(parse_duration("3w").unwrap_err().contains("not a unit"));
        assert!(parse_duration("-3s").unwrap_err().contains("not a duration"));
        assert!(parse_duration("99999999999999999d")
            .unwrap_err()
            .contains("too long"));
        assert!(parse_duration("99999999999999999999999s")
            .unwrap_err()
            .contains("too long"));
    }

    #[test]
    fn formatting_round_trips() {
        for text in ["10m", "1h30m", "1s500ms", "2d", "250ms", "1d1h1m1s1ms"] {
            let duration = parse_duration(text).unwrap();
            assert_eq!(format_duration(duration), text);
        }
        assert_eq!(format_duration(Duration::ZERO), "0s");
        assert_eq!(format_duration(Duration::from_micros(5)), "5µs");
    }
}
