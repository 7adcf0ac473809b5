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

use super::json::{lenient_str, parse_ts_ms, u64_or_null};
use super::{looks_like_object, LineOutcome, LineParser, Source};
use crate::env::Env;
use crate::model::{Tokens, UsageEvent};

pub const ID: &str = "claude-code";

pub struct ClaudeCode;

impl Source for ClaudeCode {
    fn id(&self) -> &'static str {
        ID
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

    fn accepts(&self, path: &Path) -> bool {
        path.extension().is_some_and(|e| e == "jsonl")
    }

    fn parser(&self, path: &Path, state: Option<&str>) -> Box<dyn LineParser> {
        let (session, encoded_project) = session_from_path(path);
        let lineage: Lineage = state.and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
        Box::new(ClaudeParser {
            session,
            encoded_project,
            finder: memmem::Finder::new(b"\"usage\""),
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

#[derive(Deserialize)]
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

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    usage: Option<Usage>,
}

#[derive(Deserialize, Default)]
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
}

#[derive(Deserialize)]
struct CacheCreation {
    #[serde(default, deserialize_with = "u64_or_null")]
    ephemeral_5m_input_tokens: u64,
    #[serde(default, deserialize_with = "u64_or_null")]
    ephemeral_1h_input_tokens: u64,
}

impl LineParser for ClaudeParser {
    fn line(&mut self, line: &[u8], out: &mut Vec<UsageEvent>) -> LineOutcome {
        if !looks_like_object(line) {
            return LineOutcome::Malformed;
        }
        if self.finder.find(line).is_none() {
            return LineOutcome::Ignored;
        }
        // Borrowed parse first; a line whose strings need unescaping or repair falls back to an
        // owned parse.
        let owned;
        let parsed: Line = match serde_json::from_slice::<Line>(line) {
            Ok(l) => l,
            Err(_) => {
                owned = match std::str::from_utf8(line) {
                    Ok(s) => s.to_owned(),
                    Err(_) => String::from_utf8_lossy(line).into_owned(),
                };
                match serde_json::from_str::<Line>(&owned) {
                    Ok(l) => l,
                    Err(_) => return LineOutcome::Malformed,
                }
            }
        };
        let Some(msg) = parsed.message else { return LineOutcome::Ignored };
        let Some(usage) = msg.usage else { return LineOutcome::Ignored };
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
            (Some(m), Some(r)) => format!("cc:{m}:{r}"),
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
        out.push(UsageEvent {
            source: ID,
            session_id: session,
            project,
            model: if model.is_empty() { "unknown".to_string() } else { model.to_string() },
            model_fallback: model.is_empty(),
            ts_ms,
            dedupe_key,
            // Must be the prefix of the message's `cc:{id}:{request}` keys (see `store`).
            group_key: msg_id.map(|m| format!("cc:{m}")),
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
