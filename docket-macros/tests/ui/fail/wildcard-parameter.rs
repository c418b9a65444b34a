#[docket::task]
async fn ignore(_: u8) {}

fn main() {}
