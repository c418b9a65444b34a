#[docket::task]
async fn unbounded(timeout: docket::Timeout) {
    timeout.extend_by_base();
}

fn main() {}
