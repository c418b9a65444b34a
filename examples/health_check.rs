//! A perpetual health check that checks more often while its service is down.
//!
//! `#[perpetual(every = "..")]` runs the task again after every run, success or failure; the
//! injected `Perpetual` handle changes the cadence of the next run. Runs on `memory://`; set
//! `DOCKET_URL=redis://…` to use Redis.
//!
//! ```text
//! cargo run --example health_check
//! ```

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use docket::{Docket, Perpetual, TaskContext};
use docket_worker::Worker;

/// How many checks have run (the pretend service is down for checks 3 to 5).
static CHECKS: AtomicU32 = AtomicU32::new(0);

/// Checks `service`; while it is down, checks again after 50 ms instead of 200 ms.
#[docket::task]
#[perpetual(every = "200ms")]
async fn health_check(service: String, perpetual: Perpetual, ctx: TaskContext) -> Result<(), String> {
    let check = CHECKS.fetch_add(1, Ordering::Relaxed) + 1;
    let healthy = !(3..=5).contains(&check);
    if healthy {
        println!(
            "  check {check}: {service} is healthy; next check in 200ms ({})",
            ctx.key()
        );
        return Ok(());
    }
    perpetual.set_every(Duration::from_millis(50));
    println!("  check {check}: {service} is DOWN; checking again in 50ms");
    // A failure does not end the chain: the next run is scheduled all the same.
    Err(format!("{service} did not answer"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DOCKET_URL").unwrap_or_else(|_| "memory://health-check".to_string());
    let docket = Docket::connect(&url).await?;
    health_check::schedule(&docket, "api.example.com".into())
        .key("health:api")
        .await?;
    println!("scheduled the health check of api.example.com (key health:api)");
    // A real worker would run it forever; this one stops after eight checks.
    let worker = Worker::builder(&docket).build()?;
    worker.run_at_most([("health:api", 8)]).await?;
    println!("ran {} checks", CHECKS.load(Ordering::Relaxed));
    docket.close().await;
    Ok(())
}
