//! Amp (Sourcegraph/ampcode): one JSON document per thread,
//! `~/.local/share/amp/threads/T-<uuid>.json` (also `$XDG_DATA_HOME/amp/threads`), rewritten whole
//! as the thread grows.
//!
//! Two schemas, never both counted for one thread: older threads keep a usage ledger
//! (`usageLedger.events[]`: `id`, `timestamp`, `model`, `tokens.{input,output,total}`,
//! `toMessageId`), whose cache split is on the assistant message it points to
//! (`messages[messageId == toMessageId].usage.{cacheCreationInputTokens,cacheReadInputTokens}`);
//! current threads have no ledger and put `usage.{model, timestamp, inputTokens, outputTokens,
//! cacheCreationInputTokens, cacheReadInputTokens, totalTokens}` on each assistant message. A
//! thread with ledger events is read from the ledger only; otherwise from its messages. Input
//! excludes the cache (Anthropic-style). Where `total` is larger than the parts, the missing
//! tokens are output: all of it when output is 0, else reasoning billed as output. `credits`
//! are Amp credits, not USD, and are not a logged cost.
//!
//! A request is keyed by (thread id, ledger event id) or (thread id, message id).

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::Value;

use crate::env::Env;
use crate::json::{lenient_str, parse_ts_ms};
use crate::model::{Tokens, UsageEvent};
use crate::{DocOutcome, FileKind, Output, Shape, Source};

pub const ID: &str = "amp";
/// Model name stored when a usage record names none.
pub const FALLBACK_MODEL: &str = "unknown";

pub struct Amp;

impl Source for Amp {
    fn id(&self) -> &'static str {
        ID
    }

    fn name(&self) -> &'static str {
        "Amp"
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        // Amp keeps its data under `~/.local/share/amp` on every OS (as its settings are under
        // `~/.config/amp`); an XDG data home that moves it is honoured too.
        let mut roots = vec![env.home.join(".local/share/amp/threads")];
        let xdg = env.xdg_data_home().join("amp/threads");
        if !roots.contains(&xdg) {
            roots.push(xdg);
        }
        roots
    }

    fn kind(&self, path: &Path) -> FileKind {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else { return FileKind::Unknown };
        if name.starts_with("T-") && name.ends_with(".json") {
            FileKind::Log(Shape::Document)
        } else if name.contains(".tmp") {
            FileKind::Other
        } else {
            FileKind::Unknown
        }
    }

    fn document(&self, path: &Path, bytes: &[u8], out: &mut Output) -> DocOutcome {
        let thread: Thread = match serde_json::from_slice(bytes) {
            Ok(t) => t,
            Err(_) => {
                if serde_json::from_slice::<IgnoredAny>(bytes).is_err() {
                    return DocOutcome::Incomplete;
                }
                // Complete JSON of another shape: the thread cannot be read.
                out.unreadable += 1;
                return DocOutcome::Read;
            }
        };
        let stem = path.file_stem().map(|s| s.to_string_lossy()).unwrap_or_default();
        let thread_id = thread.id.as_deref().filter(|s| !s.is_empty()).unwrap_or(&stem).to_string();
        let project = project_of(thread.env.as_ref()).unwrap_or_default();
        let ctx = Ctx { thread: &thread_id, project: &project };
        let ledger = thread.usage_ledger.as_ref().and_then(|l| l.events.as_deref()).filter(|e| !e.is_empty());
        match ledger {
            Some(events) => {
                for e in events {
                    match ledger_event(e, &thread.messages) {
                        Ok(Some(r)) => out.events.push(ctx.event(r)),
                        Ok(None) => {}
                        Err(()) => out.unreadable += 1,
                    }
                }
            }
            None => {
                for m in thread.messages.iter().filter(|m| m.role.as_deref() == Some("assistant")) {
                    let Some(usage) = m.usage.as_ref().filter(|u| !u.is_null()) else { continue };
                    match message_usage(m, usage) {
                        Ok(Some(r)) => out.events.push(ctx.event(r)),
                        Ok(None) => {}
                        Err(()) => out.unreadable += 1,
                    }
                }
            }
        }
        DocOutcome::Read
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Thread<'a> {
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    id: Option<Cow<'a, str>>,
    #[serde(default)]
    messages: Vec<Message<'a>>,
    #[serde(default)]
    usage_ledger: Option<Ledger>,
    #[serde(default)]
    env: Option<Value>,
}

#[derive(Deserialize)]
struct Ledger {
    #[serde(default)]
    events: Option<Vec<Value>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Message<'a> {
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    role: Option<Cow<'a, str>>,
    #[serde(default)]
    message_id: Option<Value>,
    #[serde(default)]
    usage: Option<Value>,
    #[serde(default)]
    timestamp: Option<Value>,
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    model: Option<Cow<'a, str>>,
}

/// One request read from a thread, before it becomes an event.
struct Record {
    key: String,
    ts_ms: i64,
    model: Option<String>,
    tokens: Tokens,
}

struct Ctx<'a> {
    thread: &'a str,
    project: &'a str,
}

impl Ctx<'_> {
    fn event(&self, r: Record) -> UsageEvent {
        let (model, model_fallback) = match r.model {
            Some(m) => (crate::names::normalize(&m), false),
            None => (FALLBACK_MODEL.to_string(), true),
        };
        UsageEvent {
            source: ID,
            session_id: self.thread.to_string(),
            project: self.project.to_string(),
            model,
            model_fallback,
            ts_ms: r.ts_ms,
            dedupe_key: format!("{ID}:{}:{}", self.thread, r.key),
            group_key: None,
            sidechain: false,
            tokens: r.tokens,
            logged_cost_usd: None,
            git_branch: None,
            parent_session: None,
        }
    }
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

/// A timestamp: ISO-8601 text or epoch milliseconds.
fn timestamp(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::String(s) => parse_ts_ms(s.trim()),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

fn id_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn model_text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// Splits a request's counts; `total` larger than the parts adds the missing tokens to output
/// (as reasoning when output is already there).
fn tokens(input: u64, output: u64, cache_write: u64, cache_read: u64, total: u64) -> Tokens {
    let known = input + output + cache_write + cache_read;
    let missing = total.saturating_sub(known);
    let reasoning = if output > 0 { missing } else { 0 };
    Tokens {
        input,
        cache_write_5m: cache_write,
        cache_read,
        output: output + missing,
        reasoning,
        ..Tokens::default()
    }
}

/// `Ok(None)`: nothing billed. `Err`: looks like usage but cannot be read.
fn ledger_event(e: &Value, messages: &[Message]) -> Result<Option<Record>, ()> {
    let t = e.get("tokens").filter(|t| t.is_object()).ok_or(())?;
    let (input, output, total) = (count(t.get("input"))?, count(t.get("output"))?, count(t.get("total"))?);
    if input.is_none() && output.is_none() && total.is_none() {
        return Err(());
    }
    let ts_ms = timestamp(e.get("timestamp")).ok_or(())?;
    let to = e.get("toMessageId");
    let usage = to.and_then(|to| {
        messages
            .iter()
            .filter(|m| m.role.as_deref() == Some("assistant"))
            .find(|m| m.message_id.as_ref().is_some_and(|id| id_text(Some(id)) == id_text(Some(to))))
            .and_then(|m| m.usage.as_ref())
    });
    let cache_write = count(usage.and_then(|u| u.get("cacheCreationInputTokens")))?.unwrap_or(0);
    let cache_read = count(usage.and_then(|u| u.get("cacheReadInputTokens")))?.unwrap_or(0);
    let tokens = tokens(input.unwrap_or(0), output.unwrap_or(0), cache_write, cache_read, total.unwrap_or(0));
    if tokens.is_zero() {
        return Ok(None);
    }
    let key = match id_text(e.get("id")) {
        Some(id) => format!("event:{id}"),
        None => match id_text(to) {
            Some(m) => format!("event-for:{m}"),
            None => format!("event-at:{ts_ms}"),
        },
    };
    Ok(Some(Record { key, ts_ms, model: model_text(e.get("model")), tokens }))
}

fn message_usage(m: &Message, u: &Value) -> Result<Option<Record>, ()> {
    if !u.is_object() {
        return Err(());
    }
    let fields =
        ["inputTokens", "outputTokens", "cacheCreationInputTokens", "cacheReadInputTokens", "totalTokens"];
    let mut v = [None; 5];
    for (slot, f) in v.iter_mut().zip(fields) {
        *slot = count(u.get(f))?;
    }
    if v.iter().all(Option::is_none) {
        return Err(());
    }
    let [input, output, cache_write, cache_read, total] = v.map(|c| c.unwrap_or(0));
    let ts_ms = timestamp(u.get("timestamp")).or_else(|| timestamp(m.timestamp.as_ref())).ok_or(())?;
    let tokens = tokens(input, output, cache_write, cache_read, total);
    if tokens.is_zero() {
        return Ok(None);
    }
    let key = match id_text(m.message_id.as_ref()) {
        Some(id) => format!("message:{id}"),
        None => format!("message-at:{ts_ms}"),
    };
    let model = model_text(u.get("model"))
        .or_else(|| m.model.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned));
    Ok(Some(Record { key, ts_ms, model, tokens }))
}

/// The thread's first workspace tree (`env.initial.trees[0].uri`, a `file://` URI), if named.
fn project_of(env: Option<&Value>) -> Option<String> {
    let tree = env?.get("initial")?.get("trees")?.get(0)?;
    let uri = tree.get("uri").and_then(Value::as_str)?;
    Some(uri.strip_prefix("file://").unwrap_or(uri).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(doc: &Value) -> (DocOutcome, Output) {
        let mut out = Output::default();
        let outcome = Amp.document(
            Path::new("/h/.local/share/amp/threads/T-x.json"),
            doc.to_string().as_bytes(),
            &mut out,
        );
        (outcome, out)
    }

    fn message_thread(usage: Value) -> Value {
        json!({"id": "T-1", "messages": [{"role": "user", "messageId": 0, "content": [{"type": "text", "text": "hi"}]},
            {"role": "assistant", "messageId": 1, "usage": usage}]})
    }

    #[test]
    fn message_usage_is_read() {
        let (outcome, out) = read(&message_thread(
            json!({"model": "claude-sonnet-4-5", "timestamp": "2026-03-02T13:00:07.000Z",
            "inputTokens": 8, "outputTokens": 512, "cacheCreationInputTokens": 1500, "cacheReadInputTokens": 22000, "totalTokens": 24020}),
        ));
        assert_eq!((outcome, out.events.len(), out.unreadable), (DocOutcome::Read, 1, 0));
        let e = &out.events[0];
        assert_eq!(e.dedupe_key, "amp:T-1:message:1");
        assert_eq!(
            e.tokens,
            Tokens { input: 8, cache_write_5m: 1500, cache_read: 22000, output: 512, ..Tokens::default() }
        );
        assert_eq!((e.model.as_str(), e.ts_ms), ("claude-sonnet-4-5", 1_772_456_407_000));
    }

    #[test]
    fn the_ledger_wins_over_message_usage_and_takes_the_cache_from_its_message() {
        let doc = json!({"id": "T-2", "usageLedger": {"events": [
                {"id": "ev-1", "timestamp": "2026-03-02T10:00:00.000Z", "model": "claude-sonnet-4-5", "credits": 3.5,
                 "tokens": {"input": 10, "output": 200, "total": 210}, "toMessageId": 1, "operationType": "inference"}]},
            "messages": [{"role": "assistant", "messageId": 1, "usage": {"inputTokens": 10, "outputTokens": 200,
                "cacheCreationInputTokens": 300, "cacheReadInputTokens": 4000, "timestamp": "2026-03-02T10:00:00.000Z"}}]});
        let (_, out) = read(&doc);
        assert_eq!(out.events.len(), 1);
        let e = &out.events[0];
        assert_eq!(e.dedupe_key, "amp:T-2:event:ev-1");
        assert_eq!(
            e.tokens,
            Tokens { input: 10, cache_write_5m: 300, cache_read: 4000, output: 200, ..Tokens::default() }
        );
        assert_eq!(e.logged_cost_usd, None);
    }

    #[test]
    fn a_total_larger_than_its_parts_is_output() {
        let doc = json!({"id": "T-3", "usageLedger": {"events": [
            {"id": "a", "timestamp": "2026-01-02T00:00:00.000Z", "model": "gpt-5", "tokens": {"total": 345}},
            {"id": "b", "timestamp": "2026-01-02T00:00:01.000Z", "model": "gpt-5", "tokens": {"input": 100, "output": 50, "total": 180}}]}});
        let (_, out) = read(&doc);
        assert_eq!(out.events[0].tokens, Tokens { output: 345, ..Tokens::default() });
        assert_eq!(
            out.events[1].tokens,
            Tokens { input: 100, output: 80, reasoning: 30, ..Tokens::default() }
        );
    }

    #[test]
    fn a_renamed_token_field_is_counted_as_unreadable() {
        let good = json!({"model": "m", "timestamp": "2026-03-02T13:00:07.000Z", "inputTokens": 8, "outputTokens": 5});
        let (_, out) = read(&message_thread(good));
        assert_eq!((out.events.len(), out.unreadable), (1, 0));
        for renamed in [
            json!({"model": "m", "timestamp": "2026-03-02T13:00:07.000Z", "input_tokens": 8, "output_tokens": 5}),
            json!({"model": "m", "timestamp": "2026-03-02T13:00:07.000Z", "inputTokens": "8", "outputTokens": 5}),
            json!({"model": "m", "time": "2026-03-02T13:00:07.000Z", "inputTokens": 8, "outputTokens": 5}),
        ] {
            let (_, out) = read(&message_thread(renamed.clone()));
            assert_eq!((out.events.len(), out.unreadable), (0, 1), "{renamed}");
        }
        let doc = json!({"id": "T-4", "usageLedger": {"events": [
            {"id": "a", "timestamp": "2026-01-02T00:00:00.000Z", "model": "gpt-5", "usage": {"input": 1}},
            {"id": "b", "timestamp": "2026-01-02T00:00:00.000Z", "model": "gpt-5", "tokens": {"in": 1, "out": 2}},
            {"id": "c", "ts": "2026-01-02T00:00:00.000Z", "model": "gpt-5", "tokens": {"input": 1}}]}});
        let (_, out) = read(&doc);
        assert_eq!((out.events.len(), out.unreadable), (0, 3));
        // A thread of another shape entirely.
        let (outcome, out) = read(&json!({"id": "T-5", "messages": {"0": {}}}));
        assert_eq!((outcome, out.unreadable), (DocOutcome::Read, 1));
    }

    #[test]
    fn a_thread_cut_mid_write_waits() {
        let doc = message_thread(json!({"model": "m", "timestamp": "2026-03-02T13:00:07.000Z", "inputTokens": 8, "outputTokens": 5}))
            .to_string();
        for cut in [0, 1, doc.len() / 2, doc.len() - 1] {
            let mut out = Output::default();
            let outcome = Amp.document(Path::new("T-x.json"), &doc.as_bytes()[..cut], &mut out);
            assert_eq!((outcome, out.events.len()), (DocOutcome::Incomplete, 0), "cut at {cut}");
        }
    }

    #[test]
    fn a_50_mb_thread_is_read_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let filler = "y".repeat(1 << 20);
        let mut messages = Vec::new();
        for i in 0..50 {
            messages.push(
                json!({"role": "user", "messageId": 2 * i, "content": [{"type": "text", "text": filler}]}),
            );
            messages.push(json!({"role": "assistant", "messageId": 2 * i + 1, "usage": {"model": "claude-sonnet-4-5",
                "timestamp": "2026-03-02T13:00:07.000Z", "inputTokens": 1, "outputTokens": 2, "cacheReadInputTokens": 3}}));
        }
        let path = tmp.path().join("T-big.json");
        std::fs::write(&path, json!({"id": "T-big", "messages": messages}).to_string()).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.len() > 50 << 20);
        let mut out = Output::default();
        assert_eq!(Amp.document(&path, &bytes, &mut out), DocOutcome::Read);
        assert_eq!((out.events.len(), out.unreadable), (50, 0));
        assert_eq!(out.events.iter().map(|e| e.tokens.total()).sum::<u64>(), 300);
    }

    #[test]
    fn roots_and_kinds() {
        let env = Env::with_home("/home/u");
        assert_eq!(Amp.roots(&env), [PathBuf::from("/home/u/.local/share/amp/threads")]);
        let env = env.set("XDG_DATA_HOME", "/data");
        assert_eq!(
            Amp.roots(&env),
            [PathBuf::from("/home/u/.local/share/amp/threads"), PathBuf::from("/data/amp/threads")]
        );
        let t = Path::new("/home/u/.local/share/amp/threads");
        assert_eq!(
            Amp.kind(&t.join("T-0195cccc-dddd-7eee-8fff-000011112222.json")),
            FileKind::Log(Shape::Document)
        );
        assert_eq!(Amp.kind(&t.join("T-1.json.tmp-123")), FileKind::Other);
        assert_eq!(Amp.kind(&t.join("thread-1.json")), FileKind::Unknown);
    }
}
