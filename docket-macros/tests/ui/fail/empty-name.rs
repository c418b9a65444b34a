#[docket::task(name = "  ")]
async fn blank() {}

fn main() {}
