struct Conn;

#[docket::task]
async fn report(day: u32, #[inject] conn: Conn) {
    let _ = (day, conn);
}

fn main() {}
