#[docket::task]
async fn once(perpetual: docket::Perpetual) {
    perpetual.cancel();
}

fn main() {}
