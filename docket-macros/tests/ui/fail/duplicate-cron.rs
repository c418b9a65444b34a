#[docket::task]
#[cron("0 9 * * 1")]
#[cron("@daily")]
async fn report() {}

fn main() {}
