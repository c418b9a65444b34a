#[docket::task]
#[rate_limit(limit = 0, per = "1m")]
async fn never() {}

fn main() {}
