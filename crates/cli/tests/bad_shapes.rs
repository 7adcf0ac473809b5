//! Bad input in the other three shapes of log, each beside a Claude Code log that must still be
//! read in the same scan: a running total that goes backwards (a Droid settings file, a Goose
//! session row), a document cut mid-JSON (an Amp thread), a database locked by another
//! connection, files that are not databases (random bytes, "encrypted" pages), and a 50 MB
//! document. Each is a clear warning or a correct read: exit 0, no panic, nothing already stored
//! lost, nothing counted twice.

mod common;

use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use common::shapes::*;
use common::*;

/// `scan --json`: succeeds, does not panic; returns its warnings (stderr lines).
fn scan_warnings(home: &Path, data: &Path) -> Vec<String> {
    let o = run_guarded(cmd(home, data, &["scan", "--json"]), Duration::from_secs(120), "scan");
    let err = stderr_of(&o);
    assert!(o.status.success(), "scan failed ({:?}):\n{err}", o.status);
    assert!(!err.contains("panicked"), "scan panicked:\n{err}");
    let v = json_of(&o);
    let warnings: Vec<String> =
        v["warnings"].as_array().unwrap().iter().map(|w| w.as_str().unwrap().to_owned()).collect();
    for w in &warnings {
        assert!(err.contains(w.as_str()), "warning {w:?} not on stderr:\n{err}");
    }
    warnings
}

/// A Claude Code session with `turns` turns more each call: the other source that must be read.
struct Other {
    s: ClaudeSession,
    path: std::path::PathBuf,
}

impl Other {
    fn new(rng: &mut Rng, home: &Path) -> Other {
        let s = ClaudeSession::new(rng, "/home/dev/other", T0_MS + 3 * 3_600_000);
        let path = claude_path(home, "-home-dev-other", &s.session);
        Other { s, path }
    }
    fn grow(&mut self, rng: &mut Rng, exp: &mut Expected) {
        let b = self.s.turns(rng, 2, exp);
        append(&self.path, b.as_bytes());
    }
}

fn only(exp: &Expected, source: &str) -> Expected {
    exp.iter().filter(|((_, s), _)| s == source).map(|(k, v)| (k.clone(), *v)).collect()
}

fn at(rfc3339: &str) -> std::time::SystemTime {
    let t = chrono::DateTime::parse_from_rfc3339(rfc3339).unwrap();
    UNIX_EPOCH + Duration::from_millis(t.timestamp_millis() as u64)
}

fn droid_doc(input: u64, output: u64) -> String {
    format!(
        r#"{{"model":"gpt-5","providerLock":"openai","providerLockTimestamp":"2026-03-02T09:00:00.000Z","tokenUsage":{{"inputTokens":{input},"outputTokens":{output},"cacheCreationTokens":0,"cacheReadTokens":0,"thinkingTokens":0}}}}"#
    )
}

fn goose_db(home: &Path) -> rusqlite::Connection {
    let p = home.join(".local/share/goose/sessions/sessions.db");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    let c = rusqlite::Connection::open(p).unwrap();
    c.execute_batch(
        "PRAGMA journal_mode=WAL;
         CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, working_dir TEXT NOT NULL, created_at TIMESTAMP, updated_at TIMESTAMP,
            accumulated_total_tokens INTEGER, accumulated_input_tokens INTEGER, accumulated_output_tokens INTEGER,
            provider_name TEXT, model_config_json TEXT);",
    )
    .unwrap();
    c
}

fn goose_set(c: &rusqlite::Connection, updated_at: &str, input: u64, output: u64) {
    c.execute(
        "INSERT INTO sessions VALUES ('20260302_1', '/home/dev/api', '2026-03-02 09:00:00', ?1, ?2, ?3, ?4, 'anthropic', '{\"model_name\":\"claude-sonnet-4-5\"}')
         ON CONFLICT(id) DO UPDATE SET updated_at = ?1, accumulated_total_tokens = ?2, accumulated_input_tokens = ?3, accumulated_output_tokens = ?4",
        rusqlite::params![updated_at, (input + output) as i64, input as i64, output as i64],
    )
    .unwrap();
}

fn day_sums(input: u64, output: u64) -> Sums {
    Sums { input, output, ..Sums::default() }
}

/// A running total that goes down (the tool reset its counters) is a reset, never a negative:
/// the days already counted keep their usage, the new value is new usage on its own day, a
/// warning says so once, and reading the same lower total again adds nothing. Shown for a
/// document (Droid) and a database row (Goose).
#[test]
fn a_running_total_that_goes_backwards_is_a_reset_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let data = tmp.path().join("data");
    let mut rng = Rng::new(0xBAC4);
    let mut other = Other::new(&mut rng, &home);
    let mut claude = Expected::new();
    other.grow(&mut rng, &mut claude);

    let settings = home.join(".factory/sessions/-home-dev-acme/s-back.settings.json");
    rewrite_in_place(&settings, droid_doc(5_000, 700).as_bytes(), Some(at("2026-03-02T12:00:00Z")));
    let goose = goose_db(&home);
    goose_set(&goose, "2026-03-02 12:00:00", 8_000, 900);
    assert_eq!(scan_warnings(&home, &data), Vec::<String>::new());

    // Both totals go down a day later; the Claude log grows in the same scan.
    rewrite_in_place(&settings, droid_doc(1_200, 150).as_bytes(), Some(at("2026-03-03T08:00:00Z")));
    goose_set(&goose, "2026-03-03 08:00:00", 2_000, 100);
    other.grow(&mut rng, &mut claude);
    let w = scan_warnings(&home, &data);
    assert_eq!(w.len(), 2, "one warning per total that went down: {w:?}");
    let droid_w = w.iter().find(|w| w.contains("droid")).expect("a warning for Droid");
    assert!(
        droid_w.contains("s-back.settings.json")
            && droid_w.contains("went down")
            && droid_w.contains("reset")
    );
    let goose_w = w.iter().find(|w| w.contains("goose")).expect("a warning for Goose");
    assert!(
        goose_w.contains("sessions.db") && goose_w.contains("20260302_1") && goose_w.contains("went down")
    );

    let got = sums_of(&daily(&home, &data, false));
    let mut want = Expected::new();
    want.insert(("2026-03-02".into(), "droid".into()), day_sums(5_000, 700));
    want.insert(("2026-03-03".into(), "droid".into()), day_sums(1_200, 150));
    want.insert(("2026-03-02".into(), "goose".into()), day_sums(8_000, 900));
    want.insert(("2026-03-03".into(), "goose".into()), day_sums(2_000, 100));
    expect_merge(&mut want, &claude);
    assert_eq!(got, want, "the days before the reset kept, the new values added, no negative");

    // The same lower totals seen again (a rescan, the file replaced by a copy): nothing added,
    // no warning. Then they grow again from the reset: only the growth is added.
    let copy = tmp.path().join("copy");
    std::fs::copy(&settings, &copy).unwrap();
    std::fs::File::options()
        .append(true)
        .open(&copy)
        .unwrap()
        .set_modified(at("2026-03-03T08:00:00Z"))
        .unwrap();
    std::fs::rename(&copy, &settings).unwrap();
    assert_eq!(scan_warnings(&home, &data), Vec::<String>::new());
    assert_eq!(sums_of(&daily(&home, &data, false)), want);
    rewrite_in_place(&settings, droid_doc(1_500, 200).as_bytes(), Some(at("2026-03-03T09:00:00Z")));
    goose_set(&goose, "2026-03-03 09:00:00", 2_600, 130);
    assert_eq!(scan_warnings(&home, &data), Vec::<String>::new());
    want.insert(("2026-03-03".into(), "droid".into()), day_sums(1_500, 200));
    want.insert(("2026-03-03".into(), "goose".into()), day_sums(2_600, 130));
    assert_eq!(sums_of(&daily(&home, &data, false)), want);
    drop(goose);
}

/// A document cut mid-JSON (the tool is writing it): a warning, nothing taken from it, what was
/// stored from its last complete version kept, the other logs read; complete again, it is read
/// once.
#[test]
fn a_truncated_json_document_waits_and_loses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let data = tmp.path().join("data");
    let mut rng = Rng::new(0x7A0C);
    let mut other = Other::new(&mut rng, &home);
    let mut claude = Expected::new();
    other.grow(&mut rng, &mut claude);
    let thread = AmpThread::new(&mut rng, &home, T0_MS + 86_400_000, 12, 800);
    let fresh = AmpThread::new(&mut rng, &home, T0_MS + 2 * 86_400_000, 3, 800);
    let (mut before, mut full) = (Expected::new(), Expected::new());
    thread.expect(5, &mut before);
    thread.expect(12, &mut full);
    fresh.expect(3, &mut full);
    rewrite_in_place(&thread.path, &thread.document(5), None);
    assert_eq!(scan_warnings(&home, &data), Vec::<String>::new());

    // Rewritten with more messages but cut mid-JSON; a new thread cut too; Claude grows.
    let doc = thread.document(12);
    rewrite_in_place(&thread.path, &doc[..doc.len() * 2 / 3], None);
    let doc2 = fresh.document(3);
    rewrite_in_place(&fresh.path, &doc2[..doc2.len() / 2], None);
    other.grow(&mut rng, &mut claude);
    let w = scan_warnings(&home, &data);
    assert_eq!(w.len(), 2, "{w:?}");
    for p in [&thread.path, &fresh.path] {
        let name = p.file_name().unwrap().to_string_lossy();
        assert!(w.iter().any(|w| w.contains(&*name) && w.contains("not complete JSON")), "{name}: {w:?}");
    }
    let mut want = before.clone();
    expect_merge(&mut want, &claude);
    assert_eq!(
        sums_of(&daily(&home, &data, true)),
        want,
        "the cut documents: the last complete version kept"
    );

    // Complete again: read once, no warning.
    rewrite_in_place(&thread.path, &doc, None);
    rewrite_in_place(&fresh.path, &doc2, None);
    assert_eq!(scan_warnings(&home, &data), Vec::<String>::new());
    let mut want = full.clone();
    expect_merge(&mut want, &claude);
    assert_eq!(sums_of(&daily(&home, &data, true)), want);
    let reference = tmp.path().join("ref");
    assert_same_daily(&daily(&home, &data, true), &daily(&home, &reference, false), "vs one clean read");
}

/// OpenCode's database held by another connection's exclusive lock, mid-transaction (in WAL mode,
/// and with a rollback journal): the scan neither waits forever nor fails; it either says the
/// database is locked (WAL: the lock keeps even readers out) or reads a consistent snapshot
/// through a copy (a hot journal: committed rows only); the other logs are read. Released, the
/// committed rows are there, once; committed later, every row is counted once.
#[test]
fn a_locked_database_is_a_warning_or_a_consistent_read() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let data = tmp.path().join("data");
    let mut rng = Rng::new(0x10C4);
    let mut other = Other::new(&mut rng, &home);
    let mut claude = Expected::new();
    other.grow(&mut rng, &mut claude);
    let mut clock = T0_MS;
    let (mut committed, mut pending) = (Expected::new(), Expected::new());
    let first = opencode_plan(&mut rng, &mut clock, 40, &mut committed);
    let later = opencode_plan(&mut rng, &mut clock, 25, &mut pending);
    let w = opencode_writer(&home);
    opencode_write(&w, &first);
    drop(w);

    for journal in ["WAL", "DELETE"] {
        let lock = rusqlite::Connection::open(opencode_db(&home)).unwrap();
        lock.execute_batch(&format!("PRAGMA journal_mode={journal}; PRAGMA locking_mode=EXCLUSIVE;"))
            .unwrap();
        lock.execute_batch("BEGIN EXCLUSIVE").unwrap();
        for o in &later {
            lock.execute(o.sql, rusqlite::params![o.id, o.session, o.created, o.updated, o.data]).unwrap();
        }
        other.grow(&mut rng, &mut claude);
        let warnings = scan_warnings(&home, &data);
        let got = sums_of(&daily(&home, &data, true));
        assert_eq!(only(&got, "claude-code"), claude, "{journal}: the other source was not read");
        let oc = only(&got, "opencode");
        let db = opencode_db(&home).display().to_string();
        if warnings.is_empty() {
            assert_eq!(oc, committed, "{journal}: read under the lock: committed rows only, each once");
        } else {
            assert_eq!(warnings.len(), 1, "{warnings:?}");
            assert!(warnings[0].contains(&db) && warnings[0].contains("locked"), "{warnings:?}");
            assert_le(&oc, &committed, "a locked database counted twice");
        }
        eprintln!("{journal}: {warnings:?}");
        lock.execute_batch("ROLLBACK").unwrap();
        drop(lock);
        // Released (the transaction rolled back): the committed rows, once, nothing lost.
        assert_eq!(scan_warnings(&home, &data), Vec::<String>::new(), "{journal}: after release");
        let got = sums_of(&daily(&home, &data, true));
        assert_eq!(only(&got, "opencode"), committed, "{journal}: after release");
    }
    // Released, and the pending rows committed by the tool: all of them, once.
    let w = opencode_writer(&home);
    opencode_write(&w, &later);
    drop(w);
    assert_eq!(scan_warnings(&home, &data), Vec::<String>::new());
    let mut want = committed;
    expect_merge(&mut want, &pending);
    expect_merge(&mut want, &claude);
    assert_eq!(sums_of(&daily(&home, &data, true)), want);
}

/// Files where a tool's database should be that are not databases — random bytes, and whole
/// pages of random bytes as an encrypted database looks — are a warning naming the file, left
/// untouched with nothing created beside them; the other logs are read; once a real database
/// replaces them, it is read.
#[test]
fn a_database_that_is_garbage_or_encrypted_is_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let data = tmp.path().join("data");
    let mut rng = Rng::new(0x6A5B);
    let mut other = Other::new(&mut rng, &home);
    let mut claude = Expected::new();
    other.grow(&mut rng, &mut claude);
    let oc = opencode_db(&home);
    let goose = home.join(".local/share/goose/sessions/sessions.db");
    let garbage: Vec<u8> = (0..3_000).map(|_| rng.next_u64() as u8).collect();
    let encrypted: Vec<u8> = (0..4 * 4096).map(|_| rng.next_u64() as u8).collect();
    write(&oc, &garbage);
    write(&goose, &encrypted);
    let listing = |dir: &Path| -> Vec<(String, u64, std::time::SystemTime)> {
        files_below(dir)
            .into_iter()
            .map(|p| {
                let m = std::fs::metadata(&p).unwrap();
                (p.display().to_string(), m.len(), m.modified().unwrap())
            })
            .collect()
    };
    let before = (listing(oc.parent().unwrap()), listing(goose.parent().unwrap()));
    let w = scan_warnings(&home, &data);
    assert_eq!(w.len(), 2, "{w:?}");
    for p in [&oc, &goose] {
        let shown = p.display().to_string();
        assert!(
            w.iter().any(|w| w.contains(&shown) && w.contains("not a SQLite database (or is encrypted)")),
            "{shown}: {w:?}"
        );
    }
    assert_eq!((listing(oc.parent().unwrap()), listing(goose.parent().unwrap())), before, "files touched");
    assert_eq!(std::fs::read(&oc).unwrap(), garbage);
    assert_eq!(std::fs::read(&goose).unwrap(), encrypted);
    assert_eq!(sums_of(&daily(&home, &data, true)), claude, "the other source was read");

    // A real database in its place: read.
    std::fs::remove_file(&oc).unwrap();
    let mut clock = T0_MS;
    let mut want = claude.clone();
    let ops = opencode_plan(&mut rng, &mut clock, 30, &mut want);
    let c = opencode_writer(&home);
    opencode_write(&c, &ops);
    drop(c);
    let w = scan_warnings(&home, &data);
    assert_eq!(w.len(), 1, "only the Goose file is still not a database: {w:?}");
    assert_eq!(sums_of(&daily(&home, &data, true)), want);
}

/// A 50 MB document (an Amp thread with a huge tool output in it): read whole, every request in
/// it counted once, no warning, within a time bound (a hang guard); rewritten with one more
/// message, read again without counting the rest twice.
#[test]
fn a_fifty_megabyte_document_is_read() {
    const BIG: usize = 50 << 20;
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let data = tmp.path().join("data");
    let mut rng = Rng::new(0x50_4D42);
    let mut other = Other::new(&mut rng, &home);
    let mut claude = Expected::new();
    other.grow(&mut rng, &mut claude);
    let thread = AmpThread::new(&mut rng, &home, T0_MS + 86_400_000, 6, 300);
    let doc = thread.document(5);
    // A huge user message (a pasted log: "usage" and braces in it) before the last message.
    let v: serde_json::Value = serde_json::from_slice(&doc).unwrap();
    let mut v = v;
    let filler = "{\"usage\": {\"inputTokens\": 1}} ".repeat(BIG / 30 + 1);
    v["messages"].as_array_mut().unwrap().insert(
        3,
        serde_json::json!({"role": "user", "messageId": 100, "content": [{"type": "text", "text": filler}]}),
    );
    let big = serde_json::to_vec(&v).unwrap();
    assert!(big.len() > BIG);
    write(&thread.path, &big);
    let mut want = claude.clone();
    thread.expect(5, &mut want);

    let o = run_guarded(cmd(&home, &data, &["scan", "--json"]), Duration::from_secs(300), "scan of 50 MB");
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert!(stderr_of(&o).is_empty(), "{}", stderr_of(&o));
    assert_eq!(sums_of(&daily(&home, &data, true)), want);

    // One more turn: the whole document again, the five requests not counted twice.
    let mut v2: serde_json::Value = serde_json::from_slice(&thread.document(6)).unwrap();
    v2["messages"].as_array_mut().unwrap().insert(3, v["messages"][3].clone());
    rewrite_in_place(&thread.path, &serde_json::to_vec(&v2).unwrap(), None);
    other.grow(&mut rng, &mut claude);
    let mut want = claude.clone();
    thread.expect(6, &mut want);
    assert_eq!(scan_warnings(&home, &data), Vec::<String>::new());
    assert_eq!(sums_of(&daily(&home, &data, true)), want);
}

/// Part 2's sources given bad input beside a Claude Code log: Pi, OpenClaw and Kimi lines that
/// are garbage, renamed or cut (a cut last line waits, complete bad lines are skipped and
/// counted), random bytes named like their session files, and Hermes' and Kilo CLI's databases
/// as garbage: exit 0, no panic, a warning naming each file that is not a database, the good
/// records of every file and the other source read, and once the files are mended they are read
/// without counting anything twice.
#[test]
fn part_two_sources_with_bad_input_warn_and_lose_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let data = tmp.path().join("data");
    let mut rng = Rng::new(0xBAD2);
    let mut other = Other::new(&mut rng, &home);
    let mut want = Expected::new();
    other.grow(&mut rng, &mut want);

    // Pi: a good session, then a garbage line, a usage with renamed fields, and a cut last line.
    let pi = PiSession::new(&mut rng, &home, 1, T0_MS + 86_400_000, 4);
    pi.expect(pi.lines.len(), &mut want);
    let mut bytes = pi.bytes(0, pi.lines.len());
    bytes.extend_from_slice(b"\x00\xff garbage {not json\n");
    bytes.extend_from_slice(br#"{"type":"message","id":"r1","timestamp":"2026-03-03T10:00:00.000Z","message":{"role":"assistant","usage":{"promptTokens":5}}}"#);
    bytes.push(b'\n');
    let cut = br#"{"type":"message","id":"c1","timestamp":"2026-03-03T11:00:00.000Z","message":{"role":"assistant","usage":{"input":7,"out"#;
    bytes.extend_from_slice(cut);
    write(&pi.path, &bytes);
    // OpenClaw and Kimi: random bytes under their session names.
    let oc = home.join(".openclaw/agents/main/sessions/s-bad.jsonl");
    let kimi = home.join(".kimi/sessions/h/s-bad/wire.jsonl");
    let noise = |rng: &mut Rng| -> Vec<u8> {
        let mut v: Vec<u8> = (0..4_000).map(|_| rng.next_u64() as u8).collect();
        v.push(b'\n');
        v
    };
    write(&oc, &noise(&mut rng));
    write(&kimi, &noise(&mut rng));
    // Hermes and Kilo CLI: files that are not databases.
    let hermes = home.join(".hermes/state.db");
    let kilo = kilo_db(&home);
    write(&hermes, &noise(&mut rng));
    write(&kilo, &(0..4 * 4096).map(|_| rng.next_u64() as u8).collect::<Vec<u8>>());

    let w = scan_warnings(&home, &data);
    for p in [&hermes, &kilo] {
        let shown = p.display().to_string();
        assert!(
            w.iter().any(|w| w.contains(&shown) && w.contains("not a SQLite database")),
            "{shown}: {w:?}"
        );
    }
    assert_eq!(sums_of(&daily(&home, &data, true)), want, "the good records and the other source");
    let s = sources(&home, &data);
    assert_eq!(s["pi"].2, 2, "the garbage and the renamed line are skipped and counted: {s:?}");
    assert!(s["openclaw"].2 >= 1 && s["kimi"].2 >= 1, "random bytes counted as skipped: {s:?}");
    assert_eq!(std::fs::read(&hermes).unwrap().len(), 4_001, "the Hermes file left as it was");

    // Mended: the cut line completed, a Kimi step and a Hermes session written, Kilo's database
    // real; a second scan reads them and nothing already stored twice.
    append(&pi.path, br#"put":8,"cacheRead":0,"cacheWrite":0}}}"#);
    append(&pi.path, b"\n");
    expect_add(&mut want, 1_772_535_600_000, "pi", Sums { input: 7, output: 8, ..Sums::default() });
    std::fs::remove_file(&kimi).unwrap();
    write(
        &kimi,
        br#"{"timestamp":1772535600.0,"message":{"type":"StatusUpdate","payload":{"token_usage":{"input_other":30,"output":40,"input_cache_read":50,"input_cache_creation":0},"message_id":"m-ok"}}}
"#,
    );
    expect_add(
        &mut want,
        1_772_535_600_000,
        "kimi",
        Sums { input: 30, output: 40, cache_read: 50, ..Sums::default() },
    );
    std::fs::remove_file(&hermes).unwrap();
    let h = rusqlite::Connection::open(&hermes).unwrap();
    h.execute_batch(
        "CREATE TABLE sessions (id TEXT PRIMARY KEY, model TEXT, started_at REAL, ended_at REAL, input_tokens INTEGER,
           output_tokens INTEGER, cache_read_tokens INTEGER, cache_write_tokens INTEGER, reasoning_tokens INTEGER);
         INSERT INTO sessions VALUES ('h1', 'gpt-5', 1772535000.0, 1772535600.0, 100, 20, 0, 0, 5);",
    )
    .unwrap();
    drop(h);
    expect_add(
        &mut want,
        1_772_535_600_000,
        "hermes",
        Sums { input: 100, output: 20, reasoning: 5, ..Sums::default() },
    );
    std::fs::remove_file(&kilo).unwrap();
    let mut clock = T0_MS;
    let ops = db_plan(&mut rng, &mut clock, 20, &mut want, "kilo");
    let c = db_writer(&kilo);
    opencode_write(&c, &ops);
    drop(c);
    other.grow(&mut rng, &mut want);
    assert_eq!(scan_warnings(&home, &data), Vec::<String>::new());
    assert_eq!(sums_of(&daily(&home, &data, true)), want);
    assert_eq!(sums_of(&daily(&home, &data, false)), want, "a rescan changes nothing");
}

/// A Grok `turn_completed` line at `ts_ms`: input (with cache) and output tokens.
fn grok_turn(id: &str, ts_ms: i64, input: u64, output: u64) -> String {
    format!(
        r#"{{"timestamp":{},"params":{{"sessionId":"s-1","update":{{"sessionUpdate":"turn_completed","eventId":"{id}","usage":{{"inputTokens":{input},"outputTokens":{output},"modelUsage":{{"grok-code-fast-1":{{"inputTokens":{input},"outputTokens":{output}}}}}}}}}}}}}"#,
        ts_ms / 1000
    ) + "\n"
}

/// An Aider `message_send` line at `ts_ms`.
fn aider_send(ts_ms: i64, prompt: u64, completion: u64) -> String {
    format!(
        r#"{{"event": "message_send", "properties": {{"main_model": "gpt-5", "prompt_tokens": {prompt}, "completion_tokens": {completion}, "cost": 0.01, "total_cost": 0.5}}, "user_id": "u-1", "time": {}}}"#,
        ts_ms / 1000
    ) + "\n"
}

/// Bad input for each of part 2's sources at once, beside a Claude Code log: a Codebuff chat cut
/// mid-JSON and one that is JSON of another shape, a ZCode database that is random bytes, Grok
/// and Aider logs with garbage lines and a line cut mid-write. Exit 0, no panic, a warning for
/// the cut document and the garbage database naming each, the garbage lines skipped and counted,
/// every good record read; repaired, everything is read once.
#[test]
fn bad_input_of_each_new_source_is_a_warning_and_loses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let data = tmp.path().join("data");
    let mut rng = Rng::new(0xC0DE_B0FF);
    let mut other = Other::new(&mut rng, &home);
    let mut want = Expected::new();
    other.grow(&mut rng, &mut want);

    let good = CodebuffChat::new(&mut rng, &home, T0_MS + 86_400_000, 4, 300);
    let cut_chat = CodebuffChat::new(&mut rng, &home, T0_MS + 2 * 86_400_000, 3, 300);
    good.expect(4, &mut want);
    write(&good.path, &good.document(4));
    let doc = cut_chat.document(3);
    write(&cut_chat.path, &doc[..doc.len() / 2]);
    let odd = home.join(".config/manicode/projects/p/chats/2026-03-02T00-00-00.000Z/chat-messages.json");
    write(&odd, br#"{"messages": "not an array"}"#);

    let zdb = zcode_db(&home);
    let garbage: Vec<u8> = (0..5_000).map(|_| rng.next_u64() as u8).collect();
    write(&zdb, &garbage);

    let t = T0_MS + 3_600_000;
    let grok = home.join(".grok/sessions/p/s-1/updates.jsonl");
    let cut_turn = grok_turn("e3", t + 3_000, 900, 90);
    let mut g =
        grok_turn("e1", t, 1_000, 100) + "\u{0}\u{1}garbage{{\n" + &grok_turn("e2", t + 2_000, 2_000, 200);
    g.push_str(&cut_turn[..cut_turn.len() / 2]);
    write(&grok, g.as_bytes());
    expect_add(&mut want, t, "grok", day_sums(3_000, 300));

    let aider = home.join(".aider/analytics.jsonl");
    let mut a = aider_send(t, 5_000, 500).into_bytes();
    a.extend_from_slice(&[0xff, 0xfe, b'{', b'\n']);
    a.extend_from_slice(aider_send(t + 60_000, 6_000, 600).as_bytes());
    write(&aider, &a);
    expect_add(&mut want, t, "aider", day_sums(11_000, 1_100));

    let w = scan_warnings(&home, &data);
    assert_eq!(w.len(), 2, "{w:?}");
    let chat_dir = cut_chat.path.parent().unwrap().display().to_string();
    assert!(w.iter().any(|w| w.contains(&chat_dir) && w.contains("not complete JSON")), "{w:?}");
    let shown = zdb.display().to_string();
    assert!(w.iter().any(|w| w.contains(&shown) && w.contains("not a SQLite database")), "{w:?}");
    assert_eq!(std::fs::read(&zdb).unwrap(), garbage, "the garbage database was touched");
    assert_eq!(sums_of(&daily(&home, &data, true)), want, "every good record, once");
    let s = sources(&home, &data);
    // Skipped: a garbage line each; the chat of another shape and, until it is complete, the cut one.
    assert_eq!((s["grok"].2, s["aider"].2, s["codebuff"].2), (1, 1, 2), "{s:?}");

    // Repaired: the chat complete, a real database in place, the cut line finished.
    write(&cut_chat.path, &doc);
    cut_chat.expect(3, &mut want);
    std::fs::remove_file(&zdb).unwrap();
    let mut clock = T0_MS;
    let ops = zcode_plan(&mut rng, &mut clock, 50, &mut want);
    let c = zcode_writer(&home);
    zcode_write(&c, &ops);
    drop(c);
    append(&grok, &cut_turn.as_bytes()[cut_turn.len() / 2..]);
    expect_add(&mut want, t + 3_000, "grok", day_sums(900, 90));
    other.grow(&mut rng, &mut want);
    assert_eq!(scan_warnings(&home, &data), Vec::<String>::new());
    assert_eq!(sums_of(&daily(&home, &data, true)), want, "after the repair: everything once");
    let s = sources(&home, &data);
    assert_eq!((s["grok"].2, s["aider"].2, s["codebuff"].2), (1, 1, 1), "{s:?}");
    let reference = tmp.path().join("ref");
    assert_same_daily(&daily(&home, &data, true), &daily(&home, &reference, false), "vs one clean read");
}
