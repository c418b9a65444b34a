#[docket::task]
#[cooldown(window = "30s")]
async fn welcome() {}

fn main() {}
