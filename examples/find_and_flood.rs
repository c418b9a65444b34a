//! Find and flood: one task finds the work, then fans it out as many small tasks, scheduled
//! from inside the task with the injected `Docket`.
//!
//! ```text
//! cargo run --example find_and_flood
//! ```

use docket::Docket;
use docket_worker::Worker;

/// Finds the stale accounts of a region and schedules a refresh of each.
#[docket::task]
async fn find_stale_accounts(region: String, docket: Docket) -> Result<usize, docket::Error> {
    // Pretend these came from a database query.
    let stale: Vec<u64> = (1..=5).map(|n| n * 100).collect();
    println!("  found {} stale accounts in {region}", stale.len());
    let refreshes = stale
        .iter()
        .map(|&account| refresh_account::schedule(&docket, account).key(format!("refresh:{account}")));
    // One round trip for the whole batch; keys make a second flood a no-op.
    docket.schedule_all(refreshes).await?;
    Ok(stale.len())
}

/// Refreshes one account.
#[docket::task]
async fn refresh_account(account: u64) {
    println!("  refreshed account {account}");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DOCKET_URL").unwrap_or_else(|_| "memory://find-and-flood".to_string());
    let docket = Docket::connect(&url).await?;
    let find = find_stale_accounts::schedule(&docket, "eu-west".into()).await?;
    Worker::builder(&docket).build()?.run_until_finished().await?;
    println!("flooded {} refreshes", find.result().await?);
    docket.close().await;
    Ok(())
}
