#[docket::task]
#[rate_limit(limit = 10, per = "60s")]
#[rate_limit(limit = 100, per = "1h")]
#[rate_limit(limit = 5, per = "1m", drop)]
async fn call_api() {}

fn main() {}
