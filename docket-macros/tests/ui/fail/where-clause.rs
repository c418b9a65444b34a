#[docket::task]
async fn bounded(n: u8)
where
    u8: Copy,
{
    let _ = n;
}

fn main() {}
