struct Plain;

#[docket::task]
async fn plain() -> Plain {
    Plain
}

fn main() {}
