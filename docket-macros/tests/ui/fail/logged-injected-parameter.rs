#[docket::task]
async fn follow_up(#[logged] docket: docket::Docket, order_id: u64) {
    let _ = (docket, order_id);
}

fn main() {
    // The stub still takes only the serialized parameter.
    let _ = |docket: &docket::Docket| {
        let _ = follow_up::schedule(docket, 1);
    };
}
