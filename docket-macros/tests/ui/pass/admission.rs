//! Every form of the admission controls compiles, and the descriptor carries them in the
//! order written.

#![deny(warnings)]

use std::time::Duration;

#[docket::task]
#[concurrency(max = 3)]
async fn per_task() {}

#[docket::task]
#[concurrency(arg = "customer_id", max = 1)]
#[concurrency(max = 2, scope = "tenants")]
#[concurrency(max = 5, arg = "customer_id", scope = "billing")]
#[concurrency(max = 10)]
async fn charge(customer_id: u64, amount: u32, docket: docket::Docket) {
    let _ = (customer_id, amount, docket);
}

#[docket::task]
#[cooldown("30s")]
#[cooldown("1h30m", arg = "user_id")]
async fn welcome(user_id: u64) {
    let _ = user_id;
}

#[docket::task]
#[debounce("5s")]
async fn reindex_all() {}

#[docket::task]
#[debounce("250ms", arg = "doc_id")]
async fn reindex(doc_id: String) {
    let _ = doc_id;
}

#[docket::task]
#[rate_limit(limit = 10, per = "1m")]
#[rate_limit(limit = 1, per = "1s", arg = "user_id")]
#[rate_limit(limit = 100, per = "1h", scope = "mail-api", drop)]
#[rate_limit(drop, scope = "mail-api", arg = "user_id", per = "1d", limit = 4294967295)]
async fn notify(user_id: u64, r#type: String) {
    let _ = (user_id, r#type);
}

#[docket::task]
#[retry(attempts = 3)]
#[concurrency(max = 1, arg = "type")]
#[cooldown("1m", arg = "type")]
#[timeout("10m")]
async fn mixed(r#type: String, timeout: docket::Timeout) {
    let _ = (r#type, timeout);
}

fn main() {
    let none = docket::behaviour::TaskOptions::new();
    assert!(!none.has_admission());

    let options = per_task::DESCRIPTOR.options();
    assert!(options.has_admission());
    assert_eq!(options.concurrency.len(), 1);
    let limit = options.concurrency[0];
    assert_eq!((limit.max, limit.arg, limit.scope), (3, None, None));
    assert!(options.cooldown.is_empty() && options.debounce.is_none() && options.rate_limit.is_empty());

    let limits: Vec<_> = charge::DESCRIPTOR
        .options()
        .concurrency
        .iter()
        .map(|limit| (limit.max, limit.arg, limit.scope))
        .collect();
    assert_eq!(
        limits,
        [
            (1, Some("customer_id"), None),
            (2, None, Some("tenants")),
            (5, Some("customer_id"), Some("billing")),
            (10, None, None),
        ]
    );

    let windows: Vec<_> = welcome::DESCRIPTOR
        .options()
        .cooldown
        .iter()
        .map(|cooldown| (cooldown.window, cooldown.arg))
        .collect();
    assert_eq!(
        windows,
        [
            (Duration::from_secs(30), None),
            (Duration::from_secs(5400), Some("user_id")),
        ]
    );

    let debounce = reindex_all::DESCRIPTOR.options().debounce.expect("a debounce");
    assert_eq!((debounce.window, debounce.arg), (Duration::from_secs(5), None));
    let debounce = reindex::DESCRIPTOR.options().debounce.expect("a debounce");
    assert_eq!(
        (debounce.window, debounce.arg),
        (Duration::from_millis(250), Some("doc_id"))
    );

    let limits: Vec<_> = notify::DESCRIPTOR
        .options()
        .rate_limit
        .iter()
        .map(|limit| (limit.limit, limit.per, limit.arg, limit.scope, limit.drop))
        .collect();
    assert_eq!(
        limits,
        [
            (10, Duration::from_secs(60), None, None, false),
            (1, Duration::from_secs(1), Some("user_id"), None, false),
            (100, Duration::from_secs(3600), None, Some("mail-api"), true),
            (u32::MAX, Duration::from_secs(86_400), Some("user_id"), Some("mail-api"), true),
        ]
    );

    // Next to the other behaviours; a raw parameter name is keyed by its name without `r#`.
    let options = mixed::DESCRIPTOR.options();
    assert!(options.retry.is_some() && options.timeout.is_some());
    assert_eq!(options.concurrency[0].arg, Some("type"));
    assert_eq!(options.cooldown[0].arg, Some("type"));

    let _ = |docket: &docket::Docket| {
        let _ = per_task::schedule(docket);
        let _ = charge::schedule(docket, 1, 100);
        let _ = welcome::schedule(docket, 1);
        let _ = reindex_all::schedule(docket);
        let _ = reindex::schedule(docket, "doc".into());
        let _ = notify::schedule(docket, 1, "mail".into());
        let _ = mixed::schedule(docket, "t".into());
    };
}
