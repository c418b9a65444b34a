#[docket::task]
#[perpetual(every = "5m")]
#[perpetual(every = "1h")]
async fn tick() {}

fn main() {}
