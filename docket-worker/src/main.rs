//! The `docket` command. Linked with no task crates it can still print its version; to run a
//! worker, build your own binary that calls `docket_worker::main()` and links your tasks.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    docket_worker::main().await
}
