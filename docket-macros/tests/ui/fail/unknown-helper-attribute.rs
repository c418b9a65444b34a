// Attributes that are not docket's helpers stay on the function, where rustc reports them,
// and the task itself still compiles.
#[docket::task]
#[throttle(max = 1)]
async fn limited(n: u8) -> u8 {
    n
}

fn main() {
    let _ = |docket: &docket::Docket| {
        let _ = limited::schedule(docket, 1);
    };
}
