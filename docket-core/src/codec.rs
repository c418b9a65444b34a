//! All MessagePack encoding of arguments, results and events.
//!
//! Arguments are maps from parameter name to value, so tools can read them without knowing
//! the task's Rust types. Decoding never runs code and refuses oversized payloads.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::Error;

/// The largest argument map or result accepted, in bytes.
pub const MAX_PAYLOAD: usize = 16 * 1024 * 1024;

/// Encodes a task's arguments (a struct of named fields) as a MessagePack map.
pub fn encode_args<A: Serialize>(args: &A) -> Result<Vec<u8>, Error> {
    let bytes = rmp_serde::to_vec_named(args).map_err(|e| Error::Encode {
        what: "task arguments",
        reason: e.to_string(),
    })?;
    check_size("task arguments", bytes.len())?;
    Ok(bytes)
}

/// Decodes a task's argument map.
pub fn decode_args<A: DeserializeOwned>(bytes: &[u8]) -> Result<A, Error> {
    check_size("task arguments", bytes.len())?;
    rmp_serde::from_slice(bytes).map_err(|e| Error::Decode {
        what: "task arguments",
        reason: e.to_string(),
    })
}

/// Encodes a task's result.
pub fn encode_value<T: Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    let bytes = rmp_serde::to_vec_named(value).map_err(|e| Error::Encode {
        what: "task result",
        reason: e.to_string(),
    })?;
    check_size("task result", bytes.len())?;
    Ok(bytes)
}

/// Decodes a task's result.
pub fn decode_value<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    rmp_serde::from_slice(bytes).map_err(|e| Error::Decode {
        what: "task result",
        reason: e.to_string(),
    })
}

/// Decodes any MessagePack payload into a dynamic value (for logs, strikes and the CLI).
pub fn decode_dynamic(bytes: &[u8]) -> Result<rmpv::Value, Error> {
    check_size("payload", bytes.len())?;
    let mut reader = bytes;
    let value = rmpv::decode::read_value(&mut reader).map_err(|e| Error::Decode {
        what: "payload",
        reason: e.to_string(),
    })?;
    if !reader.is_empty() {
        return Err(Error::Decode {
            what: "payload",
            reason: format!("{} trailing bytes", reader.len()),
        });
    }
    Ok(value)
}

fn check_size(what: &'static str, len: usize) -> Result<(), Error> {
    if len > MAX_PAYLOAD {
        return Err(Error::Decode {
            what,
            reason: format!("{len} bytes exceeds the limit of {MAX_PAYLOAD}"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Args {
        order_id: u64,
        customer: String,
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
}
