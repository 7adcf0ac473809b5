//! Claude Code: `projects/<encoded-cwd>/<session>.jsonl` transcripts (and subagent files below
//! `<session>/subagents/`), under `~/.claude`, `~/.config/claude` or `$CLAUDE_CONFIG_DIR`.
//!
//! Traps handled here and in the store (see log-formats §2): one response is written as several
//! lines sharing `message.id` + `requestId` (the store keeps the one with the most output, also
//! across scans); resumed sessions copy earlier lines into a new file (same key, stored once);
//! sidechain files replay a parent message under a new request id (`group_key` lets the store
//! drop the replay); `<synthetic>` and zero-usage lines are not requests; gateways omit
//! `requestId` or write null counts.
//!
//! Sessions: each event carries the line's `gitBranch`. A resumed session's file begins with
//! copies of its parent's lines, which keep the parent's `sessionId`; the last such id before the
//! file's own session (the file name) first appears is recorded as the parent of the file's
//! session (kept in the parser state, so a later read of the same file still knows it).

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use memchr::memmem;
use serde::Deserialize;

use crate::env::Env;
use crate::json::{count, lenient_str, parse_line, parse_ts_ms, u64_or_null};
use crate::model::{Tokens, UsageEvent};
use crate::skim::{first, Skim};
use crate::{looks_like_object, FileKind, LineOutcome, LineParser, Output, Shape, Source};

pub const ID: &str = "claude-code";

pub struct ClaudeCode;

impl Source for ClaudeCode {
    fn id(&self) -> &'static str {
        ID
    }

    fn name(&self) -> &'static str {
        "Claude Code"
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        let configured = env.path_list("CLAUDE_CONFIG_DIR");
        let bases = if configured.is_empty() {
            vec![env.home.join(".claude"), env.xdg_config_home().join("claude")]
        } else {
            configured
        };
        let mut roots: Vec<PathBuf> = bases
            .into_iter()
            .map(|b| if b.file_name().is_some_and(|n| n == "projects") { b } else { b.join("projects") })
            .collect();
        roots.dedup();
        roots
    }

    fn kind(&self, path: &Path) -> FileKind {
        if path.extension().is_some_and(|e| e == "jsonl") {
            FileKind::Log(Shape::Lines)
        } else {
            FileKind::Unknown
        }
    }

    fn lines(&self, path: &Path, state: Option<&str>) -> Box<dyn LineParser> {
        let (session, encoded_project) = session_from_path(path);
        let lineage: Lineage = state.and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
        Box::new(ClaudeParser {
            session,
            encoded_project,
            // `"usage` without its closing quote: a renamed field (`"usage_v2"`) still reaches
            // the parser, which counts it as unreadable instead of skipping it silently.
            finder: memmem::Finder::new(b"\"usage"),
            lineage,
        })
    }
}

/// The session a file belongs to (a subagent file belongs to its parent session) and the
/// encoded project directory name.
fn session_from_path(path: &Path) -> (String, String) {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let comps: Vec<String> =
        path.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    if let Some(i) = comps.iter().rposition(|c| c == "subagents") {
        if i >= 2 {
            return (comps[i - 1].clone(), comps[i - 2].clone());
        }
    }
    let project = if comps.len() >= 2 { comps[comps.len() - 2].clone() } else { String::new() };
    (stem, project)
}

struct ClaudeParser {
    session: String,
    encoded_project: String,
    finder: memmem::Finder<'static>,
    lineage: Lineage,
}

/// What the lines read so far say about the file's session: the session its first lines were
/// copied from, and whether its own lines have begun.
#[derive(Debug, Default, serde::Serialize, Deserialize)]
struct Lineage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    parent: Option<String>,
    #[serde(default)]
    own: bool,
}

#[derive(Deserialize, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Line<'a> {
    #[serde(borrow)]
    session_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    cwd: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    git_branch: Option<Cow<'a, str>>,
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow)]
    request_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    uuid: Option<Cow<'a, str>>,
    #[serde(default)]
    is_sidechain: Option<bool>,
    #[serde(rename = "costUSD")]
    cost_usd: Option<f64>,
    #[serde(borrow)]
    message: Option<Message<'a>>,
}

#[derive(Deserialize, Debug, Default, PartialEq)]
struct Message<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    usage: Option<Usage>,
}

#[derive(Deserialize, Debug, Default, PartialEq)]
struct Usage {
    #[serde(default, deserialize_with = "u64_or_null")]
    input_tokens: u64,
    #[serde(default, deserialize_with = "u64_or_null")]
    output_tokens: u64,
    #[serde(default, deserialize_with = "u64_or_null")]
    cache_creation_input_tokens: u64,
    #[serde(default, deserialize_with = "u64_or_null")]
    cache_read_input_tokens: u64,
    cache_creation: Option<CacheCreation>,
    /// `"speed": "fast"`: fast mode, priced at the table's fast multiplier and reported as
    /// `<model>-fast`.
    #[serde(default, rename = "speed", deserialize_with = "is_fast")]
    fast: bool,
}

/// `speed` read leniently: only the string `"fast"` is fast mode.
fn is_fast<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(lenient_str(d)?.is_some_and(|s| s == "fast"))
}

#[derive(Deserialize, Debug, Default, PartialEq)]
struct CacheCreation {
    #[serde(default, deserialize_with = "u64_or_null")]
    ephemeral_5m_input_tokens: u64,
    #[serde(default, deserialize_with = "u64_or_null")]
    ephemeral_1h_input_tokens: u64,
}

/// The same fields without walking message content through serde (see `skim`); `None` when the
/// skim is unsure and serde must decide.
fn skim_line(line: &[u8]) -> Option<Line<'_>> {
    let mut k = Skim::new(line)?;
    let mut l = Line::default();
    let mut seen = 0u32;
    k.object(|key, k| {
        match key {
            b"sessionId" => {
                first(&mut seen, 0)?;
                l.session_id = k.str_or_null()?;
            }
            b"cwd" => {
                first(&mut seen, 1)?;
                l.cwd = k.str_or_null()?;
            }
            b"timestamp" => {
                first(&mut seen, 2)?;
                l.timestamp = k.str_or_null()?;
            }
            b"requestId" => {
                first(&mut seen, 3)?;
                l.request_id = k.str_or_null()?;
            }
            b"uuid" => {
                first(&mut seen, 4)?;
                l.uuid = k.str_or_null()?;
            }
            b"isSidechain" => {
                first(&mut seen, 5)?;
                l.is_sidechain = k.bool_or_null()?;
            }
            b"costUSD" => {
                first(&mut seen, 6)?;
                l.cost_usd = serde_json::from_slice(k.raw()?).ok()?;
            }
            b"message" => {
                first(&mut seen, 7)?;
                l.message = k.object_or_null(skim_message)?;
            }
            b"gitBranch" => {
                first(&mut seen, 8)?;
                l.git_branch = k.str_or_null()?;
            }
            _ => k.skip()?,
        }
        Some(())
    })?;
    k.end()?;
    Some(l)
}

fn skim_message<'a>(k: &mut Skim<'a>) -> Option<Message<'a>> {
    let mut m = Message::default();
    let mut seen = 0u32;
    k.object(|key, k| {
        match key {
            b"id" => {
                first(&mut seen, 0)?;
                m.id = k.str_or_null()?;
            }
            b"model" => {
                first(&mut seen, 1)?;
                m.model = k.str_or_null()?;
            }
            b"usage" => {
                first(&mut seen, 2)?;
                m.usage = k.object_or_null(skim_usage)?;
            }
            _ => k.skip()?,
        }
        Some(())
    })?;
    Some(m)
}

fn skim_usage(k: &mut Skim) -> Option<Usage> {
    let mut u = Usage::default();
    let mut seen = 0u32;
    k.object(|key, k| {
        match key {
            b"input_tokens" => {
                first(&mut seen, 0)?;
                u.input_tokens = count(k.raw()?)?;
            }
            b"output_tokens" => {
                first(&mut seen, 1)?;
                u.output_tokens = count(k.raw()?)?;
            }
            b"cache_creation_input_tokens" => {
                first(&mut seen, 2)?;
                u.cache_creation_input_tokens = count(k.raw()?)?;
            }
            b"cache_read_input_tokens" => {
                first(&mut seen, 3)?;
                u.cache_read_input_tokens = count(k.raw()?)?;
            }
            b"cache_creation" => {
                first(&mut seen, 4)?;
                u.cache_creation = k.object_or_null(|k| {
                    let mut c = CacheCreation::default();
                    let mut seen = 0u32;
                    k.object(|key, k| {
                        match key {
                            b"ephemeral_5m_input_tokens" => {
                                first(&mut seen, 0)?;
                                c.ephemeral_5m_input_tokens = count(k.raw()?)?;
                            }
                            b"ephemeral_1h_input_tokens" => {
                                first(&mut seen, 1)?;
                                c.ephemeral_1h_input_tokens = count(k.raw()?)?;
                            }
                            _ => k.skip()?,
                        }
                        Some(())
                    })?;
                    Some(c)
                })?;
            }
            b"speed" => {
                first(&mut seen, 5)?;
                u.fast = k.str_or_null()?.is_some_and(|s| s == "fast");
            }
            _ => k.skip()?,
        }
        Some(())
    })?;
    Some(u)
}

impl LineParser for ClaudeParser {
    fn line(&mut self, line: &[u8], out: &mut Output) -> LineOutcome {
        if !looks_like_object(line) {
            return LineOutcome::Malformed;
        }
        if self.finder.find(line).is_none() {
            return LineOutcome::Ignored;
        }
        let mut owned = String::new();
        let parsed = match skim_line(line) {
            Some(l) => l,
            None => match parse_line(line, &mut owned) {
                Some(l) => l,
                None => return LineOutcome::Malformed,
            },
        };
        let Some(msg) = parsed.message else { return LineOutcome::Ignored };
        let Some(usage) = msg.usage else {
            // A model's message without its usage: the field was renamed or moved (format
            // drift), not a message without cost. (Lines that only mention usage in their text
            // have no model.)
            return if msg.model.is_some() { LineOutcome::Malformed } else { LineOutcome::Ignored };
        };
        let model = msg.model.as_deref().unwrap_or("").trim();
        if model == "<synthetic>" {
            return LineOutcome::Used;
        }
        let (cw5m, cw1h) = match &usage.cache_creation {
            Some(c) if c.ephemeral_5m_input_tokens + c.ephemeral_1h_input_tokens > 0 => {
                (c.ephemeral_5m_input_tokens, c.ephemeral_1h_input_tokens)
            }
            _ => (usage.cache_creation_input_tokens, 0),
        };
        let tokens = Tokens {
            input: usage.input_tokens,
            cache_write_5m: cw5m,
            cache_write_1h: cw1h,
            cache_read: usage.cache_read_input_tokens,
            output: usage.output_tokens,
            reasoning: 0,
        };
        if tokens.is_zero() {
            return LineOutcome::Used;
        }
        let Some(ts_ms) = parsed.timestamp.as_deref().and_then(parse_ts_ms) else {
            return LineOutcome::Malformed;
        };
        let session = match parsed.session_id.as_deref() {
            Some(s) if !s.is_empty() => s.to_string(),
            _ => self.session.clone(),
        };
        let parent_session = if session == self.session {
            self.lineage.own = true;
            self.lineage.parent.clone()
        } else {
            if !self.lineage.own {
                self.lineage.parent = Some(session.clone());
            }
            None
        };
        let project = match parsed.cwd.as_deref() {
            Some(c) if !c.is_empty() => c.to_string(),
            _ => self.encoded_project.clone(),
        };
        let msg_id = msg.id.as_deref().filter(|s| !s.is_empty());
        let request_id = parsed.request_id.as_deref().filter(|s| !s.is_empty());
        let dedupe_key = match (msg_id, request_id) {
            // The common case, built without the formatting machinery (one per usage line).
            (Some(m), Some(r)) => {
                let mut k = String::with_capacity(4 + m.len() + r.len());
                k.push_str("cc:");
                k.push_str(m);
                k.push(':');
                k.push_str(r);
                k
            }
            // Gateways without request ids: the lines of one response (and copies of them in
            // resumed sessions) repeat its id and its input and cache counts; a gateway reusing
            // one id for many responses does not repeat the counts.
            (Some(m), None) => format!(
                "cc:{m}:-:{}:{}:{}",
                tokens.input,
                tokens.cache_write_5m + tokens.cache_write_1h,
                tokens.cache_read
            ),
            (None, _) => match parsed.uuid.as_deref() {
                Some(u) if !u.is_empty() => format!("cc:{session}:line:{u}"),
                _ => format!("cc:{session}:ts:{ts_ms}:{}:{}", tokens.total(), tokens.output),
            },
        };
        // Must be the prefix of the message's `cc:{id}:{request}` keys (see `store`); every key
        // built from a message id starts with `cc:{id}`.
        let group_key = msg_id.map(|m| dedupe_key[..3 + m.len()].to_string());
        out.events.push(UsageEvent {
            source: ID,
            session_id: session,
            project,
            model: match (model.is_empty(), usage.fast) {
                (true, _) => "unknown".to_string(),
                (false, false) => model.to_string(),
                // Fast mode: its own model key, priced at the table's fast multiplier.
                (false, true) => format!("{model}-fast"),
            },
            model_fallback: model.is_empty(),
            ts_ms,
            dedupe_key,
            group_key,
            sidechain: parsed.is_sidechain.unwrap_or(false),
            tokens,
            logged_cost_usd: parsed.cost_usd.filter(|c| c.is_finite() && *c >= 0.0),
            git_branch: parsed.git_branch.as_deref().filter(|b| !b.is_empty()).map(str::to_string),
            parent_session,
        });
        LineOutcome::Used
    }

    fn state(&self) -> Option<String> {
        // Most files are never resumed copies: nothing to keep.
        self.lineage.parent.as_ref()?;
        serde_json::to_string(&self.lineage).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::skim_line;
    use crate::json::skim_agrees;

    /// The skim path may give up, but when it answers it answers what serde answers.
    fn agree(line: &[u8]) -> bool {
        skim_agrees(line, &mut String::new(), skim_line)
    }

    const ASSISTANT: &str = r#"{"parentUuid":"p","isSidechain":false,"userType":"external","cwd":"/home/dev/app","sessionId":"s-1","version":"1.0.128","gitBranch":"main","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Say \"usage\": {\"input_tokens\": 9} \\ done\n\u00e9\ud83d\ude00"},{"type":"tool_use","id":"t","name":"Bash","input":{"command":"echo '{\"usage\":1}'","n":[1,-2.5e3,true,null,{}]}}],"stop_reason":"tool_use","usage":{"input_tokens":7,"cache_creation_input_tokens":5669,"cache_read_input_tokens":12,"cache_creation":{"ephemeral_5m_input_tokens":5000,"ephemeral_1h_input_tokens":669},"output_tokens":109,"service_tier":"standard"}},"requestId":"req_1","type":"assistant","uuid":"u-1","timestamp":"2026-04-14T14:58:18.006Z","costUSD":0.0123}"#;

    #[test]
    fn realistic_lines_take_the_skim_path() {
        assert!(agree(ASSISTANT.as_bytes()));
        let variants = [
            ASSISTANT.replace(r#""costUSD":0.0123"#, r#""costUSD":null"#),
            ASSISTANT.replace(r#""isSidechain":false"#, r#""isSidechain":null"#),
            ASSISTANT.replace(r#""requestId":"req_1","#, ""),
            ASSISTANT.replace(r#""input_tokens":7"#, r#""input_tokens":null"#),
            ASSISTANT.replace(r#""output_tokens":109"#, r#""output_tokens":1.9e2"#),
            ASSISTANT.replace(r#""service_tier":"standard""#, r#""service_tier":"standard","speed":"fast""#),
            ASSISTANT
                .replace(r#""service_tier":"standard""#, r#""speed":"standard","service_tier":"standard""#),
            ASSISTANT.replace(r#""service_tier":"standard""#, r#""speed":null"#),
            ASSISTANT.replace(r#""output_tokens":109"#, r#""output_tokens":-3"#),
            ASSISTANT.replace(r#""output_tokens":109"#, r#""output_tokens":99999999999999999999999"#),
            ASSISTANT.replace(
                r#""cache_creation":{"ephemeral_5m_input_tokens":5000,"ephemeral_1h_input_tokens":669}"#,
                r#""cache_creation":null"#,
            ),
            ASSISTANT.replace(r#""cwd":"/home/dev/app""#, r#""cwd":"C:\\Users\\dev\\app \"q\" \u00e9""#),
            ASSISTANT
                .replace(r#""message":{"#, r#""message" : {"#)
                .replace(",\"type\":\"assistant\"", " , \"type\" : \"assistant\" "),
            ASSISTANT.replace(
                r#""usage":{"input_tokens""#,
                r#""usage":{"extra":{"usage":{"input_tokens":1}},"input_tokens""#,
            ),
            format!("{ASSISTANT}  \r"),
            ASSISTANT.replace(r#""timestamp":"2026-04-14T14:58:18.006Z""#, r#""timestamp":null"#),
        ];
        for v in &variants {
            assert!(agree(v.as_bytes()), "skim gave up on {v}");
        }
    }

    #[test]
    fn adversarial_lines_agree_with_serde() {
        let cases = [
            // Duplicate wanted keys: serde refuses the line.
            ASSISTANT.replace(r#""cwd":"/home/dev/app""#, r#""cwd":"/a","cwd":"/b""#),
            ASSISTANT.replace(r#""output_tokens":109"#, r#""output_tokens":109,"output_tokens":1"#),
            // Duplicate ignored keys are fine.
            ASSISTANT.replace(r#""type":"assistant""#, r#""type":"assistant","type":"x""#),
            // Escaped key that spells a wanted one.
            ASSISTANT.replace(r#""cwd":"/home/dev/app""#, r#""c\u0077d":"/x""#),
            // Wrong types.
            ASSISTANT.replace(r#""isSidechain":false"#, r#""isSidechain":"no""#),
            ASSISTANT.replace(r#""costUSD":0.0123"#, r#""costUSD":"0.01""#),
            ASSISTANT.replace(r#""input_tokens":7"#, r#""input_tokens":"7""#),
            ASSISTANT.replace(r#""message":{"id":"msg_1""#, r#""message":["msg_1""#),
            ASSISTANT.replace(r#""sessionId":"s-1""#, r#""sessionId":5"#),
            // Broken JSON inside content the skim steps over.
            ASSISTANT.replace(r#"\\ done"#, r#"\x done"#),
            ASSISTANT.replace(r#"\u00e9"#, r#"\u00g9"#),
            ASSISTANT.replace(r#"-2.5e3"#, r#"-2.5e"#),
            ASSISTANT.replace(r#"-2.5e3"#, r#"01"#),
            ASSISTANT.replace(r#"true,null"#, r#"true,nul"#),
            ASSISTANT.replace(r#"{}]}}"#, r#"{},]}}"#),
            ASSISTANT.replace(r#"{}]}}"#, r#"{}}}}"#),
            ASSISTANT.replace("done", "do\tne"),
            ASSISTANT.replace("done", "do\u{1}ne"),
            format!("{ASSISTANT}x"),
            format!("{ASSISTANT}\u{c}"),
            ASSISTANT[..ASSISTANT.len() - 1].to_string(),
            // Lone surrogate in a wanted string, and a valid pair.
            ASSISTANT.replace(r#""uuid":"u-1""#, r#""uuid":"\ud800""#),
            ASSISTANT.replace(r#""uuid":"u-1""#, r#""uuid":"\ud83d\ude00""#),
        ];
        for c in &cases {
            agree(c.as_bytes());
        }
        // Invalid UTF-8 in ignored content (serde ignores it) and in a wanted string (repaired).
        let mut bad = ASSISTANT.as_bytes().to_vec();
        let at = ASSISTANT.find("done").unwrap_or(0);
        bad[at] = 0xff;
        assert!(agree(&bad));
        let mut bad = ASSISTANT.as_bytes().to_vec();
        let at = ASSISTANT.find("s-1").unwrap_or(0);
        bad[at] = 0xff;
        agree(&bad);
    }

    /// Thousands of mangled copies of a real line: every one the skim answers, serde answers
    /// the same way.
    #[test]
    fn mutated_lines_agree_with_serde() {
        let base = ASSISTANT.as_bytes();
        let alphabet = b"{}[]\",:\\ 0-9eEu.ntfalsr\x01\xff";
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let (mut answered, total) = (0, 20_000);
        for _ in 0..total {
            let mut line = base.to_vec();
            for _ in 0..1 + next(3) {
                let at = next(line.len());
                match next(4) {
                    0 => {
                        line.remove(at);
                    }
                    1 => line.insert(at, alphabet[next(alphabet.len())]),
                    2 => line[at] = alphabet[next(alphabet.len())],
                    _ => {
                        let end = (at + next(16)).min(line.len());
                        let piece = line[at..end].to_vec();
                        line.splice(at..at, piece);
                    }
                }
            }
            if agree(&line) {
                answered += 1;
            }
        }
        // Most mutations land in content the skim steps over.
        assert!(answered > total / 4, "skim answered only {answered} of {total}");
    }

    /// Format drift: a model's message whose usage field was renamed is counted unreadable,
    /// not skipped as a line without cost.
    #[test]
    fn a_renamed_usage_field_is_unreadable_not_zero() {
        use crate::{LineOutcome, Output, Source};
        let path = std::path::Path::new("/h/.claude/projects/-home-dev-app/s-1.jsonl");
        let mut p = super::ClaudeCode.lines(path, None);
        let mut out = Output::default();
        assert_eq!(p.line(ASSISTANT.as_bytes(), &mut out), LineOutcome::Used);
        assert_eq!(out.events.len(), 1);
        let renamed = ASSISTANT.replace(r#""usage":{"input_tokens""#, r#""usage_v2":{"input_tokens""#);
        let mut out = Output::default();
        assert_eq!(p.line(renamed.as_bytes(), &mut out), LineOutcome::Malformed);
        assert!(out.events.is_empty());
    }
}
