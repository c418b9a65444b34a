#[docket::task]
#[cron("0 9 * * 1")]
async fn weekly_report(team: String, docket: docket::Docket) {
    let _ = (team, docket);
}

fn main() {}
