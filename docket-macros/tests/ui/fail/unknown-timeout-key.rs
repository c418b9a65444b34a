#[docket::task]
#[timeout(after = "10m")]
async fn slow() {}

fn main() {}
