pub async fn weekly_report(docket: Docket) {}
/// The docket task `weekly_report`: `schedule` runs the function on a worker; `call` is a call of it for an `Agenda`; `args` builds the arguments of a next run for `Perpetual::perpetuate`.
#[allow(dead_code)]
pub mod weekly_report {
    #[allow(unused_imports)]
    use super::*;
    /// Marker type of the task `weekly_report`, implementing `docket::Task`.
    #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::marker::Copy)]
    pub struct Task;
    /// The name the task is registered and scheduled under: `weekly_report`.
    pub const NAME: &str = "weekly_report";
    pub use self::__docket_task::{args, call, schedule};
    static __DOCKET_CRON: ::docket::__private::OnceLock<
        ::core::option::Option<::docket::__private::CronSchedule>,
    > = ::docket::__private::OnceLock::new();
    /// The task `weekly_report` as workers run it: name, entry point and behaviours.
    pub static DESCRIPTOR: ::docket::__private::TaskDescriptor = ::docket::__private::TaskDescriptor::new(
            self::NAME,
            self::__docket_task::__docket_run,
            ::core::module_path!(),
            ::core::file!(),
            ::core::line!(),
        )
        .with_options(
            ::docket::__private::TaskOptions::new()
                .cron(
                    ::docket::__private::CronPolicy::new(
                        "0 9 * * 1",
                        ::core::option::Option::Some("Europe/Paris"),
                        &self::__DOCKET_CRON,
                    ),
                ),
        );
    ::docket::__private::inventory::submit! {
        ::docket::__private::TaskRef(& self::DESCRIPTOR)
    }
    mod __docket_task {
        #[allow(unused_imports)]
        use super::super::*;
        #[derive(
            ::docket::__private::serde::Serialize,
            ::docket::__private::serde::Deserialize
        )]
        #[serde(
            crate = ":: docket :: __private :: serde",
            bound(serialize = "", deserialize = "")
        )]
        struct __DocketArgs {}
        impl ::docket::__private::Task for super::Task {
            const NAME: &'static str = super::NAME;
            type Output = ();
            fn options() -> &'static ::docket::__private::TaskOptions {
                super::DESCRIPTOR.options()
            }
        }
        #[allow(deprecated)]
        pub(super) fn __docket_run(
            __docket_ctx: ::docket::__private::TaskContext,
            __docket_args: ::std::vec::Vec<u8>,
        ) -> ::docket::__private::RunFuture {
            ::docket::__private::Box::pin(async move {
                let __DocketArgs {} = ::docket::__private::decode_args::<
                    __DocketArgs,
                >(super::NAME, &__docket_args)?;
                let docket = ::docket::__private::inject::<
                    Docket,
                >(&__docket_ctx, "docket")
                    .await?;
                ::docket::__private::value_outcome(
                    super::super::weekly_report(docket).await,
                )
            })
        }
        /// Schedules the task `weekly_report` with these arguments.
        ///
        /// The task runs now unless the returned builder is given `.at(..)` or `.after(..)`;
        /// `.key(..)` names the execution. Nothing is scheduled until the builder is awaited,
        /// which returns the `Execution`.
        #[allow(clippy::too_many_arguments)]
        pub fn schedule(
            docket: &::docket::__private::Docket,
        ) -> ::docket::__private::Schedule<'_, super::Task> {
            ::docket::__private::schedule::<
                super::Task,
                __DocketArgs,
            >(docket, &__DocketArgs {})
        }
        /// The arguments of a call of the task `weekly_report`, typed and encoded, without scheduling it.
        ///
        /// Give them to `Perpetual::perpetuate` to run the next run of a perpetual task with
        /// other arguments.
        #[allow(clippy::too_many_arguments)]
        pub fn args() -> ::docket::__private::Args<super::Task> {
            ::docket::__private::args::<super::Task, __DocketArgs>(&__DocketArgs {})
        }
        /// A call of the task `weekly_report` with these arguments, without scheduling it.
        ///
        /// Add it to a `docket::Agenda` to schedule it with other calls, scattered over time.
        #[allow(clippy::too_many_arguments)]
        pub fn call() -> ::docket::__private::TaskCall {
            ::docket::__private::TaskCall::from(self::args())
        }
    }
}
