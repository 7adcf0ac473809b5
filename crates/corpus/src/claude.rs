//! Claude Code transcripts: `projects/<encoded-cwd>/<sessionId>.jsonl` plus
//! `…/<sessionId>/subagents/agent-<id>.jsonl`.

use std::io::Write as _;

use anyhow::Result;

use crate::{
    text::{base62, hex_id, push_json_str, push_ts, uuid_v4},
    Gen, Source, Tokens,
};

/// Main-conversation models (weights below).
const MODELS: [&str; 3] =
    ["claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805", "claude-opus-4-5-20251101"];
const MODEL_WEIGHTS: [u32; 3] = [6, 1, 2];
const HAIKU: &str = "claude-haiku-4-5-20251001";
const SYNTHETIC: &str = "<synthetic>";

/// Versions; the 1.0 one writes no `cache_creation` split object.
const VERSIONS: [&str; 5] = ["1.0.128", "2.0.14", "2.0.31", "2.0.50", "2.0.76"];
const BRANCHES: [&str; 5] = ["main", "main", "feature/ledger", "fix/flaky-test", "dev"];
const PROJECTS: [&str; 8] = [
    "/home/dev/src/acme-api",
    "/home/dev/src/web-frontend",
    "/home/dev/src/infra-tools",
    "/home/dev/src/data-pipeline",
    "/home/dev/work/billing-service",
    "/home/dev/work/mobile-app",
    "/home/dev/src/docs-site",
    "/home/dev/ml-experiments",
];
/// Projects found under `~/.config/claude/projects/`.
const CONFIG_PROJECTS: [&str; 2] = ["/home/dev/legacy-scripts", "/home/dev/dotfiles"];

const PROMPTS: [&str; 10] = [
    "fix the failing test in the parser module",
    "add pagination to the list endpoint and update the docs",
    "why does the build fail on CI but not locally?",
    "refactor the retry logic into its own module, keep behaviour identical",
    "write integration tests for the invoice export",
    "explain what this function does and suggest a simpler version",
    "bump the dependencies and fix whatever breaks",
    "the dashboard shows \"NaN\" for empty days — find out why",
    "add a --dry-run flag to the migrate command",
    "review my last commit for bugs",
];
const COMMANDS: [&str; 8] = [
    "cargo test --workspace",
    "npm run build",
    "git status && git diff --stat",
    "ls -la src",
    "pytest -x -q tests/",
    "rg -n 'TODO' src",
    "cargo clippy --all-targets",
    "docker compose logs api --tail 200",
];

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Spec {
    pub start_ms: i64,
    pub turns: u32,
    /// Responses may be written as several lines.
    pub multiline: bool,
    /// Follow with a resumed session whose file starts with copies of this one.
    pub resume: bool,
    /// One subagent file replays a parent message.
    pub replay: bool,
    /// Contains `<synthetic>` lines.
    pub synthetic: bool,
    /// No `requestId` anywhere.
    pub gateway: bool,
    /// Contains broken lines.
    pub broken: bool,
    /// Lives under `~/.config/claude/projects/`.
    pub config_dir: bool,
    /// Short gaps between turns (for sessions placed just before midnight).
    pub dense: bool,
    /// Make sure every enabled feature above actually shows up (fixed sessions).
    pub force: bool,
}

impl Spec {
    pub(crate) fn random_traps(g: &mut Gen) -> Spec {
        let t = g.cfg.traps;
        Spec {
            multiline: t.claude_multiline,
            resume: t.claude_resume_copy && g.rng.chance(0.06),
            replay: t.claude_sidechain_replay && g.rng.chance(0.12),
            synthetic: t.claude_synthetic && g.rng.chance(0.08),
            gateway: t.claude_no_request_id && g.rng.chance(0.05),
            broken: t.broken_lines && g.rng.chance(0.03),
            ..Default::default()
        }
    }
}

/// Usage of one response as written in the log.
#[derive(Clone, Copy, Debug, Default)]
struct Usage {
    input: u64,
    cw5: u64,
    cw1h: u64,
    cr: u64,
    out: u64,
}

#[derive(Clone, Debug)]
struct Resp {
    msg_id: String,
    model: &'static str,
    usage: Usage,
}

enum Content<'x> {
    Thinking(usize),
    Text(usize),
    Tool { id: &'x str, name: &'x str },
    Raw(&'x str),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Tool,
    Task,
    Text,
}

struct Sess {
    id: String,
    cwd: &'static str,
    /// File path relative to home, without `.jsonl`.
    dir: String,
    branch: &'static str,
    version: &'static str,
    split: bool,
    /// 0: 5m writes only, 1: mixed, 2: 1h only.
    one_hour: u8,
    sidechain: bool,
    agent_id: Option<String>,
    gateway: bool,
    model: &'static str,
    t: i64,
    parent: Option<String>,
    ctx: u64,
    fresh: u64,
    buf: Vec<u8>,
    /// (start, end incl. newline, copyable)
    lines: Vec<(usize, usize, bool)>,
    deferred: Vec<(u32, Vec<u8>)>,
    responses: Vec<Resp>,
    multiline: bool,
    /// Context size that triggers auto-compaction (a few sessions use 1M-context models).
    limit: u64,
    /// Forced multi-line responses still to write (2: defer the max line, 1: defer the first).
    force_multi: u8,
}

fn encode_cwd(cwd: &str) -> String {
    cwd.replace('/', "-")
}

impl Sess {
    fn new(g: &mut Gen, spec: &Spec, cwd: &'static str, config_dir: bool) -> Sess {
        let version = g.rng.pick(&VERSIONS);
        // A few sessions use a 1M-context model and start from a large context,
        // so some requests exceed 200K input tokens (long-context pricing).
        let long_context = g.rng.chance(0.06);
        let root = if config_dir { ".config/claude/projects" } else { ".claude/projects" };
        Sess {
            id: uuid_v4(&mut g.rng),
            cwd,
            dir: format!("{root}/{}", encode_cwd(cwd)),
            branch: g.rng.pick(&BRANCHES),
            version,
            split: !version.starts_with("1."),
            one_hour: [0u8, 0, 0, 0, 0, 0, 0, 1, 2, 2][g.rng.below(10) as usize],
            sidechain: false,
            agent_id: None,
            gateway: spec.gateway,
            model: MODELS[g.rng.weighted(&MODEL_WEIGHTS)],
            t: spec.start_ms,
            parent: None,
            ctx: 0,
            fresh: if long_context { g.rng.range(90_000, 190_000) } else { g.rng.range(9_000, 16_000) },
            buf: Vec::with_capacity(1 << 20),
            lines: Vec::new(),
            deferred: Vec::new(),
            responses: Vec::new(),
            multiline: spec.multiline,
            limit: if long_context { g.rng.range(300_000, 600_000) } else { g.rng.range(150_000, 165_000) },
            force_multi: if spec.force && spec.multiline { 2 } else { 0 },
        }
    }

    fn rel_path(&self) -> String {
        match &self.agent_id {
            Some(a) => format!("{}/{}/subagents/agent-{a}.jsonl", self.dir, self.id),
            None => format!("{}/{}.jsonl", self.dir, self.id),
        }
    }

    /// Common leading fields of user/assistant/system lines.
    fn head(&self, out: &mut Vec<u8>, parent: Option<&str>) {
        out.extend_from_slice(b"{\"parentUuid\":");
        match parent {
            Some(p) => push_json_str(out, p),
            None => out.extend_from_slice(b"null"),
        }
        let _ = write!(
            out,
            ",\"isSidechain\":{},\"userType\":\"external\",\"cwd\":\"{}\",\"sessionId\":\"{}\",\"version\":\"{}\",\"gitBranch\":\"{}\"",
            self.sidechain, self.cwd, self.id, self.version, self.branch
        );
        if let Some(a) = &self.agent_id {
            let _ = write!(out, ",\"agentId\":\"{a}\"");
        }
    }

    /// Appends a finished line (without newline) from `self.buf[start..]`.
    fn finish(&mut self, start: usize, copyable: bool) {
        self.buf.push(b'\n');
        self.lines.push((start, self.buf.len(), copyable));
        if self.deferred.is_empty() {
            return;
        }
        let mut due = Vec::new();
        for d in &mut self.deferred {
            d.0 -= 1;
            if d.0 == 0 {
                due.push(std::mem::take(&mut d.1));
            }
        }
        self.deferred.retain(|d| d.0 > 0);
        for line in due {
            self.push_raw(&line, true);
        }
    }

    fn push_raw(&mut self, line: &[u8], copyable: bool) {
        let start = self.buf.len();
        self.buf.extend_from_slice(line);
        self.buf.push(b'\n');
        self.lines.push((start, self.buf.len(), copyable));
    }

    fn flush_deferred(&mut self) {
        for (_, line) in std::mem::take(&mut self.deferred) {
            self.push_raw(&line, true);
        }
    }

    fn next_uuid(&mut self, g: &mut Gen) -> (String, Option<String>) {
        let u = uuid_v4(&mut g.rng);
        let parent = self.parent.replace(u.clone());
        (u, parent)
    }

    #[allow(clippy::too_many_arguments)]
    fn assistant_line(
        &self,
        g: &mut Gen,
        out: &mut Vec<u8>,
        parent: Option<&str>,
        uuid: &str,
        ts: i64,
        msg_id: &str,
        req_id: Option<&str>,
        model: &str,
        content: &Content,
        stop: Option<&str>,
        usage: &Usage,
        api_error: bool,
    ) {
        self.head(out, parent);
        let _ = write!(
            out,
            ",\"message\":{{\"id\":\"{msg_id}\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"{model}\",\"content\":["
        );
        match content {
            Content::Thinking(len) => {
                out.extend_from_slice(b"{\"type\":\"thinking\",\"thinking\":\"");
                g.pool.append(&mut g.rng, out, *len);
                out.extend_from_slice(b"\",\"signature\":\"");
                let n = g.rng.range(200, 900) as usize;
                g.blob.append(&mut g.rng, out, n);
                out.extend_from_slice(b"\"}");
            }
            Content::Text(len) => {
                out.extend_from_slice(b"{\"type\":\"text\",\"text\":\"");
                g.pool.append(&mut g.rng, out, *len);
                out.extend_from_slice(b"\"}");
            }
            Content::Raw(text) => {
                out.extend_from_slice(b"{\"type\":\"text\",\"text\":");
                push_json_str(out, text);
                out.push(b'}');
            }
            Content::Tool { id, name } => {
                let _ = write!(out, "{{\"type\":\"tool_use\",\"id\":\"{id}\",\"name\":\"{name}\",\"input\":");
                match *name {
                    "Bash" => {
                        let cmd = g.rng.pick(&COMMANDS);
                        out.extend_from_slice(b"{\"command\":");
                        push_json_str(out, cmd);
                        out.extend_from_slice(b",\"description\":\"Run the command\"}");
                    }
                    "Read" => {
                        let _ = write!(
                            out,
                            "{{\"file_path\":\"{}/src/module_{}.rs\"}}",
                            self.cwd,
                            g.rng.below(40)
                        );
                    }
                    "Edit" => {
                        let _ = write!(
                            out,
                            "{{\"file_path\":\"{}/src/module_{}.rs\",\"old_string\":\"",
                            self.cwd,
                            g.rng.below(40)
                        );
                        let n = g.rng.range(40, 1500) as usize;
                        g.pool.append(&mut g.rng, out, n);
                        out.extend_from_slice(b"\",\"new_string\":\"");
                        let n = g.rng.range(40, 2500) as usize;
                        g.pool.append(&mut g.rng, out, n);
                        out.extend_from_slice(b"\"}");
                    }
                    "Task" => {
                        out.extend_from_slice(b"{\"description\":\"Investigate the failure\",\"prompt\":\"Find where the totals diverge and report file:line.\",\"subagent_type\":\"general-purpose\"}");
                    }
                    _ => {
                        let _ = write!(
                            out,
                            "{{\"pattern\":\"fn handle_\",\"path\":\"{}\",\"output_mode\":\"content\"}}",
                            self.cwd
                        );
                    }
                }
                out.push(b'}');
            }
        }
        out.extend_from_slice(b"],\"stop_reason\":");
        match stop {
            Some(s) => {
                let _ = write!(out, "\"{s}\"");
            }
            None => out.extend_from_slice(b"null"),
        }
        let _ = write!(
            out,
            ",\"stop_sequence\":null,\"usage\":{{\"input_tokens\":{},\"cache_creation_input_tokens\":{},\"cache_read_input_tokens\":{}",
            usage.input,
            usage.cw5 + usage.cw1h,
            usage.cr
        );
        if self.split {
            let _ = write!(
                out,
                ",\"cache_creation\":{{\"ephemeral_5m_input_tokens\":{},\"ephemeral_1h_input_tokens\":{}}}",
                usage.cw5, usage.cw1h
            );
        }
        let _ = write!(out, ",\"output_tokens\":{}", usage.out);
        if model != SYNTHETIC {
            out.extend_from_slice(b",\"service_tier\":\"standard\"");
        }
        out.extend_from_slice(b"}}");
        if let Some(r) = req_id {
            let _ = write!(out, ",\"requestId\":\"{r}\"");
        }
        if api_error {
            out.extend_from_slice(b",\"isApiErrorMessage\":true");
        }
        let _ = write!(out, ",\"type\":\"assistant\",\"uuid\":\"{uuid}\",\"timestamp\":\"");
        push_ts(out, ts);
        out.extend_from_slice(b"\"}");
    }

    /// Writes one API response (1–4 lines) and records its true usage.
    /// Returns the tool_use id when `kind` is a tool call.
    fn response(&mut self, g: &mut Gen, kind: Kind) -> Option<String> {
        if self.ctx + self.fresh > self.limit {
            self.compact(g);
        }
        let model = if !self.sidechain && g.rng.chance(0.04) { HAIKU } else { self.model };
        let new = std::mem::take(&mut self.fresh);
        let (cr, cw) =
            if self.ctx == 0 || g.rng.chance(0.03) { (0, self.ctx + new) } else { (self.ctx, new) };
        let input = if g.rng.chance(0.9) { g.rng.range(1, 12) } else { g.rng.range(13, 3000) };
        let out_final = match kind {
            Kind::Text => g.rng.log_uniform(30, 3000),
            _ => g.rng.log_uniform(12, 1200),
        };
        let (cw5, cw1h) = match self.one_hour {
            0 => (cw, 0),
            2 => (0, cw),
            _ => {
                let h = g.rng.below(cw + 1);
                (cw - h, h)
            }
        };
        let usage = Usage { input, cw5, cw1h, cr, out: out_final };
        self.ctx = cr + cw + input + out_final;

        let forced = self.force_multi > 0;
        let n = if forced || (self.multiline && g.rng.chance(0.3)) { g.rng.range(2, 4) as usize } else { 1 };
        let deferred_idx = if n >= 2 {
            match self.force_multi {
                2 => Some(n - 1),
                1 => Some(0),
                _ if g.rng.chance(0.15) => Some(if g.rng.chance(0.5) { n - 1 } else { 0 }),
                _ => None,
            }
        } else {
            None
        };
        if forced {
            self.force_multi -= 1;
        }
        let msg_id = base62(&mut g.rng, "msg_01", 22);
        let req_id = (!self.gateway).then(|| base62(&mut g.rng, "req_011C", 21));
        let tool_id = (kind != Kind::Text).then(|| base62(&mut g.rng, "toolu_01", 22));
        let tool_name = match kind {
            Kind::Task => "Task",
            _ => g.rng.pick(&["Bash", "Bash", "Read", "Read", "Edit", "Grep"]),
        };
        let mut ts = self.t;
        for i in 0..n {
            if i > 0 {
                ts += g.rng.range(80, 1500) as i64;
            }
            let last = i == n - 1;
            let content = if last {
                match &tool_id {
                    Some(id) => Content::Tool { id, name: tool_name },
                    None => Content::Text(g.rng.range(100, 2500) as usize),
                }
            } else if i == 0 && n >= 3 {
                Content::Thinking(g.rng.range(200, 3000) as usize)
            } else {
                Content::Text(g.rng.range(40, 600) as usize)
            };
            let out_i = if last { out_final } else { 1 + (out_final - 1) * (i as u64 + 1) / (2 * n as u64) };
            let stop =
                if last { Some(if tool_id.is_some() { "tool_use" } else { "end_turn" }) } else { None };
            let (uuid, parent) = self.next_uuid(g);
            let mut line_usage = usage;
            line_usage.out = out_i;
            if deferred_idx == Some(i) {
                let mut tmp = Vec::with_capacity(4096);
                self.assistant_line(
                    g,
                    &mut tmp,
                    parent.as_deref(),
                    &uuid,
                    ts,
                    &msg_id,
                    req_id.as_deref(),
                    model,
                    &content,
                    stop,
                    &line_usage,
                    false,
                );
                self.deferred.push((g.rng.range(1, 3) as u32, tmp));
            } else {
                let mut buf = std::mem::take(&mut self.buf);
                let start = buf.len();
                self.assistant_line(
                    g,
                    &mut buf,
                    parent.as_deref(),
                    &uuid,
                    ts,
                    &msg_id,
                    req_id.as_deref(),
                    model,
                    &content,
                    stop,
                    &line_usage,
                    false,
                );
                self.buf = buf;
                self.finish(start, true);
            }
        }
        g.record(
            Source::Claude,
            ts,
            model,
            Tokens { input, cache_5m: cw5, cache_1h: cw1h, cache_read: cr, output: out_final, reasoning: 0 },
        );
        if n >= 2 {
            g.trap("claude_multiline", n as u64 - 1);
        }
        if self.gateway {
            g.trap("claude_no_request_id", n as u64);
        }
        self.responses.push(Resp { msg_id, model, usage });
        self.t = ts + g.rng.range(200, 3000) as i64;
        tool_id
    }

    /// A tool_result user line into `out`; returns the byte range of the output text.
    #[allow(clippy::too_many_arguments)]
    fn tool_result_line(
        &self,
        g: &mut Gen,
        out: &mut Vec<u8>,
        parent: Option<&str>,
        uuid: &str,
        ts: i64,
        tool_id: &str,
        size: usize,
        duplicate: bool,
    ) -> (usize, usize) {
        self.head(out, parent);
        let _ = write!(
            out,
            ",\"type\":\"user\",\"message\":{{\"role\":\"user\",\"content\":[{{\"tool_use_id\":\"{tool_id}\",\"type\":\"tool_result\",\"content\":\""
        );
        let from = out.len();
        g.pool.append(&mut g.rng, out, size);
        let to = out.len();
        let _ = write!(out, "\",\"is_error\":false}}]}},\"uuid\":\"{uuid}\",\"timestamp\":\"");
        push_ts(out, ts);
        out.push(b'"');
        if duplicate {
            out.extend_from_slice(b",\"toolUseResult\":{\"stdout\":\"");
            out.extend_from_within(from..to);
            out.extend_from_slice(b"\",\"stderr\":\"\",\"interrupted\":false,\"isImage\":false}");
        }
        out.push(b'}');
        (from, to)
    }

    fn tool_result(&mut self, g: &mut Gen, tool_id: &str) {
        self.t += g.rng.log_uniform(300, 60_000) as i64;
        let size = g.tool_output_size();
        let duplicate = g.rng.chance(0.5);
        let (uuid, parent) = self.next_uuid(g);
        let mut buf = std::mem::take(&mut self.buf);
        let start = buf.len();
        self.tool_result_line(g, &mut buf, parent.as_deref(), &uuid, self.t, tool_id, size, duplicate);
        self.buf = buf;
        self.finish(start, true);
        // Claude Code truncates what it sends back to the model
        self.fresh += size.min(100_000) as u64 / 4 + 30;
        self.t += g.rng.range(100, 1500) as i64;
    }

    fn prompt(&mut self, g: &mut Gen, text: Option<&str>) {
        let (uuid, parent) = self.next_uuid(g);
        let start = self.buf.len();
        let mut buf = std::mem::take(&mut self.buf);
        self.head(&mut buf, parent.as_deref());
        buf.extend_from_slice(b",\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":");
        let mut len = 0;
        match text {
            Some(t) => push_json_str(&mut buf, t),
            None if g.rng.chance(0.15) => {
                buf.push(b'"');
                let n = g.rng.log_uniform(1000, 20_000) as usize;
                let s = buf.len();
                g.pool.append(&mut g.rng, &mut buf, n);
                len = buf.len() - s;
                buf.push(b'"');
            }
            None => {
                let p = g.rng.pick(&PROMPTS);
                len = p.len();
                push_json_str(&mut buf, p);
            }
        }
        let _ = write!(buf, "}},\"uuid\":\"{uuid}\",\"timestamp\":\"");
        push_ts(&mut buf, self.t);
        buf.extend_from_slice(b"\"}");
        self.buf = buf;
        self.finish(start, true);
        self.fresh += len as u64 / 4 + 20;
        if !self.sidechain && g.rng.chance(0.4) {
            let id = uuid_v4(&mut g.rng);
            let start = self.buf.len();
            let _ = write!(
                self.buf,
                "{{\"type\":\"file-history-snapshot\",\"messageId\":\"{id}\",\"snapshot\":{{\"messageId\":\"{id}\",\"trackedFileBackups\":{{}},\"timestamp\":\""
            );
            push_ts(&mut self.buf, self.t);
            self.buf.extend_from_slice(b"\"},\"isSnapshotUpdate\":false}");
            self.finish(start, true);
        }
        self.t += g.rng.range(1500, 9000) as i64;
    }

    fn summary(&mut self, g: &mut Gen) {
        let leaf = uuid_v4(&mut g.rng);
        let start = self.buf.len();
        let _ = write!(
            self.buf,
            "{{\"type\":\"summary\",\"summary\":\"Fix totals in the daily report\",\"leafUuid\":\"{leaf}\"}}"
        );
        self.finish(start, true);
    }

    fn compact(&mut self, g: &mut Gen) {
        let uuid = uuid_v4(&mut g.rng);
        let start = self.buf.len();
        let mut buf = std::mem::take(&mut self.buf);
        self.head(&mut buf, None);
        let _ = write!(
            buf,
            ",\"type\":\"system\",\"subtype\":\"compact_boundary\",\"content\":\"Conversation compacted\",\"isMeta\":false,\"timestamp\":\""
        );
        push_ts(&mut buf, self.t);
        let _ = write!(
            buf,
            "\",\"uuid\":\"{uuid}\",\"level\":\"info\",\"compactMetadata\":{{\"trigger\":\"auto\",\"preTokens\":{}}}}}",
            self.ctx
        );
        self.buf = buf;
        self.finish(start, true);
        self.parent = Some(uuid);
        self.ctx = 0;
        self.fresh = g.rng.range(15_000, 30_000);
        self.t += 20_000;
    }

    fn synthetic(&mut self, g: &mut Gen) {
        let api_error = g.rng.chance(0.5);
        let text = if api_error {
            "API Error: 529 {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"
        } else {
            "No response requested."
        };
        let (uuid, parent) = self.next_uuid(g);
        let msg_id = uuid_v4(&mut g.rng);
        let mut buf = std::mem::take(&mut self.buf);
        let start = buf.len();
        self.assistant_line(
            g,
            &mut buf,
            parent.as_deref(),
            &uuid,
            self.t,
            &msg_id,
            None,
            SYNTHETIC,
            &Content::Raw(text),
            Some("stop_sequence"),
            &Usage::default(),
            api_error,
        );
        self.buf = buf;
        self.finish(start, true);
        g.trap("claude_synthetic", 1);
        self.t += 1000;
    }

    fn broken(&mut self, g: &mut Gen, all: bool) {
        let kinds: Vec<u64> = if all { vec![0, 1, 2, 3] } else { vec![g.rng.below(4)] };
        for kind in kinds {
            let mut tmp = Vec::with_capacity(8192);
            let uuid = uuid_v4(&mut g.rng);
            let parent = self.parent.clone();
            match kind {
                0 => {
                    // a response line cut inside its usage object: that response is lost
                    let msg_id = base62(&mut g.rng, "msg_01", 22);
                    let req_id = (!self.gateway).then(|| base62(&mut g.rng, "req_011C", 21));
                    let usage = Usage { input: 5, cw5: 700, cw1h: 0, cr: self.ctx, out: 321 };
                    self.assistant_line(
                        g,
                        &mut tmp,
                        parent.as_deref(),
                        &uuid,
                        self.t,
                        &msg_id,
                        req_id.as_deref(),
                        self.model,
                        &Content::Text(300),
                        Some("end_turn"),
                        &usage,
                        false,
                    );
                    let cut = find(&tmp, b"\"cache_read_input_tokens\"").unwrap_or(tmp.len() / 2);
                    tmp.truncate(cut);
                    g.broken_line(Source::Claude, "truncated");
                }
                1 => {
                    let size = g.rng.range(2000, 20_000) as usize;
                    let (from, to) = self.tool_result_line(
                        g,
                        &mut tmp,
                        parent.as_deref(),
                        &uuid,
                        self.t,
                        "toolu_01TRUNCATED",
                        size,
                        false,
                    );
                    let cut = from + g.rng.below((to - from) as u64) as usize;
                    tmp.truncate(cut);
                    g.broken_line(Source::Claude, "truncated");
                }
                2 => {
                    g.garbage_line(&mut tmp, Source::Claude);
                }
                _ => {
                    let size = g.rng.range(500, 8000) as usize;
                    let (from, to) = self.tool_result_line(
                        g,
                        &mut tmp,
                        parent.as_deref(),
                        &uuid,
                        self.t,
                        "toolu_01LATIN1",
                        size,
                        false,
                    );
                    insert_invalid_utf8(g, &mut tmp, from, to);
                    g.broken_line(Source::Claude, "non_utf8");
                }
            }
            let start = self.buf.len();
            self.buf.extend_from_slice(&tmp);
            self.finish(start, false);
            self.t += 500;
        }
    }
}

pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Inserts an invalid UTF-8 sequence into the JSON string `buf[from..to]`
/// at a point that is not inside an escape or a multi-byte character.
pub(crate) fn insert_invalid_utf8(g: &mut Gen, buf: &mut Vec<u8>, from: usize, to: usize) {
    let mut pos = from + 1 + g.rng.below((to - from - 1) as u64) as usize;
    while pos < to && !(buf[pos].is_ascii_alphanumeric() && buf[pos - 1].is_ascii_alphanumeric()) {
        pos += 1;
    }
    if pos >= to {
        pos = from;
    }
    let bad: &[u8] = match g.rng.below(3) {
        0 => &[0xff],
        1 => &[0xc3, 0x28],
        _ => &[0xe9],
    };
    buf.splice(pos..pos, bad.iter().copied());
}

fn pick_project(g: &mut Gen, config_dir: bool) -> &'static str {
    if config_dir {
        g.rng.pick(&CONFIG_PROJECTS)
    } else {
        g.rng.pick(&PROJECTS)
    }
}

/// Writes one main session (plus its subagents, and a resumed copy if asked).
pub(crate) fn session(g: &mut Gen, spec: Spec) -> Result<()> {
    let cwd = pick_project(g, spec.config_dir);
    let mut s = Sess::new(g, &spec, cwd, spec.config_dir);
    if g.rng.chance(0.08) {
        s.summary(g);
    }
    run_turns(g, &mut s, &spec, spec.turns)?;
    s.flush_deferred();
    g.out.write(&s.rel_path(), &s.buf, Source::Claude)?;
    if spec.resume {
        resume(g, &s, &spec)?;
    }
    Ok(())
}

fn run_turns(g: &mut Gen, s: &mut Sess, spec: &Spec, turns: u32) -> Result<()> {
    let turns = turns.max(1);
    let synth_turn = spec.synthetic.then(|| g.rng.below(u64::from(turns)) as u32);
    let broken_turn = spec.broken.then(|| g.rng.below(u64::from(turns)) as u32);
    let mut replay_pending = spec.replay && !spec.gateway;
    for turn in 0..turns {
        if turn > 0 {
            s.t +=
                if spec.dense { g.rng.range(5_000, 90_000) } else { g.rng.log_uniform(10_000, 40 * 60_000) }
                    as i64;
        }
        s.prompt(g, None);
        let steps = if spec.dense { g.rng.range(1, 3) } else { g.rng.range(1, 7) };
        for step in 0..steps {
            let spawn = turn >= 1 && step == 0 && (replay_pending || g.rng.chance(0.05));
            if spawn {
                let tool_id = s.response(g, Kind::Task).expect("tool call");
                subagent(g, s, replay_pending)?;
                replay_pending = false;
                s.tool_result(g, &tool_id);
            } else {
                let tool_id = s.response(g, Kind::Tool).expect("tool call");
                s.tool_result(g, &tool_id);
            }
        }
        s.response(g, Kind::Text);
        if synth_turn == Some(turn) {
            s.synthetic(g);
        }
        if broken_turn == Some(turn) {
            s.broken(g, spec.force);
        }
        if !spec.dense && g.rng.chance(0.03) {
            s.compact(g);
        }
    }
    if replay_pending {
        // one-turn session: spawn the replaying subagent at the end
        subagent(g, s, true)?;
    }
    Ok(())
}

/// A subagent transcript: own prompt and genuine sidechain responses; with
/// `replay`, it starts by replaying one of the parent's messages (same id, new
/// requestId, `isSidechain:true`) — not a new request.
fn subagent(g: &mut Gen, parent: &mut Sess, replay: bool) -> Result<()> {
    let mut a = Sess {
        id: parent.id.clone(),
        cwd: parent.cwd,
        dir: parent.dir.clone(),
        branch: parent.branch,
        version: parent.version,
        split: parent.split,
        one_hour: parent.one_hour,
        sidechain: true,
        agent_id: Some(hex_id(&mut g.rng, 8)),
        gateway: parent.gateway,
        model: if g.rng.chance(0.5) { HAIKU } else { parent.model },
        t: parent.t + g.rng.range(300, 2000) as i64,
        parent: None,
        ctx: 0,
        fresh: g.rng.range(4_000, 9_000),
        buf: Vec::with_capacity(256 << 10),
        lines: Vec::new(),
        deferred: Vec::new(),
        responses: Vec::new(),
        multiline: parent.multiline,
        limit: 150_000,
        force_multi: 0,
    };
    a.prompt(g, Some("Find where the totals diverge and report file:line."));
    if replay {
        if let Some(r) = (!parent.responses.is_empty())
            .then(|| parent.responses[g.rng.below(parent.responses.len() as u64) as usize].clone())
        {
            let (uuid, p) = a.next_uuid(g);
            let req = base62(&mut g.rng, "req_011C", 21);
            let mut buf = std::mem::take(&mut a.buf);
            let start = buf.len();
            a.assistant_line(
                g,
                &mut buf,
                p.as_deref(),
                &uuid,
                a.t,
                &r.msg_id,
                Some(&req),
                r.model,
                &Content::Text(400),
                Some("end_turn"),
                &r.usage,
                false,
            );
            a.buf = buf;
            a.finish(start, true);
            g.trap("claude_sidechain_replay", 1);
            a.t += g.rng.range(500, 3000) as i64;
        }
    }
    for _ in 0..g.rng.range(1, 4) {
        let tool_id = a.response(g, Kind::Tool).expect("tool call");
        a.tool_result(g, &tool_id);
    }
    a.response(g, Kind::Text);
    a.flush_deferred();
    g.out.write(&a.rel_path(), &a.buf, Source::Claude)?;
    parent.t = a.t + g.rng.range(300, 2000) as i64;
    Ok(())
}

/// A resumed session: a new session file that starts with copies of the
/// earlier session's lines (same message ids and request ids, original
/// timestamps, new sessionId), then continues.
fn resume(g: &mut Gen, a: &Sess, spec: &Spec) -> Result<()> {
    let mut b = Sess::new(g, spec, a.cwd, spec.config_dir);
    b.dir = a.dir.clone();
    b.model = a.model;
    b.version = a.version;
    b.split = a.split;
    b.one_hour = a.one_hour;
    b.gateway = a.gateway;
    b.force_multi = 0;
    b.t = a.t + g.rng.log_uniform(10 * 60_000, 30 * 3_600_000) as i64;
    if g.rng.chance(0.5) {
        b.summary(g);
    }
    let old = format!("\"sessionId\":\"{}\"", a.id);
    let new = format!("\"sessionId\":\"{}\"", b.id);
    let mut copied_usage_lines = 0;
    for &(from, to, copyable) in &a.lines {
        if !copyable {
            continue;
        }
        let mut line = a.buf[from..to - 1].to_vec();
        let head = line.len().min(2048);
        if let Some(p) = find(&line[..head], old.as_bytes()) {
            line[p..p + new.len()].copy_from_slice(new.as_bytes());
        }
        if find(&line[..line.len().min(1 << 16)], b"\"usage\":{").is_some() {
            copied_usage_lines += 1;
        }
        b.push_raw(&line, true);
    }
    g.trap("claude_resume_copy", copied_usage_lines);
    b.parent = a.parent.clone();
    b.ctx = a.ctx;
    let spec = Spec { synthetic: false, broken: false, replay: false, resume: false, force: false, ..*spec };
    let turns = g.rng.range(1, 4) as u32;
    run_turns(g, &mut b, &spec, turns)?;
    b.flush_deferred();
    g.out.write(&b.rel_path(), &b.buf, Source::Claude)
}
