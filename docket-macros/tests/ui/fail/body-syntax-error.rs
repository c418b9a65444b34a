// The body is not parsed by the macro: rustc reports its syntax error, and the task's module
// is still generated.
#[docket::task]
async fn broken(n: u8) -> u8 {
    let x = ;
    n
}

fn main() {
    let _ = |docket: &docket::Docket| {
        let _ = broken::schedule(docket, 1);
    };
}
