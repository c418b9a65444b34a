#[docket::task]
#[concurrency(max = 3, max = 5)]
async fn limited() {}

fn main() {}
