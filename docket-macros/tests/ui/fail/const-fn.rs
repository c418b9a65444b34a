#[docket::task]
const fn constant() -> u8 {
    1
}

fn main() {}
