//! The live thread: the one writer. Waits for a change without a timeout, collects the rest of
//! the burst, moves watches if a root appeared or vanished, and scans.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use notify::event::{CreateKind, EventKind, ModifyKind, RemoveKind};
use tokenworth_core::backup::{self, BackupError, BackupSettings};
use tokenworth_core::ingest::{self, ScanOptions};
use tokenworth_core::source::Source;
use tokenworth_core::store::{self, Store, StoreError};
use tokenworth_core::Env;

use crate::roots::Watches;
use crate::{LiveConfig, LiveEvent, Shared};

/// First wait before retrying a failed scan; doubles up to `MAX_BACKOFF`. The only timer the
/// live thread ever sets, and only while scans fail.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

pub(crate) enum Msg {
    Fs(notify::Result<notify::Event>),
    /// The data dir was created, removed or renamed.
    DataDir,
    Rescan,
    Resume,
    Stop,
}

/// A burst that changed more logs than this walks the roots instead of naming them.
const MAX_NAMED_FILES: usize = 512;

/// What one burst of messages asks for.
#[derive(Default)]
struct Burst {
    /// A log (or a directory that may hold logs) changed.
    scan: bool,
    /// The logs that changed (a database for its `-wal`): unless `full`, only these are read,
    /// without walking the roots, so a steady append costs the same whatever the history.
    files: Vec<PathBuf>,
    /// Walk every root: a directory or a root changed, a log was removed or renamed, the OS
    /// watcher lost events, or a refresh, resume or data dir change asked for it.
    full: bool,
    /// Scan now, without waiting for the burst to end (resume, refresh).
    now: bool,
    /// A root or an ancestor was created, removed or renamed: watches may have to move.
    reconcile: bool,
    /// Paths whose watch the backend may have dropped (removed or renamed).
    forced: Vec<PathBuf>,
    /// The OS watcher failed under this path (or everywhere) while running.
    os_failures: Vec<(Option<PathBuf>, String)>,
    stop: bool,
}

pub(crate) struct Worker {
    env: Env,
    sources: Vec<Box<dyn Source>>,
    debounce: Duration,
    max_delay: Duration,
    store: Store,
    shared: Arc<Shared>,
    on_event: Box<dyn Fn(LiveEvent) + Send>,
    rx: Receiver<Msg>,
    watches: Watches,
    /// The last scan failed: retry after this long even without a change.
    backoff: Option<Duration>,
    /// A change arrived while paused and `Waiting` was sent.
    waiting: bool,
    db_path: PathBuf,
    snapshots: Option<BackupSettings>,
    /// The zone the ledger keeps its per-day sums in (`ScanOptions::day_zone`).
    day_zone: Option<chrono_tz::Tz>,
    clock: crate::Clock,
    /// When the next daily snapshot is due (ms since the epoch), once known.
    snapshot_due_ms: Option<i64>,
    /// The snapshot being taken, if one is.
    snapshot: Option<std::thread::JoinHandle<()>>,
    /// The ledger file `store` has open (see [`ledger_identity`]): a data dir deleted, moved
    /// away or replaced under the app is noticed before the next write, never written blind.
    ledger_id: Option<(u64, u64)>,
    /// The same for the data dir.
    data_dir_id: Option<(u64, u64)>,
    /// An `Error` was sent without a backoff (the data dir gone): the next good scan says so.
    said_error: bool,
    /// The next scan walks every root (after a failed scan or a ledger replaced under it).
    full_next: bool,
    /// Watches the data dir's parent for the data dir going and coming back (no timer).
    _data_watch: Option<notify::RecommendedWatcher>,
}

/// What is at the ledger's path now, compared with the file the writer has open.
enum LedgerAt {
    Same,
    /// The data dir is gone (deleted, moved away): nothing is written until it is back.
    Gone,
    /// Another file (a new data dir, a copy put back): the writer opens it.
    Other,
}

/// The device and inode of `path`, `None` if it does not exist (or on a platform without them,
/// where only existence is checked).
fn ledger_identity(path: &std::path::Path) -> Option<(u64, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        Some((0, 0))
    }
}

/// A watcher of the data dir's parent that reports the data dir itself being created, removed
/// or renamed; `None` when it cannot be placed (the next log change still checks).
fn watch_data_dir(db_path: &std::path::Path, tx: Sender<Msg>) -> Option<notify::RecommendedWatcher> {
    use notify::Watcher;
    let data_dir = db_path.parent()?.to_path_buf();
    let parent = data_dir.parent()?.to_path_buf();
    let mut w = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        if let Ok(ev) = res {
            if ev.paths.iter().any(|p| p == &data_dir) {
                let _ = tx.send(Msg::DataDir);
            }
        }
    })
    .ok()?;
    w.watch(&parent, notify::RecursiveMode::NonRecursive).ok()?;
    Some(w)
}

/// Name of the short-lived thread that takes a daily snapshot.
pub const SNAPSHOT_THREAD_NAME: &str = "tokenworth-snap";

impl Worker {
    pub fn new(
        cfg: LiveConfig,
        store: Store,
        shared: Arc<Shared>,
        on_event: Box<dyn Fn(LiveEvent) + Send>,
        tx: Sender<Msg>,
        rx: Receiver<Msg>,
    ) -> Worker {
        // The watchers start here; nothing is watched before `run` places the watches.
        let data_watch = watch_data_dir(&cfg.db_path, tx.clone());
        let watches = Watches::new(&cfg.env, &cfg.sources, tx, cfg.force_poll, cfg.poll_interval);
        Worker {
            ledger_id: ledger_identity(&cfg.db_path),
            data_dir_id: cfg.db_path.parent().and_then(ledger_identity),
            _data_watch: data_watch,
            said_error: false,
            full_next: false,
            db_path: cfg.db_path,
            snapshots: cfg.snapshots,
            day_zone: cfg.day_zone,
            clock: cfg.clock,
            snapshot_due_ms: None,
            snapshot: None,
            env: cfg.env,
            sources: cfg.sources,
            debounce: cfg.debounce,
            max_delay: cfg.max_delay,
            store,
            shared,
            on_event,
            rx,
            watches,
            backoff: None,
            waiting: false,
        }
    }

    pub fn run(mut self) {
        // Watch first, then scan: a file written in between is both seen by the scan and
        // reported by the watcher (scanned twice, stored once).
        self.watches.reconcile(&[]);
        self.publish_roots();
        self.scan(true, None);
        loop {
            let paused = self.shared.paused.load(Ordering::SeqCst);
            let first = match self.backoff.filter(|_| !paused) {
                None => match self.rx.recv() {
                    Ok(m) => Some(m),
                    Err(_) => return,
                },
                Some(wait) => match self.rx.recv_timeout(wait) {
                    Ok(m) => Some(m),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => return,
                },
            };
            let mut burst = Burst::default();
            match first {
                Some(m) => self.take(&mut burst, m),
                None => burst.now = true, // the backoff ran out: retry
            }
            self.collect(&mut burst);
            if burst.stop {
                return;
            }
            self.handle(burst);
        }
    }

    /// Takes the rest of a burst: until `debounce` passes without a message, at most until
    /// `max_delay` after its first one. A request to scan now only drains what is queued.
    fn collect(&self, burst: &mut Burst) {
        let deadline = Instant::now() + self.max_delay;
        loop {
            if burst.stop {
                return;
            }
            let msg = if burst.now {
                match self.rx.try_recv() {
                    Ok(m) => m,
                    Err(_) => return,
                }
            } else {
                let wait = self.debounce.min(deadline.saturating_duration_since(Instant::now()));
                match self.rx.recv_timeout(wait) {
                    Ok(m) => m,
                    Err(RecvTimeoutError::Timeout) => return,
                    Err(RecvTimeoutError::Disconnected) => {
                        burst.stop = true;
                        return;
                    }
                }
            };
            self.take(burst, msg);
        }
    }

    fn take(&self, burst: &mut Burst, msg: Msg) {
        match msg {
            Msg::Stop => burst.stop = true,
            Msg::Rescan | Msg::Resume | Msg::DataDir => {
                burst.scan = true;
                burst.full = true;
                burst.now = true;
            }
            Msg::Fs(Err(e)) => {
                if matches!(e.kind, notify::ErrorKind::MaxFilesWatch) {
                    let path = e.paths.first().cloned();
                    let reason =
                        "the OS watch limit was reached (on Linux: raise fs.inotify.max_user_watches)";
                    burst.os_failures.push((path, reason.to_string()));
                }
                // A polled root that vanished reports an error: look again.
                burst.reconcile = true;
            }
            Msg::Fs(Ok(event)) => self.classify(burst, &event),
        }
    }

    /// Whether an event can matter: a log a source accepts, a directory under a root (it may
    /// hold logs, and new project directories must be seen), or a root or its ancestor.
    fn classify(&self, burst: &mut Burst, event: &notify::Event) {
        if event.need_rescan() || event.paths.is_empty() {
            burst.scan = true;
            burst.full = true;
            burst.reconcile = true;
            return;
        }
        let kind = event.kind;
        let moved_or_removed = matches!(kind, EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(_)));
        let structural_kind =
            moved_or_removed || matches!(kind, EventKind::Create(_) | EventKind::Any | EventKind::Other);
        for path in &event.paths {
            if self.watches.is_structural(path) {
                if structural_kind {
                    burst.reconcile = true;
                    burst.scan = true;
                    burst.full = true;
                }
                if moved_or_removed {
                    burst.forced.push(path.clone());
                }
                continue;
            }
            // Roots of several sources can hold one another (Cursor's own folder holds the
            // VS Code agents' storage): the path is a log if any source whose root holds it
            // reads it.
            let mut holders = self.watches.roots.iter().filter(|r| r.contains(path)).peekable();
            if holders.peek().is_none() {
                continue;
            }
            if holders.any(|root| tokenworth_core::source::is_log(self.sources[root.source].as_ref(), path)) {
                burst.scan = true;
                if moved_or_removed {
                    // Its cursor is marked missing only by a walk of its root.
                    burst.full = true;
                } else {
                    let log =
                        tokenworth_core::source::main_of_companion(path).unwrap_or_else(|| path.clone());
                    if !burst.files.contains(&log) {
                        burst.files.push(log);
                    }
                }
                continue;
            }
            let dir_change = match kind {
                EventKind::Create(CreateKind::Folder) | EventKind::Remove(RemoveKind::Folder) => true,
                EventKind::Create(CreateKind::File) | EventKind::Remove(RemoveKind::File) => false,
                EventKind::Create(_) => path.is_dir(),
                EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(_)) => true,
                EventKind::Any | EventKind::Other => true,
                _ => false,
            };
            if dir_change {
                burst.scan = true;
                burst.full = true;
            }
        }
    }

    fn handle(&mut self, burst: Burst) {
        for (path, reason) in &burst.os_failures {
            self.watches.fail_os(path.as_deref(), reason.clone());
        }
        let mut roots_changed = false;
        if burst.reconcile || !burst.os_failures.is_empty() {
            roots_changed = self.watches.reconcile(&burst.forced);
            if roots_changed {
                self.publish_roots();
            }
        }
        let retry = self.backoff.is_some() && burst.now;
        if !(burst.scan || roots_changed || retry) {
            return;
        }
        if self.shared.paused.load(Ordering::SeqCst) {
            if !self.waiting {
                self.waiting = true;
                (self.on_event)(LiveEvent::Waiting);
            }
            return;
        }
        self.waiting = false;
        let targeted = !(burst.full || retry || roots_changed) && burst.files.len() <= MAX_NAMED_FILES;
        self.scan(false, targeted.then_some(&burst.files[..]));
    }

    /// Reads what changed: the named logs only (`only`), or every root. The first scan, and the
    /// one after a failure or a replaced ledger, walks every root whatever is named.
    fn scan(&mut self, initial: bool, only: Option<&[PathBuf]>) {
        let now_ms = (self.clock)();
        if !self.ledger_in_place() {
            self.full_next = true;
            return;
        }
        let only = only.filter(|_| !initial && !self.full_next);
        // A ledger found damaged (by a snapshot's check, the CLI, the doctor) is not written
        // until it is restored; no retry timer either (the next change looks again).
        if let Ok(detail) = std::fs::read_to_string(store::damage_marker(&self.db_path)) {
            let e = StoreError::Damaged {
                path: self.db_path.clone(),
                detail: detail.lines().next().unwrap_or_default().to_owned(),
            };
            tracing::warn!(ledger = %self.db_path.display(), "the ledger is marked damaged: nothing is written to it until it is restored");
            self.full_next = true;
            (self.on_event)(LiveEvent::Error(e.to_string()));
            return;
        }
        self.maybe_snapshot(now_ms);
        let opts =
            ScanOptions { now_ms: Some(now_ms), only, day_zone: self.day_zone, ..ScanOptions::default() };
        match ingest::scan(&mut self.store, &self.env, &self.sources, &opts) {
            Ok(report) => {
                if only.is_none() {
                    self.full_next = false;
                }
                let recovered = self.backoff.take().is_some() | std::mem::take(&mut self.said_error);
                let events = report.events();
                tracing::debug!(
                    events,
                    bytes = report.bytes_read(),
                    ms = report.duration.as_millis() as u64,
                    warnings = report.warnings.len(),
                    "scan"
                );
                for w in &report.warnings {
                    tracing::warn!(warning = %w, "scan");
                }
                if initial || events > 0 {
                    // A long-lived connection: give back the page cache a big scan filled (the
                    // next small scan reads its few pages from the OS cache).
                    self.store.shrink_memory();
                }
                if events > 0 || initial || recovered {
                    (self.on_event)(LiveEvent::Flushed {
                        events,
                        bytes: report.bytes_read(),
                        duration: report.duration,
                        report,
                    });
                }
            }
            Err(e) => {
                self.full_next = true;
                if let StoreError::Damaged { detail, .. } = &e {
                    tracing::error!(ledger = %self.db_path.display(), detail = %detail, "the ledger is damaged: marked, nothing more is written to it");
                    store::mark_damaged(&self.db_path, detail);
                } else {
                    self.backoff = Some(self.backoff.map_or(FIRST_BACKOFF, |b| (b * 2).min(MAX_BACKOFF)));
                    tracing::warn!(error = %e, retry_in_ms = self.backoff.map_or(0, |b| b.as_millis() as u64), "scan failed");
                }
                (self.on_event)(LiveEvent::Error(e.to_string()));
            }
        }
    }

    /// Whether the ledger the writer has open is still the one at its path; if another file is
    /// there now, opens that one. Says so (an `Error` event) when the data dir is gone.
    fn ledger_in_place(&mut self) -> bool {
        let now = ledger_identity(&self.db_path);
        let data_dir = self.db_path.parent().map(|d| d.to_path_buf()).unwrap_or_default();
        let dir_now = ledger_identity(&data_dir);
        let at = match now {
            Some(id) if Some(id) == self.ledger_id => LedgerAt::Same,
            _ if !data_dir.is_dir() => LedgerAt::Gone,
            // The file went from the folder it was in (being deleted, or moved): no new ledger
            // is started in a folder on its way out.
            None if dir_now == self.data_dir_id => LedgerAt::Gone,
            _ => LedgerAt::Other,
        };
        match at {
            LedgerAt::Same => true,
            LedgerAt::Gone => {
                let what = if data_dir.is_dir() {
                    format!("the ledger {}", self.db_path.display())
                } else {
                    format!("the data folder {}", data_dir.display())
                };
                let msg =
                    format!("{what} is gone (deleted or moved away): nothing is recorded until it is back");
                tracing::error!(data_dir = %data_dir.display(), "the data folder is gone");
                self.said_error = true;
                (self.on_event)(LiveEvent::Error(msg));
                false
            }
            LedgerAt::Other => match Store::open(&self.db_path) {
                Ok(store) => {
                    tracing::warn!(ledger = %self.db_path.display(), "the ledger was replaced: the new file is used");
                    // Its cursors are not this one's: every root is walked.
                    self.full_next = true;
                    self.store = store;
                    self.ledger_id = ledger_identity(&self.db_path);
                    self.data_dir_id = dir_now;
                    self.snapshot_due_ms = None;
                    // The scan that follows says so even if it finds nothing new.
                    self.said_error = true;
                    true
                }
                Err(e) => {
                    self.said_error = true;
                    (self.on_event)(LiveEvent::Error(e.to_string()));
                    false
                }
            },
        }
    }

    /// Starts the daily snapshot when it is due (and none is being taken). It copies on a
    /// thread of its own, in one read transaction, so this writer goes on at once; a copy that
    /// fails its check marks the ledger damaged, and the next scan stops before writing.
    fn maybe_snapshot(&mut self, now_ms: i64) {
        let Some(settings) = &self.snapshots else { return };
        if self.snapshot.as_ref().is_some_and(|t| !t.is_finished()) {
            return;
        }
        if let Some(t) = self.snapshot.take() {
            let _ = t.join();
        }
        let due = match self.snapshot_due_ms {
            Some(d) => d,
            None => match backup::list(&settings.dir) {
                Ok(list) => list.first().map_or(now_ms, |s| s.taken_ms + backup::DAY_MS),
                Err(_) => now_ms,
            },
        };
        if now_ms < due || !self.db_path.exists() {
            self.snapshot_due_ms = Some(due);
            return;
        }
        self.snapshot_due_ms = Some(now_ms + backup::DAY_MS);
        let (db, settings) = (self.db_path.clone(), settings.clone());
        self.snapshot = std::thread::Builder::new()
            .name(SNAPSHOT_THREAD_NAME.to_string())
            .spawn(move || match backup::take_if_due(&db, &settings.dir, now_ms) {
                // A CLI run may have taken it a moment ago.
                Ok(None) => {}
                Ok(Some(_)) => {
                    let _ = backup::prune(&settings.dir, settings.keep_daily, settings.keep_weekly);
                }
                Err(BackupError::Damaged { findings, .. }) => {
                    store::mark_damaged(
                        &db,
                        findings.first().map_or("integrity check failed", String::as_str),
                    );
                }
                Err(e) => tracing::warn!(error = %e, "no daily snapshot"),
            })
            .ok();
    }

    fn publish_roots(&self) {
        let statuses = self.watches.statuses().to_vec();
        *self.shared.roots.lock().unwrap_or_else(|e| e.into_inner()) = statuses.clone();
        (self.on_event)(LiveEvent::Roots(statuses));
    }
}
