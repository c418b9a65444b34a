#[docket::task]
#[cooldown("30 seconds")]
async fn welcome() {}

fn main() {}
