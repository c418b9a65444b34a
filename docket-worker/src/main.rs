//! The `docket` command. Linked with no task crates, its worker runs only the built-in tasks
//! (`docket.trace`, `docket.fail`, `docket.sleep`); to run yours, build your own binary that
//! calls `docket_worker::main()` and links your tasks.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    docket_worker::main().await
}
