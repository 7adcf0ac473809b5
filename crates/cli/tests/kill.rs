//! `tokenworth scan` killed with SIGKILL at many points — while starting, creating the ledger,
//! discovering files, parsing, writing a batch, right after a batch committed, while closing —
//! loses nothing and doubles nothing: after the kills one full scan reports exactly what a clean
//! scan of the same logs reports, and every state left by a kill is a consistent prefix.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;

/// When to kill a scan.
#[derive(Debug, Clone, Copy)]
enum When {
    /// This long after spawning it.
    After(Duration),
    /// As soon as it has committed (`PRAGMA data_version` moved on a connection of ours).
    AfterCommit,
}

struct Killer<'a> {
    home: &'a Path,
    data: &'a Path,
    /// What the ledger must hold once every log is read (the home only grows during the test).
    final_exp: &'a Expected,
    /// Totals after the previous attempt: they may only grow.
    prev: Expected,
    /// Kills of a scan that was still running.
    kills: usize,
    /// Kills that hit a scan after it had committed (a batch of several, or its last one while
    /// closing) but before it exited.
    kills_after_commit: usize,
    /// What the logs on disk hold in this round, and what the ledger held when it began.
    target: Expected,
    round_start: Expected,
    /// States left by a kill holding more than at the start of its round but not all of it.
    partial_states: usize,
    log: Vec<String>,
}

impl Killer<'_> {
    /// Starts a scan and kills it at `when`, unless it finishes first. Returns whether it
    /// finished by itself.
    fn attempt(&mut self, when: When) -> bool {
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
    fn check_state(&mut self) {
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
    fn round(&mut self, rng: &mut Rng, full: Duration, first: &[When], target: &Expected) {
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

/// Gives every file a new inode with the same bytes (write beside, rename over): the next scan
/// must read them all again from byte 0, and store none twice.
fn replace_all(paths: &[PathBuf], staging: &Path) {
    std::fs::create_dir_all(staging).unwrap();
    for (i, p) in paths.iter().enumerate() {
        let tmp = staging.join(format!("{i}"));
        std::fs::copy(p, &tmp).unwrap();
        std::fs::rename(&tmp, p).unwrap();
    }
}

#[test]
fn sigkill_at_many_points_loses_and_doubles_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let mut rng = Rng::new(0xC0FFEE);
    // ~4,000 files, ~45 MB: more than one commit batch (2,000 files), so kills land both before
    // and after a commit.
    let spec = Spec {
        projects: 24,
        claude_files: 3800,
        codex_files: 200,
        turns: 5,
        tool_bytes: 150,
        big_chance: 0.01,
    };
    let mut built = build_home(&mut rng, &home, spec);
    let initial_exp = built.exp.clone();

    // The growth of the last round, made now so the final totals are known from the start.
    let mut final_exp = built.exp.clone();
    let mut growth: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    for (i, (p, s)) in built.claude.iter_mut().enumerate() {
        if i % 3 == 0 {
            let n = rng.range(1, 3) as usize;
            growth.push((p.clone(), s.turns(&mut rng, n, &mut final_exp).into_bytes()));
        }
    }
    for (i, (p, r)) in built.codex.iter_mut().enumerate() {
        if i % 3 == 1 {
            let n = rng.range(1, 3) as usize;
            growth.push((p.clone(), r.turns(&mut rng, n, &mut final_exp).into_bytes()));
        }
    }
    for i in 0..80 {
        let mut s = ClaudeSession::new(&mut rng, &format!("/home/dev/new{}", i % 4), T0_MS + 4 * 86_400_000);
        let bytes = s.turns(&mut rng, 4, &mut final_exp).into_bytes();
        growth.push((claude_path(&home, &format!("-home-dev-new{}", i % 4), &s.session), bytes));
    }
    assert!(grand(&final_exp).output > grand(&initial_exp).output);

    // A clean scan of the initial logs: the time a full scan takes, to spread the kills over.
    let ref0 = tmp.path().join("ref0");
    let started = Instant::now();
    scan(&home, &ref0);
    let full = started.elapsed();
    assert_eq!(sums_of(&daily(&home, &ref0, true)), initial_exp, "clean scan vs what was written");

    let data = tmp.path().join("killed");
    let mut k = Killer {
        home: &home,
        data: &data,
        final_exp: &final_exp,
        prev: Expected::new(),
        kills: 0,
        kills_after_commit: 0,
        target: Expected::new(),
        round_start: Expected::new(),
        partial_states: 0,
        log: Vec::new(),
    };
    // Round 1: an empty ledger; the first kills land while starting, creating the ledger and
    // discovering files.
    let early: Vec<When> =
        [0, 2, 8, 25, 60].iter().map(|&ms| When::After(Duration::from_millis(ms))).collect();
    k.round(&mut rng, full, &early, &initial_exp);
    // Round 2: every file replaced by a new inode with the same bytes: all read again.
    let paths = built.paths();
    replace_all(&paths, &tmp.path().join("staging"));
    k.round(&mut rng, full, &[], &initial_exp);
    // Round 3: a third of the files grew, new sessions appeared.
    for (p, b) in &growth {
        append(p, b);
    }
    k.round(&mut rng, full, &[], &final_exp);
    // More rounds of full re-reads until enough kills hit a running scan.
    let mut extra = 0;
    while (k.kills < 12 || k.kills_after_commit < 2) && extra < 6 {
        replace_all(&paths, &tmp.path().join("staging"));
        k.round(&mut rng, full, &[], &final_exp);
        extra += 1;
    }
    let log = k.log.join("\n");
    assert!(k.kills >= 12, "only {} kills hit a running scan:\n{log}", k.kills);
    assert!(k.kills_after_commit >= 2, "too few kills after a commit:\n{log}");
    assert!(k.partial_states >= 1, "no kill left a partly filled ledger:\n{log}");

    // After the kills, one full scan.
    scan(&home, &data);
    let got = daily(&home, &data, true);
    assert_ledger_consistent(&data, true);

    // The reference: a clean scan of the final logs in its own data dir.
    let reference_dir = tmp.path().join("ref");
    scan(&home, &reference_dir);
    let reference = daily(&home, &reference_dir, true);
    assert_same_daily(&got, &reference, "after the kills vs a clean scan");
    assert_eq!(sums_of(&reference), final_exp, "clean scan vs what was written");
    assert_eq!(sources(&home, &data), sources(&home, &reference_dir), "files, events, skipped lines");
    eprintln!(
        "full scan {full:?}; {} kills ({} after a commit), {} partial states:\n{log}",
        k.kills, k.kills_after_commit, k.partial_states
    );
}
