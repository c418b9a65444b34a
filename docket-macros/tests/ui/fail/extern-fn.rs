#[docket::task]
async extern "C" fn exported(n: u8) -> u8 {
    n
}

fn main() {}
