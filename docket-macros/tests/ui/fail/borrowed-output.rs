#[docket::task]
async fn greeting() -> &'static str {
    "hello"
}

fn main() {}
