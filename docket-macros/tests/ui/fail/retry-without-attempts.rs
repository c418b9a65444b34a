#[docket::task]
#[retry(delay = "1s")]
async fn flaky() {}

fn main() {}
