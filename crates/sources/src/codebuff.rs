//! Codebuff (formerly Manicode): one JSON document per chat,
//! `~/.config/<channel>/projects/<project>/chats/<chat id>/chat-messages.json`, the channel being
//! `manicode` (release), `manicode-dev` or `manicode-staging`, on every OS. Rewritten whole as the
//! chat grows.
//!
//! The document is an array of messages; an assistant message (`variant` or `role` of `ai`,
//! `agent` or `assistant`) carries its request's usage in `metadata.usage`, else in
//! `metadata.codebuff.usage`, else in the newest assistant entry of the agent's run state
//! (`metadata.runState.sessionState.mainAgentState.messageHistory[].providerOptions`), a field
//! missing in one place taken from the next. Field names vary with the provider: camelCase or
//! snake_case, Anthropic-style (`inputTokens` without the cache, `cacheReadInputTokens`,
//! `cacheCreationInputTokens`) or OpenAI-style (`prompt_tokens` INCLUDING the cached part named in
//! `prompt_tokens_details.cached_tokens`, which is subtracted here). A `totalTokens` larger than
//! the parts adds the missing tokens to output (reasoning when output is already there).
//! `credits` are Codebuff credits, not USD, and are not a logged cost.
//!
//! A request is keyed by its message id alone, so a chat copied into another chat (same message
//! ids) counts once; a message without an id by chat and position.

use std::path::{Path, PathBuf};

use serde::de::IgnoredAny;
use serde_json::{Map, Value};

use crate::env::Env;
use crate::json::parse_ts_ms;
use crate::model::{Tokens, UsageEvent};
use crate::{DocOutcome, FileKind, Output, Shape, Source};

pub const ID: &str = "codebuff";
/// Model name stored when a message names none.
pub const FALLBACK_MODEL: &str = "unknown";
/// Codebuff's release channels, each its own folder under `~/.config`.
const CHANNELS: [&str; 3] = ["manicode", "manicode-dev", "manicode-staging"];

pub struct Codebuff;

impl Source for Codebuff {
    fn id(&self) -> &'static str {
        ID
    }

    fn name(&self) -> &'static str {
        "Codebuff"
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        // Codebuff writes below `<home>/.config` on every OS (not the XDG or platform dirs).
        CHANNELS.iter().map(|c| env.home.join(".config").join(c).join("projects")).collect()
    }

    fn kind(&self, path: &Path) -> FileKind {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else { return FileKind::Unknown };
        let in_chats =
            path.parent().and_then(Path::parent).and_then(Path::file_name).is_some_and(|n| n == "chats");
        if !in_chats {
            // Project settings, credentials, logs beside the chats.
            return FileKind::Other;
        }
        if name == "chat-messages.json" {
            FileKind::Log(Shape::Document)
        } else if name.ends_with(".json") || name.ends_with(".jsonl") {
            // Run state and other per-chat files.
            FileKind::Other
        } else if name.contains(".tmp") {
            FileKind::Other
        } else {
            FileKind::Unknown
        }
    }

    fn document(&self, path: &Path, bytes: &[u8], out: &mut Output) -> DocOutcome {
        let doc: Value = match serde_json::from_slice(bytes) {
            Ok(v) => v,
            Err(_) => {
                if serde_json::from_slice::<IgnoredAny>(bytes).is_err() {
                    return DocOutcome::Incomplete;
                }
                out.unreadable += 1;
                return DocOutcome::Read;
            }
        };
        let Some(messages) = doc.as_array() else {
            out.unreadable += 1;
            return DocOutcome::Read;
        };
        let chat = Chat::of(path);
        for (i, m) in messages.iter().enumerate() {
            let Some(m) = m.as_object() else { continue };
            if !is_assistant(m) {
                continue;
            }
            match request(m, &chat, i) {
                Ok(Some(e)) => out.events.push(e),
                Ok(None) => {}
                Err(()) => out.unreadable += 1,
            }
        }
        DocOutcome::Read
    }
}

/// What the path says about a chat: `<channel>/projects/<project>/chats/<chat id>/…`.
struct Chat {
    session: String,
    project: String,
    /// The chat id read as its start time (`2026-01-02T03-04-05.000Z`).
    started_ms: Option<i64>,
}

impl Chat {
    fn of(path: &Path) -> Chat {
        let name = |p: Option<&Path>| p.and_then(Path::file_name).map(|n| n.to_string_lossy().into_owned());
        let chat_dir = path.parent();
        let project_dir = chat_dir.and_then(Path::parent).and_then(Path::parent);
        let channel_dir = project_dir.and_then(Path::parent).and_then(Path::parent);
        let id = name(chat_dir).unwrap_or_default();
        let project = name(project_dir).unwrap_or_default();
        let channel = name(channel_dir).unwrap_or_else(|| "manicode".into());
        let started_ms = chat_id_time(&id);
        Chat { session: format!("{channel}/{project}/{id}"), project, started_ms }
    }
}

/// `2026-01-02T03-04-05.000Z` → the time it names.
fn chat_id_time(id: &str) -> Option<i64> {
    let (date, time) = id.split_once('T')?;
    let time = time.replacen('-', ":", 2);
    parse_ts_ms(&format!("{date}T{time}"))
}

fn text<'a>(m: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    m.get(k).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

fn is_assistant(m: &Map<String, Value>) -> bool {
    matches!(text(m, "variant").or_else(|| text(m, "role")), Some("ai" | "agent" | "assistant"))
}

/// A token count: `Ok(None)` when absent or null, `Err` when of another type.
fn count(v: Option<&Value>) -> Result<Option<u64>, ()> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            Ok(Some(n.as_u64().or_else(|| n.as_f64().filter(|f| *f > 0.0).map(|f| f as u64)).unwrap_or(0)))
        }
        Some(_) => Err(()),
    }
}

/// The first of `keys` present in `u`.
fn pick(u: &Map<String, Value>, keys: &[&str]) -> Result<Option<u64>, ()> {
    for k in keys {
        if let Some(v) = count(u.get(*k))? {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

/// One usage object's counts, as written.
#[derive(Default, Clone, Copy)]
struct Counts {
    input: Option<u64>,
    /// `input` is OpenAI-style: it includes `cache_read`.
    input_has_cache: bool,
    output: Option<u64>,
    cache_read: Option<u64>,
    cache_write: Option<u64>,
    total: Option<u64>,
}

impl Counts {
    fn read(u: &Map<String, Value>) -> Result<Counts, ()> {
        let anthropic_input = pick(u, &["inputTokens", "input_tokens"])?;
        let openai_input = pick(u, &["promptTokens", "prompt_tokens"])?;
        let details = |k: &str, f: &str| -> Result<Option<u64>, ()> {
            match u.get(k) {
                Some(Value::Object(d)) => count(d.get(f)),
                _ => Ok(None),
            }
        };
        let openai_cached = details("prompt_tokens_details", "cached_tokens")?
            .or(details("promptTokensDetails", "cachedTokens")?);
        let cache_read = pick(u, &["cacheReadInputTokens", "cache_read_input_tokens"])?.or(openai_cached);
        Ok(Counts {
            input: anthropic_input.or(openai_input),
            input_has_cache: anthropic_input.is_none() && openai_input.is_some() && openai_cached.is_some(),
            output: pick(u, &["outputTokens", "output_tokens", "completionTokens", "completion_tokens"])?,
            cache_read,
            cache_write: pick(
                u,
                &[
                    "cacheCreationInputTokens",
                    "cache_creation_input_tokens",
                    "cacheCreationTokens",
                    "cache_creation_tokens",
                ],
            )?,
            total: pick(u, &["totalTokens", "total_tokens", "total"])?,
        })
    }

    fn any(&self) -> bool {
        [self.input, self.output, self.cache_read, self.cache_write, self.total].iter().any(Option::is_some)
    }

    /// Fills each field still missing (or zero) from `other`.
    fn fill(&mut self, other: Counts) {
        let empty = |v: Option<u64>| v.is_none_or(|v| v == 0);
        if empty(self.input) && !empty(other.input) {
            self.input = other.input;
            self.input_has_cache = other.input_has_cache;
        }
        for (mine, theirs) in [
            (&mut self.output, other.output),
            (&mut self.cache_read, other.cache_read),
            (&mut self.cache_write, other.cache_write),
            (&mut self.total, other.total),
        ] {
            if empty(*mine) && !empty(theirs) {
                *mine = theirs;
            }
        }
    }

    fn tokens(&self) -> Tokens {
        let cache_read = self.cache_read.unwrap_or(0);
        let mut input = self.input.unwrap_or(0);
        if self.input_has_cache {
            input = input.saturating_sub(cache_read);
        }
        let output = self.output.unwrap_or(0);
        let cache_write = self.cache_write.unwrap_or(0);
        // A total above the parts: the parts leave something out, billed as output.
        let known = input + cache_read + output + cache_write;
        let missing = self.total.unwrap_or(0).saturating_sub(known);
        Tokens {
            input,
            cache_write_5m: cache_write,
            cache_read,
            output: output + missing,
            reasoning: if output > 0 { missing } else { 0 },
            ..Tokens::default()
        }
    }
}

/// Usage gathered from the places Codebuff keeps it, the first place winning per field.
#[derive(Default)]
struct Gathered {
    found: bool,
    counts: Counts,
    model: Option<String>,
}

impl Gathered {
    fn add(&mut self, u: Option<&Value>, model_here: Option<&str>) -> Result<(), ()> {
        match u {
            None | Some(Value::Null) => Ok(()),
            Some(Value::Object(u)) => {
                let c = Counts::read(u)?;
                if c.any() {
                    self.found = true;
                    self.counts.fill(c);
                }
                if self.model.is_none() {
                    self.model = text(u, "model").or(model_here).map(str::to_owned);
                }
                Ok(())
            }
            Some(_) => Err(()),
        }
    }
}

/// The usage of an assistant message and the model it names, from every place Codebuff keeps it.
fn usage_of(m: &Map<String, Value>) -> Result<Option<(Counts, Option<String>)>, ()> {
    let Some(meta) = m.get("metadata").and_then(Value::as_object) else { return Ok(None) };
    let mut g = Gathered { model: text(meta, "model").map(str::to_owned), ..Gathered::default() };
    g.add(meta.get("usage"), None)?;
    let codebuff = meta.get("codebuff").and_then(Value::as_object);
    g.add(codebuff.and_then(|c| c.get("usage")), codebuff.and_then(|c| text(c, "model")))?;
    let history = meta
        .get("runState")
        .and_then(|r| r.get("sessionState"))
        .and_then(|s| s.get("mainAgentState"))
        .and_then(|a| a.get("messageHistory"))
        .and_then(Value::as_array);
    // The run state's newest assistant entry with usage, when the message has none of its own.
    if !g.found {
        for entry in history.into_iter().flatten().rev() {
            let Some(entry) = entry.as_object() else { continue };
            if text(entry, "role") != Some("assistant") {
                continue;
            }
            let Some(opts) = entry.get("providerOptions").and_then(Value::as_object) else { continue };
            let cb = opts.get("codebuff").and_then(Value::as_object);
            let cb_model = cb.and_then(|c| text(c, "model"));
            g.add(opts.get("usage"), cb_model)?;
            g.add(cb.and_then(|c| c.get("usage")), cb_model)?;
            if g.found {
                break;
            }
        }
    }
    Ok(g.found.then_some((g.counts, g.model)))
}

/// A timestamp: ISO-8601 text, or epoch seconds / milliseconds.
fn timestamp(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::String(s) => parse_ts_ms(s.trim()),
        Value::Number(n) => {
            let raw = n.as_i64().filter(|r| *r > 0)?;
            Some(if raw < 10_000_000_000 { raw * 1000 } else { raw })
        }
        _ => None,
    }
}

/// `Ok(None)`: no usage, or nothing billed. `Err`: looks like usage but cannot be read.
fn request(m: &Map<String, Value>, chat: &Chat, position: usize) -> Result<Option<UsageEvent>, ()> {
    let Some((counts, model)) = usage_of(m)? else { return Ok(None) };
    let tokens = counts.tokens();
    if tokens.is_zero() {
        return Ok(None);
    }
    let meta = m.get("metadata");
    let ts_ms = timestamp(m.get("timestamp"))
        .or_else(|| timestamp(m.get("createdAt")))
        .or_else(|| timestamp(meta.and_then(|x| x.get("timestamp"))))
        .or(chat.started_ms)
        .ok_or(())?;
    let key = match text(m, "id") {
        Some(id) => id.to_owned(),
        None => format!("{}:{position}:{ts_ms}", chat.session),
    };
    let (model, model_fallback) = match model {
        Some(m) => (crate::names::normalize(&m), false),
        None => (FALLBACK_MODEL.to_owned(), true),
    };
    Ok(Some(UsageEvent {
        source: ID,
        session_id: chat.session.clone(),
        project: chat.project.clone(),
        model,
        model_fallback,
        ts_ms,
        dedupe_key: format!("{ID}:{key}"),
        group_key: None,
        sidechain: false,
        tokens,
        logged_cost_usd: None,
        git_branch: None,
        parent_session: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PATH: &str = "/h/.config/manicode/projects/shop/chats/2026-03-02T10-00-00.000Z/chat-messages.json";

    fn read(doc: &Value) -> (DocOutcome, Output) {
        let mut out = Output::default();
        let o = Codebuff.document(Path::new(PATH), doc.to_string().as_bytes(), &mut out);
        (o, out)
    }

    #[test]
    fn anthropic_style_usage_is_read() {
        let (o, out) = read(&json!([
            {"variant": "user", "content": "hi"},
            {"id": "m1", "variant": "ai", "timestamp": "2026-03-02T10:00:05.000Z", "credits": 1.5,
             "metadata": {"model": "claude-sonnet-4-5", "usage": {"inputTokens": 100, "outputTokens": 50,
              "cacheCreationInputTokens": 20, "cacheReadInputTokens": 10}}}
        ]));
        assert_eq!((o, out.events.len(), out.unreadable), (DocOutcome::Read, 1, 0));
        let e = &out.events[0];
        assert_eq!(
            e.tokens,
            Tokens { input: 100, cache_write_5m: 20, cache_read: 10, output: 50, ..Tokens::default() }
        );
        assert_eq!(e.dedupe_key, "codebuff:m1");
        assert_eq!(e.session_id, "manicode/shop/2026-03-02T10-00-00.000Z");
        assert_eq!((e.project.as_str(), e.logged_cost_usd), ("shop", None));
    }

    #[test]
    fn openai_style_prompt_tokens_include_the_cache() {
        let (_, out) = read(
            &json!([{"variant": "agent", "metadata": {"runState": {"sessionState": {"mainAgentState":
            {"messageHistory": [
                {"role": "assistant", "providerOptions": {"codebuff": {"model": "openai/gpt-5", "usage": {"prompt_tokens": 1, "completion_tokens": 1}}}},
                {"role": "user", "providerOptions": {}},
                {"role": "assistant", "providerOptions": {"codebuff": {"model": "openai/gpt-5", "usage":
                    {"prompt_tokens": 100, "completion_tokens": 50, "prompt_tokens_details": {"cached_tokens": 10}}}}}
            ]}}}}}]),
        );
        let e = &out.events[0];
        assert_eq!(e.tokens, Tokens { input: 90, cache_read: 10, output: 50, ..Tokens::default() });
        assert_eq!(e.model, "openai/gpt-5");
        // No timestamp on the message: the chat id's time.
        assert_eq!(e.ts_ms, 1_772_445_600_000);
        assert_eq!(e.dedupe_key, "codebuff:manicode/shop/2026-03-02T10-00-00.000Z:0:1772445600000");
    }

    #[test]
    fn a_total_above_the_parts_is_output() {
        let (_, out) = read(&json!([{"id": "a", "role": "assistant", "timestamp": 1772445600,
            "metadata": {"usage": {"totalTokens": 789}}},
            {"id": "b", "role": "assistant", "timestamp": 1772445600000u64,
            "metadata": {"usage": {"inputTokens": 10, "outputTokens": 5, "totalTokens": 20}}}]));
        assert_eq!(out.events[0].tokens, Tokens { output: 789, ..Tokens::default() });
        assert!(out.events[0].model_fallback);
        assert_eq!(out.events[1].tokens, Tokens { input: 10, output: 10, reasoning: 5, ..Tokens::default() });
    }

    #[test]
    fn renamed_or_odd_fields_are_unreadable_and_cut_documents_wait() {
        let (_, out) = read(&json!([
            {"id": "a", "role": "assistant", "timestamp": "2026-03-02T10:00:05.000Z", "metadata": {"usage": {"inputTokens": "5"}}},
            {"id": "b", "role": "assistant", "metadata": {"usage": "lots"}},
            {"id": "c", "role": "assistant", "timestamp": "2026-03-02T10:00:05.000Z", "metadata": {"usage": {"in": 5}}}
        ]));
        // `c` names no field Codebuff writes: no usage, not drift of a known field.
        assert_eq!((out.events.len(), out.unreadable), (0, 2));
        let (o, out) = read(&json!({"messages": []}));
        assert_eq!((o, out.unreadable), (DocOutcome::Read, 1));
        let doc =
            json!([{"id": "a", "role": "assistant", "metadata": {"usage": {"inputTokens": 5}}}]).to_string();
        for cut in [1, doc.len() / 2, doc.len() - 1] {
            let mut out = Output::default();
            assert_eq!(
                Codebuff.document(Path::new(PATH), &doc.as_bytes()[..cut], &mut out),
                DocOutcome::Incomplete
            );
        }
    }

    #[test]
    fn roots_and_kinds() {
        let env = Env::with_home("/h");
        assert!(Codebuff.roots(&env).contains(&PathBuf::from("/h/.config/manicode-dev/projects")));
        let chats = Path::new("/h/.config/manicode/projects/p/chats/c1");
        assert_eq!(Codebuff.kind(&chats.join("chat-messages.json")), FileKind::Log(Shape::Document));
        assert_eq!(Codebuff.kind(&chats.join("run-state.json")), FileKind::Other);
        assert_eq!(Codebuff.kind(&chats.join("notes.txt")), FileKind::Unknown);
        assert_eq!(Codebuff.kind(Path::new("/h/.config/manicode/projects/p/knowledge.md")), FileKind::Other);
        assert_eq!(chat_id_time("2026-03-02T10-00-00.000Z"), Some(1_772_445_600_000));
    }
}
