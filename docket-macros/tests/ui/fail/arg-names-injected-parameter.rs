#[docket::task]
#[rate_limit(limit = 10, per = "1m", arg = "docket")]
async fn notify(user_id: u64, docket: docket::Docket) {
    let _ = (user_id, docket);
}

fn main() {}
