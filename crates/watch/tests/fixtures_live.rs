//! Every fixture case of core and the sources (each tool's traps, every shape: lines, documents,
//! running totals, other tools' databases), written in pieces under a real home while the live
//! watcher runs: it reads the logs that changed (not every root) after each piece, and must end
//! at the totals of `expected.json`, as one scan of the final files does.

#[path = "../../core/tests/support/fixtures.rs"]
mod support;

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::*;
use tokenworth_core::store::Store;
use tokenworth_pricing::PriceTable;
use tokenworth_watch::{Live, LiveConfig, LiveEvent};

/// Pieces per file, each cut inside a line.
const PIECES: usize = 4;

#[test]
fn every_fixture_written_in_pieces_while_watched() {
    let table = PriceTable::embedded();
    // FIXTURE_CASE=part runs only the cases whose path holds it.
    let only = std::env::var("FIXTURE_CASE").ok();
    for case in
        cases().into_iter().filter(|c| only.as_deref().is_none_or(|o| c.to_string_lossy().contains(o)))
    {
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(case.join("expected.json")).unwrap()).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let src = case.join("home");
        let home = tmp.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let env = env_for(&home, &expected);
        let mut files = Vec::new();
        files_below(&src, &mut files);
        let (sql, files): (Vec<PathBuf>, Vec<PathBuf>) =
            files.into_iter().partition(|f| database_of(f).is_some());
        let contents: Vec<(PathBuf, Vec<u8>)> = files
            .iter()
            .map(|f| (home.join(f.strip_prefix(&src).unwrap()), std::fs::read(f).unwrap()))
            .collect();
        let db = tmp.path().join("data/ledger.db");
        let (tx, rx) = mpsc::channel();
        let live = Live::start(LiveConfig::new(env, db.clone()), move |e| {
            let _ = tx.send(e);
        })
        .unwrap();
        // The first scan of the empty home.
        loop {
            match rx.recv_timeout(Duration::from_secs(10)).expect("the first scan") {
                LiveEvent::Flushed { .. } => break,
                LiveEvent::Error(e) => panic!("{}: {e}", case.display()),
                _ => {}
            }
        }
        // Databases: a writer that stays open in WAL mode, never checkpointing.
        let databases: Vec<(rusqlite::Connection, Vec<String>)> = sql
            .iter()
            .map(|f| {
                let path = database_of(&home.join(f.strip_prefix(&src).unwrap())).unwrap();
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                let conn = rusqlite::Connection::open(&path).unwrap();
                conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;").unwrap();
                (conn, statements(&std::fs::read_to_string(f).unwrap()))
            })
            .collect();
        for step in 1..=PIECES {
            for (conn, stmts) in &databases {
                let (from, to) = (stmts.len() * (step - 1) / PIECES, stmts.len() * step / PIECES);
                for st in &stmts[from..to] {
                    conn.execute_batch(st).unwrap();
                }
            }
            for (i, (path, bytes)) in contents.iter().enumerate() {
                let cut = if step == PIECES {
                    bytes.len()
                } else {
                    (bytes.len() * step / PIECES + i * 13 + step * 7).min(bytes.len())
                };
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                let have = std::fs::metadata(path).map(|m| m.len() as usize).unwrap_or(0);
                let rel = path.strip_prefix(&home).unwrap().to_string_lossy().into_owned();
                if cut > have && expected["mtimes"].get(&rel).is_some() {
                    // A file whose day is its mtime (a running total with no time of its own)
                    // gets its mtime with its bytes: written aside and renamed into place, so
                    // the watcher never reads it with the time of the test's write.
                    let name = path.file_name().unwrap().to_string_lossy();
                    let aside = path.with_file_name(format!(".{name}.part"));
                    std::fs::write(&aside, &bytes[..cut]).unwrap();
                    set_mtime(&aside, expected["mtimes"][&rel].as_str().unwrap());
                    std::fs::rename(&aside, path).unwrap();
                } else if cut > have {
                    use std::io::Write;
                    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
                    f.write_all(&bytes[have..cut]).unwrap();
                }
            }
            // Past the debounce: the pieces are separate bursts, each read on its own.
            std::thread::sleep(Duration::from_millis(120));
        }
        let want = expected_view(&expected);
        let deadline = Instant::now() + Duration::from_secs(15);
        let skipped_match =
            |g: &Value| want["skipped"].as_object().unwrap().iter().all(|(s, n)| &g["skipped"][s] == n);
        let got = loop {
            let got = Store::open_readonly(&db).map(|s| observed(&s, &table)).ok();
            let done = got.as_ref().is_some_and(|g| {
                g["days"] == want["days"] && g["events"] == want["events"] && skipped_match(g)
            });
            if done || Instant::now() > deadline {
                break got.expect("a readable ledger");
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        drop(live);
        check(&case, &got, &expected, "written in pieces while watched");
    }
}
