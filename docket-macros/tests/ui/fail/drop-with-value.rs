#[docket::task]
#[rate_limit(limit = 10, per = "1m", drop = true)]
async fn call_api() {}

fn main() {}
