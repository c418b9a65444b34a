use std::borrow::Cow;

#[docket::task]
async fn greet(name: Cow<'_, str>) {
    let _ = name;
}

fn main() {}
