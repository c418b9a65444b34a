async fn cleanup() {}
/// The docket task `cleanup`: `schedule` runs the function on a worker; `call` is a call of it for an `Agenda`; `args` builds the arguments of a next run for `Perpetual::perpetuate`.
#[allow(dead_code)]
mod cleanup {
    #[allow(unused_imports)]
    use super::*;
    /// Marker type of the task `cleanup`, implementing `docket::Task`.
    #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::marker::Copy)]
    pub(super) struct Task;
    /// The name the task is registered and scheduled under: `cleanup`.
    pub(super) const NAME: &str = "cleanup";
    pub(super) use self::__docket_task::{args, call, schedule};
    /// The task `cleanup` as workers run it: name, entry point and behaviours.
    pub(super) static DESCRIPTOR: super::runtime::docket::__private::TaskDescriptor = super::runtime::docket::__private::TaskDescriptor::new(
            self::NAME,
            self::__docket_task::__docket_run,
            ::core::module_path!(),
            ::core::file!(),
            ::core::line!(),
        )
        .with_options(super::runtime::docket::__private::TaskOptions::new());
    super::runtime::docket::__private::inventory::submit! {
        super::runtime::docket::__private::TaskRef(& self::DESCRIPTOR)
    }
    mod __docket_task {
        #[allow(unused_imports)]
        use super::super::*;
        #[derive(
            super::super::runtime::docket::__private::serde::Serialize,
            super::super::runtime::docket::__private::serde::Deserialize
        )]
        #[serde(
            crate = "super :: super :: runtime :: docket :: __private :: serde",
            bound(serialize = "", deserialize = "")
        )]
        struct __DocketArgs {}
        impl super::super::runtime::docket::__private::Task for super::Task {
            const NAME: &'static str = super::NAME;
            type Output = ();
            fn options() -> &'static super::super::runtime::docket::__private::TaskOptions {
                super::DESCRIPTOR.options()
            }
        }
        #[allow(deprecated)]
        pub(super) fn __docket_run(
            __docket_ctx: super::super::runtime::docket::__private::TaskContext,
            __docket_args: ::std::vec::Vec<u8>,
        ) -> super::super::runtime::docket::__private::RunFuture {
            super::super::runtime::docket::__private::Box::pin(async move {
                let __DocketArgs {} = super::super::runtime::docket::__private::decode_args::<
                    __DocketArgs,
                >(super::NAME, &__docket_args)?;
                super::super::runtime::docket::__private::value_outcome(
                    super::super::cleanup().await,
                )
            })
        }
        /// Schedules the task `cleanup` with these arguments.
        ///
        /// The task runs now unless the returned builder is given `.at(..)` or `.after(..)`;
        /// `.key(..)` names the execution. Nothing is scheduled until the builder is awaited,
        /// which returns the `Execution`.
        #[allow(clippy::too_many_arguments)]
        pub(in super::super) fn schedule(
            docket: &super::super::runtime::docket::__private::Docket,
        ) -> super::super::runtime::docket::__private::Schedule<'_, super::Task> {
            super::super::runtime::docket::__private::schedule::<
                super::Task,
                __DocketArgs,
            >(docket, &__DocketArgs {})
        }
        /// The arguments of a call of the task `cleanup`, typed and encoded, without scheduling it.
        ///
        /// Give them to `Perpetual::perpetuate` to run the next run of a perpetual task with
        /// other arguments.
        #[allow(clippy::too_many_arguments)]
        pub(in super::super) fn args() -> super::super::runtime::docket::__private::Args<
            super::Task,
        > {
            super::super::runtime::docket::__private::args::<
                super::Task,
                __DocketArgs,
            >(&__DocketArgs {})
        }
        /// A call of the task `cleanup` with these arguments, without scheduling it.
        ///
        /// Add it to a `docket::Agenda` to schedule it with other calls, scattered over time.
        #[allow(clippy::too_many_arguments)]
        pub(in super::super) fn call() -> super::super::runtime::docket::__private::TaskCall {
            super::super::runtime::docket::__private::TaskCall::from(self::args())
        }
    }
}
