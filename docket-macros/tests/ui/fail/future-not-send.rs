use std::rc::Rc;

#[docket::task]
async fn holds_rc(n: u8) -> u8 {
    let rc = Rc::new(n);
    std::future::ready(()).await;
    *rc
}

fn main() {}
