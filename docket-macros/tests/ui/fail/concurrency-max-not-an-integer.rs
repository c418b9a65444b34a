#[docket::task]
#[concurrency(max = "3")]
async fn limited() {}

fn main() {}
