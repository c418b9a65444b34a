#[docket::task]
async fn sum((a, b): (u8, u8)) -> u8 {
    a + b
}

fn main() {
    let _ = |docket: &docket::Docket| {
        let _ = sum::schedule(docket, (1, 2));
    };
}
