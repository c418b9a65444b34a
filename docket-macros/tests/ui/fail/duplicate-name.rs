#[docket::task(name = "first", name = "second")]
async fn twice() {}

fn main() {
    assert_eq!(twice::NAME, "first");
}
