//! `memory://[name]` URLs and the process-wide table of open in-memory dockets.
//!
//! Producers and workers of one process each open the docket by URL; they must meet in the
//! same state, as they would meet in the same Redis. The table holds only weak references, so
//! a docket's state lives exactly as long as some handle on it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};

use super::Shared;
use crate::docket::redact;
use crate::error::{Error, Result};

/// The URL scheme of the in-memory backend, with its separator.
const PREFIX: &str = "memory://";

/// Open dockets by (URL name, docket name).
type Table = HashMap<(String, String), Weak<Shared>>;

fn table() -> &'static Mutex<Table> {
    static TABLE: OnceLock<Mutex<Table>> = OnceLock::new();
    TABLE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The name in a `memory://[name]` URL (empty for `memory://`).
pub(super) fn url_name(url: &str) -> Result<&str> {
    let invalid = |reason: &str| Error::InvalidUrl {
        url: redact(url),
        reason: reason.to_string(),
    };
    let name = url
        .strip_prefix(PREFIX)
        .ok_or_else(|| invalid("expected `memory://` or `memory://NAME`"))?;
    if name.contains(['/', '?', '#']) {
        return Err(invalid(
            "a memory URL is `memory://` or `memory://NAME`: nothing may follow the name \
             (no path, query or fragment)",
        ));
    }
    if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(
            "the name of a memory URL may not contain spaces or control characters",
        ));
    }
    Ok(name)
}

/// The state of the docket `docket` behind the URL name `url_name`, shared with every other
/// open handle on it, or a fresh one.
pub(super) fn attach(url_name: &str, docket: &str) -> Arc<Shared> {
    let mut table = table().lock().unwrap_or_else(PoisonError::into_inner);
    table.retain(|_, shared| shared.strong_count() > 0);
    let id = (url_name.to_string(), docket.to_string());
    if let Some(shared) = table.get(&id).and_then(Weak::upgrade) {
        return shared;
    }
    let shared = Arc::new(Shared::new());
    table.insert(id, Arc::downgrade(&shared));
    shared
}
