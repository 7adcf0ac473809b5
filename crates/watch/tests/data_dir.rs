//! The data dir moved away, deleted, replaced or made read-only while the live ingest runs
//! (issue 15's fault campaign): the writer says so (an `Error` event) instead of writing into a
//! file no one will read again, records nothing meanwhile, and resumes when the dir is back,
//! ending at the totals of a clean run. The real OS watcher, real files, a real ledger.

mod common;

use std::path::Path;

use common::{append, claude_line, Harness};
use tokenworth_core::store::Store;
use tokenworth_watch::LiveEvent;

fn home(home: &Path) {
    append(
        &home.join(".claude/projects/-home-dev-acme/s1.jsonl"),
        &(claude_line("a", 5) + &claude_line("b", 7)),
    );
}

fn events_in(db: &Path) -> u64 {
    let s = Store::open_readonly(db).unwrap();
    s.conn().query_row("SELECT count(*) FROM events", [], |r| r.get::<_, i64>(0)).unwrap() as u64
}

fn error_containing(h: &Harness, needle: &str) -> String {
    h.wait_for(&format!("an Error naming {needle:?}"), |e| match e {
        LiveEvent::Error(m) if m.contains(needle) => Some(m.clone()),
        _ => None,
    })
}

/// The next `Flushed`; an `Error` naming one of `passing` before it is a state the change went
/// through (a folder renamed away before its replacement is renamed in, a retry while the
/// attributes are still being reset), any other `Error` fails the wait.
fn flushed_after(h: &Harness, passing: &[&str]) -> usize {
    loop {
        let got = h.wait_for("Flushed", |e| match e {
            LiveEvent::Flushed { events, .. } => Some(Some(*events)),
            LiveEvent::Error(m) if passing.iter().any(|p| m.contains(p)) => Some(None),
            _ => None,
        });
        if let Some(n) = got {
            return n;
        }
    }
}

fn flushed_events(h: &Harness) -> usize {
    flushed_after(h, &[])
}

#[test]
fn a_data_dir_moved_away_is_reported_and_nothing_is_written_until_it_is_back() {
    let (mut h, cfg) = Harness::new(home);
    assert_eq!(h.start(cfg), 2);
    let data = h.db.parent().unwrap().to_path_buf();
    let away = data.with_file_name("data-moved");
    let log = h.claude_root().join("-home-dev-acme/s1.jsonl");

    std::fs::rename(&data, &away).unwrap();
    let msg = error_containing(&h, "is gone");
    assert!(msg.contains(&data.display().to_string()), "{msg}");
    // A log change meanwhile: said again, and nothing goes into the moved-away file.
    append(&log, &claude_line("c", 11));
    error_containing(&h, "is gone");
    assert_eq!(events_in(&away.join("ledger.db")), 2, "nothing is written to the moved-away ledger");

    // Back: the same file; what came meanwhile is read, once.
    std::fs::rename(&away, &data).unwrap();
    assert_eq!(flushed_events(&h), 1);
    assert_eq!(h.totals("claude-code"), (3, 23));
}

#[test]
fn a_deleted_data_dir_is_reported_and_a_new_one_is_filled_from_the_logs() {
    let (mut h, cfg) = Harness::new(home);
    h.start(cfg);
    let data = h.db.parent().unwrap().to_path_buf();
    let log = h.claude_root().join("-home-dev-acme/s1.jsonl");

    std::fs::remove_dir_all(&data).unwrap();
    error_containing(&h, "is gone");
    append(&log, &claude_line("c", 11));
    error_containing(&h, "is gone");
    assert!(!data.exists(), "the app does not make the data dir again by itself");

    // An empty data dir comes back: a new ledger, filled with everything the logs hold.
    std::fs::create_dir_all(&data).unwrap();
    assert_eq!(flushed_events(&h), 3);
    assert_eq!(h.totals("claude-code"), (3, 23));
}

#[test]
fn a_replaced_ledger_is_opened_and_read_on_from_its_own_cursors() {
    let (mut h, cfg) = Harness::new(home);
    h.start(cfg);
    let data = h.db.parent().unwrap().to_path_buf();
    let log = h.claude_root().join("-home-dev-acme/s1.jsonl");
    // A copy of the ledger as it is now (two events)...
    let copy = data.with_file_name("copy");
    std::fs::create_dir_all(&copy).unwrap();
    Store::open(&h.db)
        .unwrap()
        .conn()
        .execute("VACUUM INTO ?1", [copy.join("ledger.db").to_str().unwrap()])
        .unwrap();
    // ...one more event in the running ledger, then the copy put in the data dir's place.
    append(&log, &claude_line("c", 11));
    assert_eq!(flushed_events(&h), 1);
    let old = data.with_file_name("data-old");
    std::fs::rename(&data, &old).unwrap();
    std::fs::rename(&copy, &data).unwrap();
    // The writer opens the copy and reads on from its cursors: the third event again, once.
    assert_eq!(flushed_after(&h, &["is gone"]), 1);
    assert_eq!(h.totals("claude-code"), (3, 23));
    append(&log, &claude_line("d", 13));
    assert_eq!(flushed_events(&h), 1);
    assert_eq!(h.totals("claude-code"), (4, 36));
    assert_eq!(events_in(&old.join("ledger.db")), 3, "the replaced file is left alone");
}

/// Makes files read-only for this process: `chattr +i` (root writes any file but an immutable
/// one), or the permission bits for another user. Undone on drop.
struct ReadOnly(Vec<std::path::PathBuf>, bool);

impl ReadOnly {
    fn set(paths: &[&Path]) -> ReadOnly {
        use std::os::unix::fs::PermissionsExt;
        let root = std::process::Command::new("id").arg("-u").output().unwrap().stdout.starts_with(b"0\n");
        for p in paths {
            if root {
                let ok = std::process::Command::new("chattr").arg("+i").arg(p).status().unwrap().success();
                assert!(ok, "chattr +i {}", p.display());
            } else {
                let mode = if p.is_dir() { 0o555 } else { 0o444 };
                std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
            }
        }
        ReadOnly(paths.iter().map(|p| p.to_path_buf()).collect(), root)
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        for p in &self.0 {
            if self.1 {
                let _ = std::process::Command::new("chattr").arg("-i").arg(p).status();
            } else {
                let mode = if p.is_dir() { 0o755 } else { 0o644 };
                let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode));
            }
        }
    }
}

#[test]
fn a_read_only_ledger_is_reported_and_the_scan_resumes_when_it_can_write_again() {
    let (mut h, cfg) = Harness::new(home);
    h.start(cfg);
    let data = h.db.parent().unwrap().to_path_buf();
    let log = h.claude_root().join("-home-dev-acme/s1.jsonl");
    // The database, its write-ahead log and the folder (the WAL index, mapped already, stays).
    let wal = data.join("ledger.db-wal");
    let guard = ReadOnly::set(&[&h.db, &wal, &data]);
    append(&log, &claude_line("c", 11));
    let msg = h.wait_for("an Error", |e| match e {
        LiveEvent::Error(m) => Some(m.clone()),
        _ => None,
    });
    assert!(msg.contains("read-only") || msg.contains("readonly") || msg.contains("permission"), "{msg}");
    drop(guard);
    // The retry after the backoff (the one timer a failing writer sets) stores it.
    assert_eq!(flushed_after(&h, &["read-only"]), 1);
    assert_eq!(h.totals("claude-code"), (3, 23));
}
