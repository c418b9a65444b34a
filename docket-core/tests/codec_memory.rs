//! Memory taken by decoding hostile MessagePack, measured by a counting global allocator.
//!
//! Each test holds one lock for its whole run, so allocations of other tests never count.
//! What is measured is every byte requested while one decoder runs (including memory that is
//! freed again), an upper bound on how far the decoder's peak use exceeds what was in use
//! before it started.

use std::alloc::System;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use cap::Cap;
use docket::codec::{decode_args, decode_dynamic, decode_value, MAX_PAYLOAD, MAX_VALUES};
use docket::Error;

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

static SERIAL: Mutex<()> = Mutex::new(());

/// What a refused payload may cost: an error message and a few small vectors.
const REFUSAL: usize = 64 * 1024;

/// What an accepted payload may cost: its strings and binaries twice over (a buffer that
/// grows by doubling) and two `rmpv::Value`s per value (a vector that grows by doubling).
const BUDGET: usize = 2 * MAX_PAYLOAD + 2 * std::mem::size_of::<rmpv::Value>() * MAX_VALUES;

/// A guard far above every budget, so that a regression fails the test run (allocation
/// failure) instead of exhausting the machine.
const GUARD: usize = 512 * 1024 * 1024;

/// A recursive type whose every level is one MessagePack array.
#[derive(serde::Deserialize, Debug)]
#[allow(dead_code)]
struct Node(Vec<Node>);

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `decode` and asserts that it allocated at most `budget` bytes in all.
fn within<T>(what: &str, budget: usize, decode: impl FnOnce() -> T) -> T {
    let guarded = ALLOCATOR.set_limit(ALLOCATOR.allocated() + GUARD).is_ok();
    let before = ALLOCATOR.total_allocated();
    let out = decode();
    let used = ALLOCATOR.total_allocated() - before;
    if guarded {
        ALLOCATOR
            .set_limit(usize::MAX)
            .expect("raising the limit always succeeds");
    }
    assert!(
        used <= budget,
        "{what}: allocated {used} bytes, more than the budget of {budget}"
    );
    out
}

fn reason<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
    match result {
        Err(Error::Decode { reason, .. }) => reason,
        other => panic!("expected a decode error, got {other:?}"),
    }
}

/// An `array32` header claiming `len` elements, followed by `body`.
fn array32(len: usize, body: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0xdd];
    bytes.extend_from_slice(&(len as u32).to_be_bytes());
    bytes.extend_from_slice(body);
    bytes
}

/// A payload of at most `len` bytes: an `array32` of as many copies of `element` as fit.
fn filled(len: usize, element: &[u8]) -> Vec<u8> {
    let count = (len - 5) / element.len();
    array32(count, &element.repeat(count))
}

#[test]
fn sixteen_mib_of_empty_arrays_is_refused_within_the_budget() {
    let _serial = serial();
    // Nested, [[[[…]]]]: refused at the depth limit before anything is built.
    let mut deep = vec![0x91; MAX_PAYLOAD - 1];
    deep.push(0x90);
    let refusals = [
        within("deep, dynamic", REFUSAL, || reason(decode_dynamic(&deep))),
        within("deep, Value", REFUSAL, || {
            reason(decode_value::<rmpv::Value>(&deep))
        }),
        within("deep, Node", REFUSAL, || reason(decode_args::<Node>(&deep))),
    ];
    for reason in refusals {
        assert!(reason.contains("nested deeper than 64 levels"), "{reason}");
    }

    // Wide, one array of 16 million empty arrays: refused at its header.
    let wide = filled(MAX_PAYLOAD, &[0x90]);
    let refusals = [
        within("wide, dynamic", REFUSAL, || reason(decode_dynamic(&wide))),
        within("wide, Value", REFUSAL, || {
            reason(decode_value::<rmpv::Value>(&wide))
        }),
        within("wide, Node", REFUSAL, || reason(decode_args::<Node>(&wide))),
    ];
    for reason in refusals {
        assert!(reason.contains("more than 1048576 values"), "{reason}");
    }

    // Arrays of 15 empty arrays, each header small: the count runs out only halfway through.
    let mut fifteen = vec![0x9f];
    fifteen.extend_from_slice(&[0x90; 15]);
    let chunks = filled(MAX_PAYLOAD, &fifteen);
    let refusals = [
        within("chunks, dynamic", REFUSAL, || reason(decode_dynamic(&chunks))),
        within("chunks, Value", REFUSAL, || {
            reason(decode_value::<rmpv::Value>(&chunks))
        }),
    ];
    for reason in refusals {
        assert!(reason.contains("more than 1048576 values"), "{reason}");
    }
}

#[test]
fn huge_length_headers_with_truncated_bodies_allocate_almost_nothing() {
    let _serial = serial();
    let claims: [(&str, &[u8]); 6] = [
        ("array32", &[0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0]),
        ("map32", &[0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0]),
        (
            "array32 within the value count",
            &[0xdd, 0x00, 0x0f, 0xff, 0xff, 0xc0],
        ),
        ("str32", &[0xdb, 0xff, 0xff, 0xff, 0xff, b'a']),
        ("bin32", &[0xc6, 0xff, 0xff, 0xff, 0xff, 0x00]),
        ("ext32", &[0xc9, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00]),
    ];
    for (name, claim) in claims {
        within(name, REFUSAL, || {
            assert!(decode_dynamic(claim).is_err(), "{name}: decode_dynamic");
            assert!(decode_value::<rmpv::Value>(claim).is_err(), "{name}: Value");
            assert!(decode_value::<Vec<u64>>(claim).is_err(), "{name}: Vec<u64>");
            assert!(decode_value::<Vec<String>>(claim).is_err(), "{name}: Vec<String>");
            assert!(decode_value::<String>(claim).is_err(), "{name}: String");
            assert!(
                decode_args::<HashMap<String, u64>>(claim).is_err(),
                "{name}: HashMap"
            );
        });
    }
}

#[test]
fn the_largest_accepted_payloads_decode_within_the_budget() {
    let _serial = serial();
    // With the array itself, MAX_VALUES values.
    let most = MAX_VALUES - 1;
    let empty_arrays = array32(most, &vec![0x90; most]);
    let value = within("empty arrays, dynamic", BUDGET, || decode_dynamic(&empty_arrays));
    assert_eq!(value.unwrap().as_array().map(Vec::len), Some(most));
    let value = within("empty arrays, Value", BUDGET, || {
        decode_value::<rmpv::Value>(&empty_arrays)
    });
    assert_eq!(value.unwrap().as_array().map(Vec::len), Some(most));

    let strings = array32(most, &[0xa1, b'a'].repeat(most));
    let value = within("one-byte strings, dynamic", BUDGET, || decode_dynamic(&strings));
    assert_eq!(value.unwrap().as_array().map(Vec::len), Some(most));

    let mut map = vec![0xdf];
    map.extend_from_slice(&(most as u32 / 2).to_be_bytes());
    map.resize(map.len() + most / 2 * 2, 0xc0);
    let value = within("map of nils, dynamic", BUDGET, || decode_dynamic(&map));
    assert_eq!(value.unwrap().as_map().map(Vec::len), Some(most / 2));

    let integers = array32(most, &vec![0x7f; most]);
    let numbers = within("integers, Vec<u64>", BUDGET, || {
        decode_value::<Vec<u64>>(&integers)
    });
    assert_eq!(numbers.unwrap().len(), most);

    let mut binary = vec![0xc6];
    binary.extend_from_slice(&(MAX_PAYLOAD as u32 - 5).to_be_bytes());
    binary.resize(MAX_PAYLOAD, 0xab);
    let value = within("16 MiB binary, dynamic", BUDGET, || decode_dynamic(&binary));
    assert_eq!(value.unwrap().as_slice().map(<[u8]>::len), Some(MAX_PAYLOAD - 5));
    let value = within("16 MiB binary, Value", BUDGET, || {
        decode_value::<rmpv::Value>(&binary)
    });
    assert!(value.unwrap().is_bin());
}
