//! `#[concurrency(..)]`: how many runs of a task may be RUNNING at once across every worker.

use crate::backend::LimitSlot;
use crate::codec;
use crate::error::Error;

/// `#[concurrency(max = 3)]` (per task), `#[concurrency(arg = "customer_id", max = 1)]` (per
/// value of a parameter) or `#[concurrency(max = 2, scope = "tenants")]` (shared by every task
/// that names the scope): at most `max` runs hold the limit at once, across every worker of the
/// docket. A task may declare several; a run starts only when it can hold all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConcurrencyLimit {
    /// How many runs may hold the limit at once (at least 1).
    pub max: u32,
    /// The parameter whose value the limit is counted per (`None`: one count for all values).
    pub arg: Option<&'static str>,
    /// The name the limit is shared under by several tasks (`None`: the task's own limit).
    pub scope: Option<&'static str>,
}

impl ConcurrencyLimit {
    /// At most `max` runs of the task at once.
    pub const fn new(max: u32) -> Self {
        Self {
            max,
            arg: None,
            scope: None,
        }
    }

    /// Counted per value of the parameter `arg`.
    pub const fn arg(mut self, arg: &'static str) -> Self {
        self.arg = Some(arg);
        self
    }

    /// Shared by every task that declares a limit with this scope.
    pub const fn scope(mut self, scope: &'static str) -> Self {
        self.scope = Some(scope);
        self
    }
}

/// How long a value's text may be to name a limit as it is; a longer one (and any value that
/// is not an integer, a boolean or a short string) is named by a digest of its encoding.
const MAX_PLAIN_VALUE: usize = 64;
/// How long a task or scope name may be to appear in a limit's id as it is.
const MAX_PLAIN_SCOPE: usize = 128;

/// The concurrency limits one execution of `task` with the encoded argument map `args` must
/// hold, one per `#[concurrency(..)]` in `limits`.
///
/// A limit is named by its scope (the task, or the named `scope` shared by several tasks) and,
/// when it counts per argument, by the parameter's name and its value as stored in the
/// argument map, never by its position: reordering a task's parameters keeps its limits, and
/// the same value counts the same whatever its integer width. Names are bounded in length
/// (long values and names are replaced by a SHA-1 digest).
pub fn concurrency_slots(
    task: &str,
    limits: &[ConcurrencyLimit],
    args: &[u8],
) -> Result<Vec<LimitSlot>, Error> {
    if limits.is_empty() {
        return Ok(Vec::new());
    }
    let map = ArgMap::decode(args)?;
    Ok(limits
        .iter()
        .map(|limit| LimitSlot::new(map.name(task, limit.scope, limit.arg), limit.max))
        .collect())
}

/// An execution's argument map, read to name the limits and windows its arguments key.
pub(crate) struct ArgMap(Vec<(rmpv::Value, rmpv::Value)>);

impl ArgMap {
    /// Reads the encoded argument map `args` (anything but a map has no parameters).
    pub(crate) fn decode(args: &[u8]) -> Result<Self, Error> {
        Ok(Self(match codec::decode_dynamic(args)? {
            rmpv::Value::Map(entries) => entries,
            _ => Vec::new(),
        }))
    }

    /// The bounded name of a limit or window of `task` (or of the shared `scope`), counted per
    /// value of the parameter `arg` if given: `t:<task>` or `s:<scope>`, then `/<arg>=<value>`.
    pub(crate) fn name(&self, task: &str, scope: Option<&str>, arg: Option<&str>) -> String {
        let mut id = match scope {
            Some(scope) => format!("s:{}", bounded(scope, MAX_PLAIN_SCOPE)),
            None => format!("t:{}", bounded(task, MAX_PLAIN_SCOPE)),
        };
        if let Some(arg) = arg {
            let value = self
                .0
                .iter()
                .find(|(key, _)| key.as_str() == Some(arg))
                .map(|(_, value)| value);
            id.push('/');
            id.push_str(&bounded(arg, MAX_PLAIN_SCOPE));
            id.push('=');
            id.push_str(&value_name(value));
        }
        id
    }
}

/// `text` itself when it is short and printable, else `#` and the SHA-1 of it.
fn bounded(text: &str, max: usize) -> String {
    if text.len() <= max && !text.chars().any(char::is_control) {
        text.to_string()
    } else {
        format!("#{}", digest(text.as_bytes()))
    }
}

/// How a parameter's value names its limit: `i:42`, `b:true`, `s:acme` (a short printable
/// string), `n:` (absent or nil), or `h:` and the SHA-1 of its MessagePack encoding.
fn value_name(value: Option<&rmpv::Value>) -> String {
    match value {
        None | Some(rmpv::Value::Nil) => "n:".to_string(),
        Some(rmpv::Value::Boolean(flag)) => format!("b:{flag}"),
        Some(rmpv::Value::Integer(number)) => format!("i:{number}"),
        Some(rmpv::Value::String(text))
            if text
                .as_str()
                .is_some_and(|text| text.len() <= MAX_PLAIN_VALUE && !text.chars().any(char::is_control)) =>
        {
            format!("s:{}", text.as_str().unwrap_or_default())
        }
        Some(other) => {
            let mut encoded = Vec::new();
            // Writing into a vector cannot fail.
            let _ = rmpv::encode::write_value(&mut encoded, other);
            format!("h:{}", digest(&encoded))
        }
    }
}

/// The SHA-1 of `bytes`, in hex.
fn digest(bytes: &[u8]) -> String {
    use sha1::Digest;
    let hash = sha1::Sha1::digest(bytes);
    hash.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[derive(Serialize)]
    struct Order<'a> {
        order: u64,
        customer: &'a str,
    }

    #[derive(Serialize)]
    struct Reordered<'a> {
        customer: &'a str,
        order: u32,
    }

    const PER_CUSTOMER: &[ConcurrencyLimit] = &[ConcurrencyLimit::new(1).arg("customer")];

    fn slots(limits: &[ConcurrencyLimit], args: &impl Serialize) -> Vec<LimitSlot> {
        concurrency_slots("orders.process", limits, &codec::encode_args(args).unwrap()).unwrap()
    }

    #[test]
    fn limits_key_on_the_parameter_name_and_value_not_its_position() {
        let first = slots(
            PER_CUSTOMER,
            &Order {
                order: 7,
                customer: "acme",
            },
        );
        let reordered = slots(
            PER_CUSTOMER,
            &Reordered {
                customer: "acme",
                order: 9,
            },
        );
        assert_eq!(first, reordered);
        assert_eq!(first, vec![LimitSlot::new("t:orders.process/customer=s:acme", 1)]);
        let other = slots(
            PER_CUSTOMER,
            &Order {
                order: 7,
                customer: "globex",
            },
        );
        assert_ne!(first, other);
    }

    #[test]
    fn an_integer_names_its_limit_whatever_its_width() {
        let limits = &[ConcurrencyLimit::new(2).arg("order")];
        let wide = slots(
            limits,
            &Order {
                order: 300,
                customer: "a",
            },
        );
        let narrow = slots(
            limits,
            &Reordered {
                customer: "b",
                order: 300,
            },
        );
        assert_eq!(wide, narrow);
        assert_eq!(wide[0].id, "t:orders.process/order=i:300");
        assert_eq!(wide[0].max, 2);
    }

    #[test]
    fn scopes_and_per_task_limits_are_named_apart() {
        let limits = &[
            ConcurrencyLimit::new(3),
            ConcurrencyLimit::new(2).scope("tenants"),
            ConcurrencyLimit::new(1).arg("customer").scope("tenants"),
        ];
        let ids: Vec<String> = slots(
            limits,
            &Order {
                order: 1,
                customer: "acme",
            },
        )
        .into_iter()
        .map(|slot| slot.id)
        .collect();
        assert_eq!(
            ids,
            ["t:orders.process", "s:tenants", "s:tenants/customer=s:acme"]
        );
    }

    #[test]
    fn long_and_structured_values_are_named_by_a_bounded_digest() {
        let long = "x".repeat(10_000);
        let id = &slots(
            PER_CUSTOMER,
            &Order {
                order: 1,
                customer: &long,
            },
        )[0]
        .id;
        assert!(id.len() < 100, "{id}");
        assert!(id.starts_with("t:orders.process/customer=h:"), "{id}");
        let other = "y".repeat(10_000);
        assert_ne!(
            id,
            &slots(
                PER_CUSTOMER,
                &Order {
                    order: 1,
                    customer: &other
                }
            )[0]
            .id
        );
        let control = slots(
            PER_CUSTOMER,
            &Order {
                order: 1,
                customer: "a\nb",
            },
        );
        assert!(
            control[0].id.contains("=h:"),
            "control characters never reach a key"
        );
    }

    #[test]
    fn a_missing_parameter_counts_as_nil_and_no_limits_cost_nothing() {
        let limits = &[ConcurrencyLimit::new(1).arg("region")];
        assert_eq!(
            slots(
                limits,
                &Order {
                    order: 1,
                    customer: "a"
                }
            )[0]
            .id,
            "t:orders.process/region=n:"
        );
        assert!(concurrency_slots("t", &[], b"not msgpack at all")
            .unwrap()
            .is_empty());
    }
}
