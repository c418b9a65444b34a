#[docket::task]
async fn opaque() -> impl serde::Serialize {
    1u8
}

fn main() {}
