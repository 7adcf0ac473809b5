//! Logs rewritten, shrunk, deleted, replaced or moved after they were read: the ledger keeps
//! every request it stored, counts none twice, and still counts what is appended afterwards
//! exactly once.

mod common;

use std::path::Path;

use serde_json::Value;

use common::*;

#[cfg(unix)]
fn inode(p: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(p).unwrap().ino()
}

#[cfg(not(unix))]
fn inode(_: &Path) -> u64 {
    0
}

/// Rewrites `path` in place (same inode) with `bytes`.
fn rewrite_in_place(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    let before = inode(path);
    let mut f = std::fs::OpenOptions::new().write(true).truncate(true).open(path).unwrap();
    f.write_all(bytes).unwrap();
    drop(f);
    assert_eq!(inode(path), before);
}

fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    bytes.split_inclusive(|&b| b == b'\n').collect()
}

fn is_assistant(line: &[u8]) -> bool {
    String::from_utf8_lossy(line).contains(r#""role":"assistant""#)
}

struct Ledger<'a> {
    home: &'a Path,
    data: &'a Path,
}

impl Ledger<'_> {
    /// Scans, then reads the daily report and the stored events count.
    fn scan(&self, what: &str) -> (Value, u64, Value) {
        let s = scan(self.home, self.data);
        assert!(s["warnings"].as_array().unwrap().is_empty(), "{what}: warnings {s}");
        let d = daily(self.home, self.data, true);
        let events = sources(self.home, self.data).values().map(|v| v.1).sum();
        assert_ledger_consistent(self.data, false);
        (d, events, s)
    }
}

#[test]
fn rewritten_shrunk_deleted_replaced_and_moved_logs_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let data = tmp.path().join("data");
    let mut rng = Rng::new(0x4E3_0001);
    let spec =
        Spec { projects: 3, claude_files: 9, codex_files: 4, turns: 20, tool_bytes: 600, big_chance: 0.03 };
    let mut built = build_home(&mut rng, &home, spec);
    let l = Ledger { home: &home, data: &data };

    let (base, base_events, _) = l.scan("first scan");
    assert_eq!(sums_of(&base), built.exp, "first scan vs what was written");
    let same = |what: &str| {
        let (d, events, s) = l.scan(what);
        assert_same_daily(&d, &base, what);
        assert_eq!(events, base_events, "{what}: stored events");
        s
    };

    // (a) A Claude transcript compacted in place: its earlier assistant lines dropped, the
    // file shorter, same path and inode.
    let a = built.claude[0].0.clone();
    let orig = std::fs::read(&a).unwrap();
    let ls = lines(&orig);
    let half = ls.len() / 2;
    let compacted: Vec<u8> = ls
        .iter()
        .enumerate()
        .filter(|(i, l)| *i >= half || !is_assistant(l))
        .flat_map(|(_, l)| l.to_vec())
        .collect();
    assert!(compacted.len() < orig.len() && compacted.len() > orig.len() / 4);
    rewrite_in_place(&a, &compacted);
    let s = same("(a) compacted in place");
    assert!(s["files_read"].as_u64().unwrap() >= 1, "the compacted file was not read again: {s}");

    // (b) Truncated to half (mid-line), a Claude transcript and a Codex rollout.
    for p in [&built.claude[1].0, &built.codex[0].0] {
        let len = std::fs::metadata(p).unwrap().len();
        std::fs::OpenOptions::new().write(true).open(p).unwrap().set_len(len / 2).unwrap();
    }
    same("(b) truncated to half");

    // (c) A file deleted, and a whole project directory.
    let c =
        built.claude.iter().find(|(p, _)| p.parent().unwrap().ends_with("-home-dev-p1")).unwrap().0.clone();
    std::fs::remove_file(&c).unwrap();
    let doomed = home.join(".claude/projects/-home-dev-p2");
    assert!(std::fs::read_dir(&doomed).unwrap().count() >= 2);
    std::fs::remove_dir_all(&doomed).unwrap();
    same("(c) deleted file and project");

    // (d) Replaced by a new inode with the same bytes (written beside, renamed over).
    let e = built.claude.iter().find(|(p, _)| p.exists() && *p != a).unwrap().0.clone();
    for p in [&e, &built.codex[1].0] {
        let before = inode(p);
        let tmp_copy = tmp.path().join("replacement");
        std::fs::copy(p, &tmp_copy).unwrap();
        std::fs::rename(&tmp_copy, p).unwrap();
        assert_ne!(inode(p), before);
    }
    let s = same("(d) replaced by a new inode");
    assert!(s["files_read"].as_u64().unwrap() >= 2, "replaced files were not read again: {s}");

    // (e) A Codex rollout moved to archived_sessions.
    let g = built.codex[2].0.clone();
    let archived = home.join(".codex/archived_sessions").join(g.file_name().unwrap());
    std::fs::create_dir_all(archived.parent().unwrap()).unwrap();
    std::fs::rename(&g, &archived).unwrap();
    same("(e) moved to archived_sessions");

    // Every step again, nothing changed: still the same.
    same("rescan");

    // New turns appended to the compacted file: counted exactly once.
    let mut added = Expected::new();
    let more = built.claude[0].1.turns(&mut rng, 3, &mut added);
    append(&a, more.as_bytes());
    let (d, events, _) = l.scan("appended to the compacted file");
    let mut want = sums_of(&base);
    expect_merge(&mut want, &added);
    assert_eq!(sums_of(&d), want, "appended after compaction");
    assert_eq!(events, base_events + 3);
    let (d2, events2, _) = l.scan("rescan after append");
    assert_same_daily(&d2, &d, "rescan after append");
    assert_eq!(events2, events);

    // A transcript rewritten in place keeping its head (the first 4 KB) but dropping a response
    // further on, then grown past its old length: the bytes before the old offset changed, so it
    // is read again from the start; only the new turns add up.
    let h = built.claude[3].0.clone();
    let orig = std::fs::read(&h).unwrap();
    let ls = lines(&orig);
    let mut at = 0;
    let drop_i = ls
        .iter()
        .position(|l| {
            at += l.len();
            at > 8192 && is_assistant(l)
        })
        .expect("a response after the first 8 KB");
    let mut rewritten: Vec<u8> =
        ls.iter().enumerate().filter(|(i, _)| *i != drop_i).flat_map(|(_, l)| l.to_vec()).collect();
    let mut added2 = Expected::new();
    let responses_before = built.claude[3].1.n;
    while rewritten.len() <= orig.len() + 100 {
        rewritten.extend_from_slice(built.claude[3].1.turns(&mut rng, 1, &mut added2).as_bytes());
    }
    assert_eq!(rewritten[..4096], orig[..4096]);
    rewrite_in_place(&h, &rewritten);
    let new_responses = built.claude[3].1.n - responses_before;
    let (d3, events3, s) = l.scan("rewritten with the same head, grown");
    assert_eq!(s["bytes_read"].as_u64().unwrap(), rewritten.len() as u64, "not read again from byte 0: {s}");
    expect_merge(&mut want, &added2);
    assert_eq!(sums_of(&d3), want, "rewritten with the same head, grown");
    assert_eq!(events3, events2 + new_responses);
    let (d4, events4, _) = l.scan("rescan");
    assert_same_daily(&d4, &d3, "rescan");
    assert_eq!(events4, events3);
}
