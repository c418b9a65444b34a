#[docket::task]
#[retry(attempts = 5, exponential, min = "1m", max = "30s")]
async fn flaky() {}

fn main() {}
