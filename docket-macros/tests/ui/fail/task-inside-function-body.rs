// A module can't see the items of a function body, so tasks live at module level.
fn main() {
    #[docket::task]
    async fn local(n: u8) -> u8 {
        n
    }
}
