//! The quickstart: schedule immediate, delayed and keyed tasks and run them with an
//! in-process worker. Runs on the embedded `memory://` backend; set `DOCKET_URL=redis://…`
//! to use Redis instead.
//!
//! ```text
//! cargo run --example quickstart
//! ```

use std::time::{Duration, Instant};

use docket::{Disposition, Docket};
use docket_worker::Worker;

/// Greets someone and returns the greeting.
#[docket::task]
async fn greet(name: String) -> String {
    println!("  greet({name:?}) is running");
    format!("Hello, {name}!")
}

/// Sends a (pretend) reminder.
#[docket::task]
async fn send_reminder(user: String, message: String) {
    println!("  send_reminder({user:?}) is running: {message}");
}

/// Builds the nightly report: a keyed task, so it is scheduled at most once at a time.
#[docket::task]
async fn nightly_report(day: u32) -> Result<u64, std::io::Error> {
    println!("  nightly_report(day {day}) is running");
    Ok(u64::from(day) * 1_000)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DOCKET_URL").unwrap_or_else(|_| "memory://quickstart".to_string());
    let docket = Docket::connect(&url).await?;
    println!("docket connected to {url}");

    let started = Instant::now();
    let greeting = greet::schedule(&docket, "world".into()).await?;
    println!("scheduled greet now            (key {})", greeting.key());

    send_reminder::schedule(&docket, "ada".into(), "stand-up in 5 minutes".into())
        .after(Duration::from_millis(500))
        .await?;
    println!("scheduled send_reminder in 0.5s");

    let report = nightly_report::schedule(&docket, 24).key("report-day-24").await?;
    let duplicate = nightly_report::schedule(&docket, 24).key("report-day-24").await?;
    println!(
        "scheduled nightly_report        (key report-day-24: {:?})",
        report.disposition()
    );
    assert_eq!(duplicate.disposition(), Disposition::AlreadyScheduled);
    println!(
        "scheduled it again              (key report-day-24: {:?})",
        duplicate.disposition()
    );

    println!("running a worker until every task has run:");
    let worker = Worker::builder(&docket).concurrency(4).build()?;
    worker.run_until_finished().await?;

    println!("greet returned {:?}", greeting.result().await?);
    println!("nightly_report returned {}", report.result().await?);
    println!("done in {:.2}s", started.elapsed().as_secs_f64());
    Ok(())
}
