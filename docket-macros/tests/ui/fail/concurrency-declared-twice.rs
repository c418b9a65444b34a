#[docket::task]
#[concurrency(arg = "customer_id", max = 1, scope = "billing")]
#[concurrency(max = 2)]
#[concurrency(scope = "billing", max = 3, arg = "customer_id")]
async fn charge(customer_id: u64) {
    let _ = customer_id;
}

fn main() {}
