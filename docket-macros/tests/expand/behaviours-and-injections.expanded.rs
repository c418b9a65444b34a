pub(crate) async fn sync_account(
    account: u64,
    docket: docket::Docket,
    items: Vec<String>,
    conn: Conn,
    perpetual: Perpetual,
    state: State<App>,
) -> anyhow::Result<()> {
    Ok(())
}
/// The docket task `sync_account`: `schedule` runs the function on a worker; `call` is a call of it for an `Agenda`; `args` builds the arguments of a next run for `Perpetual::perpetuate`.
#[allow(dead_code)]
pub(crate) mod sync_account {
    #[allow(unused_imports)]
    use super::*;
    /// Marker type of the task `sync_account`, implementing `docket::Task`.
    #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::marker::Copy)]
    pub(crate) struct Task;
    /// The name the task is registered and scheduled under: `sync_account`.
    pub(crate) const NAME: &str = "sync_account";
    pub(crate) use self::__docket_task::{args, call, schedule};
    /// The task `sync_account` as workers run it: name, entry point and behaviours.
    pub(crate) static DESCRIPTOR: ::docket::__private::TaskDescriptor = ::docket::__private::TaskDescriptor::new(
            self::NAME,
            self::__docket_task::__docket_run,
            ::core::module_path!(),
            ::core::file!(),
            ::core::line!(),
        )
        .with_options(
            ::docket::__private::TaskOptions::new()
                .retry(
                    ::docket::__private::RetryPolicy::new(
                        ::docket::__private::Attempts::Limited(5),
                        ::docket::__private::RetryDelay::Exponential {
                            min: ::docket::__private::Duration::from_millis(1000),
                            max: ::docket::__private::Duration::from_millis(300000),
                        },
                    ),
                )
                .timeout(::docket::__private::Duration::from_millis(600000))
                .perpetual(
                    ::docket::__private::PerpetualPolicy::new(
                        ::docket::__private::Duration::from_millis(3600000),
                    ),
                )
                .logged(
                    &[
                        ::docket::__private::LoggedParam::value("account"),
                        ::docket::__private::LoggedParam::length("items"),
                    ],
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
            bound(
                serialize = "__DocketA0: :: docket :: __private :: serde :: Serialize, __DocketA1: :: docket :: __private :: serde :: Serialize",
                deserialize = "__DocketA0: :: docket :: __private :: serde :: de :: DeserializeOwned, __DocketA1: :: docket :: __private :: serde :: de :: DeserializeOwned"
            )
        )]
        struct __DocketArgs<__DocketA0, __DocketA1> {
            account: __DocketA0,
            items: __DocketA1,
        }
        const _: () = ::docket::__private::assert_serialized::<u64>();
        const _: () = ::docket::__private::assert_serialized::<Vec<String>>();
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
                let __DocketArgs { account, items } = ::docket::__private::decode_args::<
                    __DocketArgs<u64, Vec<String>>,
                >(super::NAME, &__docket_args)?;
                let docket = ::docket::__private::inject::<
                    docket::Docket,
                >(&__docket_ctx, "docket")
                    .await?;
                let conn = ::docket::__private::inject::<Conn>(&__docket_ctx, "conn")
                    .await?;
                let perpetual = ::docket::__private::inject::<
                    Perpetual,
                >(&__docket_ctx, "perpetual")
                    .await?;
                let state = ::docket::__private::inject::<
                    State<App>,
                >(&__docket_ctx, "state")
                    .await?;
                ::docket::__private::result_outcome(
                    super::super::sync_account(
                            account,
                            docket,
                            items,
                            conn,
                            perpetual,
                            state,
                        )
                        .await,
                )
            })
        }
        /// Schedules the task `sync_account` with these arguments.
        ///
        /// The task runs now unless the returned builder is given `.at(..)` or `.after(..)`;
        /// `.key(..)` names the execution. Nothing is scheduled until the builder is awaited,
        /// which returns the `Execution`.
        #[allow(clippy::too_many_arguments)]
        pub(crate) fn schedule(
            docket: &::docket::__private::Docket,
            account: u64,
            items: Vec<String>,
        ) -> ::docket::__private::Schedule<'_, super::Task> {
            ::docket::__private::schedule::<
                super::Task,
                __DocketArgs<u64, Vec<String>>,
            >(docket, &__DocketArgs { account, items })
        }
        /// The arguments of a call of the task `sync_account`, typed and encoded, without scheduling it.
        ///
        /// Give them to `Perpetual::perpetuate` to run the next run of a perpetual task with
        /// other arguments.
        #[allow(clippy::too_many_arguments)]
        pub(crate) fn args(
            account: u64,
            items: Vec<String>,
        ) -> ::docket::__private::Args<super::Task> {
            ::docket::__private::args::<
                super::Task,
                __DocketArgs<u64, Vec<String>>,
            >(&__DocketArgs { account, items })
        }
        /// A call of the task `sync_account` with these arguments, without scheduling it.
        ///
        /// Add it to a `docket::Agenda` to schedule it with other calls, scattered over time.
        #[allow(clippy::too_many_arguments)]
        pub(crate) fn call(
            account: u64,
            items: Vec<String>,
        ) -> ::docket::__private::TaskCall {
            ::docket::__private::TaskCall::from(self::args(account, items))
        }
    }
}
