#[docket::task]
#[perpetual(every = "5m", jitter = "1s")]
async fn tick() {}

fn main() {}
