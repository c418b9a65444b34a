//! Human durations (`250ms`, `30s`, `5m`, `1h`, `2d`) for flags and environment variables.

use std::time::Duration;

/// Parses a duration written as an integer with a unit suffix: `ms`, `s`, `m`, `h` or `d`.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(docket_worker::parse_duration("5m"), Ok(Duration::from_secs(300)));
/// assert!(docket_worker::parse_duration("5").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("`{text}` has no unit: write it like 250ms, 30s, 5m, 1h or 2d"))?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` does not start with a whole number: write it like 30s"))?;
    let millis = match unit {
        "ms" => Some(number),
        "s" => number.checked_mul(1_000),
        "m" => number.checked_mul(60_000),
        "h" => number.checked_mul(3_600_000),
        "d" => number.checked_mul(86_400_000),
        _ => return Err(format!("`{unit}` is not a unit: use ms, s, m, h or d")),
    };
    millis
        .map(Duration::from_millis)
        .ok_or_else(|| format!("`{text}` is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
    }

    #[test]
    fn mistakes_are_explained() {
        assert!(parse_duration("30").unwrap_err().contains("no unit"));
        assert!(parse_duration("s").unwrap_err().contains("whole number"));
        assert!(parse_duration("3w").unwrap_err().contains("not a unit"));
        assert!(parse_duration("99999999999999999d")
            .unwrap_err()
            .contains("too long"));
    }
}
