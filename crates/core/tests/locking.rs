//! Two processes on one ledger: a writer waits for another writer's lock (up to the busy
//! timeout) instead of failing at once, both when creating the ledger and when storing a scan.
//!
//! SQLite refuses a deferred transaction that has already read the upgrade to a write while
//! another connection holds the write lock, without calling the busy handler: the store must
//! take the write lock first.

use std::path::Path;
use std::thread::ScopedJoinHandle;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokenworth_core::ingest::{self, ScanOptions};
use tokenworth_core::store::Store;
use tokenworth_core::{source, Env};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).unwrap();
        }
    }
}

/// Keeps the other writer's lock for a second (well inside the store's 5 s busy timeout) unless
/// the thread finishes first, which, while the lock is held, means it gave up. (On a machine too
/// slow to reach the lock within the second this passes without exercising the wait; it cannot
/// fail spuriously.)
fn hold_a_while<T>(thread: &ScopedJoinHandle<'_, T>) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(1) && !thread.is_finished() {
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn a_scan_waits_for_another_writers_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    copy_dir(&fixtures.join("claude_multiline/home"), &home);
    copy_dir(&fixtures.join("codex_reemit/home"), &home);
    let db = tmp.path().join("ledger.db");
    let mut store = Store::open(&db).unwrap();

    // Another process is writing.
    let other = Connection::open(&db).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();

    let env = Env::with_home(&home);
    let result = std::thread::scope(|s| {
        let scan = s.spawn(|| ingest::scan(&mut store, &env, &source::all(), &ScanOptions::default()));
        hold_a_while(&scan);
        other.execute_batch("ROLLBACK").unwrap();
        scan.join().unwrap()
    });
    let report = result.expect("the scan failed instead of waiting for the other writer's lock");
    assert_eq!(report.sources.iter().map(|s| s.files_read).sum::<usize>(), 2, "{report:?}");
    let stats = ingest::stored_source_stats(&store).unwrap();
    assert_eq!(stats["claude-code"].1, 2);
    assert_eq!(stats["codex"].1, 2);
}

/// A scan with nothing new to store takes no write lock: it runs beside another writer.
#[test]
fn a_scan_with_nothing_new_needs_no_write_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    copy_dir(&fixtures.join("claude_multiline/home"), &home);
    let db = tmp.path().join("ledger.db");
    let mut store = Store::open(&db).unwrap();
    let env = Env::with_home(&home);
    ingest::scan(&mut store, &env, &source::all(), &ScanOptions::default()).unwrap();

    let other = Connection::open(&db).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    // Fail fast rather than wait: the scan must not need the lock at all.
    store.conn().busy_timeout(Duration::ZERO).unwrap();
    let report = ingest::scan(&mut store, &env, &source::all(), &ScanOptions::default())
        .expect("a scan with nothing new wanted the write lock");
    assert_eq!(report.events(), 0);
    other.execute_batch("ROLLBACK").unwrap();
}

/// Two processes creating the ledger at once: the second waits for the first's write lock and
/// then finds the schema there, instead of failing with "locked".
///
#[test]
fn creating_the_ledger_waits_for_another_process_creating_it() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("ledger.db");
    let other = Connection::open(&db).unwrap();
    other.execute_batch("PRAGMA journal_mode = WAL; BEGIN IMMEDIATE;").unwrap();
    let result = std::thread::scope(|s| {
        let open = s.spawn(|| Store::open(&db).map(|_| ()));
        hold_a_while(&open);
        other.execute_batch("ROLLBACK").unwrap();
        open.join().unwrap()
    });
    result.expect("opening a new ledger failed instead of waiting for the other writer");
    drop(other);
    // The ledger is usable.
    let store = Store::open(&db).unwrap();
    assert!(ingest::stored_source_stats(&store).unwrap().is_empty());
}

/// New ledgers are created with 16 KiB pages (SQLite built with that default, see
/// `.cargo/config.toml`); a ledger that exists keeps the page size it was made with.
#[test]
fn a_new_ledger_has_16_kib_pages_and_an_existing_one_keeps_its_own() {
    let tmp = tempfile::tempdir().unwrap();
    let page_size = |s: &Store| -> i64 { s.conn().query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap() };
    let new = Store::open(&tmp.path().join("new/ledger.db")).unwrap();
    assert_eq!(page_size(&new), 16384);

    let old_path = tmp.path().join("old.db");
    {
        let c = Connection::open(&old_path).unwrap();
        c.execute_batch("PRAGMA page_size = 4096; PRAGMA user_version = 0; VACUUM;").unwrap();
    }
    let old = Store::open(&old_path).unwrap();
    assert_eq!(page_size(&old), 4096);
}
