//! OpenAI Codex CLI: `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-*.jsonl` and the flat
//! `$CODEX_HOME/archived_sessions/` (default `~/.codex`).
//!
//! Usage is in `event_msg` lines of type `token_count`, whose `total_token_usage` is cumulative
//! per session. Traps (log-formats §3): re-emitted events with an unchanged total (skipped by
//! diffing totals, never by summing `last_token_usage`); `info: null` rate-limit events; forks
//! that replay the parent's events and archived copies of a whole file (both collapse because an
//! event's key is its timestamp and its delta, the same in every copy); rollouts without a model
//! (priced as `gpt-5`, flagged as a fallback). Input is inclusive of cached input in the log and
//! is normalised to exclude it; reasoning is already inside output.
//!
//! Sessions: the first `session_meta` names the file's session, its cwd and `git.branch`. Its
//! parent is `forked_from_id` when the log carries it, else the id of a second `session_meta`
//! (a fork replays its parent's), which is what the logs show of a fork. A fork's replayed
//! events, timed before the fork's own `session_meta`, are the parent's: they carry its id, so
//! the session they are stored under does not depend on which file is read first.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use memchr::memmem;
use serde::{Deserialize, Serialize};

use crate::env::Env;
use crate::json::{count, lenient_str, parse_line, parse_ts_ms, u64_or_null};
use crate::model::{Tokens, UsageEvent};
use crate::skim::{first, Skim};
use crate::{looks_like_object, FileKind, LineOutcome, LineParser, Output, Shape, Source};

pub const ID: &str = "codex";
/// The model assumed for rollouts that name none, as other trackers do.
pub const FALLBACK_MODEL: &str = "gpt-5";

pub struct Codex;

impl Source for Codex {
    fn id(&self) -> &'static str {
        ID
    }

    fn name(&self) -> &'static str {
        "Codex CLI"
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        let mut homes = env.path_list("CODEX_HOME");
        if homes.is_empty() {
            homes.push(env.home.join(".codex"));
        }
        homes.into_iter().flat_map(|h| [h.join("sessions"), h.join("archived_sessions")]).collect()
    }

    fn kind(&self, path: &Path) -> FileKind {
        if path.extension().is_some_and(|e| e == "jsonl")
            && path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("rollout-"))
        {
            FileKind::Log(Shape::Lines)
        } else {
            FileKind::Unknown
        }
    }

    fn lines(&self, path: &Path, state: Option<&str>) -> Box<dyn LineParser> {
        let mut st: State = state.and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
        if st.session.is_empty() {
            st.session = session_from_file_name(path);
        }
        Box::new(CodexParser {
            st,
            token_count: memmem::Finder::new(b"\"token_count\""),
            session_meta: memmem::Finder::new(b"\"session_meta\""),
            turn_context: memmem::Finder::new(b"\"turn_context\""),
            type_key: memmem::Finder::new(b"\"type\":\""),
            payload_key: memmem::Finder::new(b"\"payload\""),
        })
    }
}

/// The uuid at the end of `rollout-<time>-<uuid>.jsonl`.
fn session_from_file_name(path: &Path) -> String {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    if stem.len() >= 36 && stem.is_char_boundary(stem.len() - 36) {
        stem[stem.len() - 36..].to_string()
    } else {
        stem
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Usage {
    #[serde(default, deserialize_with = "u64_or_null")]
    input_tokens: u64,
    #[serde(default, deserialize_with = "u64_or_null")]
    cached_input_tokens: u64,
    #[serde(default, deserialize_with = "u64_or_null")]
    output_tokens: u64,
    #[serde(default, deserialize_with = "u64_or_null")]
    reasoning_output_tokens: u64,
    #[serde(default, deserialize_with = "u64_or_null")]
    total_tokens: u64,
}

impl Usage {
    fn is_billable(&self) -> bool {
        // A row with only total_tokens is Codex filling the context window, not a request.
        self.input_tokens + self.cached_input_tokens + self.output_tokens + self.reasoning_output_tokens > 0
    }

    fn minus(&self, prev: &Usage) -> Option<Usage> {
        Some(Usage {
            input_tokens: self.input_tokens.checked_sub(prev.input_tokens)?,
            cached_input_tokens: self.cached_input_tokens.checked_sub(prev.cached_input_tokens)?,
            output_tokens: self.output_tokens.checked_sub(prev.output_tokens)?,
            reasoning_output_tokens: self
                .reasoning_output_tokens
                .checked_sub(prev.reasoning_output_tokens)?,
            total_tokens: self.total_tokens.saturating_sub(prev.total_tokens),
        })
    }
}

/// Parser state carried across scans of one file.
#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    #[serde(default)]
    session: String,
    #[serde(default)]
    session_from_meta: bool,
    #[serde(default)]
    cwd: String,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    prev_total: Option<Usage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    branch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    parent: Option<String>,
    /// Time of the file's own session_meta.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    started_ms: Option<i64>,
}

struct CodexParser {
    st: State,
    token_count: memmem::Finder<'static>,
    session_meta: memmem::Finder<'static>,
    turn_context: memmem::Finder<'static>,
    /// Built once: a searcher built per line costs more than the search in a short prefix.
    type_key: memmem::Finder<'static>,
    payload_key: memmem::Finder<'static>,
}

#[derive(Deserialize, Debug, Default, PartialEq)]
struct Line<'a> {
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    payload: Option<Payload<'a>>,
}

#[derive(Deserialize, Debug, Default, PartialEq)]
struct Payload<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    cwd: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    info: Option<Info<'a>>,
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    forked_from_id: Option<Cow<'a, str>>,
    /// Only read on `session_meta` lines; any shape is accepted.
    git: Option<serde_json::Value>,
}

#[derive(Deserialize, Debug, Default, PartialEq)]
struct Info<'a> {
    total_token_usage: Option<Usage>,
    last_token_usage: Option<Usage>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
}

/// The fields of a line without serde's visitor walk (see `skim`); `None` when the skim is
/// unsure and serde must decide.
fn skim_line(line: &[u8]) -> Option<Line<'_>> {
    let mut k = Skim::new(line)?;
    let mut l = Line::default();
    let mut seen = 0u32;
    k.object(|key, k| {
        match key {
            b"timestamp" => {
                first(&mut seen, 0)?;
                l.timestamp = k.str_or_null()?;
            }
            b"type" => {
                first(&mut seen, 1)?;
                l.kind = k.str_or_null()?;
            }
            b"payload" => {
                first(&mut seen, 2)?;
                l.payload = k.object_or_null(skim_payload)?;
            }
            _ => k.skip()?,
        }
        Some(())
    })?;
    k.end()?;
    Some(l)
}

fn skim_payload<'a>(k: &mut Skim<'a>) -> Option<Payload<'a>> {
    let mut p = Payload::default();
    let mut seen = 0u32;
    k.object(|key, k| {
        match key {
            b"type" => {
                first(&mut seen, 0)?;
                p.kind = k.str_or_null()?;
            }
            b"id" => {
                first(&mut seen, 1)?;
                p.id = k.str_or_null()?;
            }
            b"cwd" => {
                first(&mut seen, 2)?;
                p.cwd = k.str_or_null()?;
            }
            b"model" => {
                first(&mut seen, 3)?;
                p.model = k.str_or_null()?;
            }
            b"model_name" => {
                first(&mut seen, 4)?;
                p.model_name = k.str_or_null()?;
            }
            // Only on session_meta lines (one or two per file): serde reads them.
            b"git" | b"forked_from_id" => return None,
            b"info" => {
                first(&mut seen, 5)?;
                p.info = k.object_or_null(|k| {
                    let mut info = Info::default();
                    let mut seen = 0u32;
                    k.object(|key, k| {
                        match key {
                            b"total_token_usage" => {
                                first(&mut seen, 0)?;
                                info.total_token_usage = k.object_or_null(skim_usage)?;
                            }
                            b"last_token_usage" => {
                                first(&mut seen, 1)?;
                                info.last_token_usage = k.object_or_null(skim_usage)?;
                            }
                            b"model" => {
                                first(&mut seen, 2)?;
                                info.model = k.str_or_null()?;
                            }
                            _ => k.skip()?,
                        }
                        Some(())
                    })?;
                    Some(info)
                })?;
            }
            _ => k.skip()?,
        }
        Some(())
    })?;
    Some(p)
}

fn skim_usage(k: &mut Skim) -> Option<Usage> {
    let mut u = Usage::default();
    let mut seen = 0u32;
    k.object(|key, k| {
        let (bit, field) = match key {
            b"input_tokens" => (0, &mut u.input_tokens),
            b"cached_input_tokens" => (1, &mut u.cached_input_tokens),
            b"output_tokens" => (2, &mut u.output_tokens),
            b"reasoning_output_tokens" => (3, &mut u.reasoning_output_tokens),
            b"total_tokens" => (4, &mut u.total_tokens),
            _ => return k.skip(),
        };
        first(&mut seen, bit)?;
        *field = count(k.raw()?)?;
        Some(())
    })?;
    Some(u)
}

/// How far into a line the top-level `"type"` is looked for: Codex writes
/// `{"timestamp":…,"type":…,"payload":{"type":…` so both types sit in the first bytes.
const PREFIX: usize = 160;

impl CodexParser {
    /// Whether a line may carry what this parser reads, without parsing it: the top-level type
    /// near the start decides; lines written in another key order fall back to a full search.
    fn relevant(&self, line: &[u8]) -> bool {
        let head = &line[..line.len().min(PREFIX)];
        if let Some(i) = self.type_key.find(head) {
            let rest = &head[i + 8..];
            if rest.starts_with(b"session_meta\"") || rest.starts_with(b"turn_context\"") {
                return true;
            }
            if rest.starts_with(b"event_msg\"") {
                return self.token_count.find(head).is_some()
                    || (head.len() == PREFIX && self.token_count.find(line).is_some());
            }
            // The first "type" is the top-level one when it comes before the payload.
            if self.payload_key.find(&head[..i]).is_none() {
                return false;
            }
        }
        self.token_count.find(line).is_some()
            || self.session_meta.find(line).is_some()
            || self.turn_context.find(line).is_some()
    }
}

impl LineParser for CodexParser {
    fn line(&mut self, line: &[u8], out: &mut Output) -> LineOutcome {
        if !looks_like_object(line) {
            return LineOutcome::Malformed;
        }
        if !self.relevant(line) {
            return LineOutcome::Ignored;
        }
        let mut repaired = String::new();
        let parsed = match skim_line(line) {
            Some(l) => l,
            None => match parse_line::<Line>(line, &mut repaired) {
                Some(l) => l,
                None => return LineOutcome::Malformed,
            },
        };
        let Some(payload) = parsed.payload else { return LineOutcome::Ignored };
        match parsed.kind.as_deref() {
            Some("session_meta") => {
                // A fork starts with its own session_meta, then a copy of its parent's: only the
                // first names this file's session.
                if !self.st.session_from_meta {
                    if let Some(id) = payload.id.filter(|s| !s.is_empty()) {
                        self.st.session = id.into_owned();
                    }
                    self.st.session_from_meta = true;
                    self.st.started_ms = parsed.timestamp.as_deref().and_then(parse_ts_ms);
                    if let Some(cwd) = payload.cwd.filter(|s| !s.is_empty()) {
                        self.st.cwd = cwd.into_owned();
                    }
                    self.st.branch = payload
                        .git
                        .as_ref()
                        .and_then(|g| g.get("branch"))
                        .and_then(|b| b.as_str())
                        .filter(|b| !b.is_empty())
                        .map(str::to_string);
                    self.st.parent = payload.forked_from_id.filter(|p| !p.is_empty()).map(Cow::into_owned);
                } else if self.st.parent.is_none() {
                    // The replayed session_meta of the parent this file was forked from.
                    self.st.parent =
                        payload.id.filter(|id| !id.is_empty() && *id != self.st.session).map(Cow::into_owned);
                }
                LineOutcome::Ignored
            }
            Some("turn_context") => {
                if let Some(m) = payload.model.or(payload.model_name).filter(|s| !s.is_empty()) {
                    self.st.model = Some(m.into_owned());
                }
                if self.st.cwd.is_empty() {
                    if let Some(cwd) = payload.cwd.filter(|s| !s.is_empty()) {
                        self.st.cwd = cwd.into_owned();
                    }
                }
                LineOutcome::Ignored
            }
            Some("event_msg") if payload.kind.as_deref() == Some("token_count") => {
                let payload_model = payload.model.or(payload.model_name);
                let Some(info) = payload.info else { return LineOutcome::Used };
                let Some(ts_ms) = parsed.timestamp.as_deref().and_then(parse_ts_ms) else {
                    return LineOutcome::Malformed;
                };
                let delta = match (info.total_token_usage, self.st.prev_total) {
                    (Some(total), Some(prev)) if total == prev => return LineOutcome::Used,
                    (Some(total), prev) => {
                        let d = prev.map_or(Some(total), |p| total.minus(&p));
                        self.st.prev_total = Some(total);
                        // Totals that went backwards (a reset): trust the request's own usage.
                        d.or(info.last_token_usage)
                    }
                    (None, _) => match info.last_token_usage {
                        Some(u) => Some(u),
                        // Usage info holding neither total: its fields were renamed (drift).
                        None => return LineOutcome::Malformed,
                    },
                };
                let Some(d) = delta.filter(Usage::is_billable) else { return LineOutcome::Used };
                let model =
                    info.model.or(payload_model).or_else(|| self.st.model.as_deref().map(Cow::Borrowed));
                let (model, fallback) = match model.filter(|m| !m.is_empty()) {
                    Some(m) => (m.into_owned(), false),
                    None => (FALLBACK_MODEL.to_string(), true),
                };
                let cached = d.cached_input_tokens.min(d.input_tokens);
                let tokens = Tokens {
                    input: d.input_tokens - cached,
                    cache_write_5m: 0,
                    cache_write_1h: 0,
                    cache_read: cached,
                    output: d.output_tokens,
                    reasoning: d.reasoning_output_tokens,
                };
                // Replayed history of the parent (timed before this session began) is the parent's.
                let replayed = self.st.started_ms.is_some_and(|start| ts_ms < start);
                let (session_id, parent_session, git_branch) = match (&self.st.parent, replayed) {
                    (Some(p), true) => (p.clone(), None, None),
                    (p, _) => (self.st.session.clone(), p.clone(), self.st.branch.clone()),
                };
                out.events.push(UsageEvent {
                    source: ID,
                    session_id,
                    project: self.st.cwd.clone(),
                    model,
                    model_fallback: fallback,
                    ts_ms,
                    dedupe_key: format!(
                        "cx:{ts_ms}:{}:{}:{}:{}",
                        d.input_tokens, d.cached_input_tokens, d.output_tokens, d.reasoning_output_tokens
                    ),
                    group_key: None,
                    sidechain: false,
                    tokens,
                    logged_cost_usd: None,
                    git_branch,
                    parent_session,
                });
                LineOutcome::Used
            }
            _ => LineOutcome::Ignored,
        }
    }

    fn state(&self) -> Option<String> {
        serde_json::to_string(&self.st).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::skim_line;
    use crate::json::skim_agrees;

    fn agree(line: &[u8]) -> bool {
        skim_agrees(line, &mut String::new(), skim_line)
    }

    const TOKEN_COUNT: &str = r#"{"timestamp":"2026-03-02T10:15:31.204Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":1200,"cached_input_tokens":1000,"output_tokens":50,"reasoning_output_tokens":20,"total_tokens":1250},"last_token_usage":{"input_tokens":200,"cached_input_tokens":100,"output_tokens":5,"reasoning_output_tokens":null,"total_tokens":205},"model_context_window":272000},"rate_limits":{"primary":{"used_percent":1.5,"window_minutes":300}}}}"#;
    const META: &str = r#"{"timestamp":"2026-03-02T10:15:30.000Z","type":"session_meta","payload":{"id":"0199a","cwd":"C:\\work\\app","instructions":"Say \"hi\"\n","git":{"branch":"main"}}}"#;

    #[test]
    fn codex_lines_agree_with_serde() {
        assert!(agree(TOKEN_COUNT.as_bytes()));
        // session_meta lines with `git` or `forked_from_id` are read by serde (one or two per file).
        assert!(!agree(META.as_bytes()));
        assert!(agree(META.replace(r#","git":{"branch":"main"}"#, "").as_bytes()));
        let cases = [
            TOKEN_COUNT.replace(r#""info":{"#, r#""info":null,"x":{"#),
            TOKEN_COUNT.replace(r#""output_tokens":50"#, r#""output_tokens":50,"output_tokens":1"#),
            TOKEN_COUNT.replace(r#""output_tokens":50"#, r#""output_tokens":"50""#),
            TOKEN_COUNT.replace(r#""type":"event_msg""#, r#""type":"event_msg","type":"x""#),
            TOKEN_COUNT.replace(
                r#""model_context_window":272000"#,
                r#""model":"gpt-5","model_context_window":2.7e5"#,
            ),
            TOKEN_COUNT.replace(r#""payload":{"type""#, r#""payload":{"ty\u0070e""#),
            META.replace(r#""id":"0199a""#, r#""id":"\u0030199a""#),
            META.replace(r#""id":"0199a""#, r#""id":null"#),
            format!("{TOKEN_COUNT},"),
        ];
        for c in &cases {
            agree(c.as_bytes());
        }
    }

    #[test]
    fn mutated_codex_lines_agree_with_serde() {
        let alphabet = b"{}[]\",:\\ 0-9eEu.ntfalsr\x01\xff";
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for base in [TOKEN_COUNT, META] {
            for _ in 0..10_000 {
                let mut line = base.as_bytes().to_vec();
                for _ in 0..1 + next(3) {
                    let at = next(line.len());
                    match next(3) {
                        0 => {
                            line.remove(at);
                        }
                        1 => line.insert(at, alphabet[next(alphabet.len())]),
                        _ => line[at] = alphabet[next(alphabet.len())],
                    }
                }
                agree(&line);
            }
        }
    }

    /// Format drift: a token count whose totals were renamed is counted unreadable, not read
    /// as a request without tokens.
    #[test]
    fn a_renamed_usage_field_is_unreadable_not_zero() {
        use crate::{LineOutcome, Output, Source};
        let path =
            std::path::Path::new("/h/.codex/sessions/2026/03/02/rollout-2026-03-02T10-15-30-0199a.jsonl");
        let mut p = super::Codex.lines(path, None);
        let mut out = Output::default();
        assert_eq!(p.line(TOKEN_COUNT.as_bytes(), &mut out), LineOutcome::Used);
        assert_eq!(out.events.len(), 1);
        let renamed = TOKEN_COUNT
            .replace("total_token_usage", "totalTokenUsage")
            .replace("last_token_usage", "lastTokenUsage")
            .replace("10:15:31", "10:16:31");
        let mut p = super::Codex.lines(path, None);
        let mut out = Output::default();
        assert_eq!(p.line(renamed.as_bytes(), &mut out), LineOutcome::Malformed);
        assert!(out.events.is_empty());
    }
}
