/// Processes an order.
pub async fn process_order(
    order_id: u64,
    customer_id: String,
) -> Result<Receipt, OrderError> {
    charge(order_id, customer_id).await
}
/// The docket task `orders.process`: `schedule` runs the function on a worker; `call` is a call of it for an `Agenda`; `args` builds the arguments of a next run for `Perpetual::perpetuate`.
#[allow(dead_code)]
pub mod process_order {
    #[allow(unused_imports)]
    use super::*;
    /// Marker type of the task `orders.process`, implementing `docket::Task`.
    #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::marker::Copy)]
    pub struct Task;
    /// The name the task is registered and scheduled under: `orders.process`.
    pub const NAME: &str = "orders.process";
    pub use self::__docket_task::{args, call, schedule};
    /// The task `orders.process` as workers run it: name, entry point and behaviours.
    pub static DESCRIPTOR: ::docket::__private::TaskDescriptor = ::docket::__private::TaskDescriptor::new(
            self::NAME,
            self::__docket_task::__docket_run,
            ::core::module_path!(),
            ::core::file!(),
            ::core::line!(),
        )
        .with_options(::docket::__private::TaskOptions::new());
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
            order_id: __DocketA0,
            customer_id: __DocketA1,
        }
        const _: () = ::docket::__private::assert_serialized::<u64>();
        const _: () = ::docket::__private::assert_serialized::<String>();
        impl ::docket::__private::Task for super::Task {
            const NAME: &'static str = super::NAME;
            type Output = Receipt;
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
                let __DocketArgs { order_id, customer_id } = ::docket::__private::decode_args::<
                    __DocketArgs<u64, String>,
                >(super::NAME, &__docket_args)?;
                ::docket::__private::result_outcome(
                    super::super::process_order(order_id, customer_id).await,
                )
            })
        }
        /// Schedules the task `orders.process` with these arguments.
        ///
        /// The task runs now unless the returned builder is given `.at(..)` or `.after(..)`;
        /// `.key(..)` names the execution. Nothing is scheduled until the builder is awaited,
        /// which returns the `Execution`.
        #[allow(clippy::too_many_arguments)]
        pub fn schedule(
            docket: &::docket::__private::Docket,
            order_id: u64,
            customer_id: String,
        ) -> ::docket::__private::Schedule<'_, super::Task> {
            ::docket::__private::schedule::<
                super::Task,
                __DocketArgs<u64, String>,
            >(
                docket,
                &__DocketArgs {
                    order_id,
                    customer_id,
                },
            )
        }
        /// The arguments of a call of the task `orders.process`, typed and encoded, without scheduling it.
        ///
        /// Give them to `Perpetual::perpetuate` to run the next run of a perpetual task with
        /// other arguments.
        #[allow(clippy::too_many_arguments)]
        pub fn args(
            order_id: u64,
            customer_id: String,
        ) -> ::docket::__private::Args<super::Task> {
            ::docket::__private::args::<
                super::Task,
                __DocketArgs<u64, String>,
            >(
                &__DocketArgs {
                    order_id,
                    customer_id,
                },
            )
        }
        /// A call of the task `orders.process` with these arguments, without scheduling it.
        ///
        /// Add it to a `docket::Agenda` to schedule it with other calls, scattered over time.
        #[allow(clippy::too_many_arguments)]
        pub fn call(
            order_id: u64,
            customer_id: String,
        ) -> ::docket::__private::TaskCall {
            ::docket::__private::TaskCall::from(self::args(order_id, customer_id))
        }
    }
}
