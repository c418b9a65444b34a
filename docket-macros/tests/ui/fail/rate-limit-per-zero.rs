#[docket::task]
#[rate_limit(limit = 10, per = "0s")]
async fn call_api() {}

fn main() {}
