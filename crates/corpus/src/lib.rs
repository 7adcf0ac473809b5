//! Writes a realistic fake `$HOME` full of Claude Code and Codex usage logs,
//! together with the token totals a correct tracker must report for it.
//!
//! The corpus is deterministic for a given [`Config`] (seeded splitmix64), is
//! written in compact JSON lines exactly as the tools write them, and contains a
//! set of switchable [`Traps`]: log quirks on which naïve trackers over- or
//! under-count. [`Expected`] holds the *true* numbers under Tokenworth's
//! normalisation contract:
//!
//! * Claude Code: one record per API response (dedupe key `message.id` +
//!   `requestId`, or `message.id` alone when there is no request id; keep the
//!   line with the largest `output_tokens`, and its timestamp; a sidechain copy
//!   of a non-sidechain message is not counted). input = `input_tokens`, cache
//!   writes from the `cache_creation` split (all of
//!   `cache_creation_input_tokens` is 5m when the split is absent), cache read =
//!   `cache_read_input_tokens`, output = `output_tokens`, reasoning = 0.
//!   `<synthetic>` lines count for nothing.
//! * Codex: per `token_count` event, the delta of the cumulative
//!   `total_token_usage` against the previous valid one in the same file
//!   (replayed fork history and re-emits contribute 0). input = `input_tokens` −
//!   `cached_input_tokens`, cache read = `cached_input_tokens`, output =
//!   `output_tokens` (reasoning included), reasoning = `reasoning_output_tokens`.
//!   A rollout without a model is reported as `gpt-5`.
//!
//! `total_tokens` = input + cache_creation + cache_read + output.

mod claude;
mod codex;
mod rng;
mod text;

use std::{
    collections::{BTreeMap, HashSet},
    fs,
    path::{Path, PathBuf},
};

use anyhow::{bail, Context as _, Result};
use chrono::{NaiveDate, TimeZone as _};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::{
    rng::Rng,
    text::{Blob, Pool},
};

/// Zones for which [`Expected`] holds per-day totals.
pub const ZONES: [&str; 5] =
    ["UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe"];

/// Source names as used in reports.
pub const CLAUDE: &str = "claude-code";
pub const CODEX: &str = "codex";

/// What to generate.
#[derive(Clone, Debug)]
pub struct Config {
    /// Approximate total size of the log files (the corpus ends at the first
    /// session boundary past this; tiny sizes are dominated by the fixed set of
    /// trap sessions).
    pub size_bytes: u64,
    pub seed: u64,
    /// First UTC day of activity.
    pub start: NaiveDate,
    /// Number of days with activity.
    pub days: u32,
    /// At most this many turns a random session (more, smaller files for a soak's 20,000 files;
    /// the draws are the same, so `None` keeps every seed's corpus as it was).
    pub max_turns: Option<u32>,
    pub traps: Traps,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            size_bytes: 50_000_000,
            seed: 1,
            start: NaiveDate::from_ymd_opt(2026, 2, 20).expect("valid date"),
            days: 60,
            max_turns: None,
            traps: Traps::default(),
        }
    }
}

/// One switch per log quirk; all on by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Traps {
    /// One Claude response written as 2–4 lines (same id+requestId, growing output).
    pub claude_multiline: bool,
    /// A resumed Claude session file that starts with copies of another session's lines.
    pub claude_resume_copy: bool,
    /// A subagent file replaying a parent message (same id, new requestId, isSidechain).
    pub claude_sidechain_replay: bool,
    /// `<synthetic>` assistant lines with zero usage.
    pub claude_synthetic: bool,
    /// Claude sessions without `requestId` (gateways).
    pub claude_no_request_id: bool,
    /// Codex `token_count` re-emitted with an unchanged cumulative total.
    pub codex_reemit: bool,
    /// Codex `token_count` with `"info":null`.
    pub codex_info_null: bool,
    /// Forked Codex rollouts replaying the parent's token history.
    pub codex_fork: bool,
    /// Rollouts in `archived_sessions/` (some also still in `sessions/`).
    pub codex_archived: bool,
    /// A rollout whose `turn_context` has no model.
    pub codex_no_model: bool,
    /// Truncated / binary / non-UTF-8 lines.
    pub broken_lines: bool,
}

impl Default for Traps {
    fn default() -> Self {
        Traps::all()
    }
}

impl Traps {
    pub const NAMES: [&'static str; 11] = [
        "claude_multiline",
        "claude_resume_copy",
        "claude_sidechain_replay",
        "claude_synthetic",
        "claude_no_request_id",
        "codex_reemit",
        "codex_info_null",
        "codex_fork",
        "codex_archived",
        "codex_no_model",
        "broken_lines",
    ];

    pub fn all() -> Traps {
        Traps::with(true)
    }

    pub fn none() -> Traps {
        Traps::with(false)
    }

    fn with(on: bool) -> Traps {
        Traps {
            claude_multiline: on,
            claude_resume_copy: on,
            claude_sidechain_replay: on,
            claude_synthetic: on,
            claude_no_request_id: on,
            codex_reemit: on,
            codex_info_null: on,
            codex_fork: on,
            codex_archived: on,
            codex_no_model: on,
            broken_lines: on,
        }
    }

    fn slot(&mut self, name: &str) -> Option<&mut bool> {
        Some(match name {
            "claude_multiline" => &mut self.claude_multiline,
            "claude_resume_copy" => &mut self.claude_resume_copy,
            "claude_sidechain_replay" => &mut self.claude_sidechain_replay,
            "claude_synthetic" => &mut self.claude_synthetic,
            "claude_no_request_id" => &mut self.claude_no_request_id,
            "codex_reemit" => &mut self.codex_reemit,
            "codex_info_null" => &mut self.codex_info_null,
            "codex_fork" => &mut self.codex_fork,
            "codex_archived" => &mut self.codex_archived,
            "codex_no_model" => &mut self.codex_no_model,
            "broken_lines" => &mut self.broken_lines,
            _ => return None,
        })
    }

    /// Whether the named trap is on (`None` for an unknown name).
    pub fn get(&self, name: &str) -> Option<bool> {
        let mut copy = *self;
        copy.slot(name).map(|b| *b)
    }

    /// Switches the named trap; errors on an unknown name.
    pub fn set(&mut self, name: &str, on: bool) -> Result<()> {
        match self.slot(name) {
            Some(slot) => {
                *slot = on;
                Ok(())
            }
            None => bail!("unknown trap {name:?}; known: {}", Traps::NAMES.join(", ")),
        }
    }
}

/// Token totals in report shape.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub input_tokens: u64,
    /// 5-minute + 1-hour cache writes.
    pub cache_creation_tokens: u64,
    pub cache_read_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_tokens: u64,
    /// input + cache_creation + cache_read + output.
    pub total_tokens: u64,
}

impl Totals {
    fn add(&mut self, t: &Tokens) {
        self.input_tokens += t.input;
        self.cache_creation_tokens += t.cache_5m + t.cache_1h;
        self.cache_read_tokens += t.cache_read;
        self.output_tokens += t.output;
        self.reasoning_tokens += t.reasoning;
        self.total_tokens += t.input + t.cache_5m + t.cache_1h + t.cache_read + t.output;
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayReport {
    /// Local date, `YYYY-MM-DD`.
    pub date: String,
    /// Source name → totals; only sources with usage that day.
    pub sources: BTreeMap<String, Totals>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneReport {
    /// Ascending; only days with usage.
    pub days: Vec<DayReport>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratorInfo {
    pub seed: u64,
    pub size_bytes: u64,
    /// `YYYY-MM-DD`
    pub start: String,
    pub days: u32,
    pub traps: Traps,
    /// Bytes of log files written (expected.json excluded).
    pub bytes_written: u64,
    /// Log files written (a file present in two places counts twice).
    pub files: u64,
}

/// The true numbers for a generated corpus (also written to `<home>/expected.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expected {
    pub generator: GeneratorInfo,
    /// Zone name (see [`ZONES`]) → per-day totals.
    pub zones: BTreeMap<String, ZoneReport>,
    /// Source → number of true usage records (deduplicated Claude responses,
    /// Codex token_count events with a non-zero delta).
    pub events: BTreeMap<String, u64>,
    /// Source → number of lines that are not valid UTF-8 JSON.
    pub skipped_lines: BTreeMap<String, u64>,
    /// Source → kind (`truncated`, `garbage`, `non_utf8`) → lines.
    pub broken_lines: BTreeMap<String, BTreeMap<String, u64>>,
    /// Source → totals over the whole corpus.
    pub totals: BTreeMap<String, Totals>,
    /// Model (as reported; Codex fallback `gpt-5`) → totals over the whole corpus.
    pub models: BTreeMap<String, Totals>,
    /// Trap name → number of trap lines written (informational).
    pub trap_lines: BTreeMap<String, u64>,
}

impl Expected {
    /// Totals of one source on one local date in one zone.
    pub fn day(&self, zone: &str, date: &str, source: &str) -> Option<&Totals> {
        self.zones.get(zone)?.days.iter().find(|d| d.date == date)?.sources.get(source)
    }

    /// Reads `<home>/expected.json`.
    pub fn load(home: &Path) -> Result<Expected> {
        let path = home.join("expected.json");
        let text = fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_slice(&text).with_context(|| format!("parsing {}", path.display()))
    }
}

/// Writes the corpus under `home` (creating it) and returns the expected totals,
/// also written to `<home>/expected.json`.
pub fn generate(cfg: &Config, home: &Path) -> Result<Expected> {
    if cfg.days == 0 {
        bail!("days must be at least 1");
    }
    fs::create_dir_all(home).with_context(|| format!("creating {}", home.display()))?;
    let mut g = Gen::new(cfg, home);
    g.run()?;
    let expected = g.finish();
    let mut json = serde_json::to_vec_pretty(&expected)?;
    json.push(b'\n');
    let path = home.join("expected.json");
    fs::write(&path, json).with_context(|| format!("writing {}", path.display()))?;
    Ok(expected)
}

// ---------------------------------------------------------------------------
// internals shared by the Claude and Codex writers

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Source {
    Claude = 0,
    Codex = 1,
}

impl Source {
    fn name(self) -> &'static str {
        match self {
            Source::Claude => CLAUDE,
            Source::Codex => CODEX,
        }
    }
}

/// Normalised tokens of one true record.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Tokens {
    pub input: u64,
    pub cache_5m: u64,
    pub cache_1h: u64,
    pub cache_read: u64,
    pub output: u64,
    pub reasoning: u64,
}

struct Event {
    ts_ms: i64,
    source: Source,
    model: &'static str,
    tokens: Tokens,
}

/// File writer that creates directories once and counts bytes.
pub(crate) struct Out {
    home: PathBuf,
    dirs: HashSet<PathBuf>,
    bytes: [u64; 2],
    files: u64,
}

impl Out {
    pub(crate) fn write(&mut self, rel: &str, data: &[u8], source: Source) -> Result<()> {
        debug_assert!(data.is_empty() || data.ends_with(b"\n"));
        let path = self.home.join(rel);
        if let Some(dir) = path.parent() {
            if !self.dirs.contains(dir) {
                fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
                self.dirs.insert(dir.to_path_buf());
            }
        }
        fs::write(&path, data).with_context(|| format!("writing {}", path.display()))?;
        self.bytes[source as usize] += data.len() as u64;
        self.files += 1;
        Ok(())
    }

    fn total(&self) -> u64 {
        self.bytes[0] + self.bytes[1]
    }
}

/// Generator state.
pub(crate) struct Gen<'a> {
    pub cfg: &'a Config,
    pub rng: Rng,
    pub pool: Pool,
    pub blob: Blob,
    pub out: Out,
    events: Vec<Event>,
    skipped: [u64; 2],
    broken: BTreeMap<(Source, &'static str), u64>,
    trap_lines: BTreeMap<&'static str, u64>,
    /// Largest single tool output in bytes.
    pub max_tool_bytes: u64,
    start_ms: i64,
}

pub(crate) const DAY_MS: i64 = 86_400_000;

impl<'a> Gen<'a> {
    fn new(cfg: &'a Config, home: &Path) -> Gen<'a> {
        let mut rng = Rng::new(cfg.seed);
        let pool = Pool::new(&mut rng, 3 << 20);
        let blob = Blob::new(&mut rng, 256 << 10);
        let start_ms = cfg.start.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc().timestamp_millis();
        Gen {
            cfg,
            rng,
            pool,
            blob,
            out: Out { home: home.to_path_buf(), dirs: HashSet::new(), bytes: [0; 2], files: 0 },
            events: Vec::new(),
            skipped: [0; 2],
            broken: BTreeMap::new(),
            trap_lines: BTreeMap::new(),
            max_tool_bytes: (cfg.size_bytes / 50).clamp(4 << 10, 1 << 20),
            start_ms,
        }
    }

    pub(crate) fn record(&mut self, source: Source, ts_ms: i64, model: &'static str, tokens: Tokens) {
        self.events.push(Event { ts_ms, source, model, tokens });
    }

    pub(crate) fn broken_line(&mut self, source: Source, kind: &'static str) {
        self.skipped[source as usize] += 1;
        *self.broken.entry((source, kind)).or_default() += 1;
        self.trap("broken_lines", 1);
    }

    /// Appends a line of garbage (NUL bytes or random bytes without a newline) to `line` and
    /// counts it as a broken line of `source`.
    pub(crate) fn garbage_line(&mut self, line: &mut Vec<u8>, source: Source) {
        let n = self.rng.range(64, 3000) as usize;
        if self.rng.chance(0.5) {
            line.resize(n, 0);
        } else {
            line.extend((0..n).map(|_| match self.rng.below(256) as u8 {
                b'\n' => 0xfe,
                b => b,
            }));
        }
        self.broken_line(source, "garbage");
    }

    pub(crate) fn trap(&mut self, name: &'static str, lines: u64) {
        *self.trap_lines.entry(name).or_default() += lines;
    }

    /// A uniformly random instant in the configured window.
    pub(crate) fn random_start(&mut self) -> i64 {
        self.start_ms
            + self.rng.below(u64::from(self.cfg.days)) as i64 * DAY_MS
            + self.rng.below(DAY_MS as u64) as i64
    }

    /// Some minutes before local midnight of `date` in `zone`.
    fn before_midnight(&mut self, zone: &str, date: NaiveDate) -> i64 {
        let tz: Tz = zone.parse().expect("known zone");
        let midnight = tz
            .from_local_datetime(&date.and_hms_opt(0, 0, 0).expect("valid"))
            .earliest()
            .expect("midnight exists in these zones")
            .timestamp_millis();
        midnight - self.rng.range(5 * 60_000, 45 * 60_000) as i64
    }

    /// Size of one tool output: mostly a few KB, sometimes up to `max_tool_bytes`.
    pub(crate) fn tool_output_size(&mut self) -> usize {
        let max = self.max_tool_bytes;
        let size = if self.rng.chance(0.96) {
            self.rng.log_uniform(150, 16_000.min(max))
        } else {
            self.rng.log_uniform(16_000.min(max), max)
        };
        size as usize
    }

    fn run(&mut self) -> Result<()> {
        let t = self.cfg.traps;
        // Fixed sessions first, so that every enabled trap occurs even in a tiny corpus.
        let s = self.random_start();
        claude::session(
            self,
            claude::Spec {
                start_ms: s,
                turns: 4,
                multiline: t.claude_multiline,
                resume: t.claude_resume_copy,
                replay: t.claude_sidechain_replay,
                synthetic: t.claude_synthetic,
                broken: t.broken_lines,
                force: true,
                ..Default::default()
            },
        )?;
        let s = self.random_start();
        claude::session(
            self,
            claude::Spec {
                start_ms: s,
                turns: 3,
                multiline: t.claude_multiline,
                gateway: t.claude_no_request_id,
                // a resumed gateway session: requestless copies in another file
                resume: t.claude_resume_copy,
                force: true,
                ..Default::default()
            },
        )?;
        let s = self.random_start();
        claude::session(
            self,
            claude::Spec { start_ms: s, turns: 3, config_dir: true, ..Default::default() },
        )?;
        let s = self.random_start();
        codex::session(
            self,
            codex::Spec {
                start_ms: s,
                turns: 3,
                reemit: t.codex_reemit,
                info_null: t.codex_info_null,
                fork: t.codex_fork,
                broken: t.broken_lines,
                force: true,
                ..Default::default()
            },
        )?;
        let s = self.random_start();
        codex::session(
            self,
            codex::Spec {
                start_ms: s,
                turns: 2,
                archived: if t.codex_archived { codex::Archive::Only } else { codex::Archive::No },
                no_model: t.codex_no_model,
                ..Default::default()
            },
        )?;
        let s = self.random_start();
        codex::session(
            self,
            codex::Spec {
                start_ms: s,
                turns: 2,
                archived: if t.codex_archived { codex::Archive::Both } else { codex::Archive::No },
                ..Default::default()
            },
        )?;
        // Sessions straddling local midnight in every zone, on DST switch days
        // where the window includes them.
        let end = self.cfg.start + chrono::Days::new(u64::from(self.cfg.days));
        for (i, zone) in ZONES.iter().enumerate() {
            let special = match *zone {
                "America/New_York" => NaiveDate::from_ymd_opt(2026, 3, 8),
                "Europe/Berlin" => NaiveDate::from_ymd_opt(2026, 3, 29),
                "Australia/Lord_Howe" => NaiveDate::from_ymd_opt(2026, 4, 5),
                _ => None,
            };
            let date = special.filter(|d| *d > self.cfg.start && *d < end).unwrap_or_else(|| {
                self.cfg.start + chrono::Days::new(1 + (i as u64 * 7) % u64::from(self.cfg.days))
            });
            let s = self.before_midnight(zone, date);
            let spec =
                claude::Spec { start_ms: s, turns: 3, dense: true, ..claude::Spec::random_traps(self) };
            claude::session(self, spec)?;
            let s = self.before_midnight(zone, date);
            let spec = codex::Spec { start_ms: s, turns: 3, dense: true, ..codex::Spec::random_traps(self) };
            codex::session(self, spec)?;
        }
        // Then random sessions until the size is reached (~62% Claude bytes).
        while self.out.total() < self.cfg.size_bytes {
            let near_midnight = self.rng.chance(0.12);
            let start = if near_midnight {
                let zone = self.rng.pick(&ZONES);
                let date = self.cfg.start + chrono::Days::new(1 + self.rng.below(u64::from(self.cfg.days)));
                self.before_midnight(zone, date)
            } else {
                self.random_start()
            };
            let turns =
                if self.rng.chance(0.7) { self.rng.range(2, 12) } else { self.rng.range(12, 45) } as u32;
            let turns = self.cfg.max_turns.map_or(turns, |m| turns.min(m.max(1)));
            if self.out.bytes[0] as f64 <= 0.62 * self.out.total() as f64 {
                let spec = claude::Spec {
                    start_ms: start,
                    turns,
                    dense: near_midnight,
                    config_dir: self.rng.chance(0.06),
                    ..claude::Spec::random_traps(self)
                };
                claude::session(self, spec)?;
            } else {
                let spec = codex::Spec {
                    start_ms: start,
                    turns,
                    dense: near_midnight,
                    ..codex::Spec::random_traps(self)
                };
                codex::session(self, spec)?;
            }
        }
        Ok(())
    }

    fn finish(self) -> Expected {
        let zones_tz: Vec<(&str, Tz)> =
            ZONES.iter().map(|z| (*z, z.parse::<Tz>().expect("known zone"))).collect();
        let mut per_zone: Vec<BTreeMap<NaiveDate, BTreeMap<String, Totals>>> =
            vec![BTreeMap::new(); ZONES.len()];
        let mut events = BTreeMap::new();
        let mut totals: BTreeMap<String, Totals> = BTreeMap::new();
        let mut models: BTreeMap<String, Totals> = BTreeMap::new();
        for source in [Source::Claude, Source::Codex] {
            events.insert(source.name().to_string(), 0u64);
            totals.insert(source.name().to_string(), Totals::default());
        }
        for ev in &self.events {
            let utc = chrono::DateTime::from_timestamp_millis(ev.ts_ms).expect("in range");
            for (i, (_, tz)) in zones_tz.iter().enumerate() {
                let date = utc.with_timezone(tz).date_naive();
                per_zone[i]
                    .entry(date)
                    .or_default()
                    .entry(ev.source.name().to_string())
                    .or_default()
                    .add(&ev.tokens);
            }
            *events.get_mut(ev.source.name()).expect("inserted") += 1;
            totals.get_mut(ev.source.name()).expect("inserted").add(&ev.tokens);
            models.entry(ev.model.to_string()).or_default().add(&ev.tokens);
        }
        let zones = zones_tz
            .iter()
            .zip(per_zone)
            .map(|((name, _), days)| {
                let days = days
                    .into_iter()
                    .map(|(date, sources)| DayReport { date: date.format("%Y-%m-%d").to_string(), sources })
                    .collect();
                (name.to_string(), ZoneReport { days })
            })
            .collect();
        let mut skipped_lines = BTreeMap::new();
        let mut broken_lines: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        for source in [Source::Claude, Source::Codex] {
            skipped_lines.insert(source.name().to_string(), self.skipped[source as usize]);
            broken_lines.insert(source.name().to_string(), BTreeMap::new());
        }
        for ((source, kind), n) in &self.broken {
            broken_lines.get_mut(source.name()).expect("inserted").insert(kind.to_string(), *n);
        }
        let mut trap_lines: BTreeMap<String, u64> = Traps::NAMES.iter().map(|n| (n.to_string(), 0)).collect();
        for (name, n) in &self.trap_lines {
            trap_lines.insert(name.to_string(), *n);
        }
        Expected {
            generator: GeneratorInfo {
                seed: self.cfg.seed,
                size_bytes: self.cfg.size_bytes,
                start: self.cfg.start.format("%Y-%m-%d").to_string(),
                days: self.cfg.days,
                traps: self.cfg.traps,
                bytes_written: self.out.total(),
                files: self.out.files,
            },
            zones,
            events,
            skipped_lines,
            broken_lines,
            totals,
            models,
            trap_lines,
        }
    }
}

/// Parses sizes such as `1GB`, `50MB`, `512KiB`, `1.5G`, `123` (bytes).
/// Decimal units are powers of 1000, `…iB` powers of 1024.
pub fn parse_size(s: &str) -> Result<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let num: f64 = num.parse().with_context(|| format!("bad size {s:?}"))?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        other => bail!("unknown size unit {other:?} in {s:?}"),
    };
    Ok((num * mult) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1GB").unwrap(), 1_000_000_000);
        assert_eq!(parse_size("50MB").unwrap(), 50_000_000);
        assert_eq!(parse_size("2MiB").unwrap(), 2 << 20);
        assert_eq!(parse_size("1.5g").unwrap(), 1_500_000_000);
        assert_eq!(parse_size("123").unwrap(), 123);
        assert!(parse_size("12 parsecs").is_err());
    }

    #[test]
    fn trap_names_round_trip() {
        let mut t = Traps::none();
        for name in Traps::NAMES {
            assert_eq!(t.get(name), Some(false));
            t.set(name, true).unwrap();
            assert_eq!(t.get(name), Some(true));
        }
        assert_eq!(t, Traps::all());
        assert!(t.set("nope", true).is_err());
    }
}
