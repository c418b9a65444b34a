#[docket::task]
async fn greet(#[logged(redacted)] name: String) {
    let _ = name;
}

fn main() {}
