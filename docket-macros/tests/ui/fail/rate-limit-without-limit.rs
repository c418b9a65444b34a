#[docket::task]
#[rate_limit(per = "1m")]
async fn call_api() {}

fn main() {}
