#[docket::task(crate = "docket")]
async fn quoted() {}

fn main() {}
