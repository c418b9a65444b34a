#[docket::task]
#[concurrency(max = 4294967296)]
async fn limited() {}

fn main() {}
