//! `#[retry(..)]`: how many runs a failing execution gets, and how long it waits between them.

use std::time::Duration;

/// How many runs an execution gets in all (S11: `attempts` counts runs; 1 means no retry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempts {
    /// At most this many runs.
    Limited(u32),
    /// Retried until it succeeds (`#[retry(forever, ..)]`).
    Forever,
}

/// How long a failed run waits before the next attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryDelay {
    /// The same delay every time (`delay = "1s"`).
    Fixed(Duration),
    /// `min·2^(n−1)` after the n-th failed run, capped at `max` (`exponential`).
    Exponential {
        /// The delay after the first failure.
        min: Duration,
        /// The longest delay.
        max: Duration,
    },
}

/// A task's retry policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    attempts: Attempts,
    delay: RetryDelay,
}

impl RetryPolicy {
    /// Retries by `delay` until the execution has run `attempts` times.
    pub const fn new(attempts: Attempts, delay: RetryDelay) -> Self {
        Self { attempts, delay }
    }

    /// How many runs an execution gets.
    pub fn attempts(&self) -> Attempts {
        self.attempts
    }

    /// How the delay between runs is chosen.
    pub fn delay(&self) -> RetryDelay {
        self.delay
    }

    /// The wait before the next run after run number `failed` failed, or `None` when that was
    /// the last run the policy allows.
    pub fn delay_after(&self, failed: u32) -> Option<Duration> {
        if let Attempts::Limited(attempts) = self.attempts {
            if failed >= attempts {
                return None;
            }
        }
        Some(match self.delay {
            RetryDelay::Fixed(delay) => delay,
            RetryDelay::Exponential { min, max } => {
                let doublings = failed.saturating_sub(1);
                let factor = 1u32.checked_shl(doublings).filter(|_| doublings < 32);
                factor
                    .and_then(|factor| min.checked_mul(factor))
                    .map_or(max, |delay| delay.min(max))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn attempts_count_runs() {
        let once = RetryPolicy::new(Attempts::Limited(1), RetryDelay::Fixed(SECOND));
        assert_eq!(once.delay_after(1), None);
        let thrice = RetryPolicy::new(Attempts::Limited(3), RetryDelay::Fixed(SECOND));
        assert_eq!(thrice.delay_after(1), Some(SECOND));
        assert_eq!(thrice.delay_after(2), Some(SECOND));
        assert_eq!(thrice.delay_after(3), None);
    }

    #[test]
    fn exponential_doubles_from_min_and_stops_at_max() {
        let policy = RetryPolicy::new(
            Attempts::Forever,
            RetryDelay::Exponential {
                min: SECOND,
                max: Duration::from_secs(300),
            },
        );
        let delays: Vec<_> = (1..=10)
            .map(|n| policy.delay_after(n).unwrap().as_secs())
            .collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300]);
        assert_eq!(policy.delay_after(40), Some(Duration::from_secs(300)));
        assert_eq!(policy.delay_after(u32::MAX), Some(Duration::from_secs(300)));
    }

    #[test]
    fn forever_never_runs_out() {
        let policy = RetryPolicy::new(Attempts::Forever, RetryDelay::Fixed(SECOND));
        assert_eq!(policy.delay_after(u32::MAX), Some(SECOND));
    }
}
