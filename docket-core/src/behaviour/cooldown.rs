//! `#[cooldown(..)]`: the first submission runs, duplicates within the window are dropped.

use std::time::Duration;

use super::concurrency::ArgMap;
use crate::backend::Window;
use crate::error::Error;

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

/// The cooldown windows one submission of `task` with the encoded argument map `args` must
/// find clear, one per `#[cooldown(..)]` in `cooldowns`, named like concurrency limits (by the
/// parameter's name and value, bounded in length).
pub fn cooldown_windows(task: &str, cooldowns: &[Cooldown], args: &[u8]) -> Result<Vec<Window>, Error> {
    if cooldowns.is_empty() {
        return Ok(Vec::new());
    }
    let map = ArgMap::decode(args)?;
    Ok(cooldowns
        .iter()
        .map(|cooldown| {
            let id = map.name(task, None, cooldown.arg);
            let reason = match cooldown.arg {
                Some(arg) => format!(
                    "dropped by its cooldown: another submission with the same `{arg}` was admitted less than {} before",
                    docket_time::format_duration(cooldown.window)
                ),
                None => format!(
                    "dropped by its cooldown: another submission was admitted less than {} before",
                    docket_time::format_duration(cooldown.window)
                ),
            };
            Window::new(id, cooldown.window, reason)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec;

    #[derive(serde::Serialize)]
    struct Args {
        customer: u64,
    }

    #[test]
    fn windows_are_named_per_task_or_per_value_and_say_why_they_drop() {
        let cooldowns = [
            Cooldown::new(Duration::from_secs(30)),
            Cooldown::new(Duration::from_secs(5)).arg("customer"),
        ];
        let args = codec::encode_args(&Args { customer: 7 }).unwrap();
        let windows = cooldown_windows("notify", &cooldowns, &args).unwrap();
        assert_eq!(windows[0].id, "t:notify");
        assert_eq!(windows[0].window, Duration::from_secs(30));
        assert!(
            windows[0].reason.contains("less than 30s before"),
            "{}",
            windows[0].reason
        );
        assert_eq!(windows[1].id, "t:notify/customer=i:7");
        assert!(
            windows[1].reason.contains("same `customer`"),
            "{}",
            windows[1].reason
        );
        assert!(cooldown_windows("notify", &[], b"junk").unwrap().is_empty());
    }
}
