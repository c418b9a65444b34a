//! The names the Redis backend stores, defined once: the fields of an execution record, of a
//! ready-stream entry, of a dead letter and of a worker's hash, the state codes and the
//! outcome kinds the completion script reads.
//!
//! The Lua scripts get every one of them from the prelude [`lua_prelude`] generates (as
//! `F_STATE`, `S_RUNNING`, `O_COMPLETED`, …), and `parse.rs` reads replies with the same
//! constants, so a name cannot be spelled two ways.

use crate::execution::ExecutionState;

/// The fields of an execution record (one hash per execution).
pub mod record {
    /// The state code (see [`ExecutionState::code`](crate::ExecutionState::code)).
    pub const STATE: &str = "s";
    /// The generation, bumped by every (re)schedule.
    pub const GENERATION: &str = "g";
    /// The id of the ready-stream entry that may run it (empty while scheduled).
    pub const ENTRY: &str = "i";
    /// The task name.
    pub const TASK: &str = "f";
    /// The MessagePack argument map.
    pub const ARGS: &str = "a";
    /// The due time (ms).
    pub const DUE: &str = "w";
    /// The attempt number.
    pub const ATTEMPT: &str = "n";
    /// Present while someone watches the execution: transitions publish events.
    pub const WATCHED: &str = "x";
    /// The worker running (or that ran) it.
    pub const WORKER: &str = "k";
    /// When the last run started (ms).
    pub const STARTED: &str = "t0";
    /// When it ended (ms).
    pub const COMPLETED: &str = "t1";
    /// The encoded result.
    pub const RESULT: &str = "r";
    /// The error message.
    pub const ERROR: &str = "e";
    /// The error's type name.
    pub const ERROR_TYPE: &str = "et";
    /// How many times the current attempt was delivered.
    pub const DELIVERIES: &str = "d";
    /// The concurrency limits its runs must hold: a MessagePack array of
    /// `[holders key, waiters key, max]` (absent: none).
    pub const LIMITS: &str = "l";
    /// The rate limits its runs must pass to start: a MessagePack array of
    /// `[key, limit, per (ms), drop (0 or 1), reason]` (absent: none).
    pub const RATES: &str = "q";
    /// Present when this filing is a retry or a perpetual's next run, which a rate limit never
    /// drops.
    pub const SUCCESSOR: &str = "u";
    /// The running execution's progress: units done (present once its run reported any, and
    /// removed with the other progress fields when the run ends).
    pub const PROGRESS_CURRENT: &str = "pc";
    /// The running execution's progress: units in all (absent until the run says).
    pub const PROGRESS_TOTAL: &str = "pt";
    /// The running execution's progress: its message (absent when it has none).
    pub const PROGRESS_MESSAGE: &str = "pm";

    /// Every field, with the Lua name the prelude gives it.
    pub(super) const ALL: [(&str, &str); 21] = [
        ("F_STATE", STATE),
        ("F_GENERATION", GENERATION),
        ("F_ENTRY", ENTRY),
        ("F_TASK", TASK),
        ("F_ARGS", ARGS),
        ("F_DUE", DUE),
        ("F_ATTEMPT", ATTEMPT),
        ("F_WATCHED", WATCHED),
        ("F_WORKER", WORKER),
        ("F_STARTED", STARTED),
        ("F_COMPLETED", COMPLETED),
        ("F_RESULT", RESULT),
        ("F_ERROR", ERROR),
        ("F_ERROR_TYPE", ERROR_TYPE),
        ("F_DELIVERIES", DELIVERIES),
        ("F_LIMITS", LIMITS),
        ("F_RATES", RATES),
        ("F_SUCCESSOR", SUCCESSOR),
        ("F_PROGRESS_CURRENT", PROGRESS_CURRENT),
        ("F_PROGRESS_TOTAL", PROGRESS_TOTAL),
        ("F_PROGRESS_MESSAGE", PROGRESS_MESSAGE),
    ];
}

/// The field of a ready-stream entry: the execution key.
pub const ENTRY_KEY: &str = "k";

/// The fields of a dead letter (an entry of the dead-letter stream).
pub mod dead {
    /// The execution key.
    pub const KEY: &str = "k";
    /// The task name.
    pub const TASK: &str = "f";
    /// The argument map (empty when it was too large to keep).
    pub const ARGS: &str = "a";
    /// The size of the argument map as scheduled.
    pub const ARGS_SIZE: &str = "as";
    /// The error message.
    pub const ERROR: &str = "e";
    /// The error's type name.
    pub const ERROR_TYPE: &str = "et";
    /// When it was dead-lettered (ms).
    pub const AT: &str = "t";
    /// The bytes it counts for against the byte budget.
    pub const SIZE: &str = "sz";

    /// Every field, with the Lua name the prelude gives it.
    pub(super) const ALL: [(&str, &str); 8] = [
        ("D_KEY", KEY),
        ("D_TASK", TASK),
        ("D_ARGS", ARGS),
        ("D_ARGS_SIZE", ARGS_SIZE),
        ("D_ERROR", ERROR),
        ("D_ERROR_TYPE", ERROR_TYPE),
        ("D_AT", AT),
        ("D_SIZE", SIZE),
    ];
}

/// The fields of a worker's hash.
pub mod worker {
    /// The instance (one run of a worker process).
    pub const INSTANCE: &str = "instance";
    /// Its last heartbeat (ms).
    pub const SEEN: &str = "seen";
    /// The names of its tasks, one per line.
    pub const TASKS: &str = "tasks";

    /// Every field, with the Lua name the prelude gives it.
    pub(super) const ALL: [(&str, &str); 3] =
        [("W_INSTANCE", INSTANCE), ("W_SEEN", SEEN), ("W_TASKS", TASKS)];
}

/// What a worker reports about one delivery to the completion script.
pub mod outcome {
    /// Completed, with its result.
    pub const COMPLETED: &str = "c";
    /// Failed, with its error.
    pub const FAILED: &str = "f";
    /// Failed and dead-lettered.
    pub const DEAD_LETTER: &str = "d";
    /// Run again as a new attempt.
    pub const REQUEUE: &str = "r";
    /// Offered again later, due time and attempt kept.
    pub const POSTPONE: &str = "p";
    /// Interrupted: nothing is written.
    pub const INTERRUPTED: &str = "x";
    /// Ended unrun: CANCELLED with a reason (struck).
    pub const CANCELLED: &str = "k";
    /// A chain's run skipped unrun (struck): the next run as a requeue, the start not counted.
    pub const SKIPPED: &str = "s";

    /// Every kind, with the Lua name the prelude gives it.
    pub(super) const ALL: [(&str, &str); 8] = [
        ("O_COMPLETED", COMPLETED),
        ("O_FAILED", FAILED),
        ("O_DEAD_LETTER", DEAD_LETTER),
        ("O_REQUEUE", REQUEUE),
        ("O_POSTPONE", POSTPONE),
        ("O_INTERRUPTED", INTERRUPTED),
        ("O_CANCELLED", CANCELLED),
        ("O_SKIPPED", SKIPPED),
    ];
}

/// The hash of a docket's strike rules: one field per rule, named by the rule's canonical
/// encoding (a MessagePack array, so never this name), valued with when it was added (ms);
/// and this field, the version every change bumps.
pub const STRIKES_VERSION: &str = "v";

/// What the schedule script answers per task.
pub mod disposition {
    /// Scheduled (or replaced).
    pub const SCHEDULED: i64 = 1;
    /// Already scheduled, queued or running: nothing changed.
    pub const ALREADY_SCHEDULED: i64 = 2;
    /// Dropped by a cooldown.
    pub const DROPPED: i64 = 3;
}

/// What an event carries in place of a state code when it reports progress
/// (`[key, PROGRESS_EVENT, current, total or false, message or false]`); no state has it.
pub const PROGRESS_EVENT: u8 = 0;

/// The states, with the Lua name the prelude gives their codes.
const STATES: [(&str, ExecutionState); 6] = [
    ("S_SCHEDULED", ExecutionState::Scheduled),
    ("S_QUEUED", ExecutionState::Queued),
    ("S_RUNNING", ExecutionState::Running),
    ("S_COMPLETED", ExecutionState::Completed),
    ("S_FAILED", ExecutionState::Failed),
    ("S_CANCELLED", ExecutionState::Cancelled),
];

/// The Lua prelude every script starts with: the names above, and the limits and error type
/// names the scripts share with the client.
pub fn lua_prelude(limits: &[(&str, usize)], texts: &[(&str, &str)]) -> String {
    let mut lua = String::from("-- Generated from Rust (backend/redis/schema.rs); do not edit.\n");
    let strings = record::ALL
        .iter()
        .chain(dead::ALL.iter())
        .chain(worker::ALL.iter())
        .chain(outcome::ALL.iter())
        .chain([("E_KEY", ENTRY_KEY), ("STRIKES_VERSION", STRIKES_VERSION)].iter());
    for (name, value) in strings {
        lua.push_str(&format!("local {name} = '{value}'\n"));
    }
    for (name, state) in STATES {
        lua.push_str(&format!("local {name} = {}\n", state.code()));
    }
    lua.push_str(&format!(
        "local D_SCHEDULED = {}\nlocal D_ALREADY_SCHEDULED = {}\nlocal D_DROPPED = {}\n",
        disposition::SCHEDULED,
        disposition::ALREADY_SCHEDULED,
        disposition::DROPPED
    ));
    lua.push_str(&format!("local V_PROGRESS = {PROGRESS_EVENT}\n"));
    for (name, value) in limits {
        lua.push_str(&format!("local {name} = {value}\n"));
    }
    for (name, value) in texts {
        lua.push_str(&format!("local {name} = '{value}'\n"));
    }
    lua
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_within_each_structure() {
        for names in [
            record::ALL.iter().map(|(_, v)| *v).collect::<Vec<_>>(),
            dead::ALL.iter().map(|(_, v)| *v).collect(),
            outcome::ALL.iter().map(|(_, v)| *v).collect(),
        ] {
            let mut sorted = names.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), names.len(), "{names:?}");
        }
    }

    #[test]
    fn every_script_spells_stored_names_only_through_the_prelude() {
        // A quoted one- or two-letter name in a script is almost certainly a field spelled by
        // hand: the prelude's names must be used instead.
        for (name, source) in super::super::scripts::sources() {
            for (line_no, line) in source.lines().enumerate() {
                let code = line.split("--").next().unwrap_or("");
                for quoted in code.split('\'').skip(1).step_by(2) {
                    let suspicious = !quoted.is_empty()
                        && quoted.len() <= 2
                        && quoted
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
                    assert!(
                        !suspicious,
                        "{name}.lua:{}: `'{quoted}'` looks like a stored name spelled by hand",
                        line_no + 1
                    );
                }
            }
        }
    }
}
