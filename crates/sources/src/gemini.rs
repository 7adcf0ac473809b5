//! Gemini CLI: `~/.gemini/tmp/<project>/chats/` (`$GEMINI_CLI_HOME/.gemini` when set).
//!
//! Two formats live side by side (docs/log-formats.md, gemini-cli):
//! - current: append-only `session-*.jsonl` (and subagent sessions in
//!   `chats/<parent session>/<session>.jsonl`): a metadata line (`sessionId`), message records
//!   (`id`, `type`, `tokens`), `{"$set": …}` metadata updates and `{"$rewindTo": id}`;
//! - legacy: whole-file `session-*.json` documents `{sessionId, messages: […]}`, rewritten on
//!   every update, and copied into a `.jsonl` when the session is resumed (the `.json` stays).
//!
//! Traps: a message id is appended again every time the message changes (tokens arrive after the
//! text): one request per `(sessionId, id)`, the version with more output kept by the ledger; the
//! legacy `.json` and its resumed `.jsonl` hold the same messages under the same keys, so they
//! are counted once; `$set` may carry a whole `messages` array, read under the same keys;
//! `$rewindTo` removes messages from the conversation but not from the bill, so it is ignored.
//! Tokens: `input` includes `cached` (subtracted), `thoughts` are billed as output and not
//! inside `output` (added), `tool` (tool-use prompt) is billed as input and not inside `input`
//! (added).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::env::Env;
use crate::json::{parse_line, parse_ts_ms};
use crate::model::{Tokens, UsageEvent};
use crate::{looks_like_object, DocOutcome, FileKind, LineOutcome, LineParser, Output, Shape, Source};

pub const ID: &str = "gemini-cli";
/// Priced when a record names no model (Gemini CLI's default model).
pub const FALLBACK_MODEL: &str = "gemini-2.5-pro";

pub struct GeminiCli;

impl Source for GeminiCli {
    fn id(&self) -> &'static str {
        ID
    }

    fn name(&self) -> &'static str {
        "Gemini CLI"
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        // gemini-cli's `homedir()` is `GEMINI_CLI_HOME` when set, on every OS.
        let home = env.dir_var("GEMINI_CLI_HOME").unwrap_or_else(|| env.home.clone());
        vec![home.join(".gemini").join("tmp")]
    }

    fn kind(&self, path: &Path) -> FileKind {
        if !in_chats(path) {
            // Checkpoints, shell history, logs.json, plans, tool outputs: the tool's own files.
            return FileKind::Other;
        }
        let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
        if name.ends_with(".jsonl") {
            FileKind::Log(Shape::Lines)
        } else if name.ends_with(".json") && name.starts_with("session-") {
            FileKind::Log(Shape::Document)
        } else {
            FileKind::Unknown
        }
    }

    fn lines(&self, path: &Path, state: Option<&str>) -> Box<dyn LineParser> {
        let mut st: State = state.and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
        if st.session.is_empty() {
            st.session = file_stem(path);
        }
        Box::new(GeminiLines { ctx: Context::of(path), st })
    }

    fn document(&self, path: &Path, bytes: &[u8], out: &mut Output) -> DocOutcome {
        let Ok(doc) = serde_json::from_slice::<Value>(bytes) else { return DocOutcome::Incomplete };
        let ctx = Context::of(path);
        let mut st = State { session: file_stem(path), model: None };
        if let Some(s) = doc.get("sessionId").and_then(Value::as_str).filter(|s| !s.is_empty()) {
            st.session = s.to_owned();
        }
        match doc.get("messages") {
            Some(Value::Array(messages)) => {
                for m in messages {
                    if read_message(m, &ctx, &mut st, out) == LineOutcome::Malformed {
                        out.unreadable += 1;
                    }
                }
            }
            // A session document whose message list is missing or not a list cannot be read.
            _ => out.unreadable += 1,
        }
        DocOutcome::Read
    }
}

/// Whether `path` is below a `chats` directory of a project directory.
fn in_chats(path: &Path) -> bool {
    path.parent().is_some_and(|p| {
        p.file_name().is_some_and(|n| n == "chats")
            || p.parent().and_then(Path::file_name).is_some_and(|n| n == "chats")
    })
}

fn file_stem(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

/// What the path says about a chat file: its project (the directory above `chats`) and, for a
/// subagent's session in `chats/<parent>/`, the parent session.
struct Context {
    project: String,
    parent: Option<String>,
}

impl Context {
    fn of(path: &Path) -> Context {
        let dir = path.parent();
        let (chats, parent) = match dir {
            Some(d) if d.file_name().is_some_and(|n| n == "chats") => (Some(d), None),
            Some(d) => (d.parent(), d.file_name().map(|n| n.to_string_lossy().into_owned())),
            None => (None, None),
        };
        let project = chats
            .and_then(Path::parent)
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Context { project, parent }
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    session: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    model: Option<String>,
}

struct GeminiLines {
    ctx: Context,
    st: State,
}

impl LineParser for GeminiLines {
    fn line(&mut self, line: &[u8], out: &mut Output) -> LineOutcome {
        if !looks_like_object(line) {
            return LineOutcome::Malformed;
        }
        let mut repaired = String::new();
        let Some(rec) = parse_line::<Value>(line, &mut repaired) else { return LineOutcome::Malformed };
        if let Some(set) = rec.get("$set") {
            if let Some(s) = set.get("sessionId").and_then(Value::as_str).filter(|s| !s.is_empty()) {
                self.st.session = s.to_owned();
            }
            // A snapshot of the whole conversation: the same requests, under the same keys.
            let mut outcome = LineOutcome::Ignored;
            if let Some(messages) = set.get("messages").and_then(Value::as_array) {
                for m in messages {
                    match read_message(m, &self.ctx, &mut self.st, out) {
                        LineOutcome::Malformed => return LineOutcome::Malformed,
                        LineOutcome::Used => outcome = LineOutcome::Used,
                        LineOutcome::Ignored => {}
                    }
                }
            }
            return outcome;
        }
        if rec.get("id").is_none() {
            // The metadata line (or `$rewindTo`, which leaves billed usage billed).
            if let Some(s) = rec.get("sessionId").and_then(Value::as_str).filter(|s| !s.is_empty()) {
                self.st.session = s.to_owned();
            }
            return LineOutcome::Ignored;
        }
        read_message(&rec, &self.ctx, &mut self.st, out)
    }

    fn state(&self) -> Option<String> {
        serde_json::to_string(&self.st).ok()
    }
}

/// One message record: a `gemini` message with tokens is one request.
fn read_message(m: &Value, ctx: &Context, st: &mut State, out: &mut Output) -> LineOutcome {
    if m.get("type").and_then(Value::as_str) != Some("gemini") {
        return LineOutcome::Ignored;
    }
    let model = m.get("model").and_then(Value::as_str).filter(|s| !s.is_empty());
    if let Some(model) = model {
        st.model = Some(model.to_owned());
    }
    let tokens = match m.get("tokens") {
        // Not counted yet: the tokens arrive in a later version of the same message.
        None | Some(Value::Null) => return LineOutcome::Ignored,
        Some(t) => t,
    };
    let (Some(id), Some(tokens), Some(ts_ms)) = (
        m.get("id").and_then(Value::as_str).filter(|s| !s.is_empty()),
        read_tokens(tokens),
        m.get("timestamp").and_then(Value::as_str).and_then(parse_ts_ms),
    ) else {
        return LineOutcome::Malformed;
    };
    if tokens.is_zero() {
        return LineOutcome::Used;
    }
    let (model, model_fallback) = match st.model.as_deref() {
        Some(m) => (m.to_owned(), false),
        None => (FALLBACK_MODEL.to_owned(), true),
    };
    out.events.push(UsageEvent {
        source: ID,
        session_id: st.session.clone(),
        project: ctx.project.clone(),
        model,
        model_fallback,
        ts_ms,
        dedupe_key: format!("{ID}:{}:{id}", st.session),
        group_key: None,
        sidechain: false,
        tokens,
        logged_cost_usd: None,
        git_branch: None,
        parent_session: ctx.parent.clone(),
    });
    LineOutcome::Used
}

/// A count: a non-negative number, or `null`/missing for 0; `None` for anything else.
fn count(v: Option<&Value>) -> Option<u64> {
    match v {
        None | Some(Value::Null) => Some(0),
        Some(Value::Number(n)) => n.as_u64().or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        Some(_) => None,
    }
}

/// Gemini CLI's `tokens` summary. `input` and `output` must be there (a summary without them
/// is a renamed format, not a request with no tokens).
fn read_tokens(t: &Value) -> Option<Tokens> {
    let t = t.as_object()?;
    let (Some(input), Some(output)) = (t.get("input"), t.get("output")) else { return None };
    Some(generate_content_tokens(GenerateContentCounts {
        prompt: count(Some(input))?,
        candidates: count(Some(output))?,
        cached: count(t.get("cached"))?,
        thoughts: count(t.get("thoughts"))?,
        tool_use_prompt: count(t.get("tool"))?,
    }))
}

/// The Gemini API's `usageMetadata` counts, as Gemini CLI and Qwen Code log them.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct GenerateContentCounts {
    /// `promptTokenCount`: includes the cached tokens.
    pub prompt: u64,
    /// `candidatesTokenCount`: the answer, without thoughts.
    pub candidates: u64,
    /// `cachedContentTokenCount`.
    pub cached: u64,
    /// `thoughtsTokenCount`: billed as output.
    pub thoughts: u64,
    /// `toolUsePromptTokenCount`: billed as input, not inside `prompt`.
    pub tool_use_prompt: u64,
}

/// Normalised tokens of one Gemini-API request: input without the cached part (saturating),
/// output with thoughts added, thoughts as reasoning.
pub(crate) fn generate_content_tokens(c: GenerateContentCounts) -> Tokens {
    Tokens {
        input: c.prompt.saturating_sub(c.cached).saturating_add(c.tool_use_prompt),
        cache_write_5m: 0,
        cache_write_1h: 0,
        cache_read: c.cached,
        output: c.candidates.saturating_add(c.thoughts),
        reasoning: c.thoughts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const META: &str =
        r#"{"sessionId":"s-1","projectHash":"acme","startTime":"2026-03-02T11:00:00.000Z","kind":"main"}"#;
    const MSG: &str = r#"{"id":"m1","timestamp":"2026-03-02T11:00:09.000Z","type":"gemini","model":"gemini-2.5-pro","tokens":{"input":15327,"output":23,"cached":11526,"thoughts":919,"tool":7,"total":16276}}"#;

    fn run(path: &str, lines: &[&str]) -> (Output, Vec<LineOutcome>) {
        let mut p = GeminiCli.lines(Path::new(path), None);
        let mut out = Output::default();
        let outcomes = lines.iter().map(|l| p.line(l.as_bytes(), &mut out)).collect();
        (out, outcomes)
    }

    #[test]
    fn tokens_are_normalised() {
        let (out, outcomes) = run("/h/.gemini/tmp/acme/chats/session-x.jsonl", &[META, MSG]);
        assert_eq!(outcomes, vec![LineOutcome::Ignored, LineOutcome::Used]);
        let e = &out.events[0];
        assert_eq!(e.tokens.input, 15327 - 11526 + 7);
        assert_eq!(e.tokens.cache_read, 11526);
        assert_eq!(e.tokens.output, 23 + 919);
        assert_eq!(e.tokens.reasoning, 919);
        assert_eq!(e.dedupe_key, "gemini-cli:s-1:m1");
        assert_eq!(e.project, "acme");
        assert_eq!(e.parent_session, None);
    }

    #[test]
    fn renamed_token_field_is_counted_as_drift() {
        for bad in [
            MSG.replace(r#""input":15327"#, r#""prompt":15327"#),
            MSG.replace(r#""output":23"#, r#""output":"23""#),
            MSG.replace(r#""timestamp""#, r#""time""#),
            MSG.replace(r#""tokens":{"input":15327,"output":23,"cached":11526,"thoughts":919,"tool":7,"total":16276}"#, r#""tokens":[15327]"#),
        ] {
            let (out, outcomes) = run("/h/.gemini/tmp/acme/chats/session-x.jsonl", &[META, &bad]);
            assert_eq!(outcomes[1], LineOutcome::Malformed, "{bad}");
            assert!(out.events.is_empty());
        }
        // A document counts its unreadable messages.
        let doc = format!(
            r#"{{"sessionId":"s-1","messages":[{},{}]}}"#,
            MSG,
            MSG.replace(r#""input":15327"#, r#""inputs":15327"#).replace("m1", "m2")
        );
        let mut out = Output::default();
        let p = Path::new("/h/.gemini/tmp/acme/chats/session-x.json");
        assert_eq!(GeminiCli.document(p, doc.as_bytes(), &mut out), DocOutcome::Read);
        assert_eq!((out.events.len(), out.unreadable), (1, 1));
    }

    #[test]
    fn null_tokens_wait_for_the_next_version() {
        let pending = MSG.replace(
            r#""tokens":{"input":15327,"output":23,"cached":11526,"thoughts":919,"tool":7,"total":16276}"#,
            r#""tokens":null"#,
        );
        let (out, outcomes) = run("/h/.gemini/tmp/acme/chats/session-x.jsonl", &[META, &pending]);
        assert_eq!(outcomes[1], LineOutcome::Ignored);
        assert!(out.events.is_empty());
    }

    #[test]
    fn truncated_document_waits() {
        let doc = format!(r#"{{"sessionId":"s-1","messages":[{MSG}]}}"#);
        let mut out = Output::default();
        let p = Path::new("/h/.gemini/tmp/acme/chats/session-x.json");
        assert_eq!(GeminiCli.document(p, &doc.as_bytes()[..doc.len() - 3], &mut out), DocOutcome::Incomplete);
        assert!(out.events.is_empty() && out.unreadable == 0);
    }

    #[test]
    fn kinds_and_roots() {
        let k = |p: &str| GeminiCli.kind(Path::new(p));
        assert_eq!(k("/h/.gemini/tmp/acme/chats/session-a.jsonl"), FileKind::Log(Shape::Lines));
        assert_eq!(k("/h/.gemini/tmp/acme/chats/parent-id/child.jsonl"), FileKind::Log(Shape::Lines));
        assert_eq!(k("/h/.gemini/tmp/acme/chats/session-a.json"), FileKind::Log(Shape::Document));
        assert_eq!(k("/h/.gemini/tmp/acme/logs.json"), FileKind::Other);
        assert_eq!(k("/h/.gemini/tmp/acme/shell_history"), FileKind::Other);
        assert_eq!(k("/h/.gemini/tmp/acme/chats/notes.txt"), FileKind::Unknown);
        let env = Env::with_home("/h");
        assert_eq!(GeminiCli.roots(&env), vec![PathBuf::from("/h/.gemini/tmp")]);
        let env = env.set("GEMINI_CLI_HOME", "/g");
        assert_eq!(GeminiCli.roots(&env), vec![PathBuf::from("/g/.gemini/tmp")]);
        let ctx = Context::of(Path::new("/h/.gemini/tmp/acme/chats/parent-id/child.jsonl"));
        assert_eq!((ctx.project.as_str(), ctx.parent.as_deref()), ("acme", Some("parent-id")));
    }
}
