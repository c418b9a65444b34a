#[docket::task]
#[retry(attempts = 0)]
async fn flaky() {}

fn main() {}
