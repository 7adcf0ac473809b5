//! Goose: `sessions/sessions.db` under Goose's data directory, one row per session holding the
//! session's RUNNING totals (`accumulated_*_tokens`). Each row is reported as an
//! [`Observation`] of counter = session id, dated by the row's own `updated_at`; the ledger
//! stores the delta since the last observation, so a session that spans days has its tokens on
//! the days they were spent, and a total that went down is a reset. Only rows updated since the
//! last read are read (`updated_at >= mark`: Goose writes it to the second).

use std::path::{Path, PathBuf};

use rusqlite::types::Value as Sql;
use rusqlite::Connection;

use crate::database::{columns, RowState};
use crate::env::Os;
use crate::{Env, FileKind, Observation, Output, Shape, Source, Tokens, UsageEvent};

pub const ID: &str = "goose";

pub struct Goose;

impl Source for Goose {
    fn id(&self) -> &'static str {
        ID
    }

    fn name(&self) -> &'static str {
        "Goose"
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        if let Some(root) = env.dir_var("GOOSE_PATH_ROOT") {
            return vec![root.join("data").join("sessions")];
        }
        let mut roots = vec![
            env.xdg_data_home().join("goose/sessions"),
            env.home.join(".local/share/Block/goose/sessions"),
        ];
        match env.os {
            Os::MacOs => roots.push(env.home.join("Library/Application Support/goose/sessions")),
            // UNVERIFIED: the `etcetera` app strategy's data directory on Windows.
            Os::Windows => roots.push(env.app_data_dir().join("Block/goose/data/sessions")),
            Os::Linux => {}
        }
        roots
    }

    fn kind(&self, path: &Path) -> FileKind {
        if path.file_name().is_some_and(|n| n == "sessions.db") {
            FileKind::Log(Shape::Database)
        } else {
            // Legacy per-session `.jsonl` files (imported into the database by Goose), backups.
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
        read_sessions(db, state, out)
    }
}

/// A token column: NULL or absent is `None`, a non-negative integer is a count, anything else
/// cannot be read.
fn count(v: &Sql) -> Result<Option<u64>, ()> {
    match v {
        Sql::Null => Ok(None),
        Sql::Integer(i) if *i >= 0 => Ok(Some(*i as u64)),
        _ => Err(()),
    }
}

/// `YYYY-MM-DD HH:MM:SS[.f][Z|+00:00]`, RFC 3339, or epoch seconds / milliseconds.
fn timestamp_ms(v: &Sql) -> Option<i64> {
    match v {
        Sql::Integer(i) if *i > 1_000_000_000_000 => Some(*i),
        Sql::Integer(i) if *i > 0 => Some(i * 1000),
        Sql::Text(s) => {
            let s = s.trim();
            if let Some(ms) = crate::json::parse_ts_ms(s) {
                return Some(ms);
            }
            let t = s.replacen(' ', "T", 1);
            crate::json::parse_ts_ms(&t).or_else(|| crate::json::parse_ts_ms(&format!("{t}Z"))).or_else(
                || {
                    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
                        .ok()
                        .map(|d| d.and_utc().timestamp_millis())
                },
            )
        }
        _ => None,
    }
}

fn read_sessions(
    db: &Connection,
    state: Option<&str>,
    out: &mut Output,
) -> Result<Option<String>, rusqlite::Error> {
    let cols = columns(db, "sessions")?;
    if !cols.contains("id") {
        return Ok(None);
    }
    let col = |name: &str| if cols.contains(name) { name.to_owned() } else { "NULL".to_owned() };
    let watermarked = cols.contains("updated_at");
    let mut st: RowState<String> = RowState::load(if watermarked { state } else { None });
    let since = st.mark.take();
    if watermarked {
        st.mark = db
            .query_row("SELECT max(updated_at) FROM sessions", [], |r| r.get::<_, Option<String>>(0))
            .ok()
            .flatten();
    }
    let sql = format!(
        "SELECT id, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {} FROM sessions{}",
        col("accumulated_input_tokens"),
        col("input_tokens"),
        col("accumulated_output_tokens"),
        col("output_tokens"),
        col("accumulated_total_tokens"),
        col("total_tokens"),
        col("accumulated_cost"),
        col("model_config_json"),
        col("provider_name"),
        col("working_dir"),
        col("updated_at"),
        col("created_at"),
        if since.is_some() { " WHERE updated_at >= ?1" } else { "" }
    );
    let mut stmt = db.prepare(&sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(since.iter()))?;
    while let Some(r) = rows.next()? {
        let v = |i: usize| r.get::<_, Sql>(i).unwrap_or(Sql::Null);
        let id = match v(0) {
            Sql::Text(s) => s,
            other => format!("{other:?}"),
        };
        let counts: Result<Vec<Option<u64>>, ()> = (1..=6).map(|i| count(&v(i))).collect();
        let Ok(c) = counts else {
            st.note(&id, true);
            continue;
        };
        let pick = |acc: Option<u64>, last: Option<u64>| acc.filter(|n| *n > 0).or(last.filter(|n| *n > 0));
        let (input, output) = (pick(c[0], c[1]).unwrap_or(0), pick(c[2], c[3]).unwrap_or(0));
        let total = pick(c[4], c[5]).unwrap_or(input + output);
        st.note(&id, false);
        if input + output + total == 0 {
            continue;
        }
        let reasoning = total.saturating_sub(input + output);
        let model_name = match v(8) {
            Sql::Text(j) => serde_json::from_str::<serde_json::Value>(&j)
                .ok()
                .and_then(|m| m.get("model_name").and_then(|n| n.as_str()).map(crate::names::normalize))
                .filter(|m| !m.is_empty()),
            _ => None,
        };
        let provider = match v(9) {
            Sql::Text(p) if !p.trim().is_empty() => Some(p.trim().to_owned()),
            _ => None,
        };
        let model = match (provider, &model_name) {
            (Some(p), Some(m)) => format!("{p}/{m}"),
            (None, Some(m)) => m.clone(),
            _ => "unknown".to_owned(),
        };
        let cost = match v(7) {
            Sql::Real(f) if f > 0.0 => Some(f),
            _ => None,
        };
        let ts_ms = timestamp_ms(&v(11)).or_else(|| timestamp_ms(&v(12))).unwrap_or(0);
        out.totals.push(Observation {
            counter: id.clone(),
            event: UsageEvent {
                source: ID,
                session_id: id,
                project: match v(10) {
                    Sql::Text(p) => p,
                    _ => String::new(),
                },
                model,
                model_fallback: model_name.is_none(),
                ts_ms,
                dedupe_key: String::new(),
                group_key: None,
                sidechain: false,
                tokens: Tokens {
                    input,
                    cache_write_5m: 0,
                    cache_write_1h: 0,
                    cache_read: 0,
                    output: output + reasoning,
                    reasoning,
                },
                logged_cost_usd: cost,
                git_branch: None,
                parent_session: None,
            },
        });
    }
    let (state, unreadable) = st.save();
    out.unreadable += unreadable;
    Ok(if watermarked { state } else { None })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let db = Connection::open_in_memory().unwrap();
        db.execute_batch(
            "CREATE TABLE sessions (id TEXT PRIMARY KEY, working_dir TEXT NOT NULL, created_at TIMESTAMP, updated_at TIMESTAMP,
               total_tokens INTEGER, input_tokens INTEGER, output_tokens INTEGER, accumulated_total_tokens INTEGER,
               accumulated_input_tokens INTEGER, accumulated_output_tokens INTEGER, provider_name TEXT, model_config_json TEXT,
               accumulated_cost REAL);",
        )
        .unwrap();
        db
    }

    fn set(db: &Connection, updated: &str, acc: (i64, i64, i64)) {
        db.execute(
            "INSERT OR REPLACE INTO sessions VALUES ('20260302_1', '/w', '2026-03-02 09:00:00', ?1, 900, 800, 50, ?2, ?3, ?4,
               'anthropic', '{\"model_name\":\"claude-sonnet-4-5\"}', NULL)",
            rusqlite::params![updated, acc.2, acc.0, acc.1],
        )
        .unwrap();
    }

    #[test]
    fn a_row_is_an_observation_of_its_running_total_at_its_update_time() {
        let db = db();
        set(&db, "2026-03-02 10:00:00", (1000, 200, 1300));
        let mut out = Output::default();
        let state = read_sessions(&db, None, &mut out).unwrap();
        assert!(out.events.is_empty());
        let o = &out.totals[0];
        assert_eq!(o.counter, "20260302_1");
        assert_eq!(o.event.ts_ms, 1_772_445_600_000);
        assert_eq!(o.event.model, "anthropic/claude-sonnet-4-5");
        assert_eq!(o.event.tokens, Tokens { input: 1000, output: 300, reasoning: 100, ..Tokens::default() });
        // The next day the total grew: the row is read again (changed), the older one not.
        set(&db, "2026-03-03 08:00:00", (3000, 500, 3500));
        let mut out = Output::default();
        let state = read_sessions(&db, state.as_deref(), &mut out).unwrap();
        assert_eq!(out.totals.len(), 1);
        assert_eq!(out.totals[0].event.ts_ms, 1_772_524_800_000);
        assert_eq!(out.totals[0].event.tokens.input, 3000);
        // A total that went backwards (a reset) is still reported as it is: the ledger decides.
        set(&db, "2026-03-03 09:00:00", (10, 5, 15));
        let mut out = Output::default();
        read_sessions(&db, state.as_deref(), &mut out).unwrap();
        assert_eq!(out.totals[0].event.tokens, Tokens { input: 10, output: 5, ..Tokens::default() });
    }

    #[test]
    fn a_token_column_of_another_type_is_counted() {
        let db = db();
        set(&db, "2026-03-02 10:00:00", (1, 2, 3));
        db.execute("UPDATE sessions SET accumulated_input_tokens = 'lots'", []).unwrap();
        let mut out = Output::default();
        read_sessions(&db, None, &mut out).unwrap();
        assert_eq!((out.totals.len(), out.unreadable), (0, 1));
    }

    #[test]
    fn timestamps_in_goose_forms() {
        assert_eq!(timestamp_ms(&Sql::Text("2026-03-02 10:00:00".into())), Some(1_772_445_600_000));
        assert_eq!(timestamp_ms(&Sql::Text("2026-03-02 10:00:00.5+00:00".into())), Some(1_772_445_600_500));
        assert_eq!(timestamp_ms(&Sql::Text("2026-03-02T10:00:00Z".into())), Some(1_772_445_600_000));
        assert_eq!(timestamp_ms(&Sql::Integer(1_772_445_600)), Some(1_772_445_600_000));
        assert_eq!(timestamp_ms(&Sql::Text("soon".into())), None);
    }
}
