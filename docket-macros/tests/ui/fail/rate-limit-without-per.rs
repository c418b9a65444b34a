#[docket::task]
#[rate_limit(limit = 10, drop)]
async fn call_api() {}

fn main() {}
