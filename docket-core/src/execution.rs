//! Executions: the handle a schedule returns, their states, records and events.

use std::fmt;
use std::marker::PhantomData;
use std::time::{Duration, SystemTime};

use futures::stream::{BoxStream, Stream, StreamExt};
use serde::de::DeserializeOwned;
use tokio::sync::broadcast;
use tokio::time::Instant;

use crate::backend::Disposition;
use crate::codec;
use crate::docket::Docket;
use crate::error::{Error, Result};
use crate::progress::ProgressInfo;

/// Where an execution is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExecutionState {
    /// Waiting for its due time.
    Scheduled,
    /// Due, waiting for a worker.
    Queued,
    /// A worker is running it.
    Running,
    /// Finished successfully.
    Completed,
    /// Finished with an error.
    Failed,
    /// Cancelled before it finished.
    Cancelled,
}

impl ExecutionState {
    /// Whether the execution has ended.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            ExecutionState::Completed | ExecutionState::Failed | ExecutionState::Cancelled
        )
    }

    /// The compact code stored in records and events.
    pub fn code(self) -> u8 {
        match self {
            ExecutionState::Scheduled => 1,
            ExecutionState::Queued => 2,
            ExecutionState::Running => 3,
            ExecutionState::Completed => 4,
            ExecutionState::Failed => 5,
            ExecutionState::Cancelled => 6,
        }
    }

    /// The state for a stored code.
    pub fn from_code(code: u8) -> Option<ExecutionState> {
        Some(match code {
            1 => ExecutionState::Scheduled,
            2 => ExecutionState::Queued,
            3 => ExecutionState::Running,
            4 => ExecutionState::Completed,
            5 => ExecutionState::Failed,
            6 => ExecutionState::Cancelled,
            _ => return None,
        })
    }
}

impl fmt::Display for ExecutionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExecutionState::Scheduled => "scheduled",
            ExecutionState::Queued => "queued",
            ExecutionState::Running => "running",
            ExecutionState::Completed => "completed",
            ExecutionState::Failed => "failed",
            ExecutionState::Cancelled => "cancelled",
        })
    }
}

/// A failure as stored in an execution record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredError {
    /// The error's message.
    pub message: String,
    /// The error's Rust type name.
    pub type_name: String,
}

/// Everything known about one execution (untyped).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ExecutionInfo {
    /// The execution key.
    pub key: String,
    /// The task name.
    pub task: String,
    /// The current state.
    pub state: ExecutionState,
    /// When it is (or was) due.
    pub when: SystemTime,
    /// The run number, starting at 1.
    pub attempt: u32,
    /// The worker running (or that ran) it.
    pub worker: Option<String>,
    /// When the last run started.
    pub started_at: Option<SystemTime>,
    /// When it ended.
    pub completed_at: Option<SystemTime>,
    /// The stored error of a failed execution.
    pub error: Option<StoredError>,
    /// The encoded result of a completed execution.
    pub result: Option<Vec<u8>>,
    /// The MessagePack argument map (parameter name → value).
    pub args: Vec<u8>,
    /// How far the running execution has come, once its body reported progress
    /// ([`Progress`](crate::Progress)); `None` before that and once the run has ended.
    pub progress: Option<ProgressInfo>,
}

impl ExecutionInfo {
    /// The argument called `name`, decoded as `V`; `None` when there is no such argument or
    /// it does not decode as `V`.
    pub fn argument<V: DeserializeOwned>(&self, name: &str) -> Option<V> {
        let value = codec::decode_dynamic(&self.args).ok()?;
        let (_, found) = value
            .as_map()?
            .iter()
            .find(|(key, _)| key.as_str() == Some(name))?;
        rmpv::ext::from_value(found.clone()).ok()
    }

    /// The arguments as readable text, e.g. `{"order_id": 42}`, for logs and messages.
    pub fn arguments_text(&self) -> String {
        match codec::decode_dynamic(&self.args) {
            Ok(value) => value.to_string(),
            Err(error) => format!("<undecodable arguments: {error}>"),
        }
    }
}

impl fmt::Display for ExecutionInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}({}) key={:?} attempt={}",
            self.state,
            self.task,
            self.arguments_text(),
            self.key,
            self.attempt
        )
    }
}

/// Something that happened to an execution, published to its subscribers
/// ([`Execution::subscribe`]) in the order it happened.
///
/// More kinds of events may join these, so match with a wildcard arm.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The execution moved to a new state.
    State(StateChange),
    /// The running execution reported progress. Every progress event of a run comes after
    /// the event of its start and before the event of its end.
    Progress(ProgressChange),
}

impl Event {
    /// The key of the execution the event is about.
    pub fn key(&self) -> &str {
        match self {
            Event::State(change) => &change.key,
            Event::Progress(change) => &change.key,
        }
    }

    /// The new state, for a change of state.
    pub fn state(&self) -> Option<ExecutionState> {
        match self {
            Event::State(change) => Some(change.state),
            Event::Progress(_) => None,
        }
    }
}

/// Progress of a running execution, as one write of it published it: the whole state at that
/// moment (writes are coalesced, at most one per [`PROGRESS_INTERVAL`](crate::PROGRESS_INTERVAL)
/// per run, so not every increment has an event, but `current` never goes back within a run).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProgressChange {
    /// The execution key.
    pub key: String,
    /// How many units of work are done.
    pub current: u64,
    /// How many there are in all, once the body has said.
    pub total: Option<u64>,
    /// What the body is doing now, if it said.
    pub message: Option<String>,
}

/// A change of state, published by the transition that made it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StateChange {
    /// The execution key.
    pub key: String,
    /// The new state.
    pub state: ExecutionState,
    /// The encoded result, on completion.
    pub result: Option<Vec<u8>>,
    /// The error, on failure.
    pub error: Option<StoredError>,
}

/// A typed handle on a scheduled execution; `T` is the task's success type.
pub struct Execution<T> {
    docket: Docket,
    key: String,
    when: SystemTime,
    disposition: Disposition,
    _output: PhantomData<fn() -> T>,
}

impl<T> Clone for Execution<T> {
    fn clone(&self) -> Self {
        Self {
            docket: self.docket.clone(),
            key: self.key.clone(),
            when: self.when,
            disposition: self.disposition,
            _output: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Execution<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Execution")
            .field("key", &self.key)
            .field("when", &self.when)
            .field("disposition", &self.disposition)
            .finish()
    }
}

/// How often a waiter re-reads the record in case an event was lost (a reconnect, say).
const WAIT_BACKSTOP: Duration = Duration::from_secs(2);

impl<T> Execution<T> {
    pub(crate) fn new(docket: Docket, key: String, when: SystemTime, disposition: Disposition) -> Self {
        Self {
            docket,
            key,
            when,
            disposition,
            _output: PhantomData,
        }
    }

    /// The execution key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// When the execution was asked to run.
    pub fn when(&self) -> SystemTime {
        self.when
    }

    /// Whether scheduling created it or found it already scheduled.
    pub fn disposition(&self) -> Disposition {
        self.disposition
    }

    /// The current state, or `None` once the record is gone.
    pub async fn state(&self) -> Result<Option<ExecutionState>> {
        Ok(self.info().await?.map(|info| info.state))
    }

    /// The full record, or `None` once it is gone.
    pub async fn info(&self) -> Result<Option<ExecutionInfo>> {
        self.docket.backend().info(&self.key).await
    }

    /// How far the execution has come while it runs (the progress its body last reported,
    /// written at most every [`PROGRESS_INTERVAL`](crate::PROGRESS_INTERVAL)), or `None`
    /// when it reported none, is not running, or its record is gone.
    pub async fn progress(&self) -> Result<Option<ProgressInfo>> {
        Ok(self.info().await?.and_then(|info| info.progress))
    }

    /// Cancels the execution (see [`Docket::cancel`]).
    pub async fn cancel(&self) -> Result<bool> {
        self.docket.cancel(&self.key).await
    }

    /// A stream of this execution's events from now on: its changes of state and, while it
    /// runs, its progress, in the order they happened. A subscriber that subscribes before a
    /// run starts sees every progress event of that run. To know the state (and progress) at
    /// the moment of subscribing, read [`info`](Self::info) after subscribing.
    ///
    /// A subscriber that falls far behind skips events rather than holding the docket back.
    pub async fn subscribe(&self) -> Result<BoxStream<'static, Event>> {
        let (_, receiver) = self.docket.backend().watch(&self.key).await?;
        Ok(events_for(self.key.clone(), receiver).boxed())
    }
}

impl Execution<rmpv::Value> {
    /// The same handle with results decoded as `U` — for a handle from
    /// [`Agenda::scatter`](crate::Agenda::scatter), whose calls may be of tasks with different
    /// outputs, when you know which task this one runs (`U` is its output type; another type
    /// makes `result()` fail to decode).
    pub fn typed<U>(self) -> Execution<U> {
        Execution::new(self.docket, self.key, self.when, self.disposition)
    }
}

impl<T: DeserializeOwned> Execution<T> {
    /// Waits for the execution to end and returns its typed result.
    ///
    /// A failed run returns [`Error::TaskFailed`], a cancelled one [`Error::Cancelled`], one
    /// dropped by an admission control [`Error::Dropped`], a struck one [`Error::Struck`]; with
    /// `execution_ttl = 0` an outcome that was not seen live returns [`Error::ResultNotKept`].
    pub async fn result(&self) -> Result<T> {
        self.wait(None).await
    }

    /// Like [`result`](Self::result), giving up with [`Error::Timeout`] after `timeout`.
    pub async fn result_timeout(&self, timeout: Duration) -> Result<T> {
        self.wait(Instant::now().checked_add(timeout)).await
    }

    /// Like [`result`](Self::result), giving up with [`Error::Timeout`] at `deadline`.
    pub async fn result_deadline(&self, deadline: Instant) -> Result<T> {
        self.wait(Some(deadline)).await
    }

    async fn wait(&self, deadline: Option<Instant>) -> Result<T> {
        if self.disposition == Disposition::Struck {
            return Err(Error::Struck {
                key: self.key.clone(),
                reason: "a strike rule matched it when it was scheduled, so nothing was written".into(),
            });
        }
        let started = Instant::now();
        let (mut info, mut events) = self.docket.backend().watch(&self.key).await?;
        loop {
            match &info {
                None => return Err(self.missing()),
                Some(record) if record.state.is_terminal() => {
                    return self.decode(record.state, record.result.as_deref(), record.error.clone())
                }
                Some(_) => {}
            }
            // Re-read the record at least every WAIT_BACKSTOP, however many events of other
            // executions arrive in between, in case ours was lost.
            let backstop = Instant::now() + WAIT_BACKSTOP;
            let wake = deadline.map_or(backstop, |d| d.min(backstop));
            loop {
                tokio::select! {
                    received = events.recv() => match received {
                        Ok(Event::State(change)) if change.key == self.key && change.state.is_terminal() => {
                            if change.state == ExecutionState::Completed && change.result.is_none() {
                                // Too large to publish: read it from the record.
                                break;
                            }
                            return self.decode(change.state, change.result.as_deref(), change.error);
                        }
                        Ok(_) => continue,
                        Err(broadcast::error::RecvError::Lagged(_)) => break,
                        Err(broadcast::error::RecvError::Closed) => {
                            events = self.docket.backend().watch(&self.key).await?.1;
                            break;
                        }
                    },
                    _ = tokio::time::sleep_until(wake) => {
                        if deadline.is_some_and(|d| Instant::now() >= d) {
                            return Err(Error::Timeout { key: self.key.clone(), waited: started.elapsed() });
                        }
                        break;
                    }
                }
            }
            info = self.info().await?;
        }
    }

    fn missing(&self) -> Error {
        if self.docket.execution_ttl().is_zero() {
            Error::ResultNotKept {
                key: self.key.clone(),
            }
        } else {
            Error::NotFound {
                key: self.key.clone(),
            }
        }
    }

    fn decode(&self, state: ExecutionState, result: Option<&[u8]>, error: Option<StoredError>) -> Result<T> {
        match state {
            ExecutionState::Completed => match result {
                Some(bytes) => codec::decode_value(bytes),
                None => Err(Error::ResultNotKept {
                    key: self.key.clone(),
                }),
            },
            ExecutionState::Failed => {
                let error = error.unwrap_or(StoredError {
                    message: "unknown error".into(),
                    type_name: "unknown".into(),
                });
                Err(Error::TaskFailed {
                    message: error.message,
                    type_name: error.type_name,
                })
            }
            _ => match error {
                Some(error) if error.type_name == crate::backend::DROPPED => Err(Error::Dropped {
                    key: self.key.clone(),
                    reason: error.message,
                }),
                Some(error) if error.type_name == crate::backend::STRUCK => Err(Error::Struck {
                    key: self.key.clone(),
                    reason: error.message,
                }),
                _ => Err(Error::Cancelled {
                    key: self.key.clone(),
                }),
            },
        }
    }
}

/// Filters a docket-wide event receiver down to one key's events.
fn events_for(
    key: String,
    receiver: broadcast::Receiver<Event>,
) -> impl Stream<Item = Event> + Send + 'static {
    futures::stream::unfold((key, receiver), |(key, mut receiver)| async move {
        loop {
            match receiver.recv().await {
                Ok(event) if event.key() == key => return Some((event, (key, receiver))),
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
}
