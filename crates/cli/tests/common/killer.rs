//! The killer of the kill -9 tests: starts `tokenworth scan` and SIGKILLs it at chosen points,
//! checking after each attempt that what the kill left is a sound prefix of the logs' totals.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::*;

/// When to kill a scan.
#[derive(Debug, Clone, Copy)]
pub enum When {
    /// This long after spawning it.
    After(Duration),
    /// As soon as it has committed (`PRAGMA data_version` moved on a connection of ours).
    AfterCommit,
}

pub struct Killer<'a> {
    pub home: &'a Path,
    pub data: &'a Path,
    /// What the ledger must hold once every log is read (the home only grows during the test).
    pub final_exp: &'a Expected,
    /// Totals after the previous attempt: they may only grow.
    pub prev: Expected,
    /// Kills of a scan that was still running.
    pub kills: usize,
    /// Kills that hit a scan after it had committed (a batch of several, or its last one while
    /// closing) but before it exited.
    pub kills_after_commit: usize,
    /// What the logs on disk hold in this round, and what the ledger held when it began.
    pub target: Expected,
    pub round_start: Expected,
    /// States left by a kill holding more than at the start of its round but not all of it.
    pub partial_states: usize,
    pub log: Vec<String>,
}

impl<'a> Killer<'a> {
    pub fn new(home: &'a Path, data: &'a Path, final_exp: &'a Expected) -> Killer<'a> {
        Killer {
            home,
            data,
            final_exp,
            prev: Expected::new(),
            kills: 0,
            kills_after_commit: 0,
            target: Expected::new(),
            round_start: Expected::new(),
            partial_states: 0,
            log: Vec::new(),
        }
    }

    /// Starts a scan and kills it at `when`, unless it finishes first. Returns whether it
    /// finished by itself.
    pub fn attempt(&mut self, when: When) -> bool {
        // A commit by the scan shows as a new `data_version` on a connection of ours (or, while
        // there is no ledger yet, as rows in `files`).
        let watcher = open_ro(self.data);
        let version = |c: &rusqlite::Connection| -> i64 {
            c.query_row("PRAGMA data_version", [], |r| r.get(0)).unwrap()
        };
        let before = watcher.as_ref().map(version);
        let errf = tempfile::NamedTempFile::new().unwrap();
        let mut child = cmd(self.home, self.data, &["scan", "--json"])
            .stdout(Stdio::null())
            .stderr(errf.reopen().unwrap())
            .spawn()
            .unwrap();
        let start = Instant::now();
        let mut committed_seen = false;
        let finished = loop {
            if let Some(status) = child.try_wait().unwrap() {
                let err = std::fs::read_to_string(errf.path()).unwrap();
                assert!(status.success() && err.is_empty(), "unkilled scan failed ({status:?}): {err}");
                break true;
            }
            let fire = match when {
                When::After(d) => start.elapsed() >= d,
                When::AfterCommit => {
                    committed_seen = match (&watcher, before) {
                        (Some(c), Some(v)) => version(c) != v,
                        _ => committed_files(self.data) > 0,
                    };
                    committed_seen
                }
            };
            if fire {
                child.kill().unwrap(); // SIGKILL on Unix
                let status = child.wait().unwrap();
                if status.success() {
                    // It exited on its own between the check and the kill.
                    break true;
                }
                self.kills += 1;
                if committed_seen {
                    self.kills_after_commit += 1;
                }
                break false;
            }
            std::thread::sleep(Duration::from_micros(300));
        };
        drop(watcher);
        self.log.push(format!(
            "{when:?}: {} after {:?}",
            if finished { "finished" } else { "killed" },
            start.elapsed()
        ));
        self.check_state();
        finished
    }

    /// Whatever a kill left is sound, never more than the logs hold, and never less than before.
    pub fn check_state(&mut self) {
        assert_ledger_consistent(self.data, false);
        let now = sums_of(&daily(self.home, self.data, true));
        assert_le(&self.prev, &now, "a kill lost usage already stored");
        assert_le(&now, self.final_exp, "a kill left usage counted twice");
        assert_le(&now, &self.target, "a kill left usage counted twice");
        if now != self.round_start && now != self.target {
            self.partial_states += 1;
        }
        self.prev = now;
    }

    /// Kills at `first`, then right after a commit, then at fractions of a full scan's time
    /// (jittered), until a scan finishes by itself. `target` is what the logs now hold.
    pub fn round(&mut self, rng: &mut Rng, full: Duration, first: &[When], target: &Expected) {
        self.target = target.clone();
        self.round_start = self.prev.clone();
        let mut whens: Vec<When> = first.to_vec();
        whens.push(When::AfterCommit);
        for f in [0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 1.0, 1.2] {
            let jitter = rng.range(0, 100) as f64 / 1000.0 - 0.05;
            whens.push(When::After(full.mul_f64((f + jitter).max(0.0))));
        }
        for (i, w) in whens.into_iter().enumerate() {
            // A scan that finished ends the round, unless it was one of the early kills.
            if self.attempt(w) && i >= first.len() {
                return;
            }
        }
    }
}

/// Gives every file a new inode with the same bytes and modification time (write beside, rename
/// over): the next scan must read them all again from byte 0, and store none twice. (The time is
/// kept because a running total without a time of its own falls on its file's mtime.)
pub fn replace_all(paths: &[PathBuf], staging: &Path) {
    std::fs::create_dir_all(staging).unwrap();
    for (i, p) in paths.iter().enumerate() {
        let tmp = staging.join(format!("{i}"));
        let mtime = std::fs::metadata(p).unwrap().modified().unwrap();
        std::fs::copy(p, &tmp).unwrap();
        std::fs::File::options().append(true).open(&tmp).unwrap().set_modified(mtime).unwrap();
        std::fs::rename(&tmp, p).unwrap();
    }
}
