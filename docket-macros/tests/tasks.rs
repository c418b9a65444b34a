//! Tasks defined with the real macro in a crate that denies warnings: they compile cleanly
//! (also under `cargo clippy`), are callable directly, and are registered.

#![deny(warnings, missing_docs, clippy::all)]

use std::time::Duration;

use docket::behaviour::{Attempts, LoggedParam, RetryDelay};
use serde::{Deserialize, Serialize};

/// A receipt, the output of `process_order`.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    order_id: u64,
}

/// Why an order failed.
#[derive(Debug)]
pub struct OrderError;

impl std::fmt::Display for OrderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("order failed")
    }
}

/// Processes an order.
#[docket::task(name = "orders.process")]
pub async fn process_order(order_id: u64, customer_id: String) -> Result<Receipt, OrderError> {
    if customer_id.is_empty() {
        return Err(OrderError);
    }
    Ok(Receipt { order_id })
}

#[derive(Serialize, Deserialize)]
struct Line {
    sku: String,
}

#[docket::task]
async fn private_lines(lines: Vec<Line>) -> usize {
    lines.iter().filter(|line| !line.sku.is_empty()).count()
}

#[docket::task]
#[allow(clippy::too_many_arguments)] // the function's own lint; the expansion needs no allow
pub(crate) async fn many_arguments(a: u8, b: u8, c: u8, d: u8, e: u8, f: u8, g: u8, h: u8) {
    let _ = (a, b, c, d, e, f, g, h);
}

mod nested {
    #[docket::task]
    pub(super) async fn nothing() {}

    #[docket::task]
    pub(in crate::nested) async fn borrowing_static(
        text: std::borrow::Cow<'static, str>,
    ) -> anyhow::Result<String> {
        Ok(text.into_owned())
    }
}

#[docket::task]
async fn named_docket(docket: String) -> String {
    docket
}

#[tokio::test]
async fn functions_stay_callable() {
    assert_eq!(
        process_order(7, "c".into()).await.ok(),
        Some(Receipt { order_id: 7 })
    );
    assert_eq!(private_lines(vec![Line { sku: "a".into() }]).await, 1);
    many_arguments(1, 2, 3, 4, 5, 6, 7, 8).await;
    nested::nothing().await;
    assert_eq!(named_docket("d".into()).await, "d");
}

#[test]
fn names_and_markers() {
    fn name<T: docket::Task>(_: T) -> &'static str {
        T::NAME
    }
    assert_eq!(process_order::NAME, "orders.process");
    assert_eq!(name(process_order::Task), "orders.process");
    assert_eq!(private_lines::NAME, "private_lines");
    assert_eq!(format!("{:?}", process_order::Task), "Task");
}

#[test]
fn schedule_takes_the_parameters_in_order() {
    let _ = |docket: &docket::Docket| {
        let _: docket::Schedule<'_, process_order::Task> = process_order::schedule(docket, 1, "c".into());
        let _ = private_lines::schedule(docket, Vec::new());
        let _ = many_arguments::schedule(docket, 1, 2, 3, 4, 5, 6, 7, 8);
        let _ = nested::nothing::schedule(docket);
        let _ = named_docket::schedule(docket, "d".into());
    };
}

#[test]
fn tasks_are_registered_with_their_location() {
    let registry = docket::Registry::discover().unwrap_or_else(|error| panic!("{error}"));
    for name in [
        "orders.process",
        "private_lines",
        "many_arguments",
        "nothing",
        "borrowing_static",
        "named_docket",
    ] {
        assert!(
            registry.get(name).is_some(),
            "`{name}` is not among {:?}",
            registry.names()
        );
    }
    let location = registry
        .get("orders.process")
        .map(|task| task.location())
        .unwrap_or_default();
    assert!(
        location.starts_with("tasks::process_order (") && location.contains("tasks.rs:"),
        "{location}"
    );
}

/// Retried three times a second apart, bounded to ten minutes, with its id logged.
#[docket::task]
#[retry(attempts = 3, delay = "1s")]
#[timeout("10m")]
pub async fn charge(
    #[logged] order_id: u64,
    docket: docket::Docket,
    #[logged(length_only)] lines: Vec<String>,
    card: String,
    retry: docket::Retry,
    timeout: docket::Timeout,
) {
    let _ = (
        order_id,
        docket,
        lines,
        card,
        retry.attempt(),
        timeout.remaining(),
    );
}

/// Retried forever, with exponential delays from 2s up to 5m.
#[docket::task]
#[retry(forever, exponential, min = "2s", max = "5m")]
pub async fn stubborn() {}

/// Retried five times with the default exponential bounds.
#[docket::task]
#[retry(attempts = 5, exponential)]
pub async fn defaults() {}

/// Runs every five minutes once scheduled, with new arguments when it asks for them.
#[docket::task]
#[perpetual(every = "5m")]
pub async fn poll(cursor: u64, perpetual: docket::Perpetual) -> Result<(), docket::Error> {
    perpetual.perpetuate(poll::args(cursor + 1))
}

/// Seeded by the workers, hourly.
#[docket::task]
#[perpetual(every = "1h", automatic)]
pub async fn sweep(docket: docket::Docket) {
    let _ = docket;
}

#[test]
fn a_task_without_helper_attributes_has_no_behaviours() {
    assert_eq!(
        *process_order::DESCRIPTOR.options(),
        docket::behaviour::TaskOptions::new()
    );
}

#[test]
fn descriptors_carry_the_declared_options() {
    let options = charge::DESCRIPTOR.options();
    assert_eq!(options.timeout, Some(Duration::from_secs(600)));
    let retry = options.retry.expect("a retry policy");
    assert_eq!(retry.attempts(), Attempts::Limited(3));
    assert_eq!(retry.delay(), RetryDelay::Fixed(Duration::from_secs(1)));
    assert_eq!(retry.delay_after(1), Some(Duration::from_secs(1)));
    assert_eq!(retry.delay_after(2), Some(Duration::from_secs(1)));
    assert_eq!(retry.delay_after(3), None);
    assert_eq!(
        options.logged,
        [LoggedParam::value("order_id"), LoggedParam::length("lines")]
    );
    assert!(options.perpetual.is_none() && options.cron.is_none());
}

#[test]
fn exponential_retries_double_up_to_their_bound() {
    let retry = stubborn::DESCRIPTOR.options().retry.expect("a retry policy");
    assert_eq!(retry.attempts(), Attempts::Forever);
    let delays: Vec<_> = (1..=10)
        .filter_map(|n| retry.delay_after(n))
        .map(|d| d.as_secs())
        .collect();
    assert_eq!(delays, [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);

    let retry = defaults::DESCRIPTOR.options().retry.expect("a retry policy");
    assert_eq!(
        retry.delay(),
        RetryDelay::Exponential {
            min: Duration::from_secs(1),
            max: Duration::from_secs(64)
        }
    );
    assert_eq!(retry.delay_after(5), None);
}

#[test]
fn perpetual_tasks_carry_their_cadence() {
    let perpetual = poll::DESCRIPTOR.options().perpetual.expect("perpetual");
    assert_eq!(perpetual.every, Duration::from_secs(300));
    assert!(!perpetual.automatic);
    assert!(!poll::DESCRIPTOR.options().is_automatic());
    let perpetual = sweep::DESCRIPTOR.options().perpetual.expect("perpetual");
    assert_eq!(perpetual.every, Duration::from_secs(3600));
    assert!(sweep::DESCRIPTOR.options().is_automatic());
}

#[test]
fn schedule_and_args_take_only_the_serialized_parameters() {
    let _ = |docket: &docket::Docket| {
        let _: docket::Schedule<'_, charge::Task> = charge::schedule(docket, 1, vec![], "card".into());
        let _ = poll::schedule(docket, 0);
        let _ = sweep::schedule(docket);
    };
    let _: docket::Args<charge::Task> = charge::args(1, vec![], "card".into());
    let _: docket::Args<poll::Task> = poll::args(0);
    let _: docket::Args<sweep::Task> = sweep::args();
}

/// Every Monday at nine in Paris, seeded by the workers.
#[docket::task]
#[cron("0 9 * * 1", tz = "Europe/Paris")]
pub async fn weekly(perpetual: docket::Perpetual) {
    let _ = perpetual;
}

/// Daily at midnight UTC.
#[docket::task]
#[cron("@daily")]
pub async fn nightly() {}

#[test]
fn cron_tasks_carry_their_schedule() {
    let cron = weekly::DESCRIPTOR.options().cron.expect("cron");
    assert_eq!(cron.expression, "0 9 * * 1");
    assert_eq!(cron.timezone, Some("Europe/Paris"));
    assert!(cron.schedule().is_some(), "the expression parses at run time too");
    assert!(weekly::DESCRIPTOR.options().is_automatic());

    let cron = nightly::DESCRIPTOR.options().cron.expect("cron");
    assert_eq!((cron.expression, cron.timezone), ("@daily", None));
    let day = 86_400;
    let after = std::time::UNIX_EPOCH + Duration::from_secs(10 * day + 5);
    assert_eq!(
        cron.next_after(after),
        Some(std::time::UNIX_EPOCH + Duration::from_secs(11 * day))
    );
}

/// One charge per customer at a time, within the payment API's shared limits.
#[docket::task]
#[concurrency(arg = "customer_id", max = 1)]
#[concurrency(max = 20, scope = "payments")]
#[rate_limit(limit = 100, per = "1m", scope = "payments", drop)]
#[cooldown("10s", arg = "customer_id")]
pub async fn charge_customer(customer_id: u64, amount: u64, docket: docket::Docket) {
    let _ = (customer_id, amount, docket);
}

/// Reindexed once its edits have been quiet for five seconds.
#[docket::task]
#[debounce("5s", arg = "doc_id")]
pub async fn reindex(doc_id: String) {
    let _ = doc_id;
}

#[test]
fn admission_controls_are_descriptor_options() {
    let options = charge_customer::DESCRIPTOR.options();
    assert!(options.has_admission());
    let concurrency: Vec<_> = options
        .concurrency
        .iter()
        .map(|limit| (limit.max, limit.arg, limit.scope))
        .collect();
    assert_eq!(
        concurrency,
        [(1, Some("customer_id"), None), (20, None, Some("payments"))]
    );
    let limit = options.rate_limit[0];
    assert_eq!(
        (limit.limit, limit.per, limit.arg, limit.scope, limit.drop),
        (100, Duration::from_secs(60), None, Some("payments"), true)
    );
    let cooldown = options.cooldown[0];
    assert_eq!(
        (cooldown.window, cooldown.arg),
        (Duration::from_secs(10), Some("customer_id"))
    );
    assert!(options.debounce.is_none());
    // `Task::options` is the descriptor's, which scheduling reads.
    assert_eq!(
        <charge_customer::Task as docket::Task>::options(),
        charge_customer::DESCRIPTOR.options()
    );

    let debounce = reindex::DESCRIPTOR.options().debounce.expect("a debounce");
    assert_eq!(
        (debounce.window, debounce.arg),
        (Duration::from_secs(5), Some("doc_id"))
    );
    assert!(!process_order::DESCRIPTOR.options().has_admission());
}
