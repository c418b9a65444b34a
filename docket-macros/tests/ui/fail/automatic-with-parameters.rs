#[docket::task]
#[perpetual(every = "5m", automatic)]
async fn sweep(bucket: String, docket: docket::Docket) {
    let _ = (bucket, docket);
}

fn main() {}
