#[docket::task]
#[retry(attempts = 3, delay = "5 seconds")]
async fn flaky() {}

fn main() {}
