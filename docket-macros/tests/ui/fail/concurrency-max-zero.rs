#[docket::task]
#[concurrency(max = 0)]
async fn never() {}

fn main() {}
