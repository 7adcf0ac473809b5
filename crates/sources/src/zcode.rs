//! ZCode (Z.ai / Zhipu's coding agent, desktop and CLI): one SQLite database,
//! `<ZCode home>/cli/db/db.sqlite`, the home being `~/.zcode` on every OS, or each folder of the
//! comma-separated `$ZCODE_HOME`.
//!
//! Table `model_usage` holds one row per model call (`id`, `session_id`, `turn_id`,
//! `attempt_index`, `provider_id`, `model_id`, `status`, `started_at` in epoch milliseconds,
//! `input_tokens`, `output_tokens`, `reasoning_tokens`, `cache_creation_input_tokens`,
//! `cache_read_input_tokens`, `computed_total_tokens`); `session.directory` is the project.
//! `input_tokens` INCLUDES both cache parts (subtracted here); `computed_total_tokens` is input +
//! output + reasoning, so what it holds beyond input + output is billed as output (reasoning);
//! without it, `reasoning_tokens` is added. Only `completed` rows are requests; a row still
//! being written (`running`, or any status not final) holds the watermark back so it is read
//! again once final; otherwise the next read starts five minutes before the latest call seen (a
//! call inserted slightly out of order by another process is not missed; calls read again keep
//! their keys).
//!
//! Trap: table `turn_usage` repeats the same calls summed per turn; it is never read.

use std::path::{Path, PathBuf};

use rusqlite::types::Value as Sql;
use rusqlite::Connection;

use crate::database::{columns, RowState};
use crate::{Env, FileKind, Output, Shape, Source, Tokens, UsageEvent};

pub const ID: &str = "zcode";
/// Model name stored when a row names none.
pub const FALLBACK_MODEL: &str = "unknown";
/// How far before the latest call seen the next read starts.
const OVERLAP_MS: i64 = 5 * 60 * 1000;
/// Statuses after which a row no longer changes.
const FINAL: [&str; 6] = ["completed", "error", "failed", "cancelled", "canceled", "aborted"];

pub struct ZCode;

impl Source for ZCode {
    fn id(&self) -> &'static str {
        ID
    }

    fn name(&self) -> &'static str {
        "ZCode"
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        let homes = env.var("ZCODE_HOME").map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| crate::env::expand_tilde(s, &env.home))
                .collect::<Vec<_>>()
        });
        let homes = homes.filter(|h| !h.is_empty()).unwrap_or_else(|| vec![env.home.join(".zcode")]);
        let mut roots: Vec<PathBuf> = Vec::new();
        for h in homes {
            let r = h.join("cli").join("db");
            if !roots.contains(&r) {
                roots.push(r);
            }
        }
        roots
    }

    fn kind(&self, path: &Path) -> FileKind {
        if path.file_name().is_some_and(|n| n == "db.sqlite") {
            FileKind::Log(Shape::Database)
        } else {
            // Backups, migrations' leftovers.
            FileKind::Other
        }
    }

    fn database(
        &self,
        _path: &Path,
        db: &Connection,
        state: Option<&str>,
        out: &mut Output,
    ) -> Result<Option<String>, rusqlite::Error> {
        read_calls(db, state, out)
    }
}

/// A token column: NULL is `None`, a non-negative integer a count, anything else unreadable.
fn count(v: &Sql) -> Result<Option<u64>, ()> {
    match v {
        Sql::Null => Ok(None),
        Sql::Integer(i) if *i >= 0 => Ok(Some(*i as u64)),
        Sql::Real(f) if *f >= 0.0 && f.fract() == 0.0 => Ok(Some(*f as u64)),
        _ => Err(()),
    }
}

fn text(v: &Sql) -> Option<String> {
    match v {
        Sql::Text(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    }
}

/// Normalised tokens of one call row.
fn tokens(
    input: u64,
    output: u64,
    reasoning: u64,
    cache_write: u64,
    cache_read: u64,
    total: Option<u64>,
) -> Tokens {
    let extra = match total {
        Some(t) => t.saturating_sub(input.saturating_add(output)),
        None => reasoning,
    };
    Tokens {
        input: input.saturating_sub(cache_read).saturating_sub(cache_write),
        cache_write_5m: cache_write,
        cache_write_1h: 0,
        cache_read,
        output: output.saturating_add(extra),
        reasoning: if extra > 0 { extra } else { reasoning.min(output) },
    }
}

fn read_calls(
    db: &Connection,
    state: Option<&str>,
    out: &mut Output,
) -> Result<Option<String>, rusqlite::Error> {
    let cols = columns(db, "model_usage")?;
    if !cols.contains("id") || !cols.contains("started_at") {
        return Ok(None);
    }
    let col = |name: &str| if cols.contains(name) { format!("m.{name}") } else { "NULL".to_owned() };
    let session_cols = columns(db, "session")?;
    let (directory, join) = if session_cols.contains("id") && session_cols.contains("directory") {
        ("s.directory", " LEFT JOIN session s ON s.id = m.session_id")
    } else {
        ("NULL", "")
    };
    let mut st: RowState<i64> = RowState::load(state);
    let since = st.mark.take();
    let sql = format!(
        "SELECT m.id, {}, m.started_at, {}, {}, {}, {}, {}, {}, {}, {}, {}, {directory} FROM model_usage m{join}{}",
        col("session_id"),
        col("model_id"),
        col("status"),
        col("input_tokens"),
        col("output_tokens"),
        col("reasoning_tokens"),
        col("cache_creation_input_tokens"),
        col("cache_read_input_tokens"),
        col("computed_total_tokens"),
        col("provider_id"),
        if since.is_some() { " WHERE m.started_at >= ?1" } else { "" }
    );
    let mut stmt = db.prepare(&sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(since.iter()))?;
    // The new watermark: the earliest row not final yet, else the latest row seen.
    let (mut latest, mut pending): (Option<i64>, Option<i64>) = (since, None);
    while let Some(r) = rows.next()? {
        let v = |i: usize| r.get::<_, Sql>(i).unwrap_or(Sql::Null);
        let id = match v(0) {
            Sql::Text(s) => s,
            Sql::Integer(i) => i.to_string(),
            other => format!("{other:?}"),
        };
        let started = match v(2) {
            Sql::Integer(i) if i > 1_000_000_000_000 => Some(i),
            Sql::Integer(i) if i > 0 => Some(i * 1000),
            _ => None,
        };
        let status = text(&v(4)).unwrap_or_default().to_ascii_lowercase();
        if let Some(t) = started {
            latest = latest.max(Some(t));
            if !FINAL.contains(&status.as_str()) {
                pending = Some(pending.map_or(t, |p: i64| p.min(t)));
            }
        }
        if status != "completed" {
            st.note(&id, false);
            continue;
        }
        let counts: Result<Vec<Option<u64>>, ()> = (5..=10).map(|i| count(&v(i))).collect();
        let (Ok(c), Some(ts_ms)) = (counts, started) else {
            st.note(&id, true);
            continue;
        };
        st.note(&id, false);
        let [input, output, reasoning, cw, cr] = [c[0], c[1], c[2], c[3], c[4]].map(|x| x.unwrap_or(0));
        let tokens = tokens(input, output, reasoning, cw, cr, c[5]);
        if tokens.is_zero() {
            continue;
        }
        let (model, model_fallback) = match text(&v(3)) {
            Some(m) => (crate::names::normalize(&m), false),
            None => (FALLBACK_MODEL.to_owned(), true),
        };
        out.events.push(UsageEvent {
            source: ID,
            session_id: text(&v(1)).unwrap_or_default(),
            project: text(&v(12)).unwrap_or_default(),
            model,
            model_fallback,
            ts_ms,
            dedupe_key: format!("{ID}:{id}"),
            group_key: None,
            sidechain: false,
            tokens,
            logged_cost_usd: None,
            git_branch: None,
            parent_session: None,
        });
    }
    // A call inserted a little out of order (two processes share the database) is still read:
    // the next read starts a few minutes before the latest call seen.
    st.mark = pending.or(latest.map(|t| t - OVERLAP_MS));
    let (state, unreadable) = st.save();
    out.unreadable += unreadable;
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE session(id TEXT PRIMARY KEY, directory TEXT);
             CREATE TABLE model_usage(id TEXT PRIMARY KEY, session_id TEXT, model_id TEXT, status TEXT,
               started_at INTEGER, input_tokens INTEGER, output_tokens INTEGER, reasoning_tokens INTEGER,
               cache_creation_input_tokens INTEGER, cache_read_input_tokens INTEGER, computed_total_tokens INTEGER);
             CREATE TABLE turn_usage(id TEXT, session_id TEXT, status TEXT, started_at INTEGER, input_tokens INTEGER, output_tokens INTEGER);
             INSERT INTO session VALUES ('s1', '/home/dev/p');
             INSERT INTO model_usage VALUES ('m1','s1','GLM-4.6','completed',1772456400000,1000,200,50,40,300,1250);
             INSERT INTO model_usage VALUES ('m2','s1','glm-4.6','error',1772456402000,500,0,0,0,0,500);
             INSERT INTO model_usage VALUES ('m3','s1','glm-4.6','running',1772456403000,900,0,0,0,0,NULL);
             INSERT INTO turn_usage VALUES ('t1','s1','completed',1772456400000,1500,200);",
        )
        .unwrap();
        c
    }

    #[test]
    fn completed_calls_are_read_and_running_ones_later() {
        let c = db();
        let mut out = Output::default();
        let state = read_calls(&c, None, &mut out).unwrap();
        assert_eq!(out.events.len(), 1);
        let e = &out.events[0];
        assert_eq!(
            e.tokens,
            Tokens {
                input: 660,
                cache_write_5m: 40,
                cache_read: 300,
                output: 250,
                reasoning: 50,
                ..Tokens::default()
            }
        );
        assert_eq!(
            (e.model.as_str(), e.project.as_str(), e.dedupe_key.as_str()),
            ("glm-4.6", "/home/dev/p", "zcode:m1")
        );
        // The running call finishes: read from the watermark it held back.
        c.execute_batch(
            "UPDATE model_usage SET status='completed', output_tokens=30, reasoning_tokens=0 WHERE id='m3';
             INSERT INTO model_usage VALUES ('m4','s1','glm-4.6','completed',1772460000000,10,'lots',0,0,0,NULL);",
        )
        .unwrap();
        let mut out = Output::default();
        let state = read_calls(&c, state.as_deref(), &mut out).unwrap();
        assert_eq!(out.events.len(), 1);
        assert_eq!(out.events[0].tokens, Tokens { input: 900, output: 30, ..Tokens::default() });
        assert_eq!(out.unreadable, 1);
        // Nothing new: nothing read again, the unreadable row still counted.
        let mut out = Output::default();
        read_calls(&c, state.as_deref(), &mut out).unwrap();
        assert_eq!((out.events.len(), out.unreadable), (0, 1));
    }

    #[test]
    fn reasoning_without_a_computed_total_is_added() {
        assert_eq!(
            tokens(100, 10, 5, 0, 0, None),
            Tokens { input: 100, output: 15, reasoning: 5, ..Tokens::default() }
        );
        // A computed total equal to input + output: reasoning was already inside output.
        assert_eq!(
            tokens(100, 10, 5, 0, 0, Some(110)),
            Tokens { input: 100, output: 10, reasoning: 5, ..Tokens::default() }
        );
    }

    #[test]
    fn roots_and_kinds() {
        let env = Env::with_home("/h");
        assert_eq!(ZCode.roots(&env), vec![PathBuf::from("/h/.zcode/cli/db")]);
        let env = env.set("ZCODE_HOME", "~/z1, /z2");
        assert_eq!(ZCode.roots(&env), vec![PathBuf::from("/h/z1/cli/db"), PathBuf::from("/z2/cli/db")]);
        assert_eq!(ZCode.kind(Path::new("/h/.zcode/cli/db/db.sqlite")), FileKind::Log(Shape::Database));
        assert!(crate::is_log(&ZCode, Path::new("/h/.zcode/cli/db/db.sqlite-wal")));
        assert_eq!(ZCode.kind(Path::new("/h/.zcode/cli/db/db.sqlite.bak")), FileKind::Other);
    }
}
