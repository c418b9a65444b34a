// A non-async function is reported once; call sites of the task keep compiling.
#[docket::task]
fn not_async(n: u8) -> u8 {
    n
}

fn main() {
    let _ = not_async(1);
    let _ = |docket: &docket::Docket| {
        let _ = not_async::schedule(docket, 1);
    };
    let _: not_async::Task = not_async::Task;
}
