#[docket::task]
#[cooldown(arg = "user_id")]
async fn welcome(user_id: u64) {
    let _ = user_id;
}

fn main() {}
