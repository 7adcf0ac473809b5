//! Writers of the three other shapes of log, each adding what it writes to `Expected`:
//! - a document rewritten in place: an Amp thread (`~/.local/share/amp/threads/T-<uuid>.json`),
//!   one assistant message with `usage` per request;
//! - a running total: a Factory Droid session (`~/.factory/sessions/<project>/<id>.settings.json`)
//!   whose `tokenUsage` holds cumulative counters, dated by the file's mtime;
//! - another tool's database: OpenCode's `~/.local/share/opencode/opencode.db`, one `message` row
//!   per assistant message, some inserted while streaming and updated in place with their final
//!   tokens.

use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use serde_json::{json, Value};

use super::*;

pub const AMP_MODEL: &str = "claude-haiku-4-5-20251001";
pub const DROID_MODEL: &str = "gpt-5";
pub const OPENCODE_MODEL: &str = "claude-sonnet-4.5";

// ---------------------------------------------------------------------------------------------
// Amp: a document

/// One Amp thread: every message it will ever hold, of which the first `shown` are written.
pub struct AmpThread {
    pub path: PathBuf,
    id: String,
    messages: Vec<Value>,
    /// Each turn's request: its time and tokens.
    reqs: Vec<(i64, Sums)>,
}

impl AmpThread {
    /// A thread of `turns` turns (a user message with some text, an assistant message with
    /// usage), starting at `start_ms`.
    pub fn new(rng: &mut Rng, home: &Path, start_ms: i64, turns: usize, text_bytes: usize) -> Self {
        let id = format!("T-{}", rng.uuid());
        let path = home.join(".local/share/amp/threads").join(format!("{id}.json"));
        let mut t = AmpThread { path, id, messages: Vec::new(), reqs: Vec::new() };
        let mut ts_ms = start_ms;
        for _ in 0..turns {
            ts_ms += rng.range(1_000, 90_000) as i64;
            let n = rng.range(10, 2 * text_bytes as u64) as usize;
            t.push_turn(rng, ts_ms, n);
        }
        t
    }

    /// Adds the requests of the first `turns` turns to `exp`.
    pub fn expect(&self, turns: usize, exp: &mut Expected) {
        for (t, s) in &self.reqs[..turns] {
            expect_add(exp, *t, "amp", *s);
        }
    }

    fn push_turn(&mut self, rng: &mut Rng, ts_ms: i64, text_bytes: usize) {
        let n = self.messages.len();
        self.messages.push(json!({
            "role": "user", "messageId": n,
            "content": [{"type": "text", "text": text(rng, text_bytes)}],
        }));
        let s = Sums {
            input: rng.range(1, 400),
            cache_creation: rng.range(0, 20_000),
            cache_read: rng.range(0, 150_000),
            output: rng.range(1, 4_000),
            reasoning: 0,
        };
        self.messages.push(json!({
            "role": "assistant", "messageId": n + 1,
            "content": [{"type": "text", "text": text(rng, text_bytes / 2 + 1)}],
            "state": {"type": "complete", "stopReason": "end_turn"},
            "usage": {
                "model": AMP_MODEL,
                "inputTokens": s.input, "outputTokens": s.output,
                "cacheCreationInputTokens": s.cache_creation, "cacheReadInputTokens": s.cache_read,
                "totalTokens": s.input + s.output + s.cache_creation + s.cache_read,
                "timestamp": ts(ts_ms),
            },
        }));
        self.reqs.push((ts_ms, s));
    }

    /// Turns in the thread.
    pub fn turns(&self) -> usize {
        self.messages.len() / 2
    }

    /// The document holding the first `turns` turns, as Amp writes it (pretty-printed).
    pub fn document(&self, turns: usize) -> Vec<u8> {
        let doc = json!({
            "v": turns * 3, "id": self.id, "created": 1_772_323_200_000u64,
            "messages": &self.messages[..2 * turns],
            "env": {"initial": {"trees": [{"displayName": "repo", "uri": "file:///home/dev/repo"}]}},
        });
        serde_json::to_vec_pretty(&doc).unwrap()
    }
}

// ---------------------------------------------------------------------------------------------
// Droid: a running total

/// One Droid session: its cumulative counters after each of its steps. Every observation of a
/// session falls on its file's mtime, which stays within the session's one day, so the totals
/// per day do not depend on when a scan saw the file.
pub struct DroidSession {
    pub path: PathBuf,
    /// Cumulative (input, output, cache creation, cache read, thinking) after each step.
    pub steps: Vec<[u64; 5]>,
    day_ms: i64,
    /// Writes so far (the mtime of the next one is the day + this many seconds).
    writes: u64,
}

impl DroidSession {
    pub fn new(rng: &mut Rng, home: &Path, project: &str, day_ms: i64, steps: usize) -> Self {
        let path = home.join(".factory/sessions").join(project).join(format!("{}.settings.json", rng.uuid()));
        let mut cur = [0u64; 5];
        let mut all = Vec::new();
        for _ in 0..steps {
            cur[0] += rng.range(1, 3_000);
            cur[1] += rng.range(1, 2_000);
            cur[2] += rng.range(0, 8_000);
            cur[3] += rng.range(0, 60_000);
            cur[4] += rng.range(0, 500);
            all.push(cur);
        }
        DroidSession { path, steps: all, day_ms, writes: 0 }
    }

    /// Adds the session's totals after step `i` to `exp`: all of it on the session's day.
    pub fn expect(&self, i: usize, exp: &mut Expected) {
        let c = self.steps[i];
        // Thinking is billed as output and kept as reasoning.
        let s = Sums {
            input: c[0],
            cache_creation: c[2],
            cache_read: c[3],
            output: c[1] + c[4],
            reasoning: c[4],
        };
        expect_add(exp, self.day_ms, "droid", s);
    }

    /// The settings document after step `i` (0-based).
    pub fn document(&self, i: usize) -> Vec<u8> {
        let c = self.steps[i];
        let doc = json!({
            "model": DROID_MODEL, "reasoningEffort": "medium", "autonomyMode": "auto-low",
            "providerLock": "openai", "providerLockTimestamp": ts(self.day_ms),
            "tokenUsage": {
                "inputTokens": c[0], "outputTokens": c[1], "cacheCreationTokens": c[2],
                "cacheReadTokens": c[3], "thinkingTokens": c[4],
            },
        });
        serde_json::to_vec_pretty(&doc).unwrap()
    }

    /// The mtime of the next write: later than the last one, on the session's day.
    pub fn next_mtime(&mut self) -> std::time::SystemTime {
        self.writes += 1;
        assert!(self.writes < 80_000);
        UNIX_EPOCH + Duration::from_millis(self.day_ms as u64 + 1_000 * self.writes)
    }
}

/// Rewrites a file in place (same inode: truncated, then written) and sets its mtime.
pub fn rewrite_in_place(path: &Path, bytes: &[u8], mtime: Option<std::time::SystemTime>) {
    use std::io::Write;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut f = std::fs::OpenOptions::new().create(true).write(true).truncate(true).open(path).unwrap();
    f.write_all(bytes).unwrap();
    if let Some(t) = mtime {
        f.set_modified(t).unwrap();
    }
}

/// Writes a file in `staging` (outside every log root, same file system) with its mtime set, then
/// renames it over `path`: a reader sees the
/// old file or the new one with its time, never the new bytes at the moment of writing (which a
/// scan running beside [`rewrite_in_place`] could see before the time is set, and would date a
/// running total by).
pub fn replace_with(path: &Path, staging: &Path, bytes: &[u8], mtime: std::time::SystemTime) {
    let tmp = staging.join("replacing");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    rewrite_in_place(&tmp, bytes, Some(mtime));
    std::fs::rename(&tmp, path).unwrap();
}

// ---------------------------------------------------------------------------------------------
// OpenCode: a database

pub fn opencode_db(home: &Path) -> PathBuf {
    home.join(".local/share/opencode/opencode.db")
}

/// Kilo CLI's database: OpenCode's format under `~/.local/share/kilo`.
pub fn kilo_db(home: &Path) -> PathBuf {
    home.join(".local/share/kilo/kilo.db")
}

const OPENCODE_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS project (id TEXT PRIMARY KEY, worktree TEXT NOT NULL, vcs TEXT, name TEXT, time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL, sandboxes TEXT NOT NULL DEFAULT '[]');
CREATE TABLE IF NOT EXISTS session (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, parent_id TEXT, slug TEXT NOT NULL, directory TEXT NOT NULL, title TEXT NOT NULL, version TEXT NOT NULL, time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS message (id TEXT PRIMARY KEY, session_id TEXT NOT NULL, time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS part (id TEXT PRIMARY KEY, message_id TEXT NOT NULL, session_id TEXT NOT NULL, time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS message_session_time_created_id_idx ON message (session_id, time_created, id);
CREATE INDEX IF NOT EXISTS part_message_id_id_idx ON part (message_id, id);
";

/// One write OpenCode makes: a message row inserted, or updated in place (streaming).
#[derive(Clone)]
pub struct DbOp {
    pub sql: &'static str,
    pub id: String,
    pub session: String,
    pub created: i64,
    pub updated: i64,
    pub data: String,
}

/// Plans the writes of `messages` assistant messages over `sessions` sessions from `start_ms`,
/// each with a strictly later `time_updated` than the one before (OpenCode's clock), about a
/// third of them first inserted with partial tokens and updated with the final ones later.
/// Adds each message's final tokens to `exp`. Returns the ops in the order they are written;
/// the clock is `start_ms` moved on.
pub fn opencode_plan(rng: &mut Rng, start_ms: &mut i64, messages: usize, exp: &mut Expected) -> Vec<DbOp> {
    db_plan(rng, start_ms, messages, exp, "opencode")
}

/// [`opencode_plan`] for any tool writing OpenCode's database (`source`: its source id).
pub fn db_plan(
    rng: &mut Rng,
    start_ms: &mut i64,
    messages: usize,
    exp: &mut Expected,
    source: &str,
) -> Vec<DbOp> {
    let mut ops = Vec::new();
    let mut streaming: Vec<(DbOp, u64)> = Vec::new();
    for _ in 0..messages {
        *start_ms += rng.range(500, 40_000) as i64;
        let created = *start_ms;
        let id = format!("msg_{}", rng.hex(24));
        let session = format!("ses_{}", rng.below(40));
        let (input, output, reasoning) = (rng.range(1, 500), rng.range(1, 3_000), rng.range(0, 300));
        let (read, write) = (rng.range(0, 120_000), rng.range(0, 9_000));
        let data = |input: u64, output: u64, reasoning: u64, read: u64, write: u64, done: bool| {
            let mut time = json!({"created": created});
            if done {
                time["completed"] = json!(created + 1_500);
            }
            json!({
                "role": "assistant", "parentID": "msg_user", "modelID": OPENCODE_MODEL,
                "providerID": "anthropic", "mode": "build", "agent": "build", "time": time, "cost": 0,
                "tokens": {"input": input, "output": output, "reasoning": reasoning,
                           "cache": {"read": read, "write": write}},
                "path": {"cwd": format!("/home/dev/{}", &session[4..]), "root": "/home/dev"},
            })
            .to_string()
        };
        let op = |sql, updated, data| DbOp {
            sql,
            id: id.clone(),
            session: session.clone(),
            created,
            updated,
            data,
        };
        const INSERT: &str = "INSERT INTO message (id, session_id, time_created, time_updated, data) VALUES (?1, ?2, ?3, ?4, ?5)";
        const UPDATE: &str = "UPDATE message SET session_id = ?2, time_created = ?3, time_updated = ?4, data = ?5 WHERE id = ?1";
        let full = data(input, output, reasoning, read, write, true);
        if rng.chance(0.35) {
            ops.push(op(INSERT, created, data(input, output / 2, 0, read, write, false)));
            streaming.push((op(UPDATE, 0, full), rng.range(1, 6)));
        } else {
            ops.push(op(INSERT, created, full));
        }
        // Streaming messages finish a few messages later (their update is then the newest row).
        for s in &mut streaming {
            s.1 -= 1;
        }
        let (done, rest): (Vec<_>, Vec<_>) = streaming.drain(..).partition(|s| s.1 == 0);
        streaming = rest;
        for (mut u, _) in done {
            *start_ms += 1;
            u.updated = *start_ms;
            ops.push(u);
        }
        let s =
            Sums { input, cache_creation: write, cache_read: read, output: output + reasoning, reasoning };
        expect_add(exp, created, source, s);
    }
    for (mut u, _) in streaming {
        *start_ms += 1;
        u.updated = *start_ms;
        ops.push(u);
    }
    ops
}

/// A connection writing OpenCode's database as OpenCode does: WAL, and here no checkpoint at
/// all, so a scan finds the rows only in the `-wal` while this connection is open.
pub fn opencode_writer(home: &Path) -> rusqlite::Connection {
    db_writer(&opencode_db(home))
}

/// [`opencode_writer`] for the database at `path`.
pub fn db_writer(path: &Path) -> rusqlite::Connection {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch("PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;").unwrap();
    c.execute_batch(OPENCODE_SCHEMA).unwrap();
    c.execute(
        "INSERT OR IGNORE INTO project (id, worktree, vcs, time_created, time_updated) VALUES ('prj_1', '/home/dev', 'git', 1, 1)",
        [],
    )
    .unwrap();
    for i in 0..40 {
        c.execute(
            "INSERT OR IGNORE INTO session VALUES (?1, 'prj_1', NULL, 'slug', ?2, 'title', '1.2.0', 1, 1)",
            rusqlite::params![format!("ses_{i}"), format!("/home/dev/{i}")],
        )
        .unwrap();
    }
    c
}

/// Writes `ops` in one transaction.
pub fn opencode_write(c: &rusqlite::Connection, ops: &[DbOp]) {
    c.execute_batch("BEGIN IMMEDIATE").unwrap();
    for o in ops {
        c.execute(o.sql, rusqlite::params![o.id, o.session, o.created, o.updated, o.data]).unwrap();
    }
    c.execute_batch("COMMIT").unwrap();
}

// ---------------------------------------------------------------------------------------------
// Pi: append-only lines

pub const PI_MODEL: &str = "claude-sonnet-4-5";

/// One Pi session file (`~/.pi/agent/sessions/--<cwd>--/<time>_<id>.jsonl`): a header, then a
/// user and an assistant entry per turn; the bytes of every line, in order.
pub struct PiSession {
    pub path: PathBuf,
    pub lines: Vec<Vec<u8>>,
    /// Each turn's request: its time and tokens (index = the assistant line's index).
    reqs: Vec<(usize, i64, Sums)>,
}

impl PiSession {
    pub fn new(rng: &mut Rng, home: &Path, project: usize, start_ms: i64, turns: usize) -> Self {
        let id = rng.uuid();
        let cwd = format!("/home/dev/p{project}");
        let path = home
            .join(".pi/agent/sessions")
            .join(format!("--home-dev-p{project}--"))
            .join(format!("{}_{id}.jsonl", ts(start_ms).replace([':', '.'], "-")));
        let header =
            json!({"type": "session", "version": 3, "id": id, "timestamp": ts(start_ms), "cwd": cwd});
        let mut p = PiSession { path, lines: vec![header.to_string().into_bytes()], reqs: Vec::new() };
        let mut t = start_ms;
        for _ in 0..turns {
            t += rng.range(1_000, 60_000) as i64;
            let user = json!({"type": "message", "id": rng.hex(8), "parentId": null, "timestamp": ts(t),
                "message": {"role": "user", "content": text(rng, 200), "timestamp": t}});
            p.lines.push(user.to_string().into_bytes());
            t += rng.range(500, 30_000) as i64;
            let s = Sums {
                input: rng.range(1, 3_000),
                cache_creation: rng.range(0, 8_000),
                cache_read: rng.range(0, 100_000),
                output: rng.range(1, 4_000),
                reasoning: 0,
            };
            let a = json!({"type": "message", "id": rng.hex(8), "parentId": null, "timestamp": ts(t),
                "message": {"role": "assistant", "content": [{"type": "text", "text": text(rng, 300)}],
                    "api": "anthropic-messages", "provider": "anthropic", "model": PI_MODEL,
                    "usage": {"input": s.input, "output": s.output, "cacheRead": s.cache_read,
                              "cacheWrite": s.cache_creation,
                              "totalTokens": s.input + s.output + s.cache_read + s.cache_creation,
                              "cost": {"total": 0}},
                    "stopReason": "stop", "timestamp": t}});
            p.reqs.push((p.lines.len(), t, s));
            p.lines.push(a.to_string().into_bytes());
        }
        p
    }

    /// Adds the requests among the first `lines` lines to `exp`.
    pub fn expect(&self, lines: usize, exp: &mut Expected) {
        for (i, t, s) in &self.reqs {
            if *i < lines {
                expect_add(exp, *t, "pi", *s);
            }
        }
    }

    /// Lines `from..to`, each ending in a newline.
    pub fn bytes(&self, from: usize, to: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for l in &self.lines[from..to] {
            out.extend_from_slice(l);
            out.push(b'\n');
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Codebuff: a document (a JSON array of messages, rewritten whole)

pub const CODEBUFF_MODEL: &str = "claude-sonnet-4-5-20250929";

/// One Codebuff chat: every message it will ever hold, of which the first turns are written.
pub struct CodebuffChat {
    pub path: PathBuf,
    messages: Vec<Value>,
    reqs: Vec<(i64, Sums)>,
}

impl CodebuffChat {
    pub fn new(rng: &mut Rng, home: &Path, start_ms: i64, turns: usize, text_bytes: usize) -> Self {
        let chat = ts(start_ms).replace(':', "-");
        let project = format!("project{}", rng.below(5));
        // A chat id is its start time; the random suffix keeps two chats started together apart.
        let path = home
            .join(".config/manicode/projects")
            .join(project)
            .join("chats")
            .join(format!("{chat}-{}", rng.hex(6)))
            .join("chat-messages.json");
        let mut c = CodebuffChat { path, messages: Vec::new(), reqs: Vec::new() };
        let mut ts_ms = start_ms;
        for _ in 0..turns {
            ts_ms += rng.range(1_000, 90_000) as i64;
            let n = rng.range(10, 2 * text_bytes as u64) as usize;
            c.messages.push(
                json!({"id": rng.uuid(), "variant": "user", "content": text(rng, n), "timestamp": ts(ts_ms)}),
            );
            let s = Sums {
                input: rng.range(1, 3_000),
                cache_creation: rng.range(0, 20_000),
                cache_read: rng.range(0, 150_000),
                output: rng.range(1, 4_000),
                reasoning: 0,
            };
            c.messages.push(json!({
                "id": rng.uuid(), "variant": "ai", "content": text(rng, n / 2 + 1), "timestamp": ts(ts_ms + 500),
                "credits": 1.5,
                "metadata": {"model": CODEBUFF_MODEL, "usage": {
                    "inputTokens": s.input, "outputTokens": s.output,
                    "cacheCreationInputTokens": s.cache_creation, "cacheReadInputTokens": s.cache_read}},
            }));
            c.reqs.push((ts_ms + 500, s));
        }
        c
    }

    pub fn expect(&self, turns: usize, exp: &mut Expected) {
        for (t, s) in &self.reqs[..turns] {
            expect_add(exp, *t, "codebuff", *s);
        }
    }

    pub fn turns(&self) -> usize {
        self.reqs.len()
    }

    /// The document holding the first `turns` turns, as Codebuff writes it (pretty-printed).
    pub fn document(&self, turns: usize) -> Vec<u8> {
        serde_json::to_vec_pretty(&self.messages[..2 * turns]).unwrap()
    }
}

// ---------------------------------------------------------------------------------------------
// ZCode: a database whose call rows are inserted `running` and completed in place

pub fn zcode_db(home: &Path) -> PathBuf {
    home.join(".zcode/cli/db/db.sqlite")
}

const ZCODE_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS session (id TEXT PRIMARY KEY, directory TEXT, title TEXT, version INTEGER);
CREATE TABLE IF NOT EXISTS model_usage (id TEXT PRIMARY KEY, session_id TEXT, turn_id TEXT, attempt_index INTEGER, provider_id TEXT, model_id TEXT, status TEXT, query_source TEXT, started_at INTEGER, completed_at INTEGER, duration_ms INTEGER, input_tokens INTEGER, output_tokens INTEGER, reasoning_tokens INTEGER, cache_creation_input_tokens INTEGER, cache_read_input_tokens INTEGER, computed_total_tokens INTEGER);
CREATE TABLE IF NOT EXISTS turn_usage (id TEXT PRIMARY KEY, session_id TEXT, status TEXT, started_at INTEGER, input_tokens INTEGER, output_tokens INTEGER);
";

/// One write ZCode makes: a call row inserted (running, or already completed), or completed.
#[derive(Clone)]
pub struct ZOp {
    pub id: String,
    pub session: String,
    pub started: i64,
    pub status: &'static str,
    /// input (with cache), output, reasoning, cache creation, cache read.
    pub counts: [u64; 5],
    pub update: bool,
}

/// Plans `calls` model calls from `start_ms`, about a third inserted `running` (no tokens yet)
/// and completed a few calls later, a few ending in `error` (not billed). Adds each completed
/// call's tokens to `exp`.
pub fn zcode_plan(rng: &mut Rng, start_ms: &mut i64, calls: usize, exp: &mut Expected) -> Vec<ZOp> {
    let mut ops = Vec::new();
    let mut running: Vec<(ZOp, u64)> = Vec::new();
    for _ in 0..calls {
        *start_ms += rng.range(500, 40_000) as i64;
        let (fresh, read, write) = (rng.range(1, 5_000), rng.range(0, 120_000), rng.range(0, 9_000));
        let (output, reasoning) = (rng.range(1, 3_000), rng.range(0, 500));
        let status = if rng.chance(0.05) { "error" } else { "completed" };
        let done = ZOp {
            id: format!("mu_{}", rng.hex(20)),
            session: format!("sess_{}", rng.below(20)),
            started: *start_ms,
            status,
            counts: [fresh + read + write, output, reasoning, write, read],
            update: false,
        };
        if status == "completed" {
            let s = Sums {
                input: fresh,
                cache_creation: write,
                cache_read: read,
                output: output + reasoning,
                reasoning,
            };
            expect_add(exp, *start_ms, "zcode", s);
        }
        if rng.chance(0.35) {
            ops.push(ZOp { status: "running", counts: [0; 5], ..done.clone() });
            running.push((ZOp { update: true, ..done }, rng.range(1, 6)));
        } else {
            ops.push(done);
        }
        for r in &mut running {
            r.1 -= 1;
        }
        let (finished, rest): (Vec<_>, Vec<_>) = running.drain(..).partition(|r| r.1 == 0);
        running = rest;
        ops.extend(finished.into_iter().map(|r| r.0));
    }
    ops.extend(running.into_iter().map(|r| r.0));
    ops
}

/// A connection writing ZCode's database: WAL, never checkpointing while open.
pub fn zcode_writer(home: &Path) -> rusqlite::Connection {
    let path = zcode_db(home);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch("PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;").unwrap();
    c.execute_batch(ZCODE_SCHEMA).unwrap();
    for i in 0..20 {
        c.execute(
            "INSERT OR IGNORE INTO session VALUES (?1, ?2, 'title', 2)",
            rusqlite::params![format!("sess_{i}"), format!("/home/dev/z{i}")],
        )
        .unwrap();
    }
    c
}

/// Writes `ops` in one transaction.
pub fn zcode_write(c: &rusqlite::Connection, ops: &[ZOp]) {
    c.execute_batch("BEGIN IMMEDIATE").unwrap();
    for o in ops {
        let [i, out, r, w, rd] = o.counts.map(|v| v as i64);
        let total = i + out + r;
        if o.update {
            c.execute(
                "UPDATE model_usage SET status = ?2, input_tokens = ?3, output_tokens = ?4, reasoning_tokens = ?5, cache_creation_input_tokens = ?6, cache_read_input_tokens = ?7, computed_total_tokens = ?8 WHERE id = ?1",
                rusqlite::params![o.id, o.status, i, out, r, w, rd, total],
            )
            .unwrap();
        } else {
            c.execute(
                "INSERT INTO model_usage VALUES (?1, ?2, 't', 0, 'builtin:zai-coding-plan', 'GLM-4.6', ?3, 'main_turn', ?4, NULL, NULL, ?5, ?6, ?7, ?8, ?9, ?10)",
                rusqlite::params![o.id, o.session, o.status, o.started, i, out, r, w, rd, total],
            )
            .unwrap();
        }
    }
    c.execute_batch("COMMIT").unwrap();
}

// ---------------------------------------------------------------------------------------------
// Grok Build CLI: append-only lines of session updates

/// One Grok session's `updates.jsonl`: each turn a message chunk and a `turn_completed` update.
pub struct GrokSession {
    pub path: PathBuf,
    session: String,
    /// Whole seconds: Grok writes `timestamp` in epoch seconds.
    ts_ms: i64,
}

impl GrokSession {
    pub fn new(rng: &mut Rng, home: &Path, project: usize, start_ms: i64) -> Self {
        let session = format!("s-{}", rng.hex(12));
        let path = home
            .join(".grok/sessions")
            .join(format!("%2Fhome%2Fdev%2Fg{project}"))
            .join(&session)
            .join("updates.jsonl");
        GrokSession { path, session, ts_ms: start_ms / 1000 * 1000 }
    }

    /// The lines of `n` more turns; their requests added to `exp`.
    pub fn turns(&mut self, rng: &mut Rng, n: usize, exp: &mut Expected) -> String {
        let mut out = String::new();
        for _ in 0..n {
            self.ts_ms += rng.range(2, 600) as i64 * 1000;
            let (fresh, read, write) = (rng.range(1, 6_000), rng.range(0, 90_000), rng.range(0, 4_000));
            let output = rng.range(1, 3_000);
            let reasoning = rng.range(0, output);
            let chunk = json!({"timestamp": self.ts_ms / 1000 - 1, "params": {"sessionId": self.session,
                "update": {"sessionUpdate": "agent_message_chunk", "content": {"type": "text", "text": "ok"}}}});
            let usage = json!({"inputTokens": fresh + read + write, "outputTokens": output,
                "cachedReadTokens": read, "cacheCreationTokens": write, "reasoningTokens": reasoning,
                "costUsdTicks": rng.range(1, 1_000_000_000)});
            let turn = json!({"timestamp": self.ts_ms / 1000, "params": {"sessionId": self.session,
                "update": {"sessionUpdate": "turn_completed", "eventId": format!("ev-{}", rng.hex(16)),
                    "usage": {"modelUsage": {"grok-code-fast-1": usage}}}}});
            out.push_str(&format!("{chunk}\n{turn}\n"));
            let s = Sums { input: fresh, cache_creation: write, cache_read: read, output, reasoning };
            expect_add(exp, self.ts_ms, "grok", s);
        }
        out
    }
}
