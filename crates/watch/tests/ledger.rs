//! Commits by another process's connection (the CLI beside the app) are noticed through the OS
//! watcher on the data dir, without polling; reads are not. Real ledger files, real inotify.

use std::sync::mpsc;
use std::time::Duration;

use tokenworth_core::ingest::{self, ScanOptions};
use tokenworth_core::store::Store;
use tokenworth_core::{source, Env};
use tokenworth_watch::LedgerWatch;

const LINE: &str = r#"{"type":"assistant","sessionId":"s1","cwd":"/p","requestId":"r1","timestamp":"2026-03-02T10:00:00.000Z","message":{"id":"m1","model":"claude-sonnet-4-5","usage":{"input_tokens":10,"output_tokens":5,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}"#;

#[test]
fn another_connections_commit_is_reported_and_reads_are_not() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("data/ledger.db");
    drop(Store::open(&db).unwrap());
    let (tx, rx) = mpsc::channel();
    let watch = LedgerWatch::start(&db, Duration::from_millis(30), move || {
        let _ = tx.send(());
    })
    .unwrap();

    // A scan by another connection, as `tokenworth scan` would make.
    let home = tmp.path().join("home");
    let dir = home.join(".claude/projects/-p");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("s1.jsonl"), format!("{LINE}\n")).unwrap();
    let mut writer = Store::open(&db).unwrap();
    let r =
        ingest::scan(&mut writer, &Env::with_home(&home), &source::all(), &ScanOptions::default()).unwrap();
    assert_eq!(r.events(), 1);
    rx.recv_timeout(Duration::from_secs(10)).expect("the commit was not reported");
    while rx.recv_timeout(Duration::from_millis(300)).is_ok() {}

    // Reading (a report) commits nothing: no report.
    let reader = Store::open_readonly(&db).unwrap();
    let n: i64 = reader.conn().query_row("SELECT count(*) FROM events", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 1);
    assert!(rx.recv_timeout(Duration::from_millis(500)).is_err(), "a read was reported as a change");

    // A second commit is reported again.
    writer.conn().execute("INSERT OR REPLACE INTO settings(key, value) VALUES ('probe', '1')", []).unwrap();
    rx.recv_timeout(Duration::from_secs(10)).expect("the second commit was not reported");
    drop(watch);
}
