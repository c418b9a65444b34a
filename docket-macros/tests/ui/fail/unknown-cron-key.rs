#[docket::task]
#[cron("@daily", timezone = "Europe/Paris")]
async fn report() {}

fn main() {}
