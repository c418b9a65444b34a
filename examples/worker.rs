//! A worker binary: it links the tasks it should run and hands over to the `docket` command
//! line, which discovers them.
//!
//! ```text
//! cargo run --example worker -- worker --url redis://127.0.0.1:6379/0
//! ```
//!
//! Tasks defined in other crates must be linked too: reference each task crate from the binary
//! (for instance `use my_tasks as _;`), or the linker drops it and its tasks vanish.

/// Resizes an image (pretend).
#[docket::task]
async fn resize_image(path: String, width: u32) -> Result<String, std::io::Error> {
    tracing::info!(%path, width, "resizing");
    Ok(format!("{path}@{width}w"))
}

/// Sends an email (pretend).
#[docket::task]
async fn send_email(to: String, subject: String) {
    tracing::info!(%to, %subject, "sending");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    docket_worker::main().await
}
