use std::fmt;

#[docket::task]
async fn format() -> fmt::Result {
    Ok(())
}

fn main() {}
