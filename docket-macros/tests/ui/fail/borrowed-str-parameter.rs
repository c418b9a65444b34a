#[docket::task]
async fn greet(name: &str) {
    let _ = name;
}

fn main() {
    let _ = |docket: &docket::Docket| {
        let _ = greet::schedule(docket, "world");
    };
}
