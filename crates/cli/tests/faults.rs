//! Faults of the machine rather than of the input (issue 15's fault campaign, and issue 14's
//! probe finding that a full disk was reported as a refused database): the real binary on a data
//! dir that is a small filesystem of its own, which fills up in the middle of a scan.
//!
//! The small filesystem is a tmpfs mounted in a private mount namespace (`unshare -m`, or
//! `unshare -rm` for a user that is not root), so nothing stays mounted if the test dies; a shell
//! script runs every step inside that namespace and leaves each step's exit code and output in
//! files outside the mount.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::Value;

/// Runs `script` with `sh -e` in a private mount namespace.
fn in_mount_namespace(script: &str) -> std::process::Output {
    let root = is_root();
    let mut c = Command::new("unshare");
    c.arg(if root { "-m" } else { "-rm" }).args(["sh", "-c", script]);
    let o = c.output().expect("unshare (util-linux) runs");
    assert!(
        o.status.success(),
        "the fault script failed (a private mount namespace and a tmpfs are needed: root, or user \
         namespaces enabled):\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        stderr_of(&o)
    );
    o
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

fn quoted(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}

/// One `tokenworth` step of the script: its exit code, stdout and stderr go to `<out>/<name>.*`.
fn step(out: &Path, name: &str, home: &Path, data: &Path, args: &[&str]) -> String {
    format!(
        "HOME={home} {bin} {args} --data-dir {data} --timezone UTC >{o}/{name}.out 2>{o}/{name}.err \
         && echo 0 >{o}/{name}.rc || echo $? >{o}/{name}.rc\n",
        home = quoted(home),
        bin = quoted(Path::new(bin())),
        args = args.join(" "),
        data = quoted(data),
        o = quoted(out),
    )
}

fn read(out: &Path, name: &str, ext: &str) -> String {
    std::fs::read_to_string(out.join(format!("{name}.{ext}"))).unwrap_or_default()
}

fn code(out: &Path, name: &str) -> i32 {
    read(out, name, "rc").trim().parse().unwrap_or(-1)
}

fn json(out: &Path, name: &str) -> Value {
    serde_json::from_str(&read(out, name, "out"))
        .unwrap_or_else(|e| panic!("{name}: not JSON ({e}); stderr: {}", read(out, name, "err")))
}

#[test]
fn a_full_disk_while_scanning_is_a_clear_error_and_the_scan_completes_once_space_returns() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let (home, data, clean, out) =
        (root.join("home"), root.join("data"), root.join("clean"), root.join("out"));
    for d in [&data, &clean, &out] {
        std::fs::create_dir_all(d).unwrap();
    }

    // A first, small day of logs fits the small disk; a session of it is tagged.
    let mut rng = Rng::new(15);
    let mut s = ClaudeSession::new(&mut rng, "/home/dev/small", T0_MS);
    let mut exp = Expected::new();
    let first = claude_path(&home, "-home-dev-small", &s.session);
    write(&first, s.turns(&mut rng, 5, &mut exp).as_bytes());
    let session = s.session.clone();
    let tag = ["tag", session.as_str(), "shipped", "--note", "'the small one'"];

    // Then much more than the disk holds.
    let spec =
        Spec { projects: 4, claude_files: 60, codex_files: 20, turns: 80, tool_bytes: 300, big_chance: 0.0 };
    let mut script = format!("mount -t tmpfs -o size=1m tmpfs {}\n", quoted(&data));
    script += &step(&out, "scan1", &home, &data, &["scan"]);
    script += &step(&out, "tag", &home, &data, &tag);
    script += &format!(
        "touch {}/generate\nwhile [ ! -e {}/generated ]; do sleep 0.05; done\n",
        quoted(&out),
        quoted(&out)
    );
    script += &step(&out, "full", &home, &data, &["scan"]);
    script += &step(&out, "full_again", &home, &data, &["daily", "--json"]);
    script += &step(&out, "doctor_full", &home, &data, &["doctor"]);
    script += &format!("mount -o remount,size=256m {}\n", quoted(&data));
    script += &step(&out, "resumed", &home, &data, &["scan"]);
    script += &step(&out, "doctor", &home, &data, &["doctor"]);
    for (name, what) in [("daily", "daily"), ("session", "session"), ("outcomes", "outcomes")] {
        script += &step(&out, name, &home, &data, &[what, "--json", "--no-scan"]);
    }

    // The script waits for the big logs, written from here while the small disk holds the
    // first scan.
    let runner = {
        let script = script.clone();
        std::thread::spawn(move || in_mount_namespace(&script))
    };
    let flag = out.join("generate");
    let started = std::time::Instant::now();
    while !flag.exists() {
        assert!(started.elapsed().as_secs() < 300, "the fault script never reached the big logs");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    build_home(&mut rng, &home, spec);
    std::fs::write(out.join("generated"), b"").unwrap();
    runner.join().unwrap();

    assert_eq!(code(&out, "scan1"), 0, "the first scan fits: {}", read(&out, "scan1", "err"));
    assert_eq!(code(&out, "tag"), 0, "{}", read(&out, "tag", "err"));

    // The full disk: its own clear message, exit 1 (not 3, a refused database), no panic.
    let err = read(&out, "full", "err");
    assert_eq!(code(&out, "full"), 1, "a full disk exits 1; stderr:\n{err}");
    assert!(err.contains("disk is full"), "the message names the full disk:\n{err}");
    assert!(!err.contains("panicked") && !err.contains("damaged"), "{err}");
    // Reports still report what is stored while the disk is full, and the ledger is sound.
    let err = read(&out, "full_again", "err");
    assert_eq!(code(&out, "full_again"), 0, "a report on a full disk still reports:\n{err}");
    assert!(err.contains("could not be stored") || err.contains("disk is full"), "{err}");
    assert_eq!(
        code(&out, "doctor_full"),
        0,
        "the ledger is sound on the full disk: {}",
        read(&out, "doctor_full", "out")
    );

    // Once space returns, the scan completes and everything equals a clean run.
    assert_eq!(code(&out, "resumed"), 0, "{}", read(&out, "resumed", "err"));
    assert_eq!(code(&out, "doctor"), 0, "{}", read(&out, "doctor", "out"));
    run_ok(&home, &clean, &["scan"]);
    let tag_clean: Vec<&str> = tag.iter().map(|a| a.trim_matches('\'')).collect();
    run_ok(&home, &clean, &tag_clean);
    let want = |what: &str| json_of(&run_ok(&home, &clean, &[what, "--json", "--no-scan"]));
    assert_same_daily(&json(&out, "daily"), &want("daily"), "after the disk was full");
    same_json(&json(&out, "session"), &want("session"), "session");
    same_json(&json(&out, "outcomes"), &want("outcomes"), "outcomes");
    assert!(read(&out, "outcomes", "out").contains("shipped"));
}

/// Equal JSON, money compared to a part in a billion (sums in another order); the path of the
/// first difference otherwise.
fn same_json(got: &Value, want: &Value, path: &str) {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            let (gk, wk): (Vec<_>, Vec<_>) = (g.keys().collect(), w.keys().collect());
            assert_eq!(gk, wk, "{path}: keys");
            for (k, v) in g {
                same_json(v, &w[k], &format!("{path}.{k}"));
            }
        }
        (Value::Array(g), Value::Array(w)) => {
            assert_eq!(g.len(), w.len(), "{path}: length");
            for (i, (a, b)) in g.iter().zip(w).enumerate() {
                same_json(a, b, &format!("{path}[{i}]"));
            }
        }
        (Value::Number(a), Value::Number(b)) if a.is_f64() || b.is_f64() => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            assert!((a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0), "{path}: {a} != {b}");
        }
        _ => assert_eq!(got, want, "{path}"),
    }
}
