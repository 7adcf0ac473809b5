//! Logs that grow while Tokenworth reads them: every file grown from empty to its final bytes in
//! random chunks that cut lines (and now and then UTF-8 characters) in half, with scans in
//! between, ends at exactly the totals of one scan of the final files, with no line counted as
//! malformed on the way. Claude Code, Codex and Grok Build CLI logs (one resumed copy among them).

mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::shapes::GrokSession;
use common::*;

/// Adds Grok Build CLI logs to a generated home: four sessions, and one of them resumed into a
/// new session folder that copies its turns (the same bytes, growing on their own; counted once).
fn with_grok(rng: &mut Rng, home: &std::path::Path, exp: &mut Expected, files: &mut Vec<(PathBuf, Vec<u8>)>) {
    for i in 0..4 {
        let start = T0_MS + rng.below(5 * 86_400_000) as i64;
        let mut g = GrokSession::new(rng, home, i, start);
        let bytes = g.turns(rng, 20, exp).into_bytes();
        if i == 0 {
            let copy = g.path.parent().unwrap().with_extension("resumed").join("updates.jsonl");
            files.push((copy, bytes.clone()));
        }
        files.push((g.path.clone(), bytes));
    }
}

/// A chunk size: mostly small or medium, sometimes large (a big tool output then spans several
/// chunks either way).
fn chunk_len(rng: &mut Rng) -> usize {
    match rng.below(10) {
        0..=3 => rng.range(1, 200) as usize,
        4..=7 => rng.range(200, 6_000) as usize,
        _ => rng.range(6_000, 40_000) as usize,
    }
}

/// Where the next chunk of `bytes` (already written up to `at`) ends: random, now and then
/// moved inside a multibyte UTF-8 character. Returns (end, cut inside a character).
fn next_cut(rng: &mut Rng, bytes: &[u8], at: usize) -> (usize, bool) {
    let mut end = (at + chunk_len(rng)).min(bytes.len());
    if end < bytes.len() && rng.chance(0.3) {
        // The next continuation byte: cutting before it splits a character.
        if let Some(i) = bytes[end..bytes.len().min(end + 2048)].iter().position(|b| (0x80..0xC0).contains(b))
        {
            end += i;
            return (end, true);
        }
    }
    (end, false)
}

fn spec() -> Spec {
    Spec { projects: 3, claude_files: 8, codex_files: 4, turns: 24, tool_bytes: 800, big_chance: 0.05 }
}

#[test]
fn growth_in_random_chunks_ends_at_one_scans_totals() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let data = tmp.path().join("data");
    let mut rng = Rng::new(0x6E0_0001);
    let (mut built, mut files) = generate(&mut rng, &home, spec());
    with_grok(&mut rng, &home, &mut built.exp, &mut files);
    let exp = built.exp;
    let mut written = vec![0usize; files.len()];
    let (mut rounds, mut mid_char, mut mid_line) = (0, 0, 0);
    let mut prev = Expected::new();
    while written.iter().zip(&files).any(|(w, f)| *w < f.1.len()) {
        // Grow a random few of the unfinished files by a chunk each.
        let open: Vec<usize> = (0..files.len()).filter(|&i| written[i] < files[i].1.len()).collect();
        let mut grew = 0;
        for &i in &open {
            // Each open file with chance 0.3; the last one if none was picked.
            let last_chance = grew == 0 && i == *open.last().unwrap();
            if !(rng.chance(0.3) || last_chance) {
                continue;
            }
            let (path, bytes) = &files[i];
            let (end, in_char) = next_cut(&mut rng, bytes, written[i]);
            append(path, &bytes[written[i]..end]);
            written[i] = end;
            grew += 1;
            mid_char += usize::from(in_char);
            mid_line += usize::from(end < bytes.len() && bytes[end - 1] != b'\n');
        }
        rounds += 1;
        // Scan (as part of a report), and check the totals only ever grow towards the final.
        let now = sums_of(&daily(&home, &data, false));
        assert_le(&prev, &now, "usage already counted went missing");
        assert_le(&now, &exp, "usage counted twice");
        prev = now;
    }
    let total: usize = files.iter().map(|f| f.1.len()).sum();
    eprintln!(
        "{} files, {total} bytes, {rounds} rounds, {mid_line} cuts mid-line, {mid_char} mid-character",
        files.len()
    );
    assert!(rounds >= 60, "only {rounds} rounds");
    assert!(mid_line >= 100, "only {mid_line} cuts inside a line");
    assert!(mid_char >= 10, "only {mid_char} cuts inside a UTF-8 character");

    let got = daily(&home, &data, false);
    assert_eq!(sums_of(&got), exp, "grown in chunks vs what was written");
    let reference_dir = tmp.path().join("ref");
    let reference = daily(&home, &reference_dir, false);
    assert_same_daily(&got, &reference, "grown in chunks vs one scan");
    let (grown, once) = (sources(&home, &data), sources(&home, &reference_dir));
    assert_eq!(grown, once, "files, events, skipped lines");
    assert!(grown.values().all(|s| s.2 == 0), "a half-written line was counted as malformed: {grown:?}");
    assert_ledger_consistent(&data, true);
}

/// The same while the files are appended to by another thread during the scans (a scan sees a
/// file grow between looking at its size and reading it): once the writer stops, one more scan
/// reports exactly what was written.
#[test]
fn growth_while_scans_run_concurrently() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let data = tmp.path().join("data");
    let mut rng = Rng::new(0x6E0_0002);
    let (mut built, mut files) = generate(&mut rng, &home, spec());
    with_grok(&mut rng, &home, &mut built.exp, &mut files);
    let exp = built.exp;
    let done = AtomicBool::new(false);
    let scans = std::thread::scope(|s| {
        s.spawn(|| {
            let mut rng = Rng::new(7);
            let mut written = vec![0usize; files.len()];
            let files: &Vec<(PathBuf, Vec<u8>)> = &files;
            while written.iter().zip(files).any(|(w, f)| *w < f.1.len()) {
                let i = rng.below(files.len() as u64) as usize;
                let (path, bytes) = &files[i];
                if written[i] == bytes.len() {
                    continue;
                }
                let (end, _) = next_cut(&mut rng, bytes, written[i]);
                append(path, &bytes[written[i]..end]);
                written[i] = end;
                // Pace the writer so scans overlap the growth (correctness never depends on it).
                std::thread::sleep(Duration::from_micros(rng.range(0, 3000)));
            }
            done.store(true, Ordering::SeqCst);
        });
        let mut prev = Expected::new();
        let mut scans = 0;
        while !done.load(Ordering::SeqCst) {
            let now = sums_of(&daily(&home, &data, false));
            assert_le(&prev, &now, "usage already counted went missing");
            assert_le(&now, &exp, "usage counted twice");
            prev = now;
            scans += 1;
        }
        scans
    });
    eprintln!("{scans} scans while growing");
    let got = daily(&home, &data, false);
    assert_eq!(sums_of(&got), exp, "grown concurrently vs what was written ({scans} scans)");
    let reference_dir = tmp.path().join("ref");
    let reference = daily(&home, &reference_dir, false);
    assert_same_daily(&got, &reference, "grown concurrently vs one scan");
    let grown = sources(&home, &data);
    assert_eq!(grown, sources(&home, &reference_dir), "files, events, skipped lines");
    assert!(grown.values().all(|s| s.2 == 0), "a half-written line was counted as malformed: {grown:?}");
}
