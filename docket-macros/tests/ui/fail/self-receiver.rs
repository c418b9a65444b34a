struct Orders;

impl Orders {
    fn helper(&self) {}
}

#[docket::task]
async fn process(&self, id: u64) {
    let _ = id;
}

fn main() {
    Orders.helper();
}
