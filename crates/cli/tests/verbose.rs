//! `-v` (issue 14): the libraries' `tracing` events on stderr, and only with `-v`; never a note,
//! a prompt or a log's contents, whatever the command handled.

mod common;

use std::path::Path;
use std::process::Output;

use common::*;

/// 2026-03-02T10:00:00Z.
const T: i64 = 1_772_445_600_000;
const NOTE: &str = "note-text-9f31 the secret plan";
const PROMPT: &str = "prompt-text-5c02 refactor the billing page";

fn lines() -> Vec<u8> {
    let assistant = format!(
        r#"{{"type":"assistant","sessionId":"s-1","cwd":"/p","requestId":"r-1","timestamp":"{}","message":{{"id":"m-1","model":"claude-sonnet-4-5","content":[{{"type":"text","text":"{PROMPT}"}}],"usage":{{"input_tokens":10,"output_tokens":5,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}}}}"#,
        ts(T)
    );
    let user = format!(
        r#"{{"type":"user","sessionId":"s-1","cwd":"/p","timestamp":"{}","message":{{"role":"user","content":"{PROMPT}"}}}}"#,
        ts(T - 1000)
    );
    // A line cut short: skipped and counted; its text must not reach a log either.
    let broken = format!(r#"{{"type":"assistant","message":{{"content":"{PROMPT}""#);
    format!("{user}\n{assistant}\n{broken}\n").into_bytes()
}

fn run(home: &Path, data: &Path, args: &[&str], log: Option<&str>) -> Output {
    let mut c = cmd(home, data, args);
    match log {
        Some(v) => c.env("TOKENWORTH_LOG", v),
        None => c.env_remove("TOKENWORTH_LOG"),
    };
    let o = c.output().expect("run tokenworth");
    let err = stderr_of(&o);
    assert!(o.status.success(), "tokenworth {args:?} failed:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    o
}

#[test]
fn verbose_traces_the_libraries_on_stderr_and_never_a_note_or_prompt() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let (home, data) = (root.join("home"), root.join("data"));
    write(&home.join(".claude/projects/-p/s-1.jsonl"), &lines());

    // Without -v: the warnings the CLI prints, no trace.
    let quiet = [
        run(&home, &data, &["scan"], None),
        run(&home, &data, &["tag", "s-1", "shipped", "--note", NOTE, "--no-scan"], None),
        run(&home, &data, &["backup"], None),
    ];
    for o in &quiet {
        let err = stderr_of(o);
        assert!(!err.contains("tokenworth_core"), "a trace without -v:\n{err}");
    }

    let mut all = String::new();
    let tag = stderr_of(&run(
        &home,
        &data,
        &["-v", "tag", "s-1", "fixed", "--note", NOTE, "--link", "https://example.com/x", "--no-scan"],
        None,
    ));
    assert!(tag.contains("sessions tagged") && tag.contains("DEBUG"), "the tag is traced:\n{tag}");
    assert!(tag.contains(r#"note="set""#), "{tag}");
    all += &tag;
    let backup = stderr_of(&run(&home, &data, &["backup", "--verbose"], None));
    assert!(backup.contains("snapshot taken and checked"), "{backup}");
    all += &backup;
    let doctor = stderr_of(&run(&home, &data, &["-v", "doctor"], None));
    assert!(doctor.contains("doctor done") && doctor.contains("sound=true"), "{doctor}");
    all += &doctor;
    let scan = stderr_of(&run(&home, &data, &["-v", "scan"], None));
    all += &scan;

    // export (holds the note on stdout) → import into an empty ledger, traced.
    let export = run(&home, &data, &["-v", "export", "--no-scan"], None);
    assert!(String::from_utf8_lossy(&export.stdout).contains(NOTE), "the export has the note");
    all += &stderr_of(&export);
    let file = root.join("export.jsonl");
    std::fs::write(&file, &export.stdout).unwrap();
    let other = root.join("other");
    let import = stderr_of(&run(&home, &other, &["-v", "import", file.to_str().unwrap()], None));
    assert!(import.contains("import merged") && import.contains("tags=1"), "{import}");
    all += &import;

    // TOKENWORTH_LOG sets the level: at warn, the snapshot's info line is gone.
    let warn_only = stderr_of(&run(&home, &data, &["-v", "backup"], Some("warn")));
    assert!(!warn_only.contains("snapshot taken"), "{warn_only}");

    assert!(!all.contains("note-text-9f31"), "a note reached the trace:\n{all}");
    assert!(!all.contains("prompt-text-5c02"), "log text reached the trace:\n{all}");
    assert!(!all.contains("example.com"), "a link reached the trace:\n{all}");
}
