#[docket::task]
async fn variadic(n: u8, rest: ...) {
    let _ = n;
}

fn main() {}
