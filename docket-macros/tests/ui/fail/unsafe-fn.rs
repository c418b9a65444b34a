#[docket::task]
async unsafe fn dangerous(n: u8) -> u8 {
    n
}

fn main() {}
