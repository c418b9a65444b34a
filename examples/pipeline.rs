//! A chain: download → validate → process, each step scheduling the next with the injected
//! `Docket`, so each step is retried, timed and observed on its own.
//!
//! ```text
//! cargo run --example pipeline
//! ```

use docket::{Docket, TaskContext};
use docket_worker::Worker;

/// Downloads a file, then hands it to validation.
#[docket::task]
#[retry(attempts = 3, delay = "100ms")]
#[timeout("30s")]
async fn download(url: String, docket: Docket) -> Result<(), docket::Error> {
    let bytes = format!("contents of {url}").into_bytes();
    println!("  downloaded {url} ({} bytes)", bytes.len());
    validate::schedule(&docket, url.clone(), bytes)
        .key(format!("validate:{url}"))
        .await?;
    Ok(())
}

/// Checks a downloaded file, then hands it to processing.
#[docket::task]
async fn validate(url: String, bytes: Vec<u8>, docket: Docket) -> Result<(), String> {
    if bytes.is_empty() {
        return Err(format!("{url} is empty"));
    }
    println!("  validated {url}");
    process::schedule(&docket, url.clone(), bytes.len())
        .key(format!("process:{url}"))
        .await
        .map_err(|error| error.to_string())?;
    Ok(())
}

/// Processes a validated file.
#[docket::task]
async fn process(url: String, size: usize, ctx: TaskContext) -> String {
    println!("  processed {url} on {}", ctx.worker());
    format!("{url}: {size} bytes")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DOCKET_URL").unwrap_or_else(|_| "memory://pipeline".to_string());
    let docket = Docket::connect(&url).await?;
    for file in ["https://example.com/a.csv", "https://example.com/b.csv"] {
        download::schedule(&docket, file.into())
            .key(format!("download:{file}"))
            .await?;
    }
    Worker::builder(&docket).build()?.run_until_finished().await?;
    for file in ["https://example.com/a.csv", "https://example.com/b.csv"] {
        let info = docket.execution(&format!("process:{file}")).await?;
        println!("process:{file} ended {:?}", info.map(|info| info.state));
    }
    docket.close().await;
    Ok(())
}
