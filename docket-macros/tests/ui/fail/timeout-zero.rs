#[docket::task]
#[timeout("0s")]
async fn instant() {}

fn main() {}
