//! `tokenworth scan` killed with SIGKILL at many points — while starting, creating the ledger,
//! discovering files, parsing, writing a batch, right after a batch committed, while closing —
//! loses nothing and doubles nothing: after the kills one full scan reports exactly what a clean
//! scan of the same logs reports, and every state left by a kill is a consistent prefix. Beside
//! Claude Code and Codex, Grok Build CLI logs (with resumed copies) are read in the same scans.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::killer::{replace_all, Killer, When};
use common::shapes::GrokSession;
use common::*;

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
    // Grok Build CLI sessions (lines of another tool); a tenth resumed into a new session folder
    // that copies their turns verbatim (counted once: the same event ids).
    let mut grok: Vec<GrokSession> = Vec::new();
    let mut copies: Vec<PathBuf> = Vec::new();
    for i in 0..150 {
        let start = T0_MS + 86_400_000 * rng.below(4) as i64;
        let mut g = GrokSession::new(&mut rng, &home, i % 5, start);
        let bytes = g.turns(&mut rng, 3, &mut built.exp);
        write(&g.path, bytes.as_bytes());
        if i % 10 == 0 {
            let copy = g.path.parent().unwrap().with_extension("resumed").join("updates.jsonl");
            write(&copy, bytes.as_bytes());
            copies.push(copy);
        }
        grok.push(g);
    }
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
    for (i, g) in grok.iter_mut().enumerate() {
        if i % 3 == 2 {
            let n = rng.range(1, 3) as usize;
            growth.push((g.path.clone(), g.turns(&mut rng, n, &mut final_exp).into_bytes()));
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
    let mut k = Killer::new(&home, &data, &final_exp);
    // Round 1: an empty ledger; the first kills land while starting, creating the ledger and
    // discovering files.
    let early: Vec<When> =
        [0, 2, 8, 25, 60].iter().map(|&ms| When::After(Duration::from_millis(ms))).collect();
    k.round(&mut rng, full, &early, &initial_exp);
    // Round 2: every file replaced by a new inode with the same bytes: all read again.
    let mut paths = built.paths();
    paths.extend(grok.iter().map(|g| g.path.clone()));
    paths.extend(copies.iter().cloned());
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
