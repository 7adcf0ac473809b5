//! The live ingest against real files in a temp home, the real OS watcher (or the real poll
//! watcher) and a real ledger file. Every wait is on a `LiveEvent` with a timeout.

mod common;

use std::path::Path;

use common::{append, claude_line, codex_head, codex_turn, Harness};
use tokenworth_core::store::{Store, StoreError};
use tokenworth_watch::{Live, LiveEvent, RootState};

const CODEX_SESSION: &str = "0195aaaa-bbbb-7ccc-8ddd-eeeeffff0001";

fn claude_home(home: &Path) {
    append(
        &home.join(".claude/projects/-home-dev-acme/s1.jsonl"),
        &(claude_line("a", 5) + &claude_line("b", 7)),
    );
}

fn codex_file(root: &Path) -> std::path::PathBuf {
    root.join(format!("2026/03/02/rollout-2026-03-02T09-00-00-{CODEX_SESSION}.jsonl"))
}

#[test]
fn an_append_is_ingested() {
    let (mut h, cfg) = Harness::new(claude_home);
    assert_eq!(h.start(cfg), 2);
    assert_eq!(h.totals("claude-code"), (2, 12));

    append(&h.claude_root().join("-home-dev-acme/s1.jsonl"), &claude_line("c", 30));
    assert_eq!(h.flushed(), 1, "only the appended line is read");
    assert_eq!(h.totals("claude-code"), (3, 42));
}

#[test]
fn a_new_file_in_a_new_project_directory_is_ingested() {
    let (mut h, cfg) = Harness::new(claude_home);
    h.start(cfg);

    // The directory is created right before the file: its watch may come too late for the
    // file's own events, the scan after the directory's creation still finds it.
    append(&h.claude_root().join("-home-dev-new/s2.jsonl"), &claude_line("n", 11));
    h.flushed();
    assert_eq!(h.totals("claude-code"), (3, 23));

    // And the new directory is watched: an append there is seen too.
    append(&h.claude_root().join("-home-dev-new/s2.jsonl"), &claude_line("o", 100));
    h.flushed();
    assert_eq!(h.totals("claude-code"), (4, 123));
}

#[test]
fn a_renamed_file_is_not_counted_twice() {
    let (mut h, cfg) = Harness::new(claude_home);
    h.start(cfg);
    let from = h.claude_root().join("-home-dev-acme/s1.jsonl");
    let to = h.claude_root().join("-home-dev-moved/s1.jsonl");
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::rename(&from, &to).unwrap();
    // The new path is read from its start: the same two requests, stored once.
    assert_eq!(h.flushed(), 2);
    assert_eq!(h.totals("claude-code"), (2, 12));

    append(&to, &claude_line("c", 1));
    assert_eq!(h.flushed(), 1);
    assert_eq!(h.totals("claude-code"), (3, 13));
}

#[test]
fn a_deleted_file_keeps_its_rows() {
    let (mut h, cfg) = Harness::new(|home| {
        claude_home(home);
        append(&home.join(".claude/projects/-home-dev-other/s9.jsonl"), &claude_line("z", 1));
    });
    h.start(cfg);
    assert_eq!(h.totals("claude-code"), (3, 13));
    let deleted = h.claude_root().join("-home-dev-acme/s1.jsonl");
    std::fs::remove_file(&deleted).unwrap();
    // A deletion stores no event (no Flushed): a later append is the marker that the scan
    // after the deletion ran.
    append(&h.claude_root().join("-home-dev-other/s9.jsonl"), &claude_line("y", 2));
    assert_eq!(h.flushed(), 1);
    assert_eq!(h.totals("claude-code"), (4, 15));
    let store = Store::open_readonly(&h.db).unwrap();
    let missing: i64 = store
        .conn()
        .query_row("SELECT missing FROM files WHERE path = ?1", [deleted.to_string_lossy()], |r| r.get(0))
        .unwrap();
    assert_eq!(missing, 1, "the deleted file is flagged missing");
}

#[test]
fn a_root_created_after_start_is_watched_and_ingested() {
    let (mut h, cfg) = Harness::new(claude_home);
    h.start(cfg);
    let codex = h.codex_root();
    assert!(h.live().roots().iter().any(|r| r.path == codex && r.state == RootState::Missing));

    // Codex installed later: `.codex`, `sessions`, the date directories and a rollout appear
    // in quick succession.
    append(&codex_file(&codex), &(codex_head(CODEX_SESSION) + &codex_turn(0, 1000, 50, 50)));
    h.root_and_flush(&codex, |s| *s == RootState::Watching, "codex");
    assert_eq!(h.totals("codex"), (1, 50));

    // Now recursively watched: a new day's directory and an append to the first file.
    append(&codex_file(&codex), &codex_turn(1, 2000, 80, 30));
    h.flushed();
    assert_eq!(h.totals("codex"), (2, 80));
    assert!(h.live().roots().iter().any(|r| r.path == codex && r.state == RootState::Watching));
}

#[test]
fn a_root_deleted_and_recreated_is_watched_again() {
    let (mut h, cfg) = Harness::new(claude_home);
    h.start(cfg);
    let root = h.claude_root();
    std::fs::remove_dir_all(&root).unwrap();
    h.roots_where(&root, |s| *s == RootState::Missing);
    assert_eq!(h.totals("claude-code"), (2, 12), "history outlives the logs");

    append(&root.join("-home-dev-acme/s2.jsonl"), &claude_line("c", 100));
    h.root_and_flush(&root, |s| *s == RootState::Watching, "claude-code");
    assert_eq!(h.totals("claude-code"), (3, 112));

    append(&root.join("-home-dev-acme/s2.jsonl"), &claude_line("d", 1000));
    assert_eq!(h.flushed(), 1);
    assert_eq!(h.totals("claude-code"), (4, 1112));
}

#[test]
fn a_cut_line_counts_once_after_its_newline() {
    let (mut h, cfg) = Harness::new(|home| {
        claude_home(home);
        append(&home.join(".claude/projects/-home-dev-other/s9.jsonl"), &claude_line("z", 1));
    });
    h.start(cfg);
    let cut = h.claude_root().join("-home-dev-acme/s1.jsonl");
    let line = claude_line("c", 500);
    let (head, tail) = line.split_at(line.len() / 2);
    append(&cut, head);
    // The marker: written after the half line, so the scan that stores it also saw the half.
    append(&h.claude_root().join("-home-dev-other/s9.jsonl"), &claude_line("y", 2));
    h.flushed();
    assert_eq!(h.totals("claude-code"), (4, 15), "half a line is not read");

    let rest = &tail[..tail.len() - 1];
    append(&cut, rest);
    append(&h.claude_root().join("-home-dev-other/s9.jsonl"), &claude_line("x", 3));
    h.flushed();
    assert_eq!(h.totals("claude-code"), (5, 18), "still no newline: still not read");

    append(&cut, "\n");
    assert_eq!(h.flushed(), 1);
    assert_eq!(h.totals("claude-code"), (6, 518));
    append(&cut, &claude_line("d", 1));
    assert_eq!(h.flushed(), 1);
    assert_eq!(h.totals("claude-code"), (7, 519), "the completed line is not read again");
}

#[test]
fn nothing_is_ingested_while_paused_and_resume_catches_up() {
    let (mut h, cfg) = Harness::new(claude_home);
    h.start(cfg);
    h.live().pause();
    assert!(h.live().is_paused());
    append(&h.claude_root().join("-home-dev-acme/s1.jsonl"), &claude_line("c", 30));
    h.wait_for("Waiting", |e| matches!(e, LiveEvent::Waiting).then_some(()));
    assert_eq!(h.totals("claude-code"), (2, 12), "paused: the change was seen, not ingested");
    // A refresh while paused does not ingest either.
    h.live().rescan();
    append(&h.claude_root().join("-home-dev-acme/s1.jsonl"), &claude_line("d", 300));

    h.live().resume();
    assert!(!h.live().is_paused());
    assert_eq!(h.flushed(), 2, "both lines written while paused, in one catch-up scan");
    assert_eq!(h.totals("claude-code"), (4, 342));
}

#[test]
fn a_rescan_request_scans() {
    let (mut h, mut cfg) = Harness::new(claude_home);
    // Nothing reports changes on its own: polled, and the first poll is an hour away.
    cfg.force_poll = true;
    cfg.poll_interval = std::time::Duration::from_secs(3600);
    h.start(cfg);
    h.live().rescan();
    // A scan with nothing new stores nothing and sends no `Flushed`: the next one to arrive
    // is the one that reads the append, and only a rescan can read it.
    append(&h.claude_root().join("-home-dev-acme/s1.jsonl"), &claude_line("c", 30));
    h.live().rescan();
    assert_eq!(h.flushed(), 1);
    assert_eq!(h.totals("claude-code"), (3, 42));
}

#[test]
fn a_root_the_os_watcher_cannot_watch_is_polled() {
    let (mut h, mut cfg) = Harness::new(claude_home);
    cfg.force_poll = true;
    cfg.poll_interval = std::time::Duration::from_millis(100);
    h.start(cfg);
    let root = h.claude_root();
    let status = h.live().roots().into_iter().find(|r| r.path == root).unwrap();
    match &status.state {
        RootState::Polling { reason } => assert!(reason.contains("force_poll"), "{reason}"),
        other => panic!("expected polling, got {other:?}"),
    }
    let json = serde_json::to_value(&status).unwrap();
    assert_eq!(json["state"], "polling");
    assert!(json["reason"].as_str().unwrap().contains("force_poll"), "{json}");

    append(&root.join("-home-dev-acme/s1.jsonl"), &claude_line("c", 30));
    assert_eq!(h.flushed(), 1);
    assert_eq!(h.totals("claude-code"), (3, 42));

    // A missing root is polled through its ancestor and seen when it appears.
    let codex = h.codex_root();
    append(&codex_file(&codex), &(codex_head(CODEX_SESSION) + &codex_turn(0, 1000, 50, 50)));
    h.root_and_flush(&codex, |s| matches!(s, RootState::Polling { .. }), "codex");
    assert_eq!(h.totals("codex"), (1, 50));
    let roots = h.live().roots();
    assert!(roots.iter().all(|r| !matches!(r.state, RootState::Watching)), "{roots:?}");
}

#[test]
fn a_locked_ledger_is_reported_and_retried() {
    let (mut h, cfg) = Harness::new(claude_home);
    h.start(cfg);
    // A long CLI scan holds the write lock past the busy timeout.
    let other = Store::open(&h.db).unwrap();
    other.conn().execute_batch("BEGIN IMMEDIATE").unwrap();
    append(&h.claude_root().join("-home-dev-acme/s1.jsonl"), &claude_line("c", 30));
    let msg = h.wait_for("Error", |e| match e {
        LiveEvent::Error(m) => Some(m.clone()),
        _ => None,
    });
    assert!(msg.contains("locked"), "{msg}");
    other.conn().execute_batch("ROLLBACK").unwrap();
    // Retried after the backoff, without another change.
    assert_eq!(h.flushed(), 1);
    assert_eq!(h.totals("claude-code"), (3, 42));
}

#[test]
fn a_newer_ledger_is_refused_untouched() {
    let (h, cfg) = Harness::new(claude_home);
    let store = Store::open(&h.db).unwrap();
    store.conn().execute_batch("PRAGMA user_version = 9999").unwrap();
    drop(store);
    let before = std::fs::read(&h.db).unwrap();
    match Live::start(cfg, |_| {}) {
        Err(StoreError::NewerSchema { found: 9999, .. }) => {}
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a newer ledger was opened"),
    }
    assert_eq!(std::fs::read(&h.db).unwrap(), before);
}

#[test]
fn stop_joins_and_releases_the_ledger() {
    let (mut h, cfg) = Harness::new(claude_home);
    h.start(cfg);
    h.live.take().unwrap().stop();
    // The live thread is gone with its connection: another writer gets the lock at once.
    let other = Store::open(&h.db).unwrap();
    other.conn().execute_batch("BEGIN IMMEDIATE; COMMIT").unwrap();
}

/// A named pipe under a root is never opened (it would block the one writer forever).
#[cfg(unix)]
#[test]
fn a_named_pipe_under_a_root_does_not_block_the_ingest() {
    let (mut h, cfg) = Harness::new(claude_home);
    h.start(cfg);
    let pipe = h.claude_root().join("-home-dev-acme/pipe.jsonl");
    let made = std::process::Command::new("mkfifo").arg(&pipe).status().expect("mkfifo");
    assert!(made.success());
    append(&h.claude_root().join("-home-dev-acme/s1.jsonl"), &claude_line("c", 30));
    assert_eq!(h.flushed(), 1);
    assert_eq!(h.totals("claude-code"), (3, 42));
}

/// A log written without pause is still ingested while it is being written: the burst is cut
/// at `max_delay`, however short the gaps between writes.
#[test]
fn a_log_written_without_pause_is_ingested_while_written() {
    let (mut h, mut cfg) = Harness::new(claude_home);
    // Far longer than the writer's gaps and than the wait for `Flushed`: without the cap at
    // `max_delay` no burst would end in time.
    cfg.debounce = std::time::Duration::from_secs(60);
    cfg.max_delay = std::time::Duration::from_millis(250);
    h.start(cfg);
    let log = h.claude_root().join("-home-dev-acme/s1.jsonl");
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let writer = std::thread::spawn(move || {
        for i in 0..3000 {
            append(&log, &claude_line(&format!("w{i}"), 1));
            // Paces the writer (10 ms gaps); it stops when told.
            if stop_rx.recv_timeout(std::time::Duration::from_millis(10)).is_ok() {
                return true;
            }
        }
        false
    });
    assert!(h.flushed() >= 1);
    stop_tx.send(()).unwrap();
    assert!(writer.join().unwrap(), "the writer had finished before anything was ingested");
}

#[test]
fn a_renamed_project_directory_is_not_counted_twice_and_stays_watched() {
    let (mut h, cfg) = Harness::new(claude_home);
    h.start(cfg);
    let to = h.claude_root().join("-home-dev-renamed");
    std::fs::rename(h.claude_root().join("-home-dev-acme"), &to).unwrap();
    assert_eq!(h.flushed(), 2, "the moved file is read again from its start");
    assert_eq!(h.totals("claude-code"), (2, 12));

    append(&to.join("s1.jsonl"), &claude_line("c", 30));
    assert_eq!(h.flushed(), 1);
    assert_eq!(h.totals("claude-code"), (3, 42));
}

fn snapshots_in(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |r| {
        r.filter(|e| e.as_ref().is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".db"))).count()
    })
}

/// The daily snapshot (issue 14): taken on the first scan, on a thread of its own, and not again
/// the same day.
#[test]
fn a_daily_snapshot_is_taken_on_a_scan_and_not_again_the_same_day() {
    let (mut h, mut cfg) = Harness::new(claude_home);
    let dir = h.db.parent().unwrap().join("snapshots");
    cfg.snapshots =
        Some(tokenworth_core::backup::BackupSettings { dir: dir.clone(), keep_daily: 7, keep_weekly: 4 });
    h.start(cfg);
    // The copy runs beside the writer: its file appears when it is done (renamed into place).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while snapshots_in(&dir) == 0 {
        assert!(std::time::Instant::now() < deadline, "no snapshot in {}", dir.display());
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    append(&h.claude_root().join("-home-dev-acme/s1.jsonl"), &claude_line("c", 30));
    assert_eq!(h.flushed(), 1);
    assert_eq!(snapshots_in(&dir), 1, "one a day");
}

/// A ledger found damaged (the marker the CLI, the doctor or a snapshot's check writes) is not
/// written by the live ingest.
#[test]
fn a_ledger_marked_damaged_is_not_written() {
    let (mut h, cfg) = Harness::new(claude_home);
    h.start(cfg);
    std::fs::write(tokenworth_core::store::damage_marker(&h.db), "damaged page in events\n").unwrap();
    append(&h.claude_root().join("-home-dev-acme/s1.jsonl"), &claude_line("c", 30));
    let msg = h.wait_for("Error", |e| match e {
        LiveEvent::Error(m) => Some(m.clone()),
        _ => None,
    });
    assert!(msg.contains("damaged page in events") && msg.contains("restore"), "{msg}");
    assert_eq!(h.totals("claude-code"), (2, 12), "nothing written");
}

/// The `files` a `Flushed` found for `source` (the logs it looked at) and its stored events.
fn flushed_files(h: &Harness, source: &str) -> (usize, usize) {
    h.wait_for("a Flushed", |e| match e {
        LiveEvent::Flushed { events, report, .. } => {
            Some((report.sources.iter().find(|s| s.id == source).map_or(0, |s| s.files), *events))
        }
        _ => None,
    })
}

#[test]
fn an_append_reads_only_the_log_that_changed_and_a_removal_walks_the_roots() {
    // 40 sessions of history: a steady append must not look at all of them every time.
    let (mut h, cfg) = Harness::new(|home| {
        for i in 0..40 {
            append(
                &home.join(format!(".claude/projects/-p{i}/s{i}.jsonl")),
                &claude_line(&format!("h{i}"), 1),
            );
        }
    });
    assert_eq!(h.start(cfg), 40);
    let log = h.claude_root().join("-p7/s7.jsonl");
    for n in 0..3 {
        append(&log, &claude_line(&format!("new{n}"), 10));
        assert_eq!(flushed_files(&h, "claude-code"), (1, 1), "append {n}: one file looked at");
    }
    // A new session file in an existing project: its Create names it.
    append(&h.claude_root().join("-p7/s-new.jsonl"), &claude_line("fresh", 100));
    let (files, events) = flushed_files(&h, "claude-code");
    assert_eq!(events, 1);
    assert!(files <= 2, "{files} files looked at for one new file");
    assert_eq!(h.totals("claude-code"), (44, 40 + 30 + 100));

    // A removed log: the roots are walked so its cursor is marked missing; its rows stay.
    std::fs::remove_file(h.claude_root().join("-p3/s3.jsonl")).unwrap();
    append(&log, &claude_line("after", 1000));
    let seen = h.wait_for("a walk after the removal", |e| match e {
        LiveEvent::Flushed { report, .. } => {
            report.sources.iter().find(|s| s.id == "claude-code").filter(|s| s.files > 2).map(|s| s.files)
        }
        _ => None,
    });
    assert_eq!(seen, 40, "every remaining log was looked at");
    assert_eq!(h.totals("claude-code"), (45, 40 + 30 + 100 + 1000));
    let store = Store::open_readonly(&h.db).unwrap();
    let missing: i64 =
        store.conn().query_row("SELECT count(*) FROM files WHERE missing = 1", [], |r| r.get(0)).unwrap();
    assert_eq!(missing, 1);
}
