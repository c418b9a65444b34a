#[docket::task(name = orders.process)]
async fn unquoted() {}

fn main() {}
