#[docket::task]
#[rate_limit(limit = 10, per = "1m", burst = 20)]
async fn call_api() {}

fn main() {}
