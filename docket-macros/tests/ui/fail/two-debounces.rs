#[docket::task]
#[debounce("5s")]
#[debounce("1m", arg = "doc_id")]
async fn reindex(doc_id: u64) {
    let _ = doc_id;
}

fn main() {}
