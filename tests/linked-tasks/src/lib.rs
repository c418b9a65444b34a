//! Tasks defined in a library crate, as a real application would keep them. The
//! `test-worker` binary never calls anything in here: it only links the crate.

/// Shouts `text` back.
#[docket::task]
pub async fn shout(text: String) -> String {
    text.to_uppercase()
}
