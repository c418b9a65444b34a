#[docket::task]
#[cron("0 9 * *")]
async fn report() {}

fn main() {}
