#[docket::task]
#[retry(attempts = 3, delay = "1s")]
#[retry(forever, exponential)]
async fn flaky() {}

fn main() {}
