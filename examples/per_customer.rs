//! Concurrency limits: twelve syncs for three customers on a worker with eight slots. At most
//! one sync per customer runs at a time (the others wait, QUEUED, for the slot to be handed
//! to them), while different customers run side by side.
//!
//! ```text
//! cargo run --example per_customer
//! ```

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use docket::Docket;
use docket_worker::Worker;

/// How many syncs of each customer are running right now.
static RUNNING: Mutex<Option<HashMap<String, u32>>> = Mutex::new(None);

fn running(customer: &str, change: i32) -> u32 {
    let mut guard = RUNNING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let counts = guard.get_or_insert_with(HashMap::new);
    let count = counts.entry(customer.to_string()).or_insert(0);
    *count = count.saturating_add_signed(change);
    *count
}

/// Syncs one customer's account: never two at once for the same customer.
#[docket::task]
#[concurrency(arg = "customer", max = 1)]
async fn sync_account(customer: String, round: u32) {
    let at_once = running(&customer, 1);
    println!("  {customer} round {round} starts ({at_once} running for {customer})");
    tokio::time::sleep(Duration::from_millis(50)).await;
    running(&customer, -1);
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DOCKET_URL").unwrap_or_else(|_| "memory://per-customer".to_string());
    let docket = Docket::connect(&url).await?;
    let started = Instant::now();
    for round in 1..=4 {
        for customer in ["acme", "globex", "initech"] {
            sync_account::schedule(&docket, customer.into(), round).await?;
        }
    }
    Worker::builder(&docket)
        .concurrency(8)
        .build()?
        .run_until_finished()
        .await?;
    // Four 50 ms rounds one after the other per customer, the customers side by side.
    println!("12 syncs in {:.2}s", started.elapsed().as_secs_f64());
    docket.close().await;
    Ok(())
}
