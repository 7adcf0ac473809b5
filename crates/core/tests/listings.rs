//! Kept folder listings (migration 9, `walk`): a scan that finds nothing new stats each folder
//! and file instead of reading every folder, and still finds every new, moved or removed file.
//! Real folders on a real file system; the scan's time is passed in, so a folder counts as
//! quiet (its listing may be kept) when the test says the scan runs a minute after it changed.

use std::path::Path;

use tokenworth_core::ingest::{self, ScanOptions, ScanReport};
use tokenworth_core::store::Store;
use tokenworth_core::{source, Env};

/// 2026-03-02T10:00:00Z.
const T: i64 = 1_772_445_600_000;

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A Claude Code session file with `n` requests of 10 input tokens each.
fn session(dir: &Path, id: &str, n: usize) {
    std::fs::create_dir_all(dir).unwrap();
    let mut s = String::new();
    for i in 0..n {
        s.push_str(&format!(
            r#"{{"type":"assistant","sessionId":"{id}","cwd":"/work","uuid":"u-{id}-{i}","requestId":"r-{id}-{i}","timestamp":"{}","message":{{"id":"m-{id}-{i}","model":"claude-sonnet-4-5","usage":{{"input_tokens":10,"output_tokens":1,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}}}}"#,
            iso(T + i as i64 * 1000)
        ));
        s.push('\n');
    }
    std::fs::write(dir.join(format!("{id}.jsonl")), s).unwrap();
}

/// The current time (ms), read here and passed in: the folders just made are `ahead_ms` old
/// at the scan's time.
fn now_plus(ahead_ms: i64) -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    now + ahead_ms
}

fn scan(store: &mut Store, env: &Env, now_ms: i64) -> ScanReport {
    let opts = ScanOptions { now_ms: Some(now_ms), ..ScanOptions::default() };
    let r = ingest::scan(store, env, &source::all(), &opts).unwrap();
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    r
}

fn count(store: &Store, sql: &str) -> i64 {
    store.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn input_tokens(store: &Store) -> i64 {
    count(store, "SELECT coalesce(sum(input), 0) FROM events")
}

struct Home {
    _tmp: tempfile::TempDir,
    projects: std::path::PathBuf,
    env: Env,
    store: Store,
}

fn home() -> Home {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let projects = home.join(".claude/projects");
    session(&projects.join("-work-a"), "a1", 3);
    session(&projects.join("-work-b/a1/subagents"), "agent-x", 2);
    let store = Store::open(&tmp.path().join("data/ledger.db")).unwrap();
    Home { env: Env::with_home(&home), projects, store, _tmp: tmp }
}

#[test]
fn unchanged_folders_are_not_read_again_and_new_files_are_still_found() {
    let mut h = home();
    let later = now_plus(60_000);
    let first = scan(&mut h.store, &h.env, later);
    assert_eq!(input_tokens(&h.store), 50);
    // projects, -work-a, -work-b, a1, subagents (and the other tools' roots, none here).
    assert_eq!((first.folders_read, first.folders_kept), (5, 0));
    assert_eq!(count(&h.store, "SELECT count(*) FROM listings"), 5);

    let warm = scan(&mut h.store, &h.env, later);
    assert_eq!((warm.folders_read, warm.folders_kept), (0, 5), "every folder from its kept listing");
    assert_eq!(warm.events(), 0);
    assert_eq!(input_tokens(&h.store), 50);

    // A new session in a folder that had one: the folder changed, so it is read again.
    session(&h.projects.join("-work-a"), "a2", 4);
    // A new project folder, and one removed.
    session(&h.projects.join("-work-c"), "c1", 1);
    std::fs::remove_dir_all(h.projects.join("-work-b")).unwrap();
    let later = now_plus(60_000);
    let r = scan(&mut h.store, &h.env, later);
    assert_eq!(r.events(), 5, "the new files are read");
    assert_eq!(input_tokens(&h.store), 100, "events of removed files stay in the ledger");
    // projects and -work-a changed, -work-c is new; the gone folders' listings are dropped.
    assert_eq!((r.folders_read, r.folders_kept), (3, 0));
    let kept: Vec<String> = {
        let mut stmt = h.store.conn().prepare("SELECT dir FROM listings ORDER BY dir").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    let rel: Vec<String> =
        kept.iter().map(|d| Path::new(d).strip_prefix(&h.projects).unwrap().display().to_string()).collect();
    assert_eq!(rel, ["", "-work-a", "-work-c"]);
    let again = scan(&mut h.store, &h.env, later);
    assert_eq!((again.folders_read, again.folders_kept, again.events()), (0, 3, 0));

    // Appending to a file changes no folder: the file's own size and time say it grew.
    session(&h.projects.join("-work-c"), "c1", 3);
    let r = scan(&mut h.store, &h.env, later);
    assert_eq!(r.events(), 2);
    assert_eq!(input_tokens(&h.store), 120);
}

#[test]
fn a_folder_changed_within_the_last_two_seconds_is_always_read() {
    let mut h = home();
    // The scan's time is the folders' own: a file made later in the same clock tick could hide
    // behind an unchanged stamp, so nothing is kept.
    let now = now_plus(0);
    let first = scan(&mut h.store, &h.env, now);
    assert_eq!(count(&h.store, "SELECT count(*) FROM listings"), 0);
    let second = scan(&mut h.store, &h.env, now);
    assert_eq!((first.folders_read, second.folders_read, second.folders_kept), (5, 5, 0));
    // Without a time, nothing is kept either.
    let opts = ScanOptions::default();
    let r = ingest::scan(&mut h.store, &h.env, &source::all(), &opts).unwrap();
    assert_eq!((r.folders_read, r.folders_kept), (5, 0));
    assert_eq!(count(&h.store, "SELECT count(*) FROM listings"), 0);
}

#[cfg(unix)]
#[test]
fn a_folder_holding_a_symlink_is_always_read() {
    let mut h = home();
    let elsewhere = h.projects.parent().unwrap().parent().unwrap().join("elsewhere");
    session(&elsewhere, "e1", 1);
    std::os::unix::fs::symlink(&elsewhere, h.projects.join("-linked")).unwrap();
    let later = now_plus(60_000);
    scan(&mut h.store, &h.env, later);
    assert_eq!(input_tokens(&h.store), 60);
    // The link's target gains a file: no folder below the root changed, but the folder holding
    // the link is read every time, and the target is read through it.
    session(&elsewhere, "e2", 2);
    let r = scan(&mut h.store, &h.env, later);
    assert_eq!(r.events(), 2, "the file behind the symlink is found");
    assert!(r.folders_read >= 2, "the root (holding the link) and the target are read: {}", r.folders_read);
    assert_eq!(input_tokens(&h.store), 80);
}

#[test]
fn a_damaged_or_foreign_listing_only_means_the_folder_is_read() {
    let mut h = home();
    let later = now_plus(60_000);
    scan(&mut h.store, &h.env, later);
    let root = h.projects.to_str().unwrap().to_string();
    // Entries a build of this kind never writes: the listing is refused and the folder read.
    h.store.conn().execute("UPDATE listings SET entries = x'64000000' WHERE dir = ?1", [&root]).unwrap();
    h.store.conn().execute("UPDATE listings SET entries = 'text' WHERE dir <> ?1", [&root]).unwrap();
    session(&h.projects.join("-work-a/deeper"), "d1", 1);
    let r = scan(&mut h.store, &h.env, later);
    assert_eq!(r.events(), 1);
    assert_eq!(input_tokens(&h.store), 60);
    assert_eq!(r.folders_kept, 0);
    // And they are kept again, right, for the next scan.
    let r = scan(&mut h.store, &h.env, later);
    assert_eq!((r.folders_read, r.folders_kept), (0, 6));
}

#[test]
fn a_ledger_another_connection_writes_to_is_left_alone() {
    let mut h = home();
    let later = now_plus(60_000);
    let path = h.store.path().to_path_buf();
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    // Nothing new to store and the lock held elsewhere: the report goes on without keeping the
    // listings (a cache), and without an error.
    let first = {
        let opts = ScanOptions { now_ms: Some(later), ..ScanOptions::default() };
        // The first scan has events to store: it waits for the lock like any write, so the
        // other connection lets go first.
        other.execute_batch("COMMIT").unwrap();
        ingest::scan(&mut h.store, &h.env, &source::all(), &opts).unwrap()
    };
    assert_eq!(first.events(), 5);
    h.store.conn().execute("DELETE FROM listings", []).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let r = scan(&mut h.store, &h.env, later);
    assert_eq!((r.events(), r.folders_read), (0, 5));
    other.execute_batch("COMMIT").unwrap();
    assert_eq!(count(&h.store, "SELECT count(*) FROM listings"), 0, "nothing kept while locked");
    let r = scan(&mut h.store, &h.env, later);
    assert_eq!((r.folders_read, count(&h.store, "SELECT count(*) FROM listings")), (5, 5));
}
