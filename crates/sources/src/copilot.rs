//! GitHub Copilot CLI: `<copilot home>/session-state/<sessionId>/events.jsonl` (older builds:
//! `session-state/<sessionId>.jsonl`, `history-session-state/<sessionId>.jsonl`), and, when
//! OpenTelemetry file export is on, the exported JSON lines under `<copilot home>/otel/`. The
//! copilot home is `$COPILOT_HOME` when set, else `~/.copilot` (`$XDG_CONFIG_HOME/.copilot` was
//! honoured up to 0.0.421 and is looked at too) [docs.github.com: copilot-cli-reference/
//! cli-config-dir-reference; github/copilot-cli#1954]. See docs/log-formats.md.
//!
//! Two kinds of record, both in append-only lines (one parser reads either in any file):
//! - `session.shutdown` events, whose `data.modelMetrics.<model>.usage` holds the process's
//!   token totals per model. Each shutdown is a snapshot of ONE process run, not cumulative
//!   over resumes (ccusage's adapter README, checked on real data; splitrail applies them per
//!   segment): a session resumed on another day appends a second shutdown holding that run's
//!   usage. Each (shutdown event, model) is therefore one event at the shutdown's time, keyed
//!   by the shutdown's event id: it already is the delta since the last shutdown, so it is not
//!   reported as an [`crate::Observation`] (a cumulative reading would drop a second run
//!   smaller than the first, or count only the difference of a larger one).
//!   `usage.inputTokens` includes cache reads and writes.
//! - OTel `chat` spans (`gen_ai.operation.name = chat`, one per LLM call) with `gen_ai.usage.*`
//!   attributes; `input_tokens` includes cache reads (and writes). Agent spans, inference log
//!   events and metrics repeat the same tokens and are not counted.
//!
//! Never both for one session: OTel calls are exact and win. A session's shutdown totals are
//! stored as a replaceable summary of the session (`group_key` = the session, `sidechain`), and
//! its first OTel call stored under the same session removes them, in whichever order the
//! files are read (the ledger's replay rule, `store::Batch`). This needs the span to name the
//! session (`gen_ai.conversation.id`, else `session.id`) as the session-state folder does.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::env::Env;
use crate::json::{parse_line, parse_ts_ms};
use crate::model::{Tokens, UsageEvent};
use crate::{looks_like_object, names, FileKind, LineOutcome, LineParser, Output, Shape, Source};

pub const ID: &str = "copilot-cli";
/// Priced when an OTel span names no model.
pub const FALLBACK_MODEL: &str = "gpt-unknown";

pub struct CopilotCli;

/// The folders under a copilot home that hold logs.
const LOG_DIRS: [&str; 3] = ["session-state", "history-session-state", "otel"];

impl Source for CopilotCli {
    fn id(&self) -> &'static str {
        ID
    }

    fn name(&self) -> &'static str {
        "GitHub Copilot CLI"
    }

    /// `session-state`, `history-session-state` and `otel` under every copilot home:
    /// `$COPILOT_HOME`, `~/.copilot`, `$XDG_CONFIG_HOME/.copilot` (builds ≤ 0.0.421) and
    /// `$COPILOT_CONFIG_DIR` (ccusage's override). `COPILOT_OTEL_FILE_EXPORTER_PATH` may name a
    /// file anywhere; its folder is read when the user adds it (`[sources.copilot-cli] paths`).
    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        let mut homes = Vec::new();
        homes.extend(env.dir_var("COPILOT_HOME"));
        homes.push(env.home.join(".copilot"));
        if env.var("XDG_CONFIG_HOME").is_some() {
            homes.push(env.xdg_config_home().join(".copilot"));
        }
        homes.extend(env.dir_var("COPILOT_CONFIG_DIR"));
        let mut roots: Vec<PathBuf> = Vec::new();
        for home in homes {
            for dir in LOG_DIRS {
                let root = home.join(dir);
                if !roots.contains(&root) {
                    roots.push(root);
                }
            }
        }
        roots
    }

    fn kind(&self, path: &Path) -> FileKind {
        let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
        let parent = path.parent().and_then(Path::file_name).map(|n| n.to_string_lossy()).unwrap_or_default();
        let grandparent = path
            .parent()
            .and_then(Path::parent)
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        if name.ends_with(".jsonl") {
            return FileKind::Log(Shape::Lines);
        }
        // Beside a session's events.jsonl the CLI keeps its workspace (plan, checkpoints, …).
        if grandparent == "session-state" || path.ancestors().skip(3).any(|a| a.ends_with("session-state")) {
            return FileKind::Other;
        }
        if parent == "session-state" || parent == "history-session-state" || parent == "otel" {
            FileKind::Unknown
        } else {
            FileKind::Other
        }
    }

    /// The state is the working directory `session.start` named, for the lines after it.
    fn lines(&self, path: &Path, state: Option<&str>) -> Box<dyn LineParser> {
        Box::new(CopilotLines { session: session_of(path), cwd: state.map(str::to_owned) })
    }
}

/// The session a file belongs to: `session-state/<id>/events.jsonl` → `<id>`, else the stem.
fn session_of(path: &Path) -> String {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    if stem == "events" {
        if let Some(dir) = path.parent().and_then(Path::file_name) {
            return dir.to_string_lossy().into_owned();
        }
    }
    stem
}

struct CopilotLines {
    /// The file's session (its folder or name), for records that name none.
    session: String,
    /// `session.start`'s `data.context.cwd`: the project of the shutdowns after it.
    cwd: Option<String>,
}

/// A record that looked like usage but could not be read.
struct Unreadable;

fn count(v: Option<&Value>) -> Result<u64, Unreadable> {
    match v {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => {
            n.as_u64().or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)).ok_or(Unreadable)
        }
        Some(_) => Err(Unreadable),
    }
}

fn str_of<'a>(m: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    m.get(k).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

/// Copilot's model ids as the price table writes them: Claude versions with `-` (`4.5` → `4-5`),
/// others as they are (OpenAI keeps `gpt-5.1`).
fn model_name(raw: &str) -> String {
    let lower = raw.trim().to_ascii_lowercase();
    if lower.starts_with("claude") {
        names::normalize(&lower)
    } else {
        lower
    }
}

/// Input inclusive of cache reads and writes, made exclusive; reasoning informational, except
/// Gemini's, which is billed beside the output (ccusage's adapter README).
fn tokens(model: &str, input: u64, output: u64, read: u64, write: u64, reasoning: u64) -> Tokens {
    let gemini = model.starts_with("gemini");
    Tokens {
        input: input.saturating_sub(read).saturating_sub(write),
        cache_write_5m: write,
        cache_write_1h: 0,
        cache_read: read,
        output: if gemini { output.saturating_add(reasoning) } else { output },
        reasoning: if gemini { reasoning } else { reasoning.min(output) },
    }
}

impl CopilotLines {
    fn event(&self, session: String, model: String, ts_ms: i64, key: String, tokens: Tokens) -> UsageEvent {
        UsageEvent {
            source: ID,
            dedupe_key: key,
            session_id: session,
            project: self.cwd.clone().unwrap_or_default(),
            model,
            model_fallback: false,
            ts_ms,
            group_key: None,
            sidechain: false,
            tokens,
            logged_cost_usd: None,
            git_branch: None,
            parent_session: None,
        }
    }

    /// `session.shutdown`: one event per model with usage.
    fn shutdown(&self, rec: &Map<String, Value>, out: &mut Output) -> Result<(), Unreadable> {
        let ts_ms = str_of(rec, "timestamp").and_then(parse_ts_ms).ok_or(Unreadable)?;
        let data = rec.get("data").and_then(Value::as_object).ok_or(Unreadable)?;
        let metrics = match data.get("modelMetrics") {
            Some(Value::Object(m)) => m,
            // A run that made no request may write no metrics — unless they moved elsewhere.
            None | Some(Value::Null) => {
                let moved = data.iter().any(|(k, v)| {
                    let k = k.to_ascii_lowercase();
                    v.is_object() && ["metric", "model", "usage", "token"].iter().any(|w| k.contains(w))
                });
                return if moved { Err(Unreadable) } else { Ok(()) };
            }
            Some(_) => return Err(Unreadable),
        };
        let session = data
            .get("sessionId")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .unwrap_or(&self.session)
            .to_owned();
        let event_id = str_of(rec, "id").map(str::to_owned).unwrap_or_else(|| ts_ms.to_string());
        let mut found = Vec::new();
        for (raw_model, m) in metrics {
            let m = m.as_object().ok_or(Unreadable)?;
            let usage = match m.get("usage") {
                Some(Value::Object(u)) => u,
                _ => return Err(Unreadable),
            };
            const KEYS: [&str; 5] =
                ["inputTokens", "outputTokens", "cacheReadTokens", "cacheWriteTokens", "reasoningTokens"];
            if !usage.is_empty() && !KEYS.iter().any(|k| usage.contains_key(*k)) {
                return Err(Unreadable);
            }
            let [input, output, read, write, reasoning] = [
                count(usage.get(KEYS[0]))?,
                count(usage.get(KEYS[1]))?,
                count(usage.get(KEYS[2]))?,
                count(usage.get(KEYS[3]))?,
                count(usage.get(KEYS[4]))?,
            ];
            let model = model_name(raw_model);
            let t = tokens(&model, input, output, read, write, reasoning);
            if t.is_zero() {
                continue;
            }
            let group = format!("{ID}:{session}");
            let key = format!("{group}:shutdown:{event_id}:{raw_model}");
            let mut e = self.event(session.clone(), model, ts_ms, key, t);
            e.group_key = Some(group);
            e.sidechain = true; // a session summary: the session's OTel calls replace it
            found.push(e);
        }
        out.events.extend(found);
        Ok(())
    }

    /// An OTel record: counted when it is a `chat` span with usage.
    fn otel(
        &self,
        rec: &Map<String, Value>,
        attrs: &Map<String, Value>,
        out: &mut Output,
    ) -> Result<bool, Unreadable> {
        let is_span = match rec.get("type").and_then(Value::as_str) {
            Some(t) => t == "span",
            None => rec.contains_key("spanId") || rec.contains_key("traceId"),
        };
        if !is_span || str_of(attrs, "gen_ai.operation.name") != Some("chat") {
            return Ok(false);
        }
        let has_usage = attrs.keys().any(|k| k.starts_with("gen_ai.usage."));
        if !has_usage {
            return Ok(false); // a failed call: no usage
        }
        let attr = |keys: &[&str]| -> Result<u64, Unreadable> {
            keys.iter().find_map(|k| attrs.get(*k)).map_or(Ok(0), |v| count(Some(v)))
        };
        if !attrs.contains_key("gen_ai.usage.input_tokens")
            && !attrs.contains_key("gen_ai.usage.output_tokens")
        {
            return Err(Unreadable);
        }
        let input = attr(&["gen_ai.usage.input_tokens"])?;
        let output = attr(&["gen_ai.usage.output_tokens"])?;
        let read = attr(&["gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens"])?;
        let write = attr(&[
            "gen_ai.usage.cache_write.input_tokens",
            "gen_ai.usage.cache_creation.input_tokens",
            "gen_ai.usage.cache_creation_input_tokens",
        ])?;
        let reasoning = attr(&[
            "gen_ai.usage.reasoning.output_tokens",
            "gen_ai.usage.reasoning_tokens",
            "gen_ai.usage.reasoning_output_tokens",
        ])?;
        let ts_ms = span_time(rec).ok_or(Unreadable)?;
        let raw_model =
            str_of(attrs, "gen_ai.response.model").or_else(|| str_of(attrs, "gen_ai.request.model"));
        let (model, fallback) = match raw_model {
            Some(m) => (model_name(m), false),
            None => (FALLBACK_MODEL.to_owned(), true),
        };
        let t = tokens(&model, input, output, read, write, reasoning);
        if t.is_zero() {
            return Ok(true);
        }
        let resource =
            rec.get("resource").and_then(|r| r.get("attributes").or(Some(r))).and_then(Value::as_object);
        let session = str_of(attrs, "gen_ai.conversation.id")
            .or_else(|| str_of(attrs, "session.id"))
            .or_else(|| resource.and_then(|r| str_of(r, "session.id")))
            .unwrap_or(&self.session)
            .to_owned();
        let id = str_of(attrs, "gen_ai.response.id").map(str::to_owned).unwrap_or_else(|| {
            let span = rec.get("spanId").and_then(Value::as_str).unwrap_or_default();
            let trace = rec.get("traceId").and_then(Value::as_str).unwrap_or_default();
            format!("{trace}.{span}.{ts_ms}")
        });
        let group = format!("{ID}:{session}");
        let key = format!("{group}:otel:{id}");
        let mut e = self.event(session, model, ts_ms, key, t);
        e.project = String::new();
        e.model_fallback = fallback;
        e.group_key = Some(group);
        out.events.push(e);
        Ok(true)
    }
}

/// When a span ended (else started): OTel JS writes `[seconds, nanos]`; a number is read by its
/// magnitude (seconds, ms, µs or ns); a string as RFC 3339.
fn span_time(rec: &Map<String, Value>) -> Option<i64> {
    let keys =
        ["endTime", "startTime", "timestamp", "time", "hrTime", "endTimeUnixNano", "startTimeUnixNano"];
    let v = keys.iter().find_map(|k| rec.get(*k).filter(|v| !v.is_null()))?;
    match v {
        Value::Array(a) if a.len() == 2 => {
            let s = a[0].as_i64()?;
            let ns = a[1].as_i64()?;
            Some(s * 1000 + ns / 1_000_000)
        }
        Value::Number(n) => {
            let f = n.as_f64()?;
            Some(if f >= 1e17 {
                f / 1e6
            } else if f >= 1e14 {
                f / 1e3
            } else if f >= 1e11 {
                f
            } else {
                f * 1e3
            } as i64)
        }
        Value::String(s) => parse_ts_ms(s).or_else(|| s.parse::<f64>().ok().map(|f| (f / 1e6) as i64)),
        _ => None,
    }
}

impl LineParser for CopilotLines {
    fn line(&mut self, line: &[u8], out: &mut Output) -> LineOutcome {
        if !looks_like_object(line) {
            return LineOutcome::Malformed;
        }
        // Most lines are messages and tool output: skip them without a parse.
        let text = line;
        let shutdown = contains(text, b"\"session.shutdown\"");
        let start = contains(text, b"\"session.start\"");
        let gen_ai = contains(text, b"\"gen_ai.");
        if !shutdown && !start && !gen_ai {
            return LineOutcome::Ignored;
        }
        let mut repaired = String::new();
        let Some(Value::Object(rec)) = parse_line::<Value>(line, &mut repaired) else {
            return LineOutcome::Malformed;
        };
        // The literal may appear inside a message or a command: only the top-level type counts.
        let kind = rec.get("type").and_then(Value::as_str);
        if kind == Some("session.start") {
            let context = rec.get("data").and_then(|d| d.get("context")).and_then(Value::as_object);
            if let Some(cwd) = context.and_then(|c| str_of(c, "cwd")) {
                self.cwd = Some(cwd.to_owned());
            }
            return LineOutcome::Ignored;
        }
        if kind == Some("session.shutdown") {
            return match self.shutdown(&rec, out) {
                Ok(()) => LineOutcome::Used,
                Err(Unreadable) => LineOutcome::Malformed,
            };
        }
        let Some(attrs) = rec.get("attributes").and_then(Value::as_object) else {
            return LineOutcome::Ignored;
        };
        match self.otel(&rec, attrs, out) {
            Ok(true) => LineOutcome::Used,
            Ok(false) => LineOutcome::Ignored,
            Err(Unreadable) => LineOutcome::Malformed,
        }
    }

    fn state(&self) -> Option<String> {
        self.cwd.clone()
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHUTDOWN: &str = r#"{"type":"session.shutdown","id":"ev-9","timestamp":"2026-03-02T14:10:00.000Z","parentId":"ev-8","data":{"totalPremiumRequests":3,"modelMetrics":{"claude-sonnet-4.5":{"requests":{"count":3,"cost":3},"usage":{"inputTokens":64000,"outputTokens":2100,"cacheReadTokens":51000,"cacheWriteTokens":4000,"reasoningTokens":300}},"gpt-5.1":{"requests":{"count":1,"cost":1},"usage":{"inputTokens":1000,"outputTokens":50,"cacheReadTokens":0,"cacheWriteTokens":0}}}}}"#;

    const SPAN: &str = r#"{"type":"span","traceId":"t1","spanId":"s1","name":"chat claude-sonnet-4.5","startTime":[1772460000,0],"endTime":[1772460003,500000000],"attributes":{"gen_ai.operation.name":"chat","gen_ai.provider.name":"github","gen_ai.request.model":"claude-sonnet-4.5","gen_ai.conversation.id":"cp-1","gen_ai.response.id":"resp-1","gen_ai.usage.input_tokens":12000,"gen_ai.usage.output_tokens":400,"gen_ai.usage.cache_read.input_tokens":9000}}"#;

    fn run(line: &str) -> (Output, LineOutcome) {
        let mut p = CopilotCli.lines(Path::new("/h/.copilot/session-state/cp-1/events.jsonl"), None);
        let mut out = Output::default();
        let o = p.line(line.as_bytes(), &mut out);
        (out, o)
    }

    #[test]
    fn shutdown_metrics_are_one_event_per_model() {
        let (out, o) = run(SHUTDOWN);
        assert_eq!(o, LineOutcome::Used);
        assert_eq!(out.events.len(), 2);
        let e = &out.events[0];
        assert_eq!((e.session_id.as_str(), e.model.as_str()), ("cp-1", "claude-sonnet-4-5"));
        assert_eq!(e.dedupe_key, "copilot-cli:cp-1:shutdown:ev-9:claude-sonnet-4.5");
        assert_eq!(e.ts_ms, 1_772_460_600_000);
        assert!(e.sidechain);
        assert_eq!(e.group_key.as_deref(), Some("copilot-cli:cp-1"));
        let t = e.tokens;
        assert_eq!(
            (t.input, t.cache_read, t.cache_write_5m, t.output, t.reasoning),
            (9000, 51000, 4000, 2100, 300)
        );
        assert_eq!(out.events[1].model, "gpt-5.1");
        assert!(out.totals.is_empty());
    }

    #[test]
    fn chat_spans_are_calls_and_replace_the_summary() {
        let (out, o) = run(SPAN);
        assert_eq!(o, LineOutcome::Used);
        let e = &out.events[0];
        assert_eq!(e.dedupe_key, "copilot-cli:cp-1:otel:resp-1");
        assert!(!e.sidechain);
        assert_eq!(e.group_key.as_deref(), Some("copilot-cli:cp-1"));
        assert_eq!(e.ts_ms, 1_772_460_003_500);
        assert_eq!((e.tokens.input, e.tokens.cache_read, e.tokens.output), (3000, 9000, 400));
        // The agent span and the inference event repeat the call's tokens: not counted.
        let agent =
            SPAN.replace(r#""gen_ai.operation.name":"chat""#, r#""gen_ai.operation.name":"invoke_agent""#);
        assert_eq!(run(&agent).1, LineOutcome::Ignored);
        let log = SPAN.replace(r#""type":"span""#, r#""type":"log""#);
        assert_eq!(run(&log).1, LineOutcome::Ignored);
    }

    #[test]
    fn a_renamed_field_is_drift() {
        for bad in [
            SHUTDOWN.replace("\"modelMetrics\"", "\"modelStats\""),
            SHUTDOWN.replace("\"usage\":{\"inputTokens\":1000", "\"tokens\":{\"inputTokens\":1000"),
            SHUTDOWN.replace("\"inputTokens\":64000", "\"inputTokens\":\"64000\""),
            SHUTDOWN.replace("\"timestamp\"", "\"time\""),
            SPAN.replace("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")
                .replace("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"),
            SPAN.replace("\"endTime\":[1772460003,500000000]", "\"endTime\":\"soon\"")
                .replace("\"startTime\":[1772460000,0],", ""),
        ] {
            let (out, o) = run(&bad);
            assert_eq!(o, LineOutcome::Malformed, "{bad}");
            assert!(out.events.is_empty());
        }
        // The records as written are read (the test can fail).
        assert_eq!(run(SHUTDOWN).1, LineOutcome::Used);
        assert_eq!(run(SPAN).1, LineOutcome::Used);
    }

    #[test]
    fn other_events_and_quoted_types_are_ignored() {
        let msg = r#"{"type":"assistant.message","timestamp":"2026-03-02T14:00:06.000Z","data":{"model":"claude-sonnet-4.5","outputTokens":220,"content":"run \"session.shutdown\" now"}}"#;
        assert_eq!(run(msg).1, LineOutcome::Ignored);
        let empty = r#"{"type":"session.shutdown","id":"e","timestamp":"2026-03-02T14:10:00.000Z","data":{"shutdownType":"routine"}}"#;
        let (out, o) = run(empty);
        assert_eq!((o, out.events.len()), (LineOutcome::Used, 0));
        assert_eq!(run("{\"type\":\"session.shut").1, LineOutcome::Malformed);
    }

    #[test]
    fn roots_and_kinds() {
        let env = Env::with_home("/h");
        assert_eq!(
            CopilotCli.roots(&env),
            vec![
                PathBuf::from("/h/.copilot/session-state"),
                PathBuf::from("/h/.copilot/history-session-state"),
                PathBuf::from("/h/.copilot/otel"),
            ]
        );
        let env = env.set("COPILOT_HOME", "~/cp");
        assert_eq!(CopilotCli.roots(&env)[0], PathBuf::from("/h/cp/session-state"));
        assert_eq!(CopilotCli.roots(&env).len(), 6);
        let k = |p: &str| CopilotCli.kind(Path::new(p));
        assert_eq!(k("/h/.copilot/session-state/a/events.jsonl"), FileKind::Log(Shape::Lines));
        assert_eq!(k("/h/.copilot/session-state/a.jsonl"), FileKind::Log(Shape::Lines));
        assert_eq!(k("/h/.copilot/otel/copilot-otel.jsonl"), FileKind::Log(Shape::Lines));
        assert_eq!(k("/h/.copilot/session-state/a/plan.md"), FileKind::Other);
        assert_eq!(k("/h/.copilot/session-state/a/checkpoints/index.md"), FileKind::Other);
        assert_eq!(k("/h/.copilot/session-state/notes.txt"), FileKind::Unknown);
        assert_eq!(k("/h/.copilot/otel/spans.json"), FileKind::Unknown);
    }
}
