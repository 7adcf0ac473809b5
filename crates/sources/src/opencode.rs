//! OpenCode: the SQLite database `opencode.db` (or `opencode-<channel>.db` for other release
//! channels) under `$XDG_DATA_HOME/opencode` (`~/.local/share/opencode` on every OS), and the
//! legacy JSON files of older versions under `storage/` (`storage/message/<session>/<msg>.json`,
//! `storage/part/<msg>/<part>.json`).
//!
//! One event per assistant message, keyed `opencode:<message id>` in both shapes, so a message
//! found in the database and in a legacy file (or in two channels' databases) is stored once.
//! The trap: OpenCode overwrites a message's `tokens` with the LAST step's usage while it sums
//! `cost` over the steps; each step also writes a `step-finish` part with that step's own
//! tokens. A message's exact tokens are the sum of its `step-finish` parts; its own `tokens`
//! are used only when it has no such part. `tokens.input` already excludes cache reads and
//! writes (OpenCode subtracts them itself); `tokens.reasoning` is billed as output and added in.
//!
//! The database is read by watermark: the state is the largest `time_updated` of the `message`
//! and `part` tables seen, and the next read takes only messages updated since, or with a part
//! updated since (rows are updated in place while a message streams).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::Connection;
use serde::Deserialize;
use serde_json::Value;

use crate::database::{columns, RowState};
use crate::{DocOutcome, Env, FileKind, Output, Shape, Source, Tokens, UsageEvent};

pub const ID: &str = "opencode";

/// A tool that writes OpenCode's data directory: OpenCode itself, or a fork that renamed it
/// (Kilo CLI: `kilo/kilo.db`). Everything but the names and where they live is shared.
pub struct Flavor {
    /// Stable source id, the prefix of every dedupe key.
    pub id: &'static str,
    pub name: &'static str,
    /// Where the data directory is, per environment.
    pub roots: fn(&Env) -> Vec<PathBuf>,
    /// The database file name prefix: `<prefix>.db` and `<prefix>-<channel>.db`.
    pub db_prefix: &'static str,
    /// Other prefixes whose channel databases the tool also opens (Kilo CLI falls back to an
    /// `opencode-<channel>.db` in its own directory).
    pub channel_prefixes: &'static [&'static str],
}

pub struct OpenCode;

/// OpenCode's own flavour.
pub const OPENCODE: Flavor = Flavor {
    id: ID,
    name: "OpenCode",
    // OpenCode's data directory is `xdg-basedir`'s data home on every OS.
    roots: |env| vec![env.xdg_data_home().join("opencode")],
    db_prefix: "opencode",
    channel_prefixes: &[],
};

impl Source for OpenCode {
    fn id(&self) -> &'static str {
        OPENCODE.id()
    }
    fn name(&self) -> &'static str {
        OPENCODE.name()
    }
    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        OPENCODE.roots(env)
    }
    fn kind(&self, path: &Path) -> FileKind {
        OPENCODE.kind(path)
    }
    fn document(&self, path: &Path, bytes: &[u8], out: &mut Output) -> DocOutcome {
        OPENCODE.document(path, bytes, out)
    }
    fn database(
        &self,
        path: &Path,
        db: &Connection,
        state: Option<&str>,
        out: &mut Output,
    ) -> Result<Option<String>, rusqlite::Error> {
        OPENCODE.database(path, db, state, out)
    }
}

impl Source for Flavor {
    fn id(&self) -> &'static str {
        self.id
    }

    fn name(&self) -> &'static str {
        self.name
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        (self.roots)(env)
    }

    fn kind(&self, path: &Path) -> FileKind {
        let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
        if self.is_database_name(&name) {
            return FileKind::Log(Shape::Database);
        }
        match legacy_kind(path) {
            Some(Legacy::Message | Legacy::Part) => FileKind::Log(Shape::Document),
            Some(Legacy::Stray) => FileKind::Unknown,
            // Sessions, projects, diffs, snapshots, logs, auth, tool output: no usage.
            None => FileKind::Other,
        }
    }

    fn document(&self, path: &Path, bytes: &[u8], out: &mut Output) -> DocOutcome {
        let Ok(value) = serde_json::from_slice::<Value>(bytes) else {
            return DocOutcome::Incomplete;
        };
        match legacy_kind(path) {
            Some(Legacy::Message) => {
                let parts = legacy_parts(path, &value);
                read_message(self.id, &value, None, None, &parts.values().collect::<Vec<_>>(), out);
            }
            Some(Legacy::Part) => {
                // A step that finished changes its message's total: the message is read again
                // with every part on disk (this one as given). A message file not there yet, or
                // mid-write, is read when it next changes.
                if step_finish(&value).is_none() {
                    return DocOutcome::Read;
                }
                let Some(message_path) = legacy_message_of_part(path, &value) else {
                    return DocOutcome::Read;
                };
                let Some(message) =
                    std::fs::read(&message_path).ok().and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                else {
                    return DocOutcome::Read;
                };
                let mut parts = legacy_parts(&message_path, &message);
                parts.insert(path.to_path_buf(), value);
                let mut scratch = Output::default();
                read_message(
                    self.id,
                    &message,
                    None,
                    None,
                    &parts.values().collect::<Vec<_>>(),
                    &mut scratch,
                );
                // Unreadable records of the message are counted when the message file itself
                // is read; this read only refreshes its event.
                out.events.append(&mut scratch.events);
            }
            _ => {}
        }
        DocOutcome::Read
    }

    fn database(
        &self,
        _path: &Path,
        db: &Connection,
        state: Option<&str>,
        out: &mut Output,
    ) -> Result<Option<String>, rusqlite::Error> {
        read_database(self.id, db, state, out)
    }
}

impl Flavor {
    /// `<prefix>.db` or `<prefix>-<channel>.db` (the channel name made of `[A-Za-z0-9._-]`).
    fn is_database_name(&self, name: &str) -> bool {
        if name.strip_suffix(".db") == Some(self.db_prefix) {
            return true;
        }
        std::iter::once(self.db_prefix).chain(self.channel_prefixes.iter().copied()).any(|prefix| {
            name.strip_prefix(prefix)
                .and_then(|r| r.strip_prefix('-'))
                .and_then(|r| r.strip_suffix(".db"))
                .is_some_and(|channel| {
                    !channel.is_empty()
                        && channel.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
                })
        })
    }
}

enum Legacy {
    Message,
    Part,
    /// A file among the messages or parts that is not one: possible format drift.
    Stray,
}

/// Where a file sits in the legacy `storage/` tree.
fn legacy_kind(path: &Path) -> Option<Legacy> {
    let comps: Vec<String> =
        path.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    let n = comps.len();
    let storage = comps.iter().rposition(|c| c == "storage")?;
    let table = comps.get(storage + 1)?;
    if table != "message" && table != "part" {
        return None;
    }
    let is_json = path.extension().is_some_and(|e| e == "json");
    if n == storage + 4 && is_json {
        return Some(if table == "message" { Legacy::Message } else { Legacy::Part });
    }
    Some(Legacy::Stray)
}

/// The `step-finish` parts of a legacy message, by path: `storage/part/<message id>/*.json`.
fn legacy_parts(message_path: &Path, message: &Value) -> BTreeMap<PathBuf, Value> {
    let mut parts = BTreeMap::new();
    let id = message
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| message_path.file_stem().map(|s| s.to_string_lossy().into_owned()));
    let (Some(id), Some(storage)) = (id, message_path.ancestors().nth(3)) else { return parts };
    let Ok(entries) = std::fs::read_dir(storage.join("part").join(&id)) else { return parts };
    for e in entries.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "json") {
            // A part mid-write is left out; its own change reads the message again.
            if let Some(v) = std::fs::read(&p).ok().and_then(|b| serde_json::from_slice::<Value>(&b).ok()) {
                parts.insert(p, v);
            }
        }
    }
    parts
}

/// `storage/message/<session id>/<message id>.json` of a legacy part.
fn legacy_message_of_part(part_path: &Path, part: &Value) -> Option<PathBuf> {
    let message = part
        .get("messageID")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| part_path.parent()?.file_name().map(|n| n.to_string_lossy().into_owned()))?;
    let session = part.get("sessionID").and_then(Value::as_str)?;
    let storage = part_path.ancestors().nth(3)?;
    Some(storage.join("message").join(session).join(format!("{message}.json")))
}

/// OpenCode's token record (a message's last step, or one step-finish part).
#[derive(Deserialize, Default, Clone, Copy)]
struct StepTokens {
    input: u64,
    output: u64,
    #[serde(default, deserialize_with = "crate::json::u64_or_null")]
    reasoning: u64,
    #[serde(default)]
    cache: CacheTokens,
}

#[derive(Deserialize, Default, Clone, Copy)]
struct CacheTokens {
    #[serde(default, deserialize_with = "crate::json::u64_or_null")]
    read: u64,
    #[serde(default, deserialize_with = "crate::json::u64_or_null")]
    write: u64,
}

impl StepTokens {
    fn add(&mut self, o: &StepTokens) {
        self.input += o.input;
        self.output += o.output;
        self.reasoning += o.reasoning;
        self.cache.read += o.cache.read;
        self.cache.write += o.cache.write;
    }

    fn is_zero(&self) -> bool {
        self.input + self.output + self.reasoning + self.cache.read + self.cache.write == 0
    }

    fn normalized(&self) -> Tokens {
        Tokens {
            input: self.input,
            cache_write_5m: self.cache.write,
            cache_write_1h: 0,
            cache_read: self.cache.read,
            output: self.output + self.reasoning,
            reasoning: self.reasoning,
        }
    }
}

/// A part's tokens when it is a `step-finish` part: `Some(Err(()))` when its tokens cannot be
/// read.
fn step_finish(part: &Value) -> Option<Result<StepTokens, ()>> {
    if part.get("type").and_then(Value::as_str) != Some("step-finish") {
        return None;
    }
    Some(part.get("tokens").and_then(|t| StepTokens::deserialize(t).ok()).ok_or(()))
}

/// A non-empty string at a JSON pointer.
fn str_at<'a>(v: &'a Value, ptr: &str) -> Option<&'a str> {
    v.pointer(ptr).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Turns one message (a DB row's `data`, or a legacy file) and its parts into an event.
/// `id` and `session` come from the row's columns when the data omits them (the database
/// stores them as columns only).
fn read_message(
    source: &'static str,
    msg: &Value,
    id: Option<&str>,
    session: Option<&str>,
    parts: &[&Value],
    out: &mut Output,
) {
    if str_at(msg, "/role") != Some("assistant") {
        return;
    }
    let mut summed: Option<StepTokens> = None;
    for part in parts {
        match step_finish(part) {
            None => {}
            Some(Ok(t)) => summed.get_or_insert_with(StepTokens::default).add(&t),
            Some(Err(())) => out.unreadable += 1,
        }
    }
    let own = msg.get("tokens").map(|t| StepTokens::deserialize(t).map_err(|_| ()));
    let tokens = match (summed, own) {
        (Some(s), _) => s,
        (None, Some(Ok(t))) => t,
        (None, Some(Err(()))) => {
            out.unreadable += 1;
            return;
        }
        // An assistant message without tokens yet (just created): nothing billed so far.
        (None, None) => return,
    };
    if tokens.is_zero() {
        return;
    }
    let id = id.or_else(|| str_at(msg, "/id"));
    let ts_ms = msg.pointer("/time/created").and_then(Value::as_f64).filter(|t| *t > 0.0);
    let (Some(id), Some(ts_ms)) = (id, ts_ms) else {
        out.unreadable += 1;
        return;
    };
    let model_id = str_at(msg, "/modelID").map(crate::names::normalize);
    let model = match (str_at(msg, "/providerID"), model_id) {
        (Some(p), Some(m)) => format!("{p}/{m}"),
        (None, Some(m)) => m,
        (_, None) => String::new(),
    };
    let project = str_at(msg, "/path/cwd").or_else(|| str_at(msg, "/path/root")).unwrap_or_default();
    out.events.push(UsageEvent {
        source,
        session_id: session.or_else(|| str_at(msg, "/sessionID")).unwrap_or_default().to_owned(),
        project: project.to_owned(),
        model_fallback: model.is_empty(),
        model: if model.is_empty() { "unknown".to_owned() } else { model },
        ts_ms: ts_ms as i64,
        dedupe_key: format!("{source}:{id}"),
        group_key: None,
        sidechain: false,
        tokens: tokens.normalized(),
        // OpenCode writes 0 for a model it has no price for: computed from the table then.
        logged_cost_usd: msg.get("cost").and_then(Value::as_f64).filter(|c| *c > 0.0),
        git_branch: None,
        parent_session: None,
    });
}

fn read_database(
    source: &'static str,
    db: &Connection,
    state: Option<&str>,
    out: &mut Output,
) -> Result<Option<String>, rusqlite::Error> {
    let message_cols = columns(db, "message")?;
    if !message_cols.contains("data") || !message_cols.contains("id") {
        // Not OpenCode's schema (or a database not migrated yet): nothing to read.
        return Ok(None);
    }
    let part_cols = columns(db, "part")?;
    let has_parts = part_cols.contains("message_id") && part_cols.contains("data");
    let session_cols = columns(db, "session")?;
    let project_cols = columns(db, "project")?;
    let watermarked =
        message_cols.contains("time_updated") && (!has_parts || part_cols.contains("time_updated"));

    // The new watermark is taken before the rows, so a row written between the two is read
    // again next time rather than missed.
    let mut new_mark = None;
    if watermarked {
        let mut m: Option<i64> = db.query_row("SELECT max(time_updated) FROM message", [], |r| r.get(0))?;
        if has_parts {
            let p: Option<i64> = db.query_row("SELECT max(time_updated) FROM part", [], |r| r.get(0))?;
            m = m.max(p);
        }
        new_mark = m;
    }
    // The watermark is the largest `time_updated` of `message` and `part` at the last read.
    let mut st: RowState<i64> = RowState::load(if watermarked { state } else { None });
    let since = st.mark;
    st.mark = new_mark;

    let session_col = if message_cols.contains("session_id") { "m.session_id" } else { "NULL" };
    let directory = if session_cols.contains("directory") && session_cols.contains("id") {
        "(SELECT s.directory FROM session s WHERE s.id = m.session_id)"
    } else {
        "NULL"
    };
    let worktree = if session_cols.contains("project_id") && project_cols.contains("worktree") {
        "(SELECT p.worktree FROM session s JOIN project p ON p.id = s.project_id WHERE s.id = m.session_id)"
    } else {
        "NULL"
    };
    let filter = match (since, has_parts) {
        (None, _) => String::new(),
        (Some(_), true) => {
            " WHERE m.time_updated >= ?1 OR m.id IN (SELECT message_id FROM part WHERE time_updated >= ?1)"
                .to_owned()
        }
        (Some(_), false) => " WHERE m.time_updated >= ?1".to_owned(),
    };
    let params: Vec<i64> = since.into_iter().collect();
    // The step-finish parts of the messages read, in one query (a query per message scans the
    // part table again for each one where it has no index on message_id).
    let mut parts_of: std::collections::HashMap<String, Vec<Option<Value>>> =
        std::collections::HashMap::new();
    if has_parts {
        let sql = format!(
            "SELECT message_id, data FROM part WHERE data LIKE '%step-finish%'
               AND message_id IN (SELECT m.id FROM message m{filter})"
        );
        let mut ps = db.prepare(&sql)?;
        let mut prow = ps.query(rusqlite::params_from_iter(params.iter()))?;
        while let Some(r) = prow.next()? {
            let Ok(mid) = r.get::<_, String>(0) else { continue };
            let v = r.get::<_, String>(1).ok().and_then(|d| serde_json::from_str::<Value>(&d).ok());
            parts_of.entry(mid).or_default().push(v);
        }
    }
    let sql = format!("SELECT m.id, {session_col}, m.data, {directory}, {worktree} FROM message m{filter}");
    let mut stmt = db.prepare(&sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
    while let Some(row) = rows.next()? {
        // The id is the table's primary key (text).
        let id: String = match row.get::<_, rusqlite::types::Value>(0)? {
            rusqlite::types::Value::Text(s) => s,
            other => format!("{other:?}"),
        };
        let session: Option<String> = row.get(1).ok().flatten();
        let data: Option<String> = row.get(2).ok();
        let Some(mut msg) = data.and_then(|d| serde_json::from_str::<Value>(&d).ok()) else {
            st.note(&id, true);
            continue;
        };
        if msg.get("role").and_then(Value::as_str) != Some("assistant") {
            st.note(&id, false);
            continue;
        }
        // The project: the message's own path, else its session's directory, else the
        // session's project worktree.
        if msg.pointer("/path/cwd").and_then(Value::as_str).is_none_or(str::is_empty)
            && msg.pointer("/path/root").and_then(Value::as_str).is_none_or(str::is_empty)
        {
            let dir: Option<String> =
                row.get::<_, Option<String>>(3).ok().flatten().filter(|s| !s.is_empty());
            let wt: Option<String> = row.get::<_, Option<String>>(4).ok().flatten().filter(|s| !s.is_empty());
            if let (Some(p), Some(obj)) = (dir.or(wt), msg.as_object_mut()) {
                obj.insert("path".to_owned(), serde_json::json!({ "cwd": p }));
            }
        }
        let mut parts: Vec<Value> = Vec::new();
        let mut one = Output::default();
        for p in parts_of.remove(&id).unwrap_or_default() {
            match p {
                Some(v) => parts.push(v),
                None => one.unreadable += 1,
            }
        }
        read_message(
            source,
            &msg,
            Some(&id),
            session.as_deref(),
            &parts.iter().collect::<Vec<_>>(),
            &mut one,
        );
        st.note(&id, one.unreadable > 0);
        out.events.append(&mut one.events);
    }
    let (state, unreadable) = st.save();
    out.unreadable += unreadable;
    Ok(state)
}

/// Whether a database has a table (used by tests).
#[cfg(test)]
fn has_table(db: &Connection, name: &str) -> bool {
    use rusqlite::OptionalExtension;
    db.query_row("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", [name], |_| Ok(()))
        .optional()
        .ok()
        .flatten()
        .is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = "
        CREATE TABLE project (id TEXT PRIMARY KEY, worktree TEXT NOT NULL, time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL);
        CREATE TABLE session (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, directory TEXT NOT NULL, time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL);
        CREATE TABLE message (id TEXT PRIMARY KEY, session_id TEXT NOT NULL, time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL, data TEXT NOT NULL);
        CREATE TABLE part (id TEXT PRIMARY KEY, message_id TEXT NOT NULL, session_id TEXT NOT NULL, time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL, data TEXT NOT NULL);
        INSERT INTO project VALUES ('prj_1', '/home/dev/api', 1, 1);
        INSERT INTO session VALUES ('ses_1', 'prj_1', '/home/dev/api', 1, 1);
    ";

    fn message(tokens: &str) -> String {
        format!(
            r#"{{"role":"assistant","modelID":"claude-sonnet-4.5","providerID":"anthropic","time":{{"created":1772446500000}},"cost":0.5,"tokens":{tokens}}}"#
        )
    }

    fn db() -> Connection {
        let db = Connection::open_in_memory().unwrap();
        db.execute_batch(SCHEMA).unwrap();
        db
    }

    fn insert_message(db: &Connection, id: &str, updated: i64, data: &str) {
        db.execute(
            "INSERT OR REPLACE INTO message VALUES (?1, 'ses_1', 1, ?2, ?3)",
            rusqlite::params![id, updated, data],
        )
        .unwrap();
    }

    fn insert_part(db: &Connection, id: &str, msg: &str, updated: i64, tokens: &str) {
        let data = format!(r#"{{"type":"step-finish","reason":"tool-calls","cost":0.25,"tokens":{tokens}}}"#);
        db.execute(
            "INSERT INTO part VALUES (?1, ?2, 'ses_1', 1, ?3, ?4)",
            rusqlite::params![id, msg, updated, data],
        )
        .unwrap();
    }

    #[test]
    fn steps_are_summed_and_reasoning_is_output() {
        let db = db();
        assert!(has_table(&db, "part"));
        // The message keeps the last step only (30 in, 200 out).
        insert_message(
            &db,
            "msg_1",
            10,
            &message(r#"{"input":30,"output":200,"reasoning":5,"cache":{"read":900,"write":0}}"#),
        );
        insert_part(
            &db,
            "prt_1",
            "msg_1",
            5,
            r#"{"input":100,"output":50,"reasoning":10,"cache":{"read":0,"write":800}}"#,
        );
        insert_part(
            &db,
            "prt_2",
            "msg_1",
            10,
            r#"{"input":30,"output":200,"reasoning":5,"cache":{"read":900,"write":0}}"#,
        );
        let mut out = Output::default();
        let state = read_database(ID, &db, None, &mut out).unwrap();
        assert_eq!(out.unreadable, 0);
        assert_eq!(out.events.len(), 1);
        let e = &out.events[0];
        assert_eq!(e.dedupe_key, "opencode:msg_1");
        assert_eq!(e.model, "anthropic/claude-sonnet-4-5");
        assert_eq!(e.project, "/home/dev/api");
        assert_eq!(e.session_id, "ses_1");
        assert_eq!(
            e.tokens,
            Tokens {
                input: 130,
                cache_write_5m: 800,
                cache_write_1h: 0,
                cache_read: 900,
                output: 265,
                reasoning: 15
            }
        );
        assert_eq!(e.logged_cost_usd, Some(0.5));
        assert_eq!(state.as_deref(), Some(r#"{"mark":10,"unreadable":[]}"#));
    }

    #[test]
    fn only_changed_rows_are_read_again() {
        let db = db();
        insert_message(&db, "msg_1", 10, &message(r#"{"input":1,"output":2}"#));
        insert_message(&db, "msg_2", 20, &message(r#"{"input":3,"output":4}"#));
        let mut out = Output::default();
        let state = read_database(ID, &db, None, &mut out).unwrap();
        assert_eq!(out.events.len(), 2);
        // Nothing changed: only the rows at the watermark itself are read again.
        let mut out = Output::default();
        let state = read_database(ID, &db, state.as_deref(), &mut out).unwrap();
        assert_eq!(out.events.iter().map(|e| e.dedupe_key.as_str()).collect::<Vec<_>>(), ["opencode:msg_2"]);
        // A new step of msg_1 (a part updated later) brings msg_1 back, with its parts summed.
        insert_part(&db, "prt_9", "msg_1", 30, r#"{"input":7,"output":8}"#);
        let mut out = Output::default();
        let state = read_database(ID, &db, state.as_deref(), &mut out).unwrap();
        // msg_2 sits at the old watermark (20), so it is read once more.
        let keys: Vec<&str> = out.events.iter().map(|e| e.dedupe_key.as_str()).collect();
        assert_eq!(keys, ["opencode:msg_1", "opencode:msg_2"]);
        assert_eq!(out.events[0].tokens.output, 8);
        assert_eq!(state.as_deref(), Some(r#"{"mark":30,"unreadable":[]}"#));
    }

    #[test]
    fn a_renamed_token_field_is_counted_not_priced_at_zero() {
        let db = db();
        insert_message(&db, "msg_1", 10, &message(r#"{"input":1,"output":2}"#));
        let mut out = Output::default();
        read_database(ID, &db, None, &mut out).unwrap();
        assert_eq!((out.events.len(), out.unreadable), (1, 0));
        insert_message(&db, "msg_1", 11, &message(r#"{"inputTokens":1,"output":2}"#));
        let mut out = Output::default();
        read_database(ID, &db, None, &mut out).unwrap();
        assert_eq!((out.events.len(), out.unreadable), (0, 1));
        // Likewise in a step-finish part.
        insert_message(&db, "msg_1", 12, &message(r#"{"input":1,"output":2}"#));
        insert_part(&db, "prt_1", "msg_1", 12, r#"{"input":"many","output":2}"#);
        let mut out = Output::default();
        let state = read_database(ID, &db, None, &mut out).unwrap();
        assert_eq!(out.unreadable, 1);
        // Read again by watermark, the row is still counted; mended, it no longer is.
        let mut out = Output::default();
        let state = read_database(ID, &db, state.as_deref(), &mut out).unwrap();
        assert_eq!(out.unreadable, 1);
        db.execute("DELETE FROM part", []).unwrap();
        insert_message(&db, "msg_1", 13, &message(r#"{"input":1,"output":2}"#));
        let mut out = Output::default();
        read_database(ID, &db, state.as_deref(), &mut out).unwrap();
        assert_eq!((out.events.len(), out.unreadable), (1, 0));
    }

    #[test]
    fn user_messages_and_empty_assistant_messages_are_not_usage() {
        let db = db();
        insert_message(
            &db,
            "msg_u",
            1,
            r#"{"role":"user","time":{"created":1},"model":{"providerID":"a","modelID":"b"}}"#,
        );
        insert_message(
            &db,
            "msg_a",
            1,
            r#"{"role":"assistant","time":{"created":1},"modelID":"m","providerID":"p"}"#,
        );
        insert_message(
            &db,
            "msg_z",
            1,
            &message(r#"{"input":0,"output":0,"reasoning":0,"cache":{"read":0,"write":0}}"#),
        );
        let mut out = Output::default();
        read_database(ID, &db, None, &mut out).unwrap();
        assert_eq!((out.events.len(), out.unreadable), (0, 0));
    }

    #[test]
    fn file_kinds() {
        let k = |p: &str| OpenCode.kind(Path::new(p));
        let root = "/h/.local/share/opencode";
        assert_eq!(k(&format!("{root}/opencode.db")), FileKind::Log(Shape::Database));
        assert_eq!(k(&format!("{root}/opencode-canary.db")), FileKind::Log(Shape::Database));
        assert_eq!(k(&format!("{root}/opencode-x y.db")), FileKind::Other);
        assert_eq!(k(&format!("{root}/storage/message/ses_1/msg_1.json")), FileKind::Log(Shape::Document));
        assert_eq!(k(&format!("{root}/storage/part/msg_1/prt_1.json")), FileKind::Log(Shape::Document));
        assert_eq!(k(&format!("{root}/storage/message/ses_1/msg_1.txt")), FileKind::Unknown);
        assert_eq!(k(&format!("{root}/storage/session/prj/ses_1.json")), FileKind::Other);
        assert_eq!(k(&format!("{root}/snapshot/abc/objects/12/3456")), FileKind::Other);
        assert_eq!(k(&format!("{root}/log/2026-03-02.log")), FileKind::Other);
    }

    #[test]
    fn legacy_message_sums_its_parts_on_disk() {
        let tmp = tempfile::tempdir().unwrap();
        let storage = tmp.path().join("opencode/storage");
        let msg_path = storage.join("message/ses_1/msg_1.json");
        std::fs::create_dir_all(msg_path.parent().unwrap()).unwrap();
        std::fs::create_dir_all(storage.join("part/msg_1")).unwrap();
        let msg = r#"{"id":"msg_1","sessionID":"ses_1","role":"assistant","modelID":"gpt-5","providerID":"openai","path":{"cwd":"/w","root":"/w"},"time":{"created":1772446500000},"cost":0.1,"tokens":{"input":5,"output":6,"reasoning":0,"cache":{"read":0,"write":0}}}"#;
        std::fs::write(&msg_path, msg).unwrap();
        let part = |t: &str| {
            format!(
                r#"{{"id":"p","messageID":"msg_1","sessionID":"ses_1","type":"step-finish","tokens":{t}}}"#
            )
        };
        std::fs::write(
            storage.join("part/msg_1/prt_1.json"),
            part(r#"{"input":10,"output":20,"reasoning":3,"cache":{"read":1,"write":2}}"#),
        )
        .unwrap();
        // A part mid-write is left out of the message's read.
        std::fs::write(storage.join("part/msg_1/prt_2.json"), r#"{"id":"p2","type":"step-fin"#).unwrap();
        let mut out = Output::default();
        assert_eq!(OpenCode.document(&msg_path, msg.as_bytes(), &mut out), DocOutcome::Read);
        assert_eq!(out.events.len(), 1);
        assert_eq!(out.events[0].tokens.output, 23);
        assert_eq!(out.events[0].project, "/w");
        assert_eq!(out.events[0].model, "openai/gpt-5");
        // The part, once written, reads the message again with both steps.
        let p2 = part(r#"{"input":5,"output":6,"reasoning":0,"cache":{"read":0,"write":0}}"#);
        std::fs::write(storage.join("part/msg_1/prt_2.json"), &p2).unwrap();
        let mut out = Output::default();
        OpenCode.document(&storage.join("part/msg_1/prt_2.json"), p2.as_bytes(), &mut out);
        assert_eq!(out.events.len(), 1);
        assert_eq!(out.events[0].dedupe_key, "opencode:msg_1");
        assert_eq!(out.events[0].tokens.input, 15);
        assert_eq!(out.events[0].tokens.output, 29);
        // Cut mid-write: waits.
        let mut out = Output::default();
        assert_eq!(OpenCode.document(&msg_path, &msg.as_bytes()[..40], &mut out), DocOutcome::Incomplete);
    }
}
