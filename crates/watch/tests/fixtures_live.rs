//! Every fixture case of core and the sources (each tool's traps, every shape: lines, documents,
//! running totals, other tools' databases), written in pieces under a real home while the live
//! watcher runs: it reads the logs that changed (not every root) after each piece, and must end
//! at the totals of `expected.json`, as one scan of the final files does.

#[path = "../../core/tests/support/fixtures.rs"]
mod support;

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
        let mut pieces = Pieces::new(&src, &home);
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
        for step in 1..=PIECES {
            // Files whose day is their mtime get it with their bytes (renamed into place).
            pieces.write(step, PIECES, Some(&expected["mtimes"]));
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
