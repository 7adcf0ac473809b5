//! Tokenworth's live ingest: watches every source root with the OS file watcher (`notify`'s
//! recommended backend) and feeds changes to the same `ingest::scan` the CLI runs.
//!
//! One thread, `tokenworth-live`, owns the write [`Store`], the watchers and the debounce: it
//! sleeps in a blocking `recv` while nothing happens (no timers, no polling), collects a burst of
//! changes until it has been quiet for `debounce` (at most `max_delay`), then scans once. A root
//! that does not exist yet is noticed through a non-recursive watch of its nearest existing
//! ancestor. A root the OS watcher cannot watch (inotify limit, a file system without events) is
//! polled instead, and says so in [`RootStatus`]. This crate knows nothing of Tauri, HTTP or
//! terminals: the app passes a callback and gets [`LiveEvent`]s on the live thread.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use tokenworth_core::ingest::ScanReport;
use tokenworth_core::source::{self, Source};
use tokenworth_core::store::{Store, StoreError};
use tokenworth_core::Env;

mod alerts;
mod ledger;
mod live;
mod poll;
mod roots;

pub use alerts::{AlertUpdate, AlertWatch, ALERT_THREAD_NAME};
pub use ledger::{LedgerWatch, LEDGER_THREAD_NAME};
pub use poll::POLL_THREAD_NAME;

/// Name of the thread that owns the store and the watchers (15 bytes: Linux's limit).
pub const LIVE_THREAD_NAME: &str = "tokenworth-live";

/// What to watch and how.
pub struct LiveConfig {
    /// Paths come from here, never from globals.
    pub env: Env,
    /// `<data-dir>/ledger.db`.
    pub db_path: PathBuf,
    pub sources: Vec<Box<dyn Source>>,
    /// Quiet time that ends a burst of changes before a scan.
    pub debounce: Duration,
    /// Longest a change waits for the burst to end: a file written without pause is still
    /// scanned this often.
    pub max_delay: Duration,
    /// Do not use the OS watcher at all: poll every root (for network drives the OS watcher
    /// accepts but never reports remote writes on, and for tests of the fallback). On Linux a
    /// root on a network file system (NFS, SMB, 9p, sshfs, …) is polled without this.
    pub force_poll: bool,
    /// How often a polled root is looked at. Only roots that fell back to polling have a timer.
    pub poll_interval: Duration,
    /// Daily snapshots of the ledger (`[backup]` of config.toml), `None`: none. Taken on the
    /// first scan after the newest one is a day old, on a thread of its own that exists only
    /// while it copies (a read transaction: the writer never waits for it); no timer.
    pub snapshots: Option<tokenworth_core::backup::BackupSettings>,
    /// The user's zone: the ledger keeps its per-day sums in it, so the day, week and month
    /// reports in it read a row per day (`ScanOptions::day_zone`). `None`: kept as they are.
    pub day_zone: Option<chrono_tz::Tz>,
    /// The time of each scan, in ms since the epoch: what "now" is for a record dated in the
    /// future and for the daily snapshot. The system clock by default; a test pins or jumps it.
    pub clock: Clock,
}

/// A source of the current time in ms since the epoch.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system clock as a [`Clock`].
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
    })
}

impl LiveConfig {
    /// Every known source, 50 ms debounce, 250 ms longest delay, 2 s polling for roots the OS
    /// watcher cannot watch.
    pub fn new(env: Env, db_path: PathBuf) -> LiveConfig {
        LiveConfig {
            env,
            db_path,
            sources: source::all(),
            debounce: Duration::from_millis(50),
            max_delay: Duration::from_millis(250),
            force_poll: false,
            poll_interval: Duration::from_secs(2),
            snapshots: None,
            day_zone: None,
            clock: system_clock(),
        }
    }
}

/// How one root is watched.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum RootState {
    /// The OS watcher reports its changes.
    Watching,
    /// Looked at every `poll_interval` because the OS watcher could not watch it.
    Polling { reason: String },
    /// Does not exist (yet); its nearest existing ancestor is watched for it to appear.
    Missing,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RootStatus {
    /// The source's id (`claude-code`, `codex`).
    pub source: String,
    pub path: PathBuf,
    #[serde(flatten)]
    pub state: RootState,
}

#[derive(Clone, Debug)]
pub enum LiveEvent {
    /// One ingest flush committed (or found nothing new): emitted once per scan that stored >0
    /// events, once after the initial scan even if it stored nothing, and once after a scan that
    /// succeeds following an [`LiveEvent::Error`].
    Flushed { events: usize, bytes: u64, duration: Duration, report: ScanReport },
    /// A scan failed (DB locked by a long CLI scan past the busy timeout, newer schema, …):
    /// message for the UI. The scan is retried on the next change and after a backoff.
    Error(String),
    /// Root states changed (a root appeared/vanished, fell back to polling). Also sent once at
    /// start, before the initial scan.
    Roots(Vec<RootStatus>),
    /// Paused, and a log changed: it will be ingested on resume. Sent once per pause.
    Waiting,
}

/// The running live ingest. Dropping it stops it too.
pub struct Live {
    tx: mpsc::Sender<live::Msg>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// State the live thread shares with the handle.
struct Shared {
    paused: AtomicBool,
    roots: Mutex<Vec<RootStatus>>,
}

impl Live {
    /// Opens the store (error if it cannot, e.g. newer schema — nothing overwritten), runs the
    /// initial scan on the watcher thread, then watches. Returns immediately; events go to
    /// `on_event` from a background thread.
    pub fn start(cfg: LiveConfig, on_event: impl Fn(LiveEvent) + Send + 'static) -> Result<Live, StoreError> {
        let store = Store::open(&cfg.db_path)?;
        let shared = Arc::new(Shared {
            paused: AtomicBool::new(false),
            roots: Mutex::new(roots::initial_statuses(&cfg.env, &cfg.sources)),
        });
        let (tx, rx) = mpsc::channel();
        let worker = live::Worker::new(cfg, store, Arc::clone(&shared), Box::new(on_event), tx.clone(), rx);
        let thread = std::thread::Builder::new()
            .name(LIVE_THREAD_NAME.to_string())
            .spawn(move || worker.run())
            .map_err(|error| StoreError::Io { path: PathBuf::from(LIVE_THREAD_NAME), error })?;
        Ok(Live { tx, shared, thread: Some(thread) })
    }

    /// Stops ingesting: changes are still received but only remembered until [`Live::resume`].
    pub fn pause(&self) {
        self.shared.paused.store(true, Ordering::SeqCst);
    }

    /// Resumes ingesting and scans once immediately to catch up.
    pub fn resume(&self) {
        self.shared.paused.store(false, Ordering::SeqCst);
        let _ = self.tx.send(live::Msg::Resume);
    }

    pub fn is_paused(&self) -> bool {
        self.shared.paused.load(Ordering::SeqCst)
    }

    /// Requests a scan now (the user pressed refresh). Ignored while paused.
    pub fn rescan(&self) {
        let _ = self.tx.send(live::Msg::Rescan);
    }

    /// How each root of each source is watched now.
    pub fn roots(&self) -> Vec<RootStatus> {
        self.shared.roots.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Stops watching and joins the live thread (a scan in progress finishes first).
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        let _ = self.tx.send(live::Msg::Stop);
        if let Some(thread) = self.thread.take() {
            // Dropped from inside `on_event`: the thread ends after the callback returns.
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::time::Duration;

    use super::*;

    const LINE: &str = r#"{"type":"assistant","sessionId":"s1","timestamp":"2026-03-02T10:00:01.000Z","message":{"id":"msg_a","model":"claude-sonnet-4-5-20250929","usage":{"input_tokens":10,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":5}},"requestId":"req_a"}"#;

    /// The app keeps `Live` in shared state and moves events across threads.
    #[test]
    fn the_handle_and_its_events_cross_threads() {
        fn shared<T: Send + Sync>() {}
        fn sent<T: Send>() {}
        shared::<Live>();
        sent::<LiveEvent>();
        sent::<LiveConfig>();
    }

    /// The inotify limit hit while running (notify reports it when a new subdirectory cannot be
    /// watched): the root holding that directory falls back to polling, says why, and still
    /// ingests. The error is injected where notify delivers it, into the live thread's channel;
    /// the watchers, the poller and the ledger are real.
    #[test]
    fn the_watch_limit_hit_while_running_falls_back_to_polling() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        let root = home.join(".claude/projects");
        std::fs::create_dir_all(root.join("p")).unwrap();
        let mut cfg = LiveConfig::new(Env::with_home(&home), tmp.path().join("ledger.db"));
        cfg.poll_interval = Duration::from_millis(100);
        let (tx, rx) = mpsc::channel();
        let live = Live::start(cfg, move |e| {
            let _ = tx.send(e);
        })
        .unwrap();
        let next = |pick: &dyn Fn(&LiveEvent) -> bool| loop {
            let e = rx.recv_timeout(Duration::from_secs(10)).expect("no event within 10 s");
            if pick(&e) {
                return e;
            }
        };
        next(&|e| matches!(e, LiveEvent::Flushed { .. }));
        assert!(live.roots().iter().any(|r| r.path == root && r.state == RootState::Watching));

        let full = notify::Error::new(notify::ErrorKind::MaxFilesWatch).add_path(root.join("p"));
        live.tx.send(live::Msg::Fs(Err(full))).unwrap();
        let polling = |e: &LiveEvent| match e {
            LiveEvent::Roots(r) => r.iter().any(|s| {
                s.path == root
                    && matches!(&s.state, RootState::Polling { reason } if reason.contains("watch limit"))
            }),
            _ => false,
        };
        next(&polling);

        let mut f = std::fs::File::create(root.join("p/s1.jsonl")).unwrap();
        writeln!(f, "{LINE}").unwrap();
        drop(f);
        match next(&|e| matches!(e, LiveEvent::Flushed { .. })) {
            LiveEvent::Flushed { events, .. } => assert_eq!(events, 1),
            _ => unreachable!(),
        }
        live.stop();
    }
}
