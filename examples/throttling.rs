//! Cooldown, debounce and rate limits: repeated alerts are dropped, a burst of edits is
//! indexed once with the last version, and partner calls are spread to two a second.
//!
//! ```text
//! cargo run --example throttling
//! ```

use std::time::Instant;

use docket::{Disposition, Docket, Error};
use docket_worker::Worker;

/// Alerts a customer at most once a minute; repeats are dropped.
#[docket::task]
#[cooldown("1m", arg = "customer")]
async fn alert(customer: String, text: String) {
    println!("  alert to {customer}: {text}");
}

/// Indexes a document once its edits have been quiet for 200 ms.
#[docket::task]
#[debounce("200ms", arg = "document")]
async fn reindex(document: u64, version: u32) {
    println!("  reindexing document {document} at version {version}");
}

/// Calls a partner API at most twice in any second.
#[docket::task]
#[rate_limit(limit = 2, per = "1s")]
async fn call_partner(request: u32) {
    println!("  partner call {request}");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DOCKET_URL").unwrap_or_else(|_| "memory://throttling".to_string());
    let docket = Docket::connect(&url).await?;

    let first = alert::schedule(&docket, "acme".into(), "disk 91% full".into()).await?;
    let repeat = alert::schedule(&docket, "acme".into(), "disk 92% full".into()).await?;
    assert_eq!(first.disposition(), Disposition::Scheduled);
    if let Err(Error::Dropped { reason, .. }) = repeat.result().await {
        println!("second alert: {reason}");
    }

    let mut edits = Vec::new();
    for version in 1..=5 {
        edits.push(reindex::schedule(&docket, 42, version).await?);
    }

    let started = Instant::now();
    for request in 1..=5 {
        call_partner::schedule(&docket, request).await?;
    }
    Worker::builder(&docket).build()?.run_until_finished().await?;
    let mut dropped = 0;
    for edit in &edits {
        if let Err(Error::Dropped { .. }) = edit.result().await {
            dropped += 1;
        }
    }
    println!(
        "{dropped} of 5 edits were superseded; 5 partner calls took {:.1}s",
        started.elapsed().as_secs_f64()
    );
    docket.close().await;
    Ok(())
}
