//! Tasks defined with the real macro in a crate that denies warnings: they compile cleanly
//! (also under `cargo clippy`), are callable directly, and are registered.

#![deny(warnings, missing_docs, clippy::all)]

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
