//! Strikes: stop one customer's work, and large orders, without a redeploy. Orders scheduled
//! before the strike are cancelled when the worker reaches them; orders scheduled after it are
//! never written; a restore lets new work through again.
//!
//! ```text
//! cargo run --example strikes
//! ```

use docket::{Disposition, Docket, Error, Strike};
use docket_worker::Worker;

/// Charges a customer for an order.
#[docket::task]
async fn charge(customer_id: String, amount: u64) -> String {
    format!("charged {customer_id} {amount}")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DOCKET_URL").unwrap_or_else(|_| "memory://strikes".to_string());
    let docket = Docket::connect(&url).await?;

    let before = charge::schedule(&docket, "acme".into(), 10).await?;
    docket
        .strike(Strike::any_task().arg("customer_id").eq("acme"))
        .await?;
    docket
        .strike(Strike::task(charge::NAME).arg("amount").gt(1_000))
        .await?;
    for rule in docket.strikes().iter() {
        println!("struck: {rule}");
    }

    let after = charge::schedule(&docket, "acme".into(), 20).await?;
    let large = charge::schedule(&docket, "globex".into(), 5_000).await?;
    let fine = charge::schedule(&docket, "globex".into(), 30).await?;
    assert_eq!(after.disposition(), Disposition::Struck);
    assert_eq!(large.disposition(), Disposition::Struck);

    Worker::builder(&docket).build()?.run_until_finished().await?;
    for (what, execution) in [
        ("before the strike", &before),
        ("after it", &after),
        ("large", &large),
        ("fine", &fine),
    ] {
        match execution.result().await {
            Ok(done) => println!("{what}: {done}"),
            Err(Error::Struck { reason, .. }) => println!("{what}: {reason}"),
            Err(error) => return Err(error.into()),
        }
    }

    docket
        .restore(Strike::any_task().arg("customer_id").eq("acme"))
        .await?;
    let restored = charge::schedule(&docket, "acme".into(), 40).await?;
    Worker::builder(&docket).build()?.run_until_finished().await?;
    println!("after the restore: {}", restored.result().await?);
    docket.close().await;
    Ok(())
}
