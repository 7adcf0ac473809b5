//! Data-driven trap tests: every directory under `tests/fixtures/` and every
//! `crates/sources/fixtures/<source>/<case>/` holds a fake `home/` and an `expected.json` beside it
//! (per UTC day and source: token totals; per source: events stored and lines skipped). Each case
//! is checked three ways: one scan; a second scan that must change nothing; and the files fed in
//! pieces cut mid-line (a line cut, a JSON document cut) with a scan after each piece, which must
//! end at the same totals.
//!
//! An optional `"mtimes": {"<path below home>": "<RFC 3339>"}` in expected.json sets those files'
//! modification times (after the copy, and after each piece): a running total in a log with no
//! last-update time of its own (Droid) falls on its file's mtime.
//!
//! A file named `<name>.db.sql` in a home is a SQL script that becomes the SQLite database
//! `<name>` (another tool's database): in one scan it is written and closed (no `-wal`); fed in
//! pieces, its statements run a few at a time on a connection that stays open in WAL mode with
//! no checkpoint, so the scans read rows committed in the WAL only.

#[path = "support/fixtures.rs"]
mod support;

use std::path::PathBuf;

use serde_json::Value;
use support::*;
use tokenworth_core::ingest::{self, ScanOptions};
use tokenworth_core::store::Store;
use tokenworth_core::{source, Env};
use tokenworth_pricing::PriceTable;

fn scan(store: &mut Store, env: &Env) {
    let report = ingest::scan(store, env, &source::all(), &ScanOptions::default()).unwrap();
    assert!(report.warnings.is_empty(), "warnings: {:?}", report.warnings);
}

/// A scan of files being written: a document cut mid-write waits (and says so), nothing else.
fn scan_mid_write(store: &mut Store, env: &Env) {
    let report = ingest::scan(store, env, &source::all(), &ScanOptions::default()).unwrap();
    let other: Vec<&String> = report.warnings.iter().filter(|w| !w.contains("not complete JSON")).collect();
    assert!(other.is_empty(), "warnings: {other:?}");
}

#[test]
fn every_fixture_once_and_rescanned() {
    let table = PriceTable::embedded();
    for case in cases() {
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(case.join("expected.json")).unwrap()).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        copy_dir(&case.join("home"), &home);
        set_mtimes(&home, &expected);
        let env = env_for(&home, &expected);
        let mut store = Store::open(&tmp.path().join("data/ledger.db")).unwrap();
        scan(&mut store, &env);
        check(&case, &observed(&store, &table), &expected, "one scan");
        scan(&mut store, &env);
        check(&case, &observed(&store, &table), &expected, "second scan");
        // Reopening (a new process) changes nothing either.
        drop(store);
        let mut store = Store::open(&tmp.path().join("data/ledger.db")).unwrap();
        scan(&mut store, &env);
        check(&case, &observed(&store, &table), &expected, "after reopen");
    }
}

#[test]
fn every_fixture_fed_in_pieces_cut_mid_line() {
    let table = PriceTable::embedded();
    for case in cases() {
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(case.join("expected.json")).unwrap()).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let src = case.join("home");
        let home = tmp.path().join("home");
        let env = env_for(&home, &expected);
        let mut files = Vec::new();
        files_below(&src, &mut files);
        let (sql, files): (Vec<PathBuf>, Vec<PathBuf>) =
            files.into_iter().partition(|f| database_of(f).is_some());
        let contents: Vec<(PathBuf, Vec<u8>)> = files
            .iter()
            .map(|f| (home.join(f.strip_prefix(&src).unwrap()), std::fs::read(f).unwrap()))
            .collect();
        // Databases: a writer that stays open, in WAL mode, never checkpointing.
        let databases: Vec<(rusqlite::Connection, Vec<String>)> = sql
            .iter()
            .map(|f| {
                let db = database_of(&home.join(f.strip_prefix(&src).unwrap())).unwrap();
                std::fs::create_dir_all(db.parent().unwrap()).unwrap();
                let conn = rusqlite::Connection::open(&db).unwrap();
                conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;").unwrap();
                (conn, statements(&std::fs::read_to_string(f).unwrap()))
            })
            .collect();
        let mut store = Store::open(&tmp.path().join("data/ledger.db")).unwrap();
        // Seven pieces per file, at cut points that land inside lines.
        let pieces = 7;
        for step in 1..=pieces {
            for (conn, stmts) in &databases {
                let (from, to) = (stmts.len() * (step - 1) / pieces, stmts.len() * step / pieces);
                for st in &stmts[from..to] {
                    conn.execute_batch(st).unwrap();
                }
            }
            for (i, (path, bytes)) in contents.iter().enumerate() {
                let cut = if step == pieces {
                    bytes.len()
                } else {
                    (bytes.len() * step / pieces + i * 13 + step * 7).min(bytes.len())
                };
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                let have = std::fs::metadata(path).map(|m| m.len() as usize).unwrap_or(0);
                if cut > have {
                    use std::io::Write;
                    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
                    f.write_all(&bytes[have..cut]).unwrap();
                }
            }
            set_mtimes(&home, &expected);
            scan_mid_write(&mut store, &env);
        }
        check(&case, &observed(&store, &table), &expected, "fed in pieces");
    }
}
