#[docket::task]
async fn by_ref(ref name: String) {
    let _ = name;
}

fn main() {}
