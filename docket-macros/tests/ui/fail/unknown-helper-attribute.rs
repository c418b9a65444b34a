// Helper attributes are not implemented yet: they stay on the function, where rustc reports
// them, and the task itself still compiles.
#[docket::task]
#[retry(attempts = 3)]
async fn flaky(n: u8) -> u8 {
    n
}

fn main() {
    let _ = |docket: &docket::Docket| {
        let _ = flaky::schedule(docket, 1);
    };
}
