#[docket::task]
#[timeout("10m")]
#[timeout("1h")]
async fn slow() {}

fn main() {}
