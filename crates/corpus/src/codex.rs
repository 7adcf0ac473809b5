//! Codex rollouts: `.codex/sessions/YYYY/MM/DD/rollout-…-<uuid>.jsonl` and
//! `.codex/archived_sessions/rollout-…-<uuid>.jsonl`.

use std::io::Write as _;

use anyhow::Result;
use chrono::{DateTime, Datelike, Timelike};

use crate::{
    claude::{find, insert_invalid_utf8},
    text::{base62, hex_id, push_json_str, push_ts, uuid_v7},
    Gen, Source, Tokens,
};

const MODELS: [&str; 3] = ["gpt-5", "gpt-5-codex", "gpt-5.1-codex"];
const MODEL_WEIGHTS: [u32; 3] = [3, 4, 3];
/// What a tracker reports for a rollout without a model.
const FALLBACK_MODEL: &str = "gpt-5";
const CLI_VERSIONS: [&str; 4] = ["0.39.0", "0.46.0", "0.58.0", "0.63.0"];
const PROJECTS: [&str; 6] = [
    "/home/dev/src/acme-api",
    "/home/dev/src/infra-tools",
    "/home/dev/work/billing-service",
    "/home/dev/src/codex-playground",
    "/home/dev/src/data-pipeline",
    "/home/dev/ml-experiments",
];
const PROMPTS: [&str; 6] = [
    "run the tests and fix what fails",
    "add a health check endpoint",
    "why is the nightly job slow? profile it",
    "port the bash deploy script to python",
    "rename the Order type to PurchaseOrder everywhere",
    "write a changelog entry for the last three commits",
];
const COMMANDS: [&str; 6] = [
    "cargo test",
    "rg -n \"fn main\" src",
    "sed -n '1,200p' src/lib.rs",
    "git log --oneline -20",
    "python -m pytest -q",
    "ls -R | head -100",
];
const CONTEXT_WINDOW: u64 = 272_000;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Archive {
    #[default]
    No,
    /// Only in `archived_sessions/`.
    Only,
    /// In `sessions/…` and an identical copy in `archived_sessions/`.
    Both,
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Spec {
    pub start_ms: i64,
    pub turns: u32,
    /// token_count events may be re-emitted with an unchanged total.
    pub reemit: bool,
    /// Contains `"info":null` token_count events.
    pub info_null: bool,
    /// Followed by a forked rollout replaying this one's history.
    pub fork: bool,
    pub archived: Archive,
    /// turn_context without model.
    pub no_model: bool,
    pub broken: bool,
    pub dense: bool,
    /// Make every enabled feature show up (fixed sessions).
    pub force: bool,
}

impl Spec {
    pub(crate) fn random_traps(g: &mut Gen) -> Spec {
        let t = g.cfg.traps;
        let r = g.rng.unit();
        Spec {
            reemit: t.codex_reemit,
            info_null: t.codex_info_null && g.rng.chance(0.6),
            fork: t.codex_fork && g.rng.chance(0.07),
            archived: if !t.codex_archived || r >= 0.14 {
                Archive::No
            } else if r < 0.10 {
                Archive::Only
            } else {
                Archive::Both
            },
            no_model: t.codex_no_model && g.rng.chance(0.04),
            broken: t.broken_lines && g.rng.chance(0.03),
            ..Default::default()
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct U4 {
    input: u64,
    cached: u64,
    output: u64,
    reasoning: u64,
}

impl U4 {
    fn plus(self, o: U4) -> U4 {
        U4 {
            input: self.input + o.input,
            cached: self.cached + o.cached,
            output: self.output + o.output,
            reasoning: self.reasoning + o.reasoning,
        }
    }

    fn write(&self, out: &mut Vec<u8>) {
        let _ = write!(
            out,
            "{{\"input_tokens\":{},\"cached_input_tokens\":{},\"output_tokens\":{},\"reasoning_output_tokens\":{},\"total_tokens\":{}}}",
            self.input,
            self.cached,
            self.output,
            self.reasoning,
            self.input + self.output
        );
    }

    fn tokens(&self) -> Tokens {
        Tokens {
            input: self.input - self.cached,
            cache_5m: 0,
            cache_1h: 0,
            cache_read: self.cached,
            output: self.output,
            reasoning: self.reasoning,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Meta,
    Other,
    /// A valid token_count with this cumulative total and the model in force.
    Token(U4, Option<&'static str>),
    Broken,
}

struct Rollout {
    id: String,
    start_ms: i64,
    cwd: &'static str,
    cli: &'static str,
    branch: &'static str,
    commit: String,
    /// `None`: turn_context carries no model.
    model: Option<&'static str>,
    t: i64,
    ctx: u64,
    fresh: u64,
    total: U4,
    last: U4,
    absorb: U4,
    buf: Vec<u8>,
    lines: Vec<(usize, usize, Kind)>,
    used: f64,
}

impl Rollout {
    fn new(g: &mut Gen, start_ms: i64, cwd: &'static str, no_model: bool) -> Rollout {
        Rollout {
            id: uuid_v7(&mut g.rng, start_ms),
            start_ms,
            cwd,
            cli: g.rng.pick(&CLI_VERSIONS),
            branch: g.rng.pick(&["main", "main", "codex/refactor", "feat/export"]),
            commit: hex_id(&mut g.rng, 40),
            model: (!no_model).then(|| MODELS[g.rng.weighted(&MODEL_WEIGHTS)]),
            t: start_ms,
            ctx: 0,
            fresh: g.rng.range(6_000, 12_000),
            total: U4::default(),
            last: U4::default(),
            absorb: U4::default(),
            buf: Vec::with_capacity(1 << 20),
            lines: Vec::new(),
            used: g.rng.range(0, 40) as f64,
        }
    }

    fn rel_path(&self, archived: bool) -> String {
        // Directory date and file-name time are local time (fixed UTC-5 here).
        let local = DateTime::from_timestamp_millis(self.start_ms - 5 * 3_600_000).expect("in range");
        let name = format!(
            "rollout-{:04}-{:02}-{:02}T{:02}-{:02}-{:02}-{}.jsonl",
            local.year(),
            local.month(),
            local.day(),
            local.hour(),
            local.minute(),
            local.second(),
            self.id
        );
        if archived {
            format!(".codex/archived_sessions/{name}")
        } else {
            format!(".codex/sessions/{:04}/{:02}/{:02}/{name}", local.year(), local.month(), local.day())
        }
    }

    fn begin(&mut self, kind: &str) -> usize {
        let start = self.buf.len();
        self.buf.extend_from_slice(b"{\"timestamp\":\"");
        push_ts(&mut self.buf, self.t);
        let _ = write!(self.buf, "\",\"type\":\"{kind}\",\"payload\":");
        start
    }

    fn finish(&mut self, start: usize, kind: Kind) {
        self.buf.extend_from_slice(b"}\n");
        self.lines.push((start, self.buf.len(), kind));
    }

    fn session_meta(&mut self, forked_from: Option<&str>) {
        let start = self.begin("session_meta");
        let _ = write!(self.buf, "{{\"id\":\"{}\"", self.id);
        if let Some(p) = forked_from {
            let _ = write!(self.buf, ",\"forked_from_id\":\"{p}\"");
        }
        self.buf.extend_from_slice(b",\"timestamp\":\"");
        push_ts(&mut self.buf, self.t);
        let name = self.cwd.rsplit('/').next().unwrap_or("repo");
        let _ = write!(
            self.buf,
            "\",\"cwd\":\"{}\",\"originator\":\"codex_cli_rs\",\"cli_version\":\"{}\",\"instructions\":null,\"source\":\"cli\",\"model_provider\":\"openai\",\"git\":{{\"commit_hash\":\"{}\",\"branch\":\"{}\",\"repository_url\":\"git@github.com:dev/{name}.git\"}}}}",
            self.cwd, self.cli, self.commit, self.branch
        );
        self.finish(start, Kind::Meta);
    }

    fn environment_context(&mut self) {
        let start = self.begin("response_item");
        let _ = write!(
            self.buf,
            "{{\"type\":\"message\",\"role\":\"user\",\"content\":[{{\"type\":\"input_text\",\"text\":\"<environment_context>\\n  <cwd>{}</cwd>\\n  <approval_policy>on-request</approval_policy>\\n  <sandbox_mode>workspace-write</sandbox_mode>\\n  <network_access>restricted</network_access>\\n  <shell>bash</shell>\\n</environment_context>\"}}]}}",
            self.cwd
        );
        self.finish(start, Kind::Other);
    }

    fn turn_context(&mut self) {
        let start = self.begin("turn_context");
        let _ = write!(
            self.buf,
            "{{\"cwd\":\"{}\",\"approval_policy\":\"on-request\",\"sandbox_policy\":{{\"mode\":\"workspace-write\",\"network_access\":false,\"exclude_tmpdir_env_var\":false,\"exclude_slash_tmp\":false}}",
            self.cwd
        );
        if let Some(m) = self.model {
            let _ = write!(self.buf, ",\"model\":\"{m}\"");
        }
        self.buf.extend_from_slice(b",\"effort\":\"medium\",\"summary\":\"auto\"}");
        self.finish(start, Kind::Other);
    }

    fn user(&mut self, g: &mut Gen) {
        let p = g.rng.pick(&PROMPTS);
        let start = self.begin("event_msg");
        self.buf.extend_from_slice(b"{\"type\":\"user_message\",\"message\":");
        push_json_str(&mut self.buf, p);
        self.buf.extend_from_slice(b",\"images\":[]}");
        self.finish(start, Kind::Other);
        let start = self.begin("response_item");
        self.buf.extend_from_slice(
            b"{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":",
        );
        push_json_str(&mut self.buf, p);
        self.buf.extend_from_slice(b"}]}");
        self.finish(start, Kind::Other);
        self.fresh += p.len() as u64 / 4 + 10;
    }

    fn reasoning(&mut self, g: &mut Gen) {
        self.t += g.rng.range(1_000, 20_000) as i64;
        let start = self.begin("response_item");
        self.buf.extend_from_slice(
            b"{\"type\":\"reasoning\",\"summary\":[{\"type\":\"summary_text\",\"text\":\"**Inspecting the failing module**\"}],\"content\":null,\"encrypted_content\":\"gAAAAA",
        );
        let n = g.rng.range(800, 6000) as usize;
        g.blob.append(&mut g.rng, &mut self.buf, n);
        self.buf.extend_from_slice(b"\"}");
        self.finish(start, Kind::Other);
        if g.rng.chance(0.5) {
            let start = self.begin("event_msg");
            self.buf.extend_from_slice(
                b"{\"type\":\"agent_reasoning\",\"text\":\"**Inspecting the failing module**\"}",
            );
            self.finish(start, Kind::Other);
        }
    }

    fn function_call(&mut self, g: &mut Gen) -> String {
        let call = base62(&mut g.rng, "call_", 24);
        let cmd = g.rng.pick(&COMMANDS);
        let mut cmd_json = Vec::new();
        push_json_str(&mut cmd_json, cmd);
        let args = format!(
            "{{\"command\":[\"bash\",\"-lc\",{}],\"workdir\":\"{}\",\"timeout_ms\":120000}}",
            String::from_utf8(cmd_json).expect("utf8"),
            self.cwd
        );
        let start = self.begin("response_item");
        self.buf.extend_from_slice(b"{\"type\":\"function_call\",\"name\":\"shell\",\"arguments\":");
        push_json_str(&mut self.buf, &args);
        let _ = write!(self.buf, ",\"call_id\":\"{call}\"}}");
        self.finish(start, Kind::Other);
        call
    }

    /// function_call_output line into `out`; returns the range of the output text.
    fn output_line(&self, g: &mut Gen, out: &mut Vec<u8>, call: &str, size: usize) -> (usize, usize) {
        out.extend_from_slice(b"{\"timestamp\":\"");
        push_ts(out, self.t);
        let _ = write!(
            out,
            "\",\"type\":\"response_item\",\"payload\":{{\"type\":\"function_call_output\",\"call_id\":\"{call}\",\"output\":\"Exit code: 0\\nWall time: {}.{} seconds\\nOutput:\\n",
            g.rng.below(20),
            g.rng.below(10)
        );
        let from = out.len();
        g.pool.append(&mut g.rng, out, size);
        let to = out.len();
        out.extend_from_slice(b"\"}}");
        (from, to)
    }

    fn function_output(&mut self, g: &mut Gen, call: &str) {
        self.t += g.rng.log_uniform(200, 90_000) as i64;
        let size = g.tool_output_size();
        let mut buf = std::mem::take(&mut self.buf);
        let start = buf.len();
        self.output_line(g, &mut buf, call, size);
        buf.push(b'\n');
        self.buf = buf;
        self.lines.push((start, self.buf.len(), Kind::Other));
        // Codex truncates tool output before it reaches the model
        self.fresh += size.min(40_000) as u64 / 4 + 20;
    }

    fn assistant_message(&mut self, g: &mut Gen) {
        self.t += g.rng.range(500, 15_000) as i64;
        let start = self.begin("response_item");
        self.buf.extend_from_slice(
            b"{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"",
        );
        let n = g.rng.range(200, 3000) as usize;
        g.pool.append(&mut g.rng, &mut self.buf, n);
        self.buf.extend_from_slice(b"\"}]}");
        self.finish(start, Kind::Other);
        let start = self.begin("event_msg");
        self.buf.extend_from_slice(b"{\"type\":\"agent_message\",\"message\":\"Done. All tests pass now.\"}");
        self.finish(start, Kind::Other);
    }

    fn rate_limits(&mut self, g: &mut Gen) {
        self.used = (self.used + g.rng.unit() * 2.0).min(100.0);
        let _ = write!(
            self.buf,
            "\"rate_limits\":{{\"primary\":{{\"used_percent\":{:.1},\"window_minutes\":300,\"resets_in_seconds\":{}}},\"secondary\":{{\"used_percent\":{:.1},\"window_minutes\":10080,\"resets_in_seconds\":{}}}}}",
            self.used,
            g.rng.range(60, 18_000),
            self.used / 4.0,
            g.rng.range(3_600, 600_000)
        );
    }

    /// Usage of the next model request.
    fn request(&mut self, g: &mut Gen) -> U4 {
        if self.ctx > 240_000 {
            self.ctx = g.rng.range(15_000, 30_000);
        }
        let input = self.ctx + std::mem::take(&mut self.fresh);
        let cached = if self.ctx == 0 || g.rng.chance(0.05) { 0 } else { self.ctx / 64 * 64 };
        let output = g.rng.log_uniform(20, 4000);
        let reasoning = (output as f64 * g.rng.unit() * 0.8) as u64;
        self.ctx = input + output;
        U4 { input, cached, output, reasoning }
    }

    fn token_line(&mut self, g: &mut Gen, total: U4, last: U4) -> usize {
        let start = self.begin("event_msg");
        self.buf.extend_from_slice(b"{\"type\":\"token_count\",\"info\":{\"total_token_usage\":");
        total.write(&mut self.buf);
        self.buf.extend_from_slice(b",\"last_token_usage\":");
        last.write(&mut self.buf);
        let _ = write!(self.buf, ",\"model_context_window\":{CONTEXT_WINDOW}}},");
        self.rate_limits(g);
        self.buf.push(b'}');
        start
    }

    /// A real token_count. With `truncate`, the line is cut (its usage then
    /// shows up in the next valid cumulative total).
    fn token_count(&mut self, g: &mut Gen, usage: U4, truncate: bool) {
        self.t += g.rng.range(50, 800) as i64;
        self.total = self.total.plus(usage);
        self.last = usage;
        let start = self.token_line(g, self.total, usage);
        if truncate {
            let cut =
                find(&self.buf[start..], b"\"last_token_usage\"").map_or(self.buf.len(), |p| start + p + 30);
            self.buf.truncate(cut);
            self.buf.push(b'\n');
            self.lines.push((start, self.buf.len(), Kind::Broken));
            self.absorb = self.absorb.plus(usage);
            g.broken_line(Source::Codex, "truncated");
        } else {
            self.finish(start, Kind::Token(self.total, self.model));
            let truth = self.absorb.plus(usage);
            self.absorb = U4::default();
            g.record(Source::Codex, self.t, self.model.unwrap_or(FALLBACK_MODEL), truth.tokens());
        }
    }

    /// Same cumulative total again, fresh timestamp, repeated last usage.
    fn reemit(&mut self, g: &mut Gen) {
        self.t += g.rng.range(300, 4000) as i64;
        let start = self.token_line(g, self.total, self.last);
        self.finish(start, Kind::Token(self.total, self.model));
        g.trap("codex_reemit", 1);
    }

    fn info_null(&mut self, g: &mut Gen) {
        self.t += g.rng.range(100, 2000) as i64;
        let start = self.begin("event_msg");
        self.buf.extend_from_slice(b"{\"type\":\"token_count\",\"info\":null,");
        self.rate_limits(g);
        self.buf.push(b'}');
        self.finish(start, Kind::Other);
        g.trap("codex_info_null", 1);
    }

    fn broken_other(&mut self, g: &mut Gen, kind: u64) {
        let mut tmp = Vec::with_capacity(8192);
        match kind {
            0 => {
                let size = g.rng.range(2000, 20_000) as usize;
                let (from, to) = self.output_line(g, &mut tmp, "call_TRUNCATED", size);
                let cut = from + g.rng.below((to - from) as u64) as usize;
                tmp.truncate(cut);
                g.broken_line(Source::Codex, "truncated");
            }
            1 => {
                g.garbage_line(&mut tmp, Source::Codex);
            }
            _ => {
                let size = g.rng.range(500, 8000) as usize;
                let (from, to) = self.output_line(g, &mut tmp, "call_LATIN1", size);
                insert_invalid_utf8(g, &mut tmp, from, to);
                g.broken_line(Source::Codex, "non_utf8");
            }
        }
        let start = self.buf.len();
        self.buf.extend_from_slice(&tmp);
        self.buf.push(b'\n');
        self.lines.push((start, self.buf.len(), Kind::Broken));
        self.t += 300;
    }
}

fn run_turns(g: &mut Gen, r: &mut Rollout, spec: &Spec, turns: u32) {
    let turns = turns.max(1);
    let broken_turn = spec.broken.then(|| g.rng.below(u64::from(turns)) as u32);
    // 0: truncated token_count, 1: truncated output, 2: garbage, 3: non-UTF-8
    let broken_kinds: Vec<u64> = if spec.force { vec![0, 1, 2, 3] } else { vec![g.rng.below(4)] };
    let mut force_reemit = spec.force && spec.reemit;
    for turn in 0..turns {
        if turn > 0 {
            r.t +=
                if spec.dense { g.rng.range(5_000, 60_000) } else { g.rng.log_uniform(10_000, 40 * 60_000) }
                    as i64;
            if r.model.is_some() && g.rng.chance(0.08) {
                r.model = Some(MODELS[g.rng.weighted(&MODEL_WEIGHTS)]);
            }
        }
        r.turn_context();
        r.user(g);
        let is_broken_turn = broken_turn == Some(turn);
        let steps = if spec.dense { g.rng.range(1, 2) } else { g.rng.range(1, 5) };
        for step in 0..steps {
            r.reasoning(g);
            let call = r.function_call(g);
            let usage = r.request(g);
            let truncate = is_broken_turn && step == 0 && broken_kinds.contains(&0);
            r.token_count(g, usage, truncate);
            if !truncate && spec.reemit && (force_reemit || g.rng.chance(0.3)) {
                force_reemit = false;
                r.reemit(g);
            }
            r.function_output(g, &call);
        }
        r.reasoning(g);
        r.assistant_message(g);
        let usage = r.request(g);
        r.token_count(g, usage, false);
        if spec.reemit && g.rng.chance(0.3) {
            r.reemit(g);
        }
        if spec.info_null && g.rng.chance(0.2) {
            r.info_null(g);
        }
        if is_broken_turn {
            for &k in broken_kinds.iter().filter(|&&k| k != 0) {
                r.broken_other(g, k - 1);
            }
        }
    }
}

pub(crate) fn session(g: &mut Gen, spec: Spec) -> Result<()> {
    let cwd = g.rng.pick(&PROJECTS);
    let mut r = Rollout::new(g, spec.start_ms, cwd, spec.no_model);
    r.session_meta(None);
    r.environment_context();
    if spec.info_null {
        r.info_null(g);
    }
    run_turns(g, &mut r, &spec, spec.turns);
    if spec.no_model {
        g.trap("codex_no_model", 1);
    }
    match spec.archived {
        Archive::No => g.out.write(&r.rel_path(false), &r.buf, Source::Codex)?,
        Archive::Only => {
            g.out.write(&r.rel_path(true), &r.buf, Source::Codex)?;
            g.trap("codex_archived", 1);
        }
        Archive::Both => {
            g.out.write(&r.rel_path(false), &r.buf, Source::Codex)?;
            g.out.write(&r.rel_path(true), &r.buf, Source::Codex)?;
            g.trap("codex_archived", 1);
        }
    }
    if spec.fork && !spec.no_model {
        fork(g, &r, &spec)?;
    }
    Ok(())
}

/// A forked rollout: own session_meta (with `forked_from_id`), the parent's
/// session_meta, the parent's history up to a token_count (original
/// timestamps and cumulative totals), then its own turns.
fn fork(g: &mut Gen, p: &Rollout, spec: &Spec) -> Result<()> {
    let cuts: Vec<usize> =
        p.lines.iter().enumerate().filter(|(_, l)| matches!(l.2, Kind::Token(..))).map(|(i, _)| i).collect();
    let Some(&last) = cuts.last() else {
        return Ok(());
    };
    let cut = if g.rng.chance(0.4) { last } else { g.rng.pick(&cuts) };
    let Kind::Token(baseline, model) = p.lines[cut].2 else { unreachable!("cut is a token line") };
    let start = p.t + g.rng.log_uniform(60_000, 10 * 3_600_000) as i64;
    let mut f = Rollout::new(g, start, p.cwd, false);
    f.cli = p.cli;
    f.branch = p.branch;
    f.commit = p.commit.clone();
    f.session_meta(Some(&p.id));
    let mut replayed = 0;
    for (i, &(from, to, kind)) in p.lines.iter().enumerate().take(cut + 1) {
        if kind == Kind::Broken || (i > 0 && kind == Kind::Meta) {
            continue;
        }
        let s = f.buf.len();
        f.buf.extend_from_slice(&p.buf[from..to]);
        f.lines.push((s, f.buf.len(), kind));
        if matches!(kind, Kind::Token(..)) {
            replayed += 1;
        }
    }
    g.trap("codex_fork", replayed);
    f.total = baseline;
    f.model = model.or(f.model);
    f.ctx = g.rng.range(20_000, 60_000);
    let own =
        Spec { fork: false, broken: false, force: false, archived: Archive::No, no_model: false, ..*spec };
    let turns = g.rng.range(1, 4) as u32;
    run_turns(g, &mut f, &own, turns);
    g.out.write(&f.rel_path(false), &f.buf, Source::Codex)
}
