pub fn greet(name: &str) -> String {
    format!("hello, {name}")
}
/// The docket task `greet`: `schedule` runs the function on a worker; `call` is a call of it for an `Agenda`; `args` builds the arguments of a next run for `Perpetual::perpetuate`.
#[allow(dead_code)]
pub mod greet {
    #[allow(unused_imports)]
    use super::*;
    /// Marker type of the task `greet`, implementing `docket::Task`.
    #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::marker::Copy)]
    pub struct Task;
    /// The name the task is registered and scheduled under: `greet`.
    pub const NAME: &str = "greet";
    pub use self::__docket_task::{args, call, schedule};
    mod __docket_task {
        #[allow(unused_imports)]
        use super::super::*;
        impl ::docket::__private::Task for super::Task {
            const NAME: &'static str = super::NAME;
            type Output = String;
        }
        /// Schedules the task `greet` with these arguments.
        ///
        /// The task runs now unless the returned builder is given `.at(..)` or `.after(..)`;
        /// `.key(..)` names the execution. Nothing is scheduled until the builder is awaited,
        /// which returns the `Execution`.
        #[allow(clippy::too_many_arguments)]
        pub fn schedule<'__docket>(
            docket: &'__docket ::docket::__private::Docket,
            _: &str,
        ) -> ::docket::__private::Schedule<'__docket, super::Task> {
            ::docket::__private::schedule::<super::Task, _>(docket, &())
        }
        /// The arguments of a call of the task `greet`, typed and encoded, without scheduling it.
        ///
        /// Give them to `Perpetual::perpetuate` to run the next run of a perpetual task with
        /// other arguments.
        #[allow(clippy::too_many_arguments)]
        pub fn args(_: &str) -> ::docket::__private::Args<super::Task> {
            ::docket::__private::args::<super::Task, _>(&())
        }
        /// A call of the task `greet` with these arguments, without scheduling it.
        ///
        /// Add it to a `docket::Agenda` to schedule it with other calls, scattered over time.
        #[allow(clippy::too_many_arguments)]
        pub fn call(_: &str) -> ::docket::__private::TaskCall {
            ::docket::__private::TaskCall::from(
                ::docket::__private::args::<super::Task, _>(&()),
            )
        }
    }
}
::core::compile_error! {
    "`name` must not be empty; leave it out to use the function's name"
}
::core::compile_error! {
    "a task must be an `async fn`; add `async` before `fn`"
}
::core::compile_error! {
    "task parameters must be owned; use `String` instead of `&str`"
}
