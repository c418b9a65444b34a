struct Plain;

#[docket::task]
async fn takes_plain(plain: Plain) {
    let _ = plain;
}

fn main() {}
