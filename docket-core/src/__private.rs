//! Support for the code `#[docket::task]` generates. Not a public API: names here may change
//! in any release.

pub use inventory;
pub use serde;
pub use std::boxed::Box;
pub use std::result::Result;

pub use crate::behaviour::{
    Attempts, ConcurrencyLimit, Cooldown, CronPolicy, Debounce, LoggedParam, PerpetualPolicy, RateLimit,
    RetryDelay, RetryPolicy, TaskOptions,
};
pub use crate::context::TaskContext;
pub use crate::inject::{Args, FromContext, Serialized};
pub use crate::schedule::Schedule;
pub use crate::task::{Failure, RunFuture, Task, TaskDescriptor, TaskRef};
pub use crate::{Docket, TaskCall};
pub use docket_time::CronSchedule;
pub use std::sync::OnceLock;
pub use std::time::Duration;

use std::fmt::Display;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::codec;
use crate::task::FailureKind;

/// Decodes a task's argument map; a mismatch becomes a [`FailureKind::BadArguments`] failure.
pub fn decode_args<A: DeserializeOwned>(task: &str, bytes: &[u8]) -> Result<A, Failure> {
    codec::decode_args(bytes).map_err(|error| Failure {
        kind: FailureKind::BadArguments,
        message: format!("arguments of task `{task}` do not fit its parameters: {error}"),
        type_name: "docket::Error".to_string(),
    })
}

/// Turns a task body's plain return value into a stored outcome.
pub fn value_outcome<T: Serialize>(value: T) -> Result<Vec<u8>, Failure> {
    codec::encode_value(&value).map_err(|error| Failure::task(error.to_string(), "docket::Error"))
}

/// Turns a task body's `Result` into a stored outcome, keeping the error's message and type.
pub fn result_outcome<T: Serialize, E: Display>(result: Result<T, E>) -> Result<Vec<u8>, Failure> {
    match result {
        Ok(value) => value_outcome(value),
        Err(error) => Err(Failure::task(error.to_string(), std::any::type_name::<E>())),
    }
}

/// Starts a schedule builder for task `T` with its encoded argument map.
pub fn schedule<'d, T: Task, A: Serialize>(docket: &'d Docket, args: &A) -> Schedule<'d, T> {
    Schedule::new(docket, T::NAME, codec::encode_args(args))
}

/// Resolves the injected parameter `param` of type `T` for one run; a failure fails the run,
/// naming the parameter.
pub async fn inject<T: FromContext>(ctx: &TaskContext, param: &str) -> Result<T, Failure> {
    T::from_context(ctx).await.map_err(|error| {
        Failure::task(
            format!("cannot inject parameter `{param}`: {error}"),
            "docket::InjectError",
        )
    })
}

/// Checks, where the parameter is written, that a serialized parameter's type can be stored.
pub const fn assert_serialized<T: Serialized>() {}

/// The typed, encoded arguments of a call of task `T`.
pub fn args<T: Task, A: Serialize>(args: &A) -> Args<T> {
    Args::new(codec::encode_args(args))
}
