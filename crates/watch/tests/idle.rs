//! "Costs nothing while nothing happens": once the initial scan is done, no thread of the live
//! ingest wakes up until a file changes. Measured with the kernel's context-switch counters of
//! the threads by name (its own binary, so no other test's threads share the names).

#![cfg(target_os = "linux")]

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{append, claude_line, Harness, TIMEOUT};
use tokenworth_watch::{LIVE_THREAD_NAME, POLL_THREAD_NAME};

/// notify's inotify thread, as its name is cut to 15 bytes by the kernel.
const INOTIFY_THREAD: &str = "notify-rs inoti";
/// How long nothing may happen.
const IDLE: Duration = Duration::from_secs(2);

struct Task {
    name: String,
    state: char,
    switches: u64,
}

fn tasks() -> BTreeMap<u32, Task> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let Ok(tid) = e.file_name().to_string_lossy().parse::<u32>() else { continue };
        // A thread may end between listing and reading.
        let Ok(status) = std::fs::read_to_string(e.path().join("status")) else { continue };
        let field = |key: &str| {
            status.lines().find_map(|l| l.strip_prefix(key)).map(|v| v.trim().to_string()).unwrap_or_default()
        };
        let switches = field("voluntary_ctxt_switches:").parse::<u64>().unwrap_or(0)
            + field("nonvoluntary_ctxt_switches:").parse::<u64>().unwrap_or(0);
        let state = field("State:").chars().next().unwrap_or('?');
        out.insert(tid, Task { name: field("Name:"), state, switches });
    }
    out
}

/// The live ingest's threads and their context switches, once all of them are asleep.
fn asleep_switches() -> BTreeMap<u32, (String, u64)> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let ours: BTreeMap<u32, Task> = tasks()
            .into_iter()
            .filter(|(_, t)| [LIVE_THREAD_NAME, INOTIFY_THREAD, POLL_THREAD_NAME].contains(&t.name.as_str()))
            .collect();
        if ours.values().all(|t| t.state == 'S') {
            return ours.into_iter().map(|(tid, t)| (tid, (t.name, t.switches))).collect();
        }
        assert!(Instant::now() < deadline, "the live threads never went to sleep");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn no_thread_wakes_up_while_nothing_happens() {
    // `.codex` and `.config` do not exist: their roots are watched through the home directory.
    let (mut h, cfg) = Harness::new(|home| {
        append(&home.join(".claude/projects/-home-dev-acme/s1.jsonl"), &claude_line("a", 5));
    });
    h.start(cfg);

    let before = asleep_switches();
    let names: Vec<&str> = before.values().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&LIVE_THREAD_NAME), "{names:?}");
    assert!(names.contains(&INOTIFY_THREAD), "{names:?}");
    assert!(!names.contains(&POLL_THREAD_NAME), "no polling while the OS watcher works: {names:?}");

    std::thread::sleep(IDLE);
    let after = asleep_switches();
    assert_eq!(before, after, "a live thread woke up while nothing happened");

    // The counters do see a wake-up: a change moves them.
    append(&h.claude_root().join("-home-dev-acme/s1.jsonl"), &claude_line("b", 7));
    h.flushed();
    let woken = asleep_switches();
    let live = |m: &BTreeMap<u32, (String, u64)>| {
        m.values().filter(|(n, _)| n == LIVE_THREAD_NAME).map(|(_, s)| *s).sum::<u64>()
    };
    assert!(live(&woken) > live(&after), "the change was ingested without the live thread waking?");
}
