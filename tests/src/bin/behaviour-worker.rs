//! A worker binary for the process-level behaviour tests: an automatic perpetual task, a
//! perpetual task to kill mid-run (and a busy one to run beside it), a task with logged arguments and one limited to one run
//! per customer. Runs write their starts
//! and ends to the file named by `DOCKET_TEST_JOURNAL`, one line each:
//! `<start|end> <task> <unix ms> <pid>`.

use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn journal(event: &str, task: &str) {
    let Ok(path) = std::env::var("DOCKET_TEST_JOURNAL") else {
        return;
    };
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis());
    let line = format!("{event} {task} {ms} {}\n", std::process::id());
    // One short append per line: lines of several processes do not interleave.
    if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        let _ = file.write_all(line.as_bytes());
    }
}

/// Seeded by the workers; takes 20 ms of its 50 ms cadence.
#[docket::task]
#[perpetual(every = "50ms", automatic)]
async fn pulse() {
    journal("start", "pulse");
    tokio::time::sleep(Duration::from_millis(20)).await;
    journal("end", "pulse");
}

/// A perpetual task that takes `millis` per run.
#[docket::task]
#[perpetual(every = "20ms")]
async fn beat(millis: u64) {
    journal("start", "beat");
    tokio::time::sleep(Duration::from_millis(millis)).await;
    journal("end", "beat");
}

/// A perpetual task that does nothing, every 20 ms: many chains of it keep scheduled work
/// falling due all the time, so a worker takes due work directly.
#[docket::task]
#[perpetual(every = "20ms")]
async fn tick(chain: u64) {
    let _ = chain;
}

/// Logs from inside its body; only `order_id` and the number of `lines` may be logged.
#[docket::task]
async fn charge(#[logged] order_id: u64, #[logged(length_only)] lines: Vec<String>, card: String) {
    let _ = (lines, card);
    tracing::info!(order_id, "charging");
}

/// At most one run per customer across every process; takes 15 ms.
#[docket::task]
#[concurrency(arg = "customer", max = 1)]
async fn visit(customer: u64) {
    let name = format!("visit-{customer}");
    journal("start", &name);
    tokio::time::sleep(Duration::from_millis(15)).await;
    journal("end", &name);
}

/// Fails once, then succeeds.
#[docket::task]
#[retry(attempts = 2, delay = "10ms")]
async fn declines_once(retry: docket::Retry) -> Result<(), String> {
    if retry.attempt() == 1 {
        return Err("card declined".into());
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    docket_worker::main().await
}
