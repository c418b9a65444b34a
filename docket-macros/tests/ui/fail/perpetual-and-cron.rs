#[docket::task]
#[perpetual(every = "1h")]
#[cron("@hourly")]
async fn tick() {}

fn main() {}
