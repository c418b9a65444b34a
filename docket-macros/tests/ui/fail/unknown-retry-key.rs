#[docket::task]
#[retry(attempts = 3, backoff = "1s")]
async fn flaky() {}

fn main() {}
