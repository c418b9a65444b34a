#[docket::task]
#[debounce]
async fn reindex() {}

fn main() {}
