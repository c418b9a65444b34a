//! Every form of the helper attributes compiles, below `#[docket::task]` and mixed with other
//! attributes, and they are gone from the function.

#![deny(warnings)]

#[docket::task]
#[perpetual(every = "5m")]
async fn every_five_minutes(region: String) {
    let _ = region;
}

#[docket::task]
#[perpetual(every = "1h", automatic)]
async fn hourly_sweep() {}

#[docket::task]
#[retry(attempts = 3, delay = "1s")]
async fn fixed(n: u8) -> u8 {
    n
}

#[docket::task]
#[retry(attempts = 1)]
async fn no_retry() {}

#[docket::task]
#[retry(attempts = 5, exponential, min = "1s", max = "5m")]
async fn exponential() {}

#[docket::task]
#[retry(attempts = 5, exponential)]
async fn exponential_defaults() {}

#[docket::task]
#[retry(forever, delay = "5m")]
async fn forever() {}

#[docket::task]
#[retry(forever, exponential, max = "1h30m")]
async fn forever_exponential() {}

/// Documented, inlined and bounded in time.
#[docket::task(name = "bounded")]
#[inline]
#[timeout("10m")]
#[allow(clippy::unused_async)]
async fn bounded(#[logged] id: u64, #[logged(length_only)] lines: Vec<String>, secret: String) {
    let _ = (id, lines, secret);
}

#[docket::task]
#[retry(attempts = 2, delay = "250ms")]
#[timeout("30s")]
#[perpetual(every = "1d")]
async fn everything(#[logged] n: u8) {
    let _ = n;
}

#[docket::task]
#[cron("0 9 * * 1")]
async fn monday_morning() {}

#[docket::task]
#[cron("@daily", tz = "America/Los_Angeles")]
#[retry(attempts = 3)]
#[timeout("1h")]
async fn daily_in_los_angeles(docket: docket::Docket, perpetual: docket::Perpetual) {
    let _ = docket;
    perpetual.cancel();
}

fn main() {
    let _ = |docket: &docket::Docket| {
        let _ = every_five_minutes::schedule(docket, "eu".into());
        let _ = hourly_sweep::schedule(docket);
        let _ = fixed::schedule(docket, 1);
        let _ = no_retry::schedule(docket);
        let _ = exponential::schedule(docket);
        let _ = exponential_defaults::schedule(docket);
        let _ = forever::schedule(docket);
        let _ = forever_exponential::schedule(docket);
        let _ = bounded::schedule(docket, 1, vec![], "s".into());
        let _ = everything::schedule(docket, 1);
        let _ = monday_morning::schedule(docket);
        let _ = daily_in_los_angeles::schedule(docket);
    };
    let _ = bounded(1, vec![], String::new());
}
