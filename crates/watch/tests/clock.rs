//! The clock jumps while the live ingest watches (issue 15's fault campaign): back an hour, then
//! forward a day. No event is lost or doubled, every event stays on the day its own timestamp
//! names, and the daily snapshot follows the clock without a burst: one when a day has passed,
//! none when the clock went back.

mod common;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{append, claude_line, Harness};
use tokenworth_core::backup::{self, BackupSettings};
use tokenworth_core::store::Store;

/// 2026-03-02T10:00:05Z: four seconds after the lines' own timestamp.
const NOW: i64 = 1_772_445_605_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// A line like [`claude_line`] dated `day` (`2026-03-0D`) at 10:00:01Z.
fn line_on(day: u32, id: &str, output: u64) -> String {
    claude_line(id, output).replace("2026-03-02T10:00:01.000Z", &format!("2026-03-{day:02}T10:00:01.000Z"))
}

/// (date, events, output tokens) per UTC day, read from the ledger.
fn per_day(db: &std::path::Path) -> Vec<(String, u64, u64)> {
    let store = Store::open_readonly(db).unwrap();
    let mut q = store
        .conn()
        .prepare(
            "SELECT date(ts / 1000, 'unixepoch'), count(*), sum(output) FROM events \
             GROUP BY 1 ORDER BY 1",
        )
        .unwrap();
    q.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64, r.get::<_, i64>(2)? as u64)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn snapshots_when(dir: &std::path::Path, n: usize) -> Vec<i64> {
    let deadline = Instant::now() + common::TIMEOUT;
    loop {
        let list = backup::list(dir).unwrap();
        if list.len() >= n || Instant::now() > deadline {
            let mut taken: Vec<i64> = list.iter().map(|s| s.taken_ms).collect();
            taken.sort();
            return taken;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_clock_that_jumps_back_an_hour_and_forward_a_day_loses_and_doubles_nothing() {
    let (mut h, mut cfg) = Harness::new(|home| {
        append(
            &home.join(".claude/projects/-home-dev-acme/s1.jsonl"),
            &(claude_line("a", 5) + &claude_line("b", 7)),
        );
    });
    let clock = Arc::new(AtomicI64::new(NOW));
    let c = clock.clone();
    cfg.clock = Arc::new(move || c.load(Ordering::SeqCst));
    let shots = h.db.parent().unwrap().join("snapshots");
    cfg.snapshots = Some(BackupSettings { dir: shots.clone(), keep_daily: 7, keep_weekly: 4 });
    assert_eq!(h.start(cfg), 2);
    let log = h.claude_root().join("-home-dev-acme/s1.jsonl");
    // The ledger did not exist before the first scan: the first snapshot comes with the next.
    append(&log, &claude_line("c", 11));
    assert_eq!(h.flushed(), 1);
    assert_eq!(snapshots_when(&shots, 1), vec![NOW]);

    // Back an hour: the lines now look an hour ahead of the clock. They are read, once.
    clock.store(NOW - HOUR, Ordering::SeqCst);
    append(&log, &(claude_line("d", 13) + &claude_line("e", 17)));
    assert_eq!(h.flushed(), 2, "lines an hour ahead of a clock that went back are read");
    // A line the tool writes again after the jump (same message and request): still once.
    append(&log, &claude_line("d", 13));
    h.flushed();

    // Forward a day: the next day's lines land on their own day; one snapshot, not a burst.
    clock.store(NOW + DAY, Ordering::SeqCst);
    append(&log, &(line_on(3, "f", 19) + &line_on(3, "g", 23)));
    assert_eq!(h.flushed(), 2);
    append(&log, &line_on(3, "h", 29));
    assert_eq!(h.flushed(), 1);
    assert_eq!(snapshots_when(&shots, 2), vec![NOW, NOW + DAY], "one snapshot for the day that passed");

    // And back again, below the last snapshot: nothing is taken, nothing lost.
    clock.store(NOW + DAY - HOUR, Ordering::SeqCst);
    append(&log, &line_on(3, "i", 31));
    assert_eq!(h.flushed(), 1);
    std::thread::sleep(Duration::from_millis(200));
    let taken: Vec<i64> = backup::list(&shots).unwrap().iter().map(|s| s.taken_ms).collect();
    assert_eq!(taken.len(), 2, "no snapshot when the clock went back: {taken:?}");

    h.live.take().unwrap().stop();
    assert_eq!(
        per_day(&h.db),
        vec![
            ("2026-03-02".to_owned(), 5, 5 + 7 + 11 + 13 + 17),
            ("2026-03-03".to_owned(), 4, 19 + 23 + 29 + 31)
        ],
        "every event once, on its own day"
    );
    for s in backup::list(&shots).unwrap() {
        let c = Store::open_readonly(&s.path).unwrap();
        let ok: String = c.conn().query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(ok, "ok", "{}", s.path.display());
    }
}
