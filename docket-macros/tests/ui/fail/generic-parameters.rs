#[docket::task]
async fn generic<T: serde::Serialize>(value: T) {
    let _ = value;
}

fn main() {
    let _ = |docket: &docket::Docket| {
        let _ = generic::schedule(docket, 1u8);
    };
}
