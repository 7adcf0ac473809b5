//! The team board's benchmark (issue 10): a team of 100,000 members × 90 days seeded in bulk,
//! then sends per second from concurrent clients over loopback HTTP and the team page's latency,
//! against a real server started in this process (its own tokio runtime).
//!
//! Not a test: numbers are printed, never asserted. `bench/board.sh` builds it in release,
//! starts a throwaway PostgreSQL with fsync on and runs both engines.
//!
//! ```text
//! cargo run --release -p tokenworth-board --example bench -- --engine sqlite --data /tmp/twb
//! cargo run --release -p tokenworth-board --example bench -- --engine postgres \
//!     --database-url postgres://postgres@127.0.0.1:55433/postgres
//! ```
//!
//! The clock of the server is moved back so that "today" is the last day of the previous month:
//! the current month's page then holds a full month (30 or 31 days of 100,000 members) and the
//! sends (each a member's today) land in the month the page shows, so they invalidate it.
//!
//! Seed: members sorted by id; 1 device (75%) or 2; the first device sends every day of the
//! window, the second one day in two; 60% share tools (2 a day), 50% models (2 a day), 40%
//! outcomes (3 a day). Rows go straight in through SQL (SQLite: one transaction of prepared
//! inserts with journal_mode=OFF, then WAL again; PostgreSQL: COPY), secondary indexes dropped
//! for the load and created again after it. Tokens are stored as the server stores them
//! (`secret::hash`). The server keeps its default rate limit (60 burst, 120/min per token): the
//! load spreads its sends over all members' tokens.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use sha2::{Digest, Sha256};
use tokenworth_board::db::Db;
use tokenworth_board::{secret, store, State};
use tokenworth_share::{civil_from_days, days_from_civil, format_day, parse_day};

const TEAM: &str = "bench";

#[derive(Parser, Clone)]
struct Args {
    /// sqlite or postgres
    #[arg(long)]
    engine: String,
    /// SQLite data directory (created).
    #[arg(long)]
    data: Option<PathBuf>,
    /// PostgreSQL server URL; the benchmark uses (and drops first) the database tw_bench on it.
    #[arg(long)]
    database_url: Option<String>,
    #[arg(long, default_value_t = 100_000)]
    members: usize,
    #[arg(long, default_value_t = 90)]
    days: i64,
    /// Concurrent clients sending.
    #[arg(long, default_value_t = 100)]
    clients: usize,
    /// Seconds of sends.
    #[arg(long, default_value_t = 25)]
    seconds: u64,
    /// Page requests in each quiet page measurement.
    #[arg(long, default_value_t = 60)]
    pages: usize,
    /// Keep a store seeded before with the same members and days.
    #[arg(long)]
    reuse: bool,
    /// PostgreSQL connections of the server (as `serve --pool`).
    #[arg(long, default_value_t = 32)]
    pool: usize,
    #[arg(long, default_value_t = 2)]
    server_threads: usize,
    #[arg(long, default_value_t = 2)]
    client_threads: usize,
    /// The server's today (YYYY-MM-DD); default the last day of the previous month.
    #[arg(long)]
    today: Option<String>,
    /// Stop a quiet page measurement after this many seconds (at least 3 requests are made).
    #[arg(long, default_value_t = 60)]
    page_budget: u64,
    /// Skip the quiet page measurements (before and after the sends).
    #[arg(long)]
    no_quiet_pages: bool,
    /// Skip the page requests during the sends.
    #[arg(long)]
    no_pager: bool,
    /// Append a JSON line with the results to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn sha(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

/// splitmix64: small, fast, deterministic.
struct Rng(u64);
impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.unit().max(1e-12), self.unit());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

struct Member {
    idx: u64,
    id: String,
    /// (device id, token), sorted by device id.
    devices: Vec<(String, String)>,
    tools: bool,
    models: bool,
    outcomes: bool,
    /// Typical dollars a day.
    base: f64,
}

fn member(i: u64) -> Member {
    let mut r = Rng::new(i.wrapping_mul(7919));
    let n = if r.unit() < 0.25 { 2 } else { 1 };
    let mut devices: Vec<(String, String)> = (0..n)
        .map(|d| {
            let id = hex(&sha(&format!("tw-bench-device-{i}-{d}"))[..16]);
            let token = format!("{}{}", secret::MEMBER_TOKEN, hex(&sha(&format!("tw-bench-token-{i}-{d}"))));
            (id, token)
        })
        .collect();
    // The first device (every day) keeps its place; only ids are sorted for the inserts.
    let first = devices[0].0.clone();
    devices.sort();
    let pos = devices.iter().position(|d| d.0 == first).unwrap_or(0);
    devices.swap(0, pos);
    Member {
        idx: i,
        id: hex(&sha(&format!("tw-bench-member-{i}"))[..16]),
        devices,
        tools: r.unit() < 0.6,
        models: r.unit() < 0.5,
        outcomes: r.unit() < 0.4,
        base: (0.8 + 1.1 * r.normal()).exp().min(2000.0),
    }
}

#[derive(Default)]
struct Day {
    input: i64,
    cc: i64,
    cr: i64,
    output: i64,
    reasoning: i64,
    total: i64,
    cost: i64,
    /// (name, tokens, micros), sorted by name.
    tools: Vec<(&'static str, i64, i64)>,
    models: Vec<(&'static str, i64, i64)>,
    /// (outcome, sessions, micros, commits), sorted by outcome.
    outcomes: Vec<(&'static str, i64, i64, i64)>,
}

fn split2(total: i64, share: f64) -> (i64, i64) {
    let a = (total as f64 * share).round() as i64;
    (a, total - a)
}

/// Device `dev` of `m` on day `d`, or None when that device sent nothing that day.
fn day_of(m: &Member, dev: usize, d: i64) -> Option<Day> {
    let mut r = Rng::new(m.idx.wrapping_mul(1_000_003) ^ (dev as u64) << 40 ^ (d as u64).wrapping_mul(31));
    if dev > 0 && r.unit() < 0.5 {
        return None;
    }
    let dollars = m.base * (0.2 + 1.6 * r.unit());
    let cost = (dollars * 1e6).round() as i64;
    let total = (dollars * 60_000.0) as i64 + 1000;
    let input = total / 10;
    let cc = total / 10;
    let output = total / 20;
    let cr = total - input - cc - output;
    let reasoning = output / 3;
    let mut day = Day { input, cc, cr, output, reasoning, total, cost, ..Day::default() };
    if m.tools {
        let other = if m.idx % 4 == 0 { "gemini-cli" } else { "codex" };
        let (a, b) = split2(total, 0.7);
        let (ca, cb) = split2(cost, 0.7);
        day.tools = vec![("claude-code", a, ca), (other, b, cb)];
        day.tools.sort_by_key(|t| t.0);
    }
    if m.models {
        let other = if m.idx % 3 == 0 { "gpt-5" } else { "claude-opus-4-1" };
        let (a, b) = split2(total, 0.8);
        let (ca, cb) = split2(cost, 0.8);
        day.models = vec![("claude-sonnet-4-5", a, ca), (other, b, cb)];
        day.models.sort_by_key(|t| t.0);
    }
    if m.outcomes {
        let (s, rest) = split2(cost, 0.5);
        let (f, u) = split2(rest, 0.6);
        let ss = r.below(4) as i64;
        let fs = r.below(3) as i64;
        day.outcomes =
            vec![("fixed", fs, f, fs), ("shipped", ss, s, ss * 2), ("untagged", r.below(3) as i64, u, 0)];
    }
    Some(day)
}

fn real_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

// ---------------------------------------------------------------- seed

/// The tables the seed fills, in load order.
const TABLES: [&str; 7] = ["members", "devices", "tokens", "days", "day_tools", "day_models", "day_outcomes"];

/// Calls `row` with each row of `table`, as column values in the table's order.
fn rows_of(table: &str, members: &[Member], first: i64, last: i64, now: i64, row: &mut dyn FnMut(&[Cell])) {
    use Cell::{I, T};
    for m in members {
        match table {
            "members" => row(&[T(&m.id), T(TEAM), T(&format!("m{:06}", m.idx)), I(now - 200 * 86_400)]),
            "devices" => {
                for (d, _) in &m.devices {
                    row(&[T(d), T(&m.id), I(now - 200 * 86_400)]);
                }
            }
            "tokens" => {
                for (d, t) in &m.devices {
                    let h = secret::hash(t);
                    row(&[T(&h), T(&m.id), T(d), I(now - 86_400), I(now + 300 * 86_400), Cell::Null]);
                }
            }
            _ => {
                let mut devs: Vec<(usize, &String)> = m.devices.iter().map(|d| &d.0).enumerate().collect();
                devs.sort_by_key(|d| d.1);
                for (dev, did) in devs {
                    for dn in first..=last {
                        let Some(x) = day_of(m, dev, dn) else { continue };
                        let ds = format_day(dn);
                        let key = [T(&m.id), T(did), T(&ds), T(TEAM)];
                        let mut full = |rest: &[Cell]| {
                            let mut v: Vec<Cell> = key.to_vec();
                            v.extend_from_slice(rest);
                            row(&v);
                        };
                        match table {
                            "days" => full(&[
                                I(x.input),
                                I(x.cc),
                                I(x.cr),
                                I(x.output),
                                I(x.reasoning),
                                I(x.total),
                                I(0),
                                I(x.cost),
                                I(i64::from(m.tools)),
                                I(i64::from(m.models)),
                                I(i64::from(m.outcomes)),
                                I(dn * 86_400 + 80_000),
                            ]),
                            "day_tools" => {
                                for (n, t, c) in &x.tools {
                                    full(&[T(n), I(*t), I(*c)]);
                                }
                            }
                            "day_models" => {
                                for (n, t, c) in &x.models {
                                    full(&[T(n), I(*t), I(*c)]);
                                }
                            }
                            "day_outcomes" => {
                                for (o, s, c, k) in &x.outcomes {
                                    full(&[T(o), I(*s), I(*c), I(*k)]);
                                }
                            }
                            _ => unreachable!(),
                        }
                    }
                }
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Cell<'a> {
    I(i64),
    T(&'a str),
    Null,
}

fn columns(table: &str) -> &'static str {
    match table {
        "members" => "id, team, alias, joined_at",
        "devices" => "id, member_id, created_at",
        "tokens" => "hash, member_id, device_id, created_at, expires_at, revoked_at",
        "days" => {
            "member_id, device_id, day, team, input_tokens, cache_creation_tokens, cache_read_tokens, \
             output_tokens, reasoning_tokens, total_tokens, unpriced_tokens, cost_micros, has_tools, \
             has_models, has_outcomes, received_at"
        }
        "day_tools" | "day_models" => "member_id, device_id, day, team, name, total_tokens, cost_micros",
        "day_outcomes" => "member_id, device_id, day, team, outcome, sessions, cost_micros, commits",
        _ => unreachable!(),
    }
}

fn seed_key(a: &Args, first: i64, last: i64) -> String {
    format!("members={} first={} last={} v1", a.members, format_day(first), format_day(last))
}

fn seed_sqlite(
    dir: &std::path::Path,
    members: &[Member],
    first: i64,
    last: i64,
    now: i64,
) -> anyhow::Result<()> {
    let path = tokenworth_board::db::sqlite_path(dir);
    let mut c = rusqlite::Connection::open(&path)?;
    c.pragma_update(None, "journal_mode", "OFF")?;
    c.pragma_update(None, "synchronous", "OFF")?;
    c.pragma_update(None, "cache_size", -1_000_000)?;
    let indexes: Vec<(String, String)> = {
        let mut st = c.prepare(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN \
             ('members','devices','tokens','days','day_tools','day_models','day_outcomes') AND name != 'members_team_alias'",
        )?;
        let v = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
        v
    };
    for (n, _) in &indexes {
        c.execute_batch(&format!("DROP INDEX {n}"))?;
    }
    let tx = c.transaction()?;
    for table in TABLES {
        let t0 = Instant::now();
        let ncol = columns(table).split(',').count();
        let ph: Vec<String> = (1..=ncol).map(|i| format!("?{i}")).collect();
        let mut st =
            tx.prepare(&format!("INSERT INTO {table} ({}) VALUES ({})", columns(table), ph.join(", ")))?;
        let mut n = 0u64;
        let mut err = None;
        rows_of(table, members, first, last, now, &mut |cells| {
            if err.is_some() {
                return;
            }
            for (i, c) in cells.iter().enumerate() {
                let r = match c {
                    Cell::I(v) => st.raw_bind_parameter(i + 1, v),
                    Cell::T(s) => st.raw_bind_parameter(i + 1, s),
                    Cell::Null => st.raw_bind_parameter(i + 1, rusqlite::types::Null),
                };
                if let Err(e) = r {
                    err = Some(e);
                    return;
                }
            }
            if let Err(e) = st.raw_execute() {
                err = Some(e);
            }
            n += 1;
        });
        if let Some(e) = err {
            return Err(e.into());
        }
        eprintln!("  {table}: {n} rows in {:.1} s", t0.elapsed().as_secs_f64());
    }
    tx.commit()?;
    for (n, sql) in &indexes {
        let t0 = Instant::now();
        c.execute_batch(sql)?;
        eprintln!("  index {n}: {:.1} s", t0.elapsed().as_secs_f64());
    }
    c.pragma_update(None, "journal_mode", "WAL")?;
    Ok(())
}

async fn seed_pg(url: &str, members: &[Member], first: i64, last: i64, now: i64) -> anyhow::Result<()> {
    use futures_util::SinkExt;
    let (c, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(conn);
    let idx = c
        .query(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY($1) \
             AND indexdef NOT LIKE 'CREATE UNIQUE%'",
            &[&TABLES.to_vec()],
        )
        .await?;
    let indexes: Vec<(String, String)> = idx.iter().map(|r| (r.get(0), r.get(1))).collect();
    for (n, _) in &indexes {
        c.batch_execute(&format!("DROP INDEX {n}")).await?;
    }
    for table in TABLES {
        let t0 = Instant::now();
        let sink =
            c.copy_in::<_, bytes::Bytes>(&format!("COPY {table} ({}) FROM STDIN", columns(table))).await?;
        let mut sink = std::pin::pin!(sink);
        let mut buf = String::with_capacity(1 << 21);
        let mut chunks: Vec<bytes::Bytes> = Vec::new();
        let mut n = 0u64;
        // Rows are made in batches of members so the buffer stays small.
        for part in members.chunks(2000) {
            rows_of(table, part, first, last, now, &mut |cells| {
                for (i, c) in cells.iter().enumerate() {
                    if i > 0 {
                        buf.push('\t');
                    }
                    match c {
                        Cell::I(v) => {
                            use std::fmt::Write;
                            let _ = write!(buf, "{v}");
                        }
                        Cell::T(s) => buf.push_str(s),
                        Cell::Null => buf.push_str("\\N"),
                    }
                }
                buf.push('\n');
                n += 1;
                if buf.len() > (1 << 20) {
                    chunks.push(bytes::Bytes::from(std::mem::take(&mut buf)));
                }
            });
            for ch in chunks.drain(..) {
                sink.as_mut().feed(ch).await?;
            }
        }
        if !buf.is_empty() {
            sink.as_mut().feed(bytes::Bytes::from(std::mem::take(&mut buf))).await?;
        }
        sink.as_mut().finish().await?;
        eprintln!("  {table}: {n} rows in {:.1} s", t0.elapsed().as_secs_f64());
    }
    c.batch_execute("SET maintenance_work_mem = '1GB'").await?;
    for (n, sql) in &indexes {
        let t0 = Instant::now();
        c.batch_execute(sql).await?;
        eprintln!("  index {n}: {:.1} s", t0.elapsed().as_secs_f64());
    }
    let t0 = Instant::now();
    c.batch_execute("VACUUM ANALYZE").await?;
    eprintln!("  vacuum analyze: {:.1} s", t0.elapsed().as_secs_f64());
    Ok(())
}

/// Opens (seeding unless `--reuse` finds the same seed) the store; the Db for the server.
async fn prepare(a: &Args, members: &[Member], first: i64, last: i64, now: i64) -> anyhow::Result<Db> {
    let key = seed_key(a, first, last);
    match a.engine.as_str() {
        "sqlite" => {
            let dir = a.data.clone().ok_or_else(|| anyhow::anyhow!("--data DIR for sqlite"))?;
            let marker = dir.join("bench-seed");
            if a.reuse && std::fs::read_to_string(&marker).ok().as_deref() == Some(key.as_str()) {
                eprintln!("reusing the seeded store in {}", dir.display());
            } else {
                let _ = std::fs::remove_dir_all(&dir);
                std::fs::create_dir_all(&dir)?;
                let db = Db::open_sqlite(&dir, true).map_err(|e| anyhow::anyhow!("{e}"))?;
                store::init(&db, now).await.map_err(|e| anyhow::anyhow!("{e}"))?;
                store::create_team(&db, TEAM, Some(5), Some(90), now)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                drop(db);
                let t0 = Instant::now();
                let (dir2, m, f, l) = (dir.clone(), members, first, last);
                tokio::task::block_in_place(|| seed_sqlite(&dir2, m, f, l, now))?;
                eprintln!("seeded SQLite in {:.1} s", t0.elapsed().as_secs_f64());
                std::fs::write(&marker, &key)?;
            }
            Db::open_sqlite(&dir, false).map_err(|e| anyhow::anyhow!("{e}"))
        }
        "postgres" => {
            let base =
                a.database_url.clone().ok_or_else(|| anyhow::anyhow!("--database-url URL for postgres"))?;
            let (head, _) =
                base.rsplit_once('/').ok_or_else(|| anyhow::anyhow!("a URL ending in /DBNAME"))?;
            let url = format!("{head}/tw_bench");
            let (c, conn) = tokio_postgres::connect(&base, tokio_postgres::NoTls).await?;
            tokio::spawn(conn);
            let mut seeded = false;
            if a.reuse {
                if let Ok((c2, conn2)) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await {
                    tokio::spawn(conn2);
                    if let Ok(r) = c2.query_one("SELECT seed FROM bench_seed", &[]).await {
                        seeded = r.get::<_, String>(0) == key;
                    }
                }
            }
            if seeded {
                eprintln!("reusing the seeded database tw_bench");
            } else {
                c.batch_execute("DROP DATABASE IF EXISTS tw_bench").await?;
                c.batch_execute("CREATE DATABASE tw_bench").await?;
                let db = Db::open_postgres(&url, 4).map_err(|e| anyhow::anyhow!("{e}"))?;
                store::init(&db, now).await.map_err(|e| anyhow::anyhow!("{e}"))?;
                store::create_team(&db, TEAM, Some(5), Some(90), now)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                drop(db);
                let t0 = Instant::now();
                seed_pg(&url, members, first, last, now).await?;
                let (c2, conn2) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
                tokio::spawn(conn2);
                c2.batch_execute("CREATE TABLE bench_seed (seed TEXT)").await?;
                c2.execute("INSERT INTO bench_seed VALUES ($1)", &[&key]).await?;
                eprintln!("seeded PostgreSQL in {:.1} s", t0.elapsed().as_secs_f64());
            }
            Db::open_postgres(&url, a.pool).map_err(|e| anyhow::anyhow!("{e}"))
        }
        e => anyhow::bail!("engine {e}: sqlite or postgres"),
    }
}

// ---------------------------------------------------------------- load

fn send_body(r: &mut Rng, day: &str) -> String {
    let dollars = ((0.5 + 20.0 * r.unit()) * 1e6).round() / 1e6;
    let total = (dollars * 60_000.0) as u64 + 1000;
    // Splits must add up field by field: split a day of 10 units into 7 + 3 exactly.
    let unit = total / 10;
    let (a, b) = (unit * 7, total - unit * 7);
    let ca = (dollars * 0.7 * 1e6).round() / 1e6;
    let cb = ((dollars - ca) * 1e6).round() / 1e6;
    let split = |na: &str, nb: &str| -> serde_json::Value {
        let (ta, tb) = (tokens_of(a), tokens_of(b));
        serde_json::json!([{ "name": na, "tokens": with_cost(ta, ca) }, { "name": nb, "tokens": with_cost(tb, cb) }])
    };
    let mut totals = tokens_of(a);
    add(&mut totals, &tokens_of(b));
    let totals = with_cost(totals, dollars);
    let s = ((dollars * 0.5) * 1e6).round() / 1e6;
    let f = ((dollars * 0.3) * 1e6).round() / 1e6;
    let u = ((dollars - s - f) * 1e6).round() / 1e6;
    serde_json::json!({ "days": [{
        "day": day,
        "totals": totals,
        "tools": split("claude-code", "codex"),
        "models": split("claude-sonnet-4-5", "claude-opus-4-1"),
        "outcomes": [
            { "outcome": "shipped", "sessions": r.below(4), "cost_usd": s, "commits": r.below(6) },
            { "outcome": "fixed", "sessions": r.below(3), "cost_usd": f, "commits": r.below(3) },
            { "outcome": "untagged", "sessions": r.below(3), "cost_usd": u.max(0.0), "commits": 0 }
        ]
    }]})
    .to_string()
}

/// Token fields of `total` tokens (in the same proportions as the seed).
fn tokens_of(total: u64) -> [u64; 6] {
    let input = total / 10;
    let cc = total / 10;
    let output = total / 20;
    [input, cc, total - input - cc - output, output, output / 3, total]
}

fn add(a: &mut [u64; 6], b: &[u64; 6]) {
    for i in 0..6 {
        a[i] += b[i];
    }
}

fn with_cost(t: [u64; 6], cost: f64) -> serde_json::Value {
    serde_json::json!({
        "input_tokens": t[0], "cache_creation_tokens": t[1], "cache_read_tokens": t[2],
        "output_tokens": t[3], "reasoning_tokens": t[4], "total_tokens": t[5],
        "cost_usd": cost, "unpriced_tokens": 0
    })
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

struct PageStats {
    n: usize,
    first_ms: f64,
    p50: f64,
    p95: f64,
    max: f64,
}

async fn pages(
    http: &reqwest::Client,
    base: &str,
    tokens: &[String],
    n: usize,
    budget: Duration,
    start: usize,
) -> anyhow::Result<PageStats> {
    let mut lat = Vec::with_capacity(n);
    let began = Instant::now();
    for i in 0..n {
        if i >= 3 && began.elapsed() > budget {
            break;
        }
        let t = &tokens[(start + i * 7919) % tokens.len()];
        let t0 = Instant::now();
        let r =
            http.get(format!("{base}/api/v1/teams/{TEAM}/board?period=month")).bearer_auth(t).send().await?;
        let status = r.status();
        let body = r.bytes().await?;
        lat.push(t0.elapsed().as_micros() as u64);
        if !status.is_success() {
            anyhow::bail!("page: {status}: {}", String::from_utf8_lossy(&body));
        }
        if i == 0 && start == 0 {
            let v: serde_json::Value = serde_json::from_slice(&body)?;
            eprintln!(
                "  page {}..{}: spend contributors {}, outcome contributors {}, {} slices, {} hidden, {} bytes",
                v["from"], v["to"], v["spend"]["contributors"], v["outcomes"]["contributors"],
                v["slices"].as_array().map_or(0, Vec::len), v["hidden"].as_array().map_or(0, Vec::len), body.len()
            );
        }
    }
    let first_ms = lat[0] as f64 / 1000.0;
    lat.sort_unstable();
    Ok(PageStats { n: lat.len(), first_ms, p50: pct(&lat, 0.5), p95: pct(&lat, 0.95), max: pct(&lat, 1.0) })
}

#[derive(serde::Serialize)]
struct Results {
    engine: String,
    members: usize,
    days: i64,
    clients: usize,
    seconds: f64,
    sends: u64,
    errors: u64,
    sends_per_s: f64,
    send_p50_ms: f64,
    send_p99_ms: f64,
    send_max_ms: f64,
    page_cold_ms: f64,
    page_quiet_p50_ms: f64,
    page_quiet_p95_ms: f64,
    page_quiet_n: usize,
    page_load_n: usize,
    page_load_p50_ms: f64,
    page_load_p95_ms: f64,
    page_after_p50_ms: f64,
    page_after_p95_ms: f64,
    /// /proc/loadavg when the sends started and ended (the machine may be shared).
    load_before: String,
    load_after: String,
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split(' ').take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    let real_today = real_now().div_euclid(86_400);
    let today = match &a.today {
        Some(d) => parse_day(d).ok_or_else(|| anyhow::anyhow!("--today YYYY-MM-DD"))?,
        None => {
            let (y, m, _) = civil_from_days(real_today);
            days_from_civil(y, m, 1) - 1
        }
    };
    let shift = (real_today - today) * 86_400;
    let now = real_now() - shift;
    let (first, last) = (today - a.days + 1, today);
    eprintln!(
        "{}: {} members, days {}..{} (server's today {}), {} clients × {} s",
        a.engine,
        a.members,
        format_day(first),
        format_day(last),
        format_day(today),
        a.clients,
        a.seconds
    );
    let t0 = Instant::now();
    let mut members: Vec<Member> = (0..a.members as u64).map(member).collect();
    members.sort_by(|x, y| x.id.cmp(&y.id));
    eprintln!("members made in {:.1} s", t0.elapsed().as_secs_f64());

    let setup = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let db = setup.block_on(prepare(&a, &members, first, last, now))?;
    drop(setup);

    // The server, on its own runtime.
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(a.server_threads)
        .thread_name("server")
        .enable_all()
        .build()?;
    let clock: tokenworth_board::Clock = Arc::new(move || real_now() - shift);
    let state = Arc::new(State::new(db, clock));
    let listener = server_rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let base = format!("http://{}", listener.local_addr()?);
    let t0 = Instant::now();
    server_rt.block_on(store::open(&state.db, state.now())).map_err(|e| anyhow::anyhow!("{e}"))?;
    eprintln!("store open (migrations) in {:.1} s", t0.elapsed().as_secs_f64());
    let st = state.clone();
    server_rt.spawn(async move { axum::serve(listener, tokenworth_board::router(st)).await.expect("serve") });

    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(a.client_threads)
        .thread_name("client")
        .enable_all()
        .build()?;
    let tokens: Arc<Vec<String>> = Arc::new(members.iter().map(|m| m.devices[0].1.clone()).collect());
    let all_tokens: Arc<Vec<String>> =
        Arc::new(members.iter().flat_map(|m| m.devices.iter().map(|d| d.1.clone())).collect());
    drop(members);
    let today_s = format_day(today);
    let st2 = state.clone();
    let res = client_rt.block_on(async move {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(a.clients + 8)
            .tcp_nodelay(true)
            .timeout(Duration::from_secs(3600))
            .build()?;
        // Quiet page: the first request is the cold one.
        eprintln!("page, quiet (load average {}):", loadavg());
        let quiet = if a.no_quiet_pages {
            PageStats { n: 0, first_ms: f64::NAN, p50: f64::NAN, p95: f64::NAN, max: f64::NAN }
        } else {
            pages(&http, &base, &tokens, a.pages, Duration::from_secs(a.page_budget), 0).await?
        };
        eprintln!(
            "  cold {:.1} ms; p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms over {}",
            quiet.first_ms, quiet.p50, quiet.p95, quiet.max, quiet.n
        );

        let mut r = Rng::new(42);
        let bodies: Arc<Vec<String>> = Arc::new((0..1000).map(|_| send_body(&mut r, &today_s)).collect());
        // One send to warm the per-day caches (median, window) before the clock starts.
        let w = http
            .put(format!("{base}/api/v1/days"))
            .bearer_auth(&all_tokens[0])
            .header("content-type", "application/json")
            .body(bodies[0].clone())
            .send()
            .await?;
        let ws = w.status();
        let wb = w.text().await?;
        anyhow::ensure!(ws.is_success(), "warm-up send: {ws}: {wb}");

        let load_before = loadavg();
        eprintln!("sends, {} clients for {} s (page every 250 ms: {}; load average {load_before}):", a.clients, a.seconds, !a.no_pager);
        let stop = Arc::new(AtomicBool::new(false));
        let errors = Arc::new(AtomicU64::new(0));
        let started = Instant::now();
        let mut tasks = Vec::new();
        for c in 0..a.clients {
            let (http, base, bodies, toks, stop, errors) =
                (http.clone(), base.clone(), bodies.clone(), all_tokens.clone(), stop.clone(), errors.clone());
            tasks.push(tokio::spawn(async move {
                let mut r = Rng::new(1000 + c as u64);
                let mut lat: Vec<u64> = Vec::with_capacity(1 << 14);
                while !stop.load(Ordering::Relaxed) {
                    let t = &toks[r.below(toks.len() as u64) as usize];
                    let b = bodies[r.below(bodies.len() as u64) as usize].clone();
                    let t0 = Instant::now();
                    let res = http
                        .put(format!("{base}/api/v1/days"))
                        .bearer_auth(t)
                        .header("content-type", "application/json")
                        .body(b)
                        .send()
                        .await;
                    let ok = match res {
                        Ok(resp) => {
                            let s = resp.status();
                            let body = resp.bytes().await;
                            if !s.is_success() && errors.load(Ordering::Relaxed) < 5 {
                                eprintln!("  send: {s}: {:?}", body.map(|b| String::from_utf8_lossy(&b).into_owned()));
                            }
                            s.is_success()
                        }
                        Err(e) => {
                            if errors.load(Ordering::Relaxed) < 5 {
                                eprintln!("  send: {e}");
                            }
                            false
                        }
                    };
                    if ok {
                        lat.push(t0.elapsed().as_micros() as u64);
                    } else {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
                lat
            }));
        }
        // The page under load, a request every 250 ms.
        let (ph, pb, pt, pstop) = (http.clone(), base.clone(), tokens.clone(), stop.clone());
        let no_pager = a.no_pager;
        let pager = tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut i = 1usize;
            while !no_pager && !pstop.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(250)).await;
                let t = &pt[(i * 104_729) % pt.len()];
                i += 1;
                let t0 = Instant::now();
                if let Ok(r) = ph.get(format!("{pb}/api/v1/teams/{TEAM}/board?period=month")).bearer_auth(t).send().await {
                    if r.status().is_success() && r.bytes().await.is_ok() {
                        lat.push(t0.elapsed().as_micros() as u64);
                    }
                }
            }
            lat
        });
        tokio::time::sleep(Duration::from_secs(a.seconds)).await;
        stop.store(true, Ordering::Relaxed);
        let mut lat = Vec::new();
        for t in tasks {
            lat.extend(t.await?);
        }
        let secs = started.elapsed().as_secs_f64();
        let mut plat = pager.await?;
        plat.sort_unstable();
        lat.sort_unstable();
        let sends = lat.len() as u64;
        let errors = errors.load(Ordering::Relaxed);
        eprintln!(
            "  {sends} sends ({errors} failed) in {secs:.1} s: {:.0}/s; p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms",
            sends as f64 / secs, pct(&lat, 0.5), pct(&lat, 0.99), pct(&lat, 1.0)
        );
        if let Some((b, j)) = st2.db.write_batches() {
            eprintln!("  SQLite write batches: {b}, {j} writers ({:.1} a batch)", j as f64 / b.max(1) as f64);
        }
        eprintln!("  page under load: {} requests, p50 {:.1} ms, p95 {:.1} ms", plat.len(), pct(&plat, 0.5), pct(&plat, 0.95));
        let load_after = loadavg();
        eprintln!("page, quiet after the sends (load average {load_after}):");
        let after = if a.no_quiet_pages {
            PageStats { n: 0, first_ms: f64::NAN, p50: f64::NAN, p95: f64::NAN, max: f64::NAN }
        } else {
            pages(&http, &base, &tokens, a.pages, Duration::from_secs(a.page_budget), 1).await?
        };
        eprintln!(
            "  first {:.1} ms; p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms over {}",
            after.first_ms, after.p50, after.p95, after.max, after.n
        );
        Ok::<_, anyhow::Error>(Results {
            engine: a.engine.clone(),
            members: a.members,
            days: a.days,
            clients: a.clients,
            seconds: secs,
            sends,
            errors,
            sends_per_s: sends as f64 / secs,
            send_p50_ms: pct(&lat, 0.5),
            send_p99_ms: pct(&lat, 0.99),
            send_max_ms: pct(&lat, 1.0),
            page_cold_ms: quiet.first_ms,
            page_quiet_p50_ms: quiet.p50,
            page_quiet_p95_ms: quiet.p95,
            page_quiet_n: quiet.n,
            page_load_n: plat.len(),
            page_load_p50_ms: pct(&plat, 0.5),
            page_load_p95_ms: pct(&plat, 0.95),
            page_after_p50_ms: after.p50,
            page_after_p95_ms: after.p95,
            load_before,
            load_after,
        })
    })?;
    let line = serde_json::to_string(&res)?;
    println!("{line}");
    if let Some(p) = &a.json {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(p)?;
        writeln!(f, "{line}")?;
    }
    drop(client_rt);
    server_rt.shutdown_timeout(Duration::from_secs(2));
    Ok(())
}
