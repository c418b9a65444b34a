#[docket::task]
#[cooldown("0s")]
async fn welcome() {}

fn main() {}
