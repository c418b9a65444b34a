#[docket::task]
#[cron("@daily", tz = "Mars/Olympus_Mons")]
async fn report() {}

fn main() {}
