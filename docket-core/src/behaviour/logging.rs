//! `#[logged]`: which arguments a task's log lines show (S21). Nothing is shown unless asked
//! for: arguments may hold secrets.

use std::fmt::Write;

use rmpv::Value;

use super::LoggedParam;
use crate::codec;

/// The longest a logged value is shown, in bytes; longer values are cut.
const MAX_SHOWN: usize = 256;

/// The `#[logged]` parameters of an encoded argument map, as `name=value` pairs separated by
/// spaces (`lines=len(3)` for `#[logged(length_only)]`); `None` when no parameter is logged.
/// A parameter missing from the map shows as `name=?`.
pub fn logged_args(logged: &[LoggedParam], args: &[u8]) -> Option<String> {
    if logged.is_empty() {
        return None;
    }
    let map = codec::decode_dynamic(args).ok();
    let entries = match &map {
        Some(Value::Map(entries)) => entries.as_slice(),
        _ => &[],
    };
    let mut out = String::new();
    for param in logged {
        let value = entries
            .iter()
            .find(|(name, _)| name.as_str() == Some(param.name))
            .map(|(_, value)| value);
        if !out.is_empty() {
            out.push(' ');
        }
        let _ = match value {
            None => write!(out, "{}=?", param.name),
            Some(value) if param.length_only => write!(out, "{}={}", param.name, length(value)),
            Some(value) => write!(out, "{}={}", param.name, shown(value)),
        };
    }
    Some(out)
}

/// `len(n)` for strings (characters), sequences, maps and byte strings; the kind of any other
/// value, never the value itself.
fn length(value: &Value) -> String {
    match value {
        Value::String(text) => match text.as_str() {
            Some(text) => format!("len({})", text.chars().count()),
            None => format!("len({})", text.as_bytes().len()),
        },
        Value::Array(items) => format!("len({})", items.len()),
        Value::Map(entries) => format!("len({})", entries.len()),
        Value::Binary(bytes) => format!("len({})", bytes.len()),
        Value::Nil => "none".to_string(),
        Value::Boolean(_) => "<bool>".to_string(),
        Value::Integer(_) | Value::F32(_) | Value::F64(_) => "<number>".to_string(),
        Value::Ext(..) => "<ext>".to_string(),
    }
}

/// The value as text (strings quoted), cut to [`MAX_SHOWN`] bytes.
fn shown(value: &Value) -> String {
    let text = match value {
        Value::String(text) => match text.as_str() {
            Some(text) => format!("{text:?}"),
            None => format!("{value}"),
        },
        value => format!("{value}"),
    };
    if text.len() <= MAX_SHOWN {
        return text;
    }
    let mut end = MAX_SHOWN;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;

    use super::*;

    #[derive(Serialize)]
    struct Args {
        order_id: u64,
        customer: String,
        lines: Vec<u32>,
        tags: BTreeMap<String, u8>,
        password: String,
    }

    fn encoded() -> Vec<u8> {
        codec::encode_args(&Args {
            order_id: 42,
            customer: "c-7".into(),
            lines: vec![1, 2, 3],
            tags: BTreeMap::from([("a".into(), 1)]),
            password: "hunter2".into(),
        })
        .unwrap()
    }

    #[test]
    fn only_logged_parameters_are_shown() {
        let logged = [
            LoggedParam::value("order_id"),
            LoggedParam::value("customer"),
            LoggedParam::length("lines"),
            LoggedParam::length("tags"),
        ];
        let line = logged_args(&logged, &encoded()).unwrap();
        assert_eq!(line, "order_id=42 customer=\"c-7\" lines=len(3) tags=len(1)");
        assert!(!line.contains("hunter2"));
    }

    #[test]
    fn nothing_is_shown_by_default() {
        assert_eq!(logged_args(&[], &encoded()), None);
    }

    #[test]
    fn length_only_never_shows_a_scalar() {
        let line = logged_args(&[LoggedParam::length("order_id")], &encoded()).unwrap();
        assert_eq!(line, "order_id=<number>");
        let line = logged_args(&[LoggedParam::length("customer")], &encoded()).unwrap();
        assert_eq!(line, "customer=len(3)");
    }

    #[test]
    fn long_values_are_cut_and_missing_ones_marked() {
        #[derive(Serialize)]
        struct Long {
            text: String,
        }
        let bytes = codec::encode_args(&Long {
            text: "é".repeat(1000),
        })
        .unwrap();
        let line = logged_args(&[LoggedParam::value("text"), LoggedParam::value("gone")], &bytes).unwrap();
        assert!(line.len() < 300, "{}", line.len());
        assert!(line.ends_with("… gone=?"), "{line}");
    }
}
