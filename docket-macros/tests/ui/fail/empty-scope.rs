#[docket::task]
#[concurrency(max = 2, scope = "")]
async fn limited() {}

fn main() {}
