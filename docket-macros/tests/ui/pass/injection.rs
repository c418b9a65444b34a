//! Every injectable type compiles as a parameter, in any position; `schedule` and `args` take
//! only the serialized parameters, in order.

#![deny(warnings)]

use docket::{Docket, FromContext, InjectError, Perpetual, Retry, State, TaskContext, Timeout};

#[derive(Clone)]
struct AppState {
    region: &'static str,
}

/// A user type resolved from the context.
struct Conn(String);

impl FromContext for Conn {
    async fn from_context(ctx: &TaskContext) -> Result<Self, InjectError> {
        Ok(Conn(ctx.key().to_string()))
    }
}

/// A serializable type of the user's that is named like an injectable one.
mod config {
    #[derive(serde::Serialize, serde::Deserialize)]
    pub struct Retry {
        pub attempts: u32,
    }
}

/// The escape hatch: another name for it.
use config::Retry as RetryConfig;

#[docket::task]
#[perpetual(every = "1m")]
#[timeout("10m")]
#[allow(clippy::too_many_arguments)]
async fn everything(
    order_id: u64,
    docket: Docket,
    ctx: TaskContext,
    perpetual: Perpetual,
    customer: String,
    retry: Retry,
    timeout: Timeout,
    state: State<AppState>,
    #[inject] conn: Conn,
    config: RetryConfig,
) -> Result<(), docket::Error> {
    let _ = (order_id, docket, ctx.key(), retry.attempt(), timeout.remaining());
    let _ = (state.region, conn.0, config.attempts);
    perpetual.perpetuate(everything::args(order_id + 1, customer, config))
}

#[docket::task]
async fn through_paths(
    ctx: ::docket::TaskContext,
    docket: docket::Docket,
    state: docket::State<AppState>,
    progress: docket::Progress,
) {
    progress.increment(1);
    let _ = (ctx, docket, state.0.region);
}

#[docket::task]
#[perpetual(every = "1h", automatic)]
async fn automatic_with_injections(docket: Docket, perpetual: Perpetual, #[inject] conn: Conn) {
    let _ = (docket, conn.0);
    perpetual.set_every(std::time::Duration::from_secs(60));
}

fn main() {
    let _ = |docket: &Docket| {
        let _: docket::Schedule<'_, everything::Task> =
            everything::schedule(docket, 1, "c".into(), RetryConfig { attempts: 1 });
        let _ = through_paths::schedule(docket);
        let _ = automatic_with_injections::schedule(docket);
    };
    let _: docket::Args<everything::Task> = everything::args(1, "c".into(), RetryConfig { attempts: 1 });
    let _: docket::Args<through_paths::Task> = through_paths::args();
}
