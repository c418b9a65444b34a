#[docket::task]
#[cooldown("30s", arg = "user_id")]
#[cooldown("1h")]
#[cooldown("1m", arg = "user_id")]
async fn welcome(user_id: u64) {
    let _ = user_id;
}

fn main() {}
