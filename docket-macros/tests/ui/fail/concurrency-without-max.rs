#[docket::task]
#[concurrency(arg = "customer_id")]
async fn charge(customer_id: u64) {
    let _ = customer_id;
}

fn main() {}
