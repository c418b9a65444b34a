//! # docket-worker
//!
//! The worker runtime of [`docket`]: it discovers every `#[docket::task]` linked into
//! the binary, claims ready work from the docket, runs it under a concurrency cap, records
//! outcomes in batches, moves due scheduled work, renews its leases and takes over work that
//! dead workers left behind.
//!
//! A worker binary is a `main` that links the crates defining your tasks:
//!
//! ```no_run
//! #[tokio::main]
//! async fn main() -> anyhow::Result<()> {
//!     docket_worker::main().await
//! }
//! ```
//!
//! Or embed a worker in your own process, and stop it gracefully with its
//! [`ShutdownHandle`]:
//!
//! ```no_run
//! # async fn run() -> Result<(), docket_worker::Error> {
//! let docket = docket::Docket::connect("memory://").await?;
//! let worker = docket_worker::Worker::builder(&docket).concurrency(16).build()?;
//! let stop = worker.shutdown_handle();
//! let running = tokio::spawn(async move { worker.run_forever().await });
//! // … later: claim nothing more, finish what runs, release the rest.
//! stop.shutdown();
//! running.await.expect("the worker task")?;
//! docket.close().await;
//! # Ok(()) }
//! ```
//!
//! ## Shared state, automatic tasks, bounded runs
//!
//! `WorkerBuilder::state(value)` shares a value with every run: tasks take it as a
//! `docket::State<T>` parameter, and `docket::FromContext` implementations read it with
//! `TaskContext::state`. Workers seed automatic tasks (`#[perpetual(.., automatic)]` and
//! `#[cron(..)]`) under their names before their first claim and every
//! `automatic_reseed_interval`; `schedule_automatic_tasks(false)` turns that off.
//! `run_until_finished` ends perpetual chains after their current run; `run_at_most` runs
//! chosen keys a bounded number of times, for tests:
//!
//! ```no_run
//! # async fn run(docket: &docket::Docket) -> Result<(), docket_worker::Error> {
//! let worker = docket_worker::Worker::builder(docket).build()?;
//! worker.run_at_most([("health:api", 3)]).await?;
//! # Ok(()) }
//! ```
//!
//! ## Task discovery and the linker
//!
//! Tasks register themselves through `inventory` when their crate is linked. A library crate
//! that the binary never references is not linked at all, and its tasks silently vanish. Pull
//! each task crate in explicitly, e.g. with `use my_tasks as _;` in the binary's `main.rs`, and
//! check the task list the worker logs at start-up.

mod automatic;
mod cli;
mod completer;
mod handle;
mod lease;
mod runner;
mod scheduler;
mod shutdown;
mod worker;

pub use crate::cli::{main, main_with_args};
pub use crate::handle::ShutdownHandle;
pub use crate::worker::{Worker, WorkerBuilder};
pub use docket::parse_duration;

/// The README's Rust examples, compiled as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// Errors of the worker runtime.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error from the docket client or its backend.
    #[error(transparent)]
    Docket(#[from] docket::Error),
    /// The worker could not install its signal handlers.
    #[error("cannot listen for shutdown signals: {0}")]
    Signals(#[from] std::io::Error),
}
