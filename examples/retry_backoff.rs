//! Retries with exponential backoff: a flaky call fails three times, waiting 100 ms, 200 ms,
//! then 400 ms before the next attempt, and succeeds on the fourth.
//!
//! ```text
//! cargo run --example retry_backoff
//! ```

use std::time::Instant;

use docket::{Docket, Retry};
use docket_worker::Worker;

/// Calls a pretend service that is down for its first three calls.
#[docket::task]
#[retry(attempts = 5, exponential, min = "100ms", max = "1s")]
async fn call_service(endpoint: String, retry: Retry) -> Result<String, std::io::Error> {
    println!(
        "  attempt {} of {:?} calling {endpoint}",
        retry.attempt(),
        retry.attempts()
    );
    if retry.attempt() <= 3 {
        return Err(std::io::Error::other("503 service unavailable"));
    }
    Ok(format!("{endpoint} answered on attempt {}", retry.attempt()))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DOCKET_URL").unwrap_or_else(|_| "memory://retry-backoff".to_string());
    let docket = Docket::connect(&url).await?;
    let started = Instant::now();
    let call = call_service::schedule(&docket, "https://api.example.com/v1".into()).await?;
    Worker::builder(&docket).build()?.run_until_finished().await?;
    println!(
        "{} (after {:.1}s)",
        call.result().await?,
        started.elapsed().as_secs_f64()
    );
    docket.close().await;
    Ok(())
}
