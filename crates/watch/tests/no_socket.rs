//! With sharing off nothing opens a network socket: the live ingest (the tray app's only ingest
//! path) with appends runs under `strace -f -e trace=socket,connect`, which must show no
//! AF_INET/AF_INET6 socket. The traced part is this test binary run again on the child test.

mod common;

use std::path::Path;

use common::{append, claude_line, Harness};

const CHILD: &str = "TOKENWORTH_TRACED_CHILD";

fn claude_home(home: &Path) {
    append(
        &home.join(".claude/projects/-home-dev-acme/s1.jsonl"),
        &(claude_line("a", 5) + &claude_line("b", 7)),
    );
}

/// The traced part: a watch, three appends, each ingested. Runs only when the parent test
/// starts it under strace.
#[test]
fn traced_child_watch_with_appends() {
    if std::env::var(CHILD).as_deref() != Ok("1") {
        return;
    }
    let (mut h, cfg) = Harness::new(claude_home);
    assert_eq!(h.start(cfg), 2);
    for (i, n) in [3u64, 4, 5].into_iter().enumerate() {
        append(&h.claude_root().join("-home-dev-acme/s1.jsonl"), &claude_line(&format!("c{i}"), n));
        assert_eq!(h.flushed(), 1);
    }
    assert_eq!(h.totals("claude-code"), (5, 24));
    println!("traced child ingested every append");
}

#[test]
fn a_watch_with_appends_opens_no_network_socket() {
    let strace = std::process::Command::new("strace").arg("-V").output();
    assert!(
        strace.is_ok_and(|o| o.status.success()),
        "strace is not installed: run `bash scripts/setup-app.sh --test` (or apt-get install strace)"
    );
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace");
    let o = std::process::Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=socket,connect", "-o"])
        .arg(&trace)
        .arg(std::env::current_exe().unwrap())
        .args(["traced_child_watch_with_appends", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}\n{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("traced child ingested every append"), "the child did not run: {out}");
    let t = std::fs::read_to_string(&trace).unwrap();
    assert!(!t.contains("AF_INET"), "the watch opened a network socket:\n{t}");
}
