//! Turning Redis replies into docket's types. Every reply is checked; nothing here panics on
//! an unexpected shape.

use fred::types::Value;

use super::super::{from_ms, DeadLetter, Delivery};
use super::schema::{self, dead, record};
use crate::codec;
use crate::error::{Error, Result};
use crate::execution::{Event, ExecutionInfo, ExecutionState, ProgressChange, StateChange, StoredError};
use crate::progress::ProgressInfo;
use crate::strike::{Strike, StrikeList};

/// A raw ready-stream entry.
#[derive(Debug)]
pub struct Entry {
    pub id: String,
    pub key: String,
}

fn malformed(what: &str) -> Error {
    Error::Backend(format!("unexpected reply from Redis: {what}"))
}

/// An integer from an integer, string or bulk reply.
pub fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Integer(i) => Some(*i),
        Value::Double(d) => Some(*d as i64),
        Value::String(s) => s.parse::<f64>().ok().map(|f| f as i64),
        Value::Bytes(b) => std::str::from_utf8(b).ok()?.parse::<f64>().ok().map(|f| f as i64),
        _ => None,
    }
}

pub fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.to_string()),
        Value::Bytes(b) => String::from_utf8(b.to_vec()).ok(),
        Value::Integer(i) => Some(i.to_string()),
        _ => None,
    }
}

fn bytes(value: Value) -> Option<Vec<u8>> {
    match value {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Bytes(b) => Some(b.to_vec()),
        _ => None,
    }
}

/// One entry `[id, [field, value, …]]` (nil for an entry deleted while pending).
pub fn entry(value: Value) -> Option<Entry> {
    let Value::Array(mut parts) = value else {
        return None;
    };
    if parts.len() != 2 {
        return None;
    }
    let fields = parts.pop()?;
    let id = text(&parts.pop()?)?;
    let Value::Array(fields) = fields else {
        return None;
    };
    let key = fields.chunks(2).find_map(|pair| match pair {
        [name, value] if text(name).as_deref() == Some(schema::ENTRY_KEY) => text(value),
        _ => None,
    })?;
    Some(Entry { id, key })
}

/// Entries of an `XREADGROUP` reply (nil when the wait timed out).
pub fn read_entries(reply: Value) -> Result<Vec<Entry>> {
    let streams = match reply {
        Value::Null => return Ok(Vec::new()),
        Value::Array(streams) => streams,
        Value::Map(map) => map.inner().into_values().collect(),
        other => return Err(malformed(&format!("XREADGROUP returned {:?}", other.kind()))),
    };
    let mut entries = Vec::new();
    for stream in streams {
        let items = match stream {
            Value::Array(mut pair) if pair.len() == 2 => pair.pop().unwrap_or(Value::Null),
            other => other,
        };
        if let Value::Array(items) = items {
            entries.extend(items.into_iter().filter_map(entry));
        }
    }
    Ok(entries)
}

/// Dead letters from an `XREVRANGE` of the dead-letter stream (fields `k f a e t`, see
/// `complete.lua`); malformed entries are skipped.
pub fn dead_letters(reply: Value) -> Vec<DeadLetter> {
    let Value::Array(entries) = reply else {
        return Vec::new();
    };
    entries
        .into_iter()
        .filter_map(|entry| {
            let Value::Array(mut parts) = entry else {
                return None;
            };
            let Value::Array(fields) = parts.pop()? else {
                return None;
            };
            let id = parts.pop().and_then(|id| id.as_string())?;
            let mut letter = DeadLetter {
                id,
                key: String::new(),
                task: String::new(),
                args: Vec::new(),
                args_size: 0,
                error: StoredError {
                    message: String::new(),
                    type_name: String::new(),
                },
                at_ms: 0,
            };
            let mut fields = fields.into_iter();
            while let (Some(name), Some(value)) = (fields.next(), fields.next()) {
                match text(&name).as_deref() {
                    Some(dead::KEY) => letter.key = text(&value)?,
                    Some(dead::TASK) => letter.task = text(&value).unwrap_or_default(),
                    Some(dead::ARGS) => letter.args = bytes(value).unwrap_or_default(),
                    Some(dead::ARGS_SIZE) => {
                        letter.args_size = integer(&value).and_then(|n| u64::try_from(n).ok()).unwrap_or(0)
                    }
                    Some(dead::ERROR) => letter.error.message = text(&value).unwrap_or_default(),
                    Some(dead::ERROR_TYPE) => letter.error.type_name = text(&value).unwrap_or_default(),
                    Some(dead::AT) => letter.at_ms = integer(&value).unwrap_or(0),
                    _ => {}
                }
            }
            if letter.args_size == 0 {
                // Written before sizes were kept.
                letter.args_size = letter.args.len() as u64;
            }
            Some(letter)
        })
        .collect()
}

/// A started delivery whose record could not be read (a field missing or of the wrong type:
/// written by hand or by a foreign client). It is dead-lettered at once rather than left to
/// be redelivered until the delivery limit.
#[derive(Debug)]
pub struct Unreadable {
    pub id: String,
    pub key: String,
    pub reason: String,
}

/// A delivery from one row of the start script's reply:
/// `[id, key, task, args, attempt, due, generation]`. `Err(None)` when not even the entry id
/// and key can be read.
pub fn claimed(row: Value, redelivered: bool) -> std::result::Result<Delivery, Option<Unreadable>> {
    let Value::Array(fields) = row else {
        return Err(None);
    };
    let mut fields = fields.into_iter();
    let (Some(id), Some(key)) = (
        fields.next().as_ref().and_then(text),
        fields.next().as_ref().and_then(text),
    ) else {
        return Err(None);
    };
    let unreadable = |reason: &str| {
        Err(Some(Unreadable {
            id: id.clone(),
            key: key.clone(),
            reason: reason.to_string(),
        }))
    };
    let Some(task) = fields.next().as_ref().and_then(text) else {
        return unreadable("it has no task name");
    };
    let Some(args) = fields.next().and_then(bytes) else {
        return unreadable("it has no argument map");
    };
    let Some(attempt) = fields
        .next()
        .as_ref()
        .and_then(integer)
        .and_then(|a| u32::try_from(a).ok())
    else {
        return unreadable("its attempt is not a number");
    };
    let Some(when_ms) = fields.next().as_ref().and_then(integer) else {
        return unreadable("its due time is not a number");
    };
    let generation = fields
        .next()
        .as_ref()
        .and_then(integer)
        .and_then(|g| u64::try_from(g).ok())
        .unwrap_or(0);
    Ok(Delivery {
        id,
        key,
        generation,
        task,
        args,
        attempt,
        when_ms,
        redelivered,
    })
}

/// An execution record from an `HGETALL`-style flat field list (empty: no record).
pub fn record(key: &str, reply: Value) -> Result<Option<ExecutionInfo>> {
    let pairs: Vec<(Value, Value)> = match reply {
        Value::Null => return Ok(None),
        Value::Array(flat) => {
            let mut flat = flat.into_iter();
            let mut pairs = Vec::new();
            while let (Some(name), Some(value)) = (flat.next(), flat.next()) {
                pairs.push((name, value));
            }
            pairs
        }
        Value::Map(map) => map
            .inner()
            .into_iter()
            .map(|(name, value)| (Value::String(name.as_str().unwrap_or_default().into()), value))
            .collect(),
        other => return Err(malformed(&format!("a record was {:?}", other.kind()))),
    };
    if pairs.is_empty() {
        return Ok(None);
    }
    let mut state = None;
    let mut info = ExecutionInfo {
        key: key.to_string(),
        task: String::new(),
        state: ExecutionState::Queued,
        when: from_ms(0),
        attempt: 1,
        worker: None,
        started_at: None,
        completed_at: None,
        error: None,
        result: None,
        args: Vec::new(),
        progress: None,
    };
    let mut message = None;
    let mut type_name = None;
    let (mut done, mut total, mut note) = (None, None, None);
    for (name, value) in pairs {
        match text(&name).as_deref() {
            Some(record::STATE) => {
                state = integer(&value)
                    .and_then(|s| u8::try_from(s).ok())
                    .and_then(ExecutionState::from_code)
            }
            Some(record::TASK) => info.task = text(&value).unwrap_or_default(),
            Some(record::DUE) => info.when = from_ms(integer(&value).unwrap_or(0)),
            Some(record::ATTEMPT) => {
                info.attempt = integer(&value).and_then(|n| u32::try_from(n).ok()).unwrap_or(1)
            }
            Some(record::WORKER) => info.worker = text(&value),
            Some(record::STARTED) => info.started_at = integer(&value).map(from_ms),
            Some(record::COMPLETED) => info.completed_at = integer(&value).map(from_ms),
            Some(record::RESULT) => info.result = bytes(value),
            Some(record::ARGS) => info.args = bytes(value).unwrap_or_default(),
            Some(record::ERROR) => message = text(&value),
            Some(record::ERROR_TYPE) => type_name = text(&value),
            Some(record::PROGRESS_CURRENT) => done = count(&value),
            Some(record::PROGRESS_TOTAL) => total = count(&value),
            Some(record::PROGRESS_MESSAGE) => note = text(&value),
            _ => {}
        }
    }
    info.progress = done.map(|current| ProgressInfo::new(current, total, note));
    let Some(state) = state else {
        // A record without a state is a leftover of a watch on an expired key.
        return Ok(None);
    };
    info.state = state;
    if let Some(message) = message {
        info.error = Some(StoredError {
            message,
            type_name: type_name.unwrap_or_default(),
        });
    }
    Ok(Some(info))
}

/// A count of units of progress, stored as text (a Lua number would lose precision).
fn count(value: &Value) -> Option<u64> {
    match value {
        Value::Integer(i) => u64::try_from(*i).ok(),
        other => text(other)?.parse().ok(),
    }
}

/// An event published by a script in MessagePack: `[key, state, result?, message?, type?]`
/// for a change of state, `[key, PROGRESS_EVENT, current, total?, message?]` for progress.
pub fn event(payload: &[u8]) -> Result<Event> {
    let value = codec::decode_dynamic(payload)?;
    let items = value
        .as_array()
        .ok_or_else(|| malformed("an event is not an array"))?;
    let key = items
        .first()
        .and_then(|k| {
            k.as_str()
                .map(str::to_string)
                .or_else(|| k.as_slice().map(|b| String::from_utf8_lossy(b).into_owned()))
        })
        .ok_or_else(|| malformed("an event has no key"))?;
    let code = items
        .get(1)
        .and_then(|s| s.as_u64())
        .and_then(|s| u8::try_from(s).ok())
        .ok_or_else(|| malformed("an event has no state"))?;
    let blob = |index: usize| -> Option<Vec<u8>> {
        match items.get(index)? {
            rmpv::Value::String(s) => Some(s.as_bytes().to_vec()),
            rmpv::Value::Binary(b) => Some(b.clone()),
            _ => None,
        }
    };
    let string = |index: usize| blob(index).map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
    if code == schema::PROGRESS_EVENT {
        let units = |index: usize| match items.get(index)? {
            rmpv::Value::Integer(n) => n.as_u64(),
            _ => string(index)?.parse().ok(),
        };
        let current = units(2).ok_or_else(|| malformed("a progress event has no count"))?;
        let progress = ProgressInfo::new(current, units(3), string(4));
        return Ok(Event::Progress(ProgressChange {
            key,
            current: progress.current,
            total: progress.total,
            message: progress.message,
        }));
    }
    let state = ExecutionState::from_code(code).ok_or_else(|| malformed("an event has no state"))?;
    let error = string(3).map(|message| StoredError {
        message,
        type_name: string(4).unwrap_or_default(),
    });
    Ok(Event::State(StateChange {
        key,
        state,
        result: blob(2),
        error,
    }))
}

/// The strike rules and their version from the `HGETALL` reply of the strikes hash. A rule
/// that cannot be read (written by a newer docket, say) is left out with a warning.
pub fn strikes(reply: Value) -> Result<(u64, StrikeList)> {
    let pairs: Vec<(Vec<u8>, Value)> = match reply {
        Value::Null => Vec::new(),
        Value::Array(flat) => {
            let mut flat = flat.into_iter();
            let mut pairs = Vec::new();
            while let (Some(name), Some(value)) = (flat.next(), flat.next()) {
                pairs.push((name.as_bytes().unwrap_or_default().to_vec(), value));
            }
            pairs
        }
        Value::Map(map) => map
            .inner()
            .into_iter()
            .map(|(name, value)| (name.as_bytes().to_vec(), value))
            .collect(),
        other => return Err(malformed(&format!("the strike rules were {:?}", other.kind()))),
    };
    let mut pairs = pairs;
    // A stable order, the canonical one (the hash's is not).
    pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut version = 0;
    let mut rules = Vec::new();
    for (name, value) in pairs {
        if name == schema::STRIKES_VERSION.as_bytes() {
            version = value.as_u64().unwrap_or(0);
            continue;
        }
        match Strike::decode(&name) {
            Ok(rule) => rules.push(rule),
            Err(error) => tracing::warn!(%error, "ignoring a strike rule this version of docket cannot read"),
        }
    }
    Ok((version, StrikeList::new(rules)))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rmpv::Value as Msgpack;

    use super::*;
    use crate::codec::{adversarial, MAX_DEPTH, MAX_PAYLOAD};

    fn encoded(value: &Msgpack) -> Vec<u8> {
        let mut bytes = Vec::new();
        rmpv::encode::write_value(&mut bytes, value).expect("writing to a Vec cannot fail");
        bytes
    }

    /// An event fails as a decode error (limits, malformed MessagePack) or as an unexpected
    /// reply (well-formed but not an event), never otherwise.
    fn assert_fails_cleanly(result: Result<Event>) {
        if let Err(error) = result {
            assert!(
                matches!(error, Error::Decode { .. } | Error::Backend(_)),
                "unexpected error {error:?}"
            );
        }
    }

    #[test]
    fn a_published_event_is_parsed() {
        let payload = encoded(&Msgpack::Array(vec![
            "k-1".into(),
            5.into(),
            Msgpack::Binary(vec![0xc0]),
            "boom".into(),
            "app::Error".into(),
        ]));
        let Event::State(change) = event(&payload).unwrap() else {
            panic!("a change of state");
        };
        assert_eq!(change.key, "k-1");
        assert_eq!(change.state, ExecutionState::Failed);
        assert_eq!(change.result, Some(vec![0xc0]));
        let error = change.error.expect("an error");
        assert_eq!(
            (error.message.as_str(), error.type_name.as_str()),
            ("boom", "app::Error")
        );
    }

    #[test]
    fn a_published_progress_event_is_parsed() {
        let payload = encoded(&Msgpack::Array(vec![
            "k-1".into(),
            u64::from(schema::PROGRESS_EVENT).into(),
            u64::MAX.to_string().into(),
            "10".into(),
            false.into(),
        ]));
        let Event::Progress(change) = event(&payload).unwrap() else {
            panic!("a progress event");
        };
        assert_eq!(change.key, "k-1");
        assert_eq!(change.current, u64::MAX, "counts keep their precision");
        assert_eq!(change.total, Some(10));
        assert_eq!(change.message, None);
        let no_count = encoded(&Msgpack::Array(vec!["k-1".into(), 0.into(), false.into()]));
        assert!(matches!(event(&no_count), Err(Error::Backend(_))));
    }

    #[test]
    fn a_record_with_progress_carries_it() {
        let field = |name: &str, value: &str| [Value::from(name), Value::from(value)];
        let flat: Vec<Value> = [
            field(record::STATE, "3"),
            field(record::PROGRESS_CURRENT, "7"),
            field(record::PROGRESS_MESSAGE, "copying"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let info = record("k", Value::Array(flat)).unwrap().unwrap();
        assert_eq!(
            info.progress,
            Some(ProgressInfo::new(7, None, Some("copying".into())))
        );
        let without = record("k", Value::Array(field(record::STATE, "3").to_vec()))
            .unwrap()
            .unwrap();
        assert_eq!(without.progress, None);
    }

    #[test]
    fn events_breaking_a_decoding_limit_are_decode_errors() {
        let mut deep = vec![0x91; MAX_PAYLOAD - 1];
        deep.push(0x90);
        let mut huge = vec![0xdd, 0xff, 0xff, 0xff, 0xff];
        huge.extend_from_slice(&[0xa1, b'k', 0x04]);
        let mut over = vec![0xc6];
        over.extend_from_slice(&(MAX_PAYLOAD as u32).to_be_bytes());
        over.resize(MAX_PAYLOAD + 5, 0);
        for (payload, limit) in [
            (deep, format!("nested deeper than {MAX_DEPTH} levels")),
            (huge, "more than 1048576 values".to_string()),
            (over, format!("exceeds the limit of {MAX_PAYLOAD}")),
        ] {
            match event(&payload) {
                Err(Error::Decode { reason, .. }) => assert!(reason.contains(&limit), "{reason}"),
                other => panic!("expected a decode error naming `{limit}`, got {other:?}"),
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_bytes_are_an_event_or_an_error(
            bytes in prop::collection::vec(any::<u8>(), 0..256),
        ) {
            assert_fails_cleanly(event(&bytes));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn adversarial_payloads_are_an_event_or_an_error(bytes in adversarial::payload()) {
            assert_fails_cleanly(event(&bytes));
        }

        #[test]
        fn events_with_adversarial_fields_are_an_event_or_an_error(
            field in adversarial::payload(),
            at in 0..5usize,
        ) {
            // A well-formed event array whose field `at` is replaced by hostile bytes.
            let mut fields: Vec<Vec<u8>> = ["k-1".into(), 4.into(), Msgpack::Nil, Msgpack::Nil, Msgpack::Nil]
                .iter()
                .map(encoded)
                .collect();
            fields[at] = field;
            let mut payload = vec![0x95];
            payload.extend(fields.concat());
            assert_fails_cleanly(event(&payload));
        }
    }
}
