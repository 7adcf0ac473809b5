//! A write-ahead log cut inside a frame is damage (its last transactions are lost), except where
//! a writer killed with SIGKILL leaves it: after a frame's header, or inside a frame at a page
//! boundary of the file (the kernel ends a killed process's write between pages). The second
//! was taken for damage and failed the kill -9 test now and then.

use std::path::{Path, PathBuf};

use tokenworth_core::store::{wal_damage, wal_path};

/// A copy of a WAL-mode database with frames in its WAL (never checkpointed), in `dir`.
fn ledger_with_frames(dir: &Path) -> (PathBuf, u64, u64) {
    let live = dir.join("live.db");
    let c = rusqlite::Connection::open(&live).unwrap();
    c.execute_batch(
        "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;
         CREATE TABLE t(x TEXT);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
         INSERT INTO t SELECT hex(randomblob(100)) FROM n;",
    )
    .unwrap();
    let copy = dir.join("ledger.db");
    std::fs::copy(&live, &copy).unwrap();
    std::fs::copy(wal_path(&live), wal_path(&copy)).unwrap();
    let size = std::fs::metadata(wal_path(&copy)).unwrap().len();
    drop(c);
    (copy, size, 4096 + 24)
}

fn cut(db: &Path, len: u64) {
    std::fs::OpenOptions::new().write(true).open(wal_path(db)).unwrap().set_len(len).unwrap();
}

#[test]
fn a_cut_inside_a_frame_is_damage_but_a_killed_writes_page_boundary_is_not() {
    let tmp = tempfile::tempdir().unwrap();
    let (db, size, frame) = ledger_with_frames(tmp.path());
    assert_eq!((size - 32) % frame, 0, "whole frames");
    assert!(size > 32 + 3 * frame);
    assert_eq!(wal_damage(&db), None, "a whole WAL");

    // Cut 1000 bytes into the last frame's page: damage.
    let at = size - 1000;
    assert_ne!(at % 4096, 0);
    cut(&db, at);
    assert!(wal_damage(&db).is_some_and(|m| m.contains("truncated")));

    // A frame header alone: the writer was killed between its two writes.
    cut(&db, size - frame + 24);
    assert_eq!(wal_damage(&db), None);

    // Inside the last frame's page, at a page boundary of the file: a killed write.
    let last = size - frame;
    let boundary = (last + 24).div_ceil(4096) * 4096;
    assert!(boundary > last + 24 && boundary < size, "{last} {boundary} {size}");
    cut(&db, boundary);
    assert_eq!(wal_damage(&db), None);
    // One byte short of it is a cut.
    cut(&db, boundary - 1);
    assert!(wal_damage(&db).is_some());
}
