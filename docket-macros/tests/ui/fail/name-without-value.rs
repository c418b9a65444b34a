#[docket::task(name)]
async fn nameless() {}

fn main() {}
