#[docket::task]
async fn total(amounts: &[u64]) -> u64 {
    amounts.iter().sum()
}

fn main() {}
