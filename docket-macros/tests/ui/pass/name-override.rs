//! `name = "..."` changes the registered name, not the Rust names.

#[docket::task(name = "orders.process")]
async fn process_order(order_id: u64) {
    let _ = order_id;
}

fn main() {
    assert_eq!(process_order::NAME, "orders.process");
    assert_eq!(<process_order::Task as docket::Task>::NAME, "orders.process");
    let _ = |docket: &docket::Docket| {
        let _ = process_order::schedule(docket, 1);
    };
}
