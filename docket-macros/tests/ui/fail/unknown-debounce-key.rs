#[docket::task]
#[debounce("5s", scope = "search")]
async fn reindex() {}

fn main() {}
