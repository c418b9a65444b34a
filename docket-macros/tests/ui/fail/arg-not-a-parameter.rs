#[docket::task]
#[concurrency(arg = "customer", max = 1)]
async fn charge(customer_id: u64, region: String, docket: docket::Docket) {
    let _ = (customer_id, region, docket);
}

fn main() {}
