//! Several `tokenworth` processes at once on one data dir (a report in a terminal while another
//! scan runs, an app refreshing): each waits for the other's write lock instead of failing,
//! including while the ledger is being created, and every report counts each request once.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::*;

#[test]
fn concurrent_runs_wait_for_each_other_and_count_once() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let mut rng = Rng::new(0xC0C0);
    let spec =
        Spec { projects: 6, claude_files: 500, codex_files: 40, turns: 6, tool_bytes: 300, big_chance: 0.01 };
    let mut built = build_home(&mut rng, &home, spec);
    let data = tmp.path().join("data");

    for round in 0..3 {
        if round > 0 {
            // More to store in every round after the first.
            for (p, s) in built.claude.iter_mut().step_by(3) {
                let more = s.turns(&mut rng, 2, &mut built.exp);
                append(p, more.as_bytes());
            }
        }
        let children: Vec<_> = (0..4)
            .map(|i| {
                let args: &[&str] = if i % 2 == 0 { &["daily", "--json"] } else { &["scan", "--json"] };
                let dir = tempfile::tempdir().unwrap();
                let (out, err) = (dir.path().join("out"), dir.path().join("err"));
                let child = cmd(&home, &data, args)
                    .stdout(std::fs::File::create(&out).unwrap())
                    .stderr(std::fs::File::create(&err).unwrap())
                    .stdin(Stdio::null())
                    .spawn()
                    .unwrap();
                (i, args, child, dir, out, err)
            })
            .collect();
        for (i, args, child, _dir, out, err) in children {
            let o = wait_guarded(child, Duration::from_secs(120), "concurrent run");
            let (stdout, stderr) = (std::fs::read(&out).unwrap(), std::fs::read_to_string(&err).unwrap());
            assert!(o.status.success(), "round {round}, run {i} {args:?} failed ({:?}):\n{stderr}", o.status);
            assert!(stderr.is_empty(), "round {round}, run {i}: {stderr}");
            if args[0] == "daily" {
                let v: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
                assert_eq!(sums_of(&v), built.exp, "round {round}, run {i}: report after its own scan");
            }
        }
        assert_eq!(sums_of(&daily(&home, &data, true)), built.exp, "round {round}");
        assert_ledger_consistent(&data, false);
    }
    let reference_dir = tmp.path().join("ref");
    scan(&home, &reference_dir);
    assert_eq!(sources(&home, &data), sources(&home, &reference_dir));
}
