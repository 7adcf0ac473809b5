//! Shared helpers of the CLI robustness tests: a seeded PRNG, writers of realistic Claude Code
//! transcripts and Codex rollouts that also compute the totals the ledger must end with, and a
//! runner of the real `tokenworth` binary against a fake home.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub mod killer;
pub mod shapes;

pub const CLAUDE_MODEL: &str = "claude-sonnet-4-5-20250929";
pub const CODEX_MODEL: &str = "gpt-5-codex";

/// 2026-03-01T00:00:00Z in ms.
pub const T0_MS: i64 = 1_772_323_200_000;

// ---------------------------------------------------------------------------------------------
// PRNG

/// SplitMix64: tiny, seeded, good enough to pick sizes and cut points.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, n) (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    /// Uniform in [lo, hi] (inclusive).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    pub fn hex(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n);
        while s.len() < n {
            s.push_str(&format!("{:016x}", self.next_u64()));
        }
        s.truncate(n);
        s
    }
    pub fn uuid(&mut self) -> String {
        let h = self.hex(32);
        format!("{}-{}-7{}-8{}-{}", &h[0..8], &h[8..12], &h[13..16], &h[17..20], &h[20..32])
    }
}

// ---------------------------------------------------------------------------------------------
// Expected totals

/// Token sums of one source on one UTC day, in the fields of the CLI's JSON contract.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Sums {
    pub input: u64,
    pub cache_creation: u64,
    pub cache_read: u64,
    pub output: u64,
    pub reasoning: u64,
}

impl Sums {
    pub fn add(&mut self, o: &Sums) {
        self.input += o.input;
        self.cache_creation += o.cache_creation;
        self.cache_read += o.cache_read;
        self.output += o.output;
        self.reasoning += o.reasoning;
    }
    pub fn le(&self, o: &Sums) -> bool {
        self.input <= o.input
            && self.cache_creation <= o.cache_creation
            && self.cache_read <= o.cache_read
            && self.output <= o.output
            && self.reasoning <= o.reasoning
    }
}

/// (UTC date, source) → sums: what the generator wrote, and what `daily --json` must report.
pub type Expected = BTreeMap<(String, String), Sums>;

pub fn expect_add(exp: &mut Expected, ts_ms: i64, source: &str, s: Sums) {
    exp.entry((date_of(ts_ms), source.to_string())).or_default().add(&s);
}

pub fn expect_merge(into: &mut Expected, from: &Expected) {
    for (k, v) in from {
        into.entry(k.clone()).or_default().add(v);
    }
}

pub fn date_of(ts_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ts_ms).unwrap().format("%Y-%m-%d").to_string()
}

pub fn ts(ts_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ts_ms).unwrap().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The per (date, source) token sums of a `daily --json` output.
pub fn sums_of(daily: &Value) -> Expected {
    let mut out = Expected::new();
    for day in daily["days"].as_array().expect("days array") {
        let date = day["date"].as_str().expect("date").to_string();
        for (source, t) in day["sources"].as_object().expect("sources object") {
            let s = Sums {
                input: t["input_tokens"].as_u64().unwrap(),
                cache_creation: t["cache_creation_tokens"].as_u64().unwrap(),
                cache_read: t["cache_read_tokens"].as_u64().unwrap(),
                output: t["output_tokens"].as_u64().unwrap(),
                reasoning: t["reasoning_tokens"].as_u64().unwrap(),
            };
            assert_eq!(
                t["total_tokens"].as_u64().unwrap(),
                s.input + s.cache_creation + s.cache_read + s.output,
                "total_tokens of {date}/{source}"
            );
            if s != Sums::default() {
                out.insert((date.clone(), source.clone()), s);
            }
        }
    }
    out
}

/// Every (date, source) of `a` is at most `b`'s: nothing counted twice so far.
pub fn assert_le(a: &Expected, b: &Expected, what: &str) {
    for (k, v) in a {
        let w = b.get(k).copied().unwrap_or_default();
        assert!(v.le(&w), "{what}: {k:?} has {v:?}, more than the final {w:?}");
    }
}

pub fn grand(e: &Expected) -> Sums {
    let mut s = Sums::default();
    for v in e.values() {
        s.add(v);
    }
    s
}

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

/// Two `daily --json` outputs report the same: every token field exactly, every cost to 1e-9.
pub fn assert_same_daily(got: &Value, want: &Value, what: &str) {
    let fail = || {
        panic!(
            "{what}: daily reports differ\n got: {}\nwant: {}",
            serde_json::to_string(got).unwrap(),
            serde_json::to_string(want).unwrap()
        )
    };
    fn cmp_totals(a: &Value, b: &Value) -> bool {
        let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else { return false };
        if a.len() != b.len() {
            return false;
        }
        a.iter().all(|(k, va)| {
            let Some(vb) = b.get(k) else { return false };
            if k == "cost_usd" {
                close(va.as_f64().unwrap_or(f64::NAN), vb.as_f64().unwrap_or(f64::NAN))
            } else {
                va.is_u64() && va == vb
            }
        })
    }
    let (Some(gd), Some(wd)) = (got["days"].as_array(), want["days"].as_array()) else { fail() };
    if gd.len() != wd.len() || !cmp_totals(&got["total"], &want["total"]) {
        fail();
    }
    for (g, w) in gd.iter().zip(wd) {
        if g["date"] != w["date"] || !cmp_totals(&g["total"], &w["total"]) {
            fail();
        }
        let (Some(gs), Some(ws)) = (g["sources"].as_object(), w["sources"].as_object()) else { fail() };
        if gs.len() != ws.len() {
            fail();
        }
        for (s, t) in gs {
            if !ws.get(s).is_some_and(|u| cmp_totals(t, u)) {
                fail();
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Text

const WORDS: &[&str] = &[
    "fn",
    "let",
    "mut",
    "match",
    "impl",
    "struct",
    "return",
    "self",
    "Ok(())",
    "Err(e)",
    "vec![]",
    "the",
    "file",
    "line",
    "offset",
    "cursor",
    "ledger",
    "token",
    "cache",
    "commit",
    "scan",
    "naïve",
    "café",
    "Größe",
    "日本語",
    "テスト",
    "Привет",
    "λx",
    "→",
    "✓",
    "🚀",
    "🦀",
    "数据库",
    "ümlaut",
    "\"quoted\"",
    "back\\slash",
    "tab\there",
    "{",
    "}",
    "[",
    "]",
    "//",
    "#[test]",
    "0x1F",
    "42",
];

/// A fixed pool of text, JSON-escaped, with the offsets where it may be cut (between words).
struct Pool {
    raw: String,
    escaped: String,
    /// Byte offsets in `escaped` that start a word.
    cuts: Vec<usize>,
}

fn pool() -> &'static Pool {
    static POOL: std::sync::OnceLock<Pool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let mut rng = Rng::new(0x5EED);
        let (mut raw, mut escaped, mut cuts) = (String::new(), String::new(), Vec::new());
        while raw.len() < 1 << 19 {
            let w = WORDS[rng.below(WORDS.len() as u64) as usize].to_string()
                + if rng.below(9) == 0 { "\n" } else { " " };
            cuts.push(escaped.len());
            raw.push_str(&w);
            let e = serde_json::to_string(&w).unwrap();
            escaped.push_str(&e[1..e.len() - 1]);
        }
        Pool { raw, escaped, cuts }
    })
}

/// Roughly `n` bytes of code-ish text with newlines, quotes, backslashes, tabs and multibyte
/// characters, as a JSON string literal (quotes included). Slices of a fixed pool, so writing
/// many megabytes stays cheap.
pub fn jtext(rng: &mut Rng, n: usize) -> String {
    let p = pool();
    let mut s = String::with_capacity(n + 64);
    s.push('"');
    while s.len() < n + 1 {
        let i = rng.below(p.cuts.len() as u64 / 2) as usize;
        let start = p.cuts[i];
        let want = (n + 1 - s.len()).min(p.escaped.len() / 3);
        let j = p.cuts[i..].partition_point(|&c| c < start + want) + i;
        let end = p.cuts.get(j).copied().unwrap_or(p.escaped.len()).max(p.cuts[i + 1]);
        s.push_str(&p.escaped[start..end]);
    }
    s.push('"');
    s
}

/// Like [`jtext`], unescaped.
pub fn text(rng: &mut Rng, n: usize) -> String {
    serde_json::from_str(&jtext(rng, n)).unwrap()
}

fn js(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Claude Code

/// Writes one Claude Code session, turn by turn, and adds what it writes to `Expected`.
pub struct ClaudeSession {
    pub session: String,
    pub cwd: String,
    pub ts_ms: i64,
    pub n: u64,
    parent: String,
    /// Mean size of an ordinary tool output in a user line.
    pub tool_bytes: usize,
    /// Chance that a user line carries a big (20–120 KB) tool output.
    pub big_chance: f64,
}

impl ClaudeSession {
    pub fn new(rng: &mut Rng, cwd: &str, start_ms: i64) -> ClaudeSession {
        ClaudeSession {
            session: rng.uuid(),
            cwd: cwd.to_string(),
            ts_ms: start_ms,
            n: 0,
            parent: rng.uuid(),
            tool_bytes: 1500,
            big_chance: 0.03,
        }
    }

    fn tick(&mut self, rng: &mut Rng) -> i64 {
        self.ts_ms += rng.range(200, 40_000) as i64;
        self.ts_ms
    }

    fn common(&self, uuid: &str) -> String {
        format!(
            r#""parentUuid":{},"isSidechain":false,"userType":"external","cwd":{},"sessionId":{},"version":"2.1.40","gitBranch":"main""#,
            js(&self.parent),
            js(&self.cwd),
            js(&self.session),
        ) + &format!(r#","uuid":{}"#, js(uuid))
    }

    /// A user line carrying a tool result of about `bytes` bytes.
    pub fn user_line(&mut self, rng: &mut Rng, bytes: usize) -> String {
        let uuid = rng.uuid();
        let ts_ms = self.tick(rng);
        let out = jtext(rng, bytes);
        let dup = if rng.chance(0.3) {
            format!(
                r#","toolUseResult":{{"stdout":{},"stderr":"","interrupted":false,"isImage":false}}"#,
                out
            )
        } else {
            String::new()
        };
        let line = format!(
            r#"{{{},"type":"user","message":{{"role":"user","content":[{{"tool_use_id":"toolu_{}","type":"tool_result","content":{},"is_error":false}}]}},"timestamp":"{}"{}}}"#,
            self.common(&uuid),
            rng.hex(24),
            out,
            ts(ts_ms),
            dup
        );
        self.parent = uuid;
        line + "\n"
    }

    /// One assistant response written as `parts` lines sharing message.id and requestId, the
    /// output growing line by line (the last one is what counts).
    pub fn response(&mut self, rng: &mut Rng, parts: usize, exp: &mut Expected) -> String {
        self.n += 1;
        let msg_id = format!("msg_01{}", rng.hex(22));
        let req_id = format!("req_011C{}", rng.hex(20));
        let input = rng.range(1, 400);
        let (cw5m, cw1h) = match rng.below(4) {
            0 => (0, 0),
            1 => (0, rng.range(100, 20_000)),
            _ => (rng.range(100, 30_000), 0),
        };
        let cache_read = rng.range(0, 150_000);
        let mut output = rng.range(1, 20);
        let mut out = String::new();
        let mut last_ts = 0;
        for p in 0..parts {
            let uuid = rng.uuid();
            last_ts = self.tick(rng);
            let content = if p + 1 == parts && rng.chance(0.5) {
                format!(
                    r#"{{"type":"tool_use","id":"toolu_{}","name":"Bash","input":{{"command":{}}}}}"#,
                    rng.hex(24),
                    jtext(rng, 60)
                )
            } else {
                let n = rng.range(20, 600) as usize;
                format!(r#"{{"type":"text","text":{}}}"#, jtext(rng, n))
            };
            out.push_str(&format!(
                r#"{{{},"message":{{"id":"{msg_id}","type":"message","role":"assistant","model":"{CLAUDE_MODEL}","content":[{content}],"stop_reason":null,"stop_sequence":null,"usage":{{"input_tokens":{input},"cache_creation_input_tokens":{},"cache_read_input_tokens":{cache_read},"cache_creation":{{"ephemeral_5m_input_tokens":{cw5m},"ephemeral_1h_input_tokens":{cw1h}}},"output_tokens":{output},"service_tier":"standard"}}}},"requestId":"{req_id}","type":"assistant","timestamp":"{}"}}"#,
                self.common(&uuid),
                cw5m + cw1h,
                ts(last_ts),
            ));
            out.push('\n');
            self.parent = uuid;
            if p + 1 < parts {
                output += rng.range(1, 900);
            }
        }
        expect_add(
            exp,
            last_ts,
            "claude-code",
            Sums { input, cache_creation: cw5m + cw1h, cache_read, output, reasoning: 0 },
        );
        out
    }

    /// `turns` turns: a user line (a tool result; now and then a big one) and a response of 1–3
    /// lines.
    pub fn turns(&mut self, rng: &mut Rng, turns: usize, exp: &mut Expected) -> String {
        let mut s = String::new();
        for _ in 0..turns {
            let bytes = if rng.chance(self.big_chance) {
                rng.range(20_000, 120_000) as usize
            } else {
                rng.range(50, 2 * self.tool_bytes as u64) as usize
            };
            s.push_str(&self.user_line(rng, bytes));
            let parts = rng.range(1, 3) as usize;
            s.push_str(&self.response(rng, parts, exp));
        }
        s
    }
}

pub fn claude_path(home: &Path, project: &str, session: &str) -> PathBuf {
    home.join(".claude/projects").join(project).join(format!("{session}.jsonl"))
}

// ---------------------------------------------------------------------------------------------
// Codex

#[derive(Debug, Clone, Copy, Default)]
struct CxUsage {
    input: u64,
    cached: u64,
    output: u64,
    reasoning: u64,
}

impl CxUsage {
    fn json(&self) -> String {
        format!(
            r#"{{"input_tokens":{},"cached_input_tokens":{},"output_tokens":{},"reasoning_output_tokens":{},"total_tokens":{}}}"#,
            self.input,
            self.cached,
            self.output,
            self.reasoning,
            self.input + self.output
        )
    }
}

/// Writes one Codex rollout: cumulative `total_token_usage`, `last_token_usage` per request,
/// re-emitted totals and `info: null` rate-limit events among them.
pub struct CodexRollout {
    pub uuid: String,
    pub cwd: String,
    pub ts_ms: i64,
    total: CxUsage,
}

impl CodexRollout {
    pub fn new(rng: &mut Rng, cwd: &str, start_ms: i64) -> CodexRollout {
        CodexRollout { uuid: rng.uuid(), cwd: cwd.to_string(), ts_ms: start_ms, total: CxUsage::default() }
    }

    pub fn file_name(&self) -> String {
        format!("rollout-2026-03-02T04-00-00-{}.jsonl", self.uuid)
    }

    pub fn path(&self, home: &Path) -> PathBuf {
        home.join(".codex/sessions/2026/03/02").join(self.file_name())
    }

    fn tick(&mut self, rng: &mut Rng) -> i64 {
        self.ts_ms += rng.range(100, 30_000) as i64;
        self.ts_ms
    }

    pub fn header(&mut self, rng: &mut Rng) -> String {
        let t0 = self.tick(rng);
        let t1 = self.tick(rng);
        format!(
            r#"{{"timestamp":"{}","type":"session_meta","payload":{{"id":"{}","timestamp":"{}","cwd":{},"originator":"codex_cli_rs","cli_version":"0.120.0","instructions":null,"git":{{"commit_hash":"{}","branch":"main"}}}}}}"#,
            ts(t0),
            self.uuid,
            ts(t0),
            js(&self.cwd),
            rng.hex(40)
        ) + "\n"
            + &format!(
                r#"{{"timestamp":"{}","type":"turn_context","payload":{{"cwd":{},"approval_policy":"on-request","sandbox_policy":{{"mode":"workspace-write"}},"model":"{CODEX_MODEL}","effort":"medium","summary":"auto"}}}}"#,
                ts(t1),
                js(&self.cwd)
            )
            + "\n"
    }

    /// `turns` requests, each with some response items before its token_count.
    pub fn turns(&mut self, rng: &mut Rng, turns: usize, exp: &mut Expected) -> String {
        let mut s = String::new();
        for _ in 0..turns {
            for _ in 0..rng.range(0, 3) {
                let t = self.tick(rng);
                let n = if rng.chance(0.03) { rng.range(10_000, 60_000) } else { rng.range(30, 3000) };
                s.push_str(&format!(
                    r#"{{"timestamp":"{}","type":"response_item","payload":{{"type":"function_call_output","call_id":"call_{}","output":{}}}}}"#,
                    ts(t),
                    rng.hex(24),
                    jtext(rng, n as usize)
                ));
                s.push('\n');
            }
            let t = self.tick(rng);
            let n = rng.range(20, 400) as usize;
            s.push_str(&format!(
                r#"{{"timestamp":"{}","type":"response_item","payload":{{"type":"message","role":"assistant","content":[{{"type":"output_text","text":{}}}]}}}}"#,
                ts(t),
                jtext(rng, n)
            ));
            s.push('\n');
            let input = rng.range(500, 60_000);
            let last =
                CxUsage { input, cached: rng.range(0, input), output: rng.range(1, 3000), reasoning: 0 };
            let last = CxUsage { reasoning: rng.range(0, last.output), ..last };
            self.total.input += last.input;
            self.total.cached += last.cached;
            self.total.output += last.output;
            self.total.reasoning += last.reasoning;
            let t = self.tick(rng);
            let line = format!(
                r#"{{"timestamp":"{}","type":"event_msg","payload":{{"type":"token_count","info":{{"total_token_usage":{},"last_token_usage":{},"model_context_window":272000}},"rate_limits":{{"primary":{{"used_percent":{}.0,"window_minutes":299}}}}}}}}"#,
                ts(t),
                self.total.json(),
                last.json(),
                rng.below(100)
            );
            s.push_str(&line);
            s.push('\n');
            expect_add(
                exp,
                t,
                "codex",
                Sums {
                    input: last.input - last.cached,
                    cache_creation: 0,
                    cache_read: last.cached,
                    output: last.output,
                    reasoning: last.reasoning,
                },
            );
            if rng.chance(0.2) {
                // The same total again (a rate-limit update): no new request.
                let t = self.tick(rng);
                s.push_str(&format!(
                    r#"{{"timestamp":"{}","type":"event_msg","payload":{{"type":"token_count","info":{{"total_token_usage":{},"last_token_usage":{},"model_context_window":272000}},"rate_limits":null}}}}"#,
                    ts(t),
                    self.total.json(),
                    last.json(),
                ));
                s.push('\n');
            }
            if rng.chance(0.1) {
                let t = self.tick(rng);
                s.push_str(&format!(
                    r#"{{"timestamp":"{}","type":"event_msg","payload":{{"type":"token_count","info":null,"rate_limits":{{"primary":{{"used_percent":50.0}}}}}}}}"#,
                    ts(t)
                ));
                s.push('\n');
            }
        }
        s
    }
}

// ---------------------------------------------------------------------------------------------
// Homes

pub fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

pub fn append(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
    f.write_all(bytes).unwrap();
}

/// Every file below `dir`, sorted.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    if dir.exists() {
        walk(dir, &mut out);
    }
    out.sort();
    out
}

/// The shape of a generated home.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub projects: usize,
    pub claude_files: usize,
    pub codex_files: usize,
    /// Turns per file, ± half.
    pub turns: usize,
    /// Mean size of an ordinary tool output in a Claude user line.
    pub tool_bytes: usize,
    /// Chance that a Claude user line carries a big (20–120 KB) tool output.
    pub big_chance: f64,
}

/// A generated home: its files, the writers (to append more later) and the expected totals.
pub struct Built {
    pub claude: Vec<(PathBuf, ClaudeSession)>,
    pub codex: Vec<(PathBuf, CodexRollout)>,
    pub exp: Expected,
}

impl Built {
    pub fn paths(&self) -> Vec<PathBuf> {
        self.claude.iter().map(|c| c.0.clone()).chain(self.codex.iter().map(|c| c.0.clone())).collect()
    }
}

/// Generates a home (Claude sessions over `projects` projects, Codex rollouts, over five days
/// from 2026-03-01); returns every file's bytes without writing them.
pub fn generate(rng: &mut Rng, home: &Path, spec: Spec) -> (Built, Vec<(PathBuf, Vec<u8>)>) {
    let mut built = Built { claude: Vec::new(), codex: Vec::new(), exp: Expected::new() };
    let mut files = Vec::new();
    let turns = |rng: &mut Rng| rng.range((spec.turns / 2).max(1) as u64, (spec.turns * 3 / 2).max(1) as u64);
    for i in 0..spec.claude_files {
        let p = i % spec.projects.max(1);
        let start = T0_MS + rng.below(5 * 86_400_000) as i64;
        let mut s = ClaudeSession::new(rng, &format!("/home/dev/p{p}"), start);
        s.tool_bytes = spec.tool_bytes;
        s.big_chance = spec.big_chance;
        let n = turns(rng) as usize;
        let bytes = s.turns(rng, n, &mut built.exp).into_bytes();
        let path = claude_path(home, &format!("-home-dev-p{p}"), &s.session);
        files.push((path.clone(), bytes));
        built.claude.push((path, s));
    }
    for i in 0..spec.codex_files {
        let start = T0_MS + rng.below(5 * 86_400_000) as i64;
        let mut r = CodexRollout::new(rng, &format!("/home/dev/api{}", i % 3), start);
        let n = turns(rng) as usize;
        let bytes = (r.header(rng) + &r.turns(rng, n, &mut built.exp)).into_bytes();
        let path = r.path(home);
        files.push((path.clone(), bytes));
        built.codex.push((path, r));
    }
    (built, files)
}

/// [`generate`] and write the files.
pub fn build_home(rng: &mut Rng, home: &Path, spec: Spec) -> Built {
    let (built, files) = generate(rng, home, spec);
    for (p, b) in &files {
        write(p, b);
    }
    built
}

// ---------------------------------------------------------------------------------------------
// Running the binary

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_tokenworth")
}

/// `tokenworth <args> --data-dir <data> --timezone UTC` with HOME at the fake home and none of
/// the variables that would point it elsewhere.
pub fn cmd(home: &Path, data: &Path, args: &[&str]) -> Command {
    let mut c = cmd_raw(home, args);
    c.arg("--data-dir").arg(data).args(["--timezone", "UTC"]);
    c
}

/// `tokenworth <args>` with HOME at the fake home and none of the variables that would point it
/// elsewhere (no `--data-dir` or `--timezone` added).
pub fn cmd_raw(home: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.args(args)
        .env("HOME", home)
        .env_remove("CLAUDE_CONFIG_DIR")
        .env_remove("CODEX_HOME")
        .env_remove("TOKENWORTH_DATA_DIR")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .env_remove("TZ")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    c
}

pub fn stderr_of(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs and requires success and no panic.
pub fn run_ok(home: &Path, data: &Path, args: &[&str]) -> Output {
    let o = cmd(home, data, args).output().expect("run tokenworth");
    let err = stderr_of(&o);
    assert!(
        o.status.success(),
        "tokenworth {args:?} failed ({:?}):\n{err}\nstdout: {}",
        o.status,
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(!err.contains("panicked"), "tokenworth {args:?} panicked:\n{err}");
    o
}

pub fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)))
}

/// `tokenworth scan --json`.
pub fn scan(home: &Path, data: &Path) -> Value {
    json_of(&run_ok(home, data, &["scan", "--json"]))
}

/// `tokenworth daily --json` (scanning first unless `no_scan`).
pub fn daily(home: &Path, data: &Path, no_scan: bool) -> Value {
    let args: &[&str] = if no_scan { &["daily", "--json", "--no-scan"] } else { &["daily", "--json"] };
    json_of(&run_ok(home, data, args))
}

/// `tokenworth sources --json --no-scan`: per source id, (files, events, skipped_lines).
pub fn sources(home: &Path, data: &Path) -> BTreeMap<String, (u64, u64, u64)> {
    let v = json_of(&run_ok(home, data, &["sources", "--json", "--no-scan"]));
    v["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_string(),
                (
                    s["files"].as_u64().unwrap(),
                    s["events"].as_u64().unwrap(),
                    s["skipped_lines"].as_u64().unwrap(),
                ),
            )
        })
        .collect()
}

/// Waits for a child, killing it and failing the test if it is still running after `limit`
/// (a guard against a hang, not a timing assertion: the limits are far beyond normal runs).
pub fn wait_guarded(mut child: Child, limit: Duration, what: &str) -> Output {
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {limit:?}: hung");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Runs with piped output and the hang guard.
pub fn run_guarded(mut c: Command, limit: Duration, what: &str) -> Output {
    // Output goes to files so a chatty child never blocks on a full pipe while we poll.
    let dir = tempfile::tempdir().unwrap();
    let (out_p, err_p) = (dir.path().join("out"), dir.path().join("err"));
    let child = c
        .stdout(std::fs::File::create(&out_p).unwrap())
        .stderr(std::fs::File::create(&err_p).unwrap())
        .spawn()
        .unwrap();
    let o = wait_guarded(child, limit, what);
    Output {
        status: o.status,
        stdout: std::fs::read(&out_p).unwrap(),
        stderr: std::fs::read(&err_p).unwrap(),
    }
}

// ---------------------------------------------------------------------------------------------
// Looking inside the ledger

pub fn db_path(data: &Path) -> PathBuf {
    data.join("ledger.db")
}

/// Opens the ledger read-only (as a second process would), or None if it does not exist yet.
pub fn open_ro(data: &Path) -> Option<rusqlite::Connection> {
    let p = db_path(data);
    if !p.exists() {
        return None;
    }
    rusqlite::Connection::open_with_flags(p, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).ok()
}

/// Rows of `files` committed so far (0 while the ledger does not exist or has no schema yet).
pub fn committed_files(data: &Path) -> i64 {
    open_ro(data).and_then(|c| c.query_row("SELECT count(*) FROM files", [], |r| r.get(0)).ok()).unwrap_or(0)
}

/// The ledger is a sound SQLite file, and its rollup (kept by triggers) sums exactly to its
/// events.
pub fn assert_ledger_consistent(data: &Path, full_check: bool) {
    let Some(mut c) = open_ro(data) else { return };
    let pragma = if full_check { "PRAGMA integrity_check" } else { "PRAGMA quick_check" };
    // A scan killed while it created the ledger (before it switched to WAL) leaves a hot rollback
    // journal, which a read-only connection may not roll back (SQLITE_READONLY_ROLLBACK): check
    // what the next writer will see, on a copy that SQLite rolls back when it opens it.
    let _copy = match c.query_row(pragma, [], |r| r.get::<_, String>(0)) {
        Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::ReadOnly) => {
            let dir = tempfile::tempdir().unwrap();
            std::fs::copy(db_path(data), dir.path().join("ledger.db")).unwrap();
            for companion in ["ledger.db-journal", "ledger.db-wal"] {
                if data.join(companion).exists() {
                    std::fs::copy(data.join(companion), dir.path().join(companion)).unwrap();
                }
            }
            c = rusqlite::Connection::open(dir.path().join("ledger.db")).unwrap();
            Some(dir)
        }
        _ => None,
    };
    let check: String = c.query_row(pragma, [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok", "integrity of {}", db_path(data).display());
    let has_schema: i64 =
        c.query_row("SELECT count(*) FROM sqlite_master WHERE name = 'events'", [], |r| r.get(0)).unwrap();
    if has_schema == 0 {
        return;
    }
    let cols = "count(*), total(input), total(cw5m), total(cw1h), total(cache_read), total(output), total(reasoning)";
    let ev: (i64, f64, f64, f64, f64, f64, f64) = c
        .query_row(&format!("SELECT {cols} FROM events"), [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
        })
        .unwrap();
    let ro: (i64, f64, f64, f64, f64, f64, f64) = c
        .query_row(
            "SELECT coalesce(sum(requests), 0), total(input), total(cw5m), total(cw1h), total(cache_read), total(output), total(reasoning) FROM rollup",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
        )
        .unwrap();
    assert_eq!(ev, ro, "rollup out of step with events in {}", db_path(data).display());
}
