//! Notices commits that other processes make to the ledger (a `tokenworth scan` or a tag from
//! the CLI while the app is open), so the app can re-query without polling.
//!
//! The OS watcher reports writes to `ledger.db` and its `-wal` file in the data dir; a burst is
//! debounced, then `PRAGMA data_version` on a read connection says whether any other connection
//! committed since the last look (our own reads never change it). The thread sleeps in a
//! blocking `recv` while nothing happens.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokenworth_core::store::Store;

/// Name of the thread that checks the ledger after a change (15 bytes: Linux's limit).
pub const LEDGER_THREAD_NAME: &str = "tokenworth-ledg";

/// Watches a ledger for commits by any connection; see the module docs.
pub struct LedgerWatch {
    _watcher: RecommendedWatcher,
    thread: Option<JoinHandle<()>>,
    stop: mpsc::Sender<Option<PathBuf>>,
}

impl LedgerWatch {
    /// Starts watching the directory of `db_path`. `on_change` runs on the watch thread after
    /// each debounced burst of writes that committed something.
    pub fn start(
        db_path: &Path,
        debounce: Duration,
        on_change: impl Fn() + Send + 'static,
    ) -> Result<LedgerWatch, String> {
        let dir =
            db_path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
        let name = db_path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let wal = format!("{name}-wal");
        let (tx, rx) = mpsc::channel::<Option<PathBuf>>();
        let events = tx.clone();
        let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            let Ok(ev) = res else { return };
            if !matches!(ev.kind, EventKind::Modify(_) | EventKind::Create(_)) {
                return;
            }
            for p in ev.paths {
                let hit =
                    p.file_name().is_some_and(|n| n.to_string_lossy() == name || n.to_string_lossy() == wal);
                if hit {
                    let _ = events.send(Some(p));
                }
            }
        })
        .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
        watcher
            .watch(&dir, RecursiveMode::NonRecursive)
            .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
        let db = db_path.to_path_buf();
        let thread = std::thread::Builder::new()
            .name(LEDGER_THREAD_NAME.into())
            .spawn(move || run(&db, debounce, &rx, &on_change))
            .map_err(|e| format!("cannot start the ledger watch: {e}"))?;
        Ok(LedgerWatch { _watcher: watcher, thread: Some(thread), stop: tx })
    }
}

impl Drop for LedgerWatch {
    fn drop(&mut self) {
        let _ = self.stop.send(None);
        if let Some(t) = self.thread.take() {
            if t.thread().id() != std::thread::current().id() {
                let _ = t.join();
            }
        }
    }
}

fn data_version(store: &Store) -> Option<i64> {
    store.conn().query_row("PRAGMA data_version", [], |r| r.get(0)).ok()
}

fn run(db: &Path, debounce: Duration, rx: &mpsc::Receiver<Option<PathBuf>>, on_change: &dyn Fn()) {
    let mut reader: Option<(Store, Option<i64>)> = None;
    while let Ok(Some(_)) = rx.recv() {
        // Let the burst end (a commit writes the WAL, then maybe checkpoints into the file).
        let mut deadline = Instant::now() + debounce;
        loop {
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(Some(_)) => deadline = Instant::now() + debounce,
                Ok(None) | Err(RecvTimeoutError::Disconnected) => return,
                Err(RecvTimeoutError::Timeout) => break,
            }
        }
        if reader.is_none() {
            // Opened lazily: the ledger may not exist when the watch starts.
            reader = Store::open_readonly(db).ok().map(|s| {
                let v = data_version(&s);
                (s, v)
            });
            if reader.is_some() {
                on_change();
                continue;
            }
        }
        if let Some((store, last)) = &mut reader {
            let now = data_version(store);
            if now != *last {
                *last = now;
                on_change();
            }
        }
    }
}
