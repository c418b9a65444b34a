//! A cron task in a time zone: a report every weekday at 09:00 in New York, daylight saving
//! time included. Workers seed cron tasks themselves (under the task's name) for their next
//! match; this example shows the next matches and the seeded run, then stops.
//!
//! ```text
//! cargo run --example cron_timezone
//! ```

use std::time::{Duration, SystemTime};

use docket::Docket;
use docket_worker::Worker;

/// The weekday morning report.
#[docket::task]
#[cron("0 9 * * 1-5", tz = "America/New_York")]
async fn morning_report() {
    println!("  sending the morning report");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DOCKET_URL").unwrap_or_else(|_| "memory://cron-timezone".to_string());
    let docket = Docket::connect(&url).await?;

    let cron = morning_report::DESCRIPTOR
        .options()
        .cron
        .expect("morning_report is a cron task");
    println!(
        "`{}` in {}: the next five runs (UTC)",
        cron.expression,
        cron.timezone.unwrap_or("UTC")
    );
    let mut after = SystemTime::now();
    for _ in 0..5 {
        let Some(next) = cron.next_after(after) else { break };
        println!("  {}", unix_seconds(next));
        after = next;
    }

    let worker = Worker::builder(&docket).build()?;
    let stop = worker.shutdown_handle();
    let running = tokio::spawn(async move { worker.run_forever().await });
    // The worker seeds the task before its first claim.
    let seeded = loop {
        if let Some(info) = docket.execution("morning_report").await? {
            break info;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    println!(
        "seeded `morning_report`: {:?}, due {}",
        seeded.state,
        unix_seconds(seeded.when)
    );
    stop.shutdown();
    running.await??;
    docket.close().await;
    Ok(())
}

/// A time as seconds since the Unix epoch (no date crate needed for the example).
fn unix_seconds(time: SystemTime) -> String {
    let seconds = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    format!(
        "unix {seconds} (day {}, {:02}:{:02} UTC)",
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60
    )
}
