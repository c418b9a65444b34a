//! All MessagePack encoding of arguments, results and events.
//!
//! Arguments are maps from parameter name to value, so tools can read them without knowing
//! the task's Rust types. Decoding never runs code, never panics and is bounded whatever the
//! bytes: every payload is checked against these limits before anything is built from it, and
//! one that breaks a limit is an [`Error::Decode`] whose reason names the limit.
//!
//! - [`MAX_PAYLOAD`] (16 MiB): the largest payload, in bytes.
//! - [`MAX_DEPTH`] (64): the deepest nesting of arrays and maps, so that neither the dynamic
//!   decoder nor a recursive task type (a tree of `Vec<Node>`, a recursive enum, an
//!   `rmpv::Value` field) can exhaust the stack.
//! - [`MAX_VALUES`] (1,048,576): the most values in one payload, counting the payload itself,
//!   every array element and every map key and value. A decoded [`rmpv::Value`] therefore
//!   takes at most a few tens of MiB besides the payload's own strings and binaries, however
//!   the bytes are arranged; a typed decoder builds at most that many of the task's values
//!   (but note that a binary read into a sequence type, such as `Vec<u64>`, gives one element
//!   per byte).
//! - Every length header must fit in the bytes that follow it (each element takes at least
//!   one byte), so a header that claims 2^32 elements or bytes fails before anything is
//!   allocated for them, and nothing may follow the payload's one value.
//!
//! The encoders refuse what the decoders would refuse (as [`Error::Encode`]), so arguments
//! that could be scheduled can always be decoded by the worker. A large byte buffer is best
//! passed as `serde_bytes::ByteBuf` (one value) rather than `Vec<u8>` (one value per byte).

use rmp::Marker;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::Error;

/// The largest argument map, result or event accepted, in bytes (16 MiB): larger payloads are
/// refused by every encoder and decoder.
pub const MAX_PAYLOAD: usize = 16 * 1024 * 1024;

/// The deepest nesting of arrays and maps accepted (64 levels; a task's argument map is the
/// first level): deeper payloads are refused by every encoder and decoder.
pub const MAX_DEPTH: usize = 64;

/// The most MessagePack values accepted in one payload (1,048,576), counting the payload
/// itself, every array element and every map key and value: payloads with more are refused
/// by every encoder and decoder.
pub const MAX_VALUES: usize = 1 << 20;

/// The most characters of a typed decoder's own message kept in an [`Error::Decode`].
const MAX_REASON: usize = 200;

/// `rmp_serde`'s own depth limit, a backstop behind [`check`]: it counts an extension as a
/// level and refuses when it reaches its limit, hence two more than [`MAX_DEPTH`].
const SERDE_MAX_DEPTH: usize = MAX_DEPTH + 2;

/// Encodes a task's arguments (a struct of named fields) as a MessagePack map.
pub fn encode_args<A: Serialize>(args: &A) -> Result<Vec<u8>, Error> {
    encode("task arguments", args)
}

/// Decodes a task's argument map.
pub fn decode_args<A: DeserializeOwned>(bytes: &[u8]) -> Result<A, Error> {
    decode("task arguments", bytes)
}

/// Encodes a task's result.
pub fn encode_value<T: Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    encode("task result", value)
}

/// Decodes a task's result.
pub fn decode_value<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    decode("task result", bytes)
}

/// Decodes any MessagePack payload into a dynamic value (for logs, strikes and the CLI).
pub fn decode_dynamic(bytes: &[u8]) -> Result<rmpv::Value, Error> {
    // Checked first, so that a refused payload costs no memory at all.
    check(bytes)
        .and_then(|()| read::<Dynamic>(bytes))
        .map_err(|reason| Error::Decode {
            what: "payload",
            reason,
        })
}

fn encode<T: Serialize>(what: &'static str, value: &T) -> Result<Vec<u8>, Error> {
    let bytes = rmp_serde::to_vec_named(value).map_err(|e| Error::Encode {
        what,
        reason: e.to_string(),
    })?;
    check(&bytes).map_err(|reason| Error::Encode { what, reason })?;
    Ok(bytes)
}

fn decode<T: DeserializeOwned>(what: &'static str, bytes: &[u8]) -> Result<T, Error> {
    check(bytes).map_err(|reason| Error::Decode { what, reason })?;
    let mut deserializer = rmp_serde::Deserializer::from_read_ref(bytes);
    deserializer.set_max_depth(SERDE_MAX_DEPTH);
    T::deserialize(&mut deserializer).map_err(|e| Error::Decode {
        what,
        reason: shorten(e.to_string()),
    })
}

/// Cuts a decoder's message to [`MAX_REASON`] characters: serde quotes offending input (an
/// unknown variant, an unexpected string), which can be megabytes long.
fn shorten(mut reason: String) -> String {
    if let Some((cut, _)) = reason.char_indices().nth(MAX_REASON) {
        reason.truncate(cut);
        reason.push('…');
    }
    reason
}

/// Checks `bytes` against every limit without building anything.
fn check(bytes: &[u8]) -> Result<(), String> {
    read::<Check>(bytes)
}

/// Reads the one value that `bytes` must hold with `B`, enforcing every limit.
fn read<B: Build>(bytes: &[u8]) -> Result<B::Out, String> {
    if bytes.len() > MAX_PAYLOAD {
        return Err(format!(
            "{} bytes exceeds the limit of {MAX_PAYLOAD}",
            bytes.len()
        ));
    }
    let mut reader = Reader {
        rest: bytes,
        values: 1,
    };
    let value = reader.value::<B>(0)?;
    if !reader.rest.is_empty() {
        return Err(format!("{} trailing bytes", reader.rest.len()));
    }
    Ok(value)
}

/// What [`Reader`] makes of the values it reads.
trait Build {
    /// One decoded value.
    type Out;
    /// A scalar, string, binary or extension value, given with its marker and length header.
    fn leaf(encoded: &[u8]) -> Result<Self::Out, String>;
    /// An array of decoded elements.
    fn array(items: Vec<Self::Out>) -> Self::Out;
    /// A map of decoded keys and values.
    fn map(entries: Vec<(Self::Out, Self::Out)>) -> Self::Out;
}

/// Builds nothing: only the limits are checked (vectors of `()` never allocate).
struct Check;

impl Build for Check {
    type Out = ();

    fn leaf(_: &[u8]) -> Result<(), String> {
        Ok(())
    }

    fn array(_: Vec<()>) {}

    fn map(_: Vec<((), ())>) {}
}

/// Builds an [`rmpv::Value`], exactly as `rmpv::decode::read_value` would.
struct Dynamic;

impl Build for Dynamic {
    type Out = rmpv::Value;

    fn leaf(mut encoded: &[u8]) -> Result<rmpv::Value, String> {
        // A leaf's extent is already checked, so this reads at most `encoded.len()` bytes.
        rmpv::decode::read_value(&mut encoded).map_err(|e| e.to_string())
    }

    fn array(items: Vec<rmpv::Value>) -> rmpv::Value {
        rmpv::Value::Array(items)
    }

    fn map(entries: Vec<(rmpv::Value, rmpv::Value)>) -> rmpv::Value {
        rmpv::Value::Map(entries)
    }
}

/// A bounded MessagePack reader over a byte slice. Each container is checked (depth, value
/// count, fit in the remaining bytes) before any of its elements is read or allocated, so the
/// vectors it preallocates hold at most [`MAX_VALUES`] elements in all.
struct Reader<'a> {
    rest: &'a [u8],
    values: usize,
}

impl<'a> Reader<'a> {
    /// Reads one value nested in `depth` arrays or maps.
    fn value<B: Build>(&mut self, depth: usize) -> Result<B::Out, String> {
        let start = self.rest;
        let Some((&first, rest)) = self.rest.split_first() else {
            return Err("truncated: a value is missing".to_string());
        };
        self.rest = rest;
        let data = match Marker::from_u8(first) {
            Marker::FixArray(len) => return self.array::<B>(usize::from(len), depth),
            Marker::Array16 => {
                let len = self.length(2)?;
                return self.array::<B>(len, depth);
            }
            Marker::Array32 => {
                let len = self.length(4)?;
                return self.array::<B>(len, depth);
            }
            Marker::FixMap(len) => return self.map::<B>(usize::from(len), depth),
            Marker::Map16 => {
                let len = self.length(2)?;
                return self.map::<B>(len, depth);
            }
            Marker::Map32 => {
                let len = self.length(4)?;
                return self.map::<B>(len, depth);
            }
            Marker::Null | Marker::True | Marker::False | Marker::FixPos(_) | Marker::FixNeg(_) => 0,
            Marker::U8 | Marker::I8 => 1,
            Marker::U16 | Marker::I16 => 2,
            Marker::U32 | Marker::I32 | Marker::F32 => 4,
            Marker::U64 | Marker::I64 | Marker::F64 => 8,
            Marker::FixStr(len) => usize::from(len),
            Marker::Str8 | Marker::Bin8 => self.length(1)?,
            Marker::Str16 | Marker::Bin16 => self.length(2)?,
            Marker::Str32 | Marker::Bin32 => self.length(4)?,
            // An extension is a type byte and then its data.
            Marker::FixExt1 => 1 + 1,
            Marker::FixExt2 => 1 + 2,
            Marker::FixExt4 => 1 + 4,
            Marker::FixExt8 => 1 + 8,
            Marker::FixExt16 => 1 + 16,
            Marker::Ext8 => self.length(1)?.saturating_add(1),
            Marker::Ext16 => self.length(2)?.saturating_add(1),
            Marker::Ext32 => self.length(4)?.saturating_add(1),
            Marker::Reserved => return Err(format!("reserved marker 0x{first:02x}")),
        };
        self.take(data, "a value's data")?;
        B::leaf(&start[..start.len() - self.rest.len()])
    }

    fn array<B: Build>(&mut self, len: usize, depth: usize) -> Result<B::Out, String> {
        self.enter(depth, len)?;
        let mut items = Vec::with_capacity(len);
        for _ in 0..len {
            items.push(self.value::<B>(depth + 1)?);
        }
        Ok(B::array(items))
    }

    fn map<B: Build>(&mut self, len: usize, depth: usize) -> Result<B::Out, String> {
        self.enter(depth, len.saturating_mul(2))?;
        let mut entries = Vec::with_capacity(len);
        for _ in 0..len {
            let key = self.value::<B>(depth + 1)?;
            let value = self.value::<B>(depth + 1)?;
            entries.push((key, value));
        }
        Ok(B::map(entries))
    }

    /// Admits a container nested in `depth` others that holds `values` values.
    fn enter(&mut self, depth: usize, values: usize) -> Result<(), String> {
        if depth >= MAX_DEPTH {
            return Err(format!("nested deeper than {MAX_DEPTH} levels"));
        }
        self.values = self.values.saturating_add(values);
        if self.values > MAX_VALUES {
            return Err(format!("more than {MAX_VALUES} values"));
        }
        if values > self.rest.len() {
            return Err(format!(
                "truncated: {values} values are announced but only {} bytes follow",
                self.rest.len()
            ));
        }
        Ok(())
    }

    /// A big-endian length of `width` bytes.
    fn length(&mut self, width: usize) -> Result<usize, String> {
        let bytes = self.take(width, "a length")?;
        Ok(bytes.iter().fold(0, |len, byte| len << 8 | usize::from(*byte)))
    }

    fn take(&mut self, len: usize, what: &str) -> Result<&'a [u8], String> {
        if len > self.rest.len() {
            return Err(format!(
                "truncated: {what} needs {len} bytes but only {} follow",
                self.rest.len()
            ));
        }
        let (taken, rest) = self.rest.split_at(len);
        self.rest = rest;
        Ok(taken)
    }
}

/// Generators of hostile MessagePack for the property tests of every decoder.
#[cfg(test)]
pub(crate) mod adversarial {
    use proptest::prelude::*;

    use super::{MAX_DEPTH, MAX_PAYLOAD, MAX_VALUES};

    /// Headers that claim an array, map, string, binary or extension of `len` (a big-endian
    /// length of the header's width, so huge claims keep their high bytes).
    fn header(marker: u8, len: u32) -> Vec<u8> {
        let mut bytes = vec![marker];
        match marker {
            0xdc | 0xde | 0xc5 | 0xc8 | 0xda => bytes.extend_from_slice(&(len as u16).to_be_bytes()),
            0xdd | 0xdf | 0xc6 | 0xc9 | 0xdb => bytes.extend_from_slice(&len.to_be_bytes()),
            _ => bytes.push(len as u8),
        }
        if matches!(marker, 0xc7..=0xc9) {
            bytes.push(1); // the extension's type
        }
        bytes
    }

    /// A length header of any kind with a huge (or any) claimed length and a short body.
    fn huge_header() -> impl Strategy<Value = Vec<u8>> {
        let markers = vec![
            0xdc, 0xdd, 0xde, 0xdf, 0xd9, 0xda, 0xdb, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9,
        ];
        let lengths = prop_oneof![
            Just(u32::MAX),
            Just(u32::MAX / 2),
            Just(MAX_VALUES as u32),
            Just(MAX_PAYLOAD as u32),
            any::<u32>(),
        ];
        (
            prop::sample::select(markers),
            lengths,
            prop::collection::vec(any::<u8>(), 0..16),
        )
            .prop_map(|(marker, len, body)| {
                let mut bytes = header(marker, len);
                bytes.extend(body);
                bytes
            })
    }

    /// Arrays or maps nested around each other, near and past [`MAX_DEPTH`], closed by a
    /// leaf or left open.
    fn nested() -> impl Strategy<Value = Vec<u8>> {
        let depths = prop_oneof![MAX_DEPTH - 2..MAX_DEPTH + 3, 0..4 * MAX_DEPTH, Just(100_000),];
        (depths, any::<bool>(), any::<bool>(), 0..3u8).prop_map(|(depth, maps, wide, close)| {
            let level: &[u8] = match (maps, wide) {
                (false, false) => &[0x91],
                (false, true) => &[0xdd, 0, 0, 0, 1],
                (true, false) => &[0x81, 0xc0],
                (true, true) => &[0xdf, 0, 0, 0, 1, 0xa1, b'k'],
            };
            let mut bytes = level.repeat(depth);
            match close {
                0 => bytes.push(0x90),
                1 => bytes.push(0x80),
                _ => {}
            }
            bytes
        })
    }

    /// Well-formed containers with a value count near [`MAX_VALUES`], or a binary near
    /// [`MAX_PAYLOAD`] bytes: valid or just past a limit, possibly cut short.
    fn near_limits() -> impl Strategy<Value = Vec<u8>> {
        // Arrays and maps holding as many values as allowed, or one more (the container is a
        // value too, and a map entry is two).
        let elements = prop::sample::select(vec![MAX_VALUES - 1, MAX_VALUES]);
        let pairs = prop::sample::select(vec![(MAX_VALUES - 1) / 2, MAX_VALUES / 2]);
        let element = prop::sample::select(vec![0xc0u8, 0x90, 0x80]);
        prop_oneof![
            (elements, element).prop_map(|(len, element)| {
                let mut bytes = header(0xdd, len as u32);
                bytes.resize(bytes.len() + len, element);
                bytes
            }),
            pairs.prop_map(|pairs| {
                let mut bytes = header(0xdf, pairs as u32);
                bytes.resize(bytes.len() + 2 * pairs, 0xc0);
                bytes
            }),
            (0..3usize).prop_map(|k| {
                // A bin32 header is 5 bytes: payloads of MAX_PAYLOAD - 1 ..= MAX_PAYLOAD + 1.
                let len = MAX_PAYLOAD - 6 + k;
                let mut bytes = header(0xc6, len as u32);
                bytes.resize(bytes.len() + len, 0xab);
                bytes
            }),
        ]
    }

    /// Hostile payloads: huge headers, deep nesting and arbitrary bytes concatenated, or an
    /// input near the limits on its own; either possibly cut at any point.
    pub(crate) fn payload() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            2 => huge_header(),
            2 => nested(),
            1 => prop::collection::vec(any::<u8>(), 0..32),
        ];
        let whole = prop_oneof![
            // Rare: decoding a million values takes a while in a debug build.
            24 => prop::collection::vec(piece, 1..4).prop_map(|pieces| pieces.concat()),
            1 => near_limits(),
        ];
        (whole, any::<prop::sample::Index>(), any::<bool>()).prop_map(|(mut bytes, cut, truncate)| {
            if truncate && !bytes.is_empty() {
                bytes.truncate(cut.index(bytes.len()));
            }
            bytes
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;
    use rmpv::Value;

    use super::*;

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Args {
        order_id: u64,
        customer: String,
    }

    /// A recursive type whose every level is one MessagePack array.
    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Node(Vec<Node>);

    /// A recursive enum: `Neg` levels are single-entry maps, which `rmp_serde` does not count
    /// towards its own depth limit.
    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    enum Expr {
        Lit(u8),
        Neg(Box<Expr>),
    }

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Holder {
        value: Value,
    }

    fn reason(result: Result<impl std::fmt::Debug, Error>) -> String {
        match result {
            Err(Error::Decode { reason, .. }) | Err(Error::Encode { reason, .. }) => reason,
            other => panic!("expected a decode or encode error, got {other:?}"),
        }
    }

    /// A decoder's verdict: `Ok(())` or the reason of its `Error::Decode`.
    fn run<T>(result: Result<T, Error>) -> Result<(), String> {
        match result {
            Ok(_) => Ok(()),
            Err(Error::Decode { reason, .. }) => Err(reason),
            Err(other) => panic!("decoders fail with Error::Decode only, got {other}"),
        }
    }

    /// Every decoder in this module, on one payload, with types of every shape.
    fn all_decoders(bytes: &[u8]) -> Vec<(&'static str, Result<(), String>)> {
        vec![
            ("decode_dynamic", run(decode_dynamic(bytes))),
            ("decode_args::<Args>", run(decode_args::<Args>(bytes))),
            ("decode_args::<Node>", run(decode_args::<Node>(bytes))),
            ("decode_args::<Holder>", run(decode_args::<Holder>(bytes))),
            ("decode_value::<Value>", run(decode_value::<Value>(bytes))),
            ("decode_value::<Expr>", run(decode_value::<Expr>(bytes))),
            (
                "decode_value::<Vec<String>>",
                run(decode_value::<Vec<String>>(bytes)),
            ),
            ("decode_value::<String>", run(decode_value::<String>(bytes))),
            (
                "decode_value::<HashMap<String, u64>>",
                run(decode_value::<HashMap<String, u64>>(bytes)),
            ),
        ]
    }

    fn assert_all_refuse(bytes: &[u8], expected: &str) {
        for (decoder, result) in all_decoders(bytes) {
            match result {
                Err(reason) => assert!(
                    reason.contains(expected),
                    "{decoder}: expected a reason containing {expected:?}, got {reason:?}"
                ),
                Ok(()) => panic!("{decoder} accepted a payload that breaks `{expected}`"),
            }
        }
    }

    fn nested_arrays(depth: usize) -> Vec<u8> {
        let mut bytes = vec![0x91; depth.saturating_sub(1)];
        bytes.push(0x90);
        bytes
    }

    fn depth_of(value: &Value) -> usize {
        match value {
            Value::Array(items) => 1 + items.iter().map(depth_of).max().unwrap_or(0),
            Value::Map(entries) => {
                1 + entries
                    .iter()
                    .map(|(k, v)| depth_of(k).max(depth_of(v)))
                    .max()
                    .unwrap_or(0)
            }
            _ => 0,
        }
    }

    fn count_of(value: &Value) -> usize {
        match value {
            Value::Array(items) => 1 + items.iter().map(count_of).sum::<usize>(),
            Value::Map(entries) => {
                1 + entries
                    .iter()
                    .map(|(k, v)| count_of(k) + count_of(v))
                    .sum::<usize>()
            }
            _ => 1,
        }
    }

    fn encoded(value: &Value) -> Vec<u8> {
        let mut bytes = Vec::new();
        rmpv::encode::write_value(&mut bytes, value).expect("writing to a Vec cannot fail");
        bytes
    }

    #[test]
    fn arguments_are_a_map_by_parameter_name() {
        let bytes = encode_args(&Args {
            order_id: 42,
            customer: "c-7".into(),
        })
        .unwrap();
        let value = decode_dynamic(&bytes).unwrap();
        let map = value.as_map().expect("a map");
        assert_eq!(map[0].0.as_str(), Some("order_id"));
        assert_eq!(map[0].1.as_u64(), Some(42));
        assert_eq!(map[1].0.as_str(), Some("customer"));
        let back: Args = decode_args(&bytes).unwrap();
        assert_eq!(back.order_id, 42);
    }

    #[test]
    fn malformed_payloads_are_errors_not_panics() {
        assert!(decode_args::<Args>(&[0xc1]).is_err());
        assert!(decode_args::<Args>(&[0x82, 0xa1]).is_err());
        assert!(decode_dynamic(&[0xdd, 0xff, 0xff, 0xff, 0xff]).is_err());
        let wrong = encode_args(&("x", 1)).unwrap();
        assert!(decode_args::<Args>(&wrong).is_err());
    }

    #[test]
    fn every_decoder_refuses_payloads_over_max_payload() {
        let mut largest = vec![0xc6];
        largest.extend_from_slice(&(MAX_PAYLOAD as u32 - 5).to_be_bytes());
        largest.resize(MAX_PAYLOAD, 0xab);
        assert_eq!(
            decode_dynamic(&largest).unwrap().as_slice().map(<[u8]>::len),
            Some(MAX_PAYLOAD - 5)
        );
        assert!(decode_value::<Value>(&largest).unwrap().is_bin());

        let mut over = largest;
        over.push(0xc0);
        assert_all_refuse(&over, "16777217 bytes exceeds the limit of 16777216");
    }

    #[test]
    fn encoders_refuse_payloads_over_max_payload() {
        let big = Value::Binary(vec![0; MAX_PAYLOAD]);
        let error = reason(encode_value(&big));
        assert!(error.contains("exceeds the limit of 16777216"), "{error}");
        assert!(matches!(
            encode_args(&Holder { value: big }),
            Err(Error::Encode { .. })
        ));
    }

    #[test]
    fn nesting_up_to_max_depth_decodes_and_deeper_is_refused_by_every_decoder() {
        let deepest = nested_arrays(MAX_DEPTH);
        assert_eq!(depth_of(&decode_dynamic(&deepest).unwrap()), MAX_DEPTH);
        assert_eq!(depth_of(&decode_value::<Value>(&deepest).unwrap()), MAX_DEPTH);
        assert!(decode_args::<Node>(&deepest).is_ok());
        // An extension at the deepest level is a leaf, not a level.
        let mut with_ext = vec![0x91; MAX_DEPTH];
        with_ext.extend_from_slice(&[0xd4, 1, 0]);
        assert!(decode_dynamic(&with_ext).is_ok());
        assert!(decode_value::<Value>(&with_ext).is_ok());

        assert_all_refuse(&nested_arrays(MAX_DEPTH + 1), "nested deeper than 64 levels");
        let mut maps = [0x81, 0xc0].repeat(MAX_DEPTH);
        maps.push(0x80);
        assert_all_refuse(&maps, "nested deeper than 64 levels");
    }

    #[test]
    fn recursive_types_hit_the_depth_limit_not_the_stack() {
        // A million levels would overflow any thread's stack if decoding recursed per level.
        let levels = 1_000_000;
        let node = nested_arrays(levels);
        assert!(reason(decode_args::<Node>(&node)).contains("nested deeper than 64 levels"));

        let mut holder = vec![0x81, 0xa5];
        holder.extend_from_slice(b"value");
        holder.extend(nested_arrays(levels));
        assert!(reason(decode_args::<Holder>(&holder)).contains("nested deeper than 64 levels"));
        assert!(reason(decode_value::<Value>(&node)).contains("nested deeper than 64 levels"));

        let mut expr = [0x81, 0xa3, b'N', b'e', b'g'].repeat(levels);
        expr.extend_from_slice(&[0x81, 0xa3, b'L', b'i', b't', 0x07]);
        assert!(reason(decode_value::<Expr>(&expr)).contains("nested deeper than 64 levels"));
    }

    #[test]
    fn recursive_enums_round_trip_up_to_max_depth_and_deeper_ones_are_not_encoded() {
        let nest = |levels: usize| (1..levels).fold(Expr::Lit(7), |inner, _| Expr::Neg(Box::new(inner)));
        let bytes = encode_value(&nest(MAX_DEPTH)).unwrap();
        assert_eq!(decode_value::<Expr>(&bytes).unwrap(), nest(MAX_DEPTH));
        let error = reason(encode_value(&nest(MAX_DEPTH + 1)));
        assert!(error.contains("nested deeper than 64 levels"), "{error}");
    }

    #[test]
    fn value_count_up_to_max_values_decodes_and_more_is_refused() {
        // An array of MAX_VALUES - 1 nils holds MAX_VALUES values with itself.
        let array = |elements: usize| {
            let mut bytes = vec![0xdd];
            bytes.extend_from_slice(&(elements as u32).to_be_bytes());
            bytes.resize(bytes.len() + elements, 0xc0);
            bytes
        };
        let fullest = array(MAX_VALUES - 1);
        assert_eq!(count_of(&decode_dynamic(&fullest).unwrap()), MAX_VALUES);
        assert_eq!(decode_value::<Vec<()>>(&fullest).unwrap().len(), MAX_VALUES - 1);
        assert_all_refuse(&array(MAX_VALUES), "more than 1048576 values");

        // Counted over the whole payload, not per container.
        let mut split = vec![0x92];
        for _ in 0..2 {
            split.push(0xdd);
            split.extend_from_slice(&(MAX_VALUES as u32 / 2).to_be_bytes());
            split.resize(split.len() + MAX_VALUES / 2, 0xc0);
        }
        assert_all_refuse(&split, "more than 1048576 values");

        // Map keys and values count separately.
        let mut map = vec![0xdf];
        map.extend_from_slice(&(MAX_VALUES as u32 / 2).to_be_bytes());
        map.resize(map.len() + MAX_VALUES, 0xc0);
        assert_all_refuse(&map, "more than 1048576 values");

        let error = reason(encode_value(&vec![(); MAX_VALUES]));
        assert!(error.contains("more than 1048576 values"), "{error}");
    }

    #[test]
    fn huge_length_headers_with_truncated_bodies_are_refused() {
        let claims: [&[u8]; 6] = [
            &[0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0],
            &[0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0],
            &[0xdd, 0x00, 0x0f, 0xff, 0xff, 0xc0],
            &[0xdb, 0xff, 0xff, 0xff, 0xff, b'a'],
            &[0xc6, 0xff, 0xff, 0xff, 0xff, 0x00],
            &[0xc9, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00],
        ];
        for claim in claims {
            let mut verdicts = all_decoders(claim);
            verdicts.push(("decode_value::<Vec<u64>>", run(decode_value::<Vec<u64>>(claim))));
            for (decoder, result) in verdicts {
                let reason = result.expect_err(decoder);
                assert!(
                    reason.starts_with("truncated") || reason.starts_with("more than"),
                    "{decoder} on {claim:x?}: {reason}"
                );
            }
        }
    }

    #[test]
    fn quoted_input_in_a_decoder_message_is_cut_short() {
        let variant = "x".repeat(100_000);
        let bytes = encode_value(&variant).unwrap();
        let error = reason(decode_value::<Expr>(&bytes));
        assert!(error.starts_with("unknown variant `xxx"), "{error}");
        assert_eq!(error.chars().count(), MAX_REASON + 1);
        assert!(error.ends_with('…'));
    }

    #[test]
    fn trailing_bytes_are_refused_by_every_decoder() {
        let mut bytes = encode_args(&Args {
            order_id: 1,
            customer: "c".into(),
        })
        .unwrap();
        bytes.push(0xc0);
        assert_all_refuse(&bytes, "1 trailing bytes");
    }

    /// Any MessagePack value of bounded size, with every kind of leaf.
    fn any_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Nil),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f32>().prop_map(Value::F32),
            any::<f64>().prop_map(Value::F64),
            ".{0,40}".prop_map(Value::from),
            prop::collection::vec(any::<u8>(), 0..300).prop_map(Value::Binary),
            (any::<i8>(), prop::collection::vec(any::<u8>(), 0..20))
                .prop_map(|(ty, data)| Value::Ext(ty, data)),
        ];
        leaf.prop_recursive(8, 256, 10, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..10).prop_map(Value::Array),
                prop::collection::vec((inner.clone(), inner), 0..10).prop_map(Value::Map),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn decoders_return_ok_or_err_on_arbitrary_bytes(
            bytes in prop::collection::vec(any::<u8>(), 0..256),
        ) {
            let verdicts = all_decoders(&bytes);
            // The dynamic decoder accepts exactly what the limit check accepts.
            prop_assert_eq!(verdicts[0].1.is_ok(), check(&bytes).is_ok());
        }

        #[test]
        fn decode_dynamic_reads_valid_values_as_rmpv_does(value in any_value()) {
            let bytes = encoded(&value);
            let decoded = decode_dynamic(&bytes).unwrap();
            let reference = rmpv::decode::read_value(&mut bytes.as_slice()).unwrap();
            // Compared encoded, so that NaN equals itself.
            prop_assert_eq!(encoded(&decoded), encoded(&reference));
            prop_assert_eq!(encoded(&decoded), bytes);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn decoders_stay_within_the_limits_on_adversarial_payloads(
            bytes in adversarial::payload(),
        ) {
            let verdicts = all_decoders(&bytes);
            let accepted = check(&bytes).is_ok();
            for (decoder, verdict) in &verdicts {
                // Whatever breaks a limit is refused by every decoder.
                prop_assert!(accepted || verdict.is_err(), "{} accepted what check refused", decoder);
            }
            if let Ok(value) = decode_dynamic(&bytes) {
                prop_assert!(accepted);
                prop_assert!(depth_of(&value) <= MAX_DEPTH);
                prop_assert!(count_of(&value) <= MAX_VALUES);
            }
        }
    }
}
