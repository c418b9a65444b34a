//! The Lua scripts, one per state transition, each loaded once and run by SHA.

use fred::clients::Client;
use fred::interfaces::LuaInterface;
use fred::types::scripts::Script;
use fred::types::{FromValue, Value};

use super::schema;
use crate::error::Result;

/// The source of each script, by name.
macro_rules! sources {
    ($($name:literal),* $(,)?) => {
        /// Every script's own source (without the prelude and the shared helpers), by name.
        #[cfg(test)]
        pub fn sources() -> Vec<(&'static str, &'static str)> {
            vec![
                ("common", include_str!("scripts/common.lua")),
                $(($name, include_str!(concat!("scripts/", $name, ".lua"))),)*
            ]
        }
    };
}

sources!(
    "schedule",
    "start",
    "complete",
    "cancel",
    "move_due",
    "watch",
    "clear",
    "renew",
    "leave",
    "prune_consumers",
    "release",
    "heartbeat",
    "workers",
    "progress",
    "strike",
    "remove_dead",
);

/// A script's source with the generated prelude and the shared helpers of `common.lua`
/// prepended.
macro_rules! script {
    ($name:literal) => {
        LuaScript::new(
            $name,
            format!(
                "{}{}{}",
                prelude(),
                include_str!("scripts/common.lua"),
                include_str!(concat!("scripts/", $name, ".lua"))
            ),
        )
    };
}

/// What every script sees first: the stored names (see `schema.rs`), and the limits and error
/// types the scripts share with the client, all defined once in Rust.
fn prelude() -> String {
    schema::lua_prelude(
        &[
            ("MAX_EVENT_RESULT", super::MAX_EVENT_RESULT),
            ("DEAD_LETTER_CAP", crate::backend::DEAD_LETTER_CAP),
            ("DEAD_LETTER_BYTES", crate::backend::DEAD_LETTER_BYTES),
            ("DEAD_LETTER_ARGS", crate::backend::DEAD_LETTER_ARGS),
        ],
        &[
            ("TOO_MANY_DELIVERIES", crate::backend::TOO_MANY_DELIVERIES),
            ("MALFORMED_ENTRY", super::MALFORMED_ENTRY),
            ("DROPPED", crate::backend::DROPPED),
        ],
    )
}

/// One Lua script with its source compiled in.
pub struct LuaScript {
    name: &'static str,
    script: Script,
}

impl LuaScript {
    fn new(name: &'static str, source: String) -> Self {
        Self {
            name,
            script: Script::from_lua(source),
        }
    }

    /// Runs the script by SHA, loading it first if the server does not know it (after a
    /// restart, say).
    pub async fn run<R: FromValue>(&self, client: &Client, keys: Vec<String>, args: Vec<Value>) -> Result<R> {
        match client
            .evalsha(self.script.sha1().clone(), keys.clone(), args.clone())
            .await
        {
            Err(error) if error.details().starts_with("NOSCRIPT") => {
                self.script.load(client).await?;
                Ok(client.evalsha(self.script.sha1().clone(), keys, args).await?)
            }
            Err(error) => Err(crate::Error::Backend(format!("script `{}`: {error}", self.name))),
            Ok(value) => Ok(value),
        }
    }
}

/// Every script of the Redis backend.
pub struct Scripts {
    /// Schedules a batch of executions.
    pub schedule: LuaScript,
    /// Reads (optionally) and starts deliveries, dropping stale ones.
    pub start: LuaScript,
    /// Records a batch of outcomes and acknowledges them.
    pub complete: LuaScript,
    /// Cancels one execution.
    pub cancel: LuaScript,
    /// Moves due executions to the ready stream.
    pub move_due: LuaScript,
    /// Marks an execution as watched and reads its record.
    pub watch: LuaScript,
    /// Deletes scheduled and queued executions.
    pub clear: LuaScript,
    /// Renews held leases and reports lost ones.
    pub renew: LuaScript,
    /// Removes a worker from the registry and its consumer from the group.
    pub leave: LuaScript,
    /// Announces a worker as alive.
    pub heartbeat: LuaScript,
    /// Lists the workers with a fresh heartbeat.
    pub workers: LuaScript,
    /// Deletes idle consumers without pending deliveries.
    pub prune_consumers: LuaScript,
    /// Queues read but unstarted deliveries again.
    pub release: LuaScript,
    /// Writes a running delivery's progress.
    pub progress: LuaScript,
    /// Adds or removes a strike rule.
    pub strike: LuaScript,
    /// Removes dead letters by id.
    pub remove_dead: LuaScript,
}

impl Scripts {
    /// Compiles every script in.
    pub fn new() -> Self {
        Self {
            schedule: script!("schedule"),
            start: script!("start"),
            complete: script!("complete"),
            cancel: script!("cancel"),
            move_due: script!("move_due"),
            watch: script!("watch"),
            clear: script!("clear"),
            renew: script!("renew"),
            leave: script!("leave"),
            heartbeat: script!("heartbeat"),
            workers: script!("workers"),
            prune_consumers: script!("prune_consumers"),
            release: script!("release"),
            progress: script!("progress"),
            strike: script!("strike"),
            remove_dead: script!("remove_dead"),
        }
    }
}
