//! `#[debounce(..)]`: one run after the submissions go quiet.

use std::time::Duration;

use super::concurrency::ArgMap;
use crate::backend::Window;
use crate::error::Error;

/// `#[debounce("5s")]` or `#[debounce("5s", arg = "customer_id")]` (trailing edge): each
/// submission pushes the pending run back to `window` after it, so one run happens once the
/// submissions have been quiet for `window` (for the task, or for the same value of `arg`).
/// At most one per task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Debounce {
    /// How long the submissions must be quiet before the run.
    pub window: Duration,
    /// The parameter whose value submissions are grouped by (`None`: all of the task's).
    pub arg: Option<&'static str>,
}

impl Debounce {
    /// One group for the whole task.
    pub const fn new(window: Duration) -> Self {
        Self { window, arg: None }
    }

    /// One group per value of the parameter `arg`.
    pub const fn arg(mut self, arg: &'static str) -> Self {
        self.arg = Some(arg);
        self
    }
}

/// The debounce group of one submission of `task` with the encoded argument map `args`,
/// named like concurrency limits, or `None` when the task declares no `#[debounce(..)]`.
pub fn debounce_window(task: &str, debounce: Option<Debounce>, args: &[u8]) -> Result<Option<Window>, Error> {
    let Some(debounce) = debounce else {
        return Ok(None);
    };
    let map = ArgMap::decode(args)?;
    let window = docket_time::format_duration(debounce.window);
    let reason = match debounce.arg {
        Some(arg) => format!(
            "dropped by its debounce: a later submission with the same `{arg}` came within {window} and runs instead"
        ),
        None => format!("dropped by its debounce: a later submission came within {window} and runs instead"),
    };
    Ok(Some(Window::new(
        map.name(task, None, debounce.arg),
        debounce.window,
        reason,
    )))
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
    fn a_group_is_named_per_task_or_per_value() {
        let args = codec::encode_args(&Args { customer: 3 }).unwrap();
        let group = debounce_window(
            "reindex",
            Some(Debounce::new(Duration::from_secs(5)).arg("customer")),
            &args,
        )
        .unwrap()
        .unwrap();
        assert_eq!(group.id, "t:reindex/customer=i:3");
        assert!(group.reason.contains("within 5s"), "{}", group.reason);
        let whole = debounce_window("reindex", Some(Debounce::new(Duration::from_secs(5))), &args)
            .unwrap()
            .unwrap();
        assert_eq!(whole.id, "t:reindex");
        assert_eq!(debounce_window("reindex", None, b"junk").unwrap(), None);
    }
}
