//! `tokenworth doctor`: checks a ledger without writing to it and says exactly what is wrong.
//!
//! The checks, in order (a later one is skipped when an earlier one makes it meaningless):
//! - `file`: the ledger exists and its write-ahead log is not truncated;
//! - `integrity`: `PRAGMA integrity_check` over every page (a damaged page is named with the
//!   table or index it belongs to);
//! - `schema`: a schema version this build knows, and every table it needs;
//! - `rollup`: the rollup equals the sums over events (per bucket, source, project, model);
//! - `days`: the per-day sums kept in the writer's zone (`day_rollup`, when a zone is set) equal
//!   the rollup summed per local day in that zone;
//! - `events`: no stored token count is negative or beyond [`crate::store::MAX_TOKENS`];
//! - `cursors`: every line log's cursor points just past a newline of the file it names
//!   (when the file is still there, unchanged in identity, and at least that long).
//!
//! It opens the ledger read-only: a read-only connection never checkpoints, so a damaged WAL is
//! left as it was found.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use crate::source::{FileKind, Shape, Source};
use crate::store::{wal_damage, MAX_TOKENS, SCHEMA_VERSION};

/// One thing found wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `file`, `integrity`, `schema`, `rollup`, `days`, `events` or `cursors`.
    pub check: &'static str,
    pub message: String,
}

/// What the doctor found (`doctor --json`).
#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    pub database: PathBuf,
    /// No findings.
    pub sound: bool,
    /// The checks that ran, in order.
    pub checked: Vec<&'static str>,
    pub findings: Vec<Finding>,
}

const TABLES: [&str; 9] = [
    "files",
    "events",
    "rollup",
    "settings",
    "sessions",
    "tags",
    "session_commits",
    "commit_checks",
    "totals",
];

/// At most this many findings of one kind are listed (then a count of the rest).
const LIST: usize = 10;

/// Checks the ledger at `db`. `sources` says which files are line logs (for the cursor check).
pub fn diagnose(db: &Path, sources: &[Box<dyn Source>]) -> Diagnosis {
    let d = check(db, sources);
    for f in &d.findings {
        tracing::warn!(ledger = %db.display(), check = f.check, finding = %f.message, "doctor");
    }
    tracing::debug!(ledger = %db.display(), sound = d.sound, checked = ?d.checked, "doctor done");
    d
}

fn check(db: &Path, sources: &[Box<dyn Source>]) -> Diagnosis {
    let mut d =
        Diagnosis { database: db.to_path_buf(), sound: true, checked: Vec::new(), findings: Vec::new() };
    let find = |d: &mut Diagnosis, check: &'static str, message: String| {
        d.findings.push(Finding { check, message });
    };
    d.checked.push("file");
    if !db.is_file() {
        find(&mut d, "file", format!("there is no ledger at {}", db.display()));
        d.sound = false;
        return d;
    }
    if let Some(w) = wal_damage(db) {
        find(&mut d, "file", format!("the ledger's {w}"));
    }
    let conn = match Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    ) {
        Ok(c) => c,
        Err(e) => {
            find(&mut d, "file", format!("cannot open {}: {e}", db.display()));
            d.sound = false;
            return d;
        }
    };
    let _ = conn.busy_timeout(std::time::Duration::from_secs(5));

    d.checked.push("integrity");
    let roots = root_pages(&conn);
    match integrity_lines(&conn) {
        Ok(lines) => {
            let n = lines.len();
            for l in lines.into_iter().take(LIST) {
                find(&mut d, "integrity", name_pages(&l, &roots));
            }
            if n > LIST {
                find(&mut d, "integrity", format!("… and {} more integrity problems", n - LIST));
            }
        }
        Err(e) => find(&mut d, "integrity", format!("the integrity check could not run: {e}")),
    }
    if d.findings.iter().any(|f| f.check == "integrity") {
        // Which tables cannot be read at all (when a damaged page stops the check itself).
        let mut names: Vec<&String> = roots.values().collect();
        names.sort();
        for name in names {
            if !TABLES.contains(&name.as_str()) {
                continue;
            }
            let read: rusqlite::Result<i64> =
                conn.query_row(&format!("SELECT count(*) FROM \"{name}\" NOT INDEXED"), [], |r| r.get(0));
            if let Err(e) = read {
                find(&mut d, "integrity", format!("damaged page in {name}: the table cannot be read ({e})"));
            }
        }
    }
    if d.findings.iter().any(|f| f.check == "integrity") {
        d.sound = false;
        return d; // sums over damaged pages mean nothing
    }

    d.checked.push("schema");
    match conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0)) {
        Ok(v) if v > SCHEMA_VERSION => find(
            &mut d,
            "schema",
            format!("schema {v} was written by a newer Tokenworth (this build knows up to {SCHEMA_VERSION})"),
        ),
        Ok(0) => find(&mut d, "schema", "not a Tokenworth ledger (no schema version)".into()),
        Ok(_) => {}
        Err(e) => find(&mut d, "schema", format!("cannot read the schema version: {e}")),
    }
    let missing: Vec<&str> = TABLES.iter().copied().filter(|t| !roots.values().any(|n| n == t)).collect();
    if !missing.is_empty() {
        find(&mut d, "schema", format!("tables missing: {}", missing.join(", ")));
    }
    if d.findings.iter().any(|f| f.check == "schema") {
        d.sound = false;
        return d;
    }

    d.checked.push("rollup");
    listed(&mut d, "rollup", rollup_mismatches(&conn), "rollup rows differ", "cannot compare the rollup");

    d.checked.push("days");
    listed(&mut d, "days", day_mismatches(&conn), "per-day rows differ", "cannot compare the per-day sums");

    d.checked.push("events");
    let bad: rusqlite::Result<i64> = conn.query_row(
        "SELECT count(*) FROM events WHERE min(input, cw5m, cw1h, cache_read, output, reasoning) < 0
            OR max(input, cw5m, cw1h, cache_read, output, reasoning) > ?1",
        [MAX_TOKENS],
        |r| r.get(0),
    );
    match bad {
        Ok(0) => {}
        Ok(n) => find(
            &mut d,
            "events",
            format!("{n} events hold token counts below 0 or above {MAX_TOKENS} (implausible)"),
        ),
        Err(e) => find(&mut d, "events", format!("cannot read events: {e}")),
    }

    d.checked.push("cursors");
    match cursor_findings(&conn, sources) {
        Ok(list) => {
            let n = list.len();
            for m in list.into_iter().take(LIST) {
                find(&mut d, "cursors", m);
            }
            if n > LIST {
                find(&mut d, "cursors", format!("… and {} more cursors", n - LIST));
            }
        }
        Err(e) => find(&mut d, "cursors", format!("cannot read cursors: {e}")),
    }
    d.sound = d.findings.is_empty();
    d
}

fn integrity_lines(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for r in rows {
        let s = r?;
        if s != "ok" {
            out.push(s);
        }
    }
    Ok(out)
}

/// Root page → table or index name (empty when the schema cannot be read).
fn root_pages(conn: &Connection) -> HashMap<i64, String> {
    let run = || -> rusqlite::Result<HashMap<i64, String>> {
        let mut stmt = conn.prepare("SELECT rootpage, name FROM sqlite_master WHERE rootpage > 0")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        rows.collect()
    };
    run().unwrap_or_default()
}

/// "Tree 5 page 9 …" → "… (in events)": the b-tree a message is about, by name.
fn name_pages(line: &str, roots: &HashMap<i64, String>) -> String {
    let tree = line
        .split_once("Tree ")
        .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse::<i64>().ok());
    match tree.and_then(|t| roots.get(&t)) {
        Some(name) => format!("damaged page in {name}: {line}"),
        None => format!("damaged page: {line}"),
    }
}

type Key = (i64, String, String, String, bool, bool);

#[derive(Default, PartialEq, Debug, Clone, Copy)]
struct Sums {
    requests: i128,
    input: i128,
    cw5m: i128,
    cw1h: i128,
    cache_read: i128,
    output: i128,
    reasoning: i128,
}

fn rollup_mismatches(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let bucket_ms = crate::store::BUCKET_MS;
    let mut from_events: HashMap<Key, Sums> = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT ts, source, project, model, input, cw5m, cw1h, cache_read, output, reasoning, logged_cost IS NOT NULL FROM events",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let n = |i: usize| -> rusqlite::Result<i64> { r.get(i) };
        let (input, cw5m, cw1h, cache_read, output) = (n(4)?, n(5)?, n(6)?, n(7)?, n(8)?);
        let long = tokenworth_pricing::is_long_context(&tokenworth_pricing::Tokens {
            input: input.max(0) as u64,
            cache_write_5m: cw5m.max(0) as u64,
            cache_write_1h: cw1h.max(0) as u64,
            cache_read: cache_read.max(0) as u64,
            output: output.max(0) as u64,
        });
        let key = (n(0)?.div_euclid(bucket_ms), r.get(1)?, r.get(2)?, r.get(3)?, long, r.get(10)?);
        let s = from_events.entry(key).or_default();
        s.requests += 1;
        s.input += input as i128;
        s.cw5m += cw5m as i128;
        s.cw1h += cw1h as i128;
        s.cache_read += cache_read as i128;
        s.output += output as i128;
        s.reasoning += n(9)? as i128;
    }
    let mut out = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT bucket, source, project, model, long, logged, requests, input, cw5m, cw1h, cache_read, output, reasoning FROM rollup",
    )?;
    let mut rows = stmt.query([])?;
    let describe = |k: &Key| {
        let t = chrono::DateTime::from_timestamp_millis(k.0 * bucket_ms).unwrap_or_default();
        format!("{} {} {} (project {})", t.format("%Y-%m-%dT%H:%MZ"), k.1, k.3, k.2)
    };
    while let Some(r) = rows.next()? {
        let n = |i: usize| -> rusqlite::Result<i128> { Ok(r.get::<_, i64>(i)? as i128) };
        let key: Key = (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?);
        let stored = Sums {
            requests: n(6)?,
            input: n(7)?,
            cw5m: n(8)?,
            cw1h: n(9)?,
            cache_read: n(10)?,
            output: n(11)?,
            reasoning: n(12)?,
        };
        let want = from_events.remove(&key).unwrap_or_default();
        if want != stored {
            out.push(format!(
                "rollup {}: {} requests, {} input, {} output tokens; the events sum to {} requests, {} input, {} output",
                describe(&key),
                stored.requests,
                stored.input,
                stored.output,
                want.requests,
                want.input,
                want.output
            ));
        }
    }
    for (key, s) in from_events {
        out.push(format!("rollup {}: missing; the events sum to {} requests", describe(&key), s.requests));
    }
    out.sort();
    Ok(out)
}

/// The first [`LIST`] mismatches of a check as findings, then how many more (`… and N more
/// {more}`); a comparison that could not run is one finding (`{cannot}: error`).
fn listed(
    d: &mut Diagnosis,
    check: &'static str,
    found: rusqlite::Result<Vec<String>>,
    more: &str,
    cannot: &str,
) {
    match found {
        Ok(list) => {
            let n = list.len();
            for m in list.into_iter().take(LIST) {
                d.findings.push(Finding { check, message: m });
            }
            if n > LIST {
                d.findings.push(Finding { check, message: format!("… and {} more {more}", n - LIST) });
            }
        }
        Err(e) => d.findings.push(Finding { check, message: format!("{cannot}: {e}") }),
    }
}

/// `day_rollup` against the rollup summed per local day in the zone it is kept in (none kept, or a
/// zone this build does not know: nothing to compare, as the reports do not read it then).
fn day_mismatches(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    use rusqlite::OptionalExtension;
    let zone: Option<String> =
        conn.query_row("SELECT value FROM settings WHERE key = 'day_zone'", [], |r| r.get(0)).optional()?;
    let Some(tz) = zone.and_then(|z| z.parse::<chrono_tz::Tz>().ok()) else { return Ok(Vec::new()) };
    type DayKey = (i64, String, String, bool, bool);
    let bucket_ms = crate::store::BUCKET_MS;
    let mut want: HashMap<DayKey, [i128; 7]> = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT bucket, source, model, long, logged, requests, input, cw5m, cw1h, cache_read, output, reasoning FROM rollup",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let at = r.get::<_, i64>(0)? * bucket_ms;
        let day = (at + crate::zone::offset_ms(tz, at)).div_euclid(crate::zone::DAY_MS);
        let s = want.entry((day, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)).or_default();
        for (i, v) in s.iter_mut().enumerate() {
            *v += r.get::<_, i64>(5 + i)? as i128;
        }
    }
    let describe = |k: &DayKey| {
        let d = chrono::DateTime::from_timestamp_millis(k.0 * crate::zone::DAY_MS).unwrap_or_default();
        format!("{} ({}) {} {}", d.format("%Y-%m-%d"), tz.name(), k.1, k.2)
    };
    let mut out = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT day, source, model, long, logged, requests, input, cw5m, cw1h, cache_read, output, reasoning FROM day_rollup",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let key: DayKey = (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
        let mut stored = [0i128; 7];
        for (i, v) in stored.iter_mut().enumerate() {
            *v = r.get::<_, i64>(5 + i)? as i128;
        }
        let w = want.remove(&key).unwrap_or_default();
        if w != stored {
            out.push(format!(
                "day {}: {} requests, {} input tokens; the rollup sums to {} requests, {} input",
                describe(&key),
                stored[0],
                stored[1],
                w[0],
                w[1]
            ));
        }
    }
    for (key, s) in want {
        out.push(format!("day {}: missing; the rollup sums to {} requests", describe(&key), s[0]));
    }
    out.sort();
    Ok(out)
}

fn cursor_findings(conn: &Connection, sources: &[Box<dyn Source>]) -> rusqlite::Result<Vec<String>> {
    let mut stmt =
        conn.prepare("SELECT source, path, identity, offset FROM files WHERE missing = 0 AND offset > 0")?;
    let rows = stmt.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (source, path, identity, offset) = row?;
        let Some(s) = sources.iter().find(|s| s.id() == source) else { continue };
        let p = Path::new(&path);
        if s.kind(p) != FileKind::Log(Shape::Lines) {
            continue;
        }
        let Ok(meta) = std::fs::metadata(p) else { continue };
        if !same_identity(&meta, &identity) || meta.len() < offset as u64 {
            continue; // replaced or shrunk: the next scan reads it from the start anyway
        }
        let mut byte = [0u8; 1];
        let read = std::fs::File::open(p).and_then(|mut f| {
            f.seek(SeekFrom::Start(offset as u64 - 1)).and_then(|_| f.read_exact(&mut byte))
        });
        if read.is_ok() && byte[0] != b'\n' {
            out.push(format!("the cursor of {path} is at byte {offset}, which is not just past a line end"));
        }
    }
    Ok(out)
}

#[cfg(unix)]
fn same_identity(meta: &std::fs::Metadata, identity: &str) -> bool {
    use std::os::unix::fs::MetadataExt;
    format!("{}:{}", meta.dev(), meta.ino()) == identity
}

#[cfg(not(unix))]
fn same_identity(_meta: &std::fs::Metadata, _identity: &str) -> bool {
    true
}
