//! The expansion is clean under strict lints: every generated public item is documented.

#![deny(
    warnings,
    clippy::all,
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms
)]

/// Tasks of this crate.
pub mod tasks {
    use serde::{Deserialize, Serialize};

    /// A public output.
    #[derive(Debug, Serialize, Deserialize)]
    pub struct Report {
        /// How many lines.
        pub lines: usize,
    }

    /// Builds a report.
    #[docket::task]
    pub async fn report(lines: Vec<String>) -> anyhow::Result<Report> {
        Ok(Report { lines: lines.len() })
    }

    /// Does nothing, publicly.
    #[docket::task(name = "tasks.nothing")]
    pub async fn nothing() {}

    /// Takes many arguments.
    #[docket::task]
    #[allow(clippy::too_many_arguments)]
    pub async fn many(a: u8, b: u8, c: u8, d: u8, e: u8, f: u8, g: u8, h: u8) -> u32 {
        [a, b, c, d, e, f, g, h].iter().map(|&x| u32::from(x)).sum()
    }

    /// Replaced by `report`: registering it is not a use of it.
    #[docket::task]
    #[deprecated(note = "use `report`")]
    pub async fn old_report() {}

    #[docket::task]
    pub(crate) async fn crate_only(docket: String) -> String {
        docket
    }
}

fn main() {
    let _ = |docket: &docket::Docket| {
        let _ = tasks::report::schedule(docket, vec![]);
        let _ = tasks::nothing::schedule(docket);
        let _ = tasks::many::schedule(docket, 1, 2, 3, 4, 5, 6, 7, 8);
        let _ = tasks::crate_only::schedule(docket, "d".into());
    };
}
