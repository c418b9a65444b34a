#[derive(Debug)]
struct Opaque;

#[docket::task]
async fn fails() -> Result<(), Opaque> {
    Err(Opaque)
}

fn main() {}
