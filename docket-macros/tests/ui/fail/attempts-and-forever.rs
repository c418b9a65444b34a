#[docket::task]
#[retry(attempts = 3, forever)]
async fn flaky() {}

fn main() {}
