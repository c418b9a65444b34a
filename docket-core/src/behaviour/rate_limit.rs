//! `#[rate_limit(..)]`: at most so many starts per window.

use std::time::Duration;

use super::concurrency::ArgMap;
use crate::backend::RateSlot;
use crate::error::Error;

/// `#[rate_limit(limit = 10, per = "1m")]`, optionally with `arg = "customer_id"` (counted
/// per value), `scope = ".."` (shared by several tasks) and `drop`: at most `limit` runs start
/// in any window of `per`. An execution over the limit waits for the instant it may start, or
/// is dropped (CANCELLED, with a reason) with `drop`. A task may declare several; all hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimit {
    /// How many starts the window allows (at least 1).
    pub limit: u32,
    /// The window.
    pub per: Duration,
    /// The parameter whose value starts are counted per (`None`: one count for all values).
    pub arg: Option<&'static str>,
    /// The name the limit is shared under by several tasks (`None`: the task's own limit).
    pub scope: Option<&'static str>,
    /// Whether an execution over the limit is dropped instead of waiting.
    pub drop: bool,
}

impl RateLimit {
    /// At most `limit` starts per `per`; excess waits.
    pub const fn new(limit: u32, per: Duration) -> Self {
        Self {
            limit,
            per,
            arg: None,
            scope: None,
            drop: false,
        }
    }

    /// Counted per value of the parameter `arg`.
    pub const fn arg(mut self, arg: &'static str) -> Self {
        self.arg = Some(arg);
        self
    }

    /// Shared by every task that declares a rate limit with this scope.
    pub const fn scope(mut self, scope: &'static str) -> Self {
        self.scope = Some(scope);
        self
    }

    /// Drops executions over the limit instead of delaying them.
    pub const fn dropping(mut self) -> Self {
        self.drop = true;
        self
    }
}

/// The rate limits one execution of `task` with the encoded argument map `args` must pass to
/// start, one per `#[rate_limit(..)]` in `limits`, named like concurrency limits.
pub fn rate_slots(task: &str, limits: &[RateLimit], args: &[u8]) -> Result<Vec<RateSlot>, Error> {
    if limits.is_empty() {
        return Ok(Vec::new());
    }
    let map = ArgMap::decode(args)?;
    Ok(limits
        .iter()
        .map(|limit| {
            let per = docket_time::format_duration(limit.per);
            let reason = match limit.arg {
                Some(arg) => format!(
                    "dropped by its rate limit: {} starts with the same `{arg}` in the last {per} already",
                    limit.limit
                ),
                None => format!(
                    "dropped by its rate limit: {} starts in the last {per} already",
                    limit.limit
                ),
            };
            RateSlot::new(
                map.name(task, limit.scope, limit.arg),
                limit.limit,
                limit.per,
                limit.drop,
                reason,
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec;

    #[derive(serde::Serialize)]
    struct Args<'a> {
        customer: &'a str,
    }

    #[test]
    fn rate_limits_are_named_like_limits_and_say_why_they_drop() {
        let limits = [
            RateLimit::new(10, Duration::from_secs(60)),
            RateLimit::new(2, Duration::from_secs(1))
                .arg("customer")
                .scope("api")
                .dropping(),
        ];
        let args = codec::encode_args(&Args { customer: "acme" }).unwrap();
        let slots = rate_slots("sync", &limits, &args).unwrap();
        assert_eq!(slots[0].id, "t:sync");
        assert_eq!(
            (slots[0].limit, slots[0].per, slots[0].drop),
            (10, Duration::from_secs(60), false)
        );
        assert_eq!(slots[1].id, "s:api/customer=s:acme");
        assert!(slots[1].drop);
        assert!(
            slots[1]
                .reason
                .contains("2 starts with the same `customer` in the last 1s"),
            "{}",
            slots[1].reason
        );
    }
}
