#[docket::task]
#[retry(attempts = 3, min = "1s")]
async fn flaky() {}

fn main() {}
