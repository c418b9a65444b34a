#[docket::task]
#[rate_limit(limit = 10, per = "1s", per = "1m")]
async fn call_api() {}

fn main() {}
