//! Hermes Agent (NousResearch/hermes-agent): the SQLite database `state.db` in the Hermes home,
//! `$HERMES_HOME` or `~/.hermes` (a profile's home is a folder below it, `profiles/<name>/`)
//! [NousResearch/hermes-agent: hermes_state.py `DEFAULT_DB_PATH`, hermes_constants.py
//! `get_hermes_home`]. A comma-separated `HERMES_HOME` is read as a list, as ccusage does.
//!
//! One `sessions` row per session holds the session's RUNNING totals: `input_tokens` (without
//! cache), `output_tokens` (reasoning included: Hermes' canonical usage counts a request's total
//! as prompt + output), `cache_read_tokens`, `cache_write_tokens`, `reasoning_tokens` (the part
//! of output spent thinking), `estimated_cost_usd` / `actual_cost_usd`, `model`,
//! `billing_provider`, `started_at` / `ended_at` (epoch seconds) [hermes_state_usage.py]. Each
//! row is reported as an [`Observation`] of counter = session id; the ledger stores the delta
//! since the last observation, dated by the row's `ended_at`, or, for a session still running,
//! by when it was observed.
//!
//! The trap: the same database keeps `session_daily_usage` (per session and LOCAL day) and
//! `session_model_usage` (per session, model and route) rows that repeat the session's
//! counters. Only the `sessions` rows are read; adding the others would count every token two
//! or three times.

use std::path::{Path, PathBuf};

use rusqlite::types::Value as Sql;
use rusqlite::Connection;

use crate::database::columns;
use crate::{Env, FileKind, Observation, Output, Shape, Source, Tokens, UsageEvent};

pub const ID: &str = "hermes";

pub struct Hermes;

impl Source for Hermes {
    fn id(&self) -> &'static str {
        ID
    }

    fn name(&self) -> &'static str {
        "Hermes Agent"
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        let listed: Vec<PathBuf> =
            env.var("HERMES_HOME").map(|_| env.path_list("HERMES_HOME")).unwrap_or_default();
        if listed.is_empty() {
            vec![env.home.join(".hermes")]
        } else {
            listed
        }
    }

    fn kind(&self, path: &Path) -> FileKind {
        if path.file_name().is_some_and(|n| n == "state.db") {
            FileKind::Log(Shape::Database)
        } else {
            // config.yaml, memories, skills, logs, cron output: no usage.
            FileKind::Other
        }
    }

    fn database(
        &self,
        _path: &Path,
        db: &Connection,
        _state: Option<&str>,
        out: &mut Output,
    ) -> Result<Option<String>, rusqlite::Error> {
        read_sessions(db, out)?;
        // No column says when a row last changed: every row is read again (a few hundred
        // sessions), and the ledger keeps only what grew.
        Ok(None)
    }
}

fn count(v: &Sql) -> Result<u64, ()> {
    match v {
        Sql::Null => Ok(0),
        Sql::Integer(i) if *i >= 0 => Ok(*i as u64),
        Sql::Real(f) if *f >= 0.0 && f.is_finite() => Ok(*f as u64),
        _ => Err(()),
    }
}

fn epoch_ms(v: &Sql) -> Option<i64> {
    let secs = match v {
        Sql::Integer(i) => *i as f64,
        Sql::Real(f) => *f,
        Sql::Text(s) => return crate::json::parse_ts_ms(s.trim()),
        _ => return None,
    };
    (secs.is_finite() && secs > 0.0).then_some(if secs > 1e12 { secs as i64 } else { (secs * 1000.0) as i64 })
}

fn read_sessions(db: &Connection, out: &mut Output) -> Result<(), rusqlite::Error> {
    let cols = columns(db, "sessions")?;
    if !cols.contains("id") || !cols.contains("input_tokens") {
        // Not Hermes' schema (or an older one without token columns): nothing to read.
        return Ok(());
    }
    let col = |name: &str| if cols.contains(name) { name.to_owned() } else { "NULL".to_owned() };
    let sql = format!(
        "SELECT id, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {} FROM sessions",
        col("input_tokens"),
        col("output_tokens"),
        col("cache_read_tokens"),
        col("cache_write_tokens"),
        col("reasoning_tokens"),
        col("actual_cost_usd"),
        col("estimated_cost_usd"),
        col("model"),
        col("billing_provider"),
        col("ended_at"),
        col("started_at"),
    );
    let mut stmt = db.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let v = |i: usize| r.get::<_, Sql>(i).unwrap_or(Sql::Null);
        let id = match v(0) {
            Sql::Text(s) => s,
            other => format!("{other:?}"),
        };
        let counts: Result<Vec<u64>, ()> = (1..=5).map(|i| count(&v(i))).collect();
        let Ok(c) = counts else {
            out.unreadable += 1;
            continue;
        };
        let (input, output, cache_read, cache_write, reasoning) = (c[0], c[1], c[2], c[3], c[4]);
        if input + output + cache_read + cache_write == 0 {
            continue;
        }
        let cost = [v(6), v(7)].into_iter().find_map(|c| match c {
            Sql::Real(f) if f > 0.0 && f.is_finite() => Some(f),
            Sql::Integer(i) if i > 0 => Some(i as f64),
            _ => None,
        });
        let model_name = match v(8) {
            Sql::Text(m) if !m.trim().is_empty() => Some(crate::names::normalize(&m)),
            _ => None,
        };
        let started = epoch_ms(&v(11));
        let ts_ms = epoch_ms(&v(10)).map(|e| e.max(started.unwrap_or(0))).unwrap_or(0);
        out.totals.push(Observation {
            counter: id.clone(),
            event: UsageEvent {
                source: ID,
                session_id: id,
                project: String::new(),
                model_fallback: model_name.is_none(),
                model: model_name.unwrap_or_else(|| "unknown".to_owned()),
                ts_ms,
                dedupe_key: String::new(),
                group_key: None,
                sidechain: false,
                tokens: Tokens {
                    input,
                    cache_write_5m: cache_write,
                    cache_write_1h: 0,
                    cache_read,
                    // Output already includes the reasoning (its informational part).
                    output: output.max(reasoning),
                    reasoning: reasoning.min(output.max(reasoning)),
                },
                logged_cost_usd: cost,
                git_branch: None,
                parent_session: None,
            },
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = "CREATE TABLE sessions (id TEXT PRIMARY KEY, source TEXT NOT NULL, model TEXT, started_at REAL NOT NULL, ended_at REAL,
        message_count INTEGER DEFAULT 0, input_tokens INTEGER DEFAULT 0, output_tokens INTEGER DEFAULT 0, cache_read_tokens INTEGER DEFAULT 0,
        cache_write_tokens INTEGER DEFAULT 0, reasoning_tokens INTEGER DEFAULT 0, billing_provider TEXT, estimated_cost_usd REAL, actual_cost_usd REAL);
        CREATE TABLE session_daily_usage (session_id TEXT, day TEXT, input_tokens INTEGER, output_tokens INTEGER, cache_read_tokens INTEGER,
        cache_write_tokens INTEGER, reasoning_tokens INTEGER, estimated_cost_usd REAL, actual_cost_usd REAL, api_call_count INTEGER);";

    fn db() -> Connection {
        let db = Connection::open_in_memory().unwrap();
        db.execute_batch(SCHEMA).unwrap();
        db
    }

    #[test]
    fn a_session_row_is_an_observation_of_its_totals() {
        let db = db();
        db.execute_batch("INSERT INTO sessions VALUES ('20260302_090000_ab', 'cli', 'claude-sonnet-4.5', 1772442000.5, 1772445600.0, 12, 1000, 300, 9000, 500, 120, 'anthropic', 0.21, NULL);
            INSERT INTO session_daily_usage VALUES ('20260302_090000_ab', '2026-03-02', 1000, 300, 9000, 500, 120, 0.21, 0, 12);").unwrap();
        let mut out = Output::default();
        read_sessions(&db, &mut out).unwrap();
        assert_eq!(out.totals.len(), 1);
        let o = &out.totals[0];
        assert_eq!(o.counter, "20260302_090000_ab");
        assert_eq!(o.event.ts_ms, 1_772_445_600_000);
        assert_eq!(o.event.model, "claude-sonnet-4-5");
        assert_eq!(
            o.event.tokens,
            Tokens {
                input: 1000,
                cache_write_5m: 500,
                cache_write_1h: 0,
                cache_read: 9000,
                output: 300,
                reasoning: 120
            }
        );
        assert_eq!(o.event.logged_cost_usd, Some(0.21));
    }

    #[test]
    fn a_running_session_is_dated_when_observed_and_bad_counts_are_counted() {
        let db = db();
        db.execute_batch("INSERT INTO sessions (id, source, model, started_at, input_tokens, output_tokens) VALUES ('s1', 'cli', 'gpt-5', 1772442000, 5, 6);
            INSERT INTO sessions (id, source, model, started_at, input_tokens, output_tokens) VALUES ('s2', 'cli', 'gpt-5', 1772442000, 'many', 6);
            INSERT INTO sessions (id, source, model, started_at) VALUES ('s3', 'cli', 'gpt-5', 1772442000);").unwrap();
        let mut out = Output::default();
        read_sessions(&db, &mut out).unwrap();
        assert_eq!((out.totals.len(), out.unreadable), (1, 1));
        assert_eq!(out.totals[0].event.ts_ms, 0);
    }

    #[test]
    fn roots_and_kinds() {
        let env = Env::with_home("/h");
        assert_eq!(Hermes.roots(&env), vec![PathBuf::from("/h/.hermes")]);
        let env = env.set("HERMES_HOME", "/a,/b");
        assert_eq!(Hermes.roots(&env), vec![PathBuf::from("/a"), PathBuf::from("/b")]);
        assert_eq!(Hermes.kind(Path::new("/h/.hermes/state.db")), FileKind::Log(Shape::Database));
        assert_eq!(
            Hermes.kind(Path::new("/h/.hermes/profiles/work/state.db")),
            FileKind::Log(Shape::Database)
        );
        assert_eq!(Hermes.kind(Path::new("/h/.hermes/config.yaml")), FileKind::Other);
    }
}
