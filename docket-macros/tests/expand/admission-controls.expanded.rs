pub async fn charge_customer(customer_id: u64, docket: Docket) {}
/// The docket task `charge_customer`: `schedule` runs the function on a worker; `call` is a call of it for an `Agenda`; `args` builds the arguments of a next run for `Perpetual::perpetuate`.
#[allow(dead_code)]
pub mod charge_customer {
    #[allow(unused_imports)]
    use super::*;
    /// Marker type of the task `charge_customer`, implementing `docket::Task`.
    #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::marker::Copy)]
    pub struct Task;
    /// The name the task is registered and scheduled under: `charge_customer`.
    pub const NAME: &str = "charge_customer";
    pub use self::__docket_task::{args, call, schedule};
    /// The task `charge_customer` as workers run it: name, entry point and behaviours.
    pub static DESCRIPTOR: ::docket::__private::TaskDescriptor = ::docket::__private::TaskDescriptor::new(
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
                        ::docket::__private::Attempts::Limited(3),
                        ::docket::__private::RetryDelay::Fixed(
                            ::docket::__private::Duration::from_millis(0),
                        ),
                    ),
                )
                .concurrency(
                    &[
                        ::docket::__private::ConcurrencyLimit::new(10),
                        ::docket::__private::ConcurrencyLimit::new(1).arg("customer_id"),
                        ::docket::__private::ConcurrencyLimit::new(2).scope("tenants"),
                    ],
                )
                .cooldown(
                    &[
                        ::docket::__private::Cooldown::new(
                                ::docket::__private::Duration::from_millis(30000),
                            )
                            .arg("customer_id"),
                    ],
                )
                .debounce(
                    ::docket::__private::Debounce::new(
                            ::docket::__private::Duration::from_millis(5000),
                        )
                        .arg("customer_id"),
                )
                .rate_limit(
                    &[
                        ::docket::__private::RateLimit::new(
                                100,
                                ::docket::__private::Duration::from_millis(60000),
                            )
                            .scope("payments-api")
                            .dropping(),
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
                serialize = "__DocketA0: :: docket :: __private :: serde :: Serialize",
                deserialize = "__DocketA0: :: docket :: __private :: serde :: de :: DeserializeOwned"
            )
        )]
        struct __DocketArgs<__DocketA0> {
            customer_id: __DocketA0,
        }
        const _: () = ::docket::__private::assert_serialized::<u64>();
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
                let __DocketArgs { customer_id } = ::docket::__private::decode_args::<
                    __DocketArgs<u64>,
                >(super::NAME, &__docket_args)?;
                let docket = ::docket::__private::inject::<
                    Docket,
                >(&__docket_ctx, "docket")
                    .await?;
                ::docket::__private::value_outcome(
                    super::super::charge_customer(customer_id, docket).await,
                )
            })
        }
        /// Schedules the task `charge_customer` with these arguments.
        ///
        /// The task runs now unless the returned builder is given `.at(..)` or `.after(..)`;
        /// `.key(..)` names the execution. Nothing is scheduled until the builder is awaited,
        /// which returns the `Execution`.
        #[allow(clippy::too_many_arguments)]
        pub fn schedule(
            docket: &::docket::__private::Docket,
            customer_id: u64,
        ) -> ::docket::__private::Schedule<'_, super::Task> {
            ::docket::__private::schedule::<
                super::Task,
                __DocketArgs<u64>,
            >(docket, &__DocketArgs { customer_id })
        }
        /// The arguments of a call of the task `charge_customer`, typed and encoded, without scheduling it.
        ///
        /// Give them to `Perpetual::perpetuate` to run the next run of a perpetual task with
        /// other arguments.
        #[allow(clippy::too_many_arguments)]
        pub fn args(customer_id: u64) -> ::docket::__private::Args<super::Task> {
            ::docket::__private::args::<
                super::Task,
                __DocketArgs<u64>,
            >(&__DocketArgs { customer_id })
        }
        /// A call of the task `charge_customer` with these arguments, without scheduling it.
        ///
        /// Add it to a `docket::Agenda` to schedule it with other calls, scattered over time.
        #[allow(clippy::too_many_arguments)]
        pub fn call(customer_id: u64) -> ::docket::__private::TaskCall {
            ::docket::__private::TaskCall::from(self::args(customer_id))
        }
    }
}
