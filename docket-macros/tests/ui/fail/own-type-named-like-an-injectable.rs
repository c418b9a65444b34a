// A parameter whose type is named like one of docket's injectable types is injected, whatever
// the type is; name a type of your own through an alias to pass it to `schedule(..)`.
#[derive(serde::Serialize, serde::Deserialize)]
struct Retry {
    attempts: u32,
}

#[docket::task]
async fn configure(retry: Retry) {
    let _ = retry.attempts;
}

fn main() {}
