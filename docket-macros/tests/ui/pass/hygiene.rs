//! The expansion uses absolute paths only: a task compiles next to user items that shadow
//! the prelude, `std`, `core`, `serde` and the names the generated module defines.

#![allow(dead_code, non_camel_case_types)]

use ::serde::{Deserialize, Serialize};

struct Result;
struct Option;
struct Box;
struct Vec;
struct String;
struct Send;
mod std {}
mod core {}
mod serde {}
mod inventory {}
mod docket {}

/// The user's own `Task` type, used as a parameter and as the output.
#[derive(Serialize, Deserialize)]
struct Task {
    title: ::std::string::String,
}

#[derive(Serialize, Deserialize)]
struct NAME;

fn schedule() {}

#[::docket::task]
async fn save(task: Task, name: NAME, option: ::std::option::Option<u8>) -> Task {
    let _ = (name, option);
    task
}

#[::docket::task]
async fn fallible(args: u8, ctx: u8, call: u8) -> ::std::result::Result<Task, ::std::string::String> {
    let _ = (args, ctx, call);
    Err(::std::string::String::new())
}

fn main() {
    schedule();
    let _ = |docket: &::docket::Docket| {
        let _ = save::schedule(
            docket,
            Task {
                title: ::std::string::String::new(),
            },
            NAME,
            ::std::option::Option::None,
        );
        let _ = fallible::schedule(docket, 1, 2, 3);
    };
    let _: ::docket::TaskCall = fallible::call(1, 2, 3);
    fn output<T: ::docket::Task<Output = Task>>(_: T) {}
    output(save::Task);
    output(fallible::Task);
}
