//! Export and import: the ledger as portable text, and merging such text into a ledger.
//!
//! The jsonl format (what `import` reads): one JSON object a line, each with a `type`:
//! ```text
//! {"type":"header","format":"tokenworth-export","version":1,"schema":4,"exported_at":"…Z"}
//! {"type":"event","dedupe_key":…,"group_key":…|null,"sidechain":false,"source":…,"session_id":…,
//!  "project":…,"model":…,"model_fallback":false,"ts_ms":…,"input":…,"cache_write_5m":…,
//!  "cache_write_1h":…,"cache_read":…,"output":…,"reasoning":…,"logged_cost_usd":…|null}
//! {"type":"session","source","session_id","project","start_ms","end_ms","git_branch","branch_ms","parent_session"}
//! {"type":"tag","source","session_id","outcome","note","link","tagged_at_ms"}
//! {"type":"commit","source","session_id","hash","repo","author_ms","message","files_changed","lines_added","lines_removed"}
//! {"type":"total","source","counter","input",…,"logged_cost_usd","resets","observed_ms"}
//! ```
//! Cursors are not exported: they describe files on one machine. On another machine the first
//! scan reads the logs from the start, and the keys and running totals keep it from counting
//! anything twice.
//!
//! Import is idempotent: events merge by their dedupe key (the one with more output wins, as in a
//! scan), sessions only widen, a tag replaces the stored one only when it is newer, commits and
//! running totals merge by their keys (a total only when its observation is newer). The whole
//! file is read and checked first, then written in one transaction: all or nothing.

use std::io::{BufRead, Write};

use rusqlite::params_from_iter;
use serde::{Deserialize, Serialize};

use crate::report::Filter;
use crate::store::{Store, StoreError, MAX_TOKENS, SCHEMA_VERSION};
use crate::tags::Outcome;
use crate::{Tokens, UsageEvent};

pub const FORMAT: &str = "tokenworth-export";
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
enum Row {
    Header {
        format: String,
        version: u32,
        schema: i64,
        exported_at: String,
    },
    Event {
        dedupe_key: String,
        group_key: Option<String>,
        sidechain: bool,
        source: String,
        session_id: String,
        project: String,
        model: String,
        model_fallback: bool,
        ts_ms: i64,
        input: i64,
        cache_write_5m: i64,
        cache_write_1h: i64,
        cache_read: i64,
        output: i64,
        reasoning: i64,
        logged_cost_usd: Option<f64>,
    },
    Session {
        source: String,
        session_id: String,
        project: String,
        start_ms: i64,
        end_ms: i64,
        git_branch: Option<String>,
        branch_ms: Option<i64>,
        parent_session: Option<String>,
    },
    Tag {
        source: String,
        session_id: String,
        outcome: String,
        note: Option<String>,
        link: Option<String>,
        tagged_at_ms: i64,
    },
    Commit {
        source: String,
        session_id: String,
        hash: String,
        repo: String,
        author_ms: i64,
        message: String,
        files_changed: i64,
        lines_added: i64,
        lines_removed: i64,
    },
    Total {
        source: String,
        counter: String,
        input: i64,
        cache_write_5m: i64,
        cache_write_1h: i64,
        cache_read: i64,
        output: i64,
        reasoning: i64,
        logged_cost_usd: Option<f64>,
        resets: i64,
        observed_ms: i64,
    },
}

/// What an import did (`import --json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Events new to the ledger.
    pub events_added: usize,
    /// Events it held already (by key).
    pub events_known: usize,
    /// Rows of each kind that changed the ledger.
    pub sessions: usize,
    pub tags: usize,
    pub commits: usize,
    pub totals: usize,
}

#[derive(Debug)]
pub enum ImportError {
    /// A line that is not part of an export this build reads: nothing was imported.
    Invalid {
        line: usize,
        reason: String,
    },
    Io(std::io::Error),
    Store(StoreError),
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportError::Invalid { line, reason } => {
                write!(f, "line {line}: {reason}; nothing was imported")
            }
            ImportError::Io(e) => write!(f, "cannot read the export: {e}; nothing was imported"),
            ImportError::Store(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ImportError {}

impl From<StoreError> for ImportError {
    fn from(e: StoreError) -> Self {
        ImportError::Store(e)
    }
}

/// The filter's conditions on `events` (source, project, time), as an SQL condition.
fn conditions(filter: &Filter) -> (String, Vec<rusqlite::types::Value>) {
    let (sql, params) = filter.sql("ts", 1);
    let cond = sql.strip_prefix(" WHERE ").unwrap_or("1").to_owned();
    (if sql.is_empty() { "1".into() } else { cond }, params)
}

fn line<W: Write + ?Sized>(w: &mut W, row: &Row) -> std::io::Result<()> {
    serde_json::to_writer(&mut *w, row)?;
    w.write_all(b"\n")
}

/// Writes the export: the events inside `filter`, the sessions they belong to with their tags
/// and commits, and the running totals (of the filter's source).
pub fn export_jsonl<W: Write + ?Sized>(
    store: &Store,
    filter: &Filter,
    now_ms: i64,
    w: &mut W,
) -> Result<(), ExportError> {
    let conn = store.conn();
    let err = |e| ExportError::Store(store.err(e));
    let exported_at = crate::fmt::iso_utc(now_ms);
    line(w, &Row::Header { format: FORMAT.into(), version: VERSION, schema: SCHEMA_VERSION, exported_at })?;
    let (cond, params) = conditions(filter);
    // One read transaction: every row of the export from the same state of the ledger.
    conn.execute_batch("BEGIN").map_err(err)?;
    let result = (|| -> Result<(), ExportError> {
        let mut stmt = conn
            .prepare(&format!(
                "SELECT dedupe_key, group_key, sidechain, source, session_id, project, model, model_fallback, ts,
                        input, cw5m, cw1h, cache_read, output, reasoning, logged_cost
                 FROM events WHERE {cond} ORDER BY ts, dedupe_key"
            ))
            .map_err(err)?;
        let mut rows = stmt.query(params_from_iter(params.iter())).map_err(err)?;
        while let Some(r) = rows.next().map_err(err)? {
            let row = (|| -> rusqlite::Result<Row> {
                Ok(Row::Event {
                    dedupe_key: r.get(0)?,
                    group_key: r.get(1)?,
                    sidechain: r.get(2)?,
                    source: r.get(3)?,
                    session_id: r.get(4)?,
                    project: r.get(5)?,
                    model: r.get(6)?,
                    model_fallback: r.get(7)?,
                    ts_ms: r.get(8)?,
                    input: r.get(9)?,
                    cache_write_5m: r.get(10)?,
                    cache_write_1h: r.get(11)?,
                    cache_read: r.get(12)?,
                    output: r.get(13)?,
                    reasoning: r.get(14)?,
                    logged_cost_usd: r.get(15)?,
                })
            })()
            .map_err(err)?;
            line(w, &row)?;
        }
        // Sessions (and their tags and commits) with an exported event; all of them unfiltered.
        let of_sessions = |table: &str| {
            format!(
                "EXISTS (SELECT 1 FROM events WHERE events.source = {table}.source AND events.session_id = {table}.session_id AND {cond})"
            )
        };
        let mut stmt = conn
            .prepare(&format!(
                "SELECT source, session_id, project, start_ts, end_ts, git_branch, branch_ts, parent_session
                 FROM sessions WHERE {} ORDER BY start_ts, source, session_id",
                of_sessions("sessions")
            ))
            .map_err(err)?;
        let mut rows = stmt.query(params_from_iter(params.iter())).map_err(err)?;
        while let Some(r) = rows.next().map_err(err)? {
            let row = (|| -> rusqlite::Result<Row> {
                Ok(Row::Session {
                    source: r.get(0)?,
                    session_id: r.get(1)?,
                    project: r.get(2)?,
                    start_ms: r.get(3)?,
                    end_ms: r.get(4)?,
                    git_branch: r.get(5)?,
                    branch_ms: r.get(6)?,
                    parent_session: r.get(7)?,
                })
            })()
            .map_err(err)?;
            line(w, &row)?;
        }
        let tag_filter = if filter.since.is_none() && filter.until.is_none() && filter.project.is_none() {
            // Unfiltered (but for a source): every tag, also of a session whose events are gone.
            match &filter.source {
                None => "1".to_owned(),
                Some(_) => "source = ?".to_owned(),
            }
        } else {
            of_sessions("tags")
        };
        let tag_params: Vec<rusqlite::types::Value> = if tag_filter == "source = ?" {
            vec![rusqlite::types::Value::Text(filter.source.clone().unwrap_or_default())]
        } else if tag_filter == "1" {
            Vec::new()
        } else {
            params.clone()
        };
        let mut stmt = conn
            .prepare(&format!(
                "SELECT source, session_id, outcome, note, link, tagged_at FROM tags WHERE {tag_filter} ORDER BY source, session_id"
            ))
            .map_err(err)?;
        let mut rows = stmt.query(params_from_iter(tag_params.iter())).map_err(err)?;
        while let Some(r) = rows.next().map_err(err)? {
            let row = (|| -> rusqlite::Result<Row> {
                Ok(Row::Tag {
                    source: r.get(0)?,
                    session_id: r.get(1)?,
                    outcome: r.get(2)?,
                    note: r.get(3)?,
                    link: r.get(4)?,
                    tagged_at_ms: r.get(5)?,
                })
            })()
            .map_err(err)?;
            line(w, &row)?;
        }
        let commit_filter = tag_filter.replace("tags.", "session_commits.");
        let mut stmt = conn
            .prepare(&format!(
                "SELECT source, session_id, hash, repo, author_ts, message, files_changed, lines_added, lines_removed
                 FROM session_commits WHERE {commit_filter} ORDER BY source, session_id, author_ts, hash"
            ))
            .map_err(err)?;
        let mut rows = stmt.query(params_from_iter(tag_params.iter())).map_err(err)?;
        while let Some(r) = rows.next().map_err(err)? {
            let row = (|| -> rusqlite::Result<Row> {
                Ok(Row::Commit {
                    source: r.get(0)?,
                    session_id: r.get(1)?,
                    hash: r.get(2)?,
                    repo: r.get(3)?,
                    author_ms: r.get(4)?,
                    message: r.get(5)?,
                    files_changed: r.get(6)?,
                    lines_added: r.get(7)?,
                    lines_removed: r.get(8)?,
                })
            })()
            .map_err(err)?;
            line(w, &row)?;
        }
        let (total_filter, total_params) = match &filter.source {
            None => ("1", Vec::new()),
            Some(s) => ("source = ?", vec![rusqlite::types::Value::Text(s.clone())]),
        };
        let mut stmt = conn
            .prepare(&format!(
                "SELECT source, counter, input, cw5m, cw1h, cache_read, output, reasoning, logged_cost, resets, observed_ts
                 FROM totals WHERE {total_filter} ORDER BY source, counter"
            ))
            .map_err(err)?;
        let mut rows = stmt.query(params_from_iter(total_params.iter())).map_err(err)?;
        while let Some(r) = rows.next().map_err(err)? {
            let row = (|| -> rusqlite::Result<Row> {
                Ok(Row::Total {
                    source: r.get(0)?,
                    counter: r.get(1)?,
                    input: r.get(2)?,
                    cache_write_5m: r.get(3)?,
                    cache_write_1h: r.get(4)?,
                    cache_read: r.get(5)?,
                    output: r.get(6)?,
                    reasoning: r.get(7)?,
                    logged_cost_usd: r.get(8)?,
                    resets: r.get(9)?,
                    observed_ms: r.get(10)?,
                })
            })()
            .map_err(err)?;
            line(w, &row)?;
        }
        Ok(())
    })();
    let _ = conn.execute_batch("COMMIT");
    result
}

/// The events inside `filter` as CSV (a header row, then one row per event).
pub fn export_csv<W: Write + ?Sized>(store: &Store, filter: &Filter, w: &mut W) -> Result<(), ExportError> {
    let conn = store.conn();
    let err = |e| ExportError::Store(store.err(e));
    writeln!(
        w,
        "time,source,session_id,project,model,input_tokens,cache_write_5m_tokens,cache_write_1h_tokens,cache_read_tokens,output_tokens,reasoning_tokens,logged_cost_usd,dedupe_key"
    )?;
    let (cond, params) = conditions(filter);
    let mut stmt = conn
        .prepare(&format!(
            "SELECT ts, source, session_id, project, model, input, cw5m, cw1h, cache_read, output, reasoning, logged_cost, dedupe_key
             FROM events WHERE {cond} ORDER BY ts, dedupe_key"
        ))
        .map_err(err)?;
    let mut rows = stmt.query(params_from_iter(params.iter())).map_err(err)?;
    while let Some(r) = rows.next().map_err(err)? {
        let text =
            |i: usize| -> Result<String, ExportError> { Ok(csv_field(&r.get::<_, String>(i).map_err(err)?)) };
        let num = |i: usize| -> Result<i64, ExportError> { r.get::<_, i64>(i).map_err(err) };
        let cost: Option<f64> = r.get(11).map_err(err)?;
        writeln!(
            w,
            "{},{},{},{},{},{},{},{},{},{},{},{},{}",
            crate::fmt::iso_utc(num(0)?),
            text(1)?,
            text(2)?,
            text(3)?,
            text(4)?,
            num(5)?,
            num(6)?,
            num(7)?,
            num(8)?,
            num(9)?,
            num(10)?,
            cost.map(|c| c.to_string()).unwrap_or_default(),
            text(12)?
        )?;
    }
    Ok(())
}

/// RFC 4180: quoted when it holds a comma, a quote or a line break; a leading `=`, `+`, `-`
/// or `@` is prefixed with `'` so a spreadsheet never runs a path or a model name as a formula.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_owned() };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[derive(Debug)]
pub enum ExportError {
    Io(std::io::Error),
    Store(StoreError),
}

impl std::fmt::Display for ExportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExportError::Io(e) => write!(f, "cannot write the export: {e}"),
            ExportError::Store(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ExportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ExportError::Io(e) => Some(e),
            ExportError::Store(e) => Some(e),
        }
    }
}

impl From<std::io::Error> for ExportError {
    fn from(e: std::io::Error) -> Self {
        ExportError::Io(e)
    }
}

fn count(n: i64, line: usize, what: &str) -> Result<u64, ImportError> {
    if (0..=MAX_TOKENS).contains(&n) {
        Ok(n as u64)
    } else {
        Err(ImportError::Invalid { line, reason: format!("{what} {n} is outside 0 to {MAX_TOKENS}") })
    }
}

/// Merges an export into the ledger (see the module's documentation).
pub fn import_jsonl<R: BufRead>(store: &mut Store, input: R) -> Result<ImportReport, ImportError> {
    let known = crate::source::all();
    let source_id = |s: &str, line: usize| -> Result<&'static str, ImportError> {
        known
            .iter()
            .map(|x| x.id())
            .find(|id| *id == s)
            .ok_or_else(|| ImportError::Invalid { line, reason: format!("unknown source '{s}'") })
    };
    let mut events = Vec::new();
    let mut others = Vec::new();
    let mut header = false;
    for (i, l) in input.split(b'\n').enumerate() {
        let n = i + 1;
        let l = l.map_err(ImportError::Io)?;
        if l.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let row: Row = serde_json::from_slice(&l)
            .map_err(|e| ImportError::Invalid { line: n, reason: format!("not a row of an export: {e}") })?;
        match row {
            Row::Header { format, version, .. } => {
                if format != FORMAT || version != VERSION {
                    return Err(ImportError::Invalid {
                        line: n,
                        reason: format!(
                            "format {format} version {version}: this build reads {FORMAT} version {VERSION}"
                        ),
                    });
                }
                header = true;
            }
            _ if !header => {
                return Err(ImportError::Invalid {
                    line: n,
                    reason: "an export begins with its header line (`tokenworth export` writes it)".into(),
                })
            }
            Row::Event {
                dedupe_key,
                group_key,
                sidechain,
                source,
                session_id,
                project,
                model,
                model_fallback,
                ts_ms,
                input,
                cache_write_5m,
                cache_write_1h,
                cache_read,
                output,
                reasoning,
                logged_cost_usd,
            } => {
                let tokens = Tokens {
                    input: count(input, n, "input")?,
                    cache_write_5m: count(cache_write_5m, n, "cache_write_5m")?,
                    cache_write_1h: count(cache_write_1h, n, "cache_write_1h")?,
                    cache_read: count(cache_read, n, "cache_read")?,
                    output: count(output, n, "output")?,
                    reasoning: count(reasoning, n, "reasoning")?,
                };
                if logged_cost_usd.is_some_and(|c| !c.is_finite()) {
                    return Err(ImportError::Invalid {
                        line: n,
                        reason: "logged_cost_usd is not a number".into(),
                    });
                }
                events.push(UsageEvent {
                    source: source_id(&source, n)?,
                    session_id,
                    project,
                    model,
                    model_fallback,
                    ts_ms,
                    dedupe_key,
                    group_key,
                    sidechain,
                    tokens,
                    logged_cost_usd,
                    git_branch: None,
                    parent_session: None,
                });
            }
            Row::Tag { ref outcome, ref link, ref note, ref source, .. } => {
                source_id(source, n)?;
                outcome
                    .parse::<Outcome>()
                    .map_err(|e| ImportError::Invalid { line: n, reason: e.to_string() })?;
                if note.as_ref().is_some_and(|t| t.chars().count() > crate::tags::MAX_NOTE_CHARS) {
                    return Err(ImportError::Invalid { line: n, reason: "the note is too long".into() });
                }
                if link.as_ref().is_some_and(|l| !(l.starts_with("https://") || l.starts_with("http://"))) {
                    return Err(ImportError::Invalid {
                        line: n,
                        reason: "the link is not an http(s) URL".into(),
                    });
                }
                others.push(row);
            }
            Row::Session { ref source, .. } | Row::Commit { ref source, .. } => {
                source_id(source, n)?;
                others.push(row);
            }
            Row::Total {
                ref source,
                input,
                cache_write_5m,
                cache_write_1h,
                cache_read,
                output,
                reasoning,
                ..
            } => {
                source_id(source, n)?;
                for (v, what) in [
                    (input, "input"),
                    (cache_write_5m, "cache_write_5m"),
                    (cache_write_1h, "cache_write_1h"),
                    (cache_read, "cache_read"),
                    (output, "output"),
                    (reasoning, "reasoning"),
                ] {
                    count(v, n, what)?;
                }
                others.push(row);
            }
        }
    }
    if !header {
        return Err(ImportError::Invalid { line: 1, reason: "empty: no export header".into() });
    }

    let mut report = ImportReport::default();
    let mut batch = store.batch()?;
    report.events_added = batch.import_events(&events)?;
    report.events_known = events.len() - report.events_added;
    let path = store_path(&batch);
    let sql_err = |e| StoreError::Sqlite { path: path.clone(), error: e };
    {
        let tx = batch.tx();
        for row in &others {
            let changed = match row {
                Row::Session { source, session_id, project, start_ms, end_ms, git_branch, branch_ms, parent_session } => {
                    let before = session_row(tx, source, session_id).map_err(sql_err)?;
                    tx.prepare_cached(crate::store::SESSION_UPSERT)
                        .and_then(|mut s| {
                            s.execute(rusqlite::params![
                                source,
                                session_id,
                                project,
                                start_ms,
                                end_ms,
                                git_branch,
                                branch_ms,
                                parent_session.as_ref().filter(|p| *p != session_id)
                            ])
                        })
                        .map_err(sql_err)?;
                    let after = session_row(tx, source, session_id).map_err(sql_err)?;
                    if before != after {
                        report.sessions += 1;
                    }
                    continue;
                }
                Row::Tag { source, session_id, outcome, note, link, tagged_at_ms } => tx
                    .execute(
                        "INSERT INTO tags(source, session_id, outcome, note, link, tagged_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                         ON CONFLICT(source, session_id) DO UPDATE SET outcome = excluded.outcome, note = excluded.note,
                            link = excluded.link, tagged_at = excluded.tagged_at
                         WHERE excluded.tagged_at > tags.tagged_at",
                        rusqlite::params![source, session_id, outcome, note, link, tagged_at_ms],
                    )
                    .map_err(sql_err)?,
                Row::Commit {
                    source,
                    session_id,
                    hash,
                    repo,
                    author_ms,
                    message,
                    files_changed,
                    lines_added,
                    lines_removed,
                } => tx
                    .execute(
                        "INSERT OR IGNORE INTO session_commits(source, session_id, hash, repo, author_ts, message, files_changed, lines_added, lines_removed)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                        rusqlite::params![source, session_id, hash, repo, author_ms, message, files_changed, lines_added, lines_removed],
                    )
                    .map_err(sql_err)?,
                Row::Total {
                    source,
                    counter,
                    input,
                    cache_write_5m,
                    cache_write_1h,
                    cache_read,
                    output,
                    reasoning,
                    logged_cost_usd,
                    resets,
                    observed_ms,
                } => tx
                    .execute(
                        "INSERT INTO totals(source, counter, input, cw5m, cw1h, cache_read, output, reasoning, logged_cost, resets, observed_ts)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                         ON CONFLICT(source, counter) DO UPDATE SET input = excluded.input, cw5m = excluded.cw5m,
                            cw1h = excluded.cw1h, cache_read = excluded.cache_read, output = excluded.output,
                            reasoning = excluded.reasoning, logged_cost = excluded.logged_cost,
                            resets = excluded.resets, observed_ts = excluded.observed_ts
                         WHERE excluded.observed_ts > totals.observed_ts",
                        rusqlite::params![
                            source,
                            counter,
                            input,
                            cache_write_5m,
                            cache_write_1h,
                            cache_read,
                            output,
                            reasoning,
                            logged_cost_usd,
                            resets,
                            observed_ms
                        ],
                    )
                    .map_err(sql_err)?,
                Row::Header { .. } | Row::Event { .. } => 0,
            };
            match row {
                Row::Tag { .. } => report.tags += changed,
                Row::Commit { .. } => report.commits += changed,
                Row::Total { .. } => report.totals += changed,
                _ => {}
            }
        }
    }
    batch.commit()?;
    tracing::info!(
        events_added = report.events_added,
        events_known = report.events_known,
        sessions = report.sessions,
        tags = report.tags,
        commits = report.commits,
        totals = report.totals,
        "import merged"
    );
    Ok(report)
}

type SessionState = Option<(String, i64, i64, Option<String>, Option<i64>, Option<String>)>;

fn session_row(tx: &rusqlite::Connection, source: &str, id: &str) -> rusqlite::Result<SessionState> {
    use rusqlite::OptionalExtension;
    tx.prepare_cached(
        "SELECT project, start_ts, end_ts, git_branch, branch_ts, parent_session FROM sessions WHERE source = ?1 AND session_id = ?2",
    )?
    .query_row([source, id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
    .optional()
}

fn store_path(batch: &crate::store::Batch) -> std::path::PathBuf {
    batch.path().to_path_buf()
}
