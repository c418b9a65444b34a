//! How to test code that uses docket: a `memory://` docket and a worker in the same test
//! process, no server needed.

use std::time::Duration;

use docket::testing::{assert_not_scheduled, assert_scheduled, assert_scheduled_count};
use docket::Docket;
use docket_worker::Worker;

/// Charges a customer (the task under test).
#[docket::task]
async fn charge(customer: String, cents: u64) -> Result<String, std::io::Error> {
    if cents == 0 {
        return Err(std::io::Error::other("nothing to charge"));
    }
    Ok(format!("charged {customer} {cents} cents"))
}

/// Sends a receipt.
#[docket::task]
async fn send_receipt(customer: String) {
    let _ = customer;
}

/// The application code under test: checks out a cart.
async fn checkout(docket: &Docket, customer: &str, cents: u64) -> Result<(), docket::Error> {
    charge::schedule(docket, customer.to_string(), cents)
        .key(format!("charge-{customer}"))
        .await?;
    send_receipt::schedule(docket, customer.to_string())
        .after(Duration::from_millis(50))
        .await?;
    Ok(())
}

#[tokio::test]
async fn checkout_schedules_a_charge_and_a_receipt() {
    // Each test uses its own memory docket name, so tests running in parallel stay apart.
    let docket = Docket::connect("memory://checkout-schedules").await.unwrap();
    checkout(&docket, "ada", 1_250).await.unwrap();

    let charge = assert_scheduled::<charge::Task>(&docket).await;
    assert_eq!(charge.key, "charge-ada");
    assert_eq!(charge.argument::<u64>("cents"), Some(1_250));
    assert_scheduled_count::<send_receipt::Task>(&docket, 1).await;
}

#[tokio::test]
async fn checkout_runs_to_completion() {
    let docket = Docket::connect("memory://checkout-runs").await.unwrap();
    checkout(&docket, "grace", 990).await.unwrap();

    // Run every scheduled task (the delayed receipt included), then stop.
    Worker::builder(&docket)
        .build()
        .unwrap()
        .run_until_finished()
        .await
        .unwrap();

    assert_not_scheduled::<charge::Task>(&docket).await;
    assert_not_scheduled::<send_receipt::Task>(&docket).await;
    let charged = docket.execution("charge-grace").await.unwrap().expect("a record");
    assert_eq!(charged.state, docket::ExecutionState::Completed);
}

#[test]
fn the_task_is_still_a_plain_function() {
    let receipt = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(charge("linus".into(), 5));
    assert_eq!(receipt.unwrap(), "charged linus 5 cents");
}
