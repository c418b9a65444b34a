#[docket::task]
#[debounce("0ms", arg = "doc_id")]
async fn reindex(doc_id: u64) {
    let _ = doc_id;
}

fn main() {}
