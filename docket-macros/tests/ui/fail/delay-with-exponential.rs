#[docket::task]
#[retry(attempts = 3, exponential, delay = "1s")]
async fn flaky() {}

fn main() {}
